"""The curriculum's page tree: which page goes where, and what each page shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from core.models import HomePage, StandardPage
from curriculum.models import (
    CourseCatalogPage,
    CoursePage,
    LessonPage,
    ModulePage,
    ProgrammePage,
)
from tests.factories import LessonPageFactory, ModulePageFactory

pytestmark = pytest.mark.django_db


class TestPageTypeRules(WagtailPageTestCase):
    def test_the_tree_runs_catalogue_programme_course_module_lesson(self):
        self.assertAllowedSubpageTypes(CourseCatalogPage, {ProgrammePage})
        self.assertAllowedSubpageTypes(ProgrammePage, {CoursePage})
        self.assertAllowedSubpageTypes(CoursePage, {ModulePage})
        self.assertAllowedSubpageTypes(ModulePage, {LessonPage})
        self.assertAllowedSubpageTypes(LessonPage, set())

    def test_each_type_lives_only_under_its_parent(self):
        self.assertAllowedParentPageTypes(CourseCatalogPage, {HomePage})
        self.assertAllowedParentPageTypes(ProgrammePage, {CourseCatalogPage})
        self.assertAllowedParentPageTypes(CoursePage, {ProgrammePage})
        self.assertAllowedParentPageTypes(ModulePage, {CoursePage})
        self.assertAllowedParentPageTypes(LessonPage, {ModulePage})
        self.assertCanNotCreateAt(StandardPage, LessonPage)
        self.assertCanNotCreateAt(Page, CoursePage)


def test_course_page_shows_what_it_builds_and_its_lessons_in_order(client, course):
    response = client.get(course.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "自治体DXとガバナンス" in html
    assert "自団体の推進体制の欠落を説明できる" in html  # an objective, one per line
    assert "CIO補佐官" in html  # target role
    assert "C1 DX戦略・計画立案" in html
    assert html.index("7つの重点取組") < html.index("全体手順書") < html.index("参考: 他団体の体制")
    assert "任意" in html  # the optional lesson is marked
    assert "45" in html  # minutes of the required lessons: 20 + 25


def count_queries(client, url):
    """Queries of a request after a first one has warmed the caches (site root paths and the
    like, which page creation clears)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def add_lessons(course, count, start):
    module = ModulePage.objects.child_of(course).first()
    for n in range(start, start + count):
        LessonPageFactory(parent=module, title=f"追加レッスン{n}", slug=f"extra-{n}")


@pytest.mark.parametrize("page", ["course", "lesson"])
def test_page_queries_are_the_same_for_10_and_100_lessons(client, course, settings, page):
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    url = course.url if page == "course" else LessonPage.objects.get(slug="steps").url
    add_lessons(course, 7, 0)  # 10 lessons
    ten = count_queries(client, url)
    add_lessons(course, 90, 7)  # 100 lessons
    assert LessonPage.objects.descendant_of(course).count() == 100
    assert count_queries(client, url) == ten


def test_lesson_page_sanitises_markdown_and_links_its_neighbours(client, course):
    module = ModulePage.objects.child_of(course).first()
    lesson = LessonPage.objects.child_of(module).get(slug="steps")
    lesson.body = [
        {
            "type": "markdown",
            "value": "# 手順\n\n<script>alert('x')</script>\n\n[危険](javascript:alert(1))",
        },
        {"type": "reflection", "value": {"prompt": "自団体のStep0は済んでいますか", "hint": ""}},
    ]
    lesson.save_revision().publish()
    html = client.get(lesson.url).content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "<h2>手順</h2>" in html  # the title is the page's only h1
    assert "自団体のStep0は済んでいますか" in html
    assert 'rel="prev"' in html and "7つの重点取組" in html
    assert 'rel="next"' in html and "参考: 他団体の体制" in html
    assert "全3回中 第2回" in html


def test_catalogue_lists_programmes_with_their_courses(client, course):
    catalogue = CourseCatalogPage.objects.get()
    html = client.get(catalogue.url).content.decode()
    assert "CIO育成プログラム" in html
    assert "自治体DXとガバナンス" in html


def test_a_new_module_appears_on_the_course_page(client, course):
    ModulePageFactory(parent=course, title="都道府県との連携", slug="module-3")
    assert "都道府県との連携" in client.get(course.url).content.decode()
