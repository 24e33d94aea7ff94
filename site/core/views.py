import logging

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

logger = logging.getLogger(__name__)


def check_database() -> None:
    """Answers, and holds the site's tables: SQLite opens a missing database file as a new,
    empty one, where every page fails."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    if not MigrationRecorder(connection).has_table():
        raise RuntimeError("the database has no tables: wrong file or not migrated")


def check_search() -> None:
    backend = get_search_backend()
    if hasattr(backend, "check_health"):
        backend.check_health()
    else:
        list(backend.search("healthz", Page)[:1])


CHECKS = {"database": check_database, "search": check_search}


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness for load balancers: 200 when every part answers, else 503."""
    report, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            report[name] = "error"
            healthy = False
        else:
            report[name] = "ok"
    return JsonResponse(report, status=200 if healthy else 503)
