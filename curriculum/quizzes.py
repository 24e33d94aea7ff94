"""Taking a quiz: draw the questions, score the answers on the server, and refuse what the
attempt did not serve (answers to other questions, unknown choices, a second submission)."""

from __future__ import annotations

import random

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.text import normalize

from . import progress as learning
from .models import Choice, Enrolment, LessonCompletion, QuizAttempt, QuizItem
from .signals import quiz_submitted

MAX_SHORT_ANSWER = 200


class QuizError(Exception):
    pass


class AttemptLimitReached(QuizError):
    pass


class AlreadySubmitted(QuizError):
    pass


class TamperedForm(QuizError):
    """The submission names a question or a choice the attempt did not serve."""


def field_name(question_id: int) -> str:
    return f"q-{question_id}"


def attempts(user, lesson):
    return QuizAttempt.objects.filter(user=user, lesson=learning.canonical(lesson))


def attempts_left(user, lesson) -> int | None:
    """None when the quiz allows any number."""
    quiz = lesson.quiz
    if quiz is None or not quiz.attempt_limit:
        return None
    used = attempts(user, lesson).filter(submitted_at__isnull=False).count()
    return max(quiz.attempt_limit - used, 0)


def start_attempt(user, lesson, rng: random.Random | None = None) -> QuizAttempt:
    """The learner's open attempt on this lesson's quiz, or a new one drawn from the bank.
    Reopening the page never draws new questions, and never costs an attempt.

    Starts sent at the same moment take turns: the learner's enrolment row is locked for the
    check and the insert (on SQLite the transaction takes the write lock when it begins), and a
    constraint allows one open attempt per learner and lesson, so parallel starts all get the
    same attempt and the limit cannot be outrun."""
    lesson = learning.canonical(lesson)
    quiz = lesson.quiz
    if quiz is None:
        raise QuizError("This lesson has no quiz.")
    course = learning.course_of(lesson)
    enrolment = learning.enrolment_for(user, course) if course is not None else None
    if enrolment is None:
        raise learning.NotEnrolled(lesson)
    try:
        with transaction.atomic():
            list(Enrolment.objects.select_for_update().filter(pk=enrolment.pk).values("pk"))
            open_attempt = attempts(user, lesson).filter(submitted_at__isnull=True).first()
            if open_attempt is not None:
                return open_attempt
            if attempts_left(user, lesson) == 0:
                raise AttemptLimitReached(lesson)
            return QuizAttempt.objects.create(
                user=user, quiz=quiz, lesson=lesson, served=_draw(quiz, rng)
            )
    except IntegrityError:
        # Another start won the race for the one open attempt: it is this learner's too.
        return attempts(user, lesson).get(submitted_at__isnull=True)


def _draw(quiz, rng: random.Random | None) -> list[dict]:
    """The questions and choices one attempt serves, in the order it serves them."""
    rng = rng or random.SystemRandom()
    questions = [item.question for item in quiz.quiz_questions.select_related("question")]
    if quiz.shuffle:
        rng.shuffle(questions)
    if quiz.sample_size:
        questions = questions[: quiz.sample_size]
    choices_by_question: dict[int, list[int]] = {}
    for choice in (
        Choice.objects.filter(question__in=questions)
        .order_by("question_id", "sort_order", "pk")
        .values_list("question_id", "pk")
    ):
        choices_by_question.setdefault(choice[0], []).append(choice[1])
    served = []
    for question in questions:
        choice_ids = choices_by_question.get(question.pk, [])
        if quiz.shuffle:
            rng.shuffle(choice_ids)
        served.append({"question": question.pk, "choices": choice_ids})
    return served


def _is_correct(question: QuizItem, correct_choices: set[int], answer) -> bool:
    if question.kind == QuizItem.Kind.SINGLE:
        return len(correct_choices) == 1 and answer == next(iter(correct_choices))
    if question.kind == QuizItem.Kind.MULTIPLE:
        return bool(correct_choices) and set(answer or []) == correct_choices
    if question.kind == QuizItem.Kind.TRUE_FALSE:
        return answer is not None and answer == question.true_false_answer
    accepted = {normalize(a).strip() for a in question.accepted_answer_list()}
    return bool(answer) and normalize(answer).strip() in accepted


def read_answers(attempt: QuizAttempt, questions: dict[int, QuizItem], data) -> dict:
    """The answers in a submitted form, checked against what the attempt served."""
    served = {item["question"]: set(item["choices"]) for item in attempt.served}
    allowed = {field_name(qid) for qid in served}
    unknown = {key for key in data if key.startswith("q-") and key not in allowed}
    if unknown:
        raise TamperedForm(sorted(unknown))
    answers = {}
    for question_id, choice_ids in served.items():
        question = questions[question_id]
        values = data.getlist(field_name(question_id))
        if question.kind == QuizItem.Kind.MULTIPLE:
            picked = _choice_ids(values, choice_ids)
            answers[str(question_id)] = sorted(picked)
        elif question.kind == QuizItem.Kind.SINGLE:
            picked = _choice_ids(values[:1], choice_ids) if len(values) <= 1 else None
            if picked is None:
                raise TamperedForm([field_name(question_id)])
            answers[str(question_id)] = next(iter(picked), None)
        elif question.kind == QuizItem.Kind.TRUE_FALSE:
            if (values and values[0] not in {"true", "false"}) or len(values) > 1:
                raise TamperedForm([field_name(question_id)])
            answers[str(question_id)] = (values[0] == "true") if values else None
        else:
            text = values[0] if values else ""
            if len(values) > 1 or len(text) > MAX_SHORT_ANSWER:
                raise TamperedForm([field_name(question_id)])
            answers[str(question_id)] = text.strip()
    return answers


def _choice_ids(values, allowed: set[int]) -> set[int]:
    picked = set()
    for value in values:
        try:
            choice_id = int(value)
        except (TypeError, ValueError):
            raise TamperedForm([value]) from None
        if choice_id not in allowed:
            raise TamperedForm([value])
        picked.add(choice_id)
    return picked


def submit_attempt(attempt: QuizAttempt, data) -> QuizAttempt:
    """Scores the attempt once. Passing completes the lesson (and maybe the course)."""
    if attempt.is_submitted:
        raise AlreadySubmitted(attempt)
    question_ids = [item["question"] for item in attempt.served]
    questions = QuizItem.objects.prefetch_related("choices").in_bulk(question_ids)
    answers = read_answers(attempt, questions, data)
    results = {}
    for question_id in question_ids:
        question = questions[question_id]
        correct_choices = {c.pk for c in question.choices.all() if c.correct}
        results[str(question_id)] = _is_correct(
            question, correct_choices, answers[str(question_id)]
        )
    total = len(question_ids)
    score = round(100 * sum(results.values()) / total) if total else 0
    passed = total > 0 and score >= attempt.quiz.pass_mark
    with transaction.atomic():
        # Only one submission wins, even if the form is sent twice at once.
        won = QuizAttempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            answers=answers,
            results=results,
            score=score,
            passed=passed,
            submitted_at=timezone.now(),
        )
    if not won:
        raise AlreadySubmitted(attempt)
    attempt.refresh_from_db()
    if passed:
        learning.complete_lesson(attempt.user, attempt.lesson, via=LessonCompletion.Via.QUIZ)
    quiz_submitted.send(sender=QuizAttempt, user=attempt.user, attempt=attempt)
    return attempt


def review(attempt: QuizAttempt) -> list[dict]:
    """Each question served, the learner's answer, the right one and the feedback."""
    question_ids = [item["question"] for item in attempt.served]
    questions = QuizItem.objects.prefetch_related("choices").in_bulk(question_ids)
    rows = []
    for item in attempt.served:
        question = questions.get(item["question"])
        if question is None:  # removed from the bank since
            continue
        choices = {c.pk: c for c in question.choices.all()}
        answer = attempt.answers.get(str(question.pk))
        rows.append(
            {
                "question": question,
                "choices": [choices[c] for c in item["choices"] if c in choices],
                "answer": answer,
                "picked": set(answer) if isinstance(answer, list) else {answer},
                "correct": attempt.results.get(str(question.pk), False),
            }
        )
    return rows


def questions_for(attempt: QuizAttempt) -> list[dict]:
    """The attempt's questions with their choices, in the order it served them."""
    question_ids = [item["question"] for item in attempt.served]
    questions = QuizItem.objects.prefetch_related("choices").in_bulk(question_ids)
    rows = []
    for number, item in enumerate(attempt.served, start=1):
        question = questions.get(item["question"])
        if question is None:
            continue
        choices = {c.pk: c for c in question.choices.all()}
        rows.append(
            {
                "number": number,
                "question": question,
                "field": field_name(question.pk),
                "choices": [choices[c] for c in item["choices"] if c in choices],
            }
        )
    return rows
