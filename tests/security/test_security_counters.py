"""Security counters live where nothing evicts them and every process sees them (issue 19,
item 2): reading many pages, which fills the cache with rendered Markdown, does not lift a
sign-in lockout or a posting limit; two processes (two instances of the store) count together;
production refuses to start with a per-process store."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.core.internal import ratelimit
from django.core.cache import caches
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from core import counters
from core.models import SecurityCounter
from knowledge import posting
from knowledge.models import Answer, Question
from tests.factories import UserFactory
from tests.knowledge.conftest import make_member
from tests.test_settings import production_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


def login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def read_many_question_pages(client, pages=40, answers_each=10):
    """What a visitor (or an attacker) does: read question pages, each of whose question and
    answers go into the cache as rendered Markdown."""
    author, answerer = make_member("読まれる人"), make_member("答える人")
    now = timezone.now()
    questions = Question.objects.bulk_create(
        Question(
            title=f"質問その{n}について",
            body=f"質問本文 {n}",
            author=author,
            created_at=now,
            last_activity_at=now,
        )
        for n in range(pages)
    )
    Answer.objects.bulk_create(
        Answer(question=q, body=f"回答 {q.pk}-{m}", author=answerer, created_at=now)
        for q in questions
        for m in range(answers_each)
    )
    for question in questions:
        assert client.get(question.get_absolute_url()).status_code == 200


def test_reading_pages_does_not_lift_a_sign_in_lockout(client):
    UserFactory(email="target@example.jp")
    for _attempt in range(5):
        login(client, "target@example.jp", "wrong-password-123")
    assert not signed_in(client)

    read_many_question_pages(client)
    # 440 rendered posts went into the default cache, past the 300 it holds: it culled entries.
    assert len(caches["default"]._cache) < 40 * 11

    response = login(client, "target@example.jp")
    assert not signed_in(client), "the lockout survived the reading"
    assert response.status_code == 200


def test_reading_pages_does_not_reset_a_posting_limit(client, settings):
    settings.KNOWLEDGE_RATE_LIMITS = {"answer": 2}
    member = make_member("連投する人")
    asker = make_member("質問者")
    now = timezone.now()
    question = Question.objects.create(
        title="上限の確認のための質問",
        body="本文",
        author=asker,
        created_at=now,
        last_activity_at=now,
    )
    for n in range(2):
        posting.answer(member, question, body=f"回答です。十分な長さの本文 {n}。")
    read_many_question_pages(client)
    with pytest.raises(posting.RateLimited):
        posting.answer(member, question, body="三つ目の回答。十分な長さの本文です。")


def test_two_processes_share_the_counts():
    """Each process opens its own connection to the store; both see the same rows."""
    first = caches.create_connection(counters.ALIAS)
    second = caches.create_connection(counters.ALIAS)
    assert first is not second
    first.add("attempts", 0, timeout=60)
    assert first.incr("attempts") == 1
    assert second.incr("attempts") == 2
    assert first.get("attempts") == 2
    assert second.add("attempts", 0, timeout=60) is False


def test_the_lockout_counts_guesses_made_through_different_processes(client, monkeypatch):
    UserFactory(email="target@example.jp")
    workers = [caches.create_connection(counters.ALIAS) for _ in range(2)]
    for attempt in range(5):
        # Alternate guesses between two workers, as a load balancer would.
        monkeypatch.setattr(ratelimit, "cache", workers[attempt % 2])
        login(client, "target@example.jp", "wrong-password-123")
    login(client, "target@example.jp")
    assert not signed_in(client)


def test_entries_expire_and_expired_ones_are_swept():
    store = caches[counters.ALIAS]
    store.set("short", [1.0, 2.0], timeout=60)
    assert store.get("short") == [1.0, 2.0]
    SecurityCounter.objects.filter(key__endswith="short").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert store.get("short") is None
    with pytest.raises(ValueError):
        store.incr("short")
    assert store.add("short", 5, timeout=60) is True  # an expired entry does not block add
    assert store.get("short") == 5
    assert store.touch("short", 1) and store.delete("short")
    assert store.get("short", "gone") == "gone"


def test_allauth_counts_in_the_security_store(client):
    UserFactory(email="target@example.jp")
    login(client, "target@example.jp", "wrong-password-123")
    assert SecurityCounter.objects.filter(key__contains="login_failed").exists()
    assert not any("allauth" in str(key) for key in caches["default"]._cache)


def test_a_per_process_store_is_a_system_check_error(settings):
    settings.CACHES = {
        **settings.CACHES,
        "security": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    errors = [e for e in run_checks() if e.id == "core.E002"]
    assert errors and "per process" in errors[0].msg
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        counters.refuse_per_process_store_in_production()


def test_production_refuses_to_start_with_a_per_process_store(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(production_env(tmp_path))
    env["DJANGO_SETTINGS_MODULE"] = "tests.security.per_process_counters_settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "per process" in result.stderr


def test_the_setting_names_a_store_that_is_shared(settings):
    assert counters.security_store_problem() is None
    assert reverse("account_login")  # allauth is routed at start-up
    assert ratelimit.cache is counters.security_cache


def test_with_redis_the_counters_go_to_redis_under_their_own_prefix(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        production_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/7", SECURITY_COUNTERS="redis")
    )
    script = "from django.conf import settings; print(settings.CACHES['security'])"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "django_redis.cache.RedisCache" in result.stdout
    assert "cio-security" in result.stdout


@pytest.fixture
def redis_store():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    from django_redis.cache import RedisCache

    def store():
        return RedisCache(url, {"KEY_PREFIX": "cio-security-test", "TIMEOUT": None})

    try:
        store().clear()
    except Exception as error:  # no Redis here: nothing to show
        pytest.skip(f"no Redis at {url} ({error.__class__.__name__})")
    yield store
    store().clear()


def test_with_redis_two_processes_share_the_lockout(client, monkeypatch, redis_store):
    UserFactory(email="target@example.jp")
    for _attempt in range(5):
        monkeypatch.setattr(ratelimit, "cache", redis_store())  # a new client each time
        login(client, "target@example.jp", "wrong-password-123")
    read_many_question_pages(client, pages=10)
    login(client, "target@example.jp")
    assert not signed_in(client)
