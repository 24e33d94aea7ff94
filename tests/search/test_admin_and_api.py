"""Wagtail's own search surfaces (the admin and the API) go through this backend."""

from unittest import mock

import pytest

from search.backends.whoosh import WhooshSearchResults
from tests.factories import StandardPageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def whoosh_searches():
    """Records every search answered by the Whoosh backend's results class."""
    calls = []
    original = WhooshSearchResults._do_search

    def spy(results):
        calls.append(results.query_compiler.queryset.model)
        return original(results)

    with mock.patch.object(WhooshSearchResults, "_do_search", spy):
        yield calls


@pytest.fixture
def risk_page(home_page):
    page = StandardPageFactory(
        parent=home_page, title="パブリッククラウドの利用に関するリスク", slug="risk"
    )
    page.save_revision().publish()
    return page


def test_admin_page_search_uses_the_whoosh_backend(client, risk_page, whoosh_searches):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/pages/search/", {"q": "リスク"})
    assert response.status_code == 200
    assert whoosh_searches
    assert "パブリッククラウドの利用に関するリスク" in response.content.decode()


def test_api_search_uses_the_whoosh_backend(client, risk_page, whoosh_searches):
    response = client.get("/api/v2/pages/", {"search": "リスク"})
    assert response.status_code == 200
    assert whoosh_searches
    assert [item["title"] for item in response.json()["items"]] == [
        "パブリッククラウドの利用に関するリスク"
    ]
