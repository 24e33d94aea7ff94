"""Reads what a person typed into the search box into a modelsearch query, forgivingly:
quoted phrases, a leading minus to exclude a word, and everything else as words. Nothing typed
here raises: unbalanced quotes and lone operators are read as plain words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from modelsearch.query import MATCH_ALL, And, Not, Or, Phrase, PlainText

from search.plan import RelaxedText
from search.synonyms import expand as expand_synonyms

MAX_QUERY_LENGTH = 200
QUOTE = re.compile(r'"([^"]*)"')


@dataclass
class ParsedQuery:
    text: str = ""
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases)

    def to_query(self, operator: str | None = None):
        """The query: every word wanted, settling for most or any of them when too few
        documents have them all (:class:`search.plan.RelaxedText`), or with ``operator``
        strictly all (``and``) or any (``or``) of them."""
        parts = []
        if self.words:
            text = " ".join(self.words)
            parts.append(RelaxedText(text) if operator is None else PlainText(text, operator))
        parts.extend(Phrase(p) for p in self.phrases)
        if not parts:
            return None
        query = parts[0] if len(parts) == 1 else And(parts)
        for word in self.excluded:
            query = And([query, Not(PlainText(word))])
        return query

    def to_expanded_query(self, operator: str = "and", synonyms=None):
        """The query for backends that do not read queries the project's way (a cluster,
        Wagtail's database backend): each word or one of its synonyms from the table admins
        edit, all (``and``) or any (``or``) of them."""
        if synonyms is None:
            synonyms = expand_synonyms
        parts = []
        for word in self.words:
            alternatives = [PlainText(word, operator="and")] + [
                PlainText(other, operator="and") for other in synonyms(word)
            ]
            parts.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
        parts.extend(Phrase(p) for p in self.phrases)
        if not parts:
            return None
        combine = And if operator == "and" else Or
        query = parts[0] if len(parts) == 1 else combine(parts)
        for word in self.excluded:
            query = And([query, Not(PlainText(word))])
        return query

    def all_terms(self) -> list[str]:
        return self.words + self.phrases


def clean(text: str) -> str:
    """Drops control and format characters and folds every kind of space to one."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category.startswith("Z") or char in "\t\n\r":
            kept.append(" ")
        elif category in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            continue
        else:
            kept.append(char)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def parse(raw: str | None) -> ParsedQuery:
    text = clean(raw or "")
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    parsed = ParsedQuery(text=text, truncated=truncated)
    # Full-width quotes and minus count as their ASCII forms.
    working = text.replace("＂", '"').replace("”", '"').replace("“", '"').replace("－", "-")
    for phrase in QUOTE.findall(working):
        phrase = phrase.strip()
        if phrase:
            parsed.phrases.append(phrase)
    working = QUOTE.sub(" ", working).replace('"', " ")
    for token in working.split():
        if token.startswith("-") and len(token) > 1 and parsed_has_other(working, token):
            parsed.excluded.append(token[1:])
        else:
            word = token.strip("-+*()[]{}!?&|^~:;,")
            if word and word.upper() not in {"AND", "OR", "NOT"}:
                parsed.words.append(word)
    return parsed


def parsed_has_other(working: str, token: str) -> bool:
    """A minus word excludes only when something else is searched for."""
    return any(t != token and not t.startswith("-") for t in working.split())


__all__ = ["MATCH_ALL", "MAX_QUERY_LENGTH", "ParsedQuery", "parse"]
