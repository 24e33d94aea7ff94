"""Differences between two revisions, line by line, with the changed characters marked inside a
changed line (Japanese has no spaces, so words are not a useful unit). Text is escaped here;
the template shows the result as it is."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added", "removed"
    html: SafeString


def _marked(text: str, spans: list[tuple[int, int]], tag: str) -> SafeString:
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(f"<{tag}>{escape(text[start:end])}</{tag}>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))


def _inline(old: str, new: str) -> tuple[SafeString, SafeString]:
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    removed, added = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed.append((i1, i2))
        if op in ("replace", "insert"):
            added.append((j1, j2))
    return _marked(old, removed, "del"), _marked(new, added, "ins")


def diff_lines(old: str, new: str) -> list[Line]:
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    lines: list[Line] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines.extend(Line("same", mark_safe(escape(t))) for t in old_lines[i1:i2])
            continue
        olds, news = old_lines[i1:i2], new_lines[j1:j2]
        paired = min(len(olds), len(news)) if op == "replace" else 0
        # Lines replaced one for one show which characters changed within them.
        for before, after in zip(olds[:paired], news[:paired], strict=True):
            removed, added = _inline(before, after)
            lines.append(Line("removed", removed))
            lines.append(Line("added", added))
        lines.extend(Line("removed", mark_safe(escape(t))) for t in olds[paired:])
        lines.extend(Line("added", mark_safe(escape(t))) for t in news[paired:])
    return lines
