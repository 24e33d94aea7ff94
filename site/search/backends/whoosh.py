"""A Whoosh backend for django-modelsearch (the library behind ``wagtail.search``).

One Whoosh index holds every indexed model, like Wagtail's database backend. Field names follow
the Elasticsearch backend's mapping (a subclass's fields are prefixed ``app_model__``), with a
suffix that says how the field is analysed or stored:

``<name>__t``  text, morphological analysis         ``<name>__b``  text, character bigrams
``<name>__a``  autocomplete text (no stemming)      ``<name>__s``  exact string (sortable)
``<name>__i``  integer   ``<name>__f``  float   ``<name>__d``  date/datetime (all sortable)
``<name>__m``  multi-valued exact strings (many-to-many and nested related filters)

``doc_all__t``/``doc_all__b`` hold every searchable text of a document and
``doc_boost_<b>__t``/``__b`` the text of fields boosted by ``b``, so a search over all fields is
a handful of field queries whatever the number of models. A field's own column has no bigram
reading (see :func:`has_bigrams`). Filters become Whoosh queries that restrict the text query
without changing scores (:class:`Restricted`). The index lives in generations under ``PATH``; a
``current`` symlink names the live one, so a full rebuild is written beside it and swapped in
atomically.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.sql import Query
from django.db.models.sql.constants import MULTI, SINGLE
from django.utils import timezone
from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchQueryCompiler,
    BaseSearchResults,
    FilterFieldError,
    get_model_root,
)
from modelsearch.index import (
    AutocompleteField,
    FilterField,
    Indexed,
    RelatedFields,
    SearchField,
    get_indexed_models,
)
from modelsearch.query import And, Boost, Fuzzy, MatchAll, Not, Or, Phrase, PlainText
from whoosh import fields as wf
from whoosh import index as windex
from whoosh import matching as wm
from whoosh import query as wq
from whoosh import sorting
from whoosh.index import LockError

from search.analysis import (
    CJK_RUN,
    HIRAGANA_TO_KATAKANA,
    LATIN_WORD,
    AutocompleteAnalyzer,
    BigramAnalyzer,
    MorphologicalAnalyzer,
    bigram_terms,
    fold_kana,
    morphological_terms,
    normalize,
)

logger = logging.getLogger(__name__)

LATIN_OR_CJK = re.compile(rf"{LATIN_WORD.pattern}|{CJK_RUN.pattern}")
HIRAGANA_WORD = re.compile(r"[\u3041-\u3096ー]{2,}")

INDEX_NAME = "content"
NULL = "\x00null"
INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
FLOAT_TYPES = {"FloatField", "DecimalField"}
DATE_TYPES = {"DateField", "DateTimeField"}
# The bigram reading of a query counts for less than the dictionary one: it finds more, less surely.
BIGRAM_WEIGHT = 0.5
WRITER_TIMEOUT = 60.0  # seconds a writer waits for another to finish before giving up
WRITE_ATTEMPTS = 5
BIGRAM_FALLBACK_BELOW = 10
# In a query of several words, a word in more than this share of the documents is "common"
# (see any_word_query); never in an index of fewer than COMMON_WORD_MIN_DOCUMENTS / share.
COMMON_WORD_SHARE = 0.05
COMMON_WORD_MIN_DOCUMENTS = 50
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
    schema.add("*__b", wf.TEXT(analyzer=bigram, phrase=True), glob=True)
    schema.add("*__a", wf.TEXT(analyzer=autocomplete, phrase=False), glob=True)
    schema.add("*__s", wf.ID(sortable=True), glob=True)
    schema.add("*__m", wf.KEYWORD(lowercase=False, scorable=False, commas=True), glob=True)
    schema.add("*__i", wf.NUMERIC(numtype=int, bits=64, signed=True, sortable=True), glob=True)
    schema.add("*__f", wf.NUMERIC(numtype=float, sortable=True), glob=True)
    schema.add("*__d", wf.DATETIME(sortable=True), glob=True)
    return schema


def boost_column(boost) -> str:
    return "doc_boost_" + str(float(boost)).replace(".", "_")


def has_bigrams(column) -> bool:
    """Only the all-fields and boost columns get a bigram reading. A field's own column
    (searched when a query names ``fields``) is read through the dictionary alone: bigrams are
    most of an index's postings, and a second copy of them per field would double the build."""
    return column.startswith("doc_")


def _as_datetime(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value, datetime.UTC)
        return value
    return datetime.datetime.combine(value, datetime.time())


class WhooshMapping:
    """How the instances of one model become Whoosh documents, and field names columns."""

    def __init__(self, model):
        self.model = model

    def get_content_type(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}"

    def get_all_content_types(self) -> list[str]:
        content_types = []
        model = self.model
        while model is not None:
            content_types.append(f"{model._meta.app_label}.{model.__name__}")
            model = next(
                (
                    b
                    for b in model.__bases__
                    if issubclass(b, Indexed)
                    and issubclass(b, models.Model)
                    and not b._meta.abstract
                ),
                None,
            )
        return content_types

    def document_id(self, obj) -> str:
        root = get_model_root(type(obj))
        return f"{root._meta.label_lower}:{obj.pk}"

    def column_base(self, field) -> str:
        root = get_model_root(self.model)
        definition_model = field.get_definition_model(self.model)
        prefix = ""
        if definition_model is not None and definition_model != root:
            prefix = (
                f"{definition_model._meta.app_label.lower()}_{definition_model.__name__.lower()}__"
            )
        if isinstance(field, RelatedFields):
            return prefix + field.field_name
        return prefix + field.get_attname(self.model)

    def filter_kind(self, field, multi=False) -> str:
        if multi or self._is_multi_valued(field):
            return "m"
        field_type = field.get_type(self.model)
        if field_type in INTEGER_TYPES or field_type in {"ForeignKey", "OneToOneField"}:
            return "i"
        if field_type in FLOAT_TYPES:
            return "f"
        if field_type in DATE_TYPES:
            return "d"
        return "s"

    def _is_multi_valued(self, field) -> bool:
        try:
            model_field = field.get_field(self.model)
        except Exception:  # a callable or property: single-valued
            return False
        return bool(
            getattr(model_field, "many_to_many", False)
            or getattr(model_field, "one_to_many", False)
        )

    def filter_column(self, field, prefix="", multi=False) -> str:
        return f"{prefix}{self.column_base(field)}__{self.filter_kind(field, multi)}"

    # Documents

    def get_document(self, obj) -> dict:
        doc = {
            "doc_id": self.document_id(obj),
            "doc_pk": str(obj.pk),
            "doc_ct": " ".join(self.get_all_content_types()),
        }
        texts: dict[str, list[str]] = {"doc_all": []}
        nulls: list[str] = []
        self._add_fields(
            doc, texts, nulls, self.model.get_search_fields(), obj, prefix="", multi=False
        )
        for column, parts in texts.items():
            text = "\n".join(p for p in parts if p)
            if not text:
                continue
            if column == "doc_ac":
                doc["doc_ac__a"] = text
                doc["doc_ac__b"] = text
            else:
                doc[f"{column}__t"] = text
                if has_bigrams(column):
                    doc[f"{column}__b"] = text
        if nulls:
            doc["doc_nulls"] = " ".join(nulls)
        return doc

    def _add_fields(self, doc, texts, nulls, search_fields, obj, prefix, multi):
        mapping = type(self)(type(obj))
        for field in search_fields:
            if isinstance(field, RelatedFields):
                related = field.get_value(obj)
                nested_prefix = f"{prefix}{mapping.column_base(field)}__"
                if isinstance(related, (models.Manager, models.QuerySet)):
                    for item in related.all():
                        self._add_fields(doc, texts, nulls, field.fields, item, nested_prefix, True)
                elif isinstance(related, models.Model):
                    self._add_fields(doc, texts, nulls, field.fields, related, nested_prefix, multi)
                continue
            value = field.get_value(obj)
            if isinstance(field, FilterField):
                column = mapping.filter_column(field, prefix, multi)
                self._add_filter_value(doc, nulls, column, value)
            elif isinstance(field, AutocompleteField):
                texts.setdefault("doc_ac", []).append(_text(value))
            elif isinstance(field, SearchField):
                text = _text(value)
                column = prefix + mapping.column_base(field)
                texts.setdefault(column, []).append(text)
                texts["doc_all"].append(text)
                if field.boost and float(field.boost) != 1.0:
                    texts.setdefault(boost_column(field.boost), []).append(text)

    def _add_filter_value(self, doc, nulls, column, value):
        kind = column.rsplit("__", 1)[1]
        if isinstance(value, (models.Manager, models.QuerySet)):
            value = list(value.values_list("pk", flat=True))
        elif isinstance(value, models.Model):
            value = value.pk
        if value is None or value == []:
            nulls.append(column)
            return
        values = value if isinstance(value, (list, tuple, set)) else [value]
        values = [v.pk if isinstance(v, models.Model) else v for v in values]
        if kind == "m":
            existing = doc.get(column, "")
            encoded = ",".join(encode_filter_value(v) for v in values)
            doc[column] = f"{existing},{encoded}" if existing else encoded
        else:
            doc[column] = convert_filter_value(kind, values[0])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, (models.Manager, models.QuerySet)):
        return "\n".join(str(v) for v in value.all())
    return str(value)


def encode_filter_value(value) -> str:
    """The string form of a filter value in a multi-valued column (commas separate values)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value).replace(",", "\\,")


def convert_filter_value(kind, value):
    if kind == "i":
        return int(value)
    if kind == "f":
        return float(value)
    if kind == "d":
        return _as_datetime(value)
    return encode_filter_value(value)


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
            for document in documents:
                getattr(writer, add)(**document)

        self._write(write)

    def delete_item(self, item):
        document_id = WhooshMapping(type(item)).document_id(item)
        self._write(lambda writer: writer.delete_by_term("doc_id", document_id))

    def commit(self):
        if self._writer is not None:
            self._writer.commit(optimize=True)
            self._writer = None


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


class WhooshSearchQueryCompiler(BaseSearchQueryCompiler):
    DEFAULT_OPERATOR = "or"
    with_bigrams = True
    searcher = None  # set while compiling for a search: term statistics shape the query

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapping = WhooshMapping(self.queryset.model)

    # Filters

    def _process_lookup(self, field_path, lookup, value, prefix="", mapping=None):
        mapping = mapping or self.mapping
        field = field_path[0]
        if isinstance(field, RelatedFields):
            related_model = field.get_field(mapping.model).related_model
            nested_prefix = f"{prefix}{mapping.column_base(field)}__"
            many = mapping._is_multi_valued(field)
            return self._process_nested_lookup(
                field_path[1:], lookup, value, nested_prefix, WhooshMapping(related_model), many
            )
        column = mapping.filter_column(field, prefix)
        return self._lookup_query(column, lookup, value)

    def _process_nested_lookup(self, field_path, lookup, value, prefix, mapping, many):
        field = field_path[0]
        if isinstance(field, RelatedFields):
            related_model = field.get_field(mapping.model).related_model
            return self._process_nested_lookup(
                field_path[1:],
                lookup,
                value,
                f"{prefix}{mapping.column_base(field)}__",
                WhooshMapping(related_model),
                many or mapping._is_multi_valued(field),
            )
        column = mapping.filter_column(field, prefix, multi=many)
        return self._lookup_query(column, lookup, value)

    def _resolve_subquery(self, lookup, value):
        """A filter such as ``id__in=OtherModel.objects.values("pk")`` holds a SQL query:
        the index needs its values."""
        if not isinstance(value, Query):
            return value
        compiler = value.get_compiler(self.queryset._db or DEFAULT_DB_ALIAS)
        if lookup == "in":
            return [row[0] for chunk in compiler.execute_sql(result_type=MULTI) for row in chunk]
        row = compiler.execute_sql(result_type=SINGLE)
        return row[0] if row else None

    def _lookup_query(self, column, lookup, value):
        kind = column.rsplit("__", 1)[1]
        value = self._resolve_subquery(lookup, value)
        if lookup == "isnull":
            is_null = wq.Term("doc_nulls", column)
            return is_null if value else wq.Not(is_null)
        if lookup in {"exact", "iexact"} and value is None:
            return wq.Term("doc_nulls", column)
        if lookup == "exact":
            return self._term(column, kind, value)
        if lookup == "in":
            values = list(value)
            if not values:
                return wq.NullQuery()
            return wq.Or([self._term(column, kind, v) for v in values])
        if lookup in {"lt", "lte", "gt", "gte"}:
            converted = self._convert(kind, value)
            low = converted if lookup in {"gt", "gte"} else None
            high = converted if lookup in {"lt", "lte"} else None
            if kind in {"i", "f", "d"}:
                cls = wq.DateRange if kind == "d" else wq.NumericRange
                return cls(
                    column,
                    low,
                    high,
                    startexcl=lookup == "gt",
                    endexcl=lookup == "lt",
                )
            return wq.TermRange(column, low, high, startexcl=lookup == "gt", endexcl=lookup == "lt")
        if lookup == "range":
            low, high = (self._convert(kind, v) for v in value)
            if kind in {"i", "f", "d"}:
                cls = wq.DateRange if kind == "d" else wq.NumericRange
                return cls(column, low, high)
            return wq.TermRange(column, low, high)
        if lookup == "startswith":
            return wq.Prefix(column, encode_filter_value(value))
        return None

    def _convert(self, kind, value):
        if kind == "m":
            return encode_filter_value(value.pk if isinstance(value, models.Model) else value)
        return convert_filter_value(kind, value.pk if isinstance(value, models.Model) else value)

    def _term(self, column, kind, value):
        converted = self._convert(kind, value)
        if kind in {"i", "f"}:
            return wq.NumericRange(column, converted, converted)
        if kind == "d":
            return wq.DateRange(column, converted, converted)
        return wq.Term(column, converted)

    def _process_match_none(self):
        return wq.NullQuery()

    def _connect_filters(self, filters, connector, negated):
        # None stands for "every document": it is never built as a query, because Whoosh would
        # list every document number to match it.
        if connector == "OR" and any(f is None for f in filters):
            combined = None
        else:
            filters = [f for f in filters if f is not None]
            if not filters:
                combined = None
            elif len(filters) == 1:
                combined = filters[0]
            else:
                combined = wq.And(filters) if connector == "AND" else wq.Or(filters)
        if negated:
            return wq.NullQuery() if combined is None else wq.Not(combined)
        return combined

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

    def get_search_query(self, searcher, with_bigrams):
        """The text query restricted to the documents the queryset allows, by
        :class:`Restricted` rather than Whoosh's ``filter=`` argument: a filter is turned into a
        set of every allowed document number on each search, while ``Restricted`` only steps
        through the allowed documents that the text query reaches."""
        self.searcher = searcher
        text = self.get_query(with_bigrams=with_bigrams)
        restriction = self.get_filter(searcher)
        if restriction is None:
            return text
        if isinstance(text, wq.Every):
            return restriction
        return Restricted(text, restriction)

    # Text

    def text_columns(self) -> list[tuple[str, float]]:
        if self.fields:
            searchable = {
                f.field_name: f for f in self.queryset.model.get_searchable_search_fields()
            }
            columns = []
            for name in self.fields:
                field = searchable[name]
                if isinstance(field, RelatedFields):
                    columns.append((self.mapping.column_base(field), 1.0))
                else:
                    columns.append((self.mapping.column_base(field), float(field.boost or 1.0)))
            return columns
        boosts = set()
        for model in get_indexed_models():
            if issubclass(model, self.queryset.model):
                for field in model.get_searchable_search_fields():
                    if isinstance(field, SearchField) and field.boost and float(field.boost) != 1.0:
                        boosts.add(float(field.boost))
        return [("doc_all", 1.0)] + [(boost_column(b), b) for b in sorted(boosts)]

    def get_query(self, with_bigrams=True):
        """The text query. Without bigrams it reads the query through the dictionary only;
        with them, character sequences also match (parts of compounds, unknown words)."""
        self.with_bigrams = with_bigrams
        return self._compile(self.query, boost=1.0)

    @property
    def has_text(self) -> bool:
        return not isinstance(self.query, MatchAll)

    def _compile(self, query, boost):
        if isinstance(query, MatchAll):
            return wq.Every()
        if isinstance(query, (PlainText, Fuzzy)):
            query_boost = getattr(query, "boost", 1.0) or 1.0
            return self.text_query(query.query_string, query.operator, boost * query_boost)
        if isinstance(query, Phrase):
            return self.phrase_query(query.query_string, boost)
        if isinstance(query, Boost):
            return self._compile(query.subquery, boost * query.boost)
        if isinstance(query, And):
            return wq.And([self._compile(q, boost) for q in query.subqueries])
        if isinstance(query, Or):
            return wq.Or([self._compile(q, boost) for q in query.subqueries])
        if isinstance(query, Not):
            return wq.Not(self._compile(query.subquery, boost))
        raise NotImplementedError(f"{type(query).__name__} queries are not supported by Whoosh")

    def chunk_alternatives(self, chunk: str) -> list[str]:
        alternatives = [chunk, *self.backend_synonyms(chunk)]
        # A word typed all in hiragana is often a katakana word (くらうど): the dictionary
        # reads hiragana as Japanese words, so its katakana spelling is tried as well.
        if HIRAGANA_WORD.fullmatch(chunk):
            katakana = chunk.translate(HIRAGANA_TO_KATAKANA)
            alternatives += [katakana, *self.backend_synonyms(katakana)]
        return alternatives

    def backend_synonyms(self, chunk):
        from search.synonyms import expand

        return expand(chunk)

    def text_query(self, query_string, operator, boost=1.0):
        """Each whitespace-separated part of the query must (``and``) or may (``or``) match.
        A part matches through its dictionary words, through its character bigrams as a phrase,
        or through a synonym."""
        chunks = normalize(query_string).split()
        parts = []
        for chunk in chunks:
            alternatives = [
                self.chunk_query(text, operator, boost) for text in self.chunk_alternatives(chunk)
            ]
            alternatives = [q for q in alternatives if q is not None]
            if alternatives:
                parts.append(wq.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
        if not parts:
            return wq.NullQuery()
        if len(parts) == 1:
            return parts[0]
        return wq.And(parts) if operator == "and" else wq.Or(parts)

    def chunk_query(self, chunk, operator, boost):
        columns = self.text_columns()
        words = [term.text for term in morphological_terms(normalize(chunk))]
        bigrams = [term.text for term in bigram_terms(normalize(chunk))]
        options = []
        words = list(dict.fromkeys(words))  # 工程 … 工程: once is enough
        if words:

            def word_query(word):
                return wq.Or(
                    [wq.Term(f"{column}__t", word, boost=boost * b) for column, b in columns]
                )

            if operator == "and" or len(words) == 1:
                per_word = [word_query(word) for word in words]
                options.append(per_word[0] if len(per_word) == 1 else wq.And(per_word))
            else:
                options.append(self.any_word_query(words, word_query))
        bigram_columns = [(column, b) for column, b in columns if has_bigrams(column)]
        if bigrams and self.with_bigrams and bigram_columns:
            options.append(
                wq.Or(
                    [
                        _phrase(f"{column}__b", bigrams, boost * b * BIGRAM_WEIGHT)
                        for column, b in bigram_columns
                    ]
                )
            )
        if not options:
            return None
        return options[0] if len(options) == 1 else wq.Or(options)

    def any_word_query(self, words, word_query):
        """Documents with any of the words, as Elasticsearch's common terms query reads them:
        words found in more than COMMON_WORD_SHARE of the documents (開発, 方, 前) only add to the
        score of documents that have a rarer word of the query. Scoring every document that
        contains 開発 is most of the time of a long query and changes none of its top results."""
        common = set()
        if self.searcher is not None:
            documents = self.searcher.doc_count_all()
            cutoff = max(COMMON_WORD_SHARE * documents, COMMON_WORD_MIN_DOCUMENTS)
            common = {w for w in words if self.searcher.doc_frequency("doc_all__t", w) > cutoff}
        rare = [word_query(w) for w in words if w not in common]
        frequent = [word_query(w) for w in words if w in common]
        if not frequent:
            return wq.Or(rare)
        if not rare:
            # Only common words (クラウド + サービス in クラウドサービス): documents with all of
            # them. Fewer than enough, and the bigram reading takes over.
            return wq.And(frequent)
        rare_query = rare[0] if len(rare) == 1 else wq.Or(rare)
        frequent_query = frequent[0] if len(frequent) == 1 else wq.Or(frequent)
        return wq.AndMaybe(rare_query, frequent_query)

    def phrase_query(self, query_string, boost):
        text = normalize(query_string)
        words = [term.text for term in morphological_terms(text)]
        bigrams = [term.text for term in bigram_terms(text)]
        options = []
        for column, b in self.text_columns():
            if words:
                options.append(_phrase(f"{column}__t", words, boost * b))
            if bigrams and self.with_bigrams and has_bigrams(column):
                options.append(_phrase(f"{column}__b", bigrams, boost * b * BIGRAM_WEIGHT))
        return wq.Or(options) if options else wq.NullQuery()

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
    """whoosh3 3.54's RequireMatcher re-aligns its two sub-matchers after skipping blocks of low
    quality even when they are already aligned or one is exhausted, and fails an assertion in
    ``IntersectionMatcher._find_next``. This one re-aligns them only when they differ."""

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


class WhooshAutocompleteQueryCompiler(WhooshSearchQueryCompiler):
    DEFAULT_OPERATOR = "and"

    def check(self):
        # Autocomplete runs on AutocompleteFields only; `fields` may name any of them.
        if self.fields:
            allowed = {f.field_name for f in self.queryset.model.get_autocomplete_search_fields()}
            for name in self.fields:
                if name not in allowed:
                    from modelsearch.backends.base import SearchFieldError

                    raise SearchFieldError(
                        f'Cannot autocomplete with field "{name}". Please add '
                        f'index.AutocompleteField("{name}") to {self.queryset.model.__name__}.'
                        "search_fields.",
                        field_name=name,
                    )
        self._get_filters_from_queryset(check_only=True)
        list(self._get_order_by())

    def get_query(self, with_bigrams=True):
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


class WhooshSearchResults(BaseSearchResults):
    supports_facet = True
    _query = None

    def _run(self, searcher, limit, **kwargs):
        """Runs the search; returns the Whoosh query it settled on and its hits.

        The dictionary reading of the query comes first; the bigram reading replaces it only when
        the first finds fewer than BIGRAM_FALLBACK_BELOW documents. Bigrams rescue what the
        dictionary misses (ロックイン inside ベンダーロックイン) without pulling noise into good
        result lists, and the cheap query answers most searches. The choice is kept for the
        count and facets of the same results."""
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
        query = compiler.get_search_query(searcher, with_bigrams=False)
        probe = None if limit is None else max(limit, BIGRAM_FALLBACK_BELOW)
        hits = run(query, probe)
        if compiler.has_text and hits.scored_length() < BIGRAM_FALLBACK_BELOW:
            query = compiler.get_search_query(searcher, with_bigrams=True)
            hits = run(query, limit)
        self._query = query
        return query, hits

    def _do_search(self):
        limit = self.stop if self.stop is not None else None
        with self.backend.searcher() as searcher:
            _query, hits = self._run(searcher, limit)
            rows = [(hit["doc_pk"], hit.score) for hit in hits[self.start : self.stop]]
        pks = [pk for pk, _score in rows]
        scores = dict(rows)
        objects = {str(obj.pk): obj for obj in self.query_compiler.queryset.filter(pk__in=pks)}
        results = []
        for pk in pks:
            obj = objects.get(pk)
            if obj is None:
                continue
            if self._score_field:
                setattr(obj, self._score_field, scores.get(pk))
            results.append(obj)
        return results

    def _settled_query(self, searcher):
        if self._query is None:
            self._run(searcher, BIGRAM_FALLBACK_BELOW)
        return self._query

    def _do_count(self):
        with self.backend.searcher() as searcher:
            query = self._settled_query(searcher)
            total = len(searcher.search(query, limit=None, scored=False, terms=False))
        total -= self.start
        if self.stop is not None:
            total = min(total, self.stop - self.start)
        return max(total, 0)

    def facet(self, field_name):
        compiler = self.query_compiler
        field = compiler._get_filterable_field(field_name)
        if field is None:
            raise FilterFieldError(
                f'Cannot facet search results with field "{field_name}". Please add '
                f'index.FilterField("{field_name}") to {compiler.queryset.model.__name__}.'
                "search_fields.",
                field_name=field_name,
            )
        column = compiler.mapping.filter_column(field)
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


class WhooshSearchBackend(BaseSearchBackend):
    query_compiler_class = WhooshSearchQueryCompiler
    autocomplete_query_compiler_class = WhooshAutocompleteQueryCompiler
    results_class = WhooshSearchResults
    rebuilder_class = WhooshIndexRebuilder
    index_class = WhooshIndex

    _lock = threading.Lock()
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

    # Generations

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current_path(self) -> Path:
        link = self.current_link
        if not link.exists():
            with self._lock:
                if not link.exists():
                    self.activate(self.new_generation())
        return Path(os.path.realpath(link))

    def new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        windex.create_in(str(path), self.schema, indexname=INDEX_NAME)
        return path

    def activate(self, path: Path):
        """Points ``current`` at a generation (an atomic rename). The generation it replaces is
        kept until the next swap, for searchers still reading it; older ones are removed."""
        previous = Path(os.path.realpath(self.current_link)) if self.current_link.exists() else None
        temporary = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(path.name, temporary)
        os.replace(temporary, self.current_link)
        self.forget_searchers()
        for old in self.root.glob("gen-*"):
            if old.name not in {path.name, previous.name if previous else None}:
                shutil.rmtree(old, ignore_errors=True)

    def reset(self):
        self.activate(self.new_generation())

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

    # Writing goes through django-tasks so that no request waits on the index.

    def add(self, obj):
        from search.tasks import index_objects

        index_objects.enqueue(obj._meta.label, [str(obj.pk)], str(self.root))

    def add_bulk(self, model, obj_list):
        self.get_index_for_model(model).add_items(model, obj_list)

    def delete(self, obj):
        from search.tasks import delete_documents

        delete_documents.enqueue([WhooshMapping(type(obj)).document_id(obj)], str(self.root))

    def write_objects(self, model, objects: Iterable):
        self.get_index_for_model(model).add_items(model, list(objects))

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

    def check_health(self):
        """Opens the live index and runs a query: what /healthz asks of the search."""
        with self.searcher() as searcher:
            searcher.search(wq.Every(), limit=1)
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
