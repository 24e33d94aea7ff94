"""The anonymous page cache and the content generation that invalidates it.

Whole responses of public pages are kept in the cache (Redis in production) for visitors who are
not signed in, keyed by the full URL and the language. Every entry is tagged with the *content
generation*: a random token in the cache that any change to content replaces (a model saved or
deleted, a page published, unpublished or moved; see `connect_signals`). An entry whose tag is
not the current generation is never served, so invalidation needs no list of the URLs a change
touches: one write makes every page render afresh once.

The generation is replaced when the change is made and again when its transaction commits, so a
page rendered in between (from data not yet committed, or already stale) is tagged with a
generation that is gone by the time anyone could read it.

Two middleware classes do the work, like Django's own per-site cache:

- `FetchPageCacheMiddleware`, last in MIDDLEWARE (it needs the user, the messages and the
  resolved view), answers a GET from the cache when the request may be, and otherwise marks the
  request for storing;
- `UpdatePageCacheMiddleware`, before the session, CSRF and messages middleware (so it sees the
  cookies they set), stores the finished response when it is safe to share.

Never cached: signed-in members, requests with messages waiting, anything but GET, anything but
200, responses that set a cookie, used a CSRF token or a CSP nonce, say private/no-cache/no-store,
or vary on something other than the cookie, the language or the encoding; and any view not listed
in PAGE_CACHE_VIEWS. Cached pages carry an ETag and answer a matching If-None-Match with 304.

PAGE_CACHE_SECONDS sets how long an entry lives (0 switches the cache off). The cache must be
shared by every process that serves or changes content (Redis): a per-process memory cache would
keep serving a page another process has changed, so the settings switch it on only with REDIS_URL.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import (
    get_conditional_response,
    has_vary_header,
    patch_vary_headers,
)
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import markdown

logger = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"
ENTRY_PREFIX = "pagecache:entry:"
MAX_URL_LENGTH = 2000  # longer URLs are not worth a cache entry

# Views whose anonymous GET responses are cached: every Wagtail page (home, programmes, courses,
# modules, lessons, case studies, the case listing with its feed, compare and benchmark) and the
# public side of the knowledge base. The site search is not: with queued indexing its results
# change when the index does, which no model signal reports.
DEFAULT_CACHED_VIEWS = frozenset(
    {
        "wagtail_serve",
        "knowledge:list",
        "knowledge:question",
        "knowledge:feed",
        "knowledge:topic_feed",
    }
)

# Models whose changes never show on a cached page, or that change while pages are merely read
# (image renditions, embeds, the reference index, sessions): saving them must not empty the
# cache. Everything else, including models added later, replaces the generation.
UNWATCHED_MODELS = frozenset(
    {
        "sessions.session",
        "admin.logentry",
        "contenttypes.contenttype",
        "auth.permission",
        "account.emailaddress",
        "account.emailconfirmation",
        "mfa.authenticator",
        "django_tasks_database.dbtaskresult",
        "wagtailadmin.admin",
        "wagtailadmin.editingsession",
        "wagtailadmin.formstate",
        "wagtailcore.apitoken",
        "wagtailcore.modellogentry",
        "wagtailcore.pagelogentry",
        "wagtailcore.pagesubscription",
        "wagtailcore.referenceindex",
        "wagtailcore.uploadedfile",
        "wagtailembeds.embed",
        "wagtailimages.rendition",
        "wagtailsearch.indexentry",
        "wagtailsearch.sqliteftsindexentry",
        "wagtailusers.userprofile",
        # Personal records: shown only to their owner, on pages that are never cached.
        "curriculum.enrolment",
        "curriculum.lessoncompletion",
        "curriculum.quizattempt",
        "knowledge.notification",
        "knowledge.subscription",
        "knowledge.member",
        "knowledge.flag",
        "credentials.organisationreporter",
    }
)
# Variations the cache key already covers (the language) or that never change the body here.
HARMLESS_VARY = frozenset({"cookie", "accept-language", "accept-encoding"})


def page_cache_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 0) or 0)


def cached_views() -> frozenset[str]:
    return frozenset(getattr(settings, "PAGE_CACHE_VIEWS", DEFAULT_CACHED_VIEWS))


def _cache():
    return caches[getattr(settings, "PAGE_CACHE_ALIAS", "default")]


@checks.register(checks.Tags.caches)
def check_shared_cache(app_configs=None, **kwargs):
    """A per-process cache cannot carry one generation to every process."""
    if not page_cache_seconds():
        return []
    backend = settings.CACHES[getattr(settings, "PAGE_CACHE_ALIAS", "default")]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "PAGE_CACHE_SECONDS is set but the cache is per process: a page changed in one "
                "process would be served stale by the others.",
                hint="Set REDIS_URL, or PAGE_CACHE_SECONDS=0.",
                id="core.W001",
            )
        ]
    return []


# --- The content generation -----------------------------------------------------------------------


def current_generation() -> str:
    """The current generation token, creating one if the cache has none (first use, eviction)."""
    cache = _cache()
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), None)
        generation = cache.get(GENERATION_KEY)
    return generation


def new_generation() -> None:
    """Every cached page is out of date from now on."""
    try:
        _cache().set(GENERATION_KEY, secrets.token_hex(8), None)
    except Exception:  # the cache being down must not undo a change; its entries expire anyway
        logger.exception("Could not replace the page cache generation")


def _pending_on_commit() -> bool:
    return any(entry[1] is new_generation for entry in connection.run_on_commit)


def content_changed(**_kwargs) -> None:
    """A change to content: a new generation now, and another when the transaction commits
    (registered once per transaction, however many rows it writes)."""
    if not page_cache_seconds():
        return
    new_generation()
    if connection.in_atomic_block and not _pending_on_commit():
        transaction.on_commit(new_generation)


def _model_saved(sender, update_fields=None, **kwargs):
    # Signing in writes the user's last_login and nothing else anyone sees.
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return
    content_changed()


def watched_models():
    return [m for m in apps.get_models() if m._meta.label_lower not in UNWATCHED_MODELS]


def connect_signals() -> None:
    """Connect the invalidation to every watched model, one sender at a time: a post_delete
    receiver for all senders would stop Django deleting unwatched rows (sessions, the reference
    index) in bulk."""
    for model in watched_models():
        uid = f"pagecache:{model._meta.label_lower}"
        post_save.connect(_model_saved, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(content_changed, sender=model, weak=False, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(
                content_changed, sender=through, weak=False, dispatch_uid=f"{uid}:{field.name}"
            )
    # Moving a page rewrites its subtree's paths with queryset updates, which send no post_save.
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(content_changed, weak=False, dispatch_uid="pagecache:wagtail")


# --- Rendered Markdown ---------------------------------------------------------------------------

MARKDOWN_PREFIX = "markdown:"
MARKDOWN_SECONDS = 7 * 24 * 3600


def rendered_markdown(texts) -> dict[str, SafeString]:
    """Markdown rendered and sanitised (core.markdown) for many texts with one cache round trip.
    Entries are keyed by the text itself, so an edit is simply a new key: nothing to empty, and
    correct with or without the page cache. A question's page asks for its body and every answer
    at once; only texts never rendered before are rendered."""
    keys = {MARKDOWN_PREFIX + hashlib.sha256(text.encode()).hexdigest(): text for text in texts}
    try:
        found = _cache().get_many(list(keys))
    except Exception:
        logger.exception("The Markdown cache could not be read")
        found = {}
    missing = {
        key: str(markdown.render_markdown(text)) for key, text in keys.items() if key not in found
    }
    if missing:
        try:
            _cache().set_many(missing, MARKDOWN_SECONDS)
        except Exception:
            logger.exception("The Markdown cache could not be written")
    html = {**found, **missing}
    # What is stored is render_markdown's own sanitised output.
    return {text: mark_safe(html[key]) for key, text in keys.items()}


# --- The middleware -----------------------------------------------------------------------------


def entry_key(request) -> str | None:
    url = request.build_absolute_uri()
    if len(url) > MAX_URL_LENGTH:
        return None
    digest = hashlib.sha256(f"{get_language()} {url}".encode()).hexdigest()
    return ENTRY_PREFIX + digest


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    # len() reads the stored messages without marking them shown.
    return storage is not None and len(storage) > 0


def may_use_cache(request) -> bool:
    if request.method != "GET" or not page_cache_seconds():
        return False
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in cached_views():
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    return not _has_messages(request)


def _conditional(request, response):
    """304 when the client already holds this version."""
    etag = response.get("ETag")
    return get_conditional_response(request, etag=etag, response=response) if etag else response


class FetchPageCacheMiddleware:
    """Last in MIDDLEWARE: answers from the cache, or marks the request for storing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not may_use_cache(request):
            return None
        key = entry_key(request)
        if key is None:
            return None
        try:
            cache = _cache()
            found = cache.get_many([GENERATION_KEY, key])
            generation = found.get(GENERATION_KEY) or current_generation()
        except Exception:
            logger.exception("The page cache could not be read")
            return None
        entry = found.get(key)
        if entry is not None and entry[0] == generation:
            request._page_cache_hit = True
            response = entry[1]
            response["X-Page-Cache"] = "hit"
            return _conditional(request, response)
        request._page_cache_store = (key, generation)
        return None


def may_store(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.user.is_authenticated:  # someone signed in while the page was made
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page holds a CSRF token
        return False
    if isinstance(getattr(request, "_csp_nonce", None), str):  # a nonce is for one response
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-cache", "no-store")):
        return False
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return vary <= HARMLESS_VARY


class UpdatePageCacheMiddleware:
    """Before the session, CSRF and messages middleware: stores what may be shared."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_page_cache_store", None)
        if pending is None or getattr(request, "_page_cache_hit", False):
            return response
        if not may_store(request, response):
            response["X-Page-Cache"] = "skip"
            return response
        key, generation = pending
        if not response.has_header("ETag"):
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        # A browser signed in later sends another cookie, so it must not reuse this copy.
        if not has_vary_header(response, "Cookie"):
            patch_vary_headers(response, ["Cookie"])
        try:
            _cache().set(key, (generation, response), page_cache_seconds())
        except Exception:
            logger.exception("The page cache could not be written")
        response["X-Page-Cache"] = "miss"
        return _conditional(request, response)
