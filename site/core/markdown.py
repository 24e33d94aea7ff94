"""Markdown written by users and authors, rendered on the server and sanitised with an
allow-list: whatever the text holds, only the tags and attributes below reach the page."""

from __future__ import annotations

import html as html_lib
import re

import markdown as md
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
HEADING = re.compile(r"<(/?)h([1-3])>")
# Browsers drop tabs, newlines and control characters inside a URL before reading its scheme,
# so "java\tscript:" runs as "javascript:" — the scheme is checked on the URL as a browser sees it.
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _safe_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in ("href", "src"):
        return value
    seen = IGNORED_IN_URL.sub("", html_lib.unescape(value))
    scheme = SCHEME.match(seen)
    if scheme and scheme[1].lower() not in URL_SCHEMES:
        return None
    return value


# A preview renders what the writer has typed so far, up to this much: the posts' own limits are
# checked when they are saved.
PREVIEW_CHARS = 20000


def render_preview(text: str) -> SafeString:
    """A draft rendered as it will be shown, for the writer's preview."""
    return render_markdown((text or "")[:PREVIEW_CHARS])


def render_markdown(text: str) -> SafeString:
    html = md.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    # The page title is the page's only h1: "# x" becomes an h2, and so on down.
    html = HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_safe_url,
    )
    return mark_safe(cleaned)


def plain_text(text: str) -> str:
    """What a reader sees of Markdown, without its markup: for snippets and summaries."""
    return html_lib.unescape(strip_tags(render_markdown(text)))


# What readable_text takes away: tags, images and links (their words stay), code fences,
# emphasis, headings, quotes, list and table marks.
_TAG = re.compile(r"<[^>]{0,500}>")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~|`)")
_LINE_MARK = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.MULTILINE)


def readable_text(text: str) -> str:
    """Markdown (or HTML) reduced to its words without rendering it: search excerpts, kept for
    every document of the index, where rendering each would cost a millisecond. Not for display
    as HTML: the caller escapes it."""
    text = _TAG.sub(" ", text or "")
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _FENCE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub("", text).replace("|", " ")
    return html_lib.unescape(text)
