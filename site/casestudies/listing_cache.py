"""The case library's generation, and the listing's facet counts cached under it.

Counting the cases for every facet value costs a dozen queries over the whole library, and the
counts change only when something the listing shows changes. So what one filter combination
needs beyond its page of cards (the values known, each facet's counts, the total, the cases a
technology filter leaves) is kept in the default cache per index, language and combination; the
sort and the page number are not part of the key, as the counts do not depend on them.

Entries are kept under the *case-library generation* (core/generations.py, scope
``casestudies:library``), which the receivers in `receivers.py` replace when a case is published,
unpublished, moved or deleted, or a metric, topic, municipality or prefecture changes (and nothing
else: a vote or an answer keeps it). It is replaced when the change is made and again when its
transaction commits, so counts computed in between, from data not yet committed, are never served.

The cache is an optimisation only: a miss, or a cache that fails, means computing the counts; and
where the cache is not shared by every process (GENERATION_CACHE off), nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.utils.translation import get_language

from core import generations

ENTRY_PREFIX = "casestudies:facets:v1:"
SCOPE = "casestudies:library"
# The generation keeps entries exact; the lifetime bounds writes that send no signal (bulk loads,
# queryset updates).
ENTRY_SECONDS = 3600


def library_changed(**_kwargs) -> None:
    """A signal receiver: what the listing shows has changed."""
    generations.replace(SCOPE)


def entry_key(index_pk: int, filters: dict[str, list[str]]) -> str:
    """One key per index, language and combination: ``filters`` must already be normalised
    (each facet's values sorted), so that the order values come in does not matter."""
    # JSON, as a value may hold any character a separator would (a technology "RPA,AI-OCR").
    combination = json.dumps(list(filters.items()), ensure_ascii=False)
    digest = hashlib.sha256(combination.encode()).hexdigest()[:32]
    return f"{ENTRY_PREFIX}{index_pk}:{get_language()}:{digest}"


def cached(key: str, compute: Callable[[], dict]) -> dict:
    """The entry under ``key`` in the current generation, otherwise ``compute()`` stored there.
    What is stored must be plain data (dicts, lists, strings, numbers), so that an entry never
    depends on a class that may be renamed."""
    return generations.cached([SCOPE], key, compute, seconds=ENTRY_SECONDS)
