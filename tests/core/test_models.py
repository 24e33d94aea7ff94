import pytest
from bs4 import BeautifulSoup
from wagtail.test.utils import WagtailPageTestCase

from core.models import HomePage, StandardPage
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_home_renders_in_japanese_at_the_root(client, home_page):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "ja"
    assert page.h1.get_text() == "自治体CIOアカデミー"
    assert page.find("a", class_="skip-link")["href"] == "#main"
    assert page.find("main", id="main") is not None
    assert page.find("a", string="ピア名簿") is not None
    assert page.find("a", string="新規登録") is not None


def test_home_renders_in_english_under_en(client, home_page):
    response = client.get("/en/")
    assert response.status_code == 200
    page = soup(response)
    assert page.html["lang"] == "en"
    assert page.h1.get_text() == "Municipal CIO Academy"
    assert page.find("a", string="Peer directory")["href"] == "/en/people/"
    assert page.find("a", string="Sign up")["href"] == "/en/accounts/signup/"


def test_language_switcher_keeps_the_current_page(client, home_page):
    switcher = soup(client.get("/")).find("nav", class_="language-switcher")
    assert switcher.find("a", hreflang="en")["href"] == "/en/"
    assert switcher.find(attrs={"aria-current": "true"}).get_text() == "日本語"

    switcher = soup(client.get("/en/people/")).find("nav", class_="language-switcher")
    assert switcher.find("a", hreflang="ja")["href"] == "/people/"

    switcher = soup(client.get("/accounts/signup/?next=/people/")).find(
        "nav", class_="language-switcher"
    )
    assert switcher.find("a", hreflang="en")["href"] == "/en/accounts/signup/?next=/people/"


def test_home_lists_topics_with_labels_in_the_active_language(client, home_page):
    TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")
    TopicFactory(slug="tax", name_ja="税", name_en="Local taxes")
    assert "税" in soup(client.get("/")).find("section", class_="topics").get_text()
    assert "Local taxes" in soup(client.get("/en/")).find("section", class_="topics").get_text()


def test_home_query_count_does_not_grow_with_topics(
    client, home_page, django_assert_num_queries, django_assert_max_num_queries
):
    TopicFactory()
    client.get("/")  # warm the site-root cache
    with django_assert_max_num_queries(12) as few:
        client.get("/")
    for _ in range(20):
        TopicFactory()
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/")


class HomePageRulesTests(WagtailPageTestCase):
    def test_home_page_sits_at_the_root_only(self):
        self.assertAllowedParentPageTypes(HomePage, {__import__("wagtail").models.Page})
        from casestudies.models import CaseStudyIndexPage
        from curriculum.models import CourseCatalogPage

        self.assertAllowedSubpageTypes(
            HomePage, {StandardPage, CourseCatalogPage, CaseStudyIndexPage}
        )

    def test_standard_pages_nest_under_home_and_each_other(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage})
        self.assertAllowedSubpageTypes(StandardPage, {StandardPage})
