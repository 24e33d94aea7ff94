"""Content generations of one scope, and values cached under them.

The anonymous page cache (core.caching) has one generation for the whole site: any saved model
replaces it, a vote as much as a new course. What is the same for every reader of one part of
the site (a course's outline, the links between a page and its translations) is cached here
under the generation of that part only: a token in the shared cache that a change to that
part's content replaces. A value is stored under the token current when it was computed, so a
replaced token makes every value under it unreachable at once, with no list of keys to delete.

Scopes are short strings: ``"pages"`` (the page tree: a page published, unpublished, moved or
deleted anywhere) or ``"course:<translation key>"`` (one course, in every language, and its
modules and lessons). Whoever changes a scope's content calls ``replace``; it replaces the token
now and again when the transaction commits, so a value computed in between from data not yet
committed, or already stale, is stored under a token that is gone before anyone reads it.

A cache that fails (Redis down) costs speed, never correctness: ``cached`` computes the value.
Every process must see the same tokens, so the values are kept only where the cache is shared
or there is one process (GENERATION_CACHE: on with Redis, in development and in the tests).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)

PREFIX = "generation:"
VALUE_PREFIX = "generated:"
SECONDS = 24 * 3600  # values under a live token are refreshed daily all the same


def _token_keys(scopes: Iterable[str]) -> list[str]:
    return [PREFIX + scope for scope in scopes]


def current(scopes: Iterable[str]) -> str:
    """The tokens of these scopes, joined: creates the missing ones (first use, eviction)."""
    keys = _token_keys(scopes)
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(8), None)
            found[key] = cache.get(key)
    return ".".join(str(found[key]) for key in keys)


class _Replacement:
    """New tokens for some scopes; equal to another for the same scopes, so that a transaction
    writing many rows registers one replacement on commit, not one per row."""

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys

    def __call__(self) -> None:
        try:
            cache.set_many({key: secrets.token_hex(8) for key in self.keys}, None)
        except Exception:  # the change itself must stand; values under the old token expire
            logger.exception("Could not replace the generations %s", ", ".join(self.keys))

    def __eq__(self, other) -> bool:
        return isinstance(other, _Replacement) and other.keys == self.keys

    def __hash__(self) -> int:
        return hash(self.keys)


def replace(*scopes: str) -> None:
    """These scopes' content changed: what was cached under them is out of date, now and again
    when the transaction commits."""
    keys = tuple(_token_keys(dict.fromkeys(scopes)))
    if not keys:
        return
    replacement = _Replacement(keys)
    replacement()
    if connection.in_atomic_block and not any(
        entry[1] == replacement for entry in connection.run_on_commit
    ):
        transaction.on_commit(replacement)


def cached(scopes: Iterable[str], key: str, compute: Callable[[], object], seconds=SECONDS):
    """``compute()``, kept under the scopes' current generation and ``key`` (which must name
    everything else the value depends on: the page, the language) for at most ``seconds``.
    Values must pickle."""
    if not getattr(settings, "GENERATION_CACHE", False):
        return compute()
    scopes = list(scopes)
    try:
        full_key = f"{VALUE_PREFIX}{key}:{current(scopes)}"
        value = cache.get(full_key)
    except Exception:
        logger.exception("The generation cache could not be read")
        return compute()
    if value is not None:
        return value[0]
    value = compute()
    try:
        cache.set(full_key, (value,), seconds)  # in a tuple, so that None is a value too
    except Exception:
        logger.exception("The generation cache could not be written")
    return value


# --- The page tree ---------------------------------------------------------------------------

PAGES = "pages"


def pages_changed(**kwargs) -> None:
    replace(PAGES)


def connect_page_signals() -> None:
    """The ``pages`` scope follows the page tree: any page saved, published, unpublished, moved
    or deleted, and the sites and locales that give pages their addresses. One sender at a time
    for post_delete: a receiver for every sender would stop Django deleting unrelated rows in
    bulk (see core.caching.connect_signals)."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Locale, Site, get_page_models
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for model in [*get_page_models(), Site, Locale]:
        uid = f"generations:pages:{model._meta.label_lower}"
        post_save.connect(pages_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(pages_changed, sender=model, dispatch_uid=uid)
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(pages_changed, dispatch_uid="generations:pages")
