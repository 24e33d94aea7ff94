"""One search across every registered content type, merged by relevance."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from wagtail.search.backends import get_search_backend

from core.markdown import plain_text
from core.models import Topic
from search import registry
from search.highlight import highlight
from search.querystring import ParsedQuery

PER_PAGE = 10
MAX_PAGE = 50


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    total: int = 0
    type_counts: dict[str, int] = field(default_factory=dict)
    topic_counts: dict[int, int] = field(default_factory=dict)
    operator: str = "and"


def _type_results(request, searchable, query, topic):
    queryset = searchable.queryset(request)
    if topic is not None:
        if not searchable.topic_filter:
            return None
        queryset = queryset.filter(**{f"{searchable.topic_filter}__slug": topic.slug})
    return get_search_backend().search(query, queryset)


def search(request, parsed: ParsedQuery, *, kind="", topic=None, page=1, operator="and"):
    outcome = Outcome(operator=operator)
    query = parsed.to_query(operator)
    if query is None:
        return outcome
    wanted = page * PER_PAGE
    scored = []
    for searchable in registry.searchable_types():
        results = _type_results(request, searchable, query, topic)
        if results is None:
            continue
        count = results.count()
        outcome.type_counts[searchable.name] = count
        if searchable.topic_filter and count and results.supports_facet:
            for topic_id, n in results.facet(searchable.topic_filter).items():
                if topic_id is not None:
                    outcome.topic_counts[topic_id] = outcome.topic_counts.get(topic_id, 0) + n
        if kind and searchable.name != kind:
            continue
        outcome.total += count
        for obj in results.annotate_score("_search_score")[:wanted]:
            scored.append((getattr(obj, "_search_score", 0) or 0, searchable, obj))
    scored.sort(key=lambda item: -item[0])
    words = parsed.all_terms()
    for _score, searchable, obj in scored[(page - 1) * PER_PAGE : wanted]:
        outcome.results.append(
            {
                "type": searchable.name,
                "type_label": str(searchable.label),
                "title": searchable.title(obj),
                "url": searchable.url(obj, request),
                "snippet": highlight(snippet_text(obj), words),
                "title_html": highlight(searchable.title(obj), words, length=200),
            }
        )
    return outcome


def snippet_text(obj) -> str:
    description = getattr(obj, "search_description", "")
    # Questions, answers and case studies are written in Markdown: snippets show the text, not
    # the asterisks and brackets around it.
    return description or plain_text(registry.searchable_text(obj))


def suggestions(parsed: ParsedQuery) -> list[str]:
    backend = get_search_backend()
    if not hasattr(backend, "suggest") or not parsed.words:
        return []
    corrected = backend.suggest(parsed.words)
    if corrected and corrected != parsed.words:
        return [" ".join(corrected + [f'"{p}"' for p in parsed.phrases])]
    return []


def topic_facets(topic_counts: dict[int, int]) -> list[dict]:
    topics = Topic.objects.in_bulk(list(topic_counts))
    return [
        {"value": topics[pk].slug, "label": topics[pk].name, "count": count}
        for pk, count in sorted(topic_counts.items(), key=lambda item: -item[1])
        if pk in topics
    ]


def no_results_help() -> list[str]:
    return [
        _("Check the spelling, or try another word for the same thing (e.g. RFP or 提案依頼書)."),
        _("Use fewer words, or more general ones."),
        _("Katakana, hiragana and half-width forms all work: クラウド, くらうど, ｸﾗｳﾄﾞ."),
    ]
