"""Bulk loads (demo content, imports) write hundreds of objects: indexing each save commits the
index hundreds of times, and every small commit merges the small segments again. Inside
``index_updates_deferred`` saves skip the index; the caller rebuilds it once afterwards."""

from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command


@contextmanager
def index_updates_deferred(stdout=None):
    original = settings.WAGTAILSEARCH_BACKENDS
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False} for name, conf in original.items()
    }
    try:
        yield
    finally:
        settings.WAGTAILSEARCH_BACKENDS = original
    call_command("update_index", stdout=stdout, verbosity=0)
