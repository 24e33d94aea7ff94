"""One search across every registered content type, merged by relevance.

With the embedded engines (``supports_scoped_search``) it is one query over every type: the
stage of ``search.plan`` is chosen once for the whole request, and the counts per type and the
topic facet come from that same query; snippets come from the excerpt kept in the index, so the
only database reads are the objects of the page shown. Other backends (Wagtail's database
backend, a cluster) are asked type by type, as modelsearch allows, with the same query."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from wagtail.search.backends import get_search_backend

from core.markdown import plain_text
from search import registry
from search.highlight import highlight
from search.querystring import ParsedQuery

PER_PAGE = 10
MAX_PAGE = 50
SNIPPET_SOURCE_CHARS = 400


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    total: int = 0
    type_counts: dict[str, int] = field(default_factory=dict)
    topic_counts: dict[int, int] = field(default_factory=dict)
    # The stage of search.plan the results come from: "most" and "any" lack some words.
    stage: str = "all"

    @property
    def partial(self) -> bool:
        return self.stage in {"most", "any"}


def _scopes(request, topic):
    """(searchable, queryset) of every type that can answer, with the topic filter applied."""
    scopes = []
    for searchable in registry.searchable_types():
        queryset = searchable.queryset(request)
        if topic is not None:
            if not searchable.topic_filter:
                continue
            queryset = queryset.filter(**{f"{searchable.topic_filter}__slug": topic.slug})
        scopes.append((searchable, queryset))
    return scopes


def search(request, parsed: ParsedQuery, *, kind="", topic=None, page=1) -> Outcome:
    query = parsed.to_query()
    if query is None:
        return Outcome()
    backend = get_search_backend()
    if getattr(backend, "supports_scoped_search", False):
        return _search_in_one_pass(backend, request, parsed, query, kind, topic, page)
    query = parsed.to_expanded_query("and")
    outcome = _search_type_by_type(backend, request, parsed, query, kind, topic, page)
    if outcome.total == 0 and len(parsed.words) > 1:
        # These backends read the words strictly: any of them, when nothing has them all.
        query = parsed.to_expanded_query("or")
        outcome = _search_type_by_type(backend, request, parsed, query, kind, topic, page)
        outcome.stage = "any"
    return outcome


def _search_in_one_pass(backend, request, parsed, query, kind, topic, page) -> Outcome:
    scopes = _scopes(request, topic)
    by_name = {searchable.name: searchable for searchable, _queryset in scopes}
    querysets = {searchable.name: queryset for searchable, queryset in scopes}
    found = backend.search_scopes(
        query,
        [(searchable.name, queryset) for searchable, queryset in scopes],
        facet_fields={s.name: s.topic_filter for s, _q in scopes if s.topic_filter},
        kind=kind,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    outcome = Outcome(total=found.total, type_counts=found.counts, stage=found.stage)
    for counts in found.facets.values():
        for topic_id, count in counts.items():
            if topic_id is not None:
                outcome.topic_counts[topic_id] = outcome.topic_counts.get(topic_id, 0) + count
    objects = _objects_of(querysets, found.hits)
    words = parsed.all_terms()
    for hit in found.hits:
        obj = objects.get((hit.scope, hit.pk))
        if obj is None:  # deleted or unpublished since it was indexed
            continue
        searchable = by_name[hit.scope]
        description = getattr(obj, "search_description", "")
        # The stored excerpt is the text without its markup: a snippet shows 140 characters.
        text = description or hit.excerpt[:SNIPPET_SOURCE_CHARS]
        outcome.results.append(_result(searchable, obj, request, text, words))
    return outcome


def _objects_of(querysets, hits) -> dict:
    """The objects of the hits shown, one query per type."""
    wanted: dict[str, list[str]] = {}
    for hit in hits:
        wanted.setdefault(hit.scope, []).append(hit.pk)
    objects = {}
    for name, pks in wanted.items():
        # Only the objects: their snippets come from the index, not from related rows.
        queryset = querysets[name].prefetch_related(None).filter(pk__in=pks)
        for obj in queryset:
            objects[(name, str(obj.pk))] = obj
    return objects


def _search_type_by_type(backend, request, parsed, query, kind, topic, page) -> Outcome:
    outcome = Outcome()
    wanted = page * PER_PAGE
    scored = []
    for searchable, queryset in _scopes(request, topic):
        results = backend.search(query, queryset)
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
        outcome.results.append(_result(searchable, obj, request, snippet_text(obj), words))
    return outcome


def _result(searchable, obj, request, text, words) -> dict:
    title = searchable.title(obj)
    return {
        "type": searchable.name,
        "type_label": str(searchable.label),
        "title": title,
        "url": searchable.url(obj, request),
        "snippet": highlight(text, words),
        "title_html": highlight(title, words, length=200),
    }


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
    topics = registry.topic_model().objects.in_bulk(list(topic_counts))
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
