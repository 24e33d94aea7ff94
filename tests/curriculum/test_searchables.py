"""Courses and lessons in the site search, as their own types."""

import pytest

from curriculum.models import LessonPage
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get("/search/", {"format": "json", **params}).json()


def test_courses_and_lessons_are_found_as_their_own_types(client, course):
    lesson = LessonPage.objects.get(slug="seven")
    lesson.body = [
        {
            "type": "markdown",
            "value": "自治体DX推進計画の重点取組として**フロントヤード改革**がある。",
        }
    ]
    lesson.save_revision().publish()

    data = search(client, q="ガバナンス")
    assert [(r["type"], r["url"]) for r in data["results"]] == [("course", course.url)]
    assert data["results"][0]["title"] == "K1 自治体DXとガバナンス"

    data = search(client, q="ふろんとやーど")  # hiragana for a katakana compound
    assert [(r["type"], r["url"]) for r in data["results"]] == [("lesson", lesson.url)]
    assert {"value": "lesson", "label": "レッスン", "count": 1} in data["facets"]["type"]


def test_course_topics_feed_the_topic_facet(client, course):
    topic = TopicFactory(slug="bpr", name_ja="BPR", name_en="BPR")
    course.topics.set([topic])
    course.save_revision().publish()
    data = search(client, q="ガバナンス")
    assert {"value": "bpr", "label": "BPR", "count": 1} in data["facets"]["topic"]
    assert [r["type"] for r in search(client, q="ガバナンス", topic="bpr")["results"]] == ["course"]
