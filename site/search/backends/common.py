"""What the embedded backends (``tantivy.py``, ``whoosh.py``) share: how a model's instances
become documents and its fields columns, how a queryset's filters become index filters, and the
index generations on disk.

Column names follow the Elasticsearch backend's mapping (a subclass's fields are prefixed
``app_model__``), with a suffix that says how the column is analysed or stored:

``<name>__t``  text, dictionary words          ``<name>__b``  text, character pairs
``<name>__a``  autocomplete text (no stemming)  ``<name>__s``  exact string (sortable)
``<name>__i``  integer   ``<name>__f``  float   ``<name>__d``  date/datetime (all sortable)
``<name>__m``  multi-valued exact strings (many-to-many and nested related filters)

``doc_all`` holds every searchable text of a document and ``doc_boost_<b>`` the text of fields
boosted by ``b``, so a search over all fields is a handful of column queries whatever the
number of models. Only those columns get a character-pair reading (:func:`has_pairs`).
"""

from __future__ import annotations

import datetime
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.sql import Query
from django.db.models.sql.constants import MULTI, SINGLE
from django.utils import timezone
from modelsearch.backends.base import (
    BaseSearchResults,
    FilterFieldError,
    SearchFieldError,
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
ALL_TEXT = "doc_all"
AUTOCOMPLETE = "doc_ac"
# The readings (katakana) of doc_all as character pairs, and the words of each title.
READING = f"{ALL_TEXT}__r"
TITLE_KEYS = "doc_title__k"


def boost_column(boost) -> str:
    return "doc_boost_" + str(float(boost)).replace(".", "_")


def has_pairs(column) -> bool:
    """Only the all-fields and boost columns get a character-pair reading. A field's own column
    (searched when a query names ``fields``) is read through the dictionary alone: pairs are
    most of an index's postings, and a second copy of them per field would double the build."""
    return column.startswith("doc_")


def as_naive_utc(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value, datetime.UTC)
        return value
    return datetime.datetime.combine(value, datetime.time())


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
        return as_naive_utc(value)
    return encode_filter_value(value)


def field_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(field_text(v) for v in value)
    if isinstance(value, (models.Manager, models.QuerySet)):
        return "\n".join(str(v) for v in value.all())
    return str(value)


class IndexedDocument:
    """A model instance as the index sees it, before any engine's analysis."""

    def __init__(self, doc_id: str, pk: str, content_types: list[str]):
        self.doc_id = doc_id
        self.pk = pk
        self.content_types = content_types
        self.texts: dict[str, list[str]] = {ALL_TEXT: []}  # column → texts
        self.filters: dict[str, list] = {}  # column → values
        self.nulls: list[str] = []
        # The text of the most boosted searchable fields of the model itself: its title(s).
        self.titles: list[str] = []
        self.title_boost = 0.0

    def text(self, column: str) -> str:
        return "\n".join(part for part in self.texts.get(column, ()) if part)

    def text_columns(self) -> Iterator[tuple[str, str]]:
        for column in self.texts:
            text = self.text(column)
            if text:
                yield column, text

    def excerpt_text(self, title_column: str = "title") -> str:
        """The searchable text other than the title, for snippets."""
        return "\n".join(
            self.text(column)
            for column in self.texts
            if not column.startswith("doc_") and column.rsplit("__", 1)[-1] != title_column
        )


class IndexMapping:
    """How the instances of one model become documents, and its fields columns."""

    def __init__(self, model):
        self.model = model

    def get_content_type(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}"

    def get_all_content_types(self) -> list[str]:
        return list(_content_types(self.model))

    def column_base(self, field) -> str:
        return _column_base(self.model, field)

    def filter_kind(self, field, multi=False) -> str:
        if multi or self.is_multi_valued(field):
            return "m"
        return _filter_kind(self.model, field)

    def is_multi_valued(self, field) -> bool:
        return _is_multi_valued(self.model, field)

    def document_id(self, obj) -> str:
        root = get_model_root(type(obj))
        return f"{root._meta.label_lower}:{obj.pk}"

    def filter_column(self, field, prefix="", multi=False) -> str:
        return f"{prefix}{self.column_base(field)}__{self.filter_kind(field, multi)}"

    # Columns, for engines that declare them before indexing

    def columns(self) -> Iterator[tuple[str, str]]:
        """(column, kind) of every column this model's documents can have; text columns have
        the kinds ``t`` (and ``b`` where :func:`has_pairs`), and ``a`` for autocomplete."""
        yield from self._columns(self.model.get_search_fields(), prefix="", multi=False)
        yield f"{ALL_TEXT}__t", "t"
        yield f"{ALL_TEXT}__b", "b"
        yield READING, "r"
        yield TITLE_KEYS, "k"
        for field in self.model.get_search_fields():
            if isinstance(field, SearchField) and field.boost and float(field.boost) != 1.0:
                yield f"{boost_column(field.boost)}__t", "t"
                yield f"{boost_column(field.boost)}__b", "b"
        if self.model.get_autocomplete_search_fields():
            yield f"{AUTOCOMPLETE}__a", "a"
            yield f"{AUTOCOMPLETE}__b", "b"

    def _columns(self, search_fields, prefix, multi):
        for field in search_fields:
            if isinstance(field, RelatedFields):
                try:
                    related_model = field.get_field(self.model).related_model
                except Exception:  # a method returning objects: nothing to declare
                    continue
                if related_model is None:
                    continue
                nested = type(self)(related_model)
                nested_prefix = f"{prefix}{self.column_base(field)}__"
                yield from nested._columns(
                    field.fields, nested_prefix, multi or self.is_multi_valued(field)
                )
            elif isinstance(field, FilterField):
                column = self.filter_column(field, prefix, multi)
                yield column, column.rsplit("__", 1)[1]
            elif isinstance(field, SearchField):
                yield f"{prefix}{self.column_base(field)}__t", "t"

    # Documents

    def get_document(self, obj) -> IndexedDocument:
        document = IndexedDocument(self.document_id(obj), str(obj.pk), self.get_all_content_types())
        self._add_fields(document, self.model.get_search_fields(), obj, prefix="", multi=False)
        return document

    def _add_fields(self, document, search_fields, obj, prefix, multi):
        mapping = type(self)(type(obj))
        for field in search_fields:
            if isinstance(field, RelatedFields):
                related = field.get_value(obj)
                nested_prefix = f"{prefix}{mapping.column_base(field)}__"
                if isinstance(related, (models.Manager, models.QuerySet)):
                    for item in related.all():
                        self._add_fields(document, field.fields, item, nested_prefix, True)
                elif isinstance(related, models.Model):
                    self._add_fields(document, field.fields, related, nested_prefix, multi)
                continue
            value = field.get_value(obj)
            if isinstance(field, FilterField):
                column = mapping.filter_column(field, prefix, multi)
                self._add_filter_value(document, column, value)
            elif isinstance(field, AutocompleteField):
                document.texts.setdefault(AUTOCOMPLETE, []).append(field_text(value))
            elif isinstance(field, SearchField):
                text = field_text(value)
                column = prefix + mapping.column_base(field)
                document.texts.setdefault(column, []).append(text)
                document.texts[ALL_TEXT].append(text)
                boost = float(field.boost or 1.0)
                if boost != 1.0:
                    document.texts.setdefault(boost_column(field.boost), []).append(text)
                if not prefix and text and boost >= document.title_boost:
                    if boost > document.title_boost:
                        document.titles, document.title_boost = [], boost
                    document.titles.append(text)

    def _add_filter_value(self, document, column, value):
        if isinstance(value, (models.Manager, models.QuerySet)):
            value = list(value.values_list("pk", flat=True))
        elif isinstance(value, models.Model):
            value = value.pk
        if value is None or value == []:
            document.nulls.append(column)
            return
        values = value if isinstance(value, (list, tuple, set)) else [value]
        values = [v.pk if isinstance(v, models.Model) else v for v in values]
        document.filters.setdefault(column, []).extend(values)


# What a model's fields are called and hold does not change while the process runs, and a
# rebuild asks it for every field of every object: worked out once.


@lru_cache(maxsize=1024)
def _content_types(model) -> tuple[str, ...]:
    content_types = []
    while model is not None:
        content_types.append(f"{model._meta.app_label}.{model.__name__}")
        model = next(
            (
                b
                for b in model.__bases__
                if issubclass(b, Indexed) and issubclass(b, models.Model) and not b._meta.abstract
            ),
            None,
        )
    return tuple(content_types)


@lru_cache(maxsize=4096)
def _column_base(model, field) -> str:
    root = get_model_root(model)
    definition_model = field.get_definition_model(model)
    prefix = ""
    if definition_model is not None and definition_model != root:
        prefix = f"{definition_model._meta.app_label.lower()}_{definition_model.__name__.lower()}__"
    if isinstance(field, RelatedFields):
        return prefix + field.field_name
    return prefix + field.get_attname(model)


@lru_cache(maxsize=4096)
def _filter_kind(model, field) -> str:
    field_type = field.get_type(model)
    if field_type in INTEGER_TYPES or field_type in {"ForeignKey", "OneToOneField"}:
        return "i"
    if field_type in FLOAT_TYPES:
        return "f"
    if field_type in DATE_TYPES:
        return "d"
    return "s"


@lru_cache(maxsize=4096)
def _is_multi_valued(model, field) -> bool:
    try:
        model_field = field.get_field(model)
    except Exception:  # a callable or property: single-valued
        return False
    return bool(
        getattr(model_field, "many_to_many", False) or getattr(model_field, "one_to_many", False)
    )


def has_indexed_objects() -> bool:
    """Whether the database holds anything to index (an empty index is then a fault)."""
    return any(model.get_indexed_objects().exists() for model in get_indexed_models())


def indexed_columns() -> dict[str, str]:
    """Every column of every indexed model: what an engine with a fixed schema declares."""
    columns: dict[str, str] = {}
    for model in get_indexed_models():
        for column, kind in IndexMapping(model).columns():
            columns.setdefault(column, kind)
    return columns


def searchable_boosts(model) -> list[float]:
    """The field boosts other than 1 of ``model`` and its indexed subclasses."""
    boosts = set()
    for indexed in get_indexed_models():
        if issubclass(indexed, model):
            for field in indexed.get_searchable_search_fields():
                if isinstance(field, SearchField) and field.boost and float(field.boost) != 1.0:
                    boosts.add(float(field.boost))
    return sorted(boosts)


class FilterCompiler:
    """Turns a queryset's filters into index filters; a query compiler mixes it in and provides
    the engine's filter constructors (``_filter_*``)."""

    mapping: IndexMapping

    def _filter_term(self, column, kind, value): ...

    def _filter_range(self, column, kind, low, high, start_excluded, end_excluded): ...

    def _filter_prefix(self, column, value): ...

    def _filter_null(self, column): ...

    def _filter_and(self, filters): ...

    def _filter_or(self, filters): ...

    def _filter_not(self, query): ...

    def _filter_none(self): ...

    def _process_lookup(self, field_path, lookup, value, prefix="", mapping=None):
        mapping = mapping or self.mapping
        field = field_path[0]
        if isinstance(field, RelatedFields):
            related_model = field.get_field(mapping.model).related_model
            nested_prefix = f"{prefix}{mapping.column_base(field)}__"
            many = mapping.is_multi_valued(field)
            return self._process_nested_lookup(
                field_path[1:], lookup, value, nested_prefix, IndexMapping(related_model), many
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
                IndexMapping(related_model),
                many or mapping.is_multi_valued(field),
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
            is_null = self._filter_null(column)
            return is_null if value else self._filter_not(is_null)
        if lookup in {"exact", "iexact"} and value is None:
            return self._filter_null(column)
        if lookup == "exact":
            return self._filter_term(column, kind, self._convert(kind, value))
        if lookup == "in":
            values = list(value)
            if not values:
                return self._filter_none()
            return self._filter_or(
                [self._filter_term(column, kind, self._convert(kind, v)) for v in values]
            )
        if lookup in {"lt", "lte", "gt", "gte"}:
            converted = self._convert(kind, value)
            low = converted if lookup in {"gt", "gte"} else None
            high = converted if lookup in {"lt", "lte"} else None
            return self._filter_range(column, kind, low, high, lookup == "gt", lookup == "lt")
        if lookup == "range":
            low, high = (self._convert(kind, v) for v in value)
            return self._filter_range(column, kind, low, high, False, False)
        if lookup == "startswith":
            return self._filter_prefix(column, encode_filter_value(value))
        return None

    def _convert(self, kind, value):
        if isinstance(value, models.Model):
            value = value.pk
        if kind == "m":
            return encode_filter_value(value)
        return convert_filter_value(kind, value)

    def _process_match_none(self):
        return self._filter_none()

    def _connect_filters(self, filters, connector, negated):
        # None stands for "every document": it is never built as a query, because an engine
        # would list every document to match it.
        if connector == "OR" and any(f is None for f in filters):
            combined = None
        else:
            filters = [f for f in filters if f is not None]
            if not filters:
                combined = None
            elif len(filters) == 1:
                combined = filters[0]
            else:
                combined = (
                    self._filter_and(filters) if connector == "AND" else self._filter_or(filters)
                )
        if negated:
            return self._filter_none() if combined is None else self._filter_not(combined)
        return combined


class EmbeddedCompiler:
    """What the embedded engines' query compilers share besides the filters: the text columns a
    search reads. Mixed into a BaseSearchQueryCompiler (``fields``, ``queryset``, ``mapping``)."""

    def text_columns(self) -> list[tuple[str, float]]:
        """(column, boost): the fields a query names, or every field (doc_all) and the
        columns of boosted fields."""
        if self.fields:
            searchable = {
                f.field_name: f for f in self.queryset.model.get_searchable_search_fields()
            }
            columns = []
            for name in self.fields:
                field = searchable[name]
                boost = 1.0 if isinstance(field, RelatedFields) else float(field.boost or 1.0)
                columns.append((self.mapping.column_base(field), boost))
            return columns
        return [(ALL_TEXT, 1.0)] + [
            (boost_column(b), b) for b in searchable_boosts(self.queryset.model)
        ]


class AutocompleteCompiler:
    """Autocomplete reads the AutocompleteFields only, in one stage; ``fields`` may name any of
    them."""

    DEFAULT_OPERATOR = "and"

    def check(self):
        if self.fields:
            allowed = {f.field_name for f in self.queryset.model.get_autocomplete_search_fields()}
            for name in self.fields:
                if name not in allowed:
                    raise SearchFieldError(
                        f'Cannot autocomplete with field "{name}". Please add '
                        f'index.AutocompleteField("{name}") to {self.queryset.model.__name__}.'
                        "search_fields.",
                        field_name=name,
                    )
        self._get_filters_from_queryset(check_only=True)
        list(self._get_order_by())

    def stages(self):
        return ["all"]


class EmbeddedResults(BaseSearchResults):
    """What both embedded backends' results do alike: objects in the engine's order, counts
    within the slice asked for, the filter column a facet reads."""

    supports_facet = True

    def _objects(self, hits: list[tuple[str, float]]) -> list:
        """The database objects of ``(pk, score)`` hits, in the hits' order, scored when asked;
        a hit whose object is gone (deleted or unpublished since) is left out."""
        scores = dict(hits)
        queryset = self.query_compiler.queryset.filter(pk__in=list(scores))
        objects = {str(obj.pk): obj for obj in queryset}
        results = []
        for pk, _score in hits:
            obj = objects.get(pk)
            if obj is None:
                continue
            if self._score_field:
                setattr(obj, self._score_field, scores.get(pk))
            results.append(obj)
        return results

    def _within_slice(self, total: int) -> int:
        total -= self.start
        if self.stop is not None:
            total = min(total, self.stop - self.start)
        return max(total, 0)

    def _facet_column(self, field_name: str) -> str:
        compiler = self.query_compiler
        field = compiler._get_filterable_field(field_name)
        if field is None:
            raise FilterFieldError(
                f'Cannot facet search results with field "{field_name}". Please add '
                f'index.FilterField("{field_name}") to {compiler.queryset.model.__name__}.'
                "search_fields.",
                field_name=field_name,
            )
        return compiler.mapping.filter_column(field)


class QueuedWrites:
    """Writing as both embedded backends do it: a change is queued in the database with the
    transaction that makes it (search/outbox.py) and written from there; a bulk rebuild and the
    outbox write through the index directly."""

    def get_index_for_model(self, model): ...

    def add(self, obj):
        # Local: rebuild workers import this module before Django is set up; outbox imports models.
        from search.outbox import queue_index

        queue_index(obj)

    def add_bulk(self, model, obj_list):
        self.get_index_for_model(model).add_items(model, obj_list)

    def delete(self, obj):
        # Local, as in add(): search.outbox imports models, which need the app registry.
        from search.outbox import queue_delete

        queue_delete(obj._meta.label, obj.pk)

    def write_objects(self, model, objects: Iterable):
        self.get_index_for_model(model).add_items(model, list(objects))


class Generations:
    """The index lives in generation folders under ``root``; a ``current`` symlink names the
    live one, so a full rebuild is written beside it and swapped in atomically. A backend mixes
    this in and provides ``create_index(path)``."""

    root: Path
    _generation_lock = threading.Lock()

    def create_index(self, path: Path) -> None: ...

    def forget_searchers(self) -> None: ...

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current_path(self) -> Path:
        link = self.current_link
        if not link.exists():
            with self._generation_lock:
                if not link.exists():
                    self.activate(self.new_generation())
        return Path(os.path.realpath(link))

    def new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        self.create_index(path)
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

    def live_generation(self) -> Path:
        """The live generation, which must exist (a health check does not create one)."""
        link = self.current_link
        if not link.is_symlink() or not link.exists():
            raise FileNotFoundError(f"no live search index at {link}")
        return Path(os.path.realpath(link))

    def previous_generation(self) -> Path | None:
        """The live generation while a rebuild writes the next one."""
        return Path(os.path.realpath(self.current_link)) if self.current_link.exists() else None

    def reset(self):
        self.activate(self.new_generation())
