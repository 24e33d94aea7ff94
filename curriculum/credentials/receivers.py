"""Awards follow what learners do: finishing a course, passing a quiz or a recorded contribution
(a published case study, an accepted answer) re-evaluates the credentials that could depend on
it, in the same transaction. Signing must never cost a learner their progress: if the key cannot
be read, the failure is logged and `manage.py award_credentials` catches up later."""

import logging

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from curriculum.signals import course_completed, quiz_submitted

from . import awarding, keys, status
from .models import Award, CredentialDefinition, CredentialRule
from .signals import contribution_recorded

log = logging.getLogger(__name__)


def _evaluate(user, definitions) -> None:
    try:
        with transaction.atomic():
            awarding.evaluate_user(user, definitions)
    except (keys.KeyMissing, OSError):
        log.exception(
            "credentials for user %s not awarded: the signing key is unavailable", user.pk
        )


def _active(**rule):
    return CredentialDefinition.objects.filter(
        is_active=True, rules__in=CredentialRule.objects.filter(**rule)
    ).distinct()


@receiver(course_completed)
def award_on_course_completed(sender, user, course, **kwargs):
    _evaluate(user, _active(kind=CredentialRule.Kind.COURSE, course=course))


@receiver(quiz_submitted)
def award_on_quiz_passed(sender, user, attempt, **kwargs):
    if attempt.passed:
        _evaluate(user, _active(kind=CredentialRule.Kind.QUIZ, quiz_id=attempt.quiz_id))


@receiver(contribution_recorded)
def award_on_contribution(sender, user, kind, **kwargs):
    _evaluate(user, _active(kind=kind))


@receiver(pre_delete, sender=Award)
def revoke_position_of_deleted_award(sender, instance, **kwargs):
    """An award deleted with its holder's account: the platform no longer vouches for it, and the
    public status list says so to verifiers who never ask us."""
    status.revoke(instance.status_index)
