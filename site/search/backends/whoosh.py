"""A Whoosh backend for django-modelsearch (the library behind ``wagtail.search``): the
pure-Python embedded engine, kept as a supported alternative to the default Tantivy backend
(``SEARCH_BACKEND=whoosh``) for sites of up to a few thousand documents.

Documents, columns, filters and the index generations are those of ``backends/common.py``;
queries are read by ``search.plan`` as for every embedded engine. Whoosh analyses text itself,
through the analysers of ``search.analysis`` that its schema pickles. Filters become Whoosh
queries that restrict the text query without changing scores (:class:`Restricted`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchQueryCompiler,
)
from modelsearch.query import MatchAll, PlainText
from whoosh import fields as wf
from whoosh import index as windex
from whoosh import matching as wm
from whoosh import query as wq
from whoosh import sorting
from whoosh.index import LockError

from search.analysis import (
    LATIN_OR_CJK,
    LATIN_WORD,
    AutocompleteAnalyzer,
    BigramAnalyzer,
    MorphologicalAnalyzer,
    ReadingAnalyzer,
    bigram_terms,
    fold_kana,
    morphological_terms,
    normalize,
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
    IndexMapping,
    QueuedWrites,
    convert_filter_value,
    encode_filter_value,
    has_indexed_objects,
    has_pairs,
)
from search.plan import ENOUGH, TextCompiler, segment_reading

logger = logging.getLogger(__name__)

INDEX_NAME = "content"
WRITER_TIMEOUT = 60.0  # seconds a writer waits for another to finish before giving up
WRITE_ATTEMPTS = 5
# A full rebuild of at least this many documents is spread over several processes: below it,
# starting them (each loads the Sudachi dictionary) costs more than it saves.
PARALLEL_BUILD_FROM = 2_000
DEFAULT_BUILD_MEMORY_MB = 512


def build_schema() -> wf.Schema:
    schema = wf.Schema(
        doc_id=wf.ID(stored=True, unique=True),
        doc_pk=wf.ID(stored=True),
        doc_ct=wf.KEYWORD(lowercase=False, scorable=False),
        doc_nulls=wf.KEYWORD(lowercase=False, scorable=False),
    )
    morph, bigram, autocomplete = MorphologicalAnalyzer(), BigramAnalyzer(), AutocompleteAnalyzer()
    schema.add("*__t", wf.TEXT(analyzer=morph, phrase=True), glob=True)
    schema.add("*__r", wf.TEXT(analyzer=ReadingAnalyzer(), phrase=True), glob=True)
    schema.add("*__k", wf.KEYWORD(lowercase=False, scorable=True), glob=True)
    schema.add("*__b", wf.TEXT(analyzer=bigram, phrase=True), glob=True)
    schema.add("*__a", wf.TEXT(analyzer=autocomplete, phrase=False), glob=True)
    schema.add("*__s", wf.ID(sortable=True), glob=True)
    schema.add("*__m", wf.KEYWORD(lowercase=False, scorable=False, commas=True), glob=True)
    schema.add("*__i", wf.NUMERIC(numtype=int, bits=64, signed=True, sortable=True), glob=True)
    schema.add("*__f", wf.NUMERIC(numtype=float, sortable=True), glob=True)
    schema.add("*__d", wf.DATETIME(sortable=True), glob=True)
    return schema


class WhooshMapping(IndexMapping):
    """A model's documents as Whoosh field dictionaries."""

    def get_document(self, obj) -> dict:
        source = super().get_document(obj)
        doc = {
            "doc_id": source.doc_id,
            "doc_pk": source.pk,
            "doc_ct": " ".join(source.content_types),
        }
        for column, text in source.text_columns():
            if column == AUTOCOMPLETE:
                doc[f"{AUTOCOMPLETE}__a"] = text
                doc[f"{AUTOCOMPLETE}__b"] = text
            else:
                doc[f"{column}__t"] = text
                if has_pairs(column):
                    doc[f"{column}__b"] = text
                if column == ALL_TEXT:
                    doc[READING] = text
        keys = [
            key
            for title in source.titles
            for key in (title_key(title), title_reading_key(title))
            if key
        ]
        if keys:
            doc[TITLE_KEYS] = " ".join(key.replace(" ", "\x1f") for key in keys)
        for column, values in source.filters.items():
            kind = column.rsplit("__", 1)[1]
            if kind == "m":
                doc[column] = ",".join(encode_filter_value(v) for v in values)
            else:
                doc[column] = convert_filter_value(kind, values[0])
        if source.nulls:
            doc["doc_nulls"] = " ".join(source.nulls)
        return doc


class WhooshIndex(BaseIndex):
    """The Whoosh index in one generation folder. ``batch`` indexes keep one writer open for a
    whole rebuild and commit when it finishes."""

    def __init__(self, backend, path: Path | None = None, batch: bool = False):
        super().__init__(backend)
        self.path = path
        self.batch = batch
        self._writer = None
        self.expected_documents = 0

    def get_key(self):
        return str(self.backend.root)

    @property
    def directory(self) -> Path:
        return self.path or self.backend.current_path()

    def open(self):
        return self.backend.open_index(self.directory)

    def add_model(self, model):
        if self.batch:
            self.expected_documents += model.get_indexed_objects().count()

    def refresh(self):
        self.backend.forget_searchers()

    def reset(self):
        self.backend.reset()

    def _write(self, action):
        if self.batch:
            if self._writer is None:
                self._writer = self._batch_writer()
            action(self._writer)
            return
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                # Incremental writes use compound segments: a reader that opens the index while
                # a merge removes loose segment files can otherwise fail.
                writer = self.open().writer(timeout=WRITER_TIMEOUT, delay=0.05)
            except (FileNotFoundError, LockError):
                # Another writer's commit replaced the files between reading the table of
                # contents and opening them, or held the lock past the timeout: try again.
                if attempt == WRITE_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
                continue
            try:
                action(writer)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            return

    def _batch_writer(self):
        """One writer for a whole rebuild. A large rebuild runs the analysis in worker processes
        (started with "spawn": a forked copy of a threaded server process can deadlock), and
        keeps their segments rather than merging them into one, which would rewrite every
        posting once more."""
        options = {
            "limitmb": self.backend.build_memory_mb,
            "compound": False,
            "timeout": WRITER_TIMEOUT,
            "delay": 0.05,
        }
        processes = self.backend.processes
        if processes > 1 and self.expected_documents >= PARALLEL_BUILD_FROM:
            options.update(procs=processes, multisegment=True, start_method="spawn", batchsize=200)
        return self.open().writer(**options)

    def add_items(self, model, items):
        mapping = WhooshMapping(model)
        documents = [mapping.get_document(item) for item in items]
        if not documents:
            return

        # A rebuild writes into an empty generation, once per object: nothing to replace.
        add = "add_document" if self.batch else "update_document"

        def write(writer):
            # An index made before a column existed (the readings, the titles) takes the
            # rest of the document until `update_index` rebuilds it.
            known = writer.schema
            for document in documents:
                getattr(writer, add)(**{k: v for k, v in document.items() if _has(known, k)})

        self._write(write)

    def delete_item(self, item):
        document_id = WhooshMapping(type(item)).document_id(item)
        self._write(lambda writer: writer.delete_by_term("doc_id", document_id))

    def commit(self):
        if self._writer is not None:
            self._writer.commit(optimize=True)
            self._writer = None


def _has(schema, name) -> bool:
    try:
        schema[name]
    except KeyError:
        return False
    return True


class WhooshIndexRebuilder:
    """Builds a new generation beside the live one and swaps it in when complete."""

    def __init__(self, index):
        self.index = index
        self.backend = index.backend
        self.new_index = None

    def start(self):
        self.new_index = WhooshIndex(self.backend, self.backend.new_generation(), batch=True)
        return self.new_index

    def finish(self):
        self.new_index.commit()
        self.backend.activate(self.new_index.path)


class WhooshTextBuilder:
    """``search.plan.Builder`` for Whoosh."""

    def __init__(self, columns: list[tuple[str, float]], searcher=None):
        self.searcher = searcher
        self.word_columns = [(f"{c}__t", b) for c, b in columns]
        self.pair_columns = [(f"{c}__b", b) for c, b in columns if has_pairs(c)]
        self.all_fields = any(c == ALL_TEXT for c, _b in columns)

    @staticmethod
    def _either(queries):
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def word(self, word, boost):
        return self._either([wq.Term(c, word, boost=boost * b) for c, b in self.word_columns])

    def phrase(self, words, slop, boost):
        words = list(words)
        return self._either(
            [
                wq.Term(c, words[0], boost=boost * b)
                if len(words) == 1
                else wq.Phrase(c, words, slop=max(slop, 1), boost=boost * b)
                for c, b in self.word_columns
            ]
        )

    def pairs(self, pairs, boost):
        if not self.pair_columns:
            return wq.NullQuery()
        return self._either([_phrase(c, list(pairs), boost * b) for c, b in self.pair_columns])

    def is_common(self, words):
        return False  # Whoosh serves small sites: every word of the query finds

    def reading(self, kana, boost):
        if not self.all_fields or self.searcher is None:
            return wq.NullQuery()
        readings = segment_reading(kana, lambda r: self.searcher.doc_frequency(READING, r) > 0)
        return _phrase(READING, readings, boost) if readings else wq.NullQuery()

    def title(self, key, boost):
        if not self.all_fields:
            return wq.NullQuery()
        return wq.Term(TITLE_KEYS, key.replace(" ", "\x1f"), boost=boost)

    def all_of(self, queries):
        return wq.And(queries)

    def any_of(self, queries, minimum=1):
        if minimum > 1:
            return wq.Or(queries, minmatch=minimum)
        return wq.Or(queries)

    def scored_by(self, required, extras):
        return wq.AndMaybe(required, self._either(extras))

    def best_of(self, queries):
        return wq.DisjunctionMax(queries, tiebreak=0.1)

    def exclude(self, query, excluded):
        return wq.AndNot(query, excluded)

    def everything(self):
        return wq.Every()

    def nothing(self):
        return wq.NullQuery()


class WhooshSearchQueryCompiler(
    FilterCompiler, EmbeddedCompiler, TextCompiler, BaseSearchQueryCompiler
):
    DEFAULT_OPERATOR = "or"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = WhooshMapping(self.queryset.model)

    # Filters (common.FilterCompiler)

    def _filter_term(self, column, kind, value):
        if kind in {"i", "f"}:
            return wq.NumericRange(column, value, value)
        if kind == "d":
            return wq.DateRange(column, value, value)
        return wq.Term(column, value)

    def _filter_range(self, column, kind, low, high, start_excluded, end_excluded):
        if kind in {"i", "f", "d"}:
            cls = wq.DateRange if kind == "d" else wq.NumericRange
            return cls(column, low, high, startexcl=start_excluded, endexcl=end_excluded)
        return wq.TermRange(column, low, high, startexcl=start_excluded, endexcl=end_excluded)

    def _filter_prefix(self, column, value):
        return wq.Prefix(column, value)

    def _filter_null(self, column):
        return wq.Term("doc_nulls", column)

    def _filter_and(self, filters):
        return wq.And(filters)

    def _filter_or(self, filters):
        return wq.Or(filters)

    def _filter_not(self, query):
        return wq.Not(query)

    def _filter_none(self):
        return wq.NullQuery()

    def get_filter(self, searcher):
        """The documents the queryset allows, or None for all of them. The content type is left
        out when every document in the index has it (a search on the only indexed model)."""
        content_type = self.mapping.get_content_type()
        filters = []
        if searcher.doc_frequency("doc_ct", content_type) < searcher.doc_count_all():
            filters.append(wq.Term("doc_ct", content_type))
        queryset_filter = self._get_filters_from_queryset()
        if queryset_filter is not None:
            filters.append(queryset_filter)
        if not filters:
            return None
        return filters[0] if len(filters) == 1 else wq.And(filters)

    def get_search_query(self, searcher, stage):
        """The text query restricted to the documents the queryset allows, by
        :class:`Restricted` rather than Whoosh's ``filter=`` argument: a filter is turned into a
        set of every allowed document number on each search, while ``Restricted`` only steps
        through the allowed documents that the text query reaches."""
        text = self.compile_text(WhooshTextBuilder(self.text_columns(), searcher), stage)
        restriction = self.get_filter(searcher)
        if restriction is None:
            return text
        if isinstance(text, wq.Every):
            return restriction
        return Restricted(text, restriction)

    # Text (plan.TextCompiler)

    def has_text(self) -> bool:
        return not isinstance(self.query, MatchAll)

    def get_sort(self):
        if self.order_by_relevance:
            return None
        if not self.queryset.ordered:
            return None
        facets = []
        for reverse, field in self._get_order_by():
            facets.append(sorting.FieldFacet(self.mapping.filter_column(field), reverse=reverse))
        return facets or None


def _phrase(column, words, boost):
    if len(words) == 1:
        return wq.Term(column, words[0], boost=boost)
    return wq.Phrase(column, words, boost=boost)


class _RequireMatcher(wm.RequireMatcher):
    """Documents of the scored matcher that the filter allows.

    Whoosh skips blocks of postings whose best score cannot reach the current top ``limit``;
    through a filter, the skip can step over a document that both matchers have and that would
    have ranked first (on the glossary, a search with a limit of 10 ranked another document
    third than the same search without one). The filtered matcher does not take part in it:
    every allowed document is scored. whoosh3 3.54's RequireMatcher also re-aligned its two
    sub-matchers after such a skip even when they were already aligned, failing an assertion in
    ``IntersectionMatcher._find_next``: it re-aligns them only when they differ."""

    def supports_block_quality(self):
        return False

    def replace(self, minquality=0):
        # Nor does it drop the parts that could not lift a document over the lowest score
        # kept so far: they lifted the one that ranked third.
        return super().replace(0)

    def skip_to_quality(self, minquality):
        skipped = self.a.skip_to_quality(minquality)
        if self.a.is_active() and self.b.is_active() and self.a.id() != self.b.id():
            self.child._find_next()
        return skipped


class Restricted(wq.Require):
    """Documents of ``a`` that ``b`` allows, scored by ``a`` alone."""

    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        required = self.b.matcher(searcher, searcher.boolean_context())
        return _RequireMatcher(scored, required)


class WhooshAutocompleteQueryCompiler(AutocompleteCompiler, WhooshSearchQueryCompiler):
    def compile_text(self, builder, stage):
        if isinstance(self.query, MatchAll):
            return wq.Every()
        if not isinstance(self.query, PlainText):
            raise NotImplementedError("Autocomplete takes plain text only")
        # Latin words match as typed so far (the last one as a prefix); runs of kana and kanji
        # match as a character sequence, so a half-typed word (パブリッククラ, RPA導) still finds.
        text = normalize(self.query.query_string)
        parts = []
        pieces = LATIN_OR_CJK.findall(text)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if LATIN_WORD.fullmatch(piece):
                parts.append(wq.Prefix("doc_ac__a", piece) if last else wq.Term("doc_ac__a", piece))
                continue
            grams = [t.text for t in bigram_terms(piece)]
            if len(grams) == 1 and len(grams[0]) == 1:
                parts.append(wq.Prefix("doc_ac__b", grams[0]))
            elif grams:
                parts.append(_phrase("doc_ac__b", grams, 1.0))
        if not parts:
            return wq.NullQuery()
        if len(parts) == 1:
            return parts[0]
        return wq.And(parts) if self.query.operator == "and" else wq.Or(parts)


class WhooshSearchResults(EmbeddedResults):
    _query = None

    def _run(self, searcher, limit, **kwargs):
        """Runs the search; returns the Whoosh query it settled on and its hits: the query of
        the first stage of ``search.plan`` that finds enough documents. The choice is kept for
        the count and facets of the same results."""
        compiler = self.query_compiler
        sortedby = compiler.get_sort()

        def run(query, limit):
            return searcher.search(
                query,
                limit=limit,
                sortedby=sortedby,
                scored=sortedby is None,
                terms=False,
                **kwargs,
            )

        if self._query is not None:
            return self._query, run(self._query, limit)
        stages = compiler.stages() if compiler.has_text else ["all"]
        probe = None if limit is None else max(limit, ENOUGH)
        for stage in stages:
            query = compiler.get_search_query(searcher, stage)
            hits = run(query, probe)
            if hits.scored_length() >= ENOUGH:
                break
        self._query = query
        return query, hits

    def _do_search(self):
        limit = self.stop if self.stop is not None else None
        with self.backend.searcher() as searcher:
            _query, hits = self._run(searcher, limit)
            rows = [(hit["doc_pk"], hit.score) for hit in hits[self.start : self.stop]]
        return self._objects(rows)

    def _settled_query(self, searcher):
        if self._query is None:
            self._run(searcher, ENOUGH)
        return self._query

    def _do_count(self):
        with self.backend.searcher() as searcher:
            query = self._settled_query(searcher)
            total = len(searcher.search(query, limit=None, scored=False, terms=False))
        return self._within_slice(total)

    def facet(self, field_name):
        column = self._facet_column(field_name)
        kind = column.rsplit("__", 1)[1]
        counts: dict = {}
        with self.backend.searcher() as searcher:
            hits = searcher.search(
                self._settled_query(searcher),
                limit=None,
                scored=False,
                groupedby={"facet": sorting.FieldFacet(column, allow_overlap=kind == "m")},
            )
            for key, docnums in hits.groups("facet").items():
                counts[_facet_key(kind, key)] = len(docnums)
        return OrderedDict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))


def _facet_key(kind, key):
    if key is None:
        return None
    if kind == "m" or kind == "s":
        try:
            return int(key)
        except (TypeError, ValueError):
            return key
    return key


class WhooshSearchBackend(QueuedWrites, Generations, BaseSearchBackend):
    query_compiler_class = WhooshSearchQueryCompiler
    autocomplete_query_compiler_class = WhooshAutocompleteQueryCompiler
    results_class = WhooshSearchResults
    rebuilder_class = WhooshIndexRebuilder
    index_class = WhooshIndex

    _local = threading.local()

    def __init__(self, params):
        super().__init__(params)
        self.root = Path(params.get("PATH") or settings.SEARCH_INDEX_DIR)
        self.processes = int(params.get("PROCESSES") or min(os.cpu_count() or 1, 4))
        # Postings a rebuild sorts in memory per process before it sorts through temporary files
        # (Whoosh's estimate; the process grows to about twice it). More is faster: at 20,000
        # documents 1,024 MB needed no temporary files and built 1.6 times as fast as 256 MB.
        self.build_memory_mb = int(params.get("BUILD_MEMORY_MB") or DEFAULT_BUILD_MEMORY_MB)
        self.schema = build_schema()

    # Generations (common.Generations)

    def create_index(self, path: Path) -> None:
        windex.create_in(str(path), self.schema, indexname=INDEX_NAME)

    def open_index(self, path: Path):
        return windex.open_dir(str(path), indexname=INDEX_NAME, schema=self.schema)

    # Reading

    def forget_searchers(self):
        # Dropped, not closed: a caller may still be reading from one (they close when freed).
        self._local.searchers = {}

    def searcher(self):
        """A searcher on the live generation, reused by the thread while the index is unchanged."""
        path = self.current_path()
        cache = getattr(self._local, "searchers", None)
        if cache is None:
            cache = self._local.searchers = {}
        searcher = cache.get(path)
        if searcher is None:
            for stale in cache.values():
                stale.close()
            cache.clear()
            searcher = cache[path] = self.open_index(path).searcher()
        elif not searcher.up_to_date():
            # A new searcher rather than searcher.refresh(): refresh reuses readers of unchanged
            # segments and then misses deletions made in them since (whoosh3 3.54).
            searcher.close()
            searcher = cache[path] = self.open_index(path).searcher()
        return _Borrowed(searcher)

    def delete_documents(self, document_ids: Iterable[str]):
        index = self.get_index_for_model(None)

        def write(writer):
            for document_id in document_ids:
                writer.delete_by_term("doc_id", document_id)

        index._write(write)

    def get_index_for_model(self, model):
        return WhooshIndex(self)

    def suggest(self, words: list[str]) -> list[str]:
        """Corrections for words the index does not know (クラウト → クラウド), or [] if none."""
        corrected, changed = [], False
        with self.searcher() as searcher:
            for word in words:
                normalised = normalize(word)
                terms = [t.text for t in morphological_terms(normalised)]
                known = all(searcher.doc_frequency("doc_all__t", t) for t in terms)
                if not terms or known or normalised.isascii():
                    corrected.append(word)
                    continue
                folded = fold_kana(normalised)
                options = searcher.suggest(
                    "doc_all__t", folded, limit=1, maxdist=2 if len(folded) > 4 else 1
                )
                if options and options[0] != folded:
                    corrected.append(options[0])
                    changed = True
                else:
                    corrected.append(word)
        return corrected if changed else []

    def document_ids(self) -> list[str]:
        """The id of every document in the live index."""
        with self.searcher() as searcher:
            return [fields["doc_id"] for fields in searcher.all_stored_fields()]

    def check_health(self):
        """What /healthz asks of the search: the live index is there, opens afresh, answers a
        query, and is not empty while the database has things to find."""
        with self.open_index(self.live_generation()).searcher() as searcher:
            searcher.search(wq.Every(), limit=1)
            empty = searcher.doc_count() == 0
        if empty and has_indexed_objects():
            raise RuntimeError("the search index is empty: run manage.py update_index")
        return True


class _Borrowed:
    """A context manager around a cached searcher that leaves it open afterwards."""

    def __init__(self, searcher):
        self.searcher = searcher

    def __enter__(self):
        return self.searcher

    def __exit__(self, *exc):
        return False


SearchBackend = WhooshSearchBackend
