"""While someone types a question, what already exists that may answer it: questions, case
studies, lessons and courses, found by the same Japanese-aware search as the site search."""

from __future__ import annotations

import logging

from wagtail.search.backends import get_search_backend

from search import registry
from search.querystring import parse

logger = logging.getLogger(__name__)

# (type, how many) in the order they are shown.
WANTED = (("question", 5), ("case_study", 3), ("lesson", 3), ("course", 2))
MIN_LENGTH = 2


def similar_to(request, text: str, exclude_question=None) -> list[dict]:
    parsed = parse(text)
    if parsed.is_empty or len(parsed.text) < MIN_LENGTH:
        return []
    # A title is a sentence, not keywords: the documents with most of its words come first.
    query = parsed.to_query()
    try:
        return _similar(request, query, exclude_question)
    except Exception:
        # A damaged index must not stop anyone asking: the list beside the form stays empty.
        logger.exception("Looking for similar questions failed")
        return []


def _similar(request, query, exclude_question) -> list[dict]:
    backend = get_search_backend()
    found = []
    for name, limit in WANTED:
        searchable = registry.get(name)
        if searchable is None:
            continue
        queryset = searchable.queryset(request)
        if name == "question" and exclude_question is not None:
            queryset = queryset.exclude(pk=exclude_question.pk)
        for obj in backend.search(query, queryset)[:limit]:
            found.append(
                {
                    "type": name,
                    "type_label": str(searchable.label),
                    "title": searchable.title(obj),
                    "url": searchable.url(obj, request),
                    "status": getattr(obj, "status", ""),
                }
            )
    return found
