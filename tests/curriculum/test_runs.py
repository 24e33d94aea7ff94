"""Course runs (curriculum/runs.py): joining within the window and the area, capacity, enrolling a
municipality or a prefecture, invitations, deadlines, who sees the learners, the learner list."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum import progress as learning
from curriculum import quizzes, runs
from curriculum.credentials import awarding
from curriculum.credentials.models import OrganisationReporter
from curriculum.models import (
    Attendance,
    CourseRun,
    Enrolment,
    LessonPage,
    Quiz,
    QuizItem,
    QuizQuestion,
)
from tests.factories import (
    CoursePageFactory,
    CourseRunFactory,
    CredentialDefinitionFactory,
    CredentialRuleFactory,
    LiveSessionFactory,
)

pytestmark = pytest.mark.django_db


def lessons(course):
    return {lesson.slug: lesson for lesson in LessonPage.objects.descendant_of(course)}


# Joining ----------------------------------------------------------------------------------------


def test_a_member_of_the_prefecture_joins_within_the_window(prefecture_run, hiroshima, member):
    learner = member("fuchu@example.jp", hiroshima["fuchu"])
    enrolment = runs.join(learner, prefecture_run)
    assert (enrolment.run, enrolment.source) == (prefecture_run, Enrolment.Source.SELF)
    assert runs.join(learner, prefecture_run) == enrolment  # twice changes nothing
    assert Enrolment.objects.count() == 1


def test_self_paced_progress_joins_the_run(prefecture_run, hiroshima, member, course):
    learner = member("fuchu@example.jp", hiroshima["fuchu"])
    learning.enrol(learner, course)
    learning.complete_lesson(learner, lessons(course)["seven"])
    enrolment = runs.join(learner, prefecture_run)
    assert enrolment.run == prefecture_run
    assert learning.progress(learner, course).done == 1
    assert Enrolment.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize(
    ("opens", "closes"),
    [(1, 5), (-10, -1)],
    ids=["not yet open", "closed"],
)
def test_joining_outside_the_window_is_refused(course, hiroshima, member, opens, closes):
    today = runs.today()
    run = CourseRunFactory(
        course=course,
        owner=hiroshima["government"],
        enrolment_opens=today + timedelta(days=opens),
        enrolment_closes=today + timedelta(days=closes),
    )
    with pytest.raises(runs.EnrolmentClosed):
        runs.join(member("a@example.jp", hiroshima["fuchu"]), run)
    assert not Enrolment.objects.exists()


def test_the_window_includes_its_first_and_last_day(course, hiroshima, member):
    today = runs.today()
    run = CourseRunFactory(
        course=course, owner=hiroshima["government"], enrolment_opens=today, enrolment_closes=today
    )
    assert runs.is_open(run)
    assert not runs.is_open(run, today + timedelta(days=1))
    assert not runs.is_open(run, today - timedelta(days=1))


def test_a_run_without_self_enrolment_takes_invitations_only(course, hiroshima, member):
    run = CourseRunFactory(course=course, owner=hiroshima["government"], self_enrolment=False)
    learner = member("a@example.jp", hiroshima["fuchu"])
    with pytest.raises(runs.EnrolmentClosed):
        runs.join(learner, run)
    assert runs.invite(run, [learner.email]).enrolled == 1


@pytest.mark.parametrize(
    ("owner", "place", "allowed"),
    [
        ("government", "fuchu", True),
        ("government", "ward", True),
        ("government", "government", True),
        ("government", "suita", False),
        ("government", None, False),
        ("city", "ward", True),  # a designated city's run includes its wards
        ("city", "city", True),
        ("city", "fuchu", False),
        (None, "suita", True),  # an academy's run: the whole country
        (None, None, True),
    ],
)
def test_members_join_runs_of_their_area_only(course, hiroshima, member, owner, place, allowed):
    run = CourseRunFactory(
        course=course,
        owner=hiroshima[owner] if owner else None,
        owner_name="" if owner else "自治大学校",
    )
    learner = member("a@example.jp", hiroshima[place] if place else None)
    if allowed:
        assert runs.join(learner, run).run == run
    else:
        with pytest.raises(runs.NotInScope):
            runs.join(learner, run)


def test_the_last_place_goes_once(course, hiroshima, member):
    run = CourseRunFactory(course=course, owner=hiroshima["government"], capacity=2)
    first, second, third = (member(f"{n}@example.jp", hiroshima["fuchu"]) for n in "abc")
    runs.join(first, run)
    assert runs.places_left(run) == 1
    runs.join(second, run)
    with pytest.raises(runs.RunFull) as full:
        runs.join(third, run)
    assert (full.value.capacity, full.value.taken, full.value.left) == (2, 2, 0)
    assert runs.places_left(run) == 0
    assert not Enrolment.objects.filter(user=third).exists()


def test_one_run_per_course(prefecture_run, course, hiroshima, member):
    other = CourseRunFactory(course=course, owner=hiroshima["government"], title="第2期")
    learner = member("a@example.jp", hiroshima["fuchu"])
    runs.join(learner, prefecture_run)
    with pytest.raises(runs.InAnotherRun) as caught:
        runs.join(learner, other)
    assert caught.value.run == prefecture_run
    assert Enrolment.objects.get(user=learner).run == prefecture_run


def test_prerequisites_hold_for_joining(prefecture_run, course, hiroshima, member):
    advanced = CoursePageFactory(parent=course.get_parent(), slug="k8", code="K8")
    advanced.prerequisites.set([course])
    advanced.save()
    run = CourseRunFactory(course=advanced, owner=hiroshima["government"])
    learner = member("a@example.jp", hiroshima["fuchu"])
    with pytest.raises(learning.CourseLocked):
        runs.join(learner, run)
    # Staff decide: an invitation does not ask for them.
    assert runs.invite(run, [learner.email]).enrolled == 1


# Staff enrolment ---------------------------------------------------------------------------------


def test_enrolling_a_municipality_takes_its_active_members_and_wards(course, hiroshima, member):
    run = CourseRunFactory(course=course, owner=hiroshima["government"])
    in_city = member("city@example.jp", hiroshima["city"])
    in_ward = member("ward@example.jp", hiroshima["ward"])
    member("gone@example.jp", hiroshima["city"], is_active=False)
    member("fuchu@example.jp", hiroshima["fuchu"])
    outcome = runs.enrol_municipality(run, hiroshima["city"])
    assert outcome.enrolled == 2
    assert set(Enrolment.objects.filter(run=run).values_list("user", flat=True)) == {
        in_city.pk,
        in_ward.pk,
    }
    assert set(Enrolment.objects.values_list("source", flat=True)) == {Enrolment.Source.ADMIN}


def test_the_prefectural_government_is_its_own_staff_and_the_prefecture_is_everyone(
    prefecture_run, hiroshima, member
):
    government = member("ken@example.jp", hiroshima["government"])
    town = member("fuchu@example.jp", hiroshima["fuchu"])
    member("suita@example.jp", hiroshima["suita"])
    assert runs.enrol_municipality(prefecture_run, hiroshima["government"]).enrolled == 1
    assert Enrolment.objects.get().user == government
    outcome = runs.enrol_municipality(prefecture_run, hiroshima["prefecture"])
    assert (outcome.enrolled, outcome.already) == (1, 1)
    assert set(Enrolment.objects.values_list("user", flat=True)) == {government.pk, town.pk}


def test_areas_outside_the_run_are_refused(prefecture_run, course, hiroshima, member):
    member("suita@example.jp", hiroshima["suita"])
    with pytest.raises(runs.NotInScope):
        runs.enrol_municipality(prefecture_run, hiroshima["suita"])
    with pytest.raises(runs.NotInScope):
        runs.enrol_municipality(prefecture_run, hiroshima["osaka"])
    town_run = CourseRunFactory(course=course, owner=hiroshima["fuchu"], title="府中町 研修")
    with pytest.raises(runs.NotInScope):
        runs.enrol_municipality(town_run, hiroshima["prefecture"])
    assert not Enrolment.objects.exists()


def test_staff_enrolment_is_all_or_nothing_against_capacity(course, hiroshima, member):
    run = CourseRunFactory(course=course, owner=hiroshima["government"], capacity=2)
    for n in range(3):
        member(f"{n}@example.jp", hiroshima["fuchu"])
    with pytest.raises(runs.RunFull) as full:
        runs.enrol_municipality(run, hiroshima["fuchu"])
    assert (full.value.wanted, full.value.left) == (3, 2)
    assert not Enrolment.objects.exists()


def test_invitations_report_unknown_addresses_and_keep_other_runs(
    prefecture_run, course, hiroshima, member
):
    other = CourseRunFactory(course=course, owner=hiroshima["government"], title="第2期")
    self_paced = member("self@example.jp", hiroshima["fuchu"])
    learning.enrol(self_paced, course)
    elsewhere = member("elsewhere@example.jp", hiroshima["fuchu"])
    runs.join(elsewhere, other)
    outsider = member("suita@example.jp", hiroshima["suita"])  # an invitation reaches anyone
    outcome = runs.invite(
        prefecture_run,
        [self_paced.email, elsewhere.email, outsider.email, "nobody@example.jp"],
    )
    assert (outcome.enrolled, outcome.joined, outcome.in_other_run) == (2, 1, 1)
    assert outcome.unknown == ["nobody@example.jp"]
    assert Enrolment.objects.get(user=elsewhere).run == other
    assert Enrolment.objects.get(user=self_paced).run == prefecture_run
    again = runs.invite(prefecture_run, [outsider.email])
    assert (again.enrolled, again.already) == (0, 1)


def test_only_staff_who_may_enrol_do(prefecture_run, hiroshima, member):
    nobody = member("nobody@example.jp", hiroshima["fuchu"])
    with pytest.raises(runs.NotAllowed):
        runs.enrol_municipality(prefecture_run, hiroshima["fuchu"], by=nobody)
    with pytest.raises(runs.NotAllowed):
        runs.invite(prefecture_run, ["a@example.jp"], by=nobody)


# Deadlines ----------------------------------------------------------------------------------------


def test_deadlines_overdue_and_the_order_of_work(course, hiroshima, member):
    learner = member("a@example.jp", hiroshima["fuchu"])
    today = runs.today()
    later = CoursePageFactory(parent=course.get_parent(), slug="later", code="K2")
    past = CoursePageFactory(parent=course.get_parent(), slug="past", code="K3")
    self_paced = CoursePageFactory(parent=course.get_parent(), slug="self", code="K4")
    done = CoursePageFactory(parent=course.get_parent(), slug="done", code="K5")
    for page, days in ((course, 5), (later, 30), (past, -2), (done, 1)):
        run = CourseRunFactory(
            course=page,
            owner=hiroshima["government"],
            enrolment_opens=today - timedelta(days=60),
            starts_on=today - timedelta(days=60),
            deadline=today + timedelta(days=days),
            enrolment_closes=min(today, today + timedelta(days=days)),
        )
        runs.invite(run, [learner.email])
    learning.enrol(learner, self_paced)
    Enrolment.objects.filter(course=done).update(completed_at=timezone.now())
    enrolments = list(Enrolment.objects.filter(user=learner).select_related("run"))
    ordered = [e.course.code for e in runs.by_deadline(enrolments)]
    assert ordered == ["K3", "K1", "K2", "K4", "K5"]
    by_code = {e.course.code: e for e in enrolments}
    assert runs.is_overdue(by_code["K3"])
    assert not runs.is_overdue(by_code["K1"])
    assert not runs.is_overdue(by_code["K5"], today + timedelta(days=9))  # completed
    assert runs.deadline_for(by_code["K4"]) is None
    assert runs.days_left(by_code["K1"]) == 5
    assert runs.days_left(by_code["K3"]) == -2
    # The deadline day itself is not overdue; the day after is.
    assert not runs.is_overdue(by_code["K1"], today + timedelta(days=5))
    assert runs.is_overdue(by_code["K1"], today + timedelta(days=6))
    assert [e.course.code for e in runs.upcoming_deadlines(learner)] == ["K3", "K1", "K2"]


def test_run_dates_are_checked(course, hiroshima):
    today = runs.today()
    run = CourseRun(
        course=course,
        title="順序の誤り",
        enrolment_opens=today,
        enrolment_closes=today - timedelta(days=1),
        starts_on=today,
        deadline=today - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as caught:
        run.full_clean()
    assert {"enrolment_closes", "deadline", "owner_name"} <= set(caught.value.message_dict)


def test_a_run_is_of_the_japanese_course(course, hiroshima, locales):
    english = course.copy_for_translation(locales[1], copy_parents=True)
    run = CourseRunFactory.build(course=english, owner=hiroshima["government"])
    run.full_clean()
    assert run.course.pk == course.pk


def test_meeting_links_are_https_only(prefecture_run):
    session = LiveSessionFactory.build(run=prefecture_run, meeting_url="http://meet.example.jp/x")
    with pytest.raises(ValidationError) as caught:
        session.full_clean()
    assert "meeting_url" in caught.value.message_dict
    session.meeting_url = "javascript:alert(1)"
    with pytest.raises(ValidationError):
        session.full_clean()
    session.meeting_url = "https://meet.example.jp/x"
    session.full_clean()


# Who sees the learners ----------------------------------------------------------------------------


def staff(member, email, organisation, *codenames):
    user = member(email, organisation)
    group, _created = Group.objects.get_or_create(name=f"runs {'-'.join(codenames)}")
    group.permissions.set(
        Permission.objects.filter(codename__in=["access_admin", *codenames]).distinct()
    )
    user.groups.add(group)
    if organisation is not None:
        OrganisationReporter.objects.create(user=user, municipality=organisation)
    return user


@pytest.fixture
def people(member, hiroshima):
    return {
        "prefecture": staff(
            member, "ken@example.jp", hiroshima["government"], "view_organisation_report"
        ),
        "prefecture_enrols": staff(
            member,
            "ken2@example.jp",
            hiroshima["government"],
            "view_organisation_report",
            "add_enrolment",
        ),
        "town": staff(member, "fuchu@example.jp", hiroshima["fuchu"], "view_organisation_report"),
        "osaka": staff(member, "suita@example.jp", hiroshima["suita"], "view_organisation_report"),
        "national": staff(member, "all@example.jp", None, "view_enrolment"),
        "facilitator": staff(member, "lecturer@example.jp", None),
        "member": member("plain@example.jp", hiroshima["fuchu"]),
    }


def test_access_follows_the_organisation_scope(prefecture_run, people, hiroshima):
    prefecture_run.facilitators.add(people["facilitator"])
    granted = {name: runs.access(user, prefecture_run) for name, user in people.items()}
    assert granted["prefecture"] == runs.RunAccess()
    assert granted["prefecture_enrols"] == runs.RunAccess(enrol=True, attendance=True)
    assert granted["national"] == runs.RunAccess()
    assert granted["facilitator"] == runs.RunAccess(attendance=True)
    # A town's staff see their own town's learners in their prefecture's run.
    assert granted["town"] == runs.RunAccess(within=hiroshima["fuchu"])
    assert granted["osaka"] is None
    assert granted["member"] is None


def test_a_town_s_run_is_not_the_prefecture_s_business_the_other_way(course, people, hiroshima):
    town_run = CourseRunFactory(course=course, owner=hiroshima["fuchu"], title="府中町 研修")
    assert runs.access(people["town"], town_run) == runs.RunAccess()
    assert runs.access(people["prefecture"], town_run) == runs.RunAccess()  # covers its towns
    assert runs.access(people["osaka"], town_run) is None


def test_in_an_academy_s_run_a_prefecture_sees_its_municipalities_learners(
    course, people, hiroshima, member
):
    academy = CourseRunFactory(course=course, owner=None, owner_name="自治大学校")
    learners = {
        name: member(f"{name}@example.jp", hiroshima[name]) for name in ("fuchu", "city", "suita")
    }
    runs.invite(academy, [user.email for user in learners.values()])
    granted = runs.access(people["prefecture"], academy)
    assert granted == runs.RunAccess(within=hiroshima["prefecture"])
    found = runs.learner_list(academy, within=granted.within)
    assert {row.user.email for row in found.rows} == {"fuchu@example.jp", "city@example.jp"}
    assert {m.name for m in found.municipalities} == {"府中町", "広島市"}
    town = runs.access(people["town"], academy)
    assert [r.user for r in runs.learner_list(academy, within=town.within).rows] == [
        learners["fuchu"]
    ]
    assert runs.access(people["national"], academy) == runs.RunAccess()


def test_visible_runs_agree_with_access(course, people, hiroshima):
    CourseRunFactory(course=course, owner=hiroshima["government"], title="県")
    CourseRunFactory(course=course, owner=hiroshima["fuchu"], title="町")
    CourseRunFactory(course=course, owner=hiroshima["city"], title="市")
    CourseRunFactory(course=course, owner=hiroshima["suita"], title="吹田")
    CourseRunFactory(course=course, owner=None, owner_name="自治大学校", title="大学校")
    facilitated = CourseRunFactory(course=course, owner=hiroshima["suita"], title="講師")
    facilitated.facilitators.add(people["facilitator"])
    for name, user in people.items():
        visible = set(runs.visible_runs(user).values_list("title", flat=True))
        expected = {
            run.title for run in CourseRun.objects.all() if runs.access(user, run) is not None
        }
        assert visible == expected, name
    assert set(runs.visible_runs(people["town"]).values_list("title", flat=True)) == {
        "県",
        "町",
        "大学校",
    }


# The learner list ---------------------------------------------------------------------------------


def _quiz_on(lesson):
    question = QuizItem(kind="true_false", text="CIOは首長が任命する", true_false_answer=True)
    question.save()
    quiz = Quiz(title="確認テスト", pass_mark=100, shuffle=False, attempt_limit=5)
    quiz.quiz_questions = [QuizQuestion(question=question)]
    quiz.save()
    lesson.quiz = quiz
    lesson.save_revision().publish()
    return LessonPage.objects.get(pk=lesson.pk), question


def _answer(user, lesson, question, right):
    attempt = quizzes.start_attempt(user, lesson)
    data = QueryDict(mutable=True)
    data[quizzes.field_name(question.pk)] = "true" if right else "false"
    return quizzes.submit_attempt(attempt, data)


def test_the_learner_list_shows_progress_scores_completion_and_credentials(
    prefecture_run, course, hiroshima, member
):
    by_slug = lessons(course)
    quiz_lesson, question = _quiz_on(by_slug["steps"])
    definition = CredentialDefinitionFactory(name_ja="DXガバナンス修了")
    CredentialRuleFactory(definition=definition, kind="course", course=course)
    finisher = member("a@example.jp", hiroshima["fuchu"], name="府中 一郎")
    halfway = member("b@example.jp", hiroshima["city"], name="広島 二郎")
    idle = member("c@example.jp", hiroshima["fuchu"], name="府中 三郎")
    runs.invite(prefecture_run, [u.email for u in (finisher, halfway, idle)])
    for user in (finisher, halfway):
        learning.complete_lesson(user, by_slug["seven"])
    _answer(finisher, quiz_lesson, question, right=False)
    _answer(finisher, quiz_lesson, question, right=True)  # passes: completes the course
    _answer(halfway, quiz_lesson, question, right=False)
    session = LiveSessionFactory(run=prefecture_run)
    Attendance.objects.create(session=session, user=finisher, present=True)
    Attendance.objects.create(session=session, user=idle, present=False)

    found = runs.learner_list(prefecture_run)
    rows = {row.user.email: row for row in found.rows}
    assert [q.title for q in found.quizzes] == ["確認テスト"]
    assert found.sessions == 1
    first = rows["a@example.jp"]
    assert (first.status, first.progress.percent, first.scores) == ("completed", 100, [100])
    assert first.completed_at is not None
    assert first.award is not None and first.award.definition == definition
    assert first.attended == 1
    second = rows["b@example.jp"]
    assert (second.status, second.progress.done, second.progress.total) == ("in_progress", 1, 2)
    assert (second.scores, second.award, second.completed_at) == ([0], None, None)
    third = rows["c@example.jp"]
    assert (third.status, third.scores, third.attended) == ("not_started", [None], 0)
    # Ordered by municipality code (広島市 34100… before 府中町 34302…), then name.
    assert [row.name for row in found.rows] == ["広島 二郎", "府中 一郎", "府中 三郎"]
    assert found.counts == {"completed": 1, "in_progress": 1, "not_started": 1}
    assert {m.name for m in found.municipalities} == {"広島市", "府中町"}


def test_a_revoked_credential_is_not_shown(prefecture_run, course, hiroshima, member):
    definition = CredentialDefinitionFactory()
    learner = member("a@example.jp", hiroshima["fuchu"])
    runs.invite(prefecture_run, [learner.email])
    award = awarding.award_manually(learner, definition, awarded_by=None, reason="試験")
    CredentialRuleFactory(definition=definition, kind="course", course=course)
    assert runs.learner_list(prefecture_run).rows[0].award == award
    awarding.revoke(award, by=None, reason="誤り")
    assert runs.learner_list(prefecture_run).rows[0].award is None


def test_filters_by_municipality_and_status_and_marks_overdue(course, hiroshima, member):
    today = runs.today()
    run = CourseRunFactory(
        course=course,
        owner=hiroshima["government"],
        enrolment_opens=today - timedelta(days=30),
        enrolment_closes=today - timedelta(days=10),
        starts_on=today - timedelta(days=30),
        deadline=today - timedelta(days=1),
    )
    late = member("late@example.jp", hiroshima["fuchu"])
    done = member("done@example.jp", hiroshima["city"])
    runs.invite(run, [late.email, done.email])
    Enrolment.objects.filter(user=done).update(completed_at=timezone.now())
    found = runs.learner_list(run)
    assert {row.user.email: row.status for row in found.rows} == {
        "late@example.jp": "overdue",
        "done@example.jp": "completed",
    }
    assert [r.user for r in runs.learner_list(run, status="overdue").rows] == [late]
    assert [r.user for r in runs.learner_list(run, municipality=hiroshima["city"]).rows] == [done]
    assert [r.user for r in runs.completions(run).rows] == [done]
    # As seen on the deadline day, nobody was overdue yet.
    on_the_day = runs.learner_list(run, on=today - timedelta(days=1))
    assert {row.status for row in on_the_day.rows} == {"not_started", "completed"}


def test_the_learner_list_costs_the_same_queries_for_3_and_9_learners(
    prefecture_run, course, hiroshima, member
):
    by_slug = lessons(course)
    quiz_lesson, question = _quiz_on(by_slug["steps"])
    definition = CredentialDefinitionFactory()
    CredentialRuleFactory(definition=definition, kind="course", course=course)
    session = LiveSessionFactory(run=prefecture_run)
    places = [hiroshima["fuchu"], hiroshima["city"], hiroshima["ward"]]

    def add_learners(start, count):
        for n in range(start, start + count):
            user = member(f"learner{n}@example.jp", places[n % 3])
            runs.invite(prefecture_run, [user.email])
            learning.complete_lesson(user, by_slug["seven"])
            _answer(user, quiz_lesson, question, right=n % 2 == 0)
            Attendance.objects.create(session=session, user=user, present=True)

    def count():
        run = CourseRun.objects.select_related("course").get(pk=prefecture_run.pk)
        with CaptureQueriesContext(connection) as captured:
            found = runs.learner_list(run)
        return len(captured), len(found.rows)

    add_learners(0, 3)
    small = count()
    add_learners(3, 6)
    large = count()
    assert (small[1], large[1]) == (3, 9)
    assert small[0] == large[0]


# Attendance ---------------------------------------------------------------------------------------


def test_attendance_marks_learners_of_the_run_only(prefecture_run, hiroshima, member):
    learners = [member(f"{n}@example.jp", hiroshima["fuchu"]) for n in "ab"]
    outsider = member("out@example.jp", hiroshima["fuchu"])
    runs.invite(prefecture_run, [u.email for u in learners])
    session = LiveSessionFactory(run=prefecture_run)
    facilitator = member("lecturer@example.jp")
    present = runs.record_attendance(
        session, [str(learners[0].pk), str(outsider.pk), "x"], facilitator
    )
    assert present == 1
    marks = dict(Attendance.objects.values_list("user", "present"))
    assert marks == {learners[0].pk: True, learners[1].pk: False}
    runs.record_attendance(session, [str(learners[1].pk)], facilitator)
    marks = dict(Attendance.objects.values_list("user", "present"))
    assert marks == {learners[0].pk: False, learners[1].pk: True}
    assert Attendance.objects.get(user=learners[1]).recorded_by == facilitator
    assert [present for _e, present in runs.attendance_sheet(session)] == [False, True]
