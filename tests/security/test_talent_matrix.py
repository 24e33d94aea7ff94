"""The talent pool's permission matrix: every /talent/ URL, requested by each kind of person the
pool distinguishes, with the status the policy (talent/access.py) intends. POST rows also check
that a refused request changed nothing and an allowed one changed what it should.

The roles: anonymous; a member (municipal staff, no talent profile); the candidate (an outside
expert listed in 愛媛県's pool); the recruiter of 八幡浜市 who posted the needs; the recruiter of
愛媛県's government (manages its municipalities' needs, sees the prefecture's pool view); a
recruiter of 松山市 (another organisation of the same pool: sees its candidates, manages nothing
of 八幡浜市's); a recruiter of a Hiroshima town (another prefecture's pool: sees nothing of
愛媛県's candidates); and a superuser. The outcomes are those of test_permission_matrix."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import get_resolver
from django.utils import timezone, translation

from curriculum.credentials.models import OrganisationReporter
from people.models import Municipality
from talent.models import (
    Background,
    CompetencyClaim,
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRole,
)
from tests.factories import CompetencyFactory, MunicipalityFactory, PrefectureFactory, UserFactory

from .conftest import _home
from .test_permission_matrix import (
    DONE,
    FORBIDDEN,
    GONE,
    LOGIN,
    NOT_ALLOWED,
    OK,
    REFUSED,
    Row,
    request_as,
    url_patterns,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "member",
    "candidate",
    "staff",
    "prefecture_staff",
    "neighbour_staff",
    "other_staff",
    "superuser",
)
RECRUITERS = ("staff", "prefecture_staff", "neighbour_staff", "other_staff")


def roles(default, **overrides):
    unknown = set(overrides) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: overrides.get(role, default) for role in ROLES}


def signed_in(outcome=OK, **overrides):
    return roles(outcome, **{"anonymous": LOGIN, **overrides})


def only(allowed, outcome=OK, otherwise=GONE):
    """`outcome` for the roles named, `otherwise` for every other signed-in role."""
    return signed_in(otherwise, **dict.fromkeys(allowed, outcome))


def _recruiter(email, name, organisation):
    user = UserFactory(email=email)
    user.profile.display_name = name
    user.profile.municipality = organisation
    user.profile.save()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="talent", codename="recruit_talent")
    )
    OrganisationReporter.objects.create(user=user, municipality=organisation)
    return user


def _profile(user, pools, home, **fields):
    profile = TalentProfile.objects.create(
        user=user,
        is_open=fields.pop("is_open", True),
        background=Background.PRIVATE,
        headline=fields.pop("headline", "自治体の標準化移行をPMとして支援"),
        summary="民間SIerで15年。",
        days_per_month=4,
        home_prefecture=home,
        **fields,
    )
    profile.pools.set(pools)
    profile.roles.create(role=TalentRole.PROJECT_MANAGER)
    return profile


def _need(organisation, poster, competency, **fields):
    need = TalentNeed.objects.create(
        organisation=organisation,
        posted_by=poster,
        title=fields.pop("title", "標準化移行のPM"),
        role=TalentRole.PROJECT_MANAGER,
        description="基幹系20業務の移行を支援してください。",
        starts_on=timezone.localdate() + datetime.timedelta(days=30),
        days_per_month=4,
        **fields,
    )
    NeedRequirement.objects.create(need=need, competency=competency, level=3)
    return need


def build_talent_world():
    from types import SimpleNamespace

    w = SimpleNamespace()
    _home()
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    hiroshima = PrefectureFactory(
        code="34", name="広島県", kana="ひろしまけん", name_en="Hiroshima"
    )
    government = MunicipalityFactory(
        prefecture=ehime, name="愛媛県", kind=Municipality.Kind.PREFECTURE
    )
    yawatahama = MunicipalityFactory(prefecture=ehime, name="八幡浜市")
    matsuyama = MunicipalityFactory(prefecture=ehime, name="松山市")
    fuchu = MunicipalityFactory(prefecture=hiroshima, name="府中町", kind=Municipality.Kind.TOWN)
    competency = CompetencyFactory(code="C5", name_ja="プロジェクト管理", name_en="PM")

    w.users = {"anonymous": None}
    member = UserFactory(email="member@example.jp")
    member.profile.display_name = "一般 会員"
    member.profile.municipality = matsuyama
    member.profile.save()
    w.users["member"] = member

    expert = UserFactory(email="expert-secret@example.jp")
    expert.profile.display_name = "外部 専門家"
    expert.profile.is_outside_expert = True
    expert.profile.save()
    w.users["candidate"] = expert
    w.profile = _profile(expert, [ehime], hiroshima)
    CompetencyClaim.objects.create(profile=w.profile, competency=competency, level=3)

    w.users["staff"] = _recruiter("staff@example.jp", "八幡浜 担当", yawatahama)
    w.users["prefecture_staff"] = _recruiter("pref@example.jp", "愛媛県 担当", government)
    w.users["neighbour_staff"] = _recruiter("matsuyama@example.jp", "松山 担当", matsuyama)
    w.users["other_staff"] = _recruiter("fuchu@example.jp", "府中 担当", fuchu)
    w.users["superuser"] = UserFactory(email="root@example.jp", is_superuser=True, is_staff=True)

    # Another candidate, in Hiroshima's pool only; and one who is not listed.
    w.hidden_profile = _profile(
        UserFactory(email="hiroshima-only@example.jp"), [hiroshima], hiroshima
    )
    w.closed_profile = _profile(
        UserFactory(email="unlisted@example.jp"), [ehime], ehime, is_open=False
    )

    staff = w.users["staff"]
    # Published to members, for 八幡浜市 alone.
    w.need = _need(yawatahama, staff, competency)
    # For the pool only, shared with every municipality of the prefecture.
    w.pool_need = _need(
        yawatahama,
        staff,
        competency,
        title="県内共同のCIO補佐官",
        sharing=TalentNeed.Sharing.PREFECTURE,
        audience=TalentNeed.Audience.POOL,
    )
    w.request = ContactRequest.objects.create(
        need=w.need, candidate=expert, sender=staff, message="一度お話を伺えますか。"
    )
    return w


@pytest.fixture(scope="module")
def talent_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with translation.override("ja"):
                yield build_talent_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _pk(attr):
    return lambda w: [getattr(w, attr).pk]


def _profiles(w):
    return tuple(TalentProfile.objects.order_by("pk").values_list("pk", "is_open"))


def _request_state(w):
    return tuple(ContactRequest.objects.filter(pk=w.request.pk).values_list("status")[0])


def _need_state(w):
    return tuple(TalentNeed.objects.filter(pk=w.need.pk).values_list("status", "title")[0])


def _requests(w):
    return tuple(ContactRequest.objects.order_by("pk").values_list("pk", "status"))


CANDIDATE_VIEWERS = ("candidate", "staff", "prefecture_staff", "neighbour_staff", "superuser")
MANAGERS = ("staff", "prefecture_staff")

ROWS = [
    Row("talent:home", signed_in(), languages=("ja", "en")),
    Row("talent:profile_edit", signed_in(), languages=("ja", "en")),
    Row(
        "talent:profile_edit",
        signed_in(),
        method="POST",
        data=lambda w: {"headline": ""},
        label="an invalid form",
    ),
    Row("talent:withdraw", roles(NOT_ALLOWED, anonymous=LOGIN), label="GET"),
    Row(
        "talent:withdraw",
        signed_in(REFUSED, candidate=DONE),
        method="POST",
        state=_profiles,
    ),
    Row("talent:requests", signed_in()),
    Row("talent:request", only(("candidate", *MANAGERS)), args=_pk("request")),
    Row("talent:respond", roles(NOT_ALLOWED, anonymous=LOGIN), args=_pk("request"), label="GET"),
    Row(
        "talent:respond",
        only(("candidate",), DONE),
        args=_pk("request"),
        method="POST",
        data=lambda w: {"decision": "accept"},
        state=_request_state,
    ),
    Row("talent:needs", signed_in(), languages=("ja", "en")),
    Row("talent:need_create", only(RECRUITERS, otherwise=FORBIDDEN)),
    Row("talent:need", signed_in(), args=_pk("need"), label="for members"),
    Row(
        "talent:need",
        only(("candidate", "staff", "prefecture_staff", "neighbour_staff", "superuser")),
        args=_pk("pool_need"),
        label="for the pool only",
    ),
    Row("talent:need_edit", only(MANAGERS), args=_pk("need")),
    Row(
        "talent:need_close",
        only(MANAGERS, DONE),
        args=_pk("need"),
        method="POST",
        data=lambda w: {"outcome": "filled"},
        state=_need_state,
    ),
    Row("talent:matches", only((*MANAGERS, "superuser")), args=_pk("need"), label="own"),
    Row(
        "talent:matches",
        only((*MANAGERS, "neighbour_staff", "superuser")),
        args=_pk("pool_need"),
        label="shared with the prefecture",
    ),
    Row("talent:contact", only(MANAGERS), args=lambda w: [w.pool_need.pk, w.profile.pk]),
    Row(
        "talent:contact",
        only(MANAGERS, DONE),
        args=lambda w: [w.pool_need.pk, w.profile.pk],
        method="POST",
        data=lambda w: {"message": "県内共同の補佐官をお願いできますか。"},
        state=_requests,
    ),
    Row(
        "talent:contact",
        only(()),
        args=lambda w: [w.need.pk, w.hidden_profile.pk],
        label="a candidate outside the pool",
    ),
    Row("talent:candidate", only(CANDIDATE_VIEWERS), args=_pk("profile")),
    Row(
        "talent:candidate",
        only(("other_staff", "superuser")),
        args=_pk("hidden_profile"),
        label="in another prefecture's pool",
    ),
    Row("talent:candidate", only(()), args=_pk("closed_profile"), label="not listed"),
    Row("talent:pool", only(("prefecture_staff", "superuser"), otherwise=FORBIDDEN)),
    Row(
        "talent:pool",
        only(("prefecture_staff", "superuser"), otherwise=FORBIDDEN),
        query="?format=csv",
        label="CSV",
    ),
]


def _check(world, row, problems):
    world.users_by_role = world.users
    for language in row.languages:
        for role in ROLES:
            expected = row.expect[role]
            label, changed, response = request_as(world, row, role, language)
            where = f"{role:16} {language}"
            if label != expected.label:
                detail = response.get("Location", "") if label == "redirect" else ""
                problems.append(f"{where}: expected {expected.label}, got {label} {detail}")
            if None not in (expected.changes, changed) and changed != expected.changes:
                what = "did not change" if expected.changes else "changed"
                problems.append(f"{where}: the database {what} ({label})")


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_talent_permission_matrix(talent_world, row):
    problems = []
    _check(talent_world, row, problems)
    assert not problems, f"{row.id}:\n" + "\n".join(problems)


def test_every_talent_url_has_a_row():
    names = {name for _route, name, _pattern in url_patterns(get_resolver().url_patterns)}
    talent = {name for name in names if name and name.startswith("talent:")}
    assert talent, "no talent URL found"
    assert not talent - {row.name for row in ROWS}


def test_no_candidate_detail_leaks_to_other_organisations_or_members(talent_world, client):
    """Beyond status codes: the candidate's headline and e-mail address appear in no page that a
    member or another prefecture's recruiter can open."""
    w = talent_world
    pages = [
        ("talent:home", []),
        ("talent:needs", []),
        ("talent:need", [w.need.pk]),
        ("talent:requests", []),
    ]
    from django.urls import reverse

    for role in ("member", "other_staff"):
        client.force_login(w.users[role])
        for name, args in pages:
            body = client.get(reverse(name, args=args)).content.decode()
            assert w.profile.headline not in body, (role, name)
            assert "expert-secret@example.jp" not in body, (role, name)
            assert "外部 専門家" not in body, (role, name)
