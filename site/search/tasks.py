"""Index writes run as django-tasks: immediately in development and tests, in the worker in
production, so that no request waits on the index."""

from django.apps import apps
from django_tasks import task
from modelsearch.backends import get_search_backends
from modelsearch.index import get_indexed_instance


def _embedded_backends(root: str):
    """The backends that keep their index on this machine's disk under ``root`` (Tantivy,
    Whoosh); a cluster backend indexes through modelsearch's own tasks."""
    return [
        backend
        for backend in get_search_backends(with_auto_update=True)
        if hasattr(backend, "write_objects") and str(getattr(backend, "root", "")) == root
    ]


@task()
def index_objects(model_label: str, pks: list[str], root: str):
    model = apps.get_model(model_label)
    objects = [
        indexed
        for obj in model._default_manager.filter(pk__in=pks)
        if (indexed := get_indexed_instance(obj)) is not None
    ]
    for backend in _embedded_backends(root):
        by_model = {}
        for obj in objects:
            by_model.setdefault(type(obj), []).append(obj)
        for indexed_model, items in by_model.items():
            backend.write_objects(indexed_model, items)


@task()
def delete_documents(document_ids: list[str], root: str):
    for backend in _embedded_backends(root):
        backend.delete_documents(document_ids)
