"""Demo talent pool (fixtures/demo/talent.json): 愛媛県's prefecture-wide pool with five fictional
candidates (an outside expert, a retiree, a 地域情報化アドバイザー and two municipal staff),
three of them backed by demo credentials; two open needs of Ehime municipalities with their
matches, one need that went unfilled, and one pending contact request. The recruiters (the
demo's municipal recruiter and the prefecture's moderator) get their group and organisation.

Every person is fictional: their names end in （架空）, their bios say so, their profiles are
marked `is_fictional` and their accounts have no usable password. Idempotent: what exists is
left as it is."""

from __future__ import annotations

import json
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from core.dates import today
from curriculum.credentials import awarding
from curriculum.credentials.models import Award, CredentialDefinition, OrganisationReporter
from curriculum.models import Competency
from people.models import Municipality, Prefecture

from .models import (
    CompetencyClaim,
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
)

FIXTURE = settings.BASE_DIR / "fixtures" / "demo" / "talent.json"
RECRUITERS_GROUP = "Talent recruiters"


def recruiters_group() -> Group:
    """Staff who post their organisation's needs and contact candidates (talent.access): the
    permission here, the organisation assigned per person (OrganisationReporter)."""
    group, _created = Group.objects.get_or_create(name=RECRUITERS_GROUP)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="talent", codename="recruit_talent")
    )
    return group


def load_talent(path=FIXTURE) -> list[TalentNeed]:
    """The demo pool; returns its open needs. Call after the personas and the demo credentials
    exist (load_demo does)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    codes = {r["organisation"] for r in data["recruiters"]}
    codes |= {n["organisation"] for n in data["needs"]}
    codes |= {p["municipality"] for p in data["people"] if p["municipality"]}
    municipalities = Municipality.objects.select_related("prefecture").in_bulk(
        list(codes), field_name="code"
    )
    prefectures = Prefecture.objects.in_bulk(field_name="code")
    competencies = Competency.objects.in_bulk(field_name="code")
    _assign_recruiters(data["recruiters"], municipalities)
    people = {
        p["email"]: _load_person(p, municipalities, prefectures, competencies)
        for p in data["people"]
    }
    needs = [_load_need(n, municipalities, competencies) for n in data["needs"]]
    _load_contacts(data["contacts"], people, needs)
    return [need for need in needs if need.status == TalentNeed.Status.OPEN]


def _assign_recruiters(recruiters, municipalities) -> None:
    """Done here as well as in the personas, so a database loaded before the talent pool
    existed gets its recruiters too. An organisation already assigned is kept."""
    group = recruiters_group()
    users = get_user_model().objects.in_bulk([r["email"] for r in recruiters], field_name="email")
    for item in recruiters:
        user = users.get(item["email"])
        if user is None:
            continue
        user.groups.add(group)
        OrganisationReporter.objects.get_or_create(
            user=user, defaults={"municipality": municipalities[item["organisation"]]}
        )


def _load_person(person, municipalities, prefectures, competencies):
    User = get_user_model()
    user = User.objects.filter(email=person["email"]).first()
    if user is None:
        user = User(username=person["key"], email=person["email"])
        user.set_unusable_password()  # a fictional person never signs in
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        profile = user.profile
        for field in ("display_name", "department", "job_title", "bio", "is_outside_expert"):
            setattr(profile, field, person[field])
        profile.municipality = municipalities.get(person["municipality"])
        profile.save()
    item = person["talent"]
    awards = [_award(user, award) for award in item["awards"]]
    if TalentProfile.objects.filter(user=user).exists():
        return user
    available = item["available_from_days"]
    talent = TalentProfile.objects.create(
        user=user,
        is_open=True,
        is_fictional=True,
        background=item["background"],
        headline=item["headline"],
        summary=item["summary"],
        commitment=item["commitment"],
        days_per_month=item["days_per_month"],
        work_mode=item["work_mode"],
        available_from=None if available is None else today() + timedelta(days=available),
        home_prefecture=prefectures[item["home_prefecture"]],
    )
    talent.pools.set([prefectures[code] for code in item["pools"]])
    talent.shown_awards.set([award for award in awards if award is not None])
    TalentRoleClaim.objects.bulk_create(
        TalentRoleClaim(profile=talent, role=role) for role in item["roles"]
    )
    CompetencyClaim.objects.bulk_create(
        CompetencyClaim(profile=talent, competency=competencies[code], level=level)
        for code, level in item["declared"].items()
    )
    return user


def _award(user, item) -> Award | None:
    """The person's standing award of the credential, awarded by staff the first time (as the
    demo's manual awards are)."""
    definition = CredentialDefinition.objects.filter(slug=item["credential"]).first()
    if definition is None:
        return None
    held = Award.objects.standing().filter(user=user, definition=definition).first()
    if held is not None:
        return held
    if Award.objects.filter(user=user, definition=definition).exists():
        return None  # revoked or expired since: not given again
    admin = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    with awarding.quietly():
        return awarding.award_manually(user, definition, awarded_by=admin, reason=item["reason"])


def _load_need(item, municipalities, competencies) -> TalentNeed:
    organisation = municipalities[item["organisation"]]
    need = TalentNeed.objects.filter(organisation=organisation, title=item["title"]).first()
    if need is not None:
        return need
    poster = None
    if item["posted_by"]:
        poster = get_user_model().objects.filter(email=item["posted_by"]).first()
    status = item["status"]
    ends = item["ends_in_days"]
    need = TalentNeed.objects.create(
        organisation=organisation,
        posted_by=poster,
        title=item["title"],
        role=item["role"],
        description=item["description"],
        starts_on=today() + timedelta(days=item["starts_in_days"]),
        ends_on=None if ends is None else today() + timedelta(days=ends),
        days_per_month=item["days_per_month"],
        work_mode=item["work_mode"],
        sharing=item["sharing"],
        audience=item["audience"],
        status=status,
        closed_at=None
        if status == TalentNeed.Status.OPEN
        else timezone.now() + timedelta(days=min(ends or 0, 0)),
    )
    NeedRequirement.objects.bulk_create(
        NeedRequirement(need=need, competency=competencies[code], level=level)
        for code, level in item["requirements"].items()
    )
    return need


def _load_contacts(contacts, people, needs) -> None:
    by_title = {need.title: need for need in needs}
    User = get_user_model()
    for item in contacts:
        candidate = people.get(item["candidate"])
        sender = User.objects.filter(email=item["sender"]).first()
        if candidate is None or sender is None:
            continue
        ContactRequest.objects.get_or_create(
            need=by_title[item["need"]],
            candidate=candidate,
            defaults={"sender": sender, "message": item["message"]},
        )
