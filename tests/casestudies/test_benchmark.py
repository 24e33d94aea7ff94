"""Benchmarking against similar municipalities (類似団体) at <index url>benchmark/."""

import statistics
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from casestudies.benchmark import distribution, nice_ticks, standing
from casestudies.models import Metric
from people.models import Municipality
from tests.casestudies.conftest import hours
from tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db(transaction=False)

D = Decimal


# --- The statistics, on their own ----------------------------------------------------------


@pytest.mark.django_db(False)
def test_distribution_of_a_known_list():
    dist = distribution([8, 1, 7, 2, 6, 3, 5, 4])
    assert dist.n == 8
    assert (dist.minimum, dist.maximum) == (1, 8)
    assert (dist.q1, dist.median, dist.q3) == (D("2.75"), D("4.5"), D("6.25"))
    assert dist.mean == D("4.5")
    # The same as statistics.quantiles(method="inclusive").
    assert [float(q) for q in (dist.q1, dist.median, dist.q3)] == statistics.quantiles(
        range(1, 9), n=4, method="inclusive"
    )


@pytest.mark.django_db(False)
def test_distribution_of_an_odd_list_with_an_outlier():
    dist = distribution([D("3"), D("1"), D("2"), D("10"), D("4"), None])
    assert dist.n == 5
    assert (dist.q1, dist.median, dist.q3) == (2, 3, 4)
    assert dist.mean == 4
    assert dist.maximum == 10


@pytest.mark.django_db(False)
def test_distribution_of_one_and_of_none():
    one = distribution([D("389.9")])
    assert one.n == 1
    assert one.minimum == one.q1 == one.median == one.q3 == one.mean == one.maximum == D("389.9")
    empty = distribution([])
    assert empty.n == 0 and empty.median is None and empty.minimum is None


@pytest.mark.django_db(False)
def test_standing():
    values = [10, 20, 30, 40]
    top = standing(values, 40)
    assert (top.rank, top.n, top.percentile) == (1, 4, 88)
    low = standing(values, 10)
    assert (low.rank, low.percentile) == (4, 12)
    tie = standing([10, 20, 20, 40], 20)
    assert (tie.rank, tie.percentile) == (2, 50)
    assert standing(values, None) is None


@pytest.mark.django_db(False)
def test_nice_ticks_cover_the_range():
    ticks = nice_ticks(0, 1400)
    assert ticks[0] == 0 and ticks[-1] >= 1400
    assert len(ticks) <= 7
    assert nice_ticks(5, 5)[-1] > 5


# --- The peer group -------------------------------------------------------------------------


@pytest.fixture
def peers(make_case, tokyo, osaka, topics):
    city = Municipality.Kind.CITY
    ginowan = MunicipalityFactory(prefecture=osaka, name="宜野湾市", kind=city)
    made = {
        "own": make_case(
            title="宜野湾のRPA",
            municipality=ginowan,
            population=96_000,
            topics=[topics["rpa"]],
            metrics=[hours(389.9), hours(100, name="別業務")],
        ),
        "p1": make_case(
            title="市A",
            municipality=MunicipalityFactory(prefecture=tokyo, kind=city),
            population=60_000,
            topics=[topics["rpa"]],
            metrics=[hours(200)],
        ),
        "p2": make_case(
            title="市B",
            municipality=MunicipalityFactory(prefecture=osaka, kind=city),
            population=80_000,
            topics=[topics["rpa"], topics["ai-ocr"]],
            metrics=[hours(1400)],
        ),
        "p3": make_case(
            title="市C（推計）",
            municipality=MunicipalityFactory(prefecture=tokyo, kind=city),
            population=50_000,
            topics=[topics["rpa"]],
            figure_status="estimate",
            metrics=[hours(50)],
        ),
        # Not peers: another kind, another band, another topic, no such figure, not live.
        "town": make_case(
            title="町",
            municipality=MunicipalityFactory(kind=Municipality.Kind.TOWN),
            population=70_000,
            topics=[topics["rpa"]],
            metrics=[hours(5000)],
        ),
        "big": make_case(
            title="大きい市",
            municipality=MunicipalityFactory(kind=city),
            population=350_000,
            topics=[topics["rpa"]],
            metrics=[hours(9000)],
        ),
        "chatbot": make_case(
            title="チャットボット",
            municipality=MunicipalityFactory(kind=city),
            population=70_000,
            topics=[topics["chatbot"]],
            metrics=[hours(700)],
        ),
        "percent": make_case(
            title="率だけ",
            municipality=MunicipalityFactory(kind=city),
            population=70_000,
            topics=[topics["rpa"]],
            metrics=[{"kind": Metric.Kind.PERCENT_REDUCTION, "name": "削減率", "value": 80}],
        ),
        "draft": make_case(
            title="下書き",
            municipality=MunicipalityFactory(kind=city),
            population=70_000,
            topics=[topics["rpa"]],
            metrics=[hours(600)],
            live=False,
        ),
    }
    made["ginowan"] = ginowan
    return made


def bench(client, index, prefix="", **params):
    response = client.get(f"{prefix}{index.url}benchmark/", params)
    assert response.status_code == 200
    return response, BeautifulSoup(response.content, "html.parser")


def test_the_peer_group_is_same_kind_and_band_only(client, case_index, peers):
    response, _soup = bench(
        client, case_index, topic="rpa", metric="hours_saved", municipality=peers["ginowan"].code
    )
    ctx = response.context
    assert ctx["band"] == "50k-100k"
    assert ctx["band_from"] == "cases"
    assert [p.case.title for p in ctx["peers"]] == ["市B", "宜野湾のRPA", "市A", "市C（推計）"]
    # Per case, its largest metric of the kind (389.9, not 100).
    assert [p.value for p in ctx["peers"]] == [D("1400"), D("389.9"), D("200"), D("50")]
    dist = ctx["distribution"]
    assert dist.n == 4
    assert dist.median == D("294.95")
    assert (dist.minimum, dist.maximum) == (D("50"), D("1400"))
    assert dist.q1 == D("162.5")  # 50 + 0.75 × (200 − 50)
    assert ctx["own_case"].pk == peers["own"].pk
    assert ctx["own_in_group"]
    assert (ctx["own_standing"].rank, ctx["own_standing"].n) == (2, 4)
    # Per 10,000 residents: 389.9 h for 96,000 people.
    assert ctx["own_value_10k"] == D("40.61")
    assert ctx["distribution_10k"].n == 4


def test_only_published_figures(client, case_index, peers):
    response, soup = bench(
        client, case_index, topic="rpa", municipality=peers["ginowan"].code, status="published"
    )
    assert [p.case.title for p in response.context["peers"]] == ["市B", "宜野湾のRPA", "市A"]
    assert soup.select_one('input[name="status"][checked]')


def test_both_statuses_are_shown_and_marked(client, case_index, peers):
    _response, soup = bench(client, case_index, topic="rpa", municipality=peers["ginowan"].code)
    badges = [b["class"][-1] for b in soup.select(".benchmark-table--cases .status-badge")]
    assert badges.count("status-badge--estimate") == 1
    assert badges.count("status-badge--published") == 3


def test_all_topics_widens_the_group(client, case_index, peers):
    response, _soup = bench(client, case_index, municipality=peers["ginowan"].code)
    titles = {p.case.title for p in response.context["peers"]}
    assert "チャットボット" in titles and "町" not in titles and "大きい市" not in titles


def test_chart_and_table_show_the_same_figures(client, case_index, peers):
    _response, soup = bench(client, case_index, topic="rpa", municipality=peers["ginowan"].code)
    svg = soup.select_one("svg[role=img]")
    assert svg is not None
    title_id, desc_id = svg["aria-labelledby"].split()
    assert svg.find("title", id=title_id).get_text(strip=True)
    desc = svg.find("desc", id=desc_id).get_text(" ", strip=True)
    assert "294.95" in desc and "1,400" in desc and "50" in desc
    dots = svg.select(".strip-chart__dots circle, .strip-chart__dots path")
    assert len(dots) == 4
    # Statuses differ by shape: three filled circles, one hollow.
    assert len(svg.select('.strip-chart__dots circle[fill="#fff"]')) == 1
    assert svg.select_one(".strip-chart__own line[stroke-dasharray]")
    assert not soup.find("script") or all(s.get("src") for s in soup.find_all("script"))

    table = soup.select_one("table.benchmark-table")
    assert table.caption.get_text(strip=True)
    cells = {
        tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in table.tbody.find_all("tr")
    }
    values = [v[0] for v in cells.values()]
    assert values == [
        "4",
        "50",
        "162.5",
        "294.95",
        "642.43",
        "509.98",
        "1,400",
    ]  # q3 = (3 × 389.9 + 1400) / 4
    assert all(th["scope"] == "col" for th in table.thead.find_all("th"))
    case_rows = soup.select("table.benchmark-table--cases tbody tr")
    assert len(case_rows) == 4
    assert "is-own" in case_rows[1]["class"]


def test_two_charts_when_population_is_known(client, case_index, peers):
    _response, soup = bench(client, case_index, topic="rpa", municipality=peers["ginowan"].code)
    assert len(soup.select("svg[role=img]")) == 2


def test_a_share_is_not_divided_by_the_population(client, case_index, peers):
    response, soup = bench(
        client, case_index, metric="percent_reduction", municipality=peers["ginowan"].code
    )
    assert [p.case.title for p in response.context["peers"]] == ["率だけ"]
    assert response.context["own_case"] is None
    assert len(soup.select("svg[role=img]")) == 1


@pytest.mark.parametrize("how", ["code", "code5", "id", "select"])
def test_the_municipality_by_code_or_id(client, case_index, peers, how):
    municipality = peers["ginowan"]
    params = {
        "code": {"code": municipality.code},
        "code5": {"code": municipality.code[:5]},
        "id": {"municipality": str(municipality.pk)},
        "select": {"municipality": municipality.code},
    }[how]
    response, _soup = bench(client, case_index, topic="rpa", **params)
    assert response.context["municipality"] == municipality
    assert response.context["distribution"].n == 4


def test_the_select_lists_municipalities_with_cases(client, case_index, peers):
    lonely = MunicipalityFactory(name="事例のない市")
    _response, soup = bench(client, case_index)
    options = [o["value"] for o in soup.select('select[name="municipality"] option') if o["value"]]
    assert peers["ginowan"].code in options
    assert lonely.code not in options
    form = soup.select_one("form.benchmark-form")
    assert form["method"] == "get" and form.select_one('button[type="submit"]')
    for field in form.select("select, input:not([type=hidden])"):
        assert form.select_one(f'label[for="{field["id"]}"]')


def test_a_municipality_without_a_population_asks_for_a_band(client, case_index, make_case, peers):
    newcomer = MunicipalityFactory(name="新しい市")
    make_case(title="人口なし", municipality=newcomer, topics=[], metrics=[hours(10)])
    response, soup = bench(client, case_index, municipality=newcomer.code)
    assert response.context["ready"] is False
    assert soup.select_one("p.notice")
    response, _soup = bench(client, case_index, municipality=newcomer.code, band="50k-100k")
    assert response.context["ready"] is True
    titles = {p.case.title for p in response.context["peers"]}
    assert {"市A", "市B", "宜野湾のRPA"} <= titles
    assert response.context["own_case"].title == "人口なし"
    assert not response.context["own_in_group"]
    assert response.context["own_standing"].n == response.context["distribution"].n + 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"topic": "nope", "metric": "bogus", "municipality": "abc"},
        {"municipality": "999999"},
        {"code": "１２３４５６７８９０１２３４５"},
        {"municipality": "99999999999999999999"},
        {"band": "huge", "status": "x", "code": "<script>"},
        {"topic": ["rpa", "ai-ocr"], "metric": "", "municipality": "%00"},
    ],
)
def test_bad_parameters_do_not_fail(client, case_index, peers, params):
    response, _soup = bench(client, case_index, **params)
    assert response.context["ready"] in (True, False)


def test_unknown_code_is_explained(client, case_index, peers):
    response, soup = bench(client, case_index, code="999999")
    assert response.context["municipality"] is None
    assert "999999" in " ".join(response.context["notices"])
    assert soup.select_one(".case-notices")


def test_benchmark_in_english(client, case_index_en, peers):
    response, soup = bench(client, case_index_en, topic="rpa", municipality=peers["ginowan"].code)
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Benchmark against similar municipalities" in html
    assert "Similar municipalities to" in html
    assert soup.select_one("svg[role=img] desc")


@pytest.fixture
def towns(make_case, tokyo, topics):
    town = Municipality.Kind.TOWN
    return {
        "small": make_case(
            title="小さな町のRPA",
            municipality=MunicipalityFactory(prefecture=tokyo, kind=town, name="山の町"),
            population=8_000,
            topics=[topics["rpa"]],
            metrics=[hours(120)],
        ),
        "middle": make_case(
            title="中くらいの町のRPA",
            municipality=MunicipalityFactory(prefecture=tokyo, kind=town, name="川の町"),
            population=30_000,
            topics=[topics["rpa"]],
            metrics=[hours(300)],
        ),
    }


def statements(soup):
    section = soup.select_one("section.benchmark-result")
    return section.get_text(" ", strip=True) if section else ""


def test_a_town_without_data_in_its_band_gets_the_nearest_band_with_cases(
    client, case_index, make_case, tokyo, topics
):
    """Towns of 10,000–50,000 have no case; the nearest band with cases (under 10,000) is shown,
    and the page says so."""
    make_case(
        title="小さな町",
        municipality=MunicipalityFactory(prefecture=tokyo, kind=Municipality.Kind.TOWN),
        population=8_000,
        topics=[topics["rpa"]],
        metrics=[hours(120)],
    )
    newcomer = MunicipalityFactory(prefecture=tokyo, kind=Municipality.Kind.TOWN, name="海の町")
    response, soup = bench(client, case_index, code=newcomer.code, band="10k-50k")
    assert response.context["band"] == "lt10k"
    assert [p.case.title for p in response.context["peers"]] == ["小さな町"]
    text = statements(soup)
    assert "人口1万〜5万人の町で、この数値のある事例はまだありません" in text
    assert "最も近い人口規模の「1万人未満」を表示しています" in text
    assert "まだありません。すべてのトピック" not in text  # no "no case" beside a ranked list


def test_one_coherent_statement_when_the_own_case_is_alone(
    client, case_index, make_case, tokyo, topics
):
    """The page used to rank the case (1 of 1), say it was not in the group, then that the group
    had no case. Now: the nearest band with cases is the case's own, and it is ranked there."""
    own = make_case(
        title="小さな町のRPA",
        municipality=MunicipalityFactory(prefecture=tokyo, kind=Municipality.Kind.TOWN),
        population=8_000,
        topics=[topics["rpa"]],
        metrics=[hours(120)],
    )
    response, soup = bench(client, case_index, municipality=own.municipality.code, band="50k-100k")
    assert response.context["situation"] == "ranked"
    text = statements(soup)
    assert "1件中、大きい方から1番目" in text
    assert "グループには含まれません" not in text
    assert "比べられる類似団体" not in text and "まだありません。すべてのトピック" not in text


def test_no_similar_municipality_is_said_once(client, case_index, make_case, tokyo, topics):
    village = MunicipalityFactory(prefecture=tokyo, kind=Municipality.Kind.VILLAGE)
    make_case(title="人口のない村の事例", municipality=village, metrics=[hours(10)])
    response, soup = bench(client, case_index, municipality=village.code, band="lt10k")
    assert response.context["situation"] == "empty"
    text = statements(soup)
    assert "村の事例のうち、この数値があるのはこの団体の事例だけ" in text
    assert "件中、大きい方から" not in text and "グループには含まれません" not in text


def test_a_municipality_without_cases_is_not_blamed_for_a_missing_population(
    client, case_index, towns
):
    newcomer = MunicipalityFactory(kind=Municipality.Kind.TOWN, name="新しい町")
    response, soup = bench(client, case_index, code=newcomer.code)
    assert response.context["ready"] is False
    notice = soup.select_one("main p.notice").get_text(strip=True)
    assert "事例がまだないため" in notice
    assert "人口の記載がありません" not in notice
