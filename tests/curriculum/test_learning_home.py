"""My learning as the learner's home: where to pick up, what is due, credentials within reach and
the answers to the learner's questions, in a number of queries that does not grow."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum import progress as learning
from curriculum import runs
from curriculum.credentials import awarding
from curriculum.models import CoursePage, Enrolment, LessonPage
from knowledge.models import Answer, Question, Visibility
from tests.factories import (
    CoursePageFactory,
    CourseRunFactory,
    CredentialDefinitionFactory,
    CredentialRuleFactory,
    LessonPageFactory,
    ModulePageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(client):
    user = UserFactory(email="learner@example.jp")
    client.force_login(user)
    return user


def lesson(slug) -> LessonPage:
    return LessonPage.objects.get(slug=slug)


def soup_of(client):
    response = client.get(reverse("curriculum:dashboard"))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def other_course(course, slug="k2", code="K2", title="BPRと業務可視化") -> CoursePage:
    page = CoursePageFactory(parent=course.get_parent(), slug=slug, code=code, title=title)
    module = ModulePageFactory(parent=page, slug="m")
    LessonPageFactory(parent=module, slug=f"{slug}-a", title=f"{title} 1")
    LessonPageFactory(parent=module, slug=f"{slug}-b", title=f"{title} 2")
    return CoursePage.objects.get(pk=page.pk)


# Continue ---------------------------------------------------------------------------------------


def test_continue_opens_the_lesson_last_opened_in_the_latest_course(client, course, learner):
    second = other_course(course)
    learning.enrol(learner, course)
    learning.enrol(learner, second)
    client.get(lesson("k2-b").url)
    client.get(lesson("steps").url)  # the first course is the one worked on last
    panel = soup_of(client).select_one(".continue-panel")
    assert "続きから" in text(panel)
    assert "自治体DXとガバナンス" in text(panel.select_one(".continue-panel__course"))
    button = panel.select_one("a.continue-panel__button")
    assert button["href"] == lesson("steps").url
    assert panel.find("progress")["id"] == panel.find("label")["for"]


def test_a_course_started_comes_before_one_only_enrolled_in(client, course, learner):
    learning.enrol(learner, course)
    client.get(lesson("steps").url)
    learning.enrol(learner, other_course(course))  # enrolled since, not started
    panel = soup_of(client).select_one(".continue-panel")
    assert panel.select_one("a.continue-panel__button")["href"] == lesson("steps").url


def test_continue_moves_on_once_the_last_lesson_is_done(client, course, learner):
    learning.enrol(learner, course)
    client.get(lesson("steps").url)
    learning.complete_lesson(learner, lesson("steps"))
    button = soup_of(client).select_one(".continue-panel a.continue-panel__button")
    assert button["href"] == lesson("seven").url  # the first lesson not done


def test_a_course_not_started_offers_its_first_lesson(client, course, learner):
    learning.enrol(learner, course)
    panel = soup_of(client).select_one(".continue-panel")
    assert "学習を始める" in text(panel.select_one("h2"))
    assert panel.select_one("a.continue-panel__button")["href"] == lesson("seven").url


def test_with_every_course_done_the_panel_points_to_the_catalogue(client, course, learner):
    learning.enrol(learner, course)
    Enrolment.objects.update(completed_at=timezone.now())
    panel = soup_of(client).select_one(".continue-panel")
    assert not panel.select_one(".continue-panel__button")
    assert panel.find("a", href=course.get_parent().get_parent().url)


# Deadlines --------------------------------------------------------------------------------------


def test_deadlines_come_nearest_first_with_overdue_work_marked(client, course, learner):
    today = runs.today()
    soon = other_course(course, slug="soon", code="K2", title="間近")
    late = other_course(course, slug="late", code="K3", title="遅延")
    done = other_course(course, slug="done", code="K4", title="修了済み")
    learning.enrol(learner, course)  # self-paced: no deadline
    for page, days in ((soon, 3), (late, -4), (done, 1)):
        run = CourseRunFactory(
            course=page,
            owner_name="自治体CIOアカデミー",
            enrolment_opens=today - timedelta(days=30),
            starts_on=today - timedelta(days=30),
            enrolment_closes=today + timedelta(days=min(days, 0)),
            deadline=today + timedelta(days=days),
        )
        Enrolment.objects.create(user=learner, course=page, run=run)
    Enrolment.objects.filter(course=done).update(completed_at=timezone.now())
    soup = soup_of(client)
    items = soup.select(".due-list__item")
    assert [text(item.find("a")) for item in items] == ["K3 遅延", "K2 間近"]
    assert "期限切れ" in text(items[0])
    assert f"{today - timedelta(days=4):%Y-%m-%d}" in text(items[0])
    assert "due-list__item--overdue" in items[0]["class"]
    assert "あと 3 日" in text(items[1])
    assert "1 期限切れ" in text(soup.select_one(".dashboard__counts"))
    # The course cards follow the same order, the finished one last, each with its progress bar.
    cards = soup.select(".dashboard__course")
    assert [text(card.find("h3")) for card in cards] == [
        "K3 遅延",
        "K2 間近",
        "K1 自治体DXとガバナンス",
        "K4 修了済み",
    ]
    for card in cards:
        bar = card.find("progress")
        assert card.find("label", attrs={"for": bar["id"]})


def test_without_runs_there_are_no_deadlines(client, course, learner):
    learning.enrol(learner, course)
    soup = soup_of(client)
    assert not soup.select(".due-list__item")
    assert soup.find("a", href=reverse("curriculum:calendar"))


# Recent answers to my questions -----------------------------------------------------------------


def _question(author, title, **fields) -> Question:
    now = timezone.now()
    return Question.objects.create(
        author=author,
        title=title,
        body="本文です。",
        created_at=now,
        last_activity_at=now,
        **fields,
    )


def _answer(question, author, body, minutes_ago, **fields) -> Answer:
    return Answer.objects.create(
        question=question,
        author=author,
        body=body,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def _named(email, name):
    user = UserFactory(email=email)
    user.profile.display_name = name
    user.profile.is_public = True
    user.profile.save()
    return user


def test_recent_answers_to_my_questions_only_those_others_may_read(client, learner):
    peer = _named("peer@example.jp", "佐藤 健一")
    mine = _question(learner, "RPAに向く業務の見分け方は？")
    theirs = _question(peer, "AI-OCRの読取精度は？")
    hidden_question = _question(learner, "隠された質問", visibility=Visibility.HIDDEN)
    _answer(mine, peer, "**大量・定型**の業務が向いています。", 5)
    _answer(mine, peer, "モデレーターが非表示にした回答", 4, visibility=Visibility.HIDDEN)
    _answer(mine, peer, "審査待ちの回答", 3, visibility=Visibility.PENDING)
    _answer(mine, learner, "自分で書いた補足", 2)
    _answer(theirs, UserFactory(email="x@example.jp"), "他人の質問への回答", 1)
    _answer(hidden_question, peer, "隠された質問への回答", 1)
    newest = _answer(mine, peer, "入力先のシステムが安定していることも条件です。", 0)
    mine.accepted_answer = newest
    mine.save()

    section = soup_of(client).select_one(".recent-answers")
    items = section.select(".recent-answer")
    assert [text(item.select_one(".recent-answer__snippet")) for item in items] == [
        "入力先のシステムが安定していることも条件です。",
        "大量・定型の業務が向いています。",  # Markdown read as plain text
    ]
    page = text(section)
    for absent in ("非表示", "審査待ち", "自分で書いた", "他人の質問", "隠された"):
        assert absent not in page
    assert "佐藤 健一" in text(items[0])
    assert "採用" in text(items[0])
    assert items[0].find("a")["href"] == newest.get_absolute_url()


def test_a_moderator_sees_no_hidden_answers_here_either(client, learner):
    learner.groups.add(Group.objects.get(name="Moderators"))
    peer = _named("peer@example.jp", "佐藤 健一")
    mine = _question(learner, "RPAに向く業務の見分け方は？")
    _answer(mine, peer, "非表示の回答", 1, visibility=Visibility.HIDDEN)
    _answer(mine, peer, "審査待ちの回答", 1, visibility=Visibility.PENDING)
    soup = soup_of(client)
    assert not soup.select(".recent-answer")
    assert "まだ回答はありません" in text(soup.select_one("#my-answers").parent)


# Credentials within reach -----------------------------------------------------------------------


def _courses(course, count):
    return [
        other_course(course, slug=f"c{n}", code=f"C{n}", title=f"講座{n}") for n in range(count)
    ]


def test_credentials_within_reach_nearest_first(client, course, learner):
    four = _courses(course, 4)
    for page in four[:3]:
        Enrolment.objects.create(user=learner, course=page, completed_at=timezone.now())
    nearly = CredentialDefinitionFactory(name_ja="DX推進リーダー")
    for page in four:
        CredentialRuleFactory(definition=nearly, kind="course", course=page)
    half = CredentialDefinitionFactory(name_ja="業務改革の基礎")
    CredentialRuleFactory(definition=half, kind="course", course=four[0])
    CredentialRuleFactory(definition=half, kind="accepted_answers", count=4)
    untouched = CredentialDefinitionFactory(name_ja="未着手の認定")
    CredentialRuleFactory(definition=untouched, kind="course", course=course)
    held = CredentialDefinitionFactory(name_ja="取得済みの認定")
    CredentialRuleFactory(definition=held, kind="course", course=four[0])
    CredentialRuleFactory(definition=held, kind="course", course=course)
    awarding.award_manually(learner, held, awarded_by=None, reason="研修の修了")
    inactive = CredentialDefinitionFactory(name_ja="停止中の認定", is_active=False)
    CredentialRuleFactory(definition=inactive, kind="course", course=four[0])
    CredentialRuleFactory(definition=inactive, kind="course", course=course)

    items = soup_of(client).select(".near-credential")
    assert [text(item.select_one(".near-credential__name")) for item in items] == [
        "DX推進リーダー",
        "業務改革の基礎",
    ]
    assert "4 講座中 3 講座を修了" in text(items[0])
    assert items[0].find("progress")["value"] == "75"
    assert items[0].select_one(".near-credential__next a")["href"] == four[3].url
    assert "2 件の条件のうち 1 件を達成" in text(items[1])
    assert "回答が4件採用される" in text(items[1].select_one(".near-credential__next"))


# Queries ---------------------------------------------------------------------------------------


def dashboard_queries(client) -> int:
    client.get(reverse("curriculum:dashboard"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("curriculum:dashboard")).status_code == 200
    return len(queries.captured_queries)


def test_answers_and_credentials_cost_the_same_queries_however_many(
    client, course, learner, settings
):
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    learning.enrol(learner, course)
    client.get(lesson("steps").url)
    pages = _courses(course, 6)
    Enrolment.objects.create(user=learner, course=pages[0], completed_at=timezone.now())

    def grow(n):
        peer = _named(f"peer{n}@example.jp", f"同僚{n}")
        question = _question(learner, f"質問{n}")
        for minutes in range(3):
            _answer(question, peer, f"回答{n}-{minutes}", minutes)
        definition = CredentialDefinitionFactory()
        CredentialRuleFactory(definition=definition, kind="course", course=pages[0])
        CredentialRuleFactory(definition=definition, kind="course", course=pages[1 + n % 5])
        CredentialRuleFactory(definition=definition, kind="accepted_answers", count=2)

    grow(0)
    few = dashboard_queries(client)
    for n in range(1, 8):
        grow(n)
    assert dashboard_queries(client) == few
