"""The case library's listing: disjunctive facet counts that agree with the results, sorting,
shareable GET URLs that work without JavaScript, pagination, bad input ignored, and a number of
queries that does not grow with the number of cases."""

from datetime import datetime
from itertools import product

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casestudies import listing as listing_module
from casestudies.listing import FACET_NAMES, listing_context
from casestudies.models import Metric, PopulationBand
from people.models import Municipality
from tests.casestudies.conftest import day, hours
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

SINGLE_VALUED = {"prefecture", "kind", "band", "year", "status"}


@pytest.fixture
def places(tokyo, osaka):
    return {
        "tokyo_city": MunicipalityFactory(prefecture=tokyo, name="東京テスト市"),
        "tokyo_ward": MunicipalityFactory(
            prefecture=tokyo, name="テスト区", kind=Municipality.Kind.SPECIAL_WARD
        ),
        "osaka_town": MunicipalityFactory(
            prefecture=osaka, name="大阪テスト町", kind=Municipality.Kind.TOWN
        ),
        "osaka_city": MunicipalityFactory(prefecture=osaka, name="大阪テスト市"),
    }


@pytest.fixture
def library(make_case, places, topics):
    t = topics
    return {
        "a": make_case(
            title="RPAで申告事務を自動化",
            municipality=places["tokyo_city"],
            population=80_000,
            topics=[t["rpa"]],
            technologies="RPA, AI-OCR",
            started=day(2020),
            metrics=[hours(389.9), {"kind": Metric.Kind.ACCURACY, "name": "正読率", "value": 98.4}],
        ),
        "b": make_case(
            title="AI-OCRで帳票入力",
            municipality=places["tokyo_ward"],
            population=250_000,
            topics=[t["rpa"], t["ai-ocr"]],
            technologies="AI-OCR、LGWAN-ASP",
            started=day(2021),
            figure_status="estimate",
            metrics=[hours(120)],
        ),
        "c": make_case(
            title="チャットボットで問合せ対応",
            municipality=places["osaka_town"],
            population=9_000,
            topics=[t["chatbot"]],
            technologies="ChatGPT",
            started=day(2023),
            figure_status="illustrative",
            metrics=[{"kind": Metric.Kind.PERCENT_REDUCTION, "name": "問合せ", "value": 80}],
        ),
        "d": make_case(
            title="全庁RPA",
            municipality=places["osaka_city"],
            population=60_000,
            topics=[t["rpa"]],
            technologies="rpa",
            started=day(2021),
            metrics=[hours(1400), hours(200, name="窓口")],
        ),
        "e": make_case(
            title="AI-OCR実証",
            municipality=places["osaka_city"],
            topics=[t["ai-ocr"]],
            figure_status="estimate",
            metrics=[hours(50)],
        ),
        "f": make_case(
            title="生成AIとRPA",
            municipality=places["tokyo_city"],
            population=95_000,
            topics=[t["chatbot"], t["rpa"]],
            technologies="RPA",
            started=day(2023),
        ),
        "draft": make_case(title="下書きの事例", municipality=places["tokyo_city"], live=False),
    }


def context(index, **params):
    request = RequestFactory().get("/", params)
    return listing_context(index, request)


def titles(ctx):
    return {case.title for case in ctx["cases"]}


def facet(ctx, name):
    return next(f for f in ctx["facets"] if f.name == name)


def counts(ctx, name):
    return {o.value: o.count for o in facet(ctx, name).options}


def test_lists_live_cases_only(case_index, library):
    ctx = context(case_index)
    assert ctx["result_count"] == 6
    assert "下書きの事例" not in titles(ctx)


def test_facet_counts(case_index, library):
    ctx = context(case_index)
    assert counts(ctx, "prefecture") == {"13": 3, "27": 3}
    assert counts(ctx, "kind") == {"city": 4, "town": 1, "special_ward": 1}
    assert counts(ctx, "band") == {"lt10k": 1, "50k-100k": 3, "100k-300k": 1}
    assert counts(ctx, "topic") == {"rpa": 4, "ai-ocr": 2, "chatbot": 2}
    # Technologies are split on "," and "、" and matched whatever their case.
    assert counts(ctx, "technology") == {"RPA": 3, "AI-OCR": 2, "ChatGPT": 1, "LGWAN-ASP": 1}
    assert counts(ctx, "year") == {"2023": 2, "2021": 2, "2020": 1}
    assert counts(ctx, "status") == {"published": 3, "estimate": 2, "illustrative": 1}
    labels = {o.value: o.label for o in facet(ctx, "prefecture").options}
    assert labels == {"13": "東京都", "27": "大阪府"}


COMBINATIONS = [
    {},
    {"prefecture": ["13"]},
    {"prefecture": ["13", "27"], "kind": ["city"]},
    {"topic": ["rpa"]},
    {"topic": ["rpa", "chatbot"], "band": ["50k-100k"]},
    {"technology": ["rpa"], "status": ["published"]},
    {"year": ["2021", "2023"], "prefecture": ["27"]},
    {"status": ["estimate", "illustrative"], "topic": ["ai-ocr"]},
    {"kind": ["town", "special_ward"], "technology": ["AI-OCR", "ChatGPT"]},
]


@pytest.mark.parametrize("filters", COMBINATIONS)
def test_each_count_is_the_number_of_results_that_value_gives(case_index, library, filters):
    ctx = context(case_index, **filters)
    for name in FACET_NAMES:
        for option in facet(ctx, name).options:
            # Disjunctive: a value's count is what this facet limited to that value gives, the
            # other filters staying as they are...
            only = context(case_index, **{**filters, name: [option.value]})
            assert only["result_count"] == option.count, (name, option.value)
            # ...and, one value per case, ticking it too adds that many results.
            chosen = filters.get(name, [])
            if name in SINGLE_VALUED and option.value not in chosen:
                widened = context(case_index, **{**filters, name: [*chosen, option.value]})
                assert widened["result_count"] == ctx["result_count"] * bool(chosen) + option.count
        if filters.get(name) and name in SINGLE_VALUED:
            # One value per case: the results are the sum of the chosen values' counts.
            assert facet(ctx, name).selected_count == ctx["result_count"], name


@pytest.mark.parametrize(
    ("facet_name", "values"),
    [("prefecture", ["13", "27"]), ("status", ["published", "estimate"]), ("topic", ["rpa"])],
)
def test_values_within_a_facet_are_ored(case_index, library, facet_name, values):
    together = context(case_index, **{facet_name: values})
    separately = set()
    for value in values:
        separately |= titles(context(case_index, **{facet_name: [value]}))
    assert titles(together) == separately


def test_a_selected_value_with_no_case_left_stays_listed_to_be_unticked(case_index, library):
    ctx = context(case_index, prefecture=["27"], kind=["special_ward"])
    assert ctx["result_count"] == 0
    kinds = {o.value: (o.count, o.selected) for o in facet(ctx, "kind").options}
    assert kinds["special_ward"] == (0, True)
    assert kinds["city"] == (2, False)


def test_filters_combine_across_facets(case_index, library):
    ctx = context(case_index, prefecture="13", topic="rpa", band="50k-100k")
    assert titles(ctx) == {"RPAで申告事務を自動化", "生成AIとRPA"}


def test_sort_newest_and_most_hours(case_index, library):
    newest = [c.title for c in context(case_index)["cases"]]
    assert newest == [
        "生成AIとRPA",
        "AI-OCR実証",
        "全庁RPA",
        "チャットボットで問合せ対応",
        "AI-OCRで帳票入力",
        "RPAで申告事務を自動化",
    ]
    by_hours = [c.title for c in context(case_index, sort="hours")["cases"]]
    assert by_hours[:4] == ["全庁RPA", "RPAで申告事務を自動化", "AI-OCRで帳票入力", "AI-OCR実証"]
    # Cases without hours come last, newest first among them.
    assert by_hours[4:] == ["生成AIとRPA", "チャットボットで問合せ対応"]


def test_hours_saved_is_the_largest_hours_metric(library):
    assert library["d"].hours_saved_per_year == 1400


@pytest.mark.parametrize(
    "params",
    [
        {"prefecture": ["xx", "99", "1"], "kind": "bogus", "band": "huge"},
        {"topic": ["nope", "<script>", "a b"], "year": ["abcd", "3000", "20201"]},
        {"status": "secret", "sort": "evil", "page": "abc", "technology": "x" * 500},
        {"page": "999"},
        {"page": "-1", "year": "０２０２"},
        {"technology": "Blockchain", "ids": "1"},
    ],
)
def test_invalid_parameters_are_ignored(client, case_index, library, params):
    response = client.get(case_index.url, params)
    assert response.status_code == 200
    ctx = response.context
    assert ctx["result_count"] == 6
    assert not ctx["filters_active"]
    assert ctx["sort"] == "newest"


def test_unknown_values_are_dropped_but_good_ones_kept(case_index, library):
    ctx = context(case_index, prefecture=["99", "13"], topic=["nope", "chatbot"])
    assert titles(ctx) == {"生成AIとRPA"}
    assert "99" not in counts(ctx, "prefecture")


def test_a_plain_get_form_with_checkboxes_and_a_submit_button(client, case_index, library):
    response = client.get(case_index.url, {"prefecture": "13", "sort": "hours"})
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.select_one("form.case-facets__form")
    assert form["method"] == "get"
    assert form["action"] == case_index.url
    assert form.select_one('button[type="submit"]')
    legends = [fs.legend.get_text(strip=True) for fs in form.find_all("fieldset")]
    assert "都道府県" in legends or "Prefecture" in legends
    assert len(legends) == len(FACET_NAMES)
    for box in form.select('input[type="checkbox"]'):
        label = form.select_one(f'label[for="{box["id"]}"]')
        assert label and label.get_text(strip=True)
    checked = form.select('input[type="checkbox"][checked]')
    assert [(c["name"], c["value"]) for c in checked] == [("prefecture", "13")]
    assert form.select_one('select[name="sort"] option[selected]')["value"] == "hours"
    assert soup.find("script", src=lambda s: s and "casestudies" in s) is None


def test_cards_show_what_a_reader_compares(client, case_index, library):
    response = client.get(case_index.url, {"topic": "rpa", "prefecture": "13", "band": "50k-100k"})
    soup = BeautifulSoup(response.content, "html.parser")
    cards = soup.select(".case-card")
    card = next(c for c in cards if "RPAで申告事務を自動化" in c.get_text())
    text = card.get_text(" ", strip=True)
    assert "東京テスト市" in text and "東京都" in text
    assert str(PopulationBand.UNDER_100K.label) in text  # 5万〜10万人 in Japanese
    assert "389.9 時間" in text
    assert card.select_one(".status-badge--published")
    assert [t.get_text() for t in card.select(".tag")] == ["RPA"]
    box = card.select_one('input[type="checkbox"][name="ids"]')
    assert box["value"] == str(library["a"].pk)
    compare = box.find_parent("form")
    assert compare["method"] == "get"
    assert compare["action"] == f"{case_index.url}compare/"


def test_atom_feed_is_advertised(client, case_index, library):
    soup = BeautifulSoup(client.get(case_index.url).content, "html.parser")
    link = soup.select_one('head link[rel="alternate"][type="application/atom+xml"]')
    assert link["href"] == f"{case_index.url}feed/"


def test_pagination_keeps_the_filters(client, case_index, make_case, tokyo, monkeypatch):
    monkeypatch.setattr(listing_module, "PER_PAGE", 4)
    city = MunicipalityFactory(prefecture=tokyo)
    for n in range(6):
        make_case(title=f"事例P{n}", municipality=city, population=20_000)
    make_case(title="他の事例", population=500_000)
    first = client.get(case_index.url, {"band": "10k-50k"})
    assert first.context["result_count"] == 6
    assert len(first.context["cases"]) == 4
    soup = BeautifulSoup(first.content, "html.parser")
    next_link = soup.select_one('.pagination a[rel="next"]')["href"]
    assert next_link == "?band=10k-50k&page=2"
    second = client.get(case_index.url + next_link)
    assert len(second.context["cases"]) == 2
    assert {c.title for c in first.context["cases"]}.isdisjoint(
        c.title for c in second.context["cases"]
    )
    assert second.context["page_obj"].number == 2


def listing_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries.captured_queries), response


def test_queries_do_not_grow_with_the_number_of_cases(client, case_index, make_case, topics):
    def add_cases(number, start):
        for n in range(start, start + number):
            municipality = MunicipalityFactory()
            make_case(
                title=f"事例Q{n}",
                municipality=municipality,
                population=10_000 * (n + 1),
                topics=[topics["rpa"], topics["chatbot"]][: 1 + n % 2],
                technologies=f"RPA, 製品{n}",
                started=day(2019 + n % 5),
                figure_status=["published", "estimate"][n % 2],
                metrics=[hours(10 * n + 1), {"kind": "other", "name": f"指標{n}", "value": n}],
            )

    busy = {"topic": "rpa", "sort": "hours", "technology": "RPA", "prefecture": "13"}
    add_cases(3, 0)
    few, few_response = listing_queries(client, case_index.url, {})
    few_busy, _r = listing_queries(client, case_index.url, busy)
    add_cases(12, 3)
    many, many_response = listing_queries(client, case_index.url, {})
    many_busy, _r = listing_queries(client, case_index.url, busy)
    assert len(few_response.context["cases"]) == 3
    assert len(many_response.context["cases"]) == 12
    assert many == few
    assert many_busy == few_busy
    assert many <= 30


def test_english_listing(client, case_index_en, library, places):
    response = client.get("/en/case-studies/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    soup = BeautifulSoup(html, "html.parser")
    legends = [fs.legend.get_text(strip=True) for fs in soup.select("fieldset")]
    assert "Prefecture" in legends and "Status of the figures" in legends
    assert "Tokyo" in soup.select_one("fieldset").get_text()
    # The cases have no English translation: the Japanese ones are listed.
    assert response.context["result_count"] == 6
    assert "Chatbots" in html


def test_english_translation_of_a_case_is_listed_once(client, case_index_en, library, locales):
    from core.translation import ensure_translation

    ensure_translation(library["f"], locales[1], {"title": "Generative AI and RPA"})
    en = client.get("/en/case-studies/").context
    assert en["result_count"] == 6
    assert "Generative AI and RPA" in titles(en)
    assert "生成AIとRPA" not in titles(en)
    ja = client.get("/case-studies/").context
    assert "生成AIとRPA" in titles(ja)
    assert ja["result_count"] == 6


def test_first_published_at_orders_newest(case_index, make_case):
    old = make_case(title="古い", published=timezone.make_aware(datetime(2020, 1, 1)))
    new = make_case(title="新しい", published=timezone.make_aware(datetime(2025, 1, 1)))
    assert [c.pk for c in context(case_index)["cases"]] == [new.pk, old.pk]


def test_every_combination_of_two_statuses_and_prefectures_adds_up(case_index, library):
    for prefecture, status in product(["13", "27"], ["published", "estimate", "illustrative"]):
        ctx = context(case_index, prefecture=prefecture, status=status)
        pref_facet = facet(ctx, "prefecture")
        assert pref_facet.selected_count == ctx["result_count"]
        assert facet(ctx, "status").selected_count == ctx["result_count"]
