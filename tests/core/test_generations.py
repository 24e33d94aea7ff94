"""Values cached under one scope's content generation (core/generations.py): served until that
scope changes, computed afresh after, never wrong when the cache fails or is per process."""

from unittest import mock

import pytest
from django.core.cache import cache

from core import generations

pytestmark = pytest.mark.django_db


def counting(value="v"):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_a_value_is_computed_once_per_generation():
    compute, calls = counting()
    assert generations.cached(["a"], "k", compute) == "v"
    assert generations.cached(["a"], "k", compute) == "v"
    assert len(calls) == 1
    generations.replace("a")
    assert generations.cached(["a"], "k", compute) == "v"
    assert len(calls) == 2


def test_replacing_one_scope_leaves_the_others_cached():
    in_a, a_calls = counting("a")
    in_b, b_calls = counting("b")
    generations.cached(["a"], "k", in_a)
    generations.cached(["b"], "k", in_b)
    generations.replace("b")
    generations.cached(["a"], "k", in_a)
    generations.cached(["b"], "k", in_b)
    assert (len(a_calls), len(b_calls)) == (1, 2)


def test_a_value_under_several_scopes_follows_each_of_them():
    compute, calls = counting()
    generations.cached(["a", "b"], "k", compute)
    generations.replace("b")
    generations.cached(["a", "b"], "k", compute)
    assert len(calls) == 2


def test_none_is_a_value_like_any_other():
    compute, calls = counting(None)
    assert generations.cached(["a"], "k", compute) is None
    assert generations.cached(["a"], "k", compute) is None
    assert len(calls) == 1


def test_the_generation_is_replaced_again_when_the_change_commits(
    django_capture_on_commit_callbacks,
):
    compute, calls = counting()
    with django_capture_on_commit_callbacks(execute=True):
        generations.replace("a")
        # Computed from data the transaction has not committed yet: it must not outlive it.
        generations.cached(["a"], "k", compute)
    generations.cached(["a"], "k", compute)
    assert len(calls) == 2


def test_a_cache_that_fails_costs_speed_not_the_page():
    compute, calls = counting()
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")):
        assert generations.cached(["a"], "k", compute) == "v"
    with mock.patch.object(cache, "set", side_effect=ConnectionError("down")):
        assert generations.cached(["b"], "k", compute) == "v"
    with mock.patch.object(cache, "set_many", side_effect=ConnectionError("down")):
        generations.replace("a")  # the change stands; nothing raises
    assert len(calls) == 2


def test_without_a_shared_cache_nothing_is_kept(settings):
    settings.GENERATION_CACHE = False
    compute, calls = counting()
    generations.cached(["a"], "k", compute)
    generations.cached(["a"], "k", compute)
    assert len(calls) == 2


def test_the_page_tree_scope_follows_pages_not_other_content(home_page):
    from tests.factories import StandardPageFactory, TopicFactory, UserFactory

    before = generations.current([generations.PAGES])
    UserFactory()
    TopicFactory()
    assert generations.current([generations.PAGES]) == before
    StandardPageFactory(parent=home_page, title="お知らせ", slug="news")
    assert generations.current([generations.PAGES]) != before


def test_a_transaction_registers_one_replacement_on_commit_whatever_it_writes(
    django_capture_on_commit_callbacks,
):
    first = generations.current(["a"])
    with django_capture_on_commit_callbacks() as callbacks:
        generations.replace("a")
        at_change = generations.current(["a"])
        generations.replace("a")
        generations.replace("b")
    assert at_change != first
    assert len(callbacks) == 2  # one for "a", one for "b"
    callbacks[0]()
    assert generations.current(["a"]) not in (first, at_change)
