"""The learning reports' CSV downloads write a lesson title that looks like a formula as text
(issue 19, item 12)."""

import csv
import io

import pytest
from django.urls import reverse

from curriculum.models import LessonPage

from .test_reports import staff  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_lesson_titled_like_a_formula_is_text_in_the_csv(client, course, staff):  # noqa: F811
    lesson = LessonPage.objects.get(slug="seven")
    lesson.title = '=HYPERLINK("http://attacker.example/","開く")'
    lesson.save_revision().publish()
    client.force_login(staff)
    url = reverse("learning_report", args=[course.pk])
    response = client.get(url, {"format": "csv", "table": "lessons"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    labels = [row[0] for row in rows[1:]]
    assert "'" + lesson.title in labels
    assert lesson.title not in labels
