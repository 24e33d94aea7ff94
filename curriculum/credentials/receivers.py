"""Awards follow what learners do: finishing a course or passing a quiz re-evaluates the rules
for that learner, in the same transaction (a failed save awards nothing)."""

from django.dispatch import receiver

from curriculum.signals import course_completed, quiz_submitted

from . import awarding


@receiver(course_completed)
def award_on_course_completed(sender, user, **kwargs):
    awarding.evaluate_user(user)


@receiver(quiz_submitted)
def award_on_quiz_passed(sender, user, attempt, **kwargs):
    if attempt.passed:
        awarding.evaluate_user(user)
