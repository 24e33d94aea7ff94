"""Snippets with the searched words marked, computed from the object's own text with the same
analysis as the index, so that ｻｰﾊﾞ in a query marks サーバー in the text."""

from __future__ import annotations

import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.analysis import fold_kana, morphological_terms, normalize
from search.synonyms import expand

SNIPPET_LENGTH = 140


def query_terms(words: list[str]) -> tuple[set[str], list[str]]:
    """Analysed terms and folded literal strings to look for."""
    terms: set[str] = set()
    literals: list[str] = []
    for word in words:
        for variant in [word, *expand(word)]:
            normalised = normalize(variant)
            terms.update(t.text for t in morphological_terms(normalised))
            literal = fold_kana(normalised).replace(" ", "")
            if literal:
                literals.append(literal)
    return terms, literals


def _spans(display: str, terms: set[str], literals: list[str]) -> list[tuple[int, int]]:
    lowered = display.lower()
    spans = [(t.start, t.end) for t in morphological_terms(lowered) if t.text in terms]
    folded = fold_kana(lowered)
    if len(folded) == len(lowered):  # literal positions only hold when folding kept lengths
        for literal in literals:
            start = folded.find(literal)
            while start != -1:
                spans.append((start, start + len(literal)))
                start = folded.find(literal, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, words: list[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """The part of ``text`` (about ``length`` characters) with the most matches, HTML-escaped,
    the matches in <mark>."""
    display = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not display:
        return mark_safe("")
    terms, literals = query_terms(words)
    # The dictionary reads only a region of a long text: around the first place a word of the
    # query appears as typed, or its start (a page of results highlights twenty texts).
    offset = 0
    if len(display) > length * 2:
        offset = _region_start(display, literals, length)
        region = display[offset : offset + length * 2]
    else:
        region = display
    spans = _spans(region, terms, literals) if (terms or literals) else []
    start = 0
    if spans and len(region) > length:
        best, best_count = spans[0][0], 0
        for i, (span_start, _end) in enumerate(spans):
            count = sum(1 for s, _ in spans[i:] if s < span_start + length)
            if count > best_count:
                best, best_count = span_start, count
        start = max(0, min(best - length // 4, len(region) - length))
    end = min(len(region), start + length)
    pieces = ["…" if offset + start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.append(escape(region[cursor:span_start]))
        pieces.append(f"<mark>{escape(region[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(escape(region[cursor:end]))
    if offset + end < len(display):
        pieces.append("…")
    return mark_safe("".join(pieces))


def _region_start(display: str, literals: list[str], length: int) -> int:
    folded = fold_kana(display.lower())
    if len(folded) != len(display):
        return 0
    found = [i for i in (folded.find(literal) for literal in literals) if i != -1]
    if not found:
        return 0
    return max(0, min(min(found) - length // 2, len(display) - length * 2))
