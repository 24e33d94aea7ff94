from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from search.registry import SearchableType, register

from .models import Answer, Question, QuestionStatus, Visibility


def public_questions(request):
    """Published questions; ?status=accepted (or unanswered, answered, closed) narrows them."""
    questions = Question.objects.filter(visibility=Visibility.PUBLISHED).prefetch_related(
        Prefetch(
            "answers",
            queryset=Answer.objects.filter(visibility=Visibility.PUBLISHED).only(
                "question_id", "body", "created_at"
            ),
            to_attr="published_answers",
        )
    )
    status = request.GET.get("status", "") if request is not None else ""
    if status in QuestionStatus.values:
        questions = questions.filter(status=status)
    return questions


register(
    SearchableType(
        name="question",
        label=_("Question"),
        queryset=public_questions,
        url=lambda question, request: question.get_absolute_url(),
        topic_filter="topics",
        order=250,
    )
)
