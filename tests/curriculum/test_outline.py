"""A course's outline (curriculum/outline.py): the modules, lessons, programme and competencies
every reader sees, cached under that course's own generation. The course page and its lessons
read it without touching the page tree; a change in the course shows at once; a vote, an answer
or a change in another course leaves it cached."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import generations
from curriculum import outline
from curriculum.models import Competency, CoursePage, LessonPage
from knowledge import posting
from knowledge.models import Answer, Question, Visibility
from tests.factories import (
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def course_token(course) -> str:
    return generations.current(outline.scopes_of(course.pk))


def lesson_titles(client, course) -> list[str]:
    response = client.get(course.url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return [a.get_text() for a in soup.select(".lesson-list a")]


def test_the_outline_is_the_course_in_reading_order(course):
    built = outline.build(course)
    assert built.programme.title == "CIO育成プログラム"
    assert [m.title for m, _lessons in built.modules] == ["DX推進計画", "推進体制"]
    assert [lesson.title for lesson in built.lessons] == [
        "7つの重点取組",
        "全体手順書",
        "参考: 他団体の体制",
    ]
    assert built.required_minutes == 45  # the optional lesson does not count
    assert [level.competency.code for level in built.competency_levels] == ["C1"]
    # Titles and links only: the lessons' content is never read for the outline.
    assert all("body" in lesson.get_deferred_fields() for lesson in built.lessons)


def test_a_course_page_read_again_takes_fewer_queries(client, course):
    with CaptureQueriesContext(connection) as first:
        assert lesson_titles(client, course)
    with CaptureQueriesContext(connection) as second:
        titles = lesson_titles(client, course)
    assert titles == ["7つの重点取組", "全体手順書", "参考: 他団体の体制"]
    # Programme, modules, lessons and competencies come from the cache the second time.
    assert len(second) <= len(first) - 4


def test_a_lesson_reads_its_neighbours_from_the_outline(client, course):
    middle = LessonPage.objects.get(slug="steps")
    client.get(middle.url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(middle.url)
    soup = BeautifulSoup(response.content, "html.parser")
    links = {a.get_text(strip=True) for a in soup.select("a")}
    assert "7つの重点取組" in " ".join(links) and "参考: 他団体の体制" in " ".join(links)
    # No query lists the course's lessons (a LIKE on their paths): the outline has them.
    assert not any('"curriculum_lessonpage"' in q["sql"] and "LIKE" in q["sql"] for q in queries)


def test_a_lesson_published_in_the_course_shows_at_once(client, course):
    lesson_titles(client, course)
    module = course.get_children().first()
    LessonPageFactory(parent=module, title="新しいレッスン", slug="new")
    assert "新しいレッスン" in lesson_titles(client, course)


def test_a_lesson_unpublished_disappears_at_once(client, course):
    lesson_titles(client, course)
    LessonPage.objects.get(slug="steps").unpublish()
    assert "全体手順書" not in lesson_titles(client, course)


def test_a_lesson_moved_to_another_course_leaves_the_first_at_once(client, course):
    other = CoursePageFactory(parent=course.get_parent(), title="別のコース", slug="other")
    target = ModulePageFactory(parent=other, title="移動先", slug="target")
    lesson_titles(client, course)
    lesson_titles(client, other)
    LessonPage.objects.get(slug="steps").move(target, pos="last-child")
    assert "全体手順書" not in lesson_titles(client, course)
    assert lesson_titles(client, other) == ["全体手順書"]


def test_a_competency_renamed_shows_at_once(client, course):
    client.get(course.url)
    competency = Competency.objects.get(code="C1")
    competency.name_ja = "DX戦略の立案"
    competency.save()
    assert "DX戦略の立案" in client.get(course.url).content.decode()


def test_votes_answers_and_other_courses_leave_the_outline_cached(course):
    token = course_token(course)
    member = UserFactory()
    question = posting.ask(member, title="RPAの導入手順", body="手順を教えてください。")
    # New members' posts wait for review; these two have passed it.
    Question.objects.filter(pk=question.pk).update(visibility=Visibility.PUBLISHED)
    question.refresh_from_db()
    reply = posting.answer(UserFactory(), question, body="業務の棚卸しからです。")
    Answer.objects.filter(pk=reply.pk).update(visibility=Visibility.PUBLISHED)
    reply.refresh_from_db()
    posting.vote(member, reply, 1)
    other = CoursePageFactory(parent=course.get_parent(), title="別のコース", slug="other")
    ModulePageFactory(parent=other, title="別のモジュール", slug="m")
    assert course_token(course) == token
    # What happens in the course replaces it.
    LessonPageFactory(parent=course.get_children().first(), slug="added")
    assert course_token(course) != token


def test_publishing_the_programme_reaches_its_courses(course):
    token = course_token(course)
    programme = course.get_parent().specific
    programme.title = "CIO育成プログラム（改訂）"
    programme.save_revision().publish()
    assert course_token(course) != token
    assert outline.outline_of(CoursePage.objects.get(pk=course.pk)).programme.title == (
        "CIO育成プログラム（改訂）"
    )
