"""How a search query becomes an index query, whatever the engine.

A query is read into *concepts*: the things a matching document must be about. Each content
word of the query is one (提案依頼書を書く前に何を準備すればよいですか → 提案, 依頼, 書, 書く, 前,
準備: particles, question words and the verbs of compound particles are left out by
:func:`search.analysis.query_words`). A run of words that the synonym table names is one concept
with the synonyms as alternatives (提案依頼書 or RFP). A query typed partly in hiragana is also
read with those runs in katakana (くらうどの費用 → クラウドの費用), as a second *reading* tried
beside the first.

Documents are then looked for in stages, each tried only when the one before found too few
(:data:`ENOUGH`), as Elasticsearch's ``minimum_should_match`` and a person rephrasing would:

1. ``all``: every concept, read through the dictionary;
2. ``all`` with character pairs: adjacent nouns form one concept that may also match as a run
   of characters (ロックイン inside ベンダーロックイン, words the dictionary does not know);
3. ``most``: three concepts in four (:func:`most_of`);
4. ``any``: any concept.

In every stage, documents where the query's words stand together rank higher (a phrase of each
pair of adjacent words, a few positions apart), and in ``most`` and ``any`` so do documents that
have every concept. The engines (``backends/tantivy.py``, ``backends/whoosh.py``) turn a plan
into their own query objects through a :class:`Builder`; nothing here knows an engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from modelsearch.query import And, Boost, Fuzzy, MatchAll, Not, Or, Phrase, PlainText

from search.analysis import (
    LATIN_WORD,
    QueryWord,
    bigram_words,
    kana_key,
    kana_reading,
    kana_spans,
    katakana_reading,
    normalize,
    query_words,
    title_key,
)
from search.synonyms import expand as expand_synonyms

# A stage that finds fewer documents than this gives way to the next.
ENOUGH = 10
STAGES = ("all", "all_pairs", "most", "any")
# The character-pair reading finds more, less surely: it counts for less.
PAIR_WEIGHT = 0.5
# Adjacent query words found within this many positions of each other, in order.
PROXIMITY_SLOP = 2
PROXIMITY_BOOST = 0.5
ALL_CONCEPTS_BOOST = 1.0
# Query words joined into one synonym key at most.
SYNONYM_WINDOW = 6
# A document whose title is exactly the query: above any that only mention it.
TITLE_BOOST = 10.0


class RelaxedText(PlainText):
    """Plain text that wants every word, and settles for most or any of them when too few
    documents have them all (the site search and "similar questions"). Backends that do not
    know it read it as ``PlainText(operator="and")``."""

    def __init__(self, query_string: str, boost: float = 1.0):
        super().__init__(query_string, operator="and", boost=boost)


@dataclass(frozen=True)
class Alternative:
    """One way of matching a concept: all of ``words`` (dictionary terms), or with character
    pairs allowed, ``pairs`` as a phrase, or ``reading`` (words typed in kana: ようけんていぎ) as
    the readings of the documents' words (ヨウケン テイギ)."""

    words: tuple[str, ...]
    pairs: tuple[str, ...] = ()
    ordered: bool = False  # a quoted phrase: the words in this order, next to each other
    reading: str = ""


@dataclass(frozen=True)
class Concept:
    alternatives: tuple[Alternative, ...]


@dataclass
class Reading:
    # One concept per word, or per run of words the synonym table names.
    concepts: list[Concept]
    # The same with adjacent nouns joined into one concept that may also match as a run of
    # characters (ロック + イン, or ロックイン as characters): the character-pair stages.
    compounds: list[Concept] = field(default_factory=list)
    # Adjacent words of the query, for the proximity boost.
    neighbours: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TextPlan:
    readings: list[Reading]
    # The query's words as a document's title would be indexed (search.analysis.title_key):
    # a document titled exactly so comes first.
    title_keys: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(reading.concepts for reading in self.readings)

    def concept_count(self) -> int:
        return max((len(r.concepts) for r in self.readings), default=0)

    @property
    def has_pairs(self) -> bool:
        return any(
            alternative.pairs or alternative.reading
            for reading in self.readings
            for concept in reading.compounds
            for alternative in concept.alternatives
        )


class Builder(Protocol):
    """What an engine provides to turn a plan into its query objects."""

    def word(self, word: str, boost: float): ...

    def phrase(self, words: Sequence[str], slop: int, boost: float): ...

    def pairs(self, pairs: Sequence[str], boost: float): ...

    def reading(self, kana: str, boost: float): ...  # see segment_reading

    def title(self, key: str, boost: float): ...

    def all_of(self, queries: list): ...

    def any_of(self, queries: list, minimum: int = 1): ...

    def best_of(self, queries: list): ...  # the best-scoring one counts (synonyms, readings)

    def scored_by(self, required, extras: list): ...  # ``required``, ranked higher by extras

    def is_common(self, words: Sequence[str]) -> bool: ...  # in so many documents it only ranks

    def exclude(self, query, excluded): ...

    def everything(self): ...

    def nothing(self): ...


def most_of(count: int) -> int:
    """Concepts a document needs in the ``most`` stage: three in four, rounded down (2 of 3,
    3 of 4, 3 of 5, 4 of 6)."""
    return max(1, count * 3 // 4)


def stages_for(operator: str, relaxed: bool) -> tuple[str, ...]:
    """The stages a query goes through: a strict ``and`` never relaxes, ``or`` is ``any``."""
    if relaxed:
        return STAGES
    if operator == "or":
        return ("any",)
    return ("all", "all_pairs")


def useful_stages(plans: Sequence[TextPlan], stages: Sequence[str]) -> list[str]:
    """The stages that can find something the earlier ones did not: without a run of
    characters to match, ``all_pairs`` is ``all``; ``most`` of two words is ``any``; for a
    single word, ``most`` and ``any`` add nothing to ``all_pairs``."""
    count = max((p.concept_count() for p in plans), default=0)
    pairs = any(p.has_pairs for p in plans)
    kept = []
    for stage in stages:
        if stage == "all_pairs" and not pairs:
            continue
        if stage == "most" and most_of(count) in {1, count}:
            continue
        if stage in {"most", "any"} and count <= 1 and kept:
            continue
        kept.append(stage)
    return kept or list(stages[:1])


# --- Reading a query ---------------------------------------------------------------------------


def plan_text(query_string: str, synonyms=None) -> TextPlan:
    """The concepts of ``query_string`` in each of its readings."""
    if synonyms is None:
        synonyms = expand_synonyms
    text = normalize(query_string)
    texts = [text]
    katakana = katakana_reading(text)
    if katakana is not None:
        texts.append(katakana)
    readings = [_reading(t, synonyms) for t in texts]
    spans = kana_spans(text)
    if spans:
        readings.append(_kana_reading(text, spans, synonyms))
    keys = [title_key(t) for t in texts]
    if len(spans) == 1 and not text[: spans[0][0]].strip() and not _has_words_after(text, spans):
        keys.append(kana_key(text[spans[0][0] : spans[0][1]]))  # うんよう: a title read so
    keys = list(dict.fromkeys(k for k in keys if k))
    return TextPlan([r for r in readings if r.concepts] or readings[:1], keys)


def _has_words_after(text: str, spans) -> bool:
    return bool(query_words(text[spans[-1][1] :]))


def _kana_reading(text: str, spans, synonyms) -> Reading:
    """The query with its words typed in hiragana looked for in the documents' readings."""
    kana = [Concept((Alternative((), reading=kana_reading(text[a:b])),)) for a, b in spans]
    rest = list(text)
    for a, b in spans:
        rest[a:b] = " " * (b - a)
    others = _reading("".join(rest), synonyms)
    return Reading(kana + others.concepts, kana + others.compounds, [])


def plan_phrase(query_string: str) -> TextPlan:
    text = normalize(query_string)
    words = tuple(w.text for w in query_words(text))
    if not words:
        return TextPlan([Reading([])])
    concept = Concept((Alternative(words, tuple(bigram_words(text)), ordered=True),))
    return TextPlan([Reading([concept], [concept])])


def _reading(text: str, synonyms) -> Reading:
    words = query_words(text)
    concepts: list[Concept] = []
    groups: list[list[QueryWord]] = []  # the words of each concept, for pairs
    i = 0
    while i < len(words):
        found = None
        for j in range(min(len(words), i + SYNONYM_WINDOW), i, -1):
            if not _contiguous(text, words[i:j]):
                continue
            surface = text[words[i].start : words[j - 1].end]
            others = synonyms(surface)
            if others:
                found = (j, surface, others)
                break
        if found:
            j, surface, others = found
            alternatives = [_alternative(text, words[i:j])]
            for other in others:
                other_text = normalize(other)
                other_words = tuple(w.text for w in query_words(other_text))
                if other_words:
                    alternatives.append(Alternative(other_words, tuple(bigram_words(other_text))))
            concepts.append(Concept(tuple(dict.fromkeys(alternatives))))
            groups.append(words[i:j])
            i = j
        else:
            concepts.append(Concept((Alternative((words[i].text,)),)))
            groups.append([words[i]])
            i += 1
    compounds = _compounds(text, concepts, groups)
    concepts, _groups = _deduplicated(concepts, groups)
    neighbours = [
        (a.text, b.text)
        for a, b in itertools.pairwise(words)
        if a.text != b.text and b.start - a.end <= 3
    ]
    return Reading(concepts, compounds, neighbours)


def _compounds(text, concepts, groups) -> list[Concept]:
    """Runs of adjacent nouns (no particle between them) joined into one concept each."""
    joined: list[Concept] = []
    run: list[QueryWord] = []

    def close():
        if run:
            joined.append(Concept((_alternative(text, run),)))
            run.clear()

    for concept, group in zip(concepts, groups, strict=True):
        if len(concept.alternatives) > 1:  # a synonym group stays as it is
            close()
            joined.append(concept)
            continue
        word = group[0]
        if run and not (word.compound and run[-1].compound and word.start == run[-1].end):
            close()
        run.append(word)
    close()
    return list(dict.fromkeys(joined))


def _deduplicated(concepts, groups):
    seen = set()
    kept_concepts, kept_groups = [], []
    for concept, group in zip(concepts, groups, strict=True):
        if concept in seen:  # 工程 … 工程: once is enough
            continue
        seen.add(concept)
        kept_concepts.append(concept)
        kept_groups.append(group)
    return kept_concepts, kept_groups


def _alternative(text: str, words: list[QueryWord]) -> Alternative:
    surface = text[words[0].start : words[-1].end]
    return Alternative(tuple(w.text for w in words), tuple(bigram_words(surface)))


def _contiguous(text: str, words: list[QueryWord]) -> bool:
    """Words with nothing but spaces or particles between them read as one term (RFP, 情報
    システムの調達, request for proposal)."""
    return all(b.start - a.end <= 3 for a, b in itertools.pairwise(words))


# --- Compiling --------------------------------------------------------------------------------


def compile_plan(plan: TextPlan, stage: str, builder: Builder, boost: float = 1.0):
    """The engine's query for one stage of the plan."""
    queries = [_compile_reading(r, stage, builder, boost) for r in plan.readings if r.concepts]
    queries = [q for q in queries if q is not None]
    if not queries:
        return builder.nothing()
    query = queries[0] if len(queries) == 1 else builder.best_of(queries)
    titles = [builder.title(key, boost * TITLE_BOOST) for key in plan.title_keys]
    return builder.scored_by(query, titles) if titles else query


def _compile_reading(reading: Reading, stage: str, builder: Builder, boost: float):
    words = [_compile_concept(c, builder, boost, with_pairs=False) for c in reading.concepts]
    extras = []
    if stage == "all":
        required = _all(builder, words)
    elif stage == "all_pairs":
        required = _all(
            builder,
            [_compile_concept(c, builder, boost, with_pairs=True) for c in reading.compounds],
        )
    elif stage == "most":
        required = builder.any_of(words, minimum=most_of(len(words)))
    else:  # any word, or any compound as a run of characters
        # A common word alone does not make a document a result (開発 in a query about
        # 開発の工程と手戻り); it ranks the documents that have a rarer word of the query.
        common = [all(builder.is_common(a.words) for a in c.alternatives) for c in reading.concepts]
        if any(common) and not all(common):
            extras = [m for m, is_common in zip(words, common, strict=True) if is_common]
            words = [m for m, is_common in zip(words, common, strict=True) if not is_common]
        # A compound as a run of characters, unless its words are all common (問い合わせ):
        # then its character pairs are too.
        pairs = [
            builder.pairs(alternative.pairs, boost * PAIR_WEIGHT)
            for concept in reading.compounds
            for alternative in concept.alternatives
            if (len(alternative.pairs) > 1 or (alternative.pairs and len(alternative.words) > 1))
            and not builder.is_common(alternative.words)
        ] + [
            builder.reading(alternative.reading, boost)
            for concept in reading.compounds
            for alternative in concept.alternatives
            if alternative.reading
        ]
        options = words + pairs
        required = options[0] if len(options) == 1 else builder.any_of(options)
    if stage in {"most", "any"} and len(reading.concepts) > 1:
        extras.append(
            _all(
                builder,
                [
                    _compile_concept(c, builder, boost * ALL_CONCEPTS_BOOST, False)
                    for c in reading.concepts
                ],
            )
        )
    extras += [
        builder.phrase(pair, PROXIMITY_SLOP, boost * PROXIMITY_BOOST) for pair in reading.neighbours
    ]
    return builder.scored_by(required, extras) if extras else required


def _all(builder: Builder, queries: list):
    return queries[0] if len(queries) == 1 else builder.all_of(queries)


def _compile_concept(concept: Concept, builder: Builder, boost: float, with_pairs: bool):
    options = []
    for alternative in concept.alternatives:
        if alternative.words:
            options.append(_compile_words(alternative, builder, boost))
        if with_pairs and alternative.pairs and not _is_latin(alternative):
            options.append(builder.pairs(alternative.pairs, boost * PAIR_WEIGHT))
        # A word typed in kana has no other reading: its reading matches in every stage.
        if alternative.reading and (with_pairs or not alternative.words):
            options.append(builder.reading(alternative.reading, boost))
    options = [o for o in options if o is not None]
    if not options:
        return builder.nothing()
    return options[0] if len(options) == 1 else builder.best_of(options)


def _compile_words(alternative: Alternative, builder: Builder, boost: float):
    if alternative.ordered and len(alternative.words) > 1:
        return builder.phrase(alternative.words, 0, boost)
    words = [builder.word(w, boost) for w in alternative.words]
    return words[0] if len(words) == 1 else builder.all_of(words)


def _is_latin(alternative: Alternative) -> bool:
    return all(LATIN_WORD.fullmatch(w) for w in alternative.words)


# Words typed in kana are matched to the readings the index knows: the fewest, longest of them.
LONGEST_READING = 12


def segment_reading(kana: str, known) -> list[str] | None:
    """``kana`` (folded katakana: ヨウケンテイギ) as a run of readings the index has
    (ヨウケン テイギ), the fewest possible; None when no such run exists. ``known(reading)``
    says whether documents have a word so read."""
    best: list[list[str] | None] = [None] * (len(kana) + 1)
    best[0] = []
    for end in range(1, len(kana) + 1):
        for start in range(max(0, end - LONGEST_READING), end):
            before = best[start]
            if before is None or (best[end] is not None and len(best[end]) <= len(before) + 1):
                continue
            piece = kana[start:end]
            if known(piece):
                best[end] = [*before, piece]
    return best[-1]


class TextCompiler:
    """The text half of an engine's query compiler: the stages a query goes through and its
    query at each stage. The compiler provides ``query`` (modelsearch's query tree)."""

    query = None

    def stages(self) -> list[str]:
        nodes = list(_text_nodes(self.query))
        if not nodes:
            return ["all"]
        if any(isinstance(node, RelaxedText) for node in nodes):
            stages = stages_for("and", relaxed=True)
        elif all(getattr(node, "operator", "and") == "or" for node in nodes):
            stages = stages_for("or", relaxed=False)
        else:
            stages = stages_for("and", relaxed=False)
        return useful_stages([self._plan(node) for node in nodes], stages)

    def compile_text(self, builder: Builder, stage: str):
        return self._compile_node(self.query, stage, builder, 1.0)

    def _plan(self, node) -> TextPlan:
        plans = self.__dict__.setdefault("_plans", {})
        if id(node) not in plans:
            if isinstance(node, Phrase):
                plans[id(node)] = plan_phrase(node.query_string)
            else:
                plans[id(node)] = plan_text(node.query_string)
        return plans[id(node)]

    def _compile_node(self, query, stage, builder, boost):
        if isinstance(query, MatchAll):
            return builder.everything()
        if isinstance(query, (PlainText, Fuzzy, Phrase)):
            query_boost = getattr(query, "boost", 1.0) or 1.0
            return compile_plan(
                self._plan(query), node_stage(query, stage), builder, boost * query_boost
            )
        if isinstance(query, Boost):
            return self._compile_node(query.subquery, stage, builder, boost * query.boost)
        if isinstance(query, And):
            return builder.all_of(
                [self._compile_node(q, stage, builder, boost) for q in query.subqueries]
            )
        if isinstance(query, Or):
            return builder.any_of(
                [self._compile_node(q, stage, builder, boost) for q in query.subqueries]
            )
        if isinstance(query, Not):
            excluded = self._compile_node(query.subquery, stage, builder, boost)
            return builder.exclude(builder.everything(), excluded)
        raise NotImplementedError(f"{type(query).__name__} queries are not supported")


def node_stage(node, stage: str) -> str:
    """The stage a text node of the query takes when the query is at ``stage``: only
    :class:`RelaxedText` relaxes; a strict ``and`` at most adds character pairs."""
    if isinstance(node, RelaxedText):
        return stage
    if getattr(node, "operator", "and") == "or" and not isinstance(node, Phrase):
        return "any"
    return "all" if stage == "all" else "all_pairs"


def _text_nodes(query):
    if isinstance(query, (PlainText, Fuzzy, Phrase)):
        yield query
    elif isinstance(query, (Boost, Not)):
        yield from _text_nodes(query.subquery)
    elif isinstance(query, (And, Or)):
        for subquery in query.subqueries:
            yield from _text_nodes(subquery)
