"""The career path: required vs proven levels, the plan that closes each gap (courses in study
order, hours counted once, peers to ask, reading), the role form and the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import PageViewRestriction

from curriculum.careers import paths
from curriculum.credentials import awarding
from curriculum.credentials.models import Award
from curriculum.models import (
    CourseCompetency,
    CoursePage,
    Enrolment,
    LessonCompletion,
    LessonPage,
    RoleRequirement,
)
from people.models import Profile
from tests.factories import (
    CompetencyFactory,
    CourseCatalogPageFactory,
    CoursePageFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    LessonPageFactory,
    ModulePageFactory,
    MunicipalityFactory,
    PrefectureFactory,
    ProgrammePageFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_search_updates(settings):
    """Pages are created by the dozen here: the search index is not what is tested."""
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }


@pytest.fixture(autouse=True)
def default_language():
    """A request under /en/ leaves English active in the test's thread, where reverse() would
    then give /en/ addresses to the tests that follow."""
    yield
    translation.deactivate()


@pytest.fixture
def member():
    return UserFactory(email="member@example.jp")


@pytest.fixture
def programme(home_page):
    catalogue = CourseCatalogPageFactory(parent=home_page)
    return ProgrammePageFactory(parent=catalogue, title="CIO育成プログラム", slug="cio")


@pytest.fixture
def areas():
    return (
        CompetencyFactory(
            code="C1", name_ja="DX戦略・計画立案", name_en="DX strategy", sort_order=1
        ),
        CompetencyFactory(code="C2", name_ja="業務改革", name_en="Business reform", sort_order=2),
        CompetencyFactory(code="C3", name_ja="情報セキュリティ", name_en="Security", sort_order=3),
    )


@pytest.fixture
def ladder(areas):
    """R2 → R3 → R4; the target R4 needs C1:3, C2:2, C3:1; the current R2 needs C1:1."""
    c1, c2, c3 = areas
    r2 = RoleFactory(code="R2", rank=2, name_ja="デジタル推進担当", name_en="DX officer")
    r3 = RoleFactory(code="R3", rank=3, name_ja="デジタル推進リーダー", name_en="DX lead")
    r4 = RoleFactory(code="R4", rank=4, name_ja="CIO補佐官", name_en="CIO adviser")
    RoleRequirement.objects.create(role=r2, competency=c1, level=1)
    for competency, level in ((c1, 3), (c2, 2), (c3, 1)):
        RoleRequirement.objects.create(role=r4, competency=competency, level=level)
    return r2, r3, r4


def make_course(programme, code, *, hours=8, builds=(), prerequisites=(), lessons=1, title=None):
    course = CoursePageFactory(
        parent=programme, code=code, slug=code.lower(), title=title or f"コース{code}"
    )
    course.estimated_hours = hours
    course.prerequisites.set(prerequisites)
    course.save()
    for competency, level in builds:
        CourseCompetency.objects.create(page=course, competency=competency, level=level)
    if lessons:
        module = ModulePageFactory(parent=course, slug="m")
        for n in range(lessons):
            LessonPageFactory(parent=module, slug=f"l{n}")
    return CoursePage.objects.get(pk=course.pk)


def proving(*levels, name=None):
    """A credential proving each (competency, level)."""
    definition = CredentialDefinitionFactory(**({"name_ja": name} if name else {}))
    for competency, level in levels:
        CredentialCompetencyFactory(definition=definition, competency=competency, level=level)
    return definition


def give(user, definition, *, public=True) -> Award:
    award = awarding.award_manually(user, definition, awarded_by=None, reason="テスト")
    Award.objects.filter(pk=award.pk).update(is_public=public)
    return award


def choose(user, current=None, target=None):
    profile = Profile.objects.get(user=user)
    profile.current_role = current
    profile.target_role = target
    profile.save()
    return profile


def plan_for(user):
    return paths.skill_gap(user)


def row(plan, code):
    return next(r for r in plan.rows if r.competency.code == code)


def codes(steps):
    return [step.course.page.code for step in steps]


# The arithmetic -----------------------------------------------------------------------------------


def test_gap_is_required_minus_proven_and_never_negative():
    assert paths.gap_between(3, 1) == 2
    assert paths.gap_between(2, 4) == 0
    assert paths.gap_between(2, 2) == 0
    assert paths.gap_between(1, 0) == 1


def test_proven_level_is_the_highest_a_standing_award_proves(member, ladder, areas):
    c1, c2, _c3 = areas
    choose(member, current=ladder[0], target=ladder[2])
    give(member, proving((c1, 1), (c2, 4)))
    give(member, proving((c1, 1)))
    plan = plan_for(member)

    assert [r.competency.code for r in plan.rows] == ["C1", "C2", "C3"]
    assert (row(plan, "C1").required, row(plan, "C1").proven, row(plan, "C1").gap) == (3, 1, 2)
    # Proving more than needed closes the gap; nothing proven leaves all of it.
    assert (row(plan, "C2").required, row(plan, "C2").proven, row(plan, "C2").gap) == (2, 4, 0)
    assert (row(plan, "C3").required, row(plan, "C3").proven, row(plan, "C3").gap) == (1, 0, 1)
    assert [r.competency.code for r in plan.gaps] == ["C1", "C3"]
    assert plan.met_count == 1
    # The current role's level, for the ladder: R2 needs C1 at 1 and nothing in C2.
    assert row(plan, "C1").current_required == 1
    assert row(plan, "C2").current_required is None
    assert len(row(plan, "C1").proven_by) == 2  # both credentials prove level 1


def test_expired_revoked_and_renewed_awards_prove_nothing(member, ladder, areas):
    c1, c2, c3 = areas
    choose(member, target=ladder[2])
    expired = give(member, proving((c1, 3)))
    Award.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked = give(member, proving((c2, 2)))
    awarding.revoke(revoked, by=None, reason="誤って授与")
    renewed = give(member, proving((c3, 1)))
    Award.objects.filter(pk=renewed.pk).update(superseded_at=timezone.now())
    plan = plan_for(member)
    assert [(r.competency.code, r.proven, r.gap) for r in plan.rows] == [
        ("C1", 0, 3),
        ("C2", 0, 2),
        ("C3", 0, 1),
    ]


def test_another_learners_awards_do_not_count(member, ladder, areas):
    give(UserFactory(), proving((areas[0], 4)))
    choose(member, target=ladder[2])
    assert row(plan_for(member), "C1").proven == 0


def test_no_target_role_means_no_plan(member, ladder):
    choose(member, current=ladder[0])
    assert paths.skill_gap(member) is None


def test_the_ladder_runs_from_the_current_role_to_the_target(ladder):
    r2, r3, r4 = ladder
    assert paths.role_ladder(ladder, r2, r4) == [r2, r3, r4]
    assert paths.role_ladder(ladder, None, r4) == [r4]
    assert paths.role_ladder(ladder, r4, r4) == [r4]
    assert paths.role_ladder(ladder, r4, r2) == [r4, r2]  # going down: no steps between


# The courses --------------------------------------------------------------------------------------


def test_courses_closing_a_gap_are_those_above_the_proven_level_up_to_the_required_one(
    member, ladder, areas, programme
):
    c1 = areas[0]
    for code, level in (("L1", 1), ("L2", 2), ("L3", 3), ("L4", 4)):
        make_course(programme, code, builds=[(c1, level)])
    choose(member, target=ladder[2])  # C1 needs 3
    give(member, proving((c1, 1)))
    steps = row(plan_for(member), "C1").steps
    # Level 1 is proven already; level 4 is beyond what the role needs.
    assert codes(steps) == ["L2", "L3"]
    assert [s.level for s in steps] == [2, 3]


def test_when_no_course_reaches_the_level_the_next_level_up_is_offered(
    member, ladder, areas, programme
):
    c1 = areas[0]
    make_course(programme, "L2", builds=[(c1, 2)])
    make_course(programme, "L4", builds=[(c1, 4)])
    choose(member, target=ladder[2])  # C1 needs 3
    assert codes(row(plan_for(member), "C1").steps) == ["L2", "L4"]


def test_prerequisites_come_first_and_missing_ones_join_the_plan(member, ladder, areas, programme):
    c1 = areas[0]
    # B builds a lower level than A but needs A; P builds nothing in C1 but A needs it.
    p = make_course(programme, "P", builds=[(areas[2], 1)])
    a = make_course(programme, "A", builds=[(c1, 3)], prerequisites=[p])
    b = make_course(programme, "B", builds=[(c1, 2)], prerequisites=[a])
    make_course(programme, "E", builds=[(c1, 2)])
    choose(member, target=ladder[2])
    give(member, proving((areas[2], 1)))  # C3 met: P only appears as A's prerequisite
    steps = row(plan_for(member), "C1").steps

    assert codes(steps) == ["E", "P", "A", "B"]
    by_code = {step.course.page.code: step for step in steps}
    assert by_code["P"].level is None
    assert [c.pk for c in by_code["P"].needed_for] == [a.pk]
    assert by_code["P"].is_prerequisite_only
    assert [c.pk for c in by_code["B"].course.prerequisites] == [a.pk]
    assert b.pk in {c.pk for c in plan_for(member).route}


def test_a_completed_prerequisite_is_not_added(member, ladder, areas, programme):
    c1 = areas[0]
    p = make_course(programme, "P")
    make_course(programme, "A", builds=[(c1, 3)], prerequisites=[p])
    Enrolment.objects.create(user=member, course=p, completed_at=timezone.now())
    choose(member, target=ladder[2])
    assert codes(row(plan_for(member), "C1").steps) == ["A"]


def test_a_prerequisite_cycle_does_not_loop():
    key = {1: (2, "a"), 2: (1, "b"), 3: (3, "c")}
    order = paths.study_order(key, key, {1: {2}, 2: {1}, 3: {1}})
    assert sorted(order) == [1, 2, 3]
    assert paths.study_order(key, key, {3: {2}}) == [2, 1, 3]


def test_hours_count_what_is_left_and_each_course_once(member, ladder, areas, programme):
    c1, c2, c3 = areas
    both = make_course(programme, "B", hours=10, builds=[(c1, 3), (c2, 2)])
    half = make_course(programme, "H", hours=6, builds=[(c3, 1)], lessons=4)
    done = make_course(programme, "D", hours=5, builds=[(c1, 2)])
    Enrolment.objects.create(user=member, course=done, completed_at=timezone.now())
    Enrolment.objects.create(user=member, course=half)
    for lesson in LessonPage.objects.descendant_of(half).order_by("path")[:2]:
        LessonCompletion.objects.create(user=member, lesson=lesson)
    choose(member, target=ladder[2])
    plan = plan_for(member)

    c1_row, c2_row, c3_row = plan.rows
    assert codes(c1_row.steps) == ["D", "B"]
    completed = c1_row.steps[0].course
    assert completed.status == paths.Status.COMPLETED
    assert completed.remaining_hours == 0
    assert c1_row.hours == Decimal(10)
    assert c2_row.hours == Decimal(10)
    in_progress = c3_row.steps[0].course
    assert in_progress.status == paths.Status.IN_PROGRESS
    assert in_progress.progress.done == 2 and in_progress.progress.total == 4
    assert in_progress.remaining_hours == Decimal("3.0")  # 6 hours, half the lessons left
    # B closes two gaps but is counted once: 10 + 3 + 0.
    assert plan.total_hours == Decimal("13.0")
    assert [c.page.code for c in plan.route].count("B") == 1
    assert both.pk in {c.pk for c in plan.route}


def test_unpublished_translated_and_restricted_courses_are_left_out(
    member, ladder, areas, programme, locales
):
    from core.translation import ensure_translation

    c1 = areas[0]
    draft = make_course(programme, "X", builds=[(c1, 3)])
    draft.unpublish()
    staff_only = make_course(programme, "S", builds=[(c1, 3)])
    restriction = PageViewRestriction.objects.create(
        page=staff_only, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="研修担当"))
    members_only = make_course(programme, "M", builds=[(c1, 3)])
    PageViewRestriction.objects.create(
        page=members_only, restriction_type=PageViewRestriction.LOGIN
    )
    ensure_translation(programme.get_parent(), locales[1], {"title": "Courses"})
    ensure_translation(programme, locales[1], {"title": "CIO programme"})
    english = ensure_translation(members_only, locales[1], {"title": "Members course"})
    choose(member, target=ladder[2])
    steps = row(plan_for(member), "C1").steps
    # One entry for the course, recorded against the Japanese page, whatever the translations.
    assert codes(steps) == ["M"]
    assert steps[0].course.page.pk == members_only.pk != english.pk
    staff = Group.objects.get(name="研修担当")
    member.groups.add(staff)
    assert codes(row(plan_for(member), "C1").steps) == ["S", "M"]  # same level: catalogue order


# Peers --------------------------------------------------------------------------------------------


def peer(name, *, municipality=None, public=True, open_=True, active=True):
    user = UserFactory(is_active=active)
    Profile.objects.filter(user=user).update(
        display_name=name,
        municipality=municipality,
        is_public=public,
        open_to_questions=open_,
    )
    return user


def test_peers_are_public_open_active_and_prove_the_level_same_prefecture_first(
    member, ladder, areas
):
    c1 = areas[0]
    tokyo = MunicipalityFactory(prefecture=PrefectureFactory(code="13"))
    osaka = MunicipalityFactory(
        prefecture=PrefectureFactory(code="27", name="大阪府", kana="おおさかふ", name_en="Osaka"),
    )
    Profile.objects.filter(user=member).update(municipality=tokyo)
    strong = proving((c1, 4))
    enough = proving((c1, 3))
    weak = proving((c1, 2))
    give(peer("大阪 上級", municipality=osaka), strong)
    give(peer("東京 三", municipality=tokyo), enough)
    give(peer("大阪 三", municipality=osaka), enough)
    give(peer("無所属 四"), strong)
    give(peer("非公開", public=False), strong)
    give(peer("質問不可", open_=False), strong)
    give(peer("退職", active=False), strong)
    give(peer("不足", municipality=tokyo), weak)
    give(peer("認定は非公開", municipality=tokyo), strong, public=False)
    revoked = give(peer("取消", municipality=tokyo), strong)
    awarding.revoke(revoked, by=None, reason="誤り")
    give(member, weak, public=False)  # the learner proves 2 themself, public or not
    choose(member, target=ladder[2])
    peers = row(plan_for(member), "C1").peers

    # Same prefecture first, then the higher level; three at most.
    assert [p.profile.display_name for p in peers] == ["東京 三", "大阪 上級", "無所属 四"]
    assert [p.level for p in peers] == [3, 4, 4]
    assert [p.same_prefecture for p in peers] == [True, False, False]
    assert member.pk not in {p.profile.user_id for p in peers}


def test_a_met_area_has_no_plan(member, ladder, areas, programme):
    c1 = areas[0]
    make_course(programme, "L3", builds=[(c1, 3)])
    give(peer("先輩"), proving((c1, 4)))
    give(member, proving((c1, 3)))
    choose(member, target=ladder[2])
    met = row(plan_for(member), "C1")
    assert met.is_met and met.steps == [] and met.peers == []


# Reading ------------------------------------------------------------------------------------------


def test_reading_appears_only_when_a_source_is_registered(
    client, member, ladder, areas, monkeypatch
):
    # The case library registers its source at start-up; this is the mechanism without it.
    monkeypatch.setattr(paths, "_reading_sources", [])
    choose(member, target=ladder[2])
    client.force_login(member)
    plan = plan_for(member)
    assert plan.reading_enabled is False
    assert "career-readings" not in client.get(reverse("career:path")).content.decode()

    asked = []

    def case_studies(competencies):
        asked.append([c.code for c in competencies])
        return {
            competencies[0].pk: [
                paths.Reading("A市のRPA導入", "/case-studies/a/", "年間1,200時間削減")
            ]
        }

    paths.register_reading_source(case_studies)
    try:
        plan = plan_for(member)
        assert plan.reading_enabled
        assert asked == [["C1", "C2", "C3"]]  # every gap at once: one call per page
        assert [r.title for r in row(plan, "C1").readings] == ["A市のRPA導入"]
        html = client.get(reverse("career:path")).content.decode()
        assert 'href="/case-studies/a/"' in html
    finally:
        paths.unregister_reading_source(case_studies)
    assert paths.reading_sources() == []


# The page -----------------------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(reverse("career:path"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert "next=" in response["Location"]


def test_the_form_saves_both_roles_then_redirects(client, member, ladder):
    r2, _r3, r4 = ladder
    client.force_login(member)
    response = client.post(reverse("career:path"), {"current_role": r2.pk, "target_role": r4.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("career:path")
    profile = Profile.objects.get(user=member)
    assert (profile.current_role, profile.target_role) == (r2, r4)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert BeautifulSoup(page.content, "html.parser").find("svg", attrs={"role": "img"})


def test_the_form_creates_a_missing_profile(client, member, ladder):
    Profile.objects.filter(user=member).delete()
    client.force_login(member)
    assert client.get(reverse("career:path")).status_code == 200
    client.post(reverse("career:path"), {"target_role": ladder[2].pk})
    assert Profile.objects.get(user=member).target_role == ladder[2]


def test_an_unknown_role_is_refused_with_a_translated_error(client, member, ladder):
    choose(member, target=ladder[1])
    client.force_login(member)
    response = client.post(reverse("career:path"), {"current_role": "", "target_role": "99999"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "正しく選択してください" in html  # Django's own message, in Japanese
    assert Profile.objects.get(user=member).target_role == ladder[1]
    response = client.post(reverse("career:path"), {"target_role": "R4'; --"})
    assert response.status_code == 200
    english = client.post("/en/career/", {"target_role": "99999"}).content.decode()
    assert "Select a valid choice" in english


def test_the_page_has_a_chart_and_a_table_with_the_same_figures(
    client, member, ladder, areas, programme
):
    c1, c2, _c3 = areas
    make_course(programme, "K1", hours=8, builds=[(c1, 3)])
    give(member, proving((c1, 1), (c2, 4)))
    choose(member, current=ladder[0], target=ladder[2])
    client.force_login(member)
    soup = BeautifulSoup(client.get(reverse("career:path")).content, "html.parser")

    svg = soup.find("svg", attrs={"role": "img"})
    assert svg.find("title").get_text(strip=True)
    assert svg.find("desc").get_text(strip=True)
    assert set(svg["aria-labelledby"].split()) == {"career-chart-title", "career-chart-desc"}
    assert svg.find("pattern")  # required bars are hatched, not just another colour
    assert len(svg.select(".career-chart__bar--required")) == 3
    values = [t.get_text() for t in svg.select(".career-chart__value")]
    assert values[0] == "3" and values[1].startswith("1 (") and "2" in values[1]

    table = soup.find("table", class_="career-table")
    assert table.find("caption").get_text(strip=True)
    assert all(th.get("scope") == "col" for th in table.thead.find_all("th"))
    body_rows = table.tbody.find_all("tr")
    assert [tr.th["scope"] for tr in body_rows] == ["row"] * 3
    assert [tr.find("td", attrs={"data-gap": True})["data-gap"] for tr in body_rows] == [
        "2",
        "0",
        "1",
    ]
    assert [tr.find("td", attrs={"data-level": True})["data-level"] for tr in body_rows] == [
        "3",
        "2",
        "1",
    ]
    plan_links = [a["href"] for a in soup.select(".career-step__title")]
    assert plan_links == [CoursePage.objects.get(code="K1").url]
    # Nothing from another host.
    assert not soup.select('[src^="http"], link[href^="http"], [src^="//"], link[href^="//"]')
    assert soup.find("link", href=lambda h: h and h.endswith("careers/career.css"))


def test_the_english_page_shows_english_names(client, member, ladder, areas, programme, locales):
    from core.translation import ensure_translation

    course = make_course(programme, "K1", builds=[(areas[0], 3)])
    ensure_translation(programme.get_parent(), locales[1], {"title": "Courses"})
    ensure_translation(programme, locales[1], {"title": "CIO programme"})
    ensure_translation(course, locales[1], {"title": "DX and governance"})
    choose(member, current=ladder[0], target=ladder[2])
    client.force_login(member)
    response = client.get("/en/career/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "CIO adviser" in html and "DX strategy" in html
    soup = BeautifulSoup(html, "html.parser")
    link = soup.select_one(".career-step__title")
    assert link.get_text(strip=True) == "K1 DX and governance"
    assert link["href"].startswith("/en/")
    assert "3 Can teach" in html
    assert "CIO補佐官" not in html


def test_the_page_without_a_target_asks_for_one(client, member, ladder):
    client.force_login(member)
    soup = BeautifulSoup(client.get(reverse("career:path")).content, "html.parser")
    assert soup.find("select", attrs={"name": "target_role"})
    options = [
        o.get_text() for o in soup.find("select", attrs={"name": "target_role"}).find_all("option")
    ]
    assert options[1:] == ["R2 デジタル推進担当", "R3 デジタル推進リーダー", "R4 CIO補佐官"]
    assert not soup.find("svg")


# Queries ------------------------------------------------------------------------------------------


def career_queries(client):
    client.get(reverse("career:path"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("career:path")).status_code == 200
    return len(queries.captured_queries)


def test_queries_do_not_grow_with_competencies_courses_awards_or_peers(client, member, programme):
    target = RoleFactory(code="R5", rank=5, name_ja="CIO", name_en="CIO")
    choose(member, current=RoleFactory(code="R1", rank=1), target=target)
    home = MunicipalityFactory()
    Profile.objects.filter(user=member).update(municipality=home)
    client.force_login(member)

    def grow(start, count):
        for n in range(start, start + count):
            area = CompetencyFactory(code=f"Q{n}", sort_order=n)
            RoleRequirement.objects.create(role=target, competency=area, level=3)
            first = make_course(programme, f"Q{n}A", builds=[(area, 2)])
            second = make_course(programme, f"Q{n}B", builds=[(area, 3)], prerequisites=[first])
            Enrolment.objects.create(user=member, course=second)
            give(member, proving((area, 1)))
            give(peer(f"同僚{n}", municipality=home), proving((area, 3)))
            Enrolment.objects.create(user=member, course=first, completed_at=timezone.now())

    grow(0, 2)
    small = career_queries(client)
    grow(2, 6)
    plan = plan_for(member)
    assert len(plan.gaps) == 8 and all(len(r.steps) == 2 and r.peers for r in plan.gaps)
    assert career_queries(client) == small


def test_one_credential_proving_two_areas_counts_each_at_its_own_level(member, ladder, areas):
    c1, _c2, c3 = areas
    both = proving((c1, 4), (c3, 1))
    give(peer("二刀流"), both)
    give(member, proving((c3, 1), (c1, 2)))
    choose(member, target=ladder[2])
    plan = plan_for(member)
    assert (row(plan, "C1").proven, row(plan, "C3").proven) == (2, 1)
    assert [(p.profile.display_name, p.level) for p in row(plan, "C1").peers] == [("二刀流", 4)]
    assert row(plan, "C3").peers == []  # met: nobody to ask


def test_posting_without_the_csrf_token_is_refused(member, ladder):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    response = strict.post(reverse("career:path"), {"target_role": ladder[2].pk})
    assert response.status_code == 403
    assert Profile.objects.get(user=member).target_role is None


def test_a_failing_reading_source_loses_its_items_not_the_page(client, member, ladder):
    def broken(competencies):
        raise RuntimeError("index unavailable")

    choose(member, target=ladder[2])
    client.force_login(member)
    paths.register_reading_source(broken)
    try:
        plan = plan_for(member)
        assert plan.reading_enabled and all(r.readings == [] for r in plan.rows)
        assert client.get(reverse("career:path")).status_code == 200
    finally:
        paths.unregister_reading_source(broken)


def test_a_gap_no_credential_can_close_says_why(client, member, ladder, areas, programme):
    """Completing a course that builds a level leaves the gap open when no credential proves
    that level: the page says so, instead of promising a credential."""
    c1, c2, _c3 = areas
    course = make_course(programme, "K1", builds=[(c1, 3), (c2, 2)])
    give(UserFactory(), proving((c2, 2)))  # a credential exists for C2:2, none for C1
    choose(member, target=ladder[2])
    Enrolment.objects.create(user=member, course=course, completed_at=timezone.now())
    plan = plan_for(member)
    assert (row(plan, "C1").provable, row(plan, "C2").provable) == (False, True)
    client.force_login(member)
    page = BeautifulSoup(client.get(reverse("career:path")).content, "html.parser")
    c1_text = page.select_one("#gap-c1").get_text(" ", strip=True)
    assert "を証明する認定はまだ定められていません" in c1_text
    assert "その要件をすべて満たした時点で授与されます" not in c1_text
    c2_text = page.select_one("#gap-c2").get_text(" ", strip=True)
    assert "を証明する認定はまだ定められていません" not in c2_text
