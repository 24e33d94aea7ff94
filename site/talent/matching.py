"""Candidates for a need, and needs for a candidate, ranked and explained.

The order, most important first (each step only breaks the ties of the one before):
1. **Verified levels**: for each competency the need asks for, the level proven by a standing
   credential the candidate chose to show, counted up to the level asked (Σ min(proven, asked)).
2. **Declared levels**: the same sum, where a self-declared level counts when higher than the
   proven one (Σ min(max(proven, declared), asked)).
3. **Region**: based in the need's prefecture (2); elsewhere but both sides can work remotely
   (1); elsewhere and the work needs presence (0).
4. **Availability**: one point each for enough days a month, a compatible way of working and
   being free by the start date.
5. The role of the skill standard the need is for, among those the candidate offers.
Remaining ties: who joined the pool first.

Each match carries the facts behind its rank (per competency: proven level and by which
credential, declared level), so the page says why. Everything is read in a fixed number of
queries, whatever the number of candidates or needs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from core.translation import in_language

from .models import (
    Commitment,
    CompetencyClaim,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
    WorkMode,
)
from .showcase import shown_standing_awards

REGION_LOCAL = 2
REGION_REMOTE = 1
REGION_AWAY = 0


@dataclass
class RequirementFit:
    requirement: NeedRequirement
    proven: int = 0
    declared: int = 0
    proof: list[str] = field(default_factory=list)  # names of the credentials proving `proven`

    @property
    def asked(self) -> int:
        return self.requirement.level

    @property
    def status(self) -> str:
        """verified: a credential proves the level; declared: only the candidate says so;
        partial: below the level asked; missing: nothing."""
        if self.proven >= self.asked:
            return "verified"
        if self.declared >= self.asked:
            return "declared"
        if max(self.proven, self.declared) > 0:
            return "partial"
        return "missing"


@dataclass
class Fit:
    """How one candidate fits one need."""

    profile: TalentProfile
    need: TalentNeed
    requirements: list[RequirementFit]
    region: int
    days: bool
    mode: bool
    start: bool
    role: bool

    @property
    def verified_score(self) -> int:
        return sum(min(r.proven, r.asked) for r in self.requirements)

    @property
    def declared_score(self) -> int:
        return sum(min(max(r.proven, r.declared), r.asked) for r in self.requirements)

    @property
    def asked_score(self) -> int:
        return sum(r.asked for r in self.requirements)

    @property
    def availability(self) -> int:
        return int(self.days) + int(self.mode) + int(self.start)

    @property
    def verified_count(self) -> int:
        return sum(r.status == "verified" for r in self.requirements)

    @property
    def declared_count(self) -> int:
        return sum(r.status == "declared" for r in self.requirements)

    def key(self) -> tuple:
        """Sorted ascending: higher scores first, then the earlier profile."""
        return (
            -self.verified_score,
            -self.declared_score,
            -self.region,
            -self.availability,
            -int(self.role),
            self.profile.created_at,
            self.profile.pk,
        )


def _verified(profile_ids, competency_ids, now=None) -> dict[tuple[int, int], tuple[int, list]]:
    """(profile id, competency id) -> (highest level proven, names of the credentials proving it),
    from the standing credentials each candidate chose to show. One query."""
    found: dict[tuple[int, int], tuple[int, list]] = {}
    if not profile_ids or not competency_ids:
        return found
    shown = (
        shown_standing_awards(profile_ids, now)
        .filter(
            award__definition__competencies__competency_id__in=competency_ids,
        )
        .values_list(
            "talentprofile_id",
            "award__definition__competencies__competency_id",
            "award__definition__competencies__level",
            "award__definition__name_ja",
            "award__definition__name_en",
        )
    )
    for profile_id, competency_id, level, name_ja, name_en in shown:
        key = (profile_id, competency_id)
        best, names = found.get(key, (0, []))
        name = in_language(name_ja, name_en)
        if level > best:
            found[key] = (level, [name])
        elif level == best and name not in names:
            names.append(name)
    return found


def _declared(profile_ids, competency_ids) -> dict[tuple[int, int], int]:
    if not profile_ids or not competency_ids:
        return {}
    rows = CompetencyClaim.objects.filter(
        profile_id__in=profile_ids, competency_id__in=competency_ids
    ).values_list("profile_id", "competency_id", "level")
    return {(p, c): level for p, c, level in rows}


def region_score(profile: TalentProfile, need: TalentNeed) -> int:
    if profile.home_prefecture_id == need.organisation.prefecture_id:
        return REGION_LOCAL
    remote = {WorkMode.REMOTE, WorkMode.EITHER}
    if need.work_mode in remote and profile.work_mode in remote:
        return REGION_REMOTE
    return REGION_AWAY


def modes_compatible(candidate: str, need: str) -> bool:
    return WorkMode.EITHER in (candidate, need) or candidate == need


def _fit(profile, need, requirements, verified, declared, role_codes) -> Fit:
    fits = []
    for requirement in requirements:
        key = (profile.pk, requirement.competency_id)
        proven, proof = verified.get(key, (0, []))
        fits.append(
            RequirementFit(
                requirement=requirement,
                proven=proven,
                declared=declared.get(key, 0),
                proof=proof,
            )
        )
    starts = need.starts_on
    return Fit(
        profile=profile,
        need=need,
        requirements=fits,
        region=region_score(profile, need),
        days=profile.commitment == Commitment.FULL_TIME
        or profile.days_offered >= need.days_per_month,
        mode=modes_compatible(profile.work_mode, need.work_mode),
        start=profile.available_from is None
        or (starts is not None and profile.available_from <= starts),
        role=need.role in role_codes.get(profile.pk, ()),
    )


def _roles(profile_ids) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for profile_id, role in TalentRoleClaim.objects.filter(profile_id__in=profile_ids).values_list(
        "profile_id", "role"
    ):
        found[profile_id].add(role)
    return found


def _requirements(need: TalentNeed) -> list[NeedRequirement]:
    cached = getattr(need, "_prefetched_objects_cache", {}).get("requirements")
    if cached is not None:
        return list(cached)
    return list(need.requirements.select_related("competency"))


def rank_candidates(need: TalentNeed, candidates, now=None) -> list[Fit]:
    """Every candidate of `candidates` (a TalentProfile queryset the viewer may see), best
    first. Five queries: the need's requirements, the candidates, their roles, their proven
    and their declared levels."""
    requirements = _requirements(need)
    profiles = list(
        candidates.select_related("user__profile", "home_prefecture").order_by("created_at", "pk")
    )
    ids = [p.pk for p in profiles]
    competency_ids = [r.competency_id for r in requirements]
    verified = _verified(ids, competency_ids, now)
    declared = _declared(ids, competency_ids)
    roles = _roles(ids)
    fits = [_fit(p, need, requirements, verified, declared, roles) for p in profiles]
    fits.sort(key=Fit.key)
    return fits


def needs_for(profile: TalentProfile, needs, now=None) -> list[Fit]:
    """The needs of `needs` (a queryset the candidate may read) in the candidate's pools, with
    how the candidate fits each, best fit first. Five queries whatever the number of needs."""
    needs = list(
        needs.filter(
            status=TalentNeed.Status.OPEN, organisation__prefecture__in=profile.pools.all()
        )
        .select_related("organisation__prefecture")
        .prefetch_related(
            Prefetch("requirements", queryset=NeedRequirement.objects.select_related("competency"))
        )
    )
    competency_ids = {r.competency_id for need in needs for r in need.requirements.all()}
    verified = _verified([profile.pk], competency_ids, now)
    declared = _declared([profile.pk], competency_ids)
    roles = {profile.pk: set(profile.roles.values_list("role", flat=True))}
    fits = [
        _fit(profile, need, list(need.requirements.all()), verified, declared, roles)
        for need in needs
    ]

    def order(fit: Fit):
        # Share of what the need asks that the candidate covers, then the need's own date.
        asked = fit.asked_score or 1
        return (
            -fit.verified_score / asked,
            -fit.declared_score / asked,
            -fit.region,
            -fit.availability,
            -int(fit.role),
            fit.need.starts_on or date.max,
            fit.need.pk,
        )

    fits.sort(key=order)
    return fits


def fit_of(profile: TalentProfile, need: TalentNeed, now=None) -> Fit:
    """How one candidate fits one need, wherever the need is: four queries."""
    requirements = _requirements(need)
    competency_ids = [r.competency_id for r in requirements]
    verified = _verified([profile.pk], competency_ids, now)
    declared = _declared([profile.pk], competency_ids)
    roles = {profile.pk: set(profile.roles.values_list("role", flat=True))}
    return _fit(profile, need, requirements, verified, declared, roles)
