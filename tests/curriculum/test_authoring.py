"""Admins author the curriculum in the Wagtail admin."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from curriculum.models import LessonPage, ModulePage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True))
    return client


def test_an_admin_adds_a_lesson_and_learners_see_it_live(admin_client, client, course):
    module = ModulePage.objects.child_of(course).first()
    add_url = reverse("wagtailadmin_pages:add", args=("curriculum", "lessonpage", module.pk))
    assert admin_client.get(add_url).status_code == 200  # every lesson block renders its form
    data = nested_form_data(
        {
            "title": "窓口の待ち時間を測る",
            "slug": "waiting-time",
            "estimated_minutes": 15,
            "required": "on",
            "body": streamfield(
                [
                    ("markdown", "## 測り方\n\n受付から交付までの時間を**10件**記録します。"),
                    (
                        "callout",
                        {
                            "kind": "tip",
                            "title": "",
                            "text": rich_text("<p>平日と月曜で分けます。</p>"),
                        },
                    ),
                    ("reflection", {"prompt": "自団体で一番待つ手続は何ですか", "hint": ""}),
                    ("code", {"language": "sql", "caption": "", "code": "SELECT 1;"}),
                ]
            ),
            "action-publish": "publish",
        }
    )
    response = admin_client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lesson = LessonPage.objects.get(slug="waiting-time")
    assert lesson.live
    html = client.get(lesson.url).content.decode()
    assert "<strong>10件</strong>" in html
    assert "自団体で一番待つ手続は何ですか" in html
    assert "窓口の待ち時間を測る" in client.get(course.url).content.decode()


def test_course_edit_form_renders_with_its_panels(admin_client, course):
    url = reverse("wagtailadmin_pages:edit", args=(course.pk,))
    html = admin_client.get(url).content.decode()
    assert "身につくコンピテンシー" in html and "前提コース" in html
