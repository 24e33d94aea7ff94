"""The rules that earn a credential. Each kind has an evaluator that, for one learner, says whether
the rule is met and what the evidence is. Contribution kinds count what another app records:
the case-study and knowledge apps call `register_counter` with a function returning the learner's
qualifying contributions, and the rule starts counting them — nothing here changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.dates import local_date
from curriculum.models import Enrolment, QuizAttempt

from .models import CredentialRule

Kind = CredentialRule.Kind


@dataclass(frozen=True)
class Evidence:
    name: str
    description: str = ""
    url: str = ""
    date: str = ""

    def as_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class Outcome:
    met: bool
    evidence: list[Evidence] = field(default_factory=list)
    have: int = 0
    need: int = 1


# kind -> function(user) -> list[Evidence], for the contribution kinds.
_counters: dict[str, Callable] = {}
_tallies: dict[str, Callable] = {}


def register_counter(kind: str, counter: Callable, tally: Callable | None = None) -> None:
    """``counter(user)`` lists a member's contributions of a kind as evidence; ``tally(user)``,
    where given, returns them as a queryset to count, for pages that show how far along a
    member is and never the evidence itself."""
    _counters[kind] = counter
    if tally is not None:
        _tallies[kind] = tally


def has_counter(kind: str) -> bool:
    return kind in _counters


def tally(user, kind: str, at_most: int | None = None) -> int:
    """How many contributions of a kind the member has made; with ``at_most``, counting stops
    there (the database reads no further rows)."""
    if kind in _tallies:
        contributions = _tallies[kind](user)
        if at_most is not None:
            contributions = contributions[:at_most]
        return contributions.count()
    counter = _counters.get(kind)
    found = len(list(counter(user))) if counter else 0
    return found if at_most is None else min(found, at_most)


def _course(user, rule) -> Outcome:
    enrolment = (
        Enrolment.objects.filter(user=user, course_id=rule.course_id, completed_at__isnull=False)
        .select_related("course")
        .first()
    )
    if enrolment is None:
        return Outcome(False)
    course = enrolment.course
    return Outcome(
        True,
        [
            Evidence(
                name=f"講座修了: {course.coded_title}",
                description=f"{local_date(enrolment.completed_at)} に必修レッスンをすべて修了",
                url=course.url or "",
                date=enrolment.completed_at.isoformat(),
            )
        ],
        have=1,
    )


def _quiz(user, rule) -> Outcome:
    best = (
        QuizAttempt.objects.filter(
            user=user, quiz_id=rule.quiz_id, submitted_at__isnull=False, passed=True
        )
        .order_by("-score", "submitted_at")
        .select_related("quiz")
        .first()
    )
    if best is None or best.score < (rule.min_score or 0):
        return Outcome(False)
    return Outcome(
        True,
        [
            Evidence(
                name=f"確認テスト合格: {best.quiz.title}",
                description=f"得点 {best.score}%（基準 {rule.min_score}%）",
                date=best.submitted_at.isoformat(),
            )
        ],
        have=1,
    )


def _contributions(user, rule) -> Outcome:
    counter = _counters.get(rule.kind)
    found = list(counter(user)) if counter else []
    need = rule.count or 1
    return Outcome(len(found) >= need, found[:need] if len(found) >= need else [], len(found), need)


EVALUATORS = {
    Kind.COURSE: _course,
    Kind.QUIZ: _quiz,
    Kind.CASE_STUDIES: _contributions,
    Kind.ACCEPTED_ANSWERS: _contributions,
}


def evaluate(user, rule) -> Outcome:
    return EVALUATORS[rule.kind](user, rule)


def describe(rule) -> str:
    if rule.kind == Kind.COURSE and rule.course_id:
        return _("Complete the course “%(course)s”") % {"course": rule.course.title}
    if rule.kind == Kind.QUIZ and rule.quiz_id and (rule.min_score or 0) >= 100:
        return _("Pass “%(quiz)s” with every answer right") % {"quiz": rule.quiz.title}
    if rule.kind == Kind.QUIZ and rule.quiz_id:
        return _("Pass “%(quiz)s” with %(score)s%% or more") % {
            "quiz": rule.quiz.title,
            "score": rule.min_score,
        }
    if rule.kind == Kind.CASE_STUDIES:
        return _("Publish %(count)s case studies") % {"count": rule.count}
    if rule.kind == Kind.ACCEPTED_ANSWERS:
        return _("Have %(count)s answers accepted") % {"count": rule.count}
    return str(rule.get_kind_display())
