"""How the Whoosh backend reads a query of several words: common words, the bigram fallback."""

from unittest import mock

import pytest
from wagtail.search.backends import get_search_backend

from core.models import Topic
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def names(query, operator=None):
    return [t.name_ja for t in get_search_backend().search(query, Topic, operator=operator)]


@pytest.fixture
def development_topics(db):
    # 開発 is in every document: a common word. 工程 and 手戻り are rare.
    for i in range(12):
        TopicFactory(name_ja=f"開発の事例{i}", slug=f"case-{i}")
    TopicFactory(name_ja="工程管理", description_ja="開発の工程を管理する。", slug="process")
    TopicFactory(name_ja="手戻り", description_ja="開発の手戻りを防ぐ。", slug="rework")


def test_common_words_only_rank_documents_that_have_a_rarer_word(development_topics):
    with mock.patch("search.backends.whoosh.COMMON_WORD_MIN_DOCUMENTS", 5):
        assert sorted(names("開発の工程と手戻り")) == ["工程管理", "手戻り"]
    # In an index too small for any word to count as common, every word finds.
    assert len(names("開発の工程と手戻り")) == 14


def test_a_query_of_common_words_only_needs_all_of_them(development_topics):
    TopicFactory(name_ja="開発工程", slug="both")
    with (
        mock.patch("search.backends.whoosh.COMMON_WORD_MIN_DOCUMENTS", 0),
        mock.patch("search.backends.whoosh.COMMON_WORD_SHARE", 0.0),
    ):
        # Both words are "common" here: a document needs both.
        assert set(names("開発工程")) == {"開発工程", "工程管理"}
