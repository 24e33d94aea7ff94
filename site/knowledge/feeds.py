"""Atom 1.0 feeds of new questions: all of them at /questions/feed/, one topic's at
/questions/topics/<slug>/feed/. An anonymous asker is "anonymous" here as everywhere."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.feeds import SafeAtom1Feed
from core.models import Topic

from .identity import public_author_name
from .models import Question

FEED_LENGTH = 30


def atom_feed(request, slug=None) -> HttpResponse:
    questions = Question.objects.published()
    topic = None
    if slug is not None:
        if not slug.isascii():
            raise Http404
        topic = get_object_or_404(Topic, slug=slug)
        questions = questions.filter(topics=topic)
    questions = (
        # The asker's municipality and prefecture name them (identity._public_name).
        questions.select_related("author__profile__municipality__prefecture", "source")
        .prefetch_related("topics")
        .order_by("-created_at", "-pk")[:FEED_LENGTH]
    )
    list_url = reverse("knowledge:list") + (f"?topic={topic.slug}" if topic else "")
    feed_url = request.build_absolute_uri(request.path)
    title = _("New questions on %(topic)s") % {"topic": topic.name} if topic else _("New questions")
    feed = SafeAtom1Feed(
        title=title,
        link=request.build_absolute_uri(list_url),
        description=_("Questions from municipal officials, answered by their peers."),
        language=get_language(),
        feed_url=feed_url,
        feed_guid=feed_url,
        author_name=_("Municipal CIO Academy"),
    )
    for question in questions:
        url = request.build_absolute_uri(question.get_absolute_url())
        feed.add_item(
            title=question.title,
            link=url,
            description=escape(Truncator(question.body).chars(300)),
            unique_id=url,
            pubdate=question.created_at,
            updateddate=question.last_activity_at,
            author_name=public_author_name(question),
            categories=[t.name for t in question.topics.all()],
        )
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response
