"""Readable addresses for Japanese titles. Django's and Wagtail's slugify keep ASCII only, so
「K9 AI活用の基礎」 became /k9-ai/ and 「窓口のキャッシュレス化」 nothing at all; the title is
romanised first (Hepburn, by pykakasi's dictionary, which needs no download):
/k9-ai-katsuyou-no-kiso/, /madoguchi-no-kyasshuresu-ka/."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.utils.text import slugify

MAX_LENGTH = 60


@cache
def _converter():
    # Lazy: pykakasi takes about 0.3 s to import, and only non-ASCII titles need it.
    import pykakasi

    return pykakasi.kakasi()


def romanise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    if text.isascii():
        return text
    return " ".join(part["hepburn"] or part["orig"] for part in _converter().convert(text))


def readable_slug(title: str, *, fallback: str = "page", max_length: int = MAX_LENGTH) -> str:
    """An ASCII slug that says what the title says, cut at a word boundary."""
    slug = slugify(romanise(title))
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-") or fallback


def is_ascii_remnant(title: str, slug: str) -> bool:
    """Whether ``slug`` is only what an ASCII-only slugify leaves of a Japanese title (what the
    admin's title-to-slug sync types in), or nothing: then a readable one is made instead."""
    if not slug:
        return True
    return not unicodedata.normalize("NFKC", title).isascii() and slug == slugify(title)


def unique_among(siblings, slug: str) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… if a sibling page has it."""
    taken = set(siblings.filter(slug__startswith=slug).values_list("slug", flat=True))
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


# A slug as a query parameter may be (a topic's, a tag's): anything else names nothing, so it is
# not looked up (and a hostile value never reaches the database).
_SLUG_PARAMETER = re.compile(r"[-a-zA-Z0-9_]{1,100}")


def is_slug(value: str) -> bool:
    return bool(_SLUG_PARAMETER.fullmatch(value or ""))
