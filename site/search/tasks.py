"""What reaches the embedded indexes (Tantivy, Whoosh): the objects search/outbox.py takes to
them, as django-tasks (at once in development and tests, in the worker in production)."""

from django.apps import apps
from modelsearch.backends import get_search_backends
from modelsearch.backends.base import get_model_root
from modelsearch.index import get_indexed_instance


def embedded_backends():
    """The backends that keep their index on this machine's disk (they queue their writes)."""
    return [
        backend
        for backend in get_search_backends(with_auto_update=True)
        if hasattr(backend, "write_objects")
    ]


def other_backends():
    """A cluster or the database backend: written at once, as modelsearch writes them."""
    return [
        backend
        for backend in get_search_backends(with_auto_update=True)
        if not hasattr(backend, "write_objects")
    ]


def write_to_index(model_label: str, pks: list[str]) -> None:
    model = apps.get_model(model_label)
    objects = [
        indexed
        for obj in model._default_manager.filter(pk__in=pks)
        if (indexed := get_indexed_instance(obj)) is not None
    ]
    by_model = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj)
    for backend in embedded_backends():
        for indexed_model, items in by_model.items():
            backend.write_objects(indexed_model, items)
    for backend in other_backends():
        for indexed_model, items in by_model.items():
            backend.add_bulk(indexed_model, items)
    # An object gone (deleted, or no longer indexed) since it was queued leaves the index.
    found = {str(obj.pk) for obj in objects}
    gone = [pk for pk in pks if pk not in found]
    if gone:
        delete_from_index(model_label, gone)


def delete_from_index(model_label: str, pks: list[str]) -> None:
    root = get_model_root(apps.get_model(model_label))
    document_ids = [f"{root._meta.label_lower}:{pk}" for pk in pks]
    for backend in embedded_backends():
        backend.delete_documents(document_ids)
