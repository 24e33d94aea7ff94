"""Small things a new user trips over (issue 18, item 10): each shown on the page it was on."""

import pytest
from bs4 import BeautifulSoup
from django.utils import translation

from tests.factories import StandardPageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    yield
    translation.activate("ja")


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_the_home_page_title_names_the_site_once(client, home_page):
    assert soup(client.get("/")).title.get_text() == "自治体CIOアカデミー"
    assert soup(client.get("/en/")).title.get_text() == "Municipal CIO Academy"
    StandardPageFactory(parent=home_page, title="このサイトについて", slug="about")
    title = soup(client.get("/about/")).title.get_text()
    assert title == "このサイトについて | 自治体CIOアカデミー"


def test_the_snippets_index_lists_every_snippet_type_for_the_superuser(client, home_page):
    client.force_login(UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True))
    page = soup(client.get("/admin/snippets/")).get_text(" ")
    assert "問題バンク" in page and "確認テスト" in page


def test_the_site_history_calls_a_qa_question_a_question(client, home_page):
    from curriculum.models import QuizItem
    from knowledge.models import Question

    with translation.override("ja"):
        assert str(Question._meta.verbose_name) == "質問"
        assert str(QuizItem._meta.verbose_name) == "問題"


def test_a_facet_count_is_pluralised(client, case_index, case_index_en, make_case, topics):
    make_case(topics=[topics["rpa"]])
    page = soup(client.get(case_index_en.url))
    counts = [c.get_text() for c in page.select(".case-facet__count")]
    assert "(1 case)" in counts and "(1 cases)" not in counts
