"""Enrolment, completion, progress, prerequisites and the learner's dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum import progress as learning
from curriculum.models import CoursePage, Enrolment, LessonCompletion, LessonPage, ModulePage
from curriculum.signals import course_completed
from tests.factories import (
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return UserFactory(email="learner@example.jp")


@pytest.fixture
def completions():
    received = []

    def receiver(sender, user, course, enrolment, **kwargs):
        received.append((user.pk, course.pk))

    course_completed.connect(receiver)
    yield received
    course_completed.disconnect(receiver)


def lesson(slug):
    return LessonPage.objects.get(slug=slug)


def test_progress_counts_required_lessons_only(course, learner, completions):
    learning.enrol(learner, course)
    assert learning.progress(learner, course) == learning.Progress(0, 2)
    learning.complete_lesson(learner, lesson("reading"))  # optional: does not count
    assert learning.progress(learner, course) == learning.Progress(0, 2)
    learning.complete_lesson(learner, lesson("seven"))
    assert learning.progress(learner, course).percent == 50
    assert completions == []
    _enrolment, completed_now = learning.complete_lesson(learner, lesson("steps"))
    assert completed_now
    assert learning.progress(learner, course).complete
    assert completions == [(learner.pk, course.pk)]
    # Done again, or another lesson after: the course completes once.
    assert learning.complete_lesson(learner, lesson("steps"))[1] is False
    assert completions == [(learner.pk, course.pk)]
    assert LessonCompletion.objects.filter(user=learner).count() == 3


def test_an_unpublished_lesson_leaves_the_count(course, learner):
    learning.enrol(learner, course)
    lesson("steps").unpublish()
    assert learning.progress(learner, course) == learning.Progress(0, 1)


def test_lessons_are_recorded_only_for_enrolled_learners(course, learner):
    with pytest.raises(learning.NotEnrolled):
        learning.complete_lesson(learner, lesson("seven"))
    assert not LessonCompletion.objects.exists()


def test_prerequisites_lock_a_course_until_completed(course, learner):
    advanced = CoursePageFactory(parent=course.get_parent(), title="CIOリーダーシップ", slug="k8")
    module = ModulePageFactory(parent=advanced, slug="m1")
    LessonPageFactory(parent=module, slug="only")
    advanced.prerequisites.set([course])
    advanced.save_revision().publish()

    with pytest.raises(learning.CourseLocked) as locked:
        learning.enrol(learner, advanced)
    assert [c.pk for c in locked.value.missing] == [course.pk]

    learning.enrol(learner, course)
    for slug in ("seven", "steps"):
        learning.complete_lesson(learner, lesson(slug))
    assert learning.enrol(learner, advanced).course_id == advanced.pk


def test_locked_course_page_says_why_and_links_to_what_unlocks_it(client, course, learner):
    advanced = CoursePageFactory(parent=course.get_parent(), title="CIOリーダーシップ", slug="k8")
    advanced.prerequisites.set([course])
    advanced.save_revision().publish()
    client.force_login(learner)
    html = client.get(advanced.url).content.decode()
    assert "このコースはまだ受講できません" in html
    assert f'href="{course.url}"' in html
    response = client.post(reverse("curriculum:enrol", args=[advanced.pk]), follow=True)
    assert not Enrolment.objects.filter(course=advanced).exists()
    assert "先に次のコースを修了してください" in response.content.decode()


def test_enrol_and_complete_through_the_pages(client, course, learner, completions):
    enrol_url = reverse("curriculum:enrol", args=[course.pk])
    assert client.post(enrol_url).status_code == 302  # to the login page
    assert not Enrolment.objects.exists()

    client.force_login(learner)
    assert client.get(enrol_url).status_code == 405
    html = client.post(enrol_url, follow=True).content.decode()
    assert "受講登録しました" in html
    assert "0 / 2" in html or "必須レッスン 2 件中 0 件" in html

    response = client.post(reverse("curriculum:complete_lesson", args=[lesson("seven").pk]))
    assert response.url == lesson("steps").url  # on to the next lesson
    response = client.post(reverse("curriculum:complete_lesson", args=[lesson("steps").pk]))
    assert response.url == course.url  # the last required lesson: back to the course, completed
    assert completions == [(learner.pk, course.pk)]
    html = client.get(course.url).content.decode()
    assert "修了しました" in html
    assert 'value="100"' in html


def test_completing_without_enrolment_is_refused(client, course, learner):
    client.force_login(learner)
    response = client.post(
        reverse("curriculum:complete_lesson", args=[lesson("seven").pk]), follow=True
    )
    assert "進捗を記録するには" in response.content.decode()
    assert not LessonCompletion.objects.exists()


def test_the_lesson_opened_last_is_where_the_learner_resumes(client, course, learner):
    learning.enrol(learner, course)
    client.force_login(learner)
    client.get(lesson("steps").url)
    assert Enrolment.objects.get().last_lesson.slug == "steps"
    html = client.get(reverse("curriculum:dashboard")).content.decode()
    assert "続きから" in html and lesson("steps").url in html
    assert "次のレッスン" in html and lesson("seven").url in html  # the first one not done


def test_english_pages_record_against_the_same_course(client, course, learner):
    from wagtail.models import Locale

    from core.translation import ensure_translation

    english = Locale.objects.get(language_code="en")
    programme = course.get_parent()
    ensure_translation(programme.get_parent(), english, {"title": "Courses"})
    ensure_translation(programme, english, {"title": "CIO programme"})
    course_en = ensure_translation(course, english, {"title": "DX and governance"})
    module = ModulePage.objects.child_of(course).first()
    module_en = ensure_translation(module, english, {"title": "The plan"})
    lesson_en = ensure_translation(lesson("seven"), english, {"title": "Seven priorities"})
    assert module_en and course_en
    client.force_login(learner)
    client.post(reverse("curriculum:enrol", args=[course_en.pk]))
    assert Enrolment.objects.get().course_id == course.pk
    client.post(reverse("curriculum:complete_lesson", args=[lesson_en.pk]))
    assert learning.progress(learner, course) == learning.Progress(1, 2)


def test_dashboard_shows_only_the_learners_own_learning(client, course, learner):
    other = UserFactory(email="other@example.jp")
    learning.enrol(other, course)
    learning.complete_lesson(other, lesson("seven"))
    client.force_login(learner)
    html = client.get(reverse("curriculum:dashboard")).content.decode()
    assert "自治体DXとガバナンス" not in html
    assert "まだ受講登録したコースはありません" in html


def test_dashboard_recommends_courses_for_the_target_role(client, course, learner):
    role = course.target_roles.get()
    learner.profile.target_role = role
    learner.profile.save()
    client.force_login(learner)
    html = client.get(reverse("curriculum:dashboard")).content.decode()
    assert "自治体DXとガバナンス" in html  # recommended, not yet enrolled
    learning.enrol(learner, course)
    html = client.get(reverse("curriculum:dashboard")).content.decode()
    assert "この役割のコースはすべて受講登録済みです" in html


def dashboard_queries(client):
    client.get(reverse("curriculum:dashboard"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("curriculum:dashboard")).status_code == 200
    return len(queries.captured_queries)


def test_dashboard_queries_are_the_same_for_10_and_100_enrolments(
    client, course, learner, settings
):
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    learner.profile.target_role = RoleFactory(code="R2")
    learner.profile.save()
    client.force_login(learner)
    programme = course.get_parent()

    def enrol_in_more(count, start):
        for n in range(start, start + count):
            extra = CoursePageFactory(parent=programme, slug=f"extra-{n}")
            LessonPageFactory(parent=ModulePageFactory(parent=extra, slug="m"), slug="l")
            learning.enrol(learner, CoursePage.objects.get(pk=extra.pk))
            learning.complete_lesson(learner, LessonPage.objects.descendant_of(extra).get())

    enrol_in_more(10, 0)
    ten = dashboard_queries(client)
    enrol_in_more(90, 10)
    assert Enrolment.objects.filter(user=learner).count() == 100
    assert dashboard_queries(client) == ten


def test_view_restrictions_apply_to_enrolling_and_recording(client, course, learner):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="県職員のみ"))
    client.force_login(learner)
    assert client.post(reverse("curriculum:enrol", args=[course.pk])).status_code == 404
    assert not Enrolment.objects.exists()
    # Enrolled before the restriction came: the lessons below it are closed too.
    learning.enrol(learner, course)
    lesson_url = reverse("curriculum:complete_lesson", args=[lesson("seven").pk])
    assert client.post(lesson_url).status_code == 404
    assert not LessonCompletion.objects.exists()


def test_progress_and_next_lessons_together_say_what_each_says_alone(course, learner):
    other = CoursePageFactory(parent=course.get_parent(), slug="k2")
    module = ModulePageFactory(parent=other, slug="k2-m")
    LessonPageFactory(parent=module, slug="k2-a")
    LessonPageFactory(parent=module, slug="k2-b", required=False)
    for page in (course, other):
        learning.enrol(learner, page)
    learning.complete_lesson(learner, lesson("seven"))
    learning.complete_lesson(learner, lesson("k2-a"))
    courses = [course, other]
    with CaptureQueriesContext(connection) as queries:
        progress, following = learning.progress_and_next_lessons(learner, courses)
    assert len(queries) == 2
    assert progress == learning.progress_by_course(learner, courses)
    assert following == {c.pk: learning.next_lesson(learner, c) for c in courses}
    assert progress[course.pk] == learning.Progress(1, 2)
    assert following[course.pk].slug == "steps" and following[other.pk].slug == "k2-b"
    assert learning.progress_and_next_lessons(learner, []) == ({}, {})
