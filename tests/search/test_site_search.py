"""GET /search/: every content type, facets, highlighted snippets, JSON, and no 500 on any input.

The contract of the site search, run against every backend the project supports: the embedded
Tantivy (the default) and Whoosh always; an OpenSearch or Elasticsearch cluster when one is
reachable at SEARCH_TEST_OPENSEARCH_URL / SEARCH_TEST_ELASTICSEARCH_URL (skipped with the reason
otherwise). A feature the cluster path lacks is skipped there with the reason the README gives."""

import os

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import StandardPage
from search.models import SynonymGroup
from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db

CLUSTERS = {
    "opensearch": ("modelsearch.backends.opensearch2", "opensearchpy"),
    "elasticsearch": ("modelsearch.backends.elasticsearch8", "elasticsearch"),
}
EMBEDDED = {"tantivy": "search.backends.tantivy", "whoosh": "search.backends.whoosh"}


@pytest.fixture(autouse=True, params=[*EMBEDDED, *CLUSTERS])
def site_backend(request, settings, search_index):
    name = request.param
    if name in EMBEDDED:
        conf = {"BACKEND": EMBEDDED[name], "PATH": str(search_index)}
    else:
        module, client = CLUSTERS[name]
        url = os.environ.get(f"SEARCH_TEST_{name.upper()}_URL")
        if not url:
            pytest.skip(f"no {name} cluster to test (set SEARCH_TEST_{name.upper()}_URL)")
        pytest.importorskip(client, reason=f"the {client} client is not installed")
        from search.settings import JAPANESE_INDEX_SETTINGS

        conf = {
            "BACKEND": module,
            "URLS": [url],
            "INDEX_PREFIX": f"test-{os.getpid()}-",
            "INDEX_SETTINGS": JAPANESE_INDEX_SETTINGS,
        }
    settings.WAGTAILSEARCH_BACKENDS = {"default": conf}
    return name


def lacks_on_cluster(site_backend, feature):
    """Skips where the cluster path lacks what the README says it lacks."""
    if site_backend in CLUSTERS:
        pytest.skip(f"{site_backend} lacks {feature} (README, Search)")


@pytest.fixture
def pages(home_page):
    made = [
        StandardPageFactory(
            parent=home_page,
            title="パブリッククラウドの利用に関するリスク",
            slug="cloud-risk",
            intro="<p>個人情報をクラウドに置くときは、所在地と準拠法を契約で確かめます。</p>",
        ),
        StandardPageFactory(
            parent=home_page,
            title="RPA導入の手引き",
            slug="rpa",
            intro="<p>住民税の申告書処理を自動化し、年間400時間を削減しました。</p>",
        ),
        StandardPageFactory(
            parent=home_page,
            title="提案依頼書の書き方",
            slug="rfp",
            intro="<p>ベンダーロックインを避ける仕様の書き方。</p>",
        ),
    ]
    for page in made:
        page.save_revision().publish()
    return made


def get_json(client, **params):
    response = client.get("/search/", {**params, "format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_json_has_exactly_the_documented_shape(client, pages):
    data = get_json(client, q="クラウド")
    assert set(data) == {"query", "total", "results", "facets"}
    assert data["query"] == "クラウド"
    assert data["total"] == 1
    assert data["results"] == [
        {
            "type": "page",
            "title": "パブリッククラウドの利用に関するリスク",
            "url": "/cloud-risk/",
            "snippet": data["results"][0]["snippet"],
        }
    ]
    assert "<mark>クラウド</mark>" in data["results"][0]["snippet"]
    assert {"value": "page", "label": "ページ", "count": 1} in data["facets"]["type"]


@pytest.mark.parametrize(
    ("query", "expected_slug"),
    [
        ("ｸﾗｳﾄﾞ", "cloud-risk"),
        ("くらうど", "cloud-risk"),
        ("リスク", "cloud-risk"),
        ("rpa", "rpa"),
        ("ＲＰＡ", "rpa"),
        ("ロックイン", "rfp"),
        ("ベンダロックイン", "rfp"),
        ("住民税 自動化", "rpa"),
        ('"所在地と準拠法"', "cloud-risk"),
    ],
)
def test_japanese_variants_find_the_page(client, pages, query, expected_slug, site_backend):
    if query in {"くらうど", "ベンダロックイン"}:
        lacks_on_cluster(site_backend, "hiragana and long-vowel folding")
    urls = [r["url"] for r in get_json(client, q=query)["results"]]
    assert urls and urls[0] == f"/{expected_slug}/"


def test_synonyms_edited_by_admins_apply_at_once(client, pages):
    assert get_json(client, q="RFP")["total"] == 0
    SynonymGroup.objects.create(terms="RFP\n提案依頼書")
    results = get_json(client, q="RFP")["results"]
    assert [r["url"] for r in results] == ["/rfp/"]


def test_html_page_shows_highlighted_results_facets_and_the_query(client, pages):
    response = client.get("/search/", {"q": "住民税"})
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find("input", id="id_q")["value"] == "住民税"
    result = page.select_one("ol.results li.result")
    assert result.select_one(".result__title a")["href"] == "/rpa/"
    assert result.select_one(".result__snippet mark").get_text() == "住民税"
    facet = page.select_one(".search-facets")
    assert "ページ (1)" in facet.get_text()


def test_english_search_is_under_en_and_shows_english_pages(client, pages, home_page):
    response = client.get("/en/search/", {"q": "officials"})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.html["lang"] == "en"
    assert page.select_one("ol.results .result__title a")["href"] == "/en/"


def test_or_fallback_when_no_result_has_every_word(client, pages):
    response = client.get("/search/", {"q": "住民税 存在しない語句"})
    html = response.content.decode()
    assert "いずれかの言葉を含む結果" in html
    assert "/rpa/" in html


def test_zero_results_give_help_and_a_spelling_suggestion(client, pages, site_backend):
    lacks_on_cluster(site_backend, "spelling suggestions")
    response = client.get("/search/", {"q": "クラウト"})
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one(".no-results li") is not None
    suggestion = page.select_one(".suggestion a")
    assert suggestion.get_text() == "クラウド"


def test_type_facet_filters_and_unknown_types_are_ignored(client, pages):
    assert get_json(client, q="クラウド", type="page")["total"] == 1
    assert get_json(client, q="クラウド", type="no-such-type")["total"] == 1


def test_pagination(client, home_page):
    for i in range(13):
        StandardPageFactory(parent=home_page, title=f"電子申請の事例{i}", slug=f"e{i}")
    first = get_json(client, q="電子申請")
    second = get_json(client, q="電子申請", page=2)
    assert first["total"] == 13
    assert len(first["results"]) == 10
    assert len(second["results"]) == 3
    assert not {r["url"] for r in first["results"]} & {r["url"] for r in second["results"]}
    assert get_json(client, q="電子申請", page="abc")["results"] == first["results"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"unbalanced',
        'クラウド "',
        "AND",
        "OR OR",
        "-",
        "- -",
        "-クラウド",
        "*",
        "((クラウド",
        "クラウド)))",
        "a" * 10_000,
        "クラウド" * 3_000,
        "\x00\x01\x02クラウド\x7f",
        "\u200b\u200e\ufeff",
        "<script>alert(1)</script>",
        "%00",
        "title:クラウド",
        "クラウド~2^3",
    ],
)
def test_malformed_input_never_fails(client, pages, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert get_json(client, q=query)["total"] >= 0


def test_invalid_utf8_in_the_query_string(client, pages):
    for raw in ["q=%ED%A0%80", "q=%FF%FE", "q=%E3%82", "q=%C0%AF&format=json"]:
        assert client.get(f"/search/?{raw}").status_code == 200


def test_a_long_query_is_cut_with_a_message(client, pages):
    response = client.get("/search/", {"q": "クラウド " + "あ" * 500})
    assert "先頭の 200 文字" in response.content.decode()


def test_empty_search_asks_for_words(client, pages):
    assert (
        "検索する言葉を入力してください" in client.get("/search/", {"q": "  -  "}).content.decode()
    )
    assert get_json(client, q="") == {
        "query": "",
        "total": 0,
        "results": [],
        "facets": get_json(client, q="")["facets"],
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=80), page=st.one_of(st.none(), st.text(max_size=5)))
def test_any_text_gives_a_page(client, pages, query, page):
    params = {"q": query, "format": "json"}
    if page is not None:
        params["page"] = page
    assert client.get("/search/", params).status_code == 200


def test_unpublished_pages_are_not_found(client, pages):
    pages[0].unpublish()
    assert get_json(client, q="クラウド")["total"] == 0


def test_query_count_does_not_grow_with_results(
    client, home_page, django_assert_num_queries, django_assert_max_num_queries
):
    StandardPageFactory(parent=home_page, title="標準化の進め方", slug="s0")
    client.get("/search/", {"q": "標準化"})  # warm the per-process caches (site, locales)
    with django_assert_max_num_queries(12) as few:
        client.get("/search/", {"q": "標準化"})
    for i in range(1, 9):
        StandardPageFactory(parent=home_page, title=f"標準化の進め方{i}", slug=f"s{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/search/", {"q": "標準化"})
    assert StandardPage.objects.count() == 9
