"""How a query is read (search/plan.py, search.analysis.query_words and katakana_reading) and
how the stages relax it, on both embedded backends."""

import pytest
from wagtail.search.backends import get_search_backend

from core.models import Topic
from search.analysis import katakana_reading, normalize, query_words
from search.models import SynonymGroup
from search.plan import RelaxedText, most_of, plan_text, useful_stages
from tests.factories import TopicFactory

EMBEDDED = {"tantivy": "search.backends.tantivy", "whoosh": "search.backends.whoosh"}


@pytest.fixture(params=sorted(EMBEDDED))
def backend(request, settings, search_index):
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": EMBEDDED[request.param], "PATH": str(search_index)}
    }
    return get_search_backend()


def words(query):
    return [w.text for w in query_words(normalize(query))]


def names(backend, query):
    return [t.name_ja for t in backend.search(query, Topic)]


# Reading


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # particles, question words and "please tell me" go; the subject stays
        (
            "提案依頼書を書く前に何を準備すればよいですか",
            ["提案", "依頼", "書", "書ク", "前", "準備"],
        ),
        # the verbs of compound particles (による, について, に関する) go after a particle
        ("外部有識者による検証委員会", ["外部", "有識", "者", "検証", "委員", "会"]),
        ("要件定義の手続きについて教えてください", ["要件", "定義", "手続キ"]),
        ("クラウドに関する規程", ["クラウド", "規程"]),
        # but the same verb standing on its own is a word of the query
        ("関する", ["関スル"]),
        ("ＲＦＰとは", ["rfp"]),
    ],
)
def test_a_sentence_is_read_as_the_words_a_document_would_contain(query, expected):
    assert words(query) == expected


@pytest.mark.parametrize(
    ("query", "reading"),
    [
        ("くらうどの費用", "クラウドの費用"),
        ("ぷろじぇくと管理", "プロジェクト管理"),
        ("あじゃいる型開発とは", "アジャイル型開発とは"),  # a word the dictionary does not know
        ("情報のせきゅりてぃ", "情報のセキュリティ"),  # a particle before it
        ("さーばーの保守ですか", "サーバーの保守ですか"),
        ("手続きについて", None),  # okurigana and particles stay as they are
        ("ｒｆｐとは", None),
    ],
)
def test_hiragana_runs_are_also_read_as_katakana_words(query, reading):
    assert katakana_reading(normalize(query)) == reading


def test_a_synonym_inside_a_sentence_is_one_concept_with_its_alternatives(db):
    SynonymGroup.objects.create(terms="RFP\n提案依頼書")
    plan = plan_text("提案依頼書を書く前の準備")
    first = plan.readings[0].concepts[0]
    assert [a.words for a in first.alternatives] == [("提案", "依頼", "書"), ("rfp",)]


def test_stages_that_add_nothing_are_skipped(db):
    stages = ("all", "all_pairs", "most", "any")
    assert useful_stages([plan_text("クラウド")], stages) == ["all", "all_pairs"]
    assert useful_stages([plan_text("rpa")], stages) == ["all"]
    # "most" of two words is "any"
    assert useful_stages([plan_text("クラウド 移行")], stages) == ["all", "all_pairs", "any"]
    assert [most_of(n) for n in (3, 4, 5, 6)] == [2, 3, 3, 4]


# Searching


@pytest.fixture
def procurement(db):
    TopicFactory(name_ja="提案依頼書", description_ja="調達の仕様を示して提案を求める文書。")
    TopicFactory(name_ja="要件定義", description_ja="システムに求める機能と性能を決める工程。")
    TopicFactory(name_ja="情報システムの運用", description_ja="保守と運用の体制。")
    TopicFactory(name_ja="ネットワーク", description_ja="庁内の回線と機器。")


def test_a_sentence_finds_the_entry_though_no_document_has_every_word(backend, procurement):
    query = RelaxedText("提案依頼書を書く前に何を準備すればよいですか")
    assert names(backend, query)[0] == "提案依頼書"


def test_a_strict_and_never_relaxes(backend, procurement):
    query = "提案依頼書を書く前に何を準備すればよいですか"
    assert names(backend, RelaxedText(query))
    assert list(backend.search(query, Topic, operator="and")) == []


def test_documents_with_every_word_come_before_those_with_some(backend, procurement):
    TopicFactory(name_ja="情報システムとネットワークの接続", description_ja="庁内の接続。")
    found = names(backend, RelaxedText("情報システムとネットワークをつなぐ方法"))
    assert found[0] == "情報システムとネットワークの接続"
    assert set(found) >= {"情報システムの運用", "ネットワーク"}


def test_enough_documents_with_every_word_stop_the_relaxing(backend, db):
    for i in range(12):
        TopicFactory(name_ja=f"クラウド移行の事例{i}", slug=f"case-{i}")
    TopicFactory(name_ja="クラウドの費用", slug="cost")
    found = names(backend, RelaxedText("クラウド移行"))
    assert len(found) == 12
    assert "クラウドの費用" not in found


def test_words_that_stand_together_rank_first(backend, db):
    TopicFactory(name_ja="検証の記録", description_ja="外部の委員が手順を見た。有識者は後日。")
    TopicFactory(name_ja="委員会", description_ja="外部有識者による検証委員会を置く。")
    assert names(backend, RelaxedText("外部有識者による検証委員会"))[0] == "委員会"


def test_a_synonym_inside_a_sentence_finds_the_other_spelling(backend, procurement):
    SynonymGroup.objects.create(terms="RFP\n提案依頼書")
    assert names(backend, RelaxedText("RFPを書く前の準備"))[0] == "提案依頼書"


def test_hiragana_typed_loanwords_find_katakana_documents(backend, db):
    TopicFactory(name_ja="クラウドの費用", description_ja="利用料の見積もり。")
    TopicFactory(name_ja="食費", description_ja="職員の費用。")
    assert names(backend, RelaxedText("くらうどの費用"))[0] == "クラウドの費用"
