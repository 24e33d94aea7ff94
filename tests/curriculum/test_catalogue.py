"""The course catalogue: programmes and their courses as cards, filtered by target role,
competency and format with a plain GET form, open runs flagged, in a constant number of queries."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curriculum import runs
from curriculum.models import CourseCatalogPage, CourseCompetency, CoursePage
from tests.factories import (
    CompetencyFactory,
    CoursePageFactory,
    CourseRunFactory,
    ProgrammePageFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(course):
    """Three courses in two programmes: K1 (the course fixture: R4, C1, self-paced), K2 (R2, C2,
    blended) and K3 (R2 and R4, C1, in person)."""
    page = CourseCatalogPage.objects.get()
    r2 = RoleFactory(code="R2", name_ja="DX推進担当")
    r4 = RoleFactory(code="R4")
    c1 = CompetencyFactory(code="C1")
    c2 = CompetencyFactory(code="C2", name_ja="業務改革（BPR）")
    second = ProgrammePageFactory(parent=page, title="DX推進リーダー", slug="leader")
    k2 = CoursePageFactory(
        parent=second, title="BPRと業務可視化", slug="k2", code="K2", delivery_format="blended"
    )
    k2.target_roles.set([r2])
    k2.save()
    CourseCompetency.objects.create(page=k2, competency=c2, level=2)
    k3 = CoursePageFactory(
        parent=second, title="CIOリーダーシップ", slug="k3", code="K3", delivery_format="in_person"
    )
    k3.target_roles.set([r2, r4])
    k3.save()
    CourseCompetency.objects.create(page=k3, competency=c1, level=3)
    return {"page": page, "r2": r2, "r4": r4, "c1": c1, "c2": c2, "k2": k2, "k3": k3}


def get(client, catalogue, query=""):
    response = client.get(catalogue["page"].url + query)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def titles(soup) -> list[str]:
    return [" ".join(h3.get_text(" ", strip=True).split()) for h3 in soup.select(".course-card h3")]


def count(soup) -> str:
    return soup.select_one(".catalogue__count").get_text(" ", strip=True)


def test_unfiltered_the_courses_are_grouped_by_programme(client, catalogue):
    soup = get(client, catalogue)
    programmes = [h2.get_text(strip=True) for h2 in soup.select(".programme h2")]
    assert programmes == ["CIO育成プログラム", "DX推進リーダー"]
    assert titles(soup) == ["K1 自治体DXとガバナンス", "K2 BPRと業務可視化", "K3 CIOリーダーシップ"]
    assert "3 コース" in count(soup)
    # Each card says its format, hours and roles.
    card = soup.select(".course-card")[1]
    text = card.get_text(" ", strip=True)
    assert "ライブ講義あり" in text and "8時間" in text and "DX推進担当" in text
    # The filters: a GET form in the site's folding panel (folded on a phone, a one-line
    # summary above the results; opened as a sidebar on a wide screen by js/filter-panel.js).
    panel = soup.select_one("details.filter-panel[data-filter-panel]")
    assert panel is not None and not panel.has_attr("open")
    assert panel.find("summary").get_text(strip=True) == "絞り込み"
    assert panel.find("form")["method"] == "get"
    assert panel.find_next("section")["class"] == ["catalogue__results"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?role={r2}", ["K2 BPRと業務可視化", "K3 CIOリーダーシップ"]),
        ("?role={r4}", ["K1 自治体DXとガバナンス", "K3 CIOリーダーシップ"]),
        ("?competency={c1}", ["K1 自治体DXとガバナンス", "K3 CIOリーダーシップ"]),
        ("?competency={c2}", ["K2 BPRと業務可視化"]),
        ("?format=blended", ["K2 BPRと業務可視化"]),
        ("?format=self_paced", ["K1 自治体DXとガバナンス"]),
        ("?role={r4}&competency={c1}&format=in_person", ["K3 CIOリーダーシップ"]),
    ],
)
def test_filters(client, catalogue, query, expected):
    ids = {key: catalogue[key].pk for key in ("r2", "r4", "c1", "c2")}
    soup = get(client, catalogue, query.format(**ids))
    assert titles(soup) == expected
    assert f"{len(expected)} コース" in count(soup)
    assert not soup.select(".programme")  # a flat list, each card naming its programme
    assert "プログラム" in soup.select_one(".course-card").get_text()
    on = query.count("=")
    assert f"（{on}件を適用中）" in soup.select_one("details.filter-panel summary").get_text()
    assert soup.find("a", string="絞り込みを解除")


def test_the_form_keeps_the_choices_made(client, catalogue):
    soup = get(client, catalogue, f"?role={catalogue['r2'].pk}&format=blended")
    assert soup.select_one("#filter-role option[selected]")["value"] == str(catalogue["r2"].pk)
    assert soup.select_one("#filter-format-blended").has_attr("checked")
    assert not soup.select_one("#filter-format-any").has_attr("checked")
    assert soup.find("label", attrs={"for": "filter-role"})
    assert soup.find("label", attrs={"for": "filter-competency"})


def test_nothing_found_says_so(client, catalogue):
    soup = get(client, catalogue, f"?competency={catalogue['c2'].pk}&format=in_person")
    assert titles(soup) == []
    assert "0 コース" in count(soup)
    assert "この条件に合うコースはありません" in soup.select_one(".empty-state").get_text()


@pytest.mark.parametrize(
    "query",
    [
        "?role=abc",
        "?role=-1&competency=1.5",
        "?role=99999999999999999999",
        "?competency=%EF%BC%91",  # a full-width digit
        "?format=webinar",
        "?format=",
        "?role=&competency=&format=",
        "?role=0",
    ],
)
def test_bad_parameters_are_ignored(client, catalogue, query):
    soup = get(client, catalogue, query)
    assert len(titles(soup)) == 3
    assert soup.select(".programme")  # as if unfiltered


def test_an_unknown_id_finds_nothing_without_an_error(client, catalogue):
    soup = get(client, catalogue, "?role=987654")
    assert titles(soup) == []


def test_a_run_open_for_enrolment_is_flagged(client, catalogue):
    today = runs.today()
    course = CoursePage.objects.get(code="K1")
    open_run = CourseRunFactory(course=course, owner_name="自治体CIOアカデミー")
    CourseRunFactory(
        course=catalogue["k2"],
        owner_name="自治体CIOアカデミー",
        enrolment_opens=today - timedelta(days=30),
        enrolment_closes=today - timedelta(days=1),
    )
    CourseRunFactory(course=catalogue["k3"], owner_name="某県", self_enrolment=False)
    soup = get(client, catalogue)
    flags = {
        " ".join(card.find("h3").get_text(" ", strip=True).split()): card.select_one(
            ".course-card__open"
        )
        for card in soup.select(".course-card")
    }
    assert flags["K1 自治体DXとガバナンス"]["href"] == f"/learn/runs/{open_run.pk}/"
    assert "受講者募集中" in flags["K1 自治体DXとガバナンス"].get_text()
    assert flags["K2 BPRと業務可視化"] is None  # enrolment closed
    assert flags["K3 CIOリーダーシップ"] is None  # staff enrol the learners


def test_the_english_catalogue_filters_its_translations(client, catalogue):
    from wagtail.models import Locale

    from core.translation import ensure_translation

    english = Locale.objects.get(language_code="en")
    page_en = ensure_translation(catalogue["page"], english, {"title": "Courses"})
    programme = catalogue["k2"].get_parent()
    ensure_translation(programme, english, {"title": "DX leaders"})
    ensure_translation(catalogue["k2"], english, {"title": "BPR and process mapping"})
    CourseRunFactory(course=catalogue["k2"], owner_name="Academy")
    response = client.get(page_en.url + f"?role={catalogue['r2'].pk}")
    soup = BeautifulSoup(response.content, "html.parser")
    assert titles(soup) == ["K2 BPR and process mapping"]
    assert soup.select_one(".course-card__open")
    assert "Online with live sessions" in soup.select_one(".course-card").get_text()


def catalogue_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("query", ["", "?role={r2}&format=blended", "?competency={c2}"])
def test_queries_do_not_grow_with_the_courses(client, catalogue, settings, query):
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    url = catalogue["page"].url + query.format(r2=catalogue["r2"].pk, c2=catalogue["c2"].pk)
    programme = catalogue["k2"].get_parent()

    def add_courses(start, how_many):
        for n in range(start, start + how_many):
            page = CoursePageFactory(
                parent=programme, slug=f"extra-{n}", code=f"X{n}", delivery_format="blended"
            )
            page.target_roles.set([catalogue["r2"], catalogue["r4"]])
            page.save()
            CourseCompetency.objects.create(page=page, competency=catalogue["c2"], level=2)
            CourseRunFactory(course=page, owner_name="自治体CIOアカデミー")

    add_courses(0, 2)
    few = catalogue_queries(client, url)
    add_courses(2, 10)
    assert catalogue_queries(client, url) == few
