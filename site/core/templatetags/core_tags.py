from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.translation import get_language, pgettext_lazy
from wagtail.models import Page

from core import caching, generations
from core.idempotency import FIELD, new_key
from core.markdown import render_markdown

register = template.Library()

VERSION_LANGUAGE = {
    "ja": pgettext_lazy("version of a page", "Japanese"),
    "en": pgettext_lazy("version of a page", "English"),
}


@register.simple_tag
def submission_key():
    """The one-time key of a create form (core.idempotency): a new one each time it is shown."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())


def _page_links(page, request, codes) -> dict[str, dict]:
    """For a Wagtail page, by language: the link to its translation, keeping a routable page's
    sub-path and the query (/cases/compare/?ids=… → /en/cases/compare/?ids=…); where it has no
    live translation, the nearest ancestor that has one, with that page's title for the note.
    The addresses are the same for every reader of the page: they are cached until the page
    tree changes (core.generations), and the sub-path and query added per request."""
    if page.pk is None:  # a new page in the admin's preview: nothing to share with others
        own, links = _translation_links(page, request, codes)
    else:
        key = f"page-links:{page.pk}:{page.url_path}:{request.get_host()}:{','.join(codes)}"
        own, links = generations.cached(
            [generations.PAGES], key, lambda: _translation_links(page, request, codes)
        )
    path = request.path
    rest = path[len(own) :] if own and path.startswith(own) else ""
    query = request.META.get("QUERY_STRING", "")
    return {
        code: link
        if link.get("untranslated")
        else {"url": link["url"] + rest + (f"?{query}" if query else "")}
        for code, link in links.items()
    }


def _translation_links(page, request, codes) -> tuple[str, dict[str, dict]]:
    """The page's own address and, by language, its live translation's or, where it has none,
    the nearest translated ancestor's (two queries, three with a missing translation)."""
    translations = {
        t.locale.language_code: t
        for t in page.get_translations(inclusive=True).live().select_related("locale")
    }
    own = page.get_url(request) or ""
    links = {}
    missing = [code for code in codes if code not in translations]
    for code, translation in translations.items():
        url = translation.get_url(request)
        if url:
            links[code] = {"url": url}
    if missing:
        keys = [a.translation_key for a in page.get_ancestors().filter(depth__gt=1)]
        found = {
            (p.locale.language_code, p.translation_key): p
            for p in Page.objects.live()
            .filter(translation_key__in=keys, locale__language_code__in=missing)
            .select_related("locale")
        }
        for code in missing:
            nearest = next((found[(code, k)] for k in reversed(keys) if (code, k) in found), None)
            url = nearest.get_url(request) if nearest else None
            links[code] = {
                "url": url or translate_url("/", code),
                "fallback": nearest.title if nearest else "",
                "untranslated": True,
            }
    return own, links


@register.inclusion_tag("components/language_switcher.html", takes_context=True)
def language_switcher(context):
    """Links to the current page in each language: the page's translation for Wagtail pages,
    the same view under the other prefix for everything else. A page without a translation
    links to the nearest page above it that has one, and says so, never to a 404."""
    request = context.get("request")
    if request is None:
        return {"languages": []}
    page = context.get("page")
    current = get_language()
    codes = [code for code, _name in settings.LANGUAGES]
    page_links = _page_links(page, request, codes) if isinstance(page, Page) else {}
    languages = []
    for code, name in settings.LANGUAGES:
        link = page_links.get(code) or {"url": translate_url(request.get_full_path(), code)}
        languages.append(
            {
                "code": code,
                "name": name,
                # For the note, in the reader's language: 英語, Japanese.
                "name_translated": VERSION_LANGUAGE.get(code, name),
                "current": code == current,
                **link,
            }
        )
    return {"languages": languages}


@register.filter
def localized_path(path):
    """A path on this site, in the active language (/people/ → /en/people/ in English)."""
    return translate_url(path, get_language())


# Shorter texts render faster than a round trip to the cache would take.
CACHED_MARKDOWN_CHARS = 300


@register.filter(name="markdown")
def markdown_filter(text):
    """Markdown rendered and sanitised (core.markdown); the page title is the only h1. Longer
    texts (a lesson, a case's sections) are rendered once per text and kept in the cache."""
    if isinstance(text, str) and len(text) >= CACHED_MARKDOWN_CHARS:
        return caching.rendered_markdown([text])[text]
    return render_markdown(text)
