"""The knowledge base on other apps' pages: the latest answers to the member's own questions on
"My learning". The curriculum app may not import this one; its template loads the tag by name."""

from __future__ import annotations

from django import template
from django.utils.html import strip_tags

from core import caching

from .. import identity
from ..models import Answer, Question, Visibility

register = template.Library()

AUTHOR_RELATED = ("author__profile__municipality__prefecture",)
SNIPPET_CHARS = 70
MAX_QUESTIONS = 500


def recent_answers_for(user, limit: int = 5) -> list[Answer]:
    """The latest published answers others wrote to the questions the member asked and can still
    see (not one a moderator hid), newest first. Answers awaiting review or hidden by a moderator
    never appear, for moderators either: this is news, not the moderation queue. Three queries
    (the member's questions, the answers with their threads and authors, the authors' role
    badges) and one cache round trip for the snippets, however many answers there are."""
    if user is None or not user.is_authenticated:
        return []
    # The question ids first, as a list: with a subquery PostgreSQL reads every published answer
    # of the site (300,000: half a second) to find the few under them; with the ids it reads
    # only those threads' answers by index. New answers make a question active, so the newest
    # answers are under the most recently active questions; a member with more questions than
    # the cap still sees the latest news.
    my_questions = list(
        Question.objects.visible_to(user)
        .filter(author=user)
        .exclude(visibility=Visibility.HIDDEN)
        .order_by("-last_activity_at")
        .values_list("pk", flat=True)[:MAX_QUESTIONS]
    )
    if not my_questions:
        return []
    answers = list(
        Answer.objects.visible_to(user)
        .published()
        .filter(question__in=my_questions)
        .exclude(author=user)
        .select_related("question", "source", *AUTHOR_RELATED)
        .order_by("-created_at", "-pk")[:limit]
    )
    roles = identity.roles_of(answer.author_id for answer in answers)
    html = caching.rendered_markdown([answer.body for answer in answers])
    for answer in answers:
        answer.byline = identity.byline(
            answer, answer.question, user, source=answer.source, roles=roles
        )
        answer.snippet = strip_tags(html[answer.body]).strip()
        answer.is_accepted = answer.question.accepted_answer_id == answer.pk
    return answers


@register.inclusion_tag("knowledge/includes/recent_answers_for.html")
def knowledge_recent_answers_for(user, limit=5) -> dict:
    return {"answers": recent_answers_for(user, limit=limit), "snippet_chars": SNIPPET_CHARS}
