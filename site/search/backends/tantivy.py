"""The default search backend: Tantivy (a compiled, embedded full-text engine) behind the
django-modelsearch interface, with the project's own Japanese analysis.

Tantivy does not run Python analysers: text is analysed here (``search.analysis``: Sudachi
words, kana folding, character pairs) and handed to it as words separated by spaces, which its
whitespace tokenizer reads back with their positions. Queries are built from the same analysis
(``search.plan``), so a query and a document meet exactly as they did in the Whoosh backend,
while postings, scoring (BM25), counting and facets run in compiled code: a search costs about
the same at 2,000 documents as at 100,000 (``docs/decisions/search-engine.md``).

One index holds every indexed model. Columns are those of ``backends/common.py``; Tantivy needs
them declared when an index is created, so a generation records the columns it was made with,
and a model or field added since is reported by ``search_check`` and taken in by
``update_index``. The index lives in generations under ``PATH`` (``common.Generations``).

Writes: one writer at a time per index (a file lock); an incremental write takes the lock,
commits and releases it, retrying while another holds it. Readers in this process reload after
its own commits, other processes within about half a second (Tantivy watches the index's
meta file). A full rebuild writes a new generation with a larger writer and swaps it in.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import tantivy
from django.apps import apps
from django.conf import settings
from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchQueryCompiler,
)
from modelsearch.query import MatchAll, PlainText

from core.markdown import readable_text
from search.analysis import (
    LATIN_OR_CJK,
    LATIN_WORD,
    bigram_words,
    fold_kana,
    index_analysis,
    normalize,
    query_words,
    title_key,
    title_reading_key,
)
from search.backends.common import (
    ALL_TEXT,
    AUTOCOMPLETE,
    READING,
    TITLE_KEYS,
    AutocompleteCompiler,
    EmbeddedCompiler,
    EmbeddedResults,
    FilterCompiler,
    Generations,
    IndexedDocument,
    IndexMapping,
    QueuedWrites,
    as_naive_utc,
    encode_filter_value,
    has_indexed_objects,
    has_pairs,
    indexed_columns,
)
from search.plan import ENOUGH, TextCompiler, segment_reading
from search.termstore import TermStore

logger = logging.getLogger(__name__)

WORDS = "words"  # the tokenizer of every text column: the words this module joined by spaces
MAX_WORD_BYTES = 200
COLUMNS_FILE = "columns.json"
TERMS_FILE = "terms.sqlite3"
# Searchable text kept with each document for its snippet, in characters (without markup).
EXCERPT_CHARS = 600
WRITER_TIMEOUT = 60.0  # seconds a writer waits for another to finish before giving up
WRITE_HEAP = 20_000_000
DEFAULT_BUILD_HEAP_MB = 400
# In the "any" stage, a word in more than this share of the documents only ranks the documents
# that have a rarer word of the query (as Elasticsearch's common terms query reads them):
# scoring every document that has 開発 or 職員 is most of the time of a long query and changes
# none of its first results. Never in an index of fewer than COMMON_WORD_MIN_DOCUMENTS.
COMMON_WORD_SHARE = 0.05
COMMON_WORD_MIN_DOCUMENTS = 1_000
# A rebuild of at least this many documents analyses its text in worker processes.
PARALLEL_BUILD_FROM = 2_000
# At most this many hits are fetched when results are ordered by the database.
DATABASE_ORDERING_LIMIT = 10_000
RANGE_TYPES = {
    "i": tantivy.FieldType.Integer,
    "f": tantivy.FieldType.Float,
    "d": tantivy.FieldType.Date,
}
REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$#&\-~])")


def build_schema(columns: dict[str, str]) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("doc_model", stored=True, fast=True, tokenizer_name="raw")
    builder.add_text_field("doc_ct", fast=True, tokenizer_name="raw")
    builder.add_text_field("doc_nulls", tokenizer_name="raw")
    builder.add_text_field("doc_excerpt", stored=True, index_option="basic")
    for column, kind in sorted(columns.items()):
        if kind in {"t", "b", "a", "r"}:
            builder.add_text_field(column, tokenizer_name=WORDS)
        elif kind == "k":
            builder.add_text_field(column, tokenizer_name="raw", index_option="basic")
        elif kind in {"s", "m"}:
            builder.add_text_field(column, fast=True, tokenizer_name="raw")
        elif kind == "i":
            builder.add_integer_field(column, indexed=True, fast=True)
        elif kind == "f":
            builder.add_float_field(column, indexed=True, fast=True)
        elif kind == "d":
            builder.add_date_field(column, indexed=True, fast=True)
    return builder.build()


def words_analyzer():
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(MAX_WORD_BYTES))
        .build()
    )


@dataclass
class OpenIndex:
    """An index opened in this process, with the columns it was created with."""

    index: tantivy.Index
    schema: tantivy.Schema
    columns: dict[str, str]
    path: Path
    meta_mtime: float = 0.0

    def has(self, column: str) -> bool:
        return column in self.columns

    def kind(self, column: str) -> str | None:
        return self.columns.get(column)


# The columns every document has, with the kind they are read back as.
BASE_COLUMNS = {"doc_model": "s", "doc_ct": "m", "doc_nulls": "m"}


def open_index(path: Path) -> OpenIndex:
    columns = {**json.loads((path / COLUMNS_FILE).read_text()), **BASE_COLUMNS}
    index = tantivy.Index.open(str(path))
    index.register_tokenizer(WORDS, words_analyzer())
    index.config_reader("OnCommit", 0)
    return OpenIndex(index, index.schema, columns, path, _meta_mtime(path))


def _meta_mtime(path: Path) -> float:
    try:
        return (path / "meta.json").stat().st_mtime
    except FileNotFoundError:
        return 0.0


# --- Documents --------------------------------------------------------------------------------


class _Analysed(NamedTuple):
    """One field's text as the index takes it: words, character pairs and the reading's pairs,
    each joined by spaces."""

    words: str
    pairs: str
    readings: str


def analyse_document(texts: dict[str, list[str]], titles: list[str], sentence_analysis=None):
    """The text columns of a document ({column: words joined by spaces}, and its title keys),
    from the texts of ``common.IndexedDocument``. Needs no database and no index: a rebuild
    runs it in worker processes. A field's text is in its own column, in doc_all and perhaps a
    boost column: each is analysed once, and the columns are the analyses joined."""
    columns: dict[str, str] = {}
    analyses: dict[str, _Analysed] = {}

    def analyse(text):
        found = analyses.get(text)
        if found is None:
            normalised = normalize(text)
            words, readings = index_analysis(normalised, sentence_analysis)
            found = analyses[text] = _Analysed(
                " ".join(words), " ".join(bigram_words(normalised)), " ".join(readings)
            )
        return found

    for column, parts in texts.items():
        parts = [part for part in parts if part]
        if not parts:
            continue
        if column == AUTOCOMPLETE:
            # Latin words as written (a prefix typed so far matches their start).
            normalised = normalize("\n".join(parts))
            columns[f"{AUTOCOMPLETE}__a"] = " ".join(LATIN_WORD.findall(normalised))
            columns[f"{AUTOCOMPLETE}__b"] = " ".join(bigram_words(normalised))
            continue
        analysed = [analyse(part) for part in parts]
        columns[f"{column}__t"] = " ".join(a.words for a in analysed if a.words)
        if has_pairs(column):
            columns[f"{column}__b"] = " ".join(a.pairs for a in analysed if a.pairs)
        if column == ALL_TEXT:
            columns[READING] = " ".join(a.readings for a in analysed if a.readings)
    keys = [k for title in titles for k in (title_key(title), title_reading_key(title)) if k]
    return columns, keys


class DocumentBuilder:
    """Turns the engine-neutral documents of ``common.IndexMapping`` into Tantivy documents of
    an index's columns."""

    def __init__(self, opened: OpenIndex):
        self.opened = opened
        self._missing: set[str] = set()

    def source(self, mapping: IndexMapping, obj) -> IndexedDocument:
        return mapping.get_document(obj)

    def build(self, source: IndexedDocument, analysed=None) -> tantivy.Document:
        """The Tantivy document; ``analysed`` is :func:`analyse_document` of it, when a worker
        process has done that part already."""
        columns, keys = analysed or analyse_document(source.texts, source.titles)
        doc = tantivy.Document()
        doc.add_text("doc_id", source.doc_id)
        doc.add_text("doc_model", source.content_types[0])
        for content_type in source.content_types:
            doc.add_text("doc_ct", content_type)
        for column in source.nulls:
            doc.add_text("doc_nulls", column)
        excerpt = " ".join(readable_text(source.excerpt_text()[: EXCERPT_CHARS * 2]).split())
        if excerpt:
            doc.add_text("doc_excerpt", excerpt[:EXCERPT_CHARS])
        for column, words in columns.items():
            self._add_text(doc, column, words)
        if self.opened.has(TITLE_KEYS):
            for key in keys:
                doc.add_text(TITLE_KEYS, key)
        for column, values in source.filters.items():
            self._add_filter(doc, column, values)
        return doc

    def _add_text(self, doc, column, words: str):
        if not words:
            return
        if not self.opened.has(column):
            self._report_missing(column)
            return
        doc.add_text(column, words)

    def _add_filter(self, doc, column, values):
        kind = self.opened.kind(column)
        if kind is None:
            self._report_missing(column)
            return
        for value in values:
            if kind == "i":
                doc.add_integer(column, int(value))
            elif kind == "f":
                doc.add_float(column, float(value))
            elif kind == "d":
                doc.add_date(column, as_naive_utc(value))
            else:
                doc.add_text(column, encode_filter_value(value))

    def _report_missing(self, column):
        if column not in self._missing:
            self._missing.add(column)
            logger.warning(
                "The search index has no column %s (a field added since it was built): "
                "run `manage.py update_index`.",
                column,
            )


# --- A rebuild's analysis in worker processes ----------------------------------------------------

_worker_store = None


def _start_worker(store_path: str, previous: str | None):
    """In a worker process: the term store it reads and writes (SQLite allows both from
    several processes; writes wait for each other)."""
    global _worker_store
    _worker_store = TermStore(Path(store_path), Path(previous) if previous else None)


def _analyse_in_worker(batch):
    analysed = [analyse_document(texts, titles, _worker_store.analysis) for texts, titles in batch]
    _worker_store.flush()
    return analysed


class ParallelAnalysis:
    """Analyses a rebuild's documents in worker processes (started with "spawn": a forked copy
    of a process with threads can deadlock), a few batches ahead of the writer, which adds
    them in their order."""

    AHEAD = 4  # batches in flight per worker

    def __init__(self, processes: int, store_path: Path, previous: Path | None):
        context = multiprocessing.get_context("spawn")
        self.pool = context.Pool(
            processes,
            initializer=_start_worker,
            initargs=(str(store_path), str(previous) if previous else None),
        )
        self.processes = processes
        self.pending = []  # (sources, async result)

    def submit(self, sources: list[IndexedDocument], add):
        batch = [(source.texts, source.titles) for source in sources]
        self.pending.append((sources, self.pool.apply_async(_analyse_in_worker, (batch,))))
        while len(self.pending) > self.AHEAD * self.processes:
            self._take_first(add)

    def _take_first(self, add):
        sources, result = self.pending.pop(0)
        for source, analysed in zip(sources, result.get(), strict=True):
            add(source, analysed)

    def finish(self, add):
        while self.pending:
            self._take_first(add)
        self.pool.close()
        self.pool.join()


# --- Writing ----------------------------------------------------------------------------------


class TantivyIndex(BaseIndex):
    """The index in one generation folder. ``batch`` indexes keep one writer open for a whole
    rebuild and commit when it finishes."""

    def __init__(self, backend, path: Path | None = None, batch=False, terms=None, parallel=None):
        super().__init__(backend)
        self.path = path
        self.batch = batch
        self.terms = terms  # a rebuild's TermStore, when it analyses in this process
        self.parallel = parallel  # or its ParallelAnalysis
        self._writer = None
        self._opened = None
        self._document_builder = None
        self.expected_documents = 0

    def get_key(self):
        return str(self.backend.root)

    @property
    def directory(self) -> Path:
        return self.path or self.backend.current_path()

    def opened(self) -> OpenIndex:
        if self.batch:
            if self._opened is None:
                self._opened = open_index(self.directory)
            return self._opened
        return self.backend.reader(self.directory)

    def refresh(self):
        self.backend.forget_searchers()

    def reset(self):
        self.backend.reset()

    def add_model(self, model):
        if self.batch:
            self.expected_documents += model.get_indexed_objects().count()

    def add_items(self, model, items):
        opened = self.opened()
        builder = self._builder(opened)
        mapping = IndexMapping(model)
        sources = [builder.source(mapping, item) for item in items]
        if not sources:
            return
        if self.batch and self.parallel is None and self._worth_workers():
            # The workers write the term store from here on; this process's copy is done.
            self.terms.close()
            self.parallel = ParallelAnalysis(
                self.backend.build_processes, self.terms.path, self.terms.previous_path
            )
            self.terms = None
        if self.parallel is not None:
            self.parallel.submit(sources, self._add_analysed)
            return
        sentence_analysis = self.terms.analysis if self.terms is not None else None
        documents = [
            (
                source.doc_id,
                builder.build(
                    source, analyse_document(source.texts, source.titles, sentence_analysis)
                ),
            )
            for source in sources
        ]

        def write(writer):
            for document_id, document in documents:
                if not self.batch:  # a rebuild writes into an empty generation
                    writer.delete_documents_by_term("doc_id", document_id)
                writer.add_document(document)

        self._write(write)

    def _worth_workers(self) -> bool:
        """Each worker loads the dictionary (about a second): worth it for a large rebuild."""
        return (
            self.backend.build_processes > 1
            and self.terms is not None
            and self.expected_documents >= PARALLEL_BUILD_FROM
        )

    def _builder(self, opened):
        if self._document_builder is None or self._document_builder.opened is not opened:
            self._document_builder = DocumentBuilder(opened)
        return self._document_builder

    def _add_analysed(self, source, analysed):
        document = self._builder(self.opened()).build(source, analysed)
        self._write(lambda writer: writer.add_document(document))

    def add_item(self, obj):
        self.add_items(type(obj), [obj])

    def delete_item(self, item):
        document_id = IndexMapping(type(item)).document_id(item)
        self._write(lambda writer: writer.delete_documents_by_term("doc_id", document_id))

    def delete_documents(self, document_ids: Iterable[str]):
        ids = list(document_ids)

        def write(writer):
            for document_id in ids:
                writer.delete_documents_by_term("doc_id", document_id)

        self._write(write)

    def _write(self, action):
        if self.batch:
            if self._writer is None:
                heap = self.backend.build_heap_mb * 1_000_000
                self._writer = self.opened().index.writer(heap, self.backend.build_threads)
            action(self._writer)
            return
        opened = self.opened()
        writer = self._acquire_writer(opened)
        try:
            action(writer)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self.backend.after_commit(opened)

    def _acquire_writer(self, opened: OpenIndex):
        """The index's writer, waiting while another thread or process holds it."""
        deadline = time.monotonic() + WRITER_TIMEOUT
        delay = 0.01
        while True:
            try:
                return opened.index.writer(WRITE_HEAP, 1)
            except ValueError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def commit(self):
        if self.parallel is not None:
            self.parallel.finish(self._add_analysed)
            self.parallel = None
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        if self.terms is not None:
            self.terms.close()


class TantivyIndexRebuilder:
    """Builds a new generation beside the live one and swaps it in when complete. Sentences the
    live generation's build analysed are read from its term store, not given to Sudachi again."""

    def __init__(self, index):
        self.index = index
        self.backend = index.backend
        self.new_index = None

    def start(self):
        previous = self.backend.previous_generation()
        path = self.backend.new_generation()
        store = path / TERMS_FILE
        previous_store = previous / TERMS_FILE if previous is not None else None
        if previous_store is not None and not previous_store.exists():
            previous_store = None
        self.new_index = TantivyIndex(
            self.backend, path, batch=True, terms=TermStore(store, previous=previous_store)
        )
        return self.new_index

    def finish(self):
        self.new_index.commit()
        self.backend.activate(self.new_index.path)


# --- Queries ----------------------------------------------------------------------------------


class TextBuilder:
    """``search.plan.Builder`` for Tantivy: plan words over the given text columns."""

    def __init__(self, opened: OpenIndex, columns: list[tuple[str, float]], searcher=None):
        self.schema = opened.schema
        self.searcher = searcher
        self.word_columns = [(f"{c}__t", b) for c, b in columns if opened.has(f"{c}__t")]
        self.pair_columns = [
            (f"{c}__b", b) for c, b in columns if has_pairs(c) and opened.has(f"{c}__b")
        ]
        # Searching all fields: the readings and titles are of all of them.
        all_fields = any(c == ALL_TEXT for c, _b in columns)
        self.has_reading = all_fields and opened.has(READING)
        self.has_titles = all_fields and opened.has(TITLE_KEYS)

    def _over(self, columns, make):
        queries = [make(column, boost) for column, boost in columns]
        queries = [q for q in queries if q is not None]
        if not queries:
            return tantivy.Query.empty_query()
        return queries[0] if len(queries) == 1 else self.any_of(queries)

    def word(self, word, boost):
        return self._over(
            self.word_columns,
            lambda column, b: _boosted(
                tantivy.Query.term_query(self.schema, column, word), boost * b
            ),
        )

    def phrase(self, words, slop, boost):
        words = list(words)
        if len(words) == 1:
            return self.word(words[0], boost)
        return self._over(
            self.word_columns,
            lambda column, b: _boosted(
                tantivy.Query.phrase_query(self.schema, column, words, slop), boost * b
            ),
        )

    def pairs(self, pairs, boost):
        pairs = list(pairs)

        def make(column, b):
            if len(pairs) == 1:
                query = tantivy.Query.term_query(self.schema, column, pairs[0])
            else:
                query = tantivy.Query.phrase_query(self.schema, column, pairs)
            return _boosted(query, boost * b)

        return self._over(self.pair_columns, make)

    def is_common(self, words) -> bool:
        """Whether every one of ``words`` is in so many documents that it only ranks."""
        if self.searcher is None or not words:
            return False
        documents = self.searcher.num_docs
        if documents < COMMON_WORD_MIN_DOCUMENTS:
            return False
        cutoff = COMMON_WORD_SHARE * documents
        column = f"{ALL_TEXT}__t"
        return all(self.searcher.doc_freq(column, word) > cutoff for word in words)

    def reading(self, kana, boost):
        """Documents with words read as ``kana`` (ヨウケンテイギ: ヨウケン then テイギ)."""
        if not self.has_reading or self.searcher is None:
            return tantivy.Query.empty_query()
        readings = segment_reading(kana, lambda r: self.searcher.doc_freq(READING, r) > 0)
        if not readings:
            return tantivy.Query.empty_query()
        if len(readings) == 1:
            query = tantivy.Query.term_query(self.schema, READING, readings[0])
        else:
            query = tantivy.Query.phrase_query(self.schema, READING, readings)
        return _boosted(query, boost)

    def title(self, key, boost):
        if not self.has_titles:
            return tantivy.Query.empty_query()
        return _boosted(tantivy.Query.term_query(self.schema, TITLE_KEYS, key), boost)

    def all_of(self, queries):
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])

    def any_of(self, queries, minimum=1):
        clauses = [(tantivy.Occur.Should, q) for q in queries]
        if minimum > 1:
            return tantivy.Query.boolean_query(clauses, minimum)
        return tantivy.Query.boolean_query(clauses)

    def scored_by(self, required, extras):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, required)] + [(tantivy.Occur.Should, e) for e in extras]
        )

    def best_of(self, queries):
        return tantivy.Query.disjunction_max_query(queries, 0.1)

    def exclude(self, query, excluded):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, excluded)]
        )

    def everything(self):
        return tantivy.Query.all_query()

    def nothing(self):
        return tantivy.Query.empty_query()


def _boosted(query, boost):
    return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)


class TantivySearchQueryCompiler(
    FilterCompiler, EmbeddedCompiler, TextCompiler, BaseSearchQueryCompiler
):
    DEFAULT_OPERATOR = "or"
    opened: OpenIndex | None = None
    searcher = None  # set while the filters are compiled: text ranges read the column's values

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = IndexMapping(self.queryset.model)

    # Filters (common.FilterCompiler)

    def _column_query(self, column, make):
        if self.opened is not None and not self.opened.has(column):
            return tantivy.Query.empty_query()  # no document has it yet
        return make()

    def _filter_term(self, column, kind, value):
        if kind == "d":
            return self._filter_range(column, kind, value, value, False, False)
        return self._column_query(
            column, lambda: tantivy.Query.term_query(self.opened.schema, column, value)
        )

    def _filter_range(self, column, kind, low, high, start_excluded, end_excluded):
        if low is None and high is None:
            return None
        if kind not in RANGE_TYPES:
            return self._text_range(column, low, high, start_excluded, end_excluded)
        return self._column_query(
            column,
            lambda: tantivy.Query.range_query(
                self.opened.schema,
                column,
                RANGE_TYPES[kind],
                low,
                high,
                include_lower=low is None or not start_excluded,
                include_upper=high is None or not end_excluded,
            ),
        )

    def _text_range(self, column, low, high, start_excluded, end_excluded):
        """Tantivy has no range query on text: the column's values in the range, as a set
        (string and multi-valued filter columns hold few distinct values: dates of related
        objects, slugs, codes)."""
        if self.searcher is None or not self.opened.has(column):
            return tantivy.Query.empty_query()

        def inside(value):
            if low is not None and (value < low or (start_excluded and value == low)):
                return False
            return high is None or not (value > high or (end_excluded and value == high))

        values = [t for t, _n in self.searcher.terms_with_prefix(column, "") if inside(t)]
        if not values:
            return tantivy.Query.empty_query()
        return tantivy.Query.term_set_query(self.opened.schema, column, values)

    def _filter_prefix(self, column, value):
        pattern = REGEX_SPECIAL.sub(r"\\\1", value) + ".*"
        return self._column_query(
            column, lambda: tantivy.Query.regex_query(self.opened.schema, column, pattern)
        )

    def _filter_null(self, column):
        return tantivy.Query.term_query(self.opened.schema, "doc_nulls", column)

    def _filter_and(self, filters):
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, f) for f in filters])

    def _filter_or(self, filters):
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, f) for f in filters])

    def _filter_not(self, query):
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, query)]
        )

    def _filter_none(self):
        return tantivy.Query.empty_query()

    def get_filter(self, opened: OpenIndex, searcher):
        """The documents the queryset allows, or None for all of them."""
        self.opened = opened
        self.searcher = searcher
        content_type = self.mapping.get_content_type()
        filters = []
        if searcher.doc_freq("doc_ct", content_type) < searcher.num_docs:
            filters.append(tantivy.Query.term_query(opened.schema, "doc_ct", content_type))
        queryset_filter = self._get_filters_from_queryset()
        if queryset_filter is not None:
            filters.append(queryset_filter)
        if not filters:
            return None
        return filters[0] if len(filters) == 1 else self._filter_and(filters)

    # Text (plan.TextCompiler)

    def builder(self, searcher=None):
        return TextBuilder(self.opened, self.text_columns(), searcher or self.searcher)

    def get_search_query(self, opened: OpenIndex, searcher, stage: str):
        self.opened = opened
        text = self.compile_text(self.builder(searcher), stage)
        restriction = self.get_filter(opened, searcher)
        if restriction is None:
            return text
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, text), (tantivy.Occur.Must, restriction)]
        )

    def order_column(self):
        """(column, descending) when the queryset orders by one indexed field; None for
        relevance; "database" when the database must order the hits."""
        if self.order_by_relevance or not self.queryset.ordered:
            return None
        keys = list(self._get_order_by())
        if len(keys) != 1:
            return "database"
        reverse, field = keys[0]
        return self.mapping.filter_column(field), reverse


class TantivyAutocompleteQueryCompiler(AutocompleteCompiler, TantivySearchQueryCompiler):
    def compile_text(self, builder, stage):
        if isinstance(self.query, MatchAll):
            return tantivy.Query.all_query()
        if not isinstance(self.query, PlainText):
            raise NotImplementedError("Autocomplete takes plain text only")
        # Latin words match as typed so far (the last one as a prefix); runs of kana and kanji
        # match as a character sequence, so a half-typed word (パブリッククラ, RPA導) still finds.
        schema = self.opened.schema
        text = normalize(self.query.query_string)
        parts = []
        pieces = LATIN_OR_CJK.findall(text)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if LATIN_WORD.fullmatch(piece):
                if last:
                    pattern = REGEX_SPECIAL.sub(r"\\\1", piece) + ".*"
                    parts.append(tantivy.Query.regex_query(schema, f"{AUTOCOMPLETE}__a", pattern))
                else:
                    parts.append(tantivy.Query.term_query(schema, f"{AUTOCOMPLETE}__a", piece))
                continue
            pairs = bigram_words(piece)
            if not pairs:  # one character: the start of a pair
                folded = fold_kana(piece, every_long_vowel=True)
                pattern = REGEX_SPECIAL.sub(r"\\\1", folded) + ".*"
                parts.append(tantivy.Query.regex_query(schema, f"{AUTOCOMPLETE}__b", pattern))
            elif len(pairs) == 1:
                parts.append(tantivy.Query.term_query(schema, f"{AUTOCOMPLETE}__b", pairs[0]))
            else:
                parts.append(tantivy.Query.phrase_query(schema, f"{AUTOCOMPLETE}__b", pairs))
        if not parts:
            return tantivy.Query.empty_query()
        if len(parts) == 1:
            return parts[0]
        occur = tantivy.Occur.Must if self.query.operator == "and" else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, p) for p in parts])


# --- Results ----------------------------------------------------------------------------------


class TantivySearchResults(EmbeddedResults):
    _settled = None  # (stage, query) once the stages have been tried

    def _settle(self, opened, searcher):
        """The query of the first stage that finds enough documents (``search.plan``)."""
        if self._settled is not None:
            return self._settled
        compiler = self.query_compiler
        stages = compiler.stages()
        for stage in stages:
            query = compiler.get_search_query(opened, searcher, stage)
            if (
                stage == stages[-1]
                or len(searcher.search(query, ENOUGH, count=False).hits) >= ENOUGH
            ):
                break
        self._settled = (stage, query)
        return self._settled

    def _do_search(self):
        compiler = self.query_compiler
        with self.backend.searcher() as (opened, searcher):
            _stage, query = self._settle(opened, searcher)
            ordering = compiler.order_column()
            if ordering == "database":
                return self._ordered_by_database(searcher, query)
            limit = (self.stop - self.start) if self.stop is not None else None
            hits = self.backend.hits(
                searcher, query, offset=self.start, limit=limit, order=ordering
            )
        return self._objects(hits)

    def _ordered_by_database(self, searcher, query):
        hits = self.backend.hits(searcher, query, limit=DATABASE_ORDERING_LIMIT)
        pks = [pk for pk, _score in hits]
        queryset = self.query_compiler.queryset.filter(pk__in=pks)
        return list(queryset[self.start : self.stop])

    def _do_count(self):
        with self.backend.searcher() as (opened, searcher):
            _stage, query = self._settle(opened, searcher)
            total = searcher.search(query, 1).count
        return self._within_slice(total)

    def facet(self, field_name):
        column = self._facet_column(field_name)
        with self.backend.searcher() as (opened, searcher):
            _stage, query = self._settle(opened, searcher)
            counts = self.backend.facet_counts(opened, searcher, query, [column])[column]
        return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))


def facet_key(kind, key):
    if kind in {"m", "s"}:
        try:
            return int(key)
        except (TypeError, ValueError):
            return key
    if kind == "f":
        return float(key)
    if kind == "i":
        return int(key)
    return key


# --- Searching several content types at once (the site search) --------------------------------


@dataclass
class ScopedHit:
    scope: str
    pk: str
    score: float
    excerpt: str


@dataclass
class ScopedResults:
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    facets: dict[str, dict] = field(default_factory=dict)  # scope → {value: count}
    hits: list[ScopedHit] = field(default_factory=list)
    stage: str = ""


# --- The backend ------------------------------------------------------------------------------


class TantivySearchBackend(QueuedWrites, Generations, BaseSearchBackend):
    query_compiler_class = TantivySearchQueryCompiler
    autocomplete_query_compiler_class = TantivyAutocompleteQueryCompiler
    results_class = TantivySearchResults
    rebuilder_class = TantivyIndexRebuilder
    index_class = TantivyIndex
    supports_scoped_search = True

    _local = threading.local()

    def __init__(self, params):
        super().__init__(params)
        self.root = Path(params.get("PATH") or settings.SEARCH_INDEX_DIR)
        self.build_heap_mb = int(params.get("BUILD_MEMORY_MB") or DEFAULT_BUILD_HEAP_MB)
        self.build_threads = int(params.get("BUILD_THREADS") or 2)
        # Processes a rebuild analyses text in (Sudachi and the rest run in Python).
        self.build_processes = int(params.get("PROCESSES") or min(os.cpu_count() or 1, 4))

    # Generations (common.Generations)

    def create_index(self, path: Path) -> None:
        columns = indexed_columns()
        (path / COLUMNS_FILE).write_text(json.dumps(columns, sort_keys=True, indent=0))
        index = tantivy.Index(build_schema(columns), path=str(path))
        index.register_tokenizer(WORDS, words_analyzer())

    def forget_searchers(self):
        self._local.opened = {}

    # Reading

    def reader(self, path: Path | None = None) -> OpenIndex:
        """This thread's open index for the live generation (or ``path``)."""
        path = path or self.current_path()
        cache = getattr(self._local, "opened", None)
        if cache is None:
            cache = self._local.opened = {}
        opened = cache.get(path)
        if opened is None:
            for stale in list(cache):
                if stale != path:
                    del cache[stale]
            opened = cache[path] = open_index(path)
        else:
            # Another process's commit: Tantivy reloads on its own after a short delay; a
            # request that follows a write elsewhere should see it now.
            mtime = _meta_mtime(path)
            if mtime != opened.meta_mtime:
                opened.index.reload()
                opened.meta_mtime = mtime
        return opened

    def after_commit(self, opened: OpenIndex):
        opened.index.reload()
        opened.meta_mtime = _meta_mtime(opened.path)
        reader = getattr(self._local, "opened", {}).get(opened.path)
        if reader is not None and reader is not opened:
            reader.index.reload()
            reader.meta_mtime = opened.meta_mtime

    def searcher(self):
        opened = self.reader()
        return _Searching(opened, opened.index.searcher())

    def hits(self, searcher, query, offset=0, limit=None, order=None) -> list[tuple[str, float]]:
        """(pk, score) of the hits from ``offset``, at most ``limit`` (None: all)."""
        if limit is None:
            limit = max(searcher.search(query, 1).count - offset, 0)
        if limit <= 0:
            return []
        options = {}
        if order:
            column, descending = order
            options["order_by_field"] = column
            options["order"] = tantivy.Order.Desc if descending else tantivy.Order.Asc
        result = searcher.search(query, limit, count=False, offset=offset, **options)
        found = []
        for score, address in result.hits:
            document_id = searcher.doc(address).get_first("doc_id")
            found.append((document_id.split(":", 1)[1], score if not order else 0.0))
        return found

    def facet_counts(self, opened, searcher, query, columns) -> dict[str, dict]:
        """Documents per value of each column, among those ``query`` finds."""
        aggregations = {
            f"c{i}": {"terms": {"field": column, "size": 10_000}}
            for i, column in enumerate(columns)
            if opened.has(column)
        }
        counts: dict[str, dict] = {column: {} for column in columns}
        if not aggregations:
            return counts
        found = searcher.aggregate(query, aggregations)
        for i, column in enumerate(columns):
            kind = opened.kind(column)
            for bucket in found.get(f"c{i}", {}).get("buckets", []):
                counts[column][facet_key(kind, bucket["key"])] = bucket["doc_count"]
        return counts

    def search_scopes(self, query, scopes, *, facet_fields=None, kind="", limit=10, offset=0):
        """One search over several querysets at once (the site search's content types): the
        stage is chosen on them all, counts per scope and facets come from the same query.
        ``scopes`` is [(name, queryset)], disjoint by model; ``facet_fields`` {name: field}."""
        facet_fields = facet_fields or {}
        outcome = ScopedResults()
        if not scopes:
            return outcome
        compilers = {name: self.query_compiler_class(queryset, query) for name, queryset in scopes}
        for compiler in compilers.values():
            compiler.check()
        first = next(iter(compilers.values()))
        with self.searcher() as (opened, searcher):
            filters = {}
            for name, compiler in compilers.items():
                restriction = compiler.get_filter(opened, searcher)
                content_type = compiler.mapping.get_content_type()
                type_filter = tantivy.Query.term_query(opened.schema, "doc_ct", content_type)
                filters[name] = (
                    type_filter
                    if restriction is None
                    else compiler._filter_and([type_filter, restriction])
                )
            every_scope = first._filter_or(list(filters.values()))
            # The stage is settled on the first that finds enough documents: its top hits are
            # the first page's, when that is the page asked for.
            stages = first.stages()
            for stage in stages:
                first.opened = opened
                text = first.compile_text(first.builder(searcher), stage)
                combined = first._filter_and([text, every_scope])
                probe = searcher.search(combined, max(ENOUGH, limit), count=False).hits
                if len(probe) >= ENOUGH or stage == stages[-1]:
                    break
            outcome.stage = stage
            # Counts per type and the facets: one pass over the documents found, unscored.
            facet_columns = {
                name: compilers[name].mapping.filter_column(
                    compilers[name]._get_filterable_field(field_name)
                )
                for name, field_name in facet_fields.items()
                if name in compilers
            }
            by_column = self.facet_counts(
                opened, searcher, combined, ["doc_model", *facet_columns.values()]
            )
            outcome.counts = dict.fromkeys(compilers, 0)
            for label, count in by_column["doc_model"].items():
                scope = self._scope_of(label, compilers)
                if scope:
                    outcome.counts[scope] += count
            outcome.facets = {name: by_column[column] for name, column in facet_columns.items()}
            if kind:
                if kind not in filters:
                    return outcome
                shown = first._filter_and([text, filters[kind]])
                outcome.total = outcome.counts.get(kind, 0)
                hits = searcher.search(shown, limit, count=False, offset=offset).hits
            else:
                outcome.total = sum(outcome.counts.values())
                hits = (
                    probe[offset : offset + limit]
                    if offset + limit <= len(probe)
                    else searcher.search(combined, limit, count=False, offset=offset).hits
                )
            for score, address in hits:
                document = searcher.doc(address)
                outcome.hits.append(
                    ScopedHit(
                        scope=self._scope_of(document.get_first("doc_model"), compilers),
                        pk=document.get_first("doc_id").split(":", 1)[1],
                        score=score,
                        excerpt=document.get_first("doc_excerpt") or "",
                    )
                )
        return outcome

    def _scope_of(self, model_label: str, compilers) -> str:
        """The scope whose model is the nearest ancestor of the document's model."""
        try:
            model = apps.get_model(model_label)
        except LookupError:
            return ""
        best, depth = "", None
        for name, compiler in compilers.items():
            scope_model = compiler.queryset.model
            if issubclass(model, scope_model):
                distance = model.__mro__.index(scope_model)
                if depth is None or distance < depth:
                    best, depth = name, distance
        return best

    def delete_documents(self, document_ids: Iterable[str]):
        self.get_index_for_model(None).delete_documents(document_ids)

    def get_index_for_model(self, model):
        return TantivyIndex(self)

    def suggest(self, words: list[str]) -> list[str]:
        """Corrections for words the index does not know (クラウト → クラウド), or [] if none:
        known words that differ by one character (two in longer words), the most frequent."""
        corrected, changed = [], False
        with self.searcher() as (_opened, searcher):
            column = f"{ALL_TEXT}__t"
            for word in words:
                normalised = normalize(word)
                terms = [w.text for w in query_words(normalised)]
                known = all(searcher.doc_freq(column, t) for t in terms)
                if not terms or known or normalised.isascii():
                    corrected.append(word)
                    continue
                folded = fold_kana(normalised)
                best = self._nearest_word(searcher, column, folded)
                if best and best != folded:
                    corrected.append(best)
                    changed = True
                else:
                    corrected.append(word)
        return corrected if changed else []

    def _nearest_word(self, searcher, column, word):
        """The most frequent indexed word within one edit (two for longer words) of ``word``,
        among those sharing its first character (a typo rarely hits the first)."""
        distance = 2 if len(word) > 4 else 1
        candidates = {
            term: count
            for term, count in searcher.terms_with_prefix(column, word[:1], limit=5_000)
            if term != word
            and abs(len(term) - len(word)) <= distance
            and _edit_distance(term, word) <= distance
        }
        if not candidates:
            return None
        return max(candidates, key=lambda t: (candidates[t], -_edit_distance(t, word)))

    def document_ids(self) -> list[str]:
        """The id of every document in the live index (``search_check`` compares them with the
        database)."""
        with self.searcher() as (_opened, searcher):
            everything = tantivy.Query.all_query()
            hits = searcher.search(everything, max(searcher.num_docs, 1), count=False).hits
            return [searcher.doc(address).get_first("doc_id") for _score, address in hits]

    def check_health(self):
        """What /healthz asks of the search: the live index is there, opens afresh (not this
        thread's open copy, which outlives its files), answers a query, and is not empty while
        the database has things to find."""
        opened = open_index(self.live_generation())
        searcher = opened.index.searcher()
        searcher.search(tantivy.Query.all_query(), 1)
        if searcher.num_docs == 0 and has_indexed_objects():
            raise RuntimeError("the search index is empty: run manage.py update_index")
        return True


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class _Searching:
    def __init__(self, opened, searcher):
        self.opened = opened
        self.searcher = searcher

    def __enter__(self):
        return self.opened, self.searcher

    def __exit__(self, *exc):
        return False


SearchBackend = TantivySearchBackend
