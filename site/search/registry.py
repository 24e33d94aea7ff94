"""What the site search looks through. Each content type registers how to find its objects and
how to show them; the curriculum, case studies and Q&A add theirs as they arrive."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.utils.functional import Promise
from modelsearch.index import RelatedFields, SearchField


@dataclass(frozen=True)
class SearchableType:
    name: str  # the JSON "type": course, lesson, case_study, question, page
    label: str | Promise
    queryset: Callable  # request -> queryset of the indexed model
    url: Callable = lambda obj, request: obj.get_url(request)
    title: Callable = lambda obj: str(obj)
    # The many-to-many field to Topic: the model declares FilterField(name) (the topic facet) and
    # RelatedFields(name, [FilterField("slug")]) (the topic filter).
    topic_filter: str | None = None
    order: int = 100
    page_models: tuple = field(default=())  # page types shown as this type, not as "page"


_registry: dict[str, SearchableType] = {}


def register(searchable: SearchableType) -> None:
    _registry[searchable.name] = searchable


def searchable_types() -> list[SearchableType]:
    return sorted(_registry.values(), key=lambda s: s.order)


def page_models_with_their_own_type() -> list:
    return [model for s in _registry.values() for model in s.page_models]


def get(name: str) -> SearchableType | None:
    return _registry.get(name)


def topic_model():
    """The taxonomy behind the topic facet and filter (settings.SEARCH_TOPIC_MODEL, with a `slug`
    field): the searchables' topic fields point to it, and the search app does not own it."""
    return apps.get_model(settings.SEARCH_TOPIC_MODEL)


def searchable_text(obj) -> str:
    """The text of an object's search fields other than its title, for snippets."""
    parts: list[str] = []
    for search_field in type(obj).get_search_fields():
        if isinstance(search_field, RelatedFields) or not isinstance(search_field, SearchField):
            continue
        if search_field.field_name == "title":
            continue
        parts.extend(_flatten(search_field.get_value(obj)))
    return "\n".join(p for p in parts if p)


def _flatten(value) -> Iterable[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [str(value)]
