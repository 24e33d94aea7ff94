"""Background work: when staff add or change a credential, the learners who already meet its
rules receive it (in the worker in production, at once in development)."""

from django.contrib.auth import get_user_model
from django_tasks import task

from curriculum.models import Enrolment, QuizAttempt

from . import awarding
from .models import CredentialDefinition, CredentialRule


def candidates(definition: CredentialDefinition):
    """Users who might meet every rule: those who did what the first rule asks, when it names a
    course or a quiz; everyone active for contribution rules."""
    users = get_user_model().objects.filter(is_active=True)
    for rule in definition.rules.all():
        if rule.kind == CredentialRule.Kind.COURSE:
            users = users.filter(
                pk__in=Enrolment.objects.filter(
                    course_id=rule.course_id, completed_at__isnull=False
                ).values("user")
            )
        elif rule.kind == CredentialRule.Kind.QUIZ:
            users = users.filter(
                pk__in=QuizAttempt.objects.filter(quiz_id=rule.quiz_id, passed=True).values("user")
            )
    return users


@task()
def award_existing_learners(definition_id: int) -> int:
    definition = CredentialDefinition.objects.filter(pk=definition_id, is_active=True).first()
    if definition is None:
        return 0
    definitions = CredentialDefinition.objects.filter(pk=definition_id)
    return sum(
        len(awarding.evaluate_user(user, definitions)) for user in candidates(definition).iterator()
    )
