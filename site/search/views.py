import logging

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.slugs import is_slug
from search import registry, service
from search.querystring import MAX_QUERY_LENGTH, parse

logger = logging.getLogger(__name__)


def _page_number(raw) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), service.MAX_PAGE)


def site_search(request):
    """GET /search/?q=…[&type=…][&topic=…][&page=…][&format=json]: every content type at once,
    with facets and highlighted snippets. Any input gives a page, never an error."""
    parsed = parse(request.GET.get("q"))
    kind = request.GET.get("type", "")
    if registry.get(kind) is None:
        kind = ""
    topic_slug = request.GET.get("topic", "")
    # Only a slug reaches the database (PostgreSQL refuses text with NUL in it).
    topic = (
        registry.topic_model().objects.filter(slug=topic_slug).first()
        if is_slug(topic_slug)
        else None
    )
    page = _page_number(request.GET.get("page"))

    notices = []
    if parsed.truncated:
        notices.append(
            _("Your search was long, so only its first %(count)d characters were used.")
            % {"count": MAX_QUERY_LENGTH}
        )
    outcome = service.Outcome()
    status = 200
    if parsed.is_empty:
        if request.GET.get("q", "").strip():
            notices.append(_("Type one or more words to search for."))
    else:
        try:
            outcome = service.search(request, parsed, kind=kind, topic=topic, page=page)
        except Exception:
            # A damaged or missing index: the page says so instead of failing (and /healthz
            # reports it to whoever runs the site).
            logger.exception("The site search failed for %r", parsed.text)
            outcome, status = service.Outcome(), 503
            notices.append(
                _("Search is not available at the moment. Please try again a little later.")
            )
        if outcome.total and outcome.stage == "most":
            notices.append(
                _("Few pages contain all of your words; showing results with most of them.")
            )
        elif outcome.total and outcome.stage == "any":
            notices.append(
                _("Nothing contains all of your words; showing results with any of them.")
            )
    suggestions = (
        service.suggestions(parsed)
        if not outcome.total and not parsed.is_empty and status == 200
        else []
    )
    type_facets = [
        {"value": s.name, "label": str(s.label), "count": outcome.type_counts.get(s.name, 0)}
        for s in registry.searchable_types()
    ]
    topic_facets = service.topic_facets(outcome.topic_counts)

    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "query": parsed.text,
                "total": outcome.total,
                "results": [
                    {key: str(result[key]) for key in ("type", "title", "url", "snippet")}
                    for result in outcome.results
                ],
                "facets": {"type": type_facets, "topic": topic_facets},
                # Said, not done silently: a query cut to its first 200 characters, a search
                # that is not available.
                **({"notices": notices} if parsed.truncated or status != 200 else {}),
            },
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )

    last_page = max(1, -(-outcome.total // service.PER_PAGE))
    return render(
        request,
        "search/search.html",
        {
            "query": parsed.text,
            "parsed": parsed,
            "outcome": outcome,
            "results": outcome.results,
            "total": outcome.total,
            "notices": notices,
            "suggestions": suggestions,
            "type_facets": type_facets,
            "topic_facets": topic_facets,
            "selected_type": kind,
            "selected_topic": topic.slug if topic else "",
            "page": page,
            "has_previous": page > 1,
            "has_next": page < min(last_page, service.MAX_PAGE),
            "last_page": last_page,
            "no_results_help": (
                service.no_results_help() if not outcome.total and status == 200 else []
            ),
        },
        status=status,
    )
