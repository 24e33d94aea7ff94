"""The knowledge base's part in credentials: accepted answers count towards the rules that ask
for them (CredentialRule kind "accepted_answers")."""

from curriculum.credentials.rules import Evidence, register_counter

from .models import Answer, Visibility


def _accepted(user):
    return Answer.objects.filter(
        author=user, visibility=Visibility.PUBLISHED, accepted_for__isnull=False
    )


def accepted_answers(user) -> list[Evidence]:
    answers = _accepted(user).select_related("question").order_by("created_at")
    return [
        Evidence(
            # Evidence is written in the credential's language, Japanese, as for courses.
            name=f"採用された回答: {answer.question.title}",
            url=answer.get_absolute_url(),
            date=answer.created_at.isoformat(),
        )
        for answer in answers
    ]


register_counter("accepted_answers", accepted_answers, _accepted)
