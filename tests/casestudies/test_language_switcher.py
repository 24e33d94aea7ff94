"""The language switcher never leads to a 404: a page's translation where there is one (keeping a
routable page's sub-path and query), otherwise the nearest page above it in the other language,
with a note saying so."""

import pytest
from bs4 import BeautifulSoup
from django.utils import translation

from core.translation import ensure_translation
from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    yield
    translation.activate("ja")


def switcher(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.content, "html.parser").find("nav", class_="language-switcher")


def test_a_translated_page_links_to_its_translation(client, home_page, locales):
    about = StandardPageFactory(parent=home_page, title="概要", slug="about")
    ensure_translation(about, locales[1], {"title": "About", "slug": "about"})
    nav = switcher(client, "/about/")
    assert nav.find("a", hreflang="en")["href"] == "/en/about/"
    assert nav.find(class_="language-switcher__note") is None


def test_a_page_without_translation_links_to_the_nearest_translated_page(
    client, home_page, locales
):
    section = StandardPageFactory(parent=home_page, title="お知らせ", slug="news")
    ensure_translation(section, locales[1], {"title": "News", "slug": "news"})
    notice = StandardPageFactory(parent=section, title="システム停止のお知らせ", slug="outage")

    nav = switcher(client, notice.url)
    link = nav.find("a", hreflang="en")
    assert link["href"] == "/en/news/"
    assert client.get(link["href"]).status_code == 200
    note = nav.find(id=link["aria-describedby"])
    assert note.get_text() == "（このページには英語版がありません。リンク先は「News」です）"


def test_an_untranslated_page_under_the_home_page_links_to_the_home_page(
    client, home_page, locales
):
    lonely = StandardPageFactory(parent=home_page, title="職員向け案内", slug="staff")
    link = switcher(client, lonely.url).find("a", hreflang="en")
    assert link["href"] == "/en/"


def test_an_english_only_page_links_to_the_japanese_home_page(client, home_page, locales):
    english_home = home_page.get_translation(locales[1])
    page = StandardPageFactory(parent=english_home, title="For visitors", slug="visitors")
    nav = switcher(client, page.url)
    assert page.url == "/en/visitors/"
    assert nav.find("a", hreflang="ja")["href"] == "/"
    assert "no Japanese version" in nav.get_text()


def test_a_case_page_links_to_the_english_case_library(client, case_index_en, make_case):
    case = make_case(title="窓口のキャッシュレス化")
    nav = switcher(client, case.url)
    link = nav.find("a", hreflang="en")
    assert link["href"] == "/en/case-studies/"
    assert client.get(link["href"]).status_code == 200


def test_a_routable_page_keeps_its_sub_path_and_query(client, case_index_en, make_case):
    one, two = make_case(), make_case()
    path = f"/case-studies/compare/?ids={one.pk}&ids={two.pk}"
    link = switcher(client, path).find("a", hreflang="en")
    assert link["href"] == f"/en/case-studies/compare/?ids={one.pk}&ids={two.pk}"
    assert client.get(link["href"]).status_code == 200
