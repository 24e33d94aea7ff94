"""Who may see what in the talent pool. Every view asks here, on the server.

- A **recruiter** is an active account with `talent.recruit_talent` and an organisation assigned
  by an administrator (`credentials.OrganisationReporter`, the same assignment the organisation
  reports use; never the municipality members type into their own profile). A superuser sees
  every pool and need but, without an organisation, posts and contacts nobody.
- A recruiter sees the candidates in the pool of their organisation's prefecture: open profiles
  that chose to join it. Nobody else sees a candidate, except the candidate.
- A need is managed (edited, closed, its candidates contacted) by the organisation that posted it
  and by the prefectural government of its prefecture. Its match list is also open to the staff
  of the other municipalities of the prefecture when it is shared prefecture-wide.
- A need published to members is read by every signed-in member while it is open; one published
  to the pool only, by the candidates of that prefecture's pool."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from curriculum.credentials.models import OrganisationReporter
from people.models import Municipality

from .models import TalentNeed, TalentProfile

RECRUIT = "talent.recruit_talent"


@dataclass(frozen=True)
class Recruiter:
    organisation: Municipality | None = None
    everything: bool = False

    @property
    def prefecture_id(self) -> int | None:
        return self.organisation.prefecture_id if self.organisation else None

    @property
    def is_prefectural(self) -> bool:
        return (
            self.organisation is not None and self.organisation.kind == Municipality.Kind.PREFECTURE
        )

    @property
    def can_post(self) -> bool:
        return self.organisation is not None


def recruiter_for(user) -> Recruiter | None:
    """The viewer as a recruiter, or None when they are not one."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Recruiter(organisation=_organisation(user), everything=True)
    if not user.has_perm(RECRUIT):
        return None
    organisation = _organisation(user)
    if organisation is None:
        return None
    return Recruiter(organisation=organisation)


def _organisation(user) -> Municipality | None:
    return (
        Municipality.objects.select_related("prefecture")
        .filter(pk__in=OrganisationReporter.objects.filter(user=user).values("municipality"))
        .first()
    )


# Candidates ----------------------------------------------------------------------------------


def candidates_for(recruiter: Recruiter | None, prefecture_id: int | None = None):
    """Open profiles the recruiter may see: their prefecture's pool (a superuser names one)."""
    if recruiter is None:
        return TalentProfile.objects.none()
    if recruiter.everything:
        if prefecture_id is None:
            return TalentProfile.objects.open()
        return TalentProfile.objects.in_pool(prefecture_id)
    return TalentProfile.objects.in_pool(recruiter.prefecture_id)


def can_see_candidate(recruiter: Recruiter | None, profile: TalentProfile) -> bool:
    return candidates_for(recruiter).filter(pk=profile.pk).exists()


# Needs ---------------------------------------------------------------------------------------


def can_manage(recruiter: Recruiter | None, need: TalentNeed) -> bool:
    if recruiter is None or recruiter.organisation is None:
        return False
    own = recruiter.organisation
    return need.organisation_id == own.pk or (
        recruiter.is_prefectural and need.organisation.prefecture_id == own.prefecture_id
    )


def can_see_matches(recruiter: Recruiter | None, need: TalentNeed) -> bool:
    if recruiter is None:
        return False
    if recruiter.everything or can_manage(recruiter, need):
        return True
    return (
        need.sharing == TalentNeed.Sharing.PREFECTURE
        and need.organisation.prefecture_id == recruiter.prefecture_id
    )


def needs_managed_by(recruiter: Recruiter | None):
    """The needs a recruiter's organisation answers for, or shares in, whatever their status."""
    if recruiter is None:
        return TalentNeed.objects.none()
    if recruiter.everything:
        return TalentNeed.objects.all()
    own = recruiter.organisation
    condition = Q(organisation=own) | Q(
        sharing=TalentNeed.Sharing.PREFECTURE, organisation__prefecture_id=own.prefecture_id
    )
    if recruiter.is_prefectural:
        condition |= Q(organisation__prefecture_id=own.prefecture_id)
    return TalentNeed.objects.filter(condition)


def needs_readable_by(user):
    """Open needs a member may read: those published to members, and the pool-only needs of
    the prefectures whose pools they are in; a recruiter also reads their organisation's."""
    if not user.is_authenticated or not user.is_active:
        return TalentNeed.objects.none()
    condition = Q(status=TalentNeed.Status.OPEN, audience=TalentNeed.Audience.MEMBERS)
    pools = TalentProfile.objects.open().filter(user=user).values("pools")
    condition |= Q(
        status=TalentNeed.Status.OPEN,
        audience=TalentNeed.Audience.POOL,
        organisation__prefecture__in=pools,
    )
    recruiter = recruiter_for(user)
    if recruiter is not None:
        condition |= Q(pk__in=needs_managed_by(recruiter).values("pk"))
    return TalentNeed.objects.filter(condition)
