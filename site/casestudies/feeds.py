"""An Atom 1.0 feed of the newest cases in the library, at ``<index url>feed/``."""

from __future__ import annotations

from django.db.models import F, Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.feeds import SafeAtom1Feed
from core.models import Topic

from .listing import cases_under

FEED_LENGTH = 20


def atom_feed(request, index_page) -> HttpResponse:
    cases = (
        cases_under(index_page)
        .select_related("municipality__prefecture")
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("sort_order")))
        .order_by(F("first_published_at").desc(nulls_last=True), "-pk")[:FEED_LENGTH]
    )
    index_url = index_page.get_full_url(request) or request.build_absolute_uri("/")
    feed_url = request.build_absolute_uri(request.path)
    feed = SafeAtom1Feed(
        title=_("%(title)s: new cases") % {"title": index_page.title},
        link=index_url,
        description=index_page.intro or _("New case studies from municipalities."),
        language=get_language(),
        feed_url=feed_url,
        feed_guid=feed_url,
        author_name=_("Municipal CIO Academy"),
    )
    for case in cases:
        url = case.get_full_url(request) or request.build_absolute_uri(case.url or "/")
        published = case.first_published_at or case.latest_revision_created_at or timezone.now()
        feed.add_item(
            title=case.title,
            link=url,
            description=escape(case.summary),
            unique_id=url,
            pubdate=published,
            updateddate=case.last_published_at or published,
            author_name=str(case.municipality),
            categories=[topic.name for topic in case.topics.all()],
        )
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    return response
