"""The case listing's facet counts, cached per filter combination under the case-library
generation (casestudies/listing_cache.py): served again without their queries, replaced by what
the listing shows and by nothing else, and never needed for the page to render."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from casestudies import listing_cache
from casestudies.listing import listing_context
from casestudies.models import Metric
from core import generations
from curriculum.models import Enrolment
from knowledge import posting
from knowledge.models import Member
from people.models import Municipality
from tests.casestudies.conftest import day, hours
from tests.factories import CoursePageFactory, MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(tokyo, osaka):
    return {
        "tokyo_city": MunicipalityFactory(prefecture=tokyo, name="東京テスト市"),
        "osaka_town": MunicipalityFactory(
            prefecture=osaka, name="大阪テスト町", kind=Municipality.Kind.TOWN
        ),
    }


@pytest.fixture
def library(make_case, places, topics):
    return {
        "a": make_case(
            title="RPAで申告事務を自動化",
            municipality=places["tokyo_city"],
            population=80_000,
            topics=[topics["rpa"]],
            technologies="RPA, AI-OCR",
            started=day(2020),
            metrics=[hours(389.9)],
        ),
        "b": make_case(
            title="チャットボットで問合せ対応",
            municipality=places["osaka_town"],
            population=9_000,
            topics=[topics["chatbot"]],
            technologies="ChatGPT",
            started=day(2023),
            figure_status="estimate",
        ),
        "draft": make_case(
            title="下書きの事例",
            municipality=places["osaka_town"],
            topics=[topics["rpa"]],
            live=False,
        ),
    }


def render(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def counts(response, name):
    facet = next(f for f in response.context["facets"] if f.name == name)
    return {o.value: o.count for o in facet.options}


def shown(response):
    """Everything the facets and the count say, to compare two renders."""
    facets = {
        f.name: [(o.value, o.label, o.count, o.selected) for o in f.options]
        for f in response.context["facets"]
    }
    return facets, response.context["result_count"], [c.pk for c in response.context["cases"]]


def generation():
    return generations.current([listing_cache.SCOPE])


# --- Served from the cache ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{}, {"prefecture": "13"}, {"topic": "rpa", "technology": "ai-ocr", "band": "50k-100k"}],
)
def test_a_second_render_counts_nothing_again(client, case_index, library, params):
    first, first_sql = render(client, case_index.url, params)
    second, second_sql = render(client, case_index.url, params)
    assert len(second_sql) < len(first_sql)
    assert shown(second) == shown(first)
    assert second.content == first.content
    # The paginator's total comes with the counts.
    assert not any("COUNT(" in sql.upper() for sql in second_sql)


def test_the_order_of_values_sort_and_page_share_one_entry(client, case_index, library):
    _first, first_sql = render(client, case_index.url, {"prefecture": ["13", "27"]})
    reordered, sql = render(
        client, case_index.url, {"prefecture": ["27", "13"], "sort": "hours", "page": "2"}
    )
    assert len(sql) < len(first_sql)
    assert reordered.context["result_count"] == 2
    # Links keep the values in the order they came in.
    assert reordered.context["querystring"] == "prefecture=27&prefecture=13&sort=hours"


def test_values_that_look_alike_joined_do_not_share_an_entry(client, case_index, library):
    both = render(client, case_index.url, {"technology": ["ai-ocr", "rpa"]})[0]
    assert both.context["result_count"] == 1
    # No technology is spelled with a comma: the filter is dropped, and every case is counted.
    glued = render(client, case_index.url, {"technology": "ai-ocr,rpa"})[0]
    assert not glued.context["filters_active"]
    assert glued.context["result_count"] == 2


def test_each_language_has_its_own_entry(case_index, library):
    def prefecture_labels():
        ctx = listing_context(case_index, RequestFactory().get("/"))
        facet = next(f for f in ctx["facets"] if f.name == "prefecture")
        return {o.value: o.label for o in facet.options}

    with translation.override("ja"):
        assert prefecture_labels() == {"13": "東京都", "27": "大阪府"}
    with translation.override("en"):
        assert prefecture_labels() == {"13": "Tokyo", "27": "Osaka"}


def test_cached_queries_do_not_grow_with_the_number_of_cases(client, case_index, make_case, topics):
    def add_cases(number, start):
        for n in range(start, start + number):
            make_case(
                title=f"事例C{n}",
                municipality=MunicipalityFactory(),
                population=10_000 * (n + 1),
                topics=[topics["rpa"], topics["chatbot"]][: 1 + n % 2],
                technologies=f"RPA, 製品{n}",
                started=day(2019 + n % 5),
                figure_status=["published", "estimate"][n % 2],
                metrics=[hours(10 * n + 1), {"kind": "other", "name": f"指標{n}", "value": n}],
            )

    def cached_queries(params):
        render(client, case_index.url, params)
        response, sql = render(client, case_index.url, params)
        return len(sql), response

    busy = {"topic": "rpa", "sort": "hours", "technology": "RPA", "band": "10k-50k"}
    add_cases(3, 0)
    few, few_response = cached_queries({})
    few_busy, _response = cached_queries(busy)
    add_cases(12, 3)
    many, many_response = cached_queries({})
    many_busy, _response = cached_queries(busy)
    assert len(few_response.context["cases"]) == 3
    assert len(many_response.context["cases"]) == 12
    assert (many, many_busy) == (few, few_busy)


# --- Replaced by what the listing shows ----------------------------------------------------------


def test_publishing_and_unpublishing_a_case_changes_the_counts(client, case_index, library):
    before, _sql = render(client, case_index.url)
    assert before.context["result_count"] == 2
    assert counts(before, "topic") == {"rpa": 1, "chatbot": 1}

    library["draft"].save_revision().publish()
    published, _sql = render(client, case_index.url)
    assert published.context["result_count"] == 3
    assert counts(published, "topic") == {"rpa": 2, "chatbot": 1}
    assert counts(published, "kind") == {"city": 1, "town": 2}

    library["draft"].refresh_from_db()
    library["draft"].unpublish()
    unpublished, _sql = render(client, case_index.url)
    assert shown(unpublished)[:2] == shown(before)[:2]


def test_deleting_a_case_changes_the_counts(client, case_index, library):
    render(client, case_index.url)
    library["b"].delete()
    after, _sql = render(client, case_index.url)
    assert after.context["result_count"] == 1
    assert counts(after, "prefecture") == {"13": 1}


def test_a_case_s_place_topics_and_metrics_replace_the_generation(
    client, case_index, library, tokyo, topics
):
    render(client, case_index.url)

    old = generation()
    town = library["b"].municipality
    town.prefecture = tokyo
    town.save()
    assert generation() != old
    assert counts(render(client, case_index.url)[0], "prefecture") == {"13": 2}

    topics["chatbot"].name_ja = "対話AI"
    topics["chatbot"].save()
    renamed, _sql = render(client, case_index.url)
    topic_facet = next(f for f in renamed.context["facets"] if f.name == "topic")
    assert {o.value: o.label for o in topic_facet.options}["chatbot"] == "対話AI"

    old = generation()
    case = library["a"]
    case.topics.add(topics["chatbot"])  # a page's topics are written when committed
    case.topics.commit()
    assert generation() != old
    assert counts(render(client, case_index.url)[0], "topic") == {"rpa": 1, "chatbot": 2}

    old = generation()
    metric = Metric.objects.get(page=case)
    metric.value = 400
    metric.save()
    assert generation() != old
    assert "400 時間" in render(client, case_index.url)[0].content.decode()


# --- And by nothing else -----------------------------------------------------------------------


def test_questions_answers_votes_and_enrolments_keep_the_generation(
    client, case_index, library, home_page, topics, django_capture_on_commit_callbacks
):
    asker, answerer, voter = (UserFactory() for _ in range(3))
    for user in (asker, answerer, voter):  # trusted: their posts are published at once
        Member.objects.update_or_create(user=user, defaults={"approved_posts": 10})
    course = CoursePageFactory(parent=home_page)
    render(client, case_index.url)
    kept = generation()
    _first, cached_sql = render(client, case_index.url)

    with django_capture_on_commit_callbacks(execute=True):
        question = posting.ask(
            asker,
            title="RPAの対象業務の選び方は？",
            body="人口3万人の町です。",
            topics=[topics["rpa"]],
            case_study=library["a"],
        )
        reply = posting.answer(answerer, question, body="定型で量の多い業務からです。")
        posting.vote(voter, reply, 1)
        posting.comment(voter, reply, body="参考になります。")
        Enrolment.objects.create(user=asker, course=course)
        profile = asker.profile
        profile.display_name = "山田"
        profile.save()

    assert generation() == kept
    _again, sql = render(client, case_index.url)
    assert len(sql) == len(cached_sql)


def test_a_draft_of_a_live_case_keeps_the_generation(client, case_index, library):
    render(client, case_index.url)
    kept = generation()
    case = library["a"]
    case.title = "まだ公開しない題"
    case.save_revision()
    assert generation() == kept
    assert "まだ公開しない題" not in render(client, case_index.url)[0].content.decode()


# --- A cache that fails ------------------------------------------------------------------------


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("the cache is down")

        return fail


def test_a_failing_cache_still_renders_the_counts(client, case_index, library, monkeypatch):
    expected = shown(render(client, case_index.url, {"prefecture": "13"})[0])
    monkeypatch.setattr(generations, "cache", BrokenCache())
    response, _sql = render(client, case_index.url, {"prefecture": "13"})
    assert shown(response) == expected
    # A change is still made when the generation cannot be replaced.
    library["draft"].save_revision().publish()
    assert render(client, case_index.url)[0].context["result_count"] == 3
