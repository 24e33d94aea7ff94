"""Caching: the anonymous page cache and its invalidation, conditional responses, the Markdown
fragment cache, static files as production serves them, and facet counts that cost the same
number of queries however many values there are."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.signals import post_delete
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from core import caching
from core.models import Topic
from knowledge import posting
from knowledge.models import Question, Vote
from tests.casestudies.conftest import CaseFactory
from tests.factories import MunicipalityFactory, PrefectureFactory, TopicFactory, UserFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    yield
    from django.utils import translation

    translation.activate("ja")


def get(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, response.get("X-Page-Cache")


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def asker(db):
    return make_member("山田 花子")


@pytest.fixture
def answerer(db):
    return make_member("佐藤 健一")


@pytest.fixture
def voter(db):
    return make_member("高橋 誠")


@pytest.fixture
def question(home_page, asker):
    topic = TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")
    return posting.ask(
        asker,
        title="RPAに向く業務の見分け方は？",
        body="人口3万人の町です。**RPA**を入れる業務をどう選べばよいでしょうか。",
        topics=[topic],
    )


# --- the page cache -------------------------------------------------------------------------------


def test_an_anonymous_page_is_served_from_the_cache_the_second_time(client, home_page):
    first, state = get(client, "/")
    assert first.status_code == 200 and state == "miss"
    second, state = get(client, "/")
    assert state == "hit"
    assert body(second) == body(first)
    assert second["ETag"] == first["ETag"]
    assert "Cookie" in second["Vary"]


def test_a_matching_if_none_match_gets_304_from_the_cache(client, home_page):
    first, _ = get(client, "/")
    again = client.get("/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_languages_are_cached_apart(client, home_page):
    get(client, "/")
    get(client, "/en/")
    ja, state_ja = get(client, "/")
    en, state_en = get(client, "/en/")
    assert (state_ja, state_en) == ("hit", "hit")
    assert 'lang="ja"' in body(ja) and 'lang="en"' in body(en)


def test_signed_in_members_never_see_or_fill_the_cache(client, home_page):
    member = UserFactory()
    get(client, "/")
    client.force_login(member)
    response, state = get(client, "/")
    assert state is None
    assert reverse("account_logout") in body(response)  # their own header, not the cached one
    assert get(Client(), "/")[1] == "hit"  # and what anonymous visitors get is unchanged
    assert reverse("account_logout") not in body(get(Client(), "/")[0])


def test_a_page_with_messages_waiting_is_neither_served_nor_stored(client, home_page):
    member = UserFactory()
    client.force_login(member)
    get(Client(), "/")  # cached for everyone else
    client.post(reverse("account_logout"))  # signed out, with a message waiting
    response, state = get(client, "/")
    assert state is None
    assert "message" in body(response)
    assert get(client, "/")[1] == "hit"  # shown once; then the shared copy again


def test_not_found_and_post_are_not_cached(client, home_page):
    assert get(client, "/nothing-here/")[0].status_code == 404
    assert get(client, "/nothing-here/")[1] == "skip"  # looked for, never stored
    assert client.post(reverse("knowledge:list")).get("X-Page-Cache") is None


def test_views_outside_the_list_are_not_cached(client, home_page):
    response, state = get(client, reverse("search:search") + "?q=RPA")
    assert response.status_code == 200 and state is None
    assert get(client, "/healthz")[1] is None


def test_a_response_that_sets_a_cookie_or_uses_a_csrf_token_is_not_stored(
    client, home_page, settings
):
    settings.PAGE_CACHE_VIEWS = {*caching.DEFAULT_CACHED_VIEWS, "account_login"}
    response, state = get(client, reverse("account_login"))
    assert response.status_code == 200 and "csrfmiddlewaretoken" in body(response)
    assert state == "skip"
    assert get(client, reverse("account_login"))[1] == "skip"


def test_a_restricted_page_is_never_stored(client, home_page):
    PageViewRestriction.objects.create(
        page=home_page, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    response, state = get(client, "/")
    assert response.status_code == 200  # the password form
    assert state == "skip"
    assert get(client, "/")[1] == "skip"


def test_switched_off_it_does_nothing(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    assert get(client, "/")[1] is None
    assert get(client, "/")[1] is None


def test_a_per_process_cache_is_flagged(settings):
    assert [w.id for w in caching.check_shared_cache()] == ["core.W001"]  # locmem in tests
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "x"}}
    assert caching.check_shared_cache() == []
    settings.PAGE_CACHE_SECONDS = 0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert caching.check_shared_cache() == []


def test_a_cache_that_fails_leaves_pages_working(client, home_page, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caching, "_cache", broken)
    response, state = get(client, "/")
    assert response.status_code == 200 and state is None


# --- invalidation -------------------------------------------------------------------------------


def test_publishing_a_page_shows_at_once(client, home_page):
    get(client, "/")
    assert get(client, "/")[1] == "hit"
    home_page.title = "新しいホーム"
    home_page.save_revision().publish()
    response, state = get(client, "/")
    assert state == "miss" and "新しいホーム" in body(response)


def test_unpublishing_moving_and_deleting_pages(client, home_page, settings):
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    from casestudies.models import CaseStudyIndexPage

    index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies", intro="事例です。")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    make_case = CaseFactory(index)
    case = make_case(title="窓口のRPA")
    other = make_case(title="AI-OCRの導入")

    def listing():
        return body(get(client, index.url)[0])

    assert "窓口のRPA" in listing() and "窓口のRPA" in listing()
    assert get(client, index.url)[1] == "hit"
    case.unpublish()
    assert "窓口のRPA" not in listing()

    before = caching.current_generation()
    other.move(home_page, pos="last-child")
    assert caching.current_generation() != before
    assert "AI-OCRの導入" not in listing()

    third = make_case(title="チャットボット")
    assert "チャットボット" in listing()
    Page.objects.get(pk=third.pk).delete()
    assert "チャットボット" not in listing()


def test_answers_votes_acceptance_and_hiding_show_at_once(client, question, asker, answerer, voter):
    url = question.get_absolute_url()
    get(client, url)
    assert get(client, url)[1] == "hit"

    reply = posting.answer(answerer, question, body="大量・定型の業務から始めましょう。")
    response, state = get(client, url)
    assert state == "miss" and "大量・定型の業務から" in body(response)

    posting.vote(voter, reply, Vote.UP)
    response, state = get(client, url)
    assert state == "miss"
    score = re.search(
        rf'id="answer-{reply.pk}".*?data-score[^>]*>.*?</span>(-?\d+)</span>', body(response), re.S
    )
    assert score and score.group(1) == "1"

    posting.accept(asker, reply)
    response, _ = get(client, url)
    assert "qa-answer--accepted" in body(response)

    moderator = make_member("鈴木 真理")
    from django.contrib.auth.models import Group

    moderator.groups.add(Group.objects.get(name="Moderators"))
    posting.hide(moderator, reply, reason="spam")
    response, _ = get(client, url)
    assert "大量・定型の業務から" not in body(response)


def test_editing_a_question_and_a_topic_show_in_the_list(client, question, asker):
    url = reverse("knowledge:list")
    get(client, url)
    posting.edit(asker, question, body=question.body, title="RPAの対象業務の選び方", summary="")
    assert "RPAの対象業務の選び方" in body(get(client, url)[0])
    topic = Topic.objects.get(slug="rpa")
    topic.name_ja = "ロボティック・プロセス・オートメーション"
    topic.save()
    assert "ロボティック・プロセス・オートメーション" in body(get(client, url)[0])


def test_the_feed_is_cached_and_follows_new_questions(client, question, answerer):
    url = reverse("knowledge:feed")
    first, _ = get(client, url)
    assert first.status_code == 200
    assert get(client, url)[1] == "hit"
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    posting.ask(
        answerer, title="AI-OCRの読取精度はどのくらい？", body="読み取り精度が知りたいです。"
    )
    response, state = get(client, url)
    assert state == "miss" and "AI-OCRの読取精度" in body(response)


# Every transactional test here restores what the migrations created (serialized_rollback): a
# plain flush would let post_migrate recreate content types under new ids, which a later
# serialized test (tests/test_migrations.py) cannot load over.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_generation_changes_again_when_the_transaction_commits(settings):
    seen = []
    with transaction.atomic():
        before = caching.current_generation()
        TopicFactory(slug="rpa")
        TopicFactory(slug="ai-ocr")
        seen.append(caching.current_generation())
        # One callback for the whole transaction, however many rows it writes.
        pending = [e for e in connection.run_on_commit if e[1] is caching.new_generation]
        assert len(pending) == 1
    # A page rendered before the commit, from data not yet committed, is tagged with a
    # generation that the commit replaced.
    assert seen[0] != before
    assert caching.current_generation() not in (before, seen[0])


def test_signing_in_does_not_empty_the_cache(client, home_page):
    member = UserFactory()
    member.set_password("correct horse battery")
    member.save()
    before = caching.current_generation()
    member.last_login = timezone.now()
    member.save(update_fields=["last_login"])
    assert caching.current_generation() == before


def test_unwatched_models_keep_djangos_fast_delete():
    # A post_delete receiver for every sender would make Django fetch each session row before
    # deleting it; the cache listens to the models that matter only.
    assert not post_delete.has_listeners(Session)
    assert post_delete.has_listeners(Question)
    assert post_delete.has_listeners(Topic)


def test_personal_records_do_not_empty_the_cache(question, voter):
    before = caching.current_generation()
    from knowledge import notifications

    notifications.subscribe(voter, question=question)
    assert caching.current_generation() == before


# --- rendered Markdown ---------------------------------------------------------------------------


def test_rendered_markdown_is_reused_for_signed_in_readers_and_follows_edits(
    client, question, asker, voter, monkeypatch
):
    client.force_login(voter)
    url = question.get_absolute_url()
    assert "<strong>RPA</strong>" in body(client.get(url))
    keys = [k for k in cache._cache if caching.MARKDOWN_PREFIX in k]  # locmem's keys
    assert len(keys) == 1

    from core import markdown

    rendered = []
    real = markdown.render_markdown
    monkeypatch.setattr(
        markdown, "render_markdown", lambda text: rendered.append(text) or real(text)
    )
    html = body(client.get(url))
    assert rendered == [] and "<strong>RPA</strong>" in html  # from the cache, not rendered again
    posting.edit(asker, question, body="**AI-OCR**の話に変えました。", summary="")
    html = body(client.get(url))
    assert "<strong>AI-OCR</strong>" in html and "<strong>RPA</strong>" not in html
    assert rendered == ["**AI-OCR**の話に変えました。"]
    # Signed in: the personal parts are rendered for this member, around the cached Markdown.
    assert "data-vote-form" in html


def test_markdown_of_a_question_and_its_answers_is_fetched_in_one_round_trip(
    question, answerer, monkeypatch
):
    bodies = [question.body, *(f"回答{n}の**本文**" for n in range(5))]
    calls = []
    real_get_many = cache.get_many
    monkeypatch.setattr(
        cache, "get_many", lambda keys: calls.append(len(keys)) or real_get_many(keys)
    )
    first = caching.rendered_markdown(bodies)
    again = caching.rendered_markdown(bodies)
    assert calls == [6, 6]
    assert first == again and str(again["回答0の**本文**"]).count("<strong>本文</strong>") == 1
    # Markup stays sanitised: what is cached is what render_markdown made of the text.
    unsafe = caching.rendered_markdown(["<script>alert(1)</script>[x](javascript:alert(1))"])
    assert "<script" not in str(next(iter(unsafe.values())))
    assert "javascript:" not in str(next(iter(unsafe.values())))


# --- conditional responses for credentials ----------------------------------------------------


@pytest.fixture
def award(home_page):
    from curriculum.credentials import awarding
    from tests.factories import CredentialDefinitionFactory

    definition = CredentialDefinitionFactory(name_ja="自治体DX基礎", name_en="DX basics")
    return awarding.award_manually(UserFactory(), definition, awarded_by=None, reason="テスト")


def test_the_status_list_answers_304_until_a_revocation(client, award):
    from curriculum.credentials import awarding

    url = award.credential["credentialStatus"]["statusListCredential"].removeprefix(
        "http://testserver"
    )
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('W/"')
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    awarding.revoke(award, by=None, reason="誤発行")
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_the_credential_download_answers_304_only_while_it_is_shared(client, award):
    award.is_public = True
    award.save()
    url = reverse("credentials:download_json", args=[award.uuid])
    first = client.get(url)
    assert first.status_code == 200 and json.loads(first.content) == award.credential
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    award.is_public = False
    award.save()
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 404


# --- static files as production serves them ----------------------------------------------------


def test_collectstatic_hashes_and_compresses_and_whitenoise_serves_far_future(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    original = (settings.STATIC_ROOT / hashed).read_bytes()
    assert gzip.decompress((settings.STATIC_ROOT / f"{hashed}.gz").read_bytes()) == original
    # Brotli is not a dependency: WhiteNoise writes .br files only when it is installed.
    try:
        import brotli  # noqa: F401
    except ImportError:
        assert not (settings.STATIC_ROOT / f"{hashed}.br").exists()
    else:
        assert (settings.STATIC_ROOT / f"{hashed}.br").exists()

    from django.templatetags.static import static

    assert static("css/site.css") == f"/static/{hashed}"
    response = Client().get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1)) >= 365 * 86400
    plain = Client().get("/static/css/site.css")
    assert "immutable" not in plain.get("Cache-Control", "")
    content = b"".join(response.streaming_content)
    assert gzip.decompress(content) == original


# --- facet counts ---------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_case_facets_cost_the_same_however_many_values(client, home_page, settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.WAGTAILSEARCH_BACKENDS = {
        name: {**conf, "AUTO_UPDATE": False}
        for name, conf in settings.WAGTAILSEARCH_BACKENDS.items()
    }
    from datetime import date

    from casestudies.models import CaseStudyIndexPage

    index = CaseStudyIndexPage(title="事例ライブラリ", slug="case-studies", intro="事例です。")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    make_case = CaseFactory(index)
    kinds = ["city", "town", "village"]

    def add(start, number):
        for n in range(start, start + number):
            prefecture = PrefectureFactory(
                code=f"{n + 1:02d}", name=f"県{n}", kana=f"けん{n}", name_en=f"Ken {n}"
            )
            make_case(
                title=f"事例{n}",
                municipality=MunicipalityFactory(prefecture=prefecture, kind=kinds[n % 3]),
                population=3_000 * (n + 1) ** 2,
                topics=[TopicFactory(slug=f"topic-{n}")],
                technologies=f"製品{n}, 共通基盤",
                started=date(2010 + n, 4, 1),
                figure_status=["published", "estimate", "illustrative"][n % 3],
            )

    add(0, 2)
    few, response = _queries(client, index.url)
    facets = {f.name: len(f.options) for f in response.context["facets"]}
    add(2, 8)
    many, response = _queries(client, index.url)
    more = {f.name: len(f.options) for f in response.context["facets"]}
    for name in ("prefecture", "topic", "technology", "year"):
        assert more[name] > facets[name], name
    assert many == few


def test_search_facets_come_from_the_index(client, home_page, asker, settings):
    """The same seven results under one topic, then under seven: the topic facet's counts come
    with the search itself, not from a query per topic."""
    settings.KNOWLEDGE_RATE_LIMITS = {}  # one member asks them all
    topics = [TopicFactory(slug=f"t{n}", name_ja=f"話題{n}") for n in range(7)]
    questions = [
        posting.ask(
            asker, title=f"RPAと話題{n}", body="RPAについての質問です。", topics=[topics[0]]
        )
        for n in range(7)
    ]
    call_command("update_index", verbosity=0)
    url = reverse("search:search")
    params = {"q": "RPA", "format": "json"}
    _queries(client, url, params)  # the synonyms are read once per process
    one, response = _queries(client, url, params)
    assert [f["count"] for f in response.json()["facets"]["topic"]] == [7]
    for question, topic in zip(questions, topics, strict=True):
        question.topics.set([topic])
    call_command("update_index", verbosity=0)  # what the queued indexing does after commit
    seven, response = _queries(client, url, params)
    assert len(response.json()["facets"]["topic"]) == 7
    assert seven == one
