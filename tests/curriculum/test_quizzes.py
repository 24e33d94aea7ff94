"""Quizzes: every kind of question scored on the server, attempts, tampering, privacy."""

import random

import pytest
from django.http import QueryDict
from django.urls import reverse

from curriculum import progress as learning
from curriculum import quizzes
from curriculum.models import Choice, LessonCompletion, LessonPage, Quiz, QuizItem, QuizQuestion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_question(kind, text, choices=(), **fields):
    question = QuizItem(kind=kind, text=text, **fields)
    question.choices = [Choice(text=t, correct=c) for t, c in choices]
    question.save()
    return question


@pytest.fixture
def bank():
    return {
        "single": make_question(
            "single", "CIOに望ましいのは", [("副市長など", True), ("情報政策課長", False)]
        ),
        "multiple": make_question(
            "multiple",
            "重点取組事項を2つ",
            [("フロントヤード改革", True), ("eLTAX", True), ("ローカル5G", False)],
        ),
        "true_false": make_question(
            "true_false", "4人材像すべてを外部任用する", true_false_answer=False
        ),
        "short": make_question("short", "1人以下の団体数は", accepted_answers="292\n292団体"),
    }


@pytest.fixture
def quiz_lesson(course, bank):
    quiz = Quiz(title="確認テスト", pass_mark=75, attempt_limit=2, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=q) for q in bank.values()]
    quiz.save()
    lesson = LessonPage.objects.get(slug="steps")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    return LessonPage.objects.get(pk=lesson.pk)


@pytest.fixture
def learner(course):
    user = UserFactory(email="learner@example.jp")
    learning.enrol(user, course)
    return user


def form(**answers):
    data = QueryDict(mutable=True)
    for key, value in answers.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def right_answers(bank):
    single, multiple = bank["single"], bank["multiple"]
    return {
        f"q-{single.pk}": str(single.choices.get(correct=True).pk),
        f"q-{multiple.pk}": [str(c.pk) for c in multiple.choices.filter(correct=True)],
        f"q-{bank['true_false'].pk}": "false",
        f"q-{bank['short'].pk}": "２９２",  # full-width digits are the same answer
    }


def test_every_kind_is_scored_on_the_server(quiz_lesson, learner, bank):
    attempt = quizzes.start_attempt(learner, quiz_lesson)
    attempt = quizzes.submit_attempt(attempt, form(**right_answers(bank)))
    assert attempt.score == 100 and attempt.passed
    assert set(attempt.results.values()) == {True}
    # Passing the quiz completes the lesson it belongs to.
    assert LessonCompletion.objects.get(user=learner, lesson=quiz_lesson).via == "quiz"


@pytest.mark.parametrize(
    ("kind", "wrong"),
    [
        ("single", lambda q: str(q.choices.get(correct=False).pk)),
        # Multiple choice is right only with every right choice and no wrong one.
        ("multiple", lambda q: [str(c.pk) for c in q.choices.all()]),
        ("multiple", lambda q: [str(q.choices.filter(correct=True).first().pk)]),
        ("true_false", lambda q: "true"),
        ("short", lambda q: "293"),
    ],
)
def test_a_wrong_answer_is_wrong(quiz_lesson, learner, bank, kind, wrong):
    answers = right_answers(bank)
    answers[f"q-{bank[kind].pk}"] = wrong(bank[kind])
    attempt = quizzes.submit_attempt(quizzes.start_attempt(learner, quiz_lesson), form(**answers))
    assert attempt.results[str(bank[kind].pk)] is False
    assert attempt.score == 75 and attempt.passed  # 3 of 4, pass mark 75%


def test_unanswered_questions_count_as_wrong(quiz_lesson, learner):
    attempt = quizzes.submit_attempt(quizzes.start_attempt(learner, quiz_lesson), form())
    assert attempt.score == 0 and not attempt.passed
    assert not LessonCompletion.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda bank: {"q-999999": "1"},  # a question the attempt did not serve
        lambda bank: {f"q-{bank['single'].pk}": str(bank["multiple"].choices.first().pk)},
        lambda bank: {f"q-{bank['single'].pk}": "not-a-number"},
        lambda bank: {f"q-{bank['single'].pk}": [str(c.pk) for c in bank["single"].choices.all()]},
        lambda bank: {f"q-{bank['true_false'].pk}": "maybe"},
        lambda bank: {f"q-{bank['short'].pk}": "x" * 201},
    ],
)
def test_tampered_forms_are_rejected_and_change_nothing(quiz_lesson, learner, bank, tamper):
    attempt = quizzes.start_attempt(learner, quiz_lesson)
    with pytest.raises(quizzes.TamperedForm):
        quizzes.submit_attempt(attempt, form(**tamper(bank)))
    attempt.refresh_from_db()
    assert not attempt.is_submitted


def test_an_attempt_is_scored_once(quiz_lesson, learner, bank):
    attempt = quizzes.start_attempt(learner, quiz_lesson)
    quizzes.submit_attempt(attempt, form())
    with pytest.raises(quizzes.AlreadySubmitted):
        quizzes.submit_attempt(attempt, form(**right_answers(bank)))
    stale_copy = type(attempt).objects.get(pk=attempt.pk)
    stale_copy.submitted_at = None  # as a second request racing the first would hold it
    with pytest.raises(quizzes.AlreadySubmitted):
        quizzes.submit_attempt(stale_copy, form(**right_answers(bank)))
    attempt.refresh_from_db()
    assert attempt.score == 0


def test_attempt_limit_and_reopening(quiz_lesson, learner):
    first = quizzes.start_attempt(learner, quiz_lesson)
    assert quizzes.start_attempt(learner, quiz_lesson).pk == first.pk  # reopening costs nothing
    quizzes.submit_attempt(first, form())
    quizzes.submit_attempt(quizzes.start_attempt(learner, quiz_lesson), form())
    assert quizzes.attempts_left(learner, quiz_lesson) == 0
    with pytest.raises(quizzes.AttemptLimitReached):
        quizzes.start_attempt(learner, quiz_lesson)


def test_sampling_and_order_come_from_the_bank(quiz_lesson, learner, bank):
    quiz = quiz_lesson.quiz
    quiz.sample_size, quiz.shuffle = 2, True
    quiz.save()
    attempt = quizzes.start_attempt(learner, quiz_lesson, rng=random.Random(3))
    served = [item["question"] for item in attempt.served]
    assert len(served) == 2 and set(served) <= {q.pk for q in bank.values()}
    for item in attempt.served:
        question = QuizItem.objects.get(pk=item["question"])
        assert sorted(item["choices"]) == sorted(question.choices.values_list("pk", flat=True))


def test_only_enrolled_learners_take_the_quiz(quiz_lesson):
    stranger = UserFactory(email="stranger@example.jp")
    with pytest.raises(learning.NotEnrolled):
        quizzes.start_attempt(stranger, quiz_lesson)


def test_taking_the_quiz_in_the_browser(client, quiz_lesson, learner, bank):
    client.force_login(learner)
    html = client.get(quiz_lesson.url).content.decode()
    assert "確認テスト" in html and "残り2回" in html
    response = client.post(reverse("curriculum:start_quiz", args=[quiz_lesson.pk]))
    attempt_url = response.url
    html = client.get(attempt_url).content.decode()
    assert "CIOに望ましいのは" in html and 'type="checkbox"' in html
    response = client.post(attempt_url, right_answers(bank), follow=True)
    html = response.content.decode()
    assert "100% で合格しました" in html
    assert "4人材像すべてを外部任用する" in html  # the review shows each question


def test_a_tampered_form_in_the_browser_gets_a_message(client, quiz_lesson, learner):
    client.force_login(learner)
    attempt_url = client.post(reverse("curriculum:start_quiz", args=[quiz_lesson.pk])).url
    response = client.post(attempt_url, {"q-999999": "1"}, follow=True)
    assert response.status_code == 200
    assert "出題された問題と回答が一致しません" in response.content.decode()


def test_learners_never_see_others_attempts(client, quiz_lesson, learner):
    attempt = quizzes.start_attempt(learner, quiz_lesson)
    quizzes.submit_attempt(attempt, form())
    other = UserFactory(email="other@example.jp")
    client.force_login(other)
    url = reverse("curriculum:attempt", args=[attempt.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_quiz_lesson_is_completed_by_passing_not_by_clicking(client, quiz_lesson, learner):
    with pytest.raises(learning.QuizRequired):
        learning.complete_lesson(learner, quiz_lesson)
    client.force_login(learner)
    html = client.get(quiz_lesson.url).content.decode()
    assert "確認テストに合格すると完了になります" in html
    assert reverse("curriculum:complete_lesson", args=[quiz_lesson.pk]) not in html
    response = client.post(
        reverse("curriculum:complete_lesson", args=[quiz_lesson.pk]), follow=True
    )
    assert "確認テストに合格すると完了になります" in response.content.decode()
    assert not LessonCompletion.objects.exists()
