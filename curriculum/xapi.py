"""Learning records as xAPI 1.0.2 statements: enrolment (registered), lesson and course
completion (completed) and quiz results (passed / failed, with the score). Learners are
identified by an account on this platform, never by e-mail address. Statement ids are derived
from the records, so exporting twice gives the same statements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.conf import settings

from .models import Enrolment, LessonCompletion, QuizAttempt

VERSION = "1.0.2"
NAMESPACE = uuid.UUID("6f1c1b1e-3f0a-5b6e-9a43-6b1d2c0e7a51")
VERBS = {
    "registered": ("http://adlnet.gov/expapi/verbs/registered", "登録した", "registered"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "修了した", "completed"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "合格した", "passed"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "不合格だった", "failed"),
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
}


def _base_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def actor(user) -> dict:
    profile = getattr(user, "profile", None)
    name = getattr(profile, "display_name", "") or user.get_username()
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": _base_url() + "/", "name": str(user.pk)},
    }


def verb(key: str) -> dict:
    iri, japanese, english = VERBS[key]
    return {"id": iri, "display": {"ja-JP": japanese, "en-US": english}}


def activity_id(kind: str, key) -> str:
    """A stable IRI: a page's translation key survives renames, moves and translation."""
    return f"{_base_url()}/learn/activities/{kind}/{key}"


def activity(page, kind: str) -> dict:
    return {
        "objectType": "Activity",
        "id": activity_id(kind, page.translation_key),
        "definition": {"name": {"ja-JP": page.title}, "type": ACTIVITY_TYPES[kind]},
    }


def _statement(key: str, user, verb_key: str, obj: dict, timestamp, **extra) -> dict:
    return {
        "id": str(uuid.uuid5(NAMESPACE, key)),
        "actor": actor(user),
        "verb": verb(verb_key),
        "object": obj,
        "timestamp": timestamp.isoformat(),
        "version": VERSION,
        **extra,
    }


def statements(users=None) -> Iterator[dict]:
    """Every statement, oldest records first; ``users`` narrows them to some learners."""
    enrolments = Enrolment.objects.select_related("user__profile", "course").order_by("pk")
    completions = LessonCompletion.objects.select_related("user__profile", "lesson").order_by("pk")
    attempts = (
        QuizAttempt.objects.filter(submitted_at__isnull=False)
        .select_related("user__profile", "lesson", "quiz")
        .order_by("pk")
    )
    if users is not None:
        enrolments = enrolments.filter(user__in=users)
        completions = completions.filter(user__in=users)
        attempts = attempts.filter(user__in=users)
    for enrolment in enrolments.iterator(chunk_size=500):
        course = activity(enrolment.course, "course")
        yield _statement(
            f"enrolment:{enrolment.pk}", enrolment.user, "registered", course, enrolment.enrolled_at
        )
        if enrolment.completed_at:
            yield _statement(
                f"enrolment:{enrolment.pk}:completed",
                enrolment.user,
                "completed",
                course,
                enrolment.completed_at,
                result={"completion": True},
            )
    for completion in completions.iterator(chunk_size=500):
        yield _statement(
            f"lesson-completion:{completion.pk}",
            completion.user,
            "completed",
            activity(completion.lesson, "lesson"),
            completion.completed_at,
            result={"completion": True},
        )
    for attempt in attempts.iterator(chunk_size=500):
        quiz = {
            "objectType": "Activity",
            "id": activity_id("assessment", attempt.quiz_id),
            "definition": {
                "name": {"ja-JP": attempt.quiz.title},
                "type": ACTIVITY_TYPES["assessment"],
            },
        }
        yield _statement(
            f"quiz-attempt:{attempt.pk}",
            attempt.user,
            "passed" if attempt.passed else "failed",
            quiz,
            attempt.submitted_at,
            result={
                "score": {
                    "scaled": attempt.score / 100,
                    "raw": attempt.score,
                    "min": 0,
                    "max": 100,
                },
                "success": attempt.passed,
                "completion": True,
            },
            context={"contextActivities": {"parent": [activity(attempt.lesson, "lesson")]}},
        )
