"""Index writes that survive a crash: each change to an indexed object is queued as a row of
``PendingIndexWrite`` in the transaction that makes the change, and taken to the index after.

With the immediate task backend (development) the queue is drained at once, in the same
transaction, as index writes always were there; with the database backend (production) the row
is committed with the change and a task drains the queue once the transaction is in. A drain
takes every pending row, so rows a crashed process left behind go with the next change, with
the worker's next task, or with ``manage.py search_check --repair``. A row whose write fails
stays with its error and is tried again by the next drain.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django_tasks import task, task_backends
from django_tasks.backends.immediate import ImmediateBackend

from search import tasks
from search.models import PendingIndexWrite

logger = logging.getLogger(__name__)

BATCH = 500
MAX_ATTEMPTS = 20  # a row still failing after this many drains is left for search_check


def queue_index(obj) -> None:
    _queue(obj._meta.label, obj.pk, "index")


def queue_delete(model_label: str, pk) -> None:
    _queue(model_label, pk, "delete")


def _queue(model_label: str, pk, action: str) -> None:
    PendingIndexWrite.objects.create(model=model_label, object_pk=str(pk), action=action)
    if _runs_at_once():
        drain()
    else:
        transaction.on_commit(lambda: drain_task.enqueue(), robust=True)


def _runs_at_once() -> bool:
    return isinstance(task_backends["default"], ImmediateBackend)


@task()
def drain_task():
    drain()


def drain(limit: int | None = None) -> int:
    """Takes pending rows to the index, oldest first; returns how many went."""
    done = 0
    while limit is None or done < limit:
        rows = list(
            PendingIndexWrite.objects.filter(attempts__lt=MAX_ATTEMPTS).order_by("pk")[:BATCH]
        )
        if not rows:
            break
        applied = _apply(rows)
        PendingIndexWrite.objects.filter(pk__in=applied).delete()
        done += len(applied)
        if len(applied) < len(rows):  # the rest failed: tried again by the next drain
            break
    return done


def _apply(rows) -> list[int]:
    """Writes the rows' changes, model by model; returns the rows that went."""
    applied = []
    latest = {}
    for row in rows:  # the last action on an object is the one that counts
        latest[(row.model, row.object_pk)] = row
    groups: dict[tuple[str, str], list] = {}
    for (model, _pk), row in latest.items():
        groups.setdefault((model, row.action), []).append(row)
    for (model_label, action), group in groups.items():
        pks = [row.object_pk for row in group]
        try:
            if action == "index":
                tasks.write_to_index(model_label, pks)
            else:
                tasks.delete_from_index(model_label, pks)
        except Exception as error:  # kept, with its error, for the next drain
            logger.exception("Index write of %s %s failed", model_label, pks)
            PendingIndexWrite.objects.filter(pk__in=[r.pk for r in group]).update(
                attempts=F("attempts") + 1, last_error=str(error)[:2000]
            )
            continue
        keys = {(model_label, pk) for pk in pks}
        applied += [r.pk for r in rows if (r.model, r.object_pk) in keys]
    return applied
