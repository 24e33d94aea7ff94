"""How far a learner is towards the credentials they do not hold yet, for "My learning": the
same rules as awarding (`rules.py`), read for every credential at once. The same queries whatever
the credentials, rules and learning records: one for the rules of the credentials not held (with
their credentials, courses and quizzes), one for the courses completed, one for the best quiz
scores, and one call of each contribution counter the other apps registered."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from curriculum.models import Enrolment, QuizAttempt

from . import rules
from .models import Award, CredentialDefinition, CredentialRule

Kind = CredentialRule.Kind
CONTRIBUTIONS = (Kind.CASE_STUDIES, Kind.ACCEPTED_ANSWERS)


@dataclass
class Standing:
    """One credential not held yet: its rules met, out of all, and the first one still to do."""

    definition: CredentialDefinition
    met: int
    total: int
    share: float  # 0 to 1; a contribution rule half done counts as half a rule
    next_rule: CredentialRule
    only_courses: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.share)

    @property
    def left(self) -> int:
        return self.total - self.met


@dataclass
class Facts:
    """What the learner has done, as the rules read it."""

    completed_courses: set[int]
    best_scores: dict[int, int]
    contributions: dict[str, int]

    def rule_share(self, rule: CredentialRule) -> float:
        if rule.kind == Kind.COURSE:
            return 1.0 if rule.course_id in self.completed_courses else 0.0
        if rule.kind == Kind.QUIZ:
            best = self.best_scores.get(rule.quiz_id)
            return 1.0 if best is not None and best >= (rule.min_score or 0) else 0.0
        if rule.kind in CONTRIBUTIONS:
            need = rule.count or 1
            return min(self.contributions.get(rule.kind, 0), need) / need
        return 0.0


def facts_for(user, needed: dict[str, int] | None = None) -> Facts:
    """What the member has done that the rules ask about. ``needed`` caps the contributions
    counted per kind at the most any rule asks for: a member with thousands of answers costs no
    more than one with five."""
    completed = set(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    best = dict(
        QuizAttempt.objects.filter(user=user, submitted_at__isnull=False, passed=True)
        .values("quiz_id")
        .annotate(best=Max("score"))
        .values_list("quiz_id", "best")
    )
    # The apps that record contributions count them (`rules.register_counter`).
    needed = needed or {}
    contributions = {
        kind: rules.tally(user, kind, at_most=needed.get(kind))
        for kind in CONTRIBUTIONS
        if rules.has_counter(kind)
    }
    return Facts(completed, best, contributions)


def near_completion(user, limit: int = 3) -> list[Standing]:
    """The active credentials the learner does not hold and has started on, nearest to
    completion first (the largest share of rules met, then the fewest left, then by name).
    A credential once awarded, even if it has since expired or been revoked, is not listed:
    it is not earned again automatically (`awarding.evaluate_user`)."""
    if user is None or not user.is_authenticated:
        return []
    held = Award.objects.filter(user=user).values("definition_id")
    by_definition: dict[int, list[CredentialRule]] = {}
    for rule in (
        CredentialRule.objects.filter(definition__is_active=True)
        .exclude(definition__in=held)
        .select_related("definition", "course", "quiz")
        .order_by("definition_id", "sort_order", "pk")
    ):
        by_definition.setdefault(rule.definition_id, []).append(rule)
    needed: dict[str, int] = {}
    for rule in (r for definition_rules in by_definition.values() for r in definition_rules):
        if rule.kind in CONTRIBUTIONS:
            needed[rule.kind] = max(needed.get(rule.kind, 0), rule.count or 1)
    facts = facts_for(user, needed)
    standings = []
    for definition_rules in by_definition.values():
        shares = [facts.rule_share(rule) for rule in definition_rules]
        met = sum(1 for share in shares if share >= 1)
        share = sum(shares) / len(definition_rules)
        if share <= 0 or met == len(definition_rules):
            # Not started (nothing to be near), or every rule met: it is being awarded.
            continue
        standings.append(
            Standing(
                definition=definition_rules[0].definition,
                met=met,
                total=len(definition_rules),
                share=share,
                next_rule=next(r for r, s in zip(definition_rules, shares, strict=True) if s < 1),
                only_courses=all(rule.kind == Kind.COURSE for rule in definition_rules),
            )
        )
    standings.sort(key=lambda s: (-s.share, s.left, s.definition.name))
    return standings[:limit]
