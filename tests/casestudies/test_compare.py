"""Compare up to three cases side by side at <index url>compare/?ids=…"""

import pytest
from bs4 import BeautifulSoup

from casestudies.compare import metric_rows, parse_ids
from casestudies.models import Metric
from people.models import Municipality
from tests.casestudies.conftest import day, hours
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(make_case, tokyo, osaka, topics):
    ginowan = MunicipalityFactory(prefecture=osaka, name="宜野湾市")
    town = MunicipalityFactory(prefecture=tokyo, name="テスト町", kind=Municipality.Kind.TOWN)
    return [
        make_case(
            title="RPAとAI-OCRで4業務",
            municipality=ginowan,
            population=100_000,
            population_source="住民基本台帳 2020年1月1日",
            topics=[topics["rpa"], topics["ai-ocr"]],
            technologies="RPA, AI-OCR",
            started=day(2020, 1),
            ended=day(2020, 2),
            procurement_route="proposal",
            cost_initial_yen=2_100_000,
            cost_annual_yen=500_000,
            metrics=[
                hours(389.9, name="4業務の削減時間"),
                {"kind": Metric.Kind.ACCURACY, "name": "正読率", "value": 98.4, "unit": "%"},
            ],
        ),
        make_case(
            title="町のRPA",
            municipality=town,
            population=8_000,
            topics=[topics["rpa"]],
            technologies="RPA",
            started=day(2021),
            figure_status="estimate",
            metrics=[
                {"kind": Metric.Kind.ACCURACY, "name": "正読率", "value": 99.9, "unit": "%"},
                hours(40, name="4業務の削減時間"),
                {"kind": Metric.Kind.OTHER, "name": "処理件数", "value": 1200, "unit": "件"},
            ],
        ),
        make_case(title="人口不明の事例", municipality=town, metrics=[hours(100, name="別の指標")]),
        make_case(title="四件目", municipality=town),
    ]


def get(client, index, query):
    response = client.get(f"{index.url}compare/{query}")
    assert response.status_code == 200
    return response, BeautifulSoup(response.content, "html.parser")


def row(soup, header):
    for tr in soup.select("table.compare-table tr"):
        th = tr.find("th", scope="row")
        if th and th.get_text(" ", strip=True).startswith(header):
            return [td.get_text(" ", strip=True) for td in tr.find_all("td")]
    raise AssertionError(f"no row {header}")


def test_per_10k_arithmetic(cases):
    case = cases[0]
    assert str(case.per_10k(case.metric_list[0].value)) == "38.99"
    assert str(case.per_10k(case.cost_initial_yen)) == "210000.00"
    assert cases[2].per_10k(100) is None  # population unknown


def test_side_by_side_with_rows_aligned(client, case_index_en, cases):
    """In English, where every row header is known; the cases are Japanese pages."""
    a, b, c = cases[:3]
    response = client.get(f"/en/case-studies/compare/?ids={a.pk},{b.pk}&ids={c.pk}")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert [col["case"].pk for col in response.context["columns"]] == [a.pk, b.pk, c.pk]
    headers = [th.find("a").get_text(strip=True) for th in soup.select("thead th[scope=col]")]
    assert headers == [a.title, b.title, c.title]
    assert soup.select_one("table caption")

    assert row(soup, "Municipality") == ["宜野湾市", "テスト町", "テスト町"]
    assert row(soup, "Prefecture") == ["Osaka", "Tokyo", "Tokyo"]
    assert row(soup, "Kind of municipality") == ["City", "Town", "Town"]
    population = row(soup, "Population")
    assert population[0] == "100,000 Source: 住民基本台帳 2020年1月1日"
    assert population[1] == "8,000"
    assert "Not recorded" in population[2]
    assert row(soup, "Period")[:2] == ["2020-01 – 2020-02", "2021-04 – ongoing"]
    assert row(soup, "Topics")[:2] == ["RPA、AI-OCR", "RPA"]
    assert row(soup, "Technologies")[:2] == ["RPA、AI-OCR", "RPA"]
    assert row(soup, "Procurement route")[0] == "Proposal competition (プロポーザル)"
    assert row(soup, "Status of the figures")[:2] == [
        "Published figures (公表値)",
        "Estimate (推計)",
    ]

    hours_row = row(soup, "4業務の削減時間")
    assert "389.9 時間" in hours_row[0]
    assert "38.99 時間 per 10,000 residents" in hours_row[0]
    assert "40 時間" in hours_row[1] and "50 時間 per 10,000 residents" in hours_row[1]
    assert "Not recorded" in hours_row[2]
    accuracy = row(soup, "正読率")
    assert accuracy[0].startswith("98.4 %") and accuracy[1].startswith("99.9 %")
    assert "10,000" not in accuracy[0]  # a share is not divided by the population
    other = row(soup, "別の指標")
    assert "100 時間" in other[2] and "10,000" not in other[2]  # population unknown
    assert "1,200 件" in row(soup, "処理件数")[1]


def test_costs_and_their_per_10k(client, case_index, cases):
    a, b = cases[:2]
    _response, soup = get(client, case_index, f"?ids={a.pk},{b.pk}")
    costs = soup.select("tr.cost-row")
    initial = [td.get_text(" ", strip=True) for td in costs[0].find_all("td")]
    assert "2,100,000" in initial[0] and "210,000" in initial[0]
    assert "2,100,000" not in initial[1]
    annual = [td.get_text(" ", strip=True) for td in costs[1].find_all("td")]
    assert "500,000" in annual[0] and "50,000" in annual[0]
    assert "—" in annual[1]


def test_metric_rows_align_by_kind_and_name(cases):
    a, b, c = cases[:3]
    rows = metric_rows([a, b, c])
    keys = [(r.kind, r.name) for r in rows]
    assert keys == [
        ("hours_saved", "4業務の削減時間"),
        ("hours_saved", "別の指標"),
        ("accuracy", "正読率"),
        ("other", "処理件数"),
    ]
    hours_row = rows[0]
    assert [cell and cell.value for cell in hours_row.cells] == [
        a.metric_list[0].value,
        b.metric_list[1].value,
        None,
    ]
    assert str(hours_row.cells[0].per_10k) == "38.99"
    assert str(hours_row.cells[1].per_10k) == "50.00"
    assert rows[2].cells[0].per_10k is None  # accuracy (%)


def test_more_than_three_gives_the_first_three_and_says_so(client, case_index, cases):
    ids = ",".join(str(c.pk) for c in reversed(cases))
    response, soup = get(client, case_index, f"?ids={ids}")
    assert [c.pk for c in response.context["cases"]] == [c.pk for c in reversed(cases)][:3]
    assert len(soup.select("thead th[scope=col]")) == 3
    assert any("3" in n and "4" in n for n in response.context["notices"])
    assert soup.select_one(".case-notices")


def test_bad_ids_are_ignored_with_a_message(client, case_index, make_case, cases):
    draft = make_case(title="下書き", live=False)
    a = cases[0]
    query = f"?ids={a.pk},abc,99999999&ids=-3&ids={draft.pk}&ids=1e3&ids={a.pk}"
    response, _soup = get(client, case_index, query)
    assert [c.pk for c in response.context["cases"]] == [a.pk]
    notices = " ".join(response.context["notices"])
    assert "abc" in notices and "-3" in notices and "1e3" in notices
    assert "99999999" in notices and str(draft.pk) in notices


@pytest.mark.parametrize(
    "query", ["", "?ids=", "?ids=abc", "?ids=0", "?ids=99999999999999999999", "?ids=%00", "?x=1"]
)
def test_no_valid_case_explains_rather_than_fails(client, case_index, cases, query):
    response, soup = get(client, case_index, query)
    assert response.context["cases"] == []
    assert soup.select_one(".case-compare__empty")
    assert soup.select_one(f'.case-compare__empty a[href="{case_index.url}"]')
    assert not soup.select_one("table.compare-table")


def test_parse_ids():
    from django.test import RequestFactory

    request = RequestFactory().get("/", {"ids": ["12,15", " 20 ", "x", "15", "１２"]})
    selection = parse_ids(request)
    assert selection.ids == [12, 15, 20]
    assert selection.malformed == ["x", "１２"]


def test_compare_in_english(client, case_index_en, cases):
    a, b = cases[:2]
    response = client.get(f"/en/case-studies/compare/?ids={a.pk},{b.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "per 10,000 residents" in html
    assert "Compare cases" in html


def test_per_10k_only_for_counts_and_amounts_and_no_placeholders(client, case_index, make_case):
    """「80 %」 of kind "other" was divided by the population (「2.16 %」 per 10,000), and a figure
    recorded before but not after showed 「移行前 → ?」."""
    case = make_case(
        title="窓口のキャッシュレス化",
        population=37_000,
        metrics=[
            {"name": "キャッシュレス比率", "value": 80, "unit": "%", "after": "80%"},
            {"name": "待ち時間", "value": 10, "unit": "分", "baseline": "30分", "after": "10分"},
            {"name": "申請件数", "value": 3700, "unit": "件/年", "baseline": "移行前"},
            {"name": "満足度", "value": 4.2, "unit": "点"},
        ],
    )
    _response, soup = get(client, case_index, f"?ids={case.pk}")
    share, wait, applications, satisfaction = (
        row(soup, name)[0] for name in ("キャッシュレス比率", "待ち時間", "申請件数", "満足度")
    )
    assert "人口1万人当たり" not in share + wait + satisfaction
    assert "人口1万人当たり 1,000 件/年" in applications
    assert "?" not in share + wait + applications + satisfaction
    assert "導入後: 80%" in share
    assert "30分 → 10分" in wait
    assert "導入前: 移行前" in applications

    page = BeautifulSoup(client.get(case.url).content, "html.parser").get_text(" ")
    assert "21.62" not in page  # 80 % divided by 37,000 residents, times 10,000
    assert "1,000 件/年" in page


def test_per_10k_applies_to_counts_and_amounts_only():
    from casestudies.compare import per_10k_applies

    assert per_10k_applies(Metric.Kind.HOURS_SAVED) and per_10k_applies(Metric.Kind.COST_SAVED)
    assert not per_10k_applies(Metric.Kind.PERCENT_REDUCTION, "%")
    assert not per_10k_applies(Metric.Kind.ACCURACY, "%")
    for unit in ("%", "％", "割", "ポイント", "倍", "分", "点", "", None):
        assert not per_10k_applies(Metric.Kind.OTHER, unit), unit
    for unit in ("件", "件/年", "人", "時間", "円", "万円", "枚"):
        assert per_10k_applies(Metric.Kind.OTHER, unit), unit
