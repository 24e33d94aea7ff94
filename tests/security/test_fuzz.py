"""Hostile input, generated: every public parameter and form of the site is fed Japanese,
full-width and control characters, NUL bytes, lone surrogates, bidi marks, very long strings,
SQL- and HTML-looking text and raw bytes that are not UTF-8. Nothing may answer with a 5xx, and
the test client re-raises any exception a view lets escape. A refused form shows a translated
error and gives back what was typed.

Examples are derandomised (reproducible in CI) and each runs in a savepoint that is rolled back,
with the cache (rate limits) emptied, so one example never sees another's posts."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import quote, quote_from_bytes

import pytest
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casestudies.models import CaseStudyIndexPage
from curriculum import progress as learning
from curriculum import quizzes
from curriculum.models import Choice, LessonPage, Quiz, QuizItem, QuizQuestion
from knowledge import posting
from tests.casestudies.conftest import CaseFactory, hours
from tests.curriculum.conftest import course  # noqa: F401  (the curriculum's course fixture)
from tests.factories import MunicipalityFactory, TopicFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)


# What people (and attackers) actually type, mixed into the random text.
FRAGMENTS = [
    "自治体DX",
    "ｸﾗｳﾄﾞ",
    "ＡＢＣ１２３",
    "𠮷野家",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "' OR 1=1 --",
    "'; DROP TABLE people_user; --",
    '" onmouseover="alert(1)',
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "{{ 7*7 }}",
    "{% debug %}",
    "%(x)s %s",
    "../../etc/passwd",
    "\\",
    "\r\n",
    "\t",
    "NaN",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "٣",
    "🇯🇵",
    "a\u0301",
    "*",
    '"',
    "-",
    "AND OR NOT",
]
FRAGMENT = st.sampled_from(FRAGMENTS)
LONE_SURROGATES = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3
)


def hostile_text(max_size: int = 60):
    return st.one_of(
        st.text(max_size=max_size),
        FRAGMENT,
        st.lists(st.one_of(FRAGMENT, st.text(max_size=8)), max_size=8).map("".join),
    )


def very_long(low: int, high: int):
    return st.integers(low, high).map(lambda n: ("自治体DX " * (n // 6 + 1))[:n])


def _as_bytes(text: str) -> bytes:
    # surrogatepass: a lone surrogate goes out as the bytes a broken client would send.
    return text.encode("utf-8", "surrogatepass")


# A query-string value: text (lone surrogates included), raw bytes that are not UTF-8, or long.
QUERY_VALUE = st.one_of(
    hostile_text().map(_as_bytes),
    LONE_SURROGATES.map(_as_bytes),
    st.binary(max_size=24),
    st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe", b"\xe3\x82", b"\xc0\xaf", b""]),
    very_long(300, 5000).map(_as_bytes),
)


def query_strings(names: list[str], max_pairs: int = 6):
    """Pairs from the documented parameter names (repeats included), now and then an unknown one."""
    name = st.one_of(st.sampled_from(names), st.text(max_size=6))
    pairs = st.lists(st.tuples(name, QUERY_VALUE), max_size=max_pairs)
    return pairs.map(
        lambda items: "&".join(
            f"{quote(k, safe='')}={quote_from_bytes(v, safe='')}" for k, v in items
        )
    )


@contextmanager
def rolled_back():
    """One example's writes are undone when it ends; its rate limits are forgotten."""
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def strict_client(user=None) -> Client:
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    return client


def assert_no_server_error(response, what=""):
    assert response.status_code < 500, f"{response.status_code} for {what}"


# --- The site the fuzzing runs against ------------------------------------------------------


@pytest.fixture
def site_data(home_page, course):  # noqa: F811
    rpa = TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")
    ocr = TopicFactory(slug="ai-ocr", name_ja="AI-OCR", name_en="AI-OCR")
    index = CaseStudyIndexPage(
        title="事例ライブラリ", slug="case-studies", intro="自治体の取組事例です。"
    )
    home_page.add_child(instance=index)
    index.save_revision().publish()
    make_case = CaseFactory(index)
    case_a = make_case(
        title="RPAで税務の入力を自動化",
        topics=[rpa],
        population=30000,
        technologies="RPA, AI-OCR",
        metrics=[hours(1200)],
        cost_initial_yen=3_000_000,
    )
    case_b = make_case(title="AI-OCRで申請書を読み取り", topics=[ocr], metrics=[hours(300)])

    asker = make_member("山田 花子")
    answerer = make_member("佐藤 健一")
    asker.profile.municipality = MunicipalityFactory()
    question = posting.ask(
        asker,
        title="RPAに向く業務の見分け方は？",
        body="人口3万人の町です。RPAを入れる業務をどう選べばよいでしょうか。",
        topics=[rpa],
    )
    answer = posting.answer(
        answerer,
        question,
        body="大量・定型・ルールが明確で、入力先のシステムが安定している業務が向いています。",
    )

    single = QuizItem(kind="single", text="CIOに望ましいのは")
    single.choices = [Choice(text="副市長など", correct=True), Choice(text="課長", correct=False)]
    single.save()
    short = QuizItem(kind="short", text="1人以下の団体数は", accepted_answers="292")
    short.save()
    quiz = Quiz(title="確認テスト", pass_mark=50, attempt_limit=0, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=single), QuizQuestion(question=short)]
    quiz.save()
    lesson = LessonPage.objects.get(slug="steps")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    lesson = LessonPage.objects.get(pk=lesson.pk)
    learning.enrol(asker, course)

    return SimpleNamespace(
        topics=[rpa, ocr],
        index=index,
        cases=[case_a, case_b],
        asker=asker,
        answerer=answerer,
        question=question,
        answer=answer,
        course=course,
        lesson=lesson,
        quiz_items=[single, short],
    )


# --- GET parameters ---------------------------------------------------------------------------

SEARCH_PARAMETERS = ["q", "type", "topic", "page", "format", "status", "band", "figures"]


@fuzz(40)
@given(query=query_strings(SEARCH_PARAMETERS))
def test_site_search_parameters(site_data, query):
    client = strict_client()
    for suffix in ("", "&format=json"):
        response = client.get(f"/search/?{query}{suffix}")
        assert_no_server_error(response, query)
        if suffix and response.status_code == 200:
            assert {"query", "total", "results", "facets"} <= set(response.json())


QUESTION_LIST_PARAMETERS = ["sort", "tab", "topic", "status", "page", "period"]


@fuzz(30)
@given(query=query_strings(QUESTION_LIST_PARAMETERS), similar=QUERY_VALUE)
def test_question_list_and_similar(site_data, query, similar):
    client = strict_client()
    assert_no_server_error(client.get(f"/questions/?{query}"), query)
    assert_no_server_error(client.get(f"/en/questions/?{query}"), query)
    response = client.get(f"/questions/similar/?q={quote_from_bytes(similar, safe='')}")
    assert_no_server_error(response, similar)
    assert response.status_code == 200 and "results" in response.json()
    revisions = (
        f"/questions/question/{site_data.question.pk}/revisions/?{query.replace('page', 'to')}"
    )
    assert_no_server_error(client.get(revisions), query)


CASE_PARAMETERS = [
    "prefecture",
    "kind",
    "band",
    "topic",
    "technology",
    "year",
    "status",
    "sort",
    "page",
]
COMPARE_PARAMETERS = ["ids"]
BENCHMARK_PARAMETERS = ["topic", "metric", "status", "code", "municipality", "band"]


@fuzz(30)
@given(
    listing=query_strings(CASE_PARAMETERS),
    compare=query_strings(COMPARE_PARAMETERS),
    benchmark=query_strings(BENCHMARK_PARAMETERS),
)
def test_case_study_listing_compare_and_benchmark(site_data, listing, compare, benchmark):
    client = strict_client()
    base = site_data.index.url
    for url in (
        f"{base}?{listing}",
        f"{base}compare/?{compare}",
        f"{base}benchmark/?{benchmark}",
        f"{base}feed/?{listing}",
    ):
        assert_no_server_error(client.get(url), url)


LEARNING_PARAMETERS = ["page", "tab", "topic", "role", "q", "format", "table", "next"]


@fuzz(20)
@given(query=query_strings(LEARNING_PARAMETERS))
def test_learning_pages_and_directory(site_data, query):
    client = strict_client(site_data.asker)
    for url in (
        site_data.course.url,
        site_data.lesson.url,
        "/learn/",
        "/credentials/framework/",
        "/career/",
        "/people/",
        "/credentials/verify/",
    ):
        assert_no_server_error(client.get(f"{url}?{query}"), f"{url}?{query}")


API_PARAMETERS = [
    "type",
    "fields",
    "order",
    "search",
    "search_operator",
    "limit",
    "offset",
    "child_of",
    "descendant_of",
    "ancestor_of",
    "locale",
    "translation_of",
    "slug",
    "title",
    "id",
    "has_children",
    "show_in_menus",
]
API_FIELDS = st.sampled_from(
    ["*", "_", "-title", "title,-title", "body(*)", "parent(id", "owner", "a(b(c))", "*,-id"]
)


@fuzz(30)
@given(
    query=query_strings(API_PARAMETERS),
    fields=API_FIELDS,
    kind=st.sampled_from(["casestudies.CaseStudyPage", "core.HomePage", "wagtailcore.Page", "x.Y"]),
)
def test_wagtail_api_parameters(site_data, query, fields, kind):
    client = strict_client()
    for endpoint in ("pages", "images", "documents"):
        url = f"/api/v2/{endpoint}/?{query}"
        assert_no_server_error(client.get(url), url)
    url = f"/api/v2/pages/?type={kind}&fields={quote(fields)}&{query}"
    assert_no_server_error(client.get(url), url)
    detail = f"/api/v2/pages/{site_data.cases[0].pk}/?{query}"
    assert_no_server_error(client.get(detail), detail)


# --- POST /api/credentials/verify -------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text(30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    ["@context", "type", "issuer", "proof", "credentialSubject", "validFrom"]
                ),
                hostile_text(10),
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


def _nested(depth: int) -> bytes:
    return b'{"credential":' + b"[" * depth + b"]" * depth + b"}"


VERIFY_BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False, allow_nan=True).encode()),
    JSON_VALUES.map(lambda v: json.dumps({"credential": v}).encode()),
    st.integers(1, 5_000).map(_nested),
    st.integers(4000, 20_000).map(lambda n: b'{"credential": ' + b"9" * n + b"}"),
    st.sampled_from([b"1e99999", b"-1e400", b'{"jwt": "a.b.c"}', b"eyJ.eyJ.x", b"\xef\xbb\xbf{}"]),
    hostile_text().map(_as_bytes),
)


@fuzz(50)
@given(body=VERIFY_BODIES, content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_credential_verify_api(site_data, body, content_type):
    response = strict_client().post("/api/credentials/verify", data=body, content_type=content_type)
    assert_no_server_error(response, body[:80])
    report = response.json()
    assert set(report) == {"verified", "checks", "errors"}
    assert report["verified"] is False
    if response.status_code == 400:
        assert report["errors"] and all(_is_japanese(e) for e in report["errors"]), report


# --- Forms ------------------------------------------------------------------------------------

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")


def _is_japanese(text: str) -> bool:
    return bool(JAPANESE.search(str(text)))


def form_text(max_size: int = 60, long_low: int = 100, long_high: int = 400):
    return st.one_of(hostile_text(max_size), very_long(long_low, long_high))


def assert_refused_form_is_helpful(response, form_name: str, typed: dict[str, str]):
    """The form came back: it says in Japanese what is wrong, and what was typed is there."""
    form = response.context[form_name]
    html = response.content.decode()
    shown_errors = [str(e) for errors in form.errors.values() for e in errors]
    shown_messages = [
        str(m) for m in response.context["messages"] if m.level == message_levels.ERROR
    ]
    assert shown_errors or shown_messages, "refused without saying why"
    for message in shown_errors + shown_messages:
        assert _is_japanese(message), f"untranslated error: {message!r}"
        assert escape(message) in html
    for name, value in typed.items():
        if name in form.fields and value.strip():
            assert form[name].value() == value
            assert escape(value) in html, f"{name} was not given back"


@fuzz(20)
@given(
    title=form_text(60, 140, 400),
    body=st.one_of(form_text(80), very_long(20_001, 21_000)),
    topics=st.lists(st.one_of(st.integers(-5, 10**12).map(str), hostile_text(5)), max_size=5),
    anonymous=st.sampled_from(["", "on", "\x00", "yes"]),
)
def test_ask_a_question(site_data, title, body, topics, anonymous):
    client = strict_client(site_data.asker)
    data = {"title": title, "body": body, "topics": topics, "is_anonymous": anonymous}
    with rolled_back():
        response = client.post("/questions/ask/", data)
        assert_no_server_error(response, data)
        if response.status_code != 302:
            assert_refused_form_is_helpful(response, "form", {"title": title, "body": body})


@fuzz(20)
@given(
    body=st.one_of(form_text(80), very_long(19_000, 25_000)),
    action=st.sampled_from(["", "preview"]),
)
def test_answer_a_question(site_data, body, action):
    client = strict_client(site_data.answerer)
    with rolled_back():
        response = client.post(
            f"/questions/{site_data.question.pk}/answer/", {"body": body, "action": action}
        )
        assert_no_server_error(response, body[:80])
        if response.status_code != 302 and action != "preview":
            assert_refused_form_is_helpful(response, "answer_form", {"body": body})


@fuzz(20)
@given(
    body=st.one_of(form_text(40), very_long(590, 2000)),
    kind=st.sampled_from(["question", "answer", "comment", "x"]),
    reason=st.one_of(st.sampled_from(["spam", "offensive", "other"]), hostile_text(10)),
    note=form_text(40, 480, 900),
)
def test_comment_and_flag(site_data, body, kind, reason, note):
    client = strict_client(site_data.answerer)
    target = site_data.question.pk if kind == "question" else site_data.answer.pk
    with rolled_back():
        response = client.post(f"/questions/{kind}/{target}/comment/", {"body": body})
        assert_no_server_error(response, body[:80])
        if response.status_code == 200:
            assert_refused_form_is_helpful(response, "comment_form", {"body": body})
        response = client.post(
            f"/questions/{kind}/{target}/flag/", {"reason": reason, "note": note}
        )
        assert_no_server_error(response, (reason, note[:80]))
        if response.status_code == 200 and kind in ("question", "answer"):
            assert_refused_form_is_helpful(response, "form", {"note": note})


@fuzz(20)
@given(
    display_name=form_text(30, 61, 200),
    bio=form_text(60, 2000, 5000),
    municipality=st.one_of(st.just(""), hostile_text(8), st.integers(-1, 10**20).map(str)),
    expertise=st.lists(st.one_of(st.integers(-1, 10**20).map(str), hostile_text(4)), max_size=3),
    role=hostile_text(6),
)
def test_profile_edit(site_data, display_name, bio, municipality, expertise, role):
    client = strict_client(site_data.asker)
    profile = site_data.asker.profile
    data = {
        "display_name": display_name,
        "municipality": municipality,
        "department": display_name,
        "job_title": display_name,
        "current_role": role,
        "target_role": role,
        "bio": bio,
        "expertise": expertise,
        "is_public": "on",
    }
    with rolled_back():
        response = client.post(f"/people/{profile.pk}/edit/", data)
        assert_no_server_error(response, data)
        if response.status_code != 302:
            assert_refused_form_is_helpful(
                response, "form", {"display_name": display_name, "bio": bio}
            )


STEP_FIELDS = {
    "basics": [
        "title",
        "summary",
        "municipality",
        "population",
        "population_source",
        "topics",
        "technologies",
        "started",
        "ended",
    ],
    "story": ["problem", "approach", "team", "partners", "procurement_route"],
    "outcomes": [
        "figure_status",
        "cost_initial_yen",
        "cost_annual_yen",
        "metrics-TOTAL_FORMS",
        "metrics-INITIAL_FORMS",
        "metrics-0-kind",
        "metrics-0-name",
        "metrics-0-value",
        "metrics-0-unit",
    ],
    "lessons": [
        "lessons",
        "pitfalls",
        "attachment_description",
        "sources-TOTAL_FORMS",
        "sources-INITIAL_FORMS",
        "sources-0-title",
        "sources-0-url",
        "sources-0-retrieved_on",
    ],
}
CASE_VALUE = st.one_of(
    form_text(30, 300, 1200),
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(["2024-02-30", "0000-00-00", "9999-12-31", "1e5", "NaN", "Infinity", "-0"]),
)


@fuzz(30)
@given(
    step=st.sampled_from(list(STEP_FIELDS)),
    values=st.data(),
    action=st.sampled_from(["", "next", "preview"]),
)
def test_case_study_submission_steps(site_data, step, values, action):
    client = strict_client(site_data.asker)
    fields = STEP_FIELDS[step]
    data = {name: values.draw(CASE_VALUE, label=name) for name in fields}
    data["action"] = action
    with rolled_back():
        if step == "basics":
            url = "/case-studies/new/"
        else:
            url = f"/case-studies/{site_data.cases[0].pk}/edit/{step}/"
        response = client.post(url, data)
        assert_no_server_error(response, (step, data))


@fuzz(20)
@given(
    answers=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["single", "short"]), hostile_text(6)),
            st.one_of(
                st.integers(-(10**20), 10**20).map(str), hostile_text(20), very_long(200, 600)
            ),
        ),
        max_size=5,
    )
)
def test_quiz_submission_with_random_choices(site_data, answers):
    client = strict_client(site_data.asker)
    names = {
        "single": f"q-{site_data.quiz_items[0].pk}",
        "short": f"q-{site_data.quiz_items[1].pk}",
    }
    data: dict[str, list[str]] = {}
    for key, value in answers:
        data.setdefault(names.get(key, f"q-{key}"), []).append(value)
    with rolled_back():
        attempt = quizzes.start_attempt(site_data.asker, site_data.lesson)
        response = client.post(f"/learn/attempts/{attempt.pk}/", data)
        assert_no_server_error(response, data)
        assert response.status_code == 302


@fuzz(20)
@given(
    body=st.one_of(
        st.binary(max_size=120),
        hostile_text().map(lambda s: b"title=" + quote_from_bytes(_as_bytes(s)).encode()),
        LONE_SURROGATES.map(lambda s: b"title=" + _as_bytes(s) + b"&body=" + _as_bytes(s) * 20),
        st.sampled_from([b"title=%ED%A0%80&body=%FF%FE", b"%", b"&&==&", b"title[]=1&title[]=2"]),
    ),
    url=st.sampled_from(["/questions/ask/", "/credentials/verify/", "/case-studies/new/"]),
)
def test_raw_form_bodies(site_data, body, url):
    """Bodies a browser would never send: invalid UTF-8, lone surrogates, broken encoding."""
    client = strict_client(site_data.asker)
    with rolled_back():
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert_no_server_error(response, body[:80])
