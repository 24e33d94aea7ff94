from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok(client):
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
