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
