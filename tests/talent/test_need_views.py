"""The recruiter's side of the talent pool: posting, editing and closing needs, the ranked match
list, a candidate's page, writing to a candidate, and the prefecture's pool in figures."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.dates import today
from curriculum.credentials import awarding
from curriculum.credentials.models import OrganisationReporter
from people.models import Municipality
from talent import access, matching
from talent.models import (
    CompetencyClaim,
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
    TalentRoleClaim,
)
from talent.pool import report
from tests.factories import (
    CompetencyFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    MunicipalityFactory,
    PrefectureFactory,
    UserFactory,
    valid_code,
)

pytestmark = pytest.mark.django_db


# Local helpers ----------------------------------------------------------------------------------


def make_recruiter(organisation, email):
    user = UserFactory(email=email)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="talent", codename="recruit_talent")
    )
    OrganisationReporter.objects.create(user=user, municipality=organisation)
    return get_user_model().objects.get(pk=user.pk)


def make_candidate(
    name,
    pools,
    *,
    home,
    proven=None,
    claims=None,
    roles=(),
    outside=False,
    is_open=True,
    **fields,
):
    user = UserFactory(email=f"{name}@example.jp")
    user.profile.display_name = name
    user.profile.is_outside_expert = outside
    user.profile.save()
    profile = TalentProfile.objects.create(
        user=user,
        is_open=is_open,
        background=fields.pop("background", "private"),
        headline=f"headline of {name}",
        commitment=fields.pop("commitment", "part_time"),
        days_per_month=fields.pop("days_per_month", 4),
        work_mode=fields.pop("work_mode", "either"),
        home_prefecture=home,
        **fields,
    )
    profile.pools.set(pools)
    for role in roles:
        TalentRoleClaim.objects.create(profile=profile, role=role)
    for competency, level in (claims or {}).items():
        CompetencyClaim.objects.create(profile=profile, competency=competency, level=level)
    if proven:
        definition = CredentialDefinitionFactory()
        for competency, level in proven.items():
            CredentialCompetencyFactory(definition=definition, competency=competency, level=level)
        award = awarding.award_manually(user, definition, awarded_by=None, reason="テスト")
        profile.shown_awards.add(award)
    return profile


def make_need(organisation, requirements, **fields):
    need = TalentNeed.objects.create(
        organisation=organisation,
        title=fields.pop("title", "標準化移行のPM支援"),
        role=fields.pop("role", "project_manager"),
        description=fields.pop("description", "基幹業務システムの移行を支援していただく方。"),
        starts_on=fields.pop("starts_on", today() + datetime.timedelta(days=30)),
        days_per_month=fields.pop("days_per_month", 4),
        **fields,
    )
    for competency, level in requirements.items():
        NeedRequirement.objects.create(need=need, competency=competency, level=level)
    return need


@pytest.fixture
def world():
    ehime = PrefectureFactory(code="38", name="愛媛県", kana="えひめけん", name_en="Ehime")
    tokyo = PrefectureFactory(code="13", name="東京都", kana="とうきょうと", name_en="Tokyo")

    def body(prefecture, code, name, kind=Municipality.Kind.CITY):
        return MunicipalityFactory(
            prefecture=prefecture, code=valid_code(code), name=name, kind=kind
        )

    places = {
        "ehime": ehime,
        "tokyo": tokyo,
        "ehime_gov": body(ehime, "38000", "愛媛県", Municipality.Kind.PREFECTURE),
        "matsuyama": body(ehime, "38201", "松山市"),
        "yawatahama": body(ehime, "38204", "八幡浜市"),
        "shinjuku": body(tokyo, "13104", "新宿区", Municipality.Kind.SPECIAL_WARD),
        "c1": CompetencyFactory(code="C1", name_ja="DX戦略・計画立案", sort_order=1),
        "c2": CompetencyFactory(code="C2", name_ja="BPR・業務可視化", sort_order=2),
    }
    places["yawatahama_staff"] = make_recruiter(places["yawatahama"], "staff@yawatahama.jp")
    places["matsuyama_staff"] = make_recruiter(places["matsuyama"], "staff@matsuyama.jp")
    places["pref_staff"] = make_recruiter(places["ehime_gov"], "staff@pref.ehime.jp")
    places["tokyo_staff"] = make_recruiter(places["shinjuku"], "staff@shinjuku.jp")
    return places


def need_post(world, **overrides):
    data = {
        "title": "標準化移行のPM支援",
        "role": "project_manager",
        "description": "基幹業務システムの移行を支援していただく方を求めています。",
        "starts_on": (today() + datetime.timedelta(days=30)).isoformat(),
        "ends_on": (today() + datetime.timedelta(days=200)).isoformat(),
        "days_per_month": "4",
        "work_mode": "either",
        "sharing": "prefecture",
        "audience": "members",
        f"level_{world['c1'].pk}": "2",
        f"level_{world['c2'].pk}": "",
    }
    data.update(overrides)
    return data


# Posting, editing, closing ----------------------------------------------------------------------


def test_a_recruiter_posts_a_need_for_their_own_organisation(client, world):
    client.force_login(world["yawatahama_staff"])
    # The organisation in the POST is ignored: a municipality posts for itself only.
    data = need_post(world, organisation=str(world["shinjuku"].pk))
    response = client.post(reverse("talent:need_create"), data)
    need = TalentNeed.objects.get()
    assert response.status_code == 302
    assert response["Location"] == need.get_absolute_url()
    assert need.organisation == world["yawatahama"]
    assert need.posted_by == world["yawatahama_staff"]
    assert need.sharing == TalentNeed.Sharing.PREFECTURE
    assert list(need.requirements.values_list("competency__code", "level")) == [("C1", 2)]
    # The form offers no choice of organisation to a municipality.
    page = client.get(reverse("talent:need_create")).content.decode()
    assert 'name="organisation"' not in page


def test_a_prefectural_recruiter_posts_for_a_municipality_of_their_prefecture(client, world):
    client.force_login(world["pref_staff"])
    page = client.get(reverse("talent:need_create")).content.decode()
    assert 'name="organisation"' in page and "八幡浜市" in page and "新宿区" not in page
    response = client.post(
        reverse("talent:need_create"),
        need_post(world, organisation=str(world["shinjuku"].pk)),
    )
    assert response.status_code == 200  # not one of theirs: a form error
    assert not TalentNeed.objects.exists()
    response = client.post(
        reverse("talent:need_create"),
        need_post(world, organisation=str(world["yawatahama"].pk)),
    )
    assert response.status_code == 302
    assert TalentNeed.objects.get().organisation == world["yawatahama"]


def test_validation_errors_keep_what_was_typed(client, world):
    client.force_login(world["yawatahama_staff"])
    data = need_post(
        world,
        title="入力を保持する募集",
        ends_on=(today() - datetime.timedelta(days=1)).isoformat(),
        days_per_month="40",
        **{f"level_{world['c1'].pk}": "", f"level_{world['c2'].pk}": ""},
    )
    response = client.post(reverse("talent:need_create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"ends_on", "days_per_month", "__all__"}
    page = response.content.decode()
    assert 'value="入力を保持する募集"' in page
    assert "基幹業務システムの移行を支援していただく方を求めています。" in page
    assert not TalentNeed.objects.exists()
    # A level outside 1–4 is an error too, not a 500.
    response = client.post(
        reverse("talent:need_create"), need_post(world, **{f"level_{world['c1'].pk}": "9"})
    )
    assert response.status_code == 200
    assert f"level_{world['c1'].pk}" in response.context["form"].errors


def test_only_recruiters_post(client, world):
    url = reverse("talent:need_create")
    assert client.get(url).status_code == 302  # anonymous: to the sign-in
    client.force_login(UserFactory(email="member@example.jp"))
    assert client.get(url).status_code == 403
    assert client.post(url, need_post(world)).status_code == 403
    assert not TalentNeed.objects.exists()


def test_another_organisation_cannot_edit_or_close(client, world):
    need = make_need(world["yawatahama"], {world["c1"]: 2}, sharing="prefecture")
    client.force_login(world["matsuyama_staff"])
    assert client.get(reverse("talent:need_edit", args=[need.pk])).status_code == 404
    edited = need_post(world, title="書き換え")
    assert client.post(reverse("talent:need_edit", args=[need.pk]), edited).status_code == 404
    response = client.post(reverse("talent:need_close", args=[need.pk]), {"outcome": "filled"})
    assert response.status_code == 404
    need.refresh_from_db()
    assert (need.title, need.status) == ("標準化移行のPM支援", "open")


def test_the_organisation_edits_its_need(client, world):
    need = make_need(world["yawatahama"], {world["c1"]: 2})
    client.force_login(world["yawatahama_staff"])
    page = client.get(reverse("talent:need_edit", args=[need.pk])).content.decode()
    assert 'value="標準化移行のPM支援"' in page
    data = need_post(
        world,
        title="書き換えた募集",
        **{f"level_{world['c1'].pk}": "", f"level_{world['c2'].pk}": "3"},
    )
    response = client.post(reverse("talent:need_edit", args=[need.pk]), data)
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "書き換えた募集"
    assert need.organisation == world["yawatahama"]
    assert list(need.requirements.values_list("competency__code", "level")) == [("C2", 3)]


def test_closing_a_need(client, world):
    need = make_need(world["yawatahama"], {world["c1"]: 2})
    client.force_login(world["yawatahama_staff"])
    url = reverse("talent:need_close", args=[need.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"outcome": "nonsense"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == "open"
    response = client.post(url, {"outcome": "unfilled"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == TalentNeed.Status.UNFILLED
    assert need.closed_at is not None
    # The prefectural government manages its municipalities' needs too.
    other = make_need(world["matsuyama"], {world["c1"]: 2})
    client.force_login(world["pref_staff"])
    client.post(reverse("talent:need_close", args=[other.pk]), {"outcome": "filled"})
    other.refresh_from_db()
    assert other.status == TalentNeed.Status.FILLED


def test_the_needs_page(client, world):
    mine = make_need(world["yawatahama"], {world["c1"]: 2}, title="八幡浜の募集")
    make_need(world["matsuyama"], {world["c1"]: 2}, title="松山の内部募集", audience="pool")
    closed = make_need(world["yawatahama"], {world["c1"]: 2}, title="終わった募集")
    closed.status = TalentNeed.Status.FILLED
    closed.save()
    candidate = make_candidate("kato", [world["ehime"]], home=world["ehime"])
    ContactRequest.objects.create(
        need=mine, candidate=candidate.user, sender=world["yawatahama_staff"], message="よろしく"
    )
    client.force_login(UserFactory(email="member@example.jp"))
    response = client.get(reverse("talent:needs"))
    page = response.content.decode()
    assert "八幡浜の募集" in page
    assert "松山の内部募集" not in page and "終わった募集" not in page
    assert response.context["managed_page"] is None
    assert reverse("talent:need_create") not in page

    client.force_login(world["yawatahama_staff"])
    response = client.get(reverse("talent:needs"))
    managed = list(response.context["managed_page"])
    assert {n.title: n.contact_count for n in managed} == {"八幡浜の募集": 1, "終わった募集": 0}
    assert reverse("talent:need_create") in response.content.decode()


# The match list ---------------------------------------------------------------------------------


@pytest.fixture
def pool(world):
    """Four candidates in Ehime's pool, one in Tokyo's only."""
    c1, c2 = world["c1"], world["c2"]
    ehime, tokyo = world["ehime"], world["tokyo"]
    people = {
        "declared": make_candidate("declared", [ehime], home=ehime, claims={c1: 4, c2: 4}),
        "verified": make_candidate(
            "verified", [ehime], home=tokyo, proven={c1: 2, c2: 2}, outside=True
        ),
        "local": make_candidate(
            "local", [ehime], home=ehime, proven={c1: 2}, roles=["project_manager"]
        ),
        "away": make_candidate("away", [ehime], home=tokyo, proven={c1: 2}, work_mode="on_site"),
        "tokyo_only": make_candidate("tokyoonly", [tokyo], home=tokyo, proven={c1: 4, c2: 4}),
        "closed": make_candidate(
            "closed", [ehime], home=ehime, proven={c1: 4, c2: 4}, is_open=False
        ),
    }
    return people


def test_matches_follow_the_ranking_and_show_no_address(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2, world["c2"]: 2}, work_mode="either")
    client.force_login(world["yawatahama_staff"])
    response = client.get(reverse("talent:matches", args=[need.pk]))
    assert response.status_code == 200
    names = [row["fit"].profile.user.profile.display_name for row in response.context["rows"]]
    expected = matching.rank_candidates(need, TalentProfile.objects.in_pool(world["ehime"].pk))
    assert names == [fit.profile.user.profile.display_name for fit in expected]
    assert names == ["verified", "local", "away", "declared"]
    assert [row["rank"] for row in response.context["rows"]] == [1, 2, 3, 4]
    page = response.content.decode()
    positions = [page.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)
    assert "@" not in page.split("<main", 1)[1]  # no e-mail address anywhere in the page
    assert "tokyoonly" not in page and ">closed<" not in page
    assert reverse("talent:contact", args=[need.pk, pool["local"].pk]) in page


def test_matches_cost_the_same_queries_for_more_candidates(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2, world["c2"]: 2})
    client.force_login(world["yawatahama_staff"])
    url = reverse("talent:matches", args=[need.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        make_candidate(
            f"more{n}", [world["ehime"]], home=world["ehime"], proven={world["c1"]: 3},
            roles=["engineer", "project_manager"],
        )  # fmt: skip
    ContactRequest.objects.create(
        need=need, candidate=pool["local"].user, sender=world["yawatahama_staff"], message="a"
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few)


def test_who_sees_matches(client, world, pool):
    own = make_need(world["yawatahama"], {world["c1"]: 2}, sharing="own")
    shared = make_need(world["yawatahama"], {world["c1"]: 2}, sharing="prefecture")
    assert client.get(reverse("talent:matches", args=[own.pk])).status_code == 302
    client.force_login(UserFactory(email="member@example.jp"))
    assert client.get(reverse("talent:matches", args=[shared.pk])).status_code == 404
    client.force_login(world["tokyo_staff"])
    assert client.get(reverse("talent:matches", args=[shared.pk])).status_code == 404
    client.force_login(world["matsuyama_staff"])
    assert client.get(reverse("talent:matches", args=[own.pk])).status_code == 404
    response = client.get(reverse("talent:matches", args=[shared.pk]))
    assert response.status_code == 200
    assert not response.context["can_manage"]
    assert "/contact/" not in response.content.decode()


# A candidate's page -----------------------------------------------------------------------------


def test_a_candidate_page_shows_verified_and_declared_levels(client, world):
    profile = make_candidate(
        "sato",
        [world["ehime"]],
        home=world["ehime"],
        proven={world["c1"]: 3},
        claims={world["c1"]: 2, world["c2"]: 3},
        outside=True,
        summary="<script>alert(1)</script>\n二行目",
    )
    url = reverse("talent:candidate", args=[profile.pk])
    client.force_login(world["matsuyama_staff"])
    response = client.get(url)
    assert response.status_code == 200
    levels = {row["competency"].code: (row["verified"], row["declared"]) for row in
              response.context["levels"]}  # fmt: skip
    assert levels == {"C1": (3, 2), "C2": (0, 3)}
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "sato@example.jp" not in page
    award = profile.shown_awards.get()
    assert award.definition.name_ja in page
    assert award.get_absolute_url() not in page  # not public
    # Another prefecture's staff and members do not see the candidate; the candidate does.
    client.force_login(world["tokyo_staff"])
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(email="member@example.jp"))
    assert client.get(url).status_code == 404
    client.force_login(profile.user)
    assert client.get(url).status_code == 200


# Contact ----------------------------------------------------------------------------------------


def test_contact_creates_one_request_and_mails_the_candidate(
    client, world, pool, mailoutbox, django_capture_on_commit_callbacks
):
    need = make_need(world["yawatahama"], {world["c1"]: 2})
    target = pool["local"]
    url = reverse("talent:contact", args=[need.pk, target.pk])
    client.force_login(world["yawatahama_staff"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"message": ""})
    assert response.status_code == 200 and "message" in response.context["form"].errors
    response = client.post(url, {"message": "x" * 2001})
    assert response.status_code == 200 and "message" in response.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "一度お話を伺えますか。"})
    request = ContactRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("talent:request", args=[request.pk])
    assert (request.need, request.candidate, request.sender) == (
        need,
        target.user,
        world["yawatahama_staff"],
    )
    assert request.status == ContactRequest.Status.PENDING
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["local@example.jp"]
    assert reverse("talent:request", args=[request.pk]) in mail.body
    assert "staff@yawatahama.jp" not in mail.body + mail.subject
    # Again: to the request already made, nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"message": "もう一度"})
    assert again.status_code == 302
    assert again["Location"] == reverse("talent:request", args=[request.pk])
    assert ContactRequest.objects.count() == 1
    assert len(mailoutbox) == 1


def test_who_may_contact(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2}, sharing="prefecture")
    url = reverse("talent:contact", args=[need.pk, pool["local"].pk])
    client.force_login(world["matsuyama_staff"])  # sees the matches, does not manage the need
    assert client.post(url, {"message": "こんにちは"}).status_code == 404
    client.force_login(world["yawatahama_staff"])
    for hidden in ("tokyo_only", "closed"):
        hidden_url = reverse("talent:contact", args=[need.pk, pool[hidden].pk])
        assert client.post(hidden_url, {"message": "こんにちは"}).status_code == 404
    assert not ContactRequest.objects.exists()


def test_twenty_requests_a_day_at_most(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2})
    staff = world["yawatahama_staff"]
    for n in range(20):
        other = make_need(world["yawatahama"], {world["c1"]: 2}, title=f"募集{n}")
        ContactRequest.objects.create(
            need=other, candidate=pool["away"].user, sender=staff, message="a"
        )
    client.force_login(staff)
    url = reverse("talent:contact", args=[need.pk, pool["local"].pk])
    response = client.post(url, {"message": "こんにちは"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not ContactRequest.objects.filter(need=need).exists()
    ContactRequest.objects.filter(sender=staff).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert client.post(url, {"message": "こんにちは"}).status_code == 302


# The need's page ---------------------------------------------------------------------------------


def test_a_candidate_sees_how_they_fit_a_need(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2, world["c2"]: 2})
    client.force_login(pool["local"].user)
    response = client.get(reverse("talent:need", args=[need.pk]))
    assert response.status_code == 200
    fit = response.context["fit"]
    assert [r.status for r in fit.requirements] == ["verified", "missing"]
    assert not response.context["can_manage"]
    assert reverse("talent:matches", args=[need.pk]) not in response.content.decode()
    client.force_login(world["yawatahama_staff"])
    response = client.get(reverse("talent:need", args=[need.pk]))
    page = response.content.decode()
    assert reverse("talent:matches", args=[need.pk]) in page
    assert reverse("talent:need_edit", args=[need.pk]) in page
    assert reverse("talent:need_close", args=[need.pk]) in page


def test_a_pool_only_need_is_hidden_from_other_members(client, world, pool):
    need = make_need(world["yawatahama"], {world["c1"]: 2}, audience="pool")
    client.force_login(UserFactory(email="member@example.jp"))
    assert client.get(reverse("talent:need", args=[need.pk])).status_code == 404
    client.force_login(pool["tokyo_only"].user)
    assert client.get(reverse("talent:need", args=[need.pk])).status_code == 404
    client.force_login(pool["declared"].user)
    assert client.get(reverse("talent:need", args=[need.pk])).status_code == 200


# The prefecture's pool --------------------------------------------------------------------------


@pytest.fixture
def figures(world, pool):
    """On top of the pool: Ehime's needs. 八幡浜市 asks C1 level 2 (4 days) and C1 3 + C2 2
    (6 days); 松山市 has one unfilled need and one open need that started last week (2 days);
    a Tokyo need counts nowhere in Ehime."""
    c1, c2 = world["c1"], world["c2"]
    make_need(world["yawatahama"], {c1: 2}, days_per_month=4)
    make_need(world["yawatahama"], {c1: 3, c2: 2}, days_per_month=6)
    make_need(world["matsuyama"], {c2: 3}, status=TalentNeed.Status.UNFILLED)
    make_need(
        world["matsuyama"], {c2: 1}, days_per_month=2,
        starts_on=today() - datetime.timedelta(days=7),
    )  # fmt: skip
    make_need(world["shinjuku"], {c1: 4})
    TalentRoleClaim.objects.create(profile=pool["declared"], role="engineer")
    return world


def test_pool_figures(figures, pool):
    ehime = figures["ehime"]
    result = report(ehime)
    # Open profiles in Ehime's pool: declared, verified, local, away (not tokyo_only, not closed).
    assert result.candidates == 4
    assert {r.role: r.candidates for r in result.roles} == {
        "producer": 0,
        "project_manager": 1,
        "service_designer": 0,
        "engineer": 1,
    }
    rows = {r.competency.code: r for r in result.competencies}
    c1, c2 = rows["C1"], rows["C2"]
    # C1: verified 2 (verified, local, away); declared 4 only (declared).
    assert (c1.verified_2, c1.verified_3, c1.declared_2, c1.declared_3) == (3, 0, 1, 1)
    # C2: verified 2 (verified); declared 4 (declared).
    assert (c2.verified_2, c2.verified_3, c2.declared_2, c2.declared_3) == (1, 0, 1, 1)
    # Open needs: C1 asked by two (highest 3): only "declared" reaches 3.
    assert (c1.needs, c1.asked, c1.able, c1.gap) == (2, 3, 1, 1)
    # C2 asked by two open needs (levels 2 and 1; the unfilled one is closed), highest 2.
    assert (c2.needs, c2.asked, c2.able, c2.gap) == (2, 2, 2, 0)
    by_town = {m.name: (m.open_needs, m.days, m.unfilled) for m in result.municipalities}
    assert by_town == {"八幡浜市": (2, 10, 0), "松山市": (1, 2, 2)}
    assert (result.open_needs, result.unfilled_needs) == (3, 2)


def test_pool_page_and_its_queries(client, figures):
    client.force_login(figures["pref_staff"])
    url = reverse("talent:pool")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="img"' in page and "<caption" in page
    for name in ("declared", "verified", "local", "away"):
        assert f">{name}<" not in page
    assert "@example.jp" not in page
    for n in range(3):
        make_candidate(
            f"extra{n}", [figures["ehime"]], home=figures["ehime"],
            proven={figures["c1"]: 3}, claims={figures["c2"]: 2}, roles=["producer"],
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["report"].candidates == 7
    assert len(many) == len(few)


def test_pool_csv(client, figures):
    client.force_login(figures["pref_staff"])
    response = client.get(reverse("talent:pool"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert rows[1][0] == "C1" and rows[1][2:] == ["3", "0", "1", "1", "2", "3", "1", "1"]
    assert rows[2][0] == "C2" and rows[2][2:] == ["1", "0", "1", "1", "2", "2", "2", "0"]


def test_who_sees_the_pool(client, world):
    url = reverse("talent:pool")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(email="member@example.jp"))
    assert client.get(url).status_code == 403
    client.force_login(world["yawatahama_staff"])
    assert client.get(url).status_code == 403
    client.force_login(world["pref_staff"])
    response = client.get(url, {"prefecture": "13"})  # a prefecture sees its own only
    assert response.context["prefecture"] == world["ehime"]
    admin = UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 200 and "report" not in response.context
    response = client.get(url, {"prefecture": "13"})
    assert response.context["prefecture"] == world["tokyo"]
    response = client.get(url, {"prefecture": "99"})
    assert response.status_code == 200 and response.context["unknown"]
    assert access.recruiter_for(admin).everything
