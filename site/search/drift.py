"""How far the embedded index has drifted from the database: documents it lacks (a write that
never arrived), documents it has that the database does not (a delete that never arrived, a
write rolled back after the index took it), and changes still queued (search/outbox.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from modelsearch.backends.base import get_model_root
from modelsearch.index import get_indexed_models

from search.models import PendingIndexWrite
from search.outbox import drain
from search.tasks import delete_from_index, embedded_backends, write_to_index


@dataclass
class Drift:
    backend: str
    documents: int = 0
    expected: int = 0
    missing: dict[str, list[str]] = field(default_factory=dict)  # model label → pks
    stale: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.stale


def expected_documents() -> dict[str, str]:
    """document id → the label of the model that indexes it, for every indexed object."""
    expected = {}
    for model in get_indexed_models():
        root = get_model_root(model)._meta.label_lower
        pks = model.get_indexed_objects().prefetch_related(None).values_list("pk", flat=True)
        for pk in pks.iterator(chunk_size=10_000):
            expected.setdefault(f"{root}:{pk}", model._meta.label)
    return expected


def find_drift() -> list[Drift]:
    expected = expected_documents()
    found = []
    for backend in embedded_backends():
        actual = set(backend.document_ids())
        drift = Drift(type(backend).__name__, documents=len(actual), expected=len(expected))
        for document_id, model_label in expected.items():
            if document_id not in actual:
                drift.missing.setdefault(model_label, []).append(document_id.split(":", 1)[1])
        for document_id in actual - expected.keys():
            root_label, pk = document_id.split(":", 1)
            label = apps.get_model(root_label)._meta.label
            drift.stale.setdefault(label, []).append(pk)
        found.append(drift)
    return found


def repair(drifts: list[Drift]) -> None:
    for drift in drifts:
        for model_label, pks in drift.missing.items():
            write_to_index(model_label, pks)
        for model_label, pks in drift.stale.items():
            delete_from_index(model_label, pks)


def pending_writes():
    return PendingIndexWrite.objects.order_by("pk")


__all__ = ["Drift", "drain", "find_drift", "pending_writes", "repair"]
