from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok(client):
    call_command("update_index", stdout=StringIO())  # as make run and a deploy do
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "search": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_a_broken_database_with_503(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("no database")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_healthz_reports_a_broken_search_backend(client):
    with mock.patch("core.views.get_search_backend", side_effect=RuntimeError("index gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "search": "error"}


def test_healthz_reports_a_database_without_the_sites_tables(client):
    """SQLite opens a missing database file as a new, empty one: it answers SELECT 1 while
    every page fails."""
    with mock.patch(
        "django.db.migrations.recorder.MigrationRecorder.has_table", return_value=False
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_healthz_reports_an_empty_index_while_there_is_content(client, settings, tmp_path):
    from tests.factories import TopicFactory

    call_command("update_index", stdout=StringIO())
    TopicFactory(name_ja="住民税")
    assert client.get("/healthz").json()["search"] == "ok"
    # The index folder deleted (a redeploy without it): searches would quietly find nothing.
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.tantivy", "PATH": str(tmp_path / "gone")}
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "search": "error"}
    from wagtail.search.backends import get_search_backend

    get_search_backend().reset()  # an empty index made in its place does not pass either
    assert client.get("/healthz").status_code == 503
