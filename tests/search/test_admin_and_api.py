"""Wagtail's own search surfaces (the admin and the API) go through the project's backend."""

from unittest import mock

import pytest
from wagtail.search.backends import get_search_backend

from search.backends.tantivy import TantivySearchBackend
from tests.factories import StandardPageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_searches():
    """Records every search answered by the configured backend's results class (Tantivy)."""
    backend = get_search_backend()
    assert isinstance(backend, TantivySearchBackend)
    results_class = backend.results_class
    calls = []
    original = results_class._do_search

    def spy(results):
        calls.append(results.query_compiler.queryset.model)
        return original(results)

    with mock.patch.object(results_class, "_do_search", spy):
        yield calls


@pytest.fixture
def risk_page(home_page):
    page = StandardPageFactory(
        parent=home_page, title="パブリッククラウドの利用に関するリスク", slug="risk"
    )
    page.save_revision().publish()
    return page


def test_admin_page_search_uses_the_project_backend(client, risk_page, project_searches):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/pages/search/", {"q": "リスク"})
    assert response.status_code == 200
    assert project_searches
    assert "パブリッククラウドの利用に関するリスク" in response.content.decode()


def test_api_search_uses_the_project_backend(client, risk_page, project_searches):
    response = client.get("/api/v2/pages/", {"search": "リスク"})
    assert response.status_code == 200
    assert project_searches
    assert [item["title"] for item in response.json()["items"]] == [
        "パブリッククラウドの利用に関するリスク"
    ]
