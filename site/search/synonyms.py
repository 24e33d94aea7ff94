"""Query-time expansion with the synonym and abbreviation table that admins edit.

A query looks up every run of its words in the table, and a page of results looks up the words
it highlights: the table is kept in each process and checked against the shared cache's
version of it at most every few seconds, so an edit reaches every process within that time
(and this one at once)."""

import time

from django.core.cache import cache

from search.analysis import fold_kana, normalize

CACHE_KEY = "search:synonyms:v1"
VERSION_KEY = "search:synonyms:version"
CHECK_EVERY = 5.0  # seconds

_process = {"table": None, "version": None, "checked": 0.0}


def _key(term: str) -> str:
    return fold_kana(normalize(term)).replace(" ", "")


def _load() -> dict[str, list[str]]:
    table = cache.get(CACHE_KEY)
    if table is None:
        # search.models imports this module (clear_cache): a top-level import would be circular.
        from search.models import SynonymGroup

        table = {}
        for group in SynonymGroup.objects.all():
            terms = group.term_list()
            for term in terms:
                table.setdefault(_key(term), []).extend(t for t in terms if t != term)
        cache.set(CACHE_KEY, table, 300)
    return table


def synonym_map() -> dict[str, list[str]]:
    now = time.monotonic()
    if _process["table"] is not None and now - _process["checked"] < CHECK_EVERY:
        return _process["table"]
    version = cache.get(VERSION_KEY)
    if _process["table"] is None or version != _process["version"]:
        _process["table"] = _load()
        _process["version"] = version
    _process["checked"] = now
    return _process["table"]


def expand(term: str) -> list[str]:
    """The other spellings of a term, e.g. ``rfp`` → ``["提案依頼書"]``."""
    return synonym_map().get(_key(term), [])


def clear_cache(**kwargs):
    cache.delete(CACHE_KEY)
    cache.set(VERSION_KEY, time.time_ns(), None)
    _process["table"] = None
