"""Small things a new user trips over in the curriculum (issue 18, item 10)."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import Locale

from core.translation import ensure_translation
from curriculum.demo import with_plain_sources, with_source_list
from curriculum.models import CoursePage, LessonPage, Quiz, QuizQuestion
from tests.curriculum.test_quizzes import bank, make_question  # noqa: F401
from tests.factories import (
    CoursePageFactory,
    MunicipalityFactory,
    PrefectureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True))
    return client


def test_a_pass_mark_of_100_reads_as_every_answer_right(client, course, bank):  # noqa: F811
    from curriculum import progress as learning

    quiz = Quiz(title="確認テスト", pass_mark=100, attempt_limit=2, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=q) for q in bank.values()]
    quiz.save()
    lesson = LessonPage.objects.get(slug="steps")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    learner = UserFactory()
    learning.enrol(learner, course)
    client.force_login(learner)
    attempt = client.post(reverse("curriculum:start_quiz", args=[lesson.pk])).url
    texts = [p.get_text() for p in soup(client.get(attempt)).select("article.quiz > p")]
    assert "全4問。全問正解で合格です。" in texts
    assert not any("100%" in text for text in texts)


def test_the_course_code_is_shown_once(client, course):
    CoursePage.objects.filter(pk=course.pk).update(title="K1 自治体DXとガバナンス")
    course.refresh_from_db()
    assert course.coded_title == "K1 自治体DXとガバナンス"
    heading = soup(client.get(course.url)).h1.get_text(" ", strip=True)
    assert heading == "K1 自治体DXとガバナンス"
    catalogue = soup(client.get(course.get_parent().get_parent().url)).get_text(" ")
    assert "K1 K1" not in catalogue


def test_course_form_lists_japanese_prerequisites_as_checkboxes(superuser_client, course):
    other = CoursePageFactory(parent=course.get_parent(), title="BPR", slug="k2", code="K2")
    locale_en = Locale.objects.get(language_code="en")
    programme = course.get_parent()
    ensure_translation(programme.get_parent(), locale_en, {"title": "Courses"})
    ensure_translation(programme, locale_en, {"title": "CIO programme"})
    english = ensure_translation(other, locale_en, {"title": "BPR"})
    page = soup(superuser_client.get(reverse("wagtailadmin_pages:edit", args=[course.pk])))
    boxes = page.select('input[type=checkbox][name="prerequisites"]')
    assert [box["value"] for box in boxes] == [str(other.pk)]
    assert str(english.pk) not in [box["value"] for box in boxes]
    for name in ("target_roles", "topics"):
        assert page.select(f'input[type=checkbox][name="{name}"]') or not page.select(
            f'select[name="{name}"]'
        )
        assert not page.select(f'select[multiple][name="{name}"]')
    assert not page.select('select[multiple][name="prerequisites"]')


def test_the_question_chooser_searches_the_bank(superuser_client, bank):  # noqa: F811
    url = reverse("wagtailsnippetchoosers_curriculum_quizitem:choose_results")
    results = soup(superuser_client.get(url, {"q": "重点取組"})).get_text(" ")
    assert "重点取組事項を2つ" in results
    assert "CIOに望ましいのは" not in results
    chooser = superuser_client.get(reverse("wagtailsnippetchoosers_curriculum_quizitem:choose"))
    assert 'name="q"' in chooser.json()["html"]


def test_bulk_enrolment_groups_municipalities_with_a_search_box(client, course):
    user = UserFactory(email="kenshu@example.jp")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_enrolment"),
    )
    client.force_login(user)
    tokyo = PrefectureFactory(code="13", name="東京都")
    shinjuku = MunicipalityFactory(prefecture=tokyo, name="新宿区", kana="しんじゅくく")
    page = soup(client.get(reverse("bulk_enrol")))
    select = page.select_one('select[name="municipality"]')
    assert select.has_attr("data-municipality-filter")
    assert select.select_one('optgroup[label="東京都"] option')["value"] == str(shinjuku.pk)
    assert page.select_one('script[src*="municipality-filter"]')


def test_lesson_text_has_no_editors_markers_and_lists_its_sources():
    text = with_source_list(
        "## 見直しの順番〔提案〕\n20業務になりました〔自治体の公表資料で確認〕[S48]。"
    )
    assert "〔" not in text and "[S48]" not in text
    assert "[［出典1］](https://xtech.nikkei.com/atcl/nxt/column/18/00001/07231/)" in text
    assert text.rstrip().splitlines()[-2:] == [
        "## 出典",
        "1. <https://xtech.nikkei.com/atcl/nxt/column/18/00001/07231/>"
        "（当初17業務の一覧: https://jpdebug.com/p/2578969）",
    ]
    assert with_plain_sources("当初は17業務でした[S48]") == (
        "当初は17業務でした（出典: https://xtech.nikkei.com/atcl/nxt/column/18/00001/07231/）"
    )


def test_demo_lessons_show_no_markers_or_bare_citations():
    """Every lesson, callout, reflection and quiz feedback of the demo curriculum as loaded."""
    import json
    import re

    from curriculum.demo import DEMO_CURRICULUM, lesson_page

    data = json.loads(DEMO_CURRICULUM.read_text(encoding="utf-8"))
    leftover = re.compile(r"〔[^〕]*〕|\[S\d+\]")
    lessons = [lesson for c in data["courses"] for m in c["modules"] for lesson in m["lessons"]]
    assert len(lessons) >= 38
    for item in lessons:
        page = lesson_page(item)
        raw = json.dumps(list(page.body.raw_data), ensure_ascii=False)
        assert not leftover.search(raw), page.title
    for course in data["courses"]:
        for question in course["quiz"]["questions"]:
            assert not leftover.search(with_plain_sources(question.get("feedback_ja", "")))
