"""Each normalisation the analyzers promise, on real-looking municipal text."""

import pytest

from search.analysis import (
    BigramAnalyzer,
    MorphologicalAnalyzer,
    bigram_terms,
    chunks,
    morphological_terms,
    normalize,
)


def words(text):
    return [t.text for t in morphological_terms(normalize(text))]


def bigrams(text):
    return [t.text for t in bigram_terms(normalize(text))]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ＲＦＰ", "RFP"),  # full-width Latin
        ("ｸﾗｳﾄﾞ", "クラウド"),  # half-width kana
        ("サーバ", "サーバー"),  # word-final long vowel
        ("ウォータ", "ウォーター"),
        ("コンピュータ", "コンピューター"),
        ("ウィンドウ", "ウインドウ"),  # small kana
        ("ヴェンダー", "ベンダー"),  # ヴ
        ("問合せ", "問い合わせ"),  # okurigana variant (Sudachi's normalised form)
        ("Security", "security"),  # case
    ],
)
def test_variants_analyse_to_the_same_words(one, other):
    assert words(one) == words(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ＲＦＰ", "RFP"),
        ("ｸﾗｳﾄﾞ", "クラウド"),
        ("くらうど", "クラウド"),
        ("サーバの設定", "サーバーの設定"),
        ("ウォータ", "ウォーター"),
        ("ウィンドウ", "ウインドウ"),
        ("ヴェンダー", "ベンダー"),
        ("ウォータフォール", "ウォーターフォール"),  # a long vowel inside a compound
        ("ベンダロックイン", "ベンダーロックイン"),
        ("すーぱー", "スーパー"),
    ],
)
def test_variants_analyse_to_the_same_bigrams(one, other):
    assert bigrams(one) == bigrams(other)


def test_dictionary_words_keep_a_long_vowel_inside_the_word():
    # Only the bigram field drops it inside words: サーバー must not read as サバ (mackerel).
    assert words("サーバー") == ["サーバ"]
    assert words("ウォーターフォール") != words("ウォタフォル")


def test_compounds_are_split_into_searchable_words():
    assert words("パブリッククラウドの利用に関するリスク") == [
        "パブリツク",
        "クラウド",
        "利用",
        "関スル",
        "リスク",
    ]


def test_particles_and_light_verbs_are_dropped_and_verbs_take_their_base_form():
    assert words("サーバーを変更した") == ["サーバ", "変更"]
    assert words("資料を作った") == words("資料を作る")


def test_english_words_are_stemmed_not_katakana_ised():
    assert words("security policies") == words("Security Policy")
    assert words("security")[0].isascii()


def test_bigrams_find_parts_of_words_the_dictionary_keeps_whole():
    # Sudachi keeps ベンダーロックイン as one word even in split mode A.
    assert "ロツクイン" not in words("ベンダーロックイン")
    document = bigrams("ベンダーロックイン")
    query = bigrams("ロックイン")
    assert query == document[-len(query) :]


def test_a_single_kanji_is_searchable_in_the_bigram_field():
    assert bigrams("税") == ["税"]


def test_offsets_point_into_the_normalised_text():
    text = normalize("住民税の電子申請をクラウドで")
    spans = [text[t.start : t.end] for t in morphological_terms(text)]
    assert spans == ["住民", "税", "電子", "申請", "クラウド"]


def test_long_text_is_split_for_sudachi_and_keeps_its_offsets():
    sentence = "自治体のクラウド移行について検討した。"
    text = normalize(sentence * 4000)  # ~76,000 characters: over Sudachi's 49,149-byte limit
    pieces = list(chunks(text))
    assert len(pieces) > 1
    assert "".join(piece for _start, piece in pieces) == text
    terms = list(morphological_terms(text))
    assert terms[-1].end <= len(text)
    assert sum(1 for t in terms if t.text == "クラウド") == 4000


def test_whoosh_analysers_yield_positions_and_characters():
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in MorphologicalAnalyzer()("ＲＦＰを作成", positions=True, chars=True)
    ]
    assert tokens == [("rfp", 0, 0, 3), ("作成", 1, 4, 6)]
    assert [t.text for t in BigramAnalyzer()("電子申請")] == ["電子", "子申", "申請"]


def test_analysers_pickle_without_a_tokenizer_inside():
    import pickle

    analyser = MorphologicalAnalyzer()
    list(analyser("クラウド"))  # loads the dictionary
    assert pickle.loads(pickle.dumps(analyser)) == analyser
