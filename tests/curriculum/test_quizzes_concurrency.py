"""The attempt limit holds against starts sent in parallel (issue 19, item 4): one open attempt
per learner and lesson (a constraint), checked and created with the enrolment row locked, so
every parallel start gets the same attempt and only one submission of it counts."""

import contextlib
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.http import QueryDict

from curriculum import progress as learning
from curriculum import quizzes
from curriculum.models import LessonPage, Quiz, QuizAttempt, QuizQuestion
from tests.factories import UserFactory

from .test_quizzes import bank, make_question  # noqa: F401 (fixture)


def lesson_with_quiz(bank, limit):  # noqa: F811
    quiz = Quiz(title="確認テスト", pass_mark=100, attempt_limit=limit, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=q) for q in bank.values()]
    quiz.save()
    lesson = LessonPage.objects.get(slug="steps")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    return LessonPage.objects.get(pk=lesson.pk)


@pytest.mark.django_db
def test_a_start_that_lost_the_race_gets_the_open_attempt(course, bank, monkeypatch):  # noqa: F811
    lesson = lesson_with_quiz(bank, limit=3)
    learner = UserFactory()
    learning.enrol(learner, course)
    first = quizzes.start_attempt(learner, lesson)
    # The second start looked for an open attempt before the first was committed: it saw none.
    real, looked = quizzes.attempts, []

    def not_yet_committed(user, lesson):
        if not looked:
            looked.append(True)
            return real(user, lesson).none()
        return real(user, lesson)

    monkeypatch.setattr(quizzes, "attempts", not_yet_committed)
    second = quizzes.start_attempt(learner, lesson)
    assert second.pk == first.pk
    assert QuizAttempt.objects.filter(user=learner, submitted_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_database_allows_one_open_attempt_per_learner_and_lesson(course, bank):  # noqa: F811
    lesson = lesson_with_quiz(bank, limit=3)
    learner = UserFactory()
    learning.enrol(learner, course)
    attempt = quizzes.start_attempt(learner, lesson)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuizAttempt.objects.create(user=learner, quiz=attempt.quiz, lesson=lesson, served=[])
    quizzes.submit_attempt(attempt, QueryDict())
    assert quizzes.start_attempt(learner, lesson).pk != attempt.pk  # the next one may open


def run_at_once(jobs):
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def work(job):
        try:
            barrier.wait()
            results.append(job())
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture
def race(transactional_db, django_db_serialized_rollback, course, bank):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip(
            "threads need concurrent writers: PostgreSQL (set DATABASE_URL; CI runs it). On "
            "SQLite the tests above show the constraint and the lost race."
        )
    lesson = lesson_with_quiz(bank, limit=3)
    learner = UserFactory()
    learning.enrol(learner, course)
    return learner, lesson


def test_parallel_starts_open_one_attempt(race):
    learner, lesson = race
    started, errors = run_at_once([lambda: quizzes.start_attempt(learner, lesson).pk] * 6)
    assert errors == []
    assert len(set(started)) == 1
    assert QuizAttempt.objects.filter(user=learner).count() == 1


def test_parallel_starts_and_submissions_cannot_beat_the_attempt_limit(race):
    learner, lesson = race

    def start_and_submit():
        attempt = quizzes.start_attempt(learner, lesson)
        with contextlib.suppress(quizzes.AlreadySubmitted):
            quizzes.submit_attempt(attempt, QueryDict())
        return attempt.pk

    for _round in range(3):
        _started, errors = run_at_once([start_and_submit] * 6)
        assert all(isinstance(e, quizzes.AttemptLimitReached) for e in errors), errors
    submitted = QuizAttempt.objects.filter(user=learner, submitted_at__isnull=False).count()
    assert submitted == 3
