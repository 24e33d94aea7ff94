"""Forms that create something are sent once, however often they are sent.

A double click, a second tap on a slow LGWAN connection or a browser retrying a POST used to
create the same answer twice (and on SQLite the same flag). Each create form carries a one-time
key (`{% submission_key %}`, a random UUID in a hidden field). The view claims the key in the
same transaction as the object it creates, with a unique constraint per member and key:

- the first request claims it, creates, and records where it led (the new object's page);
- a repeat arriving later finds the key used and is sent to the same page, creating nothing;
- a repeat arriving at the same moment waits for the first transaction (PostgreSQL's unique
  index, SQLite's write lock taken when the transaction begins), finds the key taken and does
  the same. If the first request fails (a refused form, a rate limit), its transaction rolls the
  claim back and the form can be sent again.

Forms without a key (scripts, old pages) behave as before. Keys older than a day are deleted
as new ones are claimed.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import SubmissionKey

FIELD = "submission_key"
KEEP = timedelta(days=1)


def new_key() -> str:
    return uuid.uuid4().hex


def key_of(request) -> uuid.UUID | None:
    raw = request.POST.get(FIELD, "")
    try:
        return uuid.UUID(raw) if raw else None
    except (ValueError, AttributeError):
        return None


class AlreadySubmitted(Exception):
    """The form was sent before: `url` is where the first submission led."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def _model():
    return SubmissionKey


@contextmanager
def once(request):
    """Claims the request's key for the block (which must create the object); the block calls
    `done(url)` with where the new object is. Raises AlreadySubmitted for a repeat."""
    key = key_of(request)
    recorded = {}

    def done(url: str) -> None:
        recorded["url"] = url

    if key is None or not request.user.is_authenticated:
        yield done
        return
    model = _model()
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = model.objects.create(user=request.user, key=key)
        except IntegrityError:
            claim = None
        if claim is None:
            url = (
                model.objects.filter(user=request.user, key=key)
                .values_list("result_url", flat=True)
                .first()
            )
            raise AlreadySubmitted(url or "/")
        yield done
        if "url" in recorded:
            model.objects.filter(pk=claim.pk).update(result_url=recorded["url"][:500])
        else:  # nothing was created: the form may be sent again
            claim.delete()
    model.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
