"""Text analysis for Japanese and English search.

Two analyses of the same text feed two index fields:

* the *morphological* field: SudachiPy (split mode A, normalised form) for Japanese, whole words
  stemmed for Latin script. Sudachi's normalised form already merges many spelling variants
  (サーバ/サーバー, 問合せ/問い合わせ, ｸﾗｳﾄﾞ/クラウド).
* the *bigram* field: overlapping character pairs of every run of kana/kanji, Latin words whole.
  It needs no dictionary, so it finds parts of compounds the dictionary keeps whole
  (ロックイン in ベンダーロックイン) and words it does not know.

Both start from the same normalisation (:func:`normalize`: NFKC, case folding) and end with the
same kana folding (:func:`fold_kana`), so that a query and a document written differently meet.

Whoosh pickles analyzers into the index's schema: this module's import path is part of the index
format, and the analyzers below hold no tokenizer object (the Sudachi dictionary is a module-level
cache created on first use).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from whoosh.analysis import Composable, Token, Tokenizer
from whoosh.lang.porter import stem

# Sudachi refuses input over 49,149 bytes; a Japanese character takes three bytes in UTF-8.
MAX_CHUNK_CHARS = 12_000
SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")

# Runs of Latin letters and digits (after NFKC, full-width ＲＦＰ is RFP) versus everything else.
LATIN_WORD = re.compile(r"[0-9a-z][0-9a-z'_\-.]*[0-9a-z]|[0-9a-z]")
CJK_RUN = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u3006\u4e00-\u9fff\uf900-\ufaff]+")
SCRIPT_SPLIT = re.compile(r"([0-9a-z][0-9a-z'_\-.]*[0-9a-z]|[0-9a-z])")

# Parts of speech that carry meaning; particles, auxiliaries and symbols are dropped.
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "代名詞", "連体詞"}
# Light verbs that Sudachi normalises (する → 為る) and that match everything.
STOP_BASE_FORMS = {"為る", "居る", "有る", "成る", "出来る", "言う", "事", "物", "為", "様"}

HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
SMALL_TO_LARGE_KANA = str.maketrans("ァィゥェォヵヶッャュョヮ", "アイウエオカケツヤユヨワ")
VU_SERIES = (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"))
FINAL_LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])ー+(?![\u30a1-\u30fa])")
LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])ー+")


def normalize(text: str) -> str:
    """NFKC (full-width Latin and half-width kana to their usual forms) and case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


def fold_kana(text: str, every_long_vowel: bool = False) -> str:
    """Folds spelling variants of kana that readers treat as the same word:
    hiragana → katakana (くらうど = クラウド), small kana → large (ウィンドウ = ウインドウ),
    ヴ → バ行 (ヴェンダー = ベンダー), and a word-final long vowel dropped (サーバー = サーバ,
    as in JIS Z 8301's spelling of technical terms).

    With ``every_long_vowel`` the mark goes inside words too (ウォーターフォール = ウォタフォル,
    ベンダーロックイン = ベンダロックイン). The bigram field uses it: writers differ inside
    compounds as well, and a stray match there costs little. Dictionary words keep it, or
    サーバー would become サバ."""
    pattern = LONG_VOWEL if every_long_vowel else FINAL_LONG_VOWEL
    # The long vowel goes first, while hiragana still marks where a katakana word ends.
    text = pattern.sub("", text).translate(HIRAGANA_TO_KATAKANA)
    if every_long_vowel:  # a long vowel in a hiragana word is one too (すーぱー)
        text = pattern.sub("", text)
    for before, after in VU_SERIES:
        text = text.replace(before, after)
    return text.translate(SMALL_TO_LARGE_KANA)


def chunks(text: str) -> Iterator[tuple[int, str]]:
    """Splits long text at sentence ends into pieces Sudachi accepts, with their offsets."""
    if len(text) <= MAX_CHUNK_CHARS:
        yield 0, text
        return
    start, current = 0, []
    size = 0
    for sentence in SENTENCE_END.split(text):
        while len(sentence) > MAX_CHUNK_CHARS:  # one very long "sentence"
            if current:
                yield start, "".join(current)
                start, current, size = start + size, [], 0
            yield start, sentence[:MAX_CHUNK_CHARS]
            start += MAX_CHUNK_CHARS
            sentence = sentence[MAX_CHUNK_CHARS:]
        if size + len(sentence) > MAX_CHUNK_CHARS and current:
            yield start, "".join(current)
            start, current, size = start + size, [], 0
        current.append(sentence)
        size += len(sentence)
    if current:
        yield start, "".join(current)


_local = threading.local()


def sudachi():
    """One Sudachi tokenizer per thread (they are not thread-safe), created on first use."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.A)
        _local.tokenizer = tokenizer
    return tokenizer


class Term(NamedTuple):
    text: str
    start: int
    end: int


def morphological_terms(text: str, stem_latin: bool = True) -> Iterator[Term]:
    """Index terms of already-normalised text with their character offsets in it.

    Text is analysed a line at a time through a cache: a document's text reaches the index twice
    (in its own field and in the all-fields one), and Sudachi is the slow part of indexing."""
    offset = 0
    for line in text.split("\n"):
        if len(line) > MAX_CHUNK_CHARS:
            pieces = [(start, _analyse(piece, stem_latin)) for start, piece in chunks(line)]
        else:
            pieces = [(0, _cached_analysis(line, stem_latin))]
        for start, terms in pieces:
            for term_text, term_start, term_end in terms:
                yield Term(term_text, offset + start + term_start, offset + start + term_end)
        offset += len(line) + 1


@lru_cache(maxsize=16_384)
def _cached_analysis(line: str, stem_latin: bool) -> tuple[tuple[str, int, int], ...]:
    return _analyse(line, stem_latin)


def _analyse(text: str, stem_latin: bool) -> tuple[tuple[str, int, int], ...]:
    terms = []
    position = 0
    for piece in SCRIPT_SPLIT.split(text):
        if not piece:
            continue
        offset = position
        position += len(piece)
        if LATIN_WORD.fullmatch(piece):
            terms.append((stem(piece) if stem_latin else piece, offset, offset + len(piece)))
            continue
        if not CJK_RUN.search(piece):
            continue
        for morpheme in sudachi().tokenize(piece):
            pos_id = morpheme.part_of_speech_id()
            carries_meaning = _CONTENT_POS_IDS.get(pos_id)
            if carries_meaning is None:
                carries_meaning = morpheme.part_of_speech()[0] in CONTENT_POS
                _CONTENT_POS_IDS[pos_id] = carries_meaning
            if not carries_meaning:
                continue
            word = _index_word(morpheme.normalized_form())
            if word is not None:
                terms.append((word, offset + morpheme.begin(), offset + morpheme.end()))
    return tuple(terms)


# Part-of-speech ids of the dictionary → whether the part of speech carries meaning.
_CONTENT_POS_IDS: dict[int, bool] = {}


@lru_cache(maxsize=65_536)
def _index_word(base_form: str) -> str | None:
    """The indexed form of a base form, or None for light verbs and symbols (cached: a
    vocabulary repeats far more than it grows)."""
    if base_form in STOP_BASE_FORMS or not CJK_RUN.search(base_form):
        return None
    return fold_kana(base_form)


def autocomplete_terms(text: str) -> Iterator[Term]:
    """As :func:`morphological_terms`, but Latin words unstemmed: a prefix typed so far must
    match the start of the word as written."""
    return morphological_terms(text, stem_latin=False)


def bigram_terms(text: str) -> Iterator[Term]:
    """Overlapping character pairs of kana/kanji runs (a lone character stands alone), and Latin
    words whole, from already-normalised text."""
    folded = fold_kana(text, every_long_vowel=True)
    # Folding can drop a long-vowel mark, so offsets are kept against the folded text only when
    # the lengths agree; otherwise they are approximate, which only affects highlighting.
    for match in re.finditer(rf"{CJK_RUN.pattern}|{LATIN_WORD.pattern}", folded):
        run, start = match.group(), match.start()
        if LATIN_WORD.fullmatch(run):
            yield Term(run, start, match.end())
        elif len(run) == 1:
            yield Term(run, start, start + 1)
        else:
            for i in range(len(run) - 1):
                yield Term(run[i : i + 2], start + i, start + i + 2)


class _TermTokenizer(Tokenizer):
    """A Whoosh tokenizer over one of the term functions above."""

    def terms(self, text: str) -> Iterator[Term]:
        raise NotImplementedError

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        text = normalize(value)
        terms = self.terms(text) if tokenize else [Term(text, 0, len(text))]
        for position, term in enumerate(terms):
            token.text = term.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term.text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + term.start
                token.endchar = start_char + term.end
            yield token


class MorphologicalTokenizer(_TermTokenizer):
    def terms(self, text):
        return morphological_terms(text)


class AutocompleteTokenizer(_TermTokenizer):
    def terms(self, text):
        return autocomplete_terms(text)


class BigramTokenizer(_TermTokenizer):
    def terms(self, text):
        return bigram_terms(text)


def MorphologicalAnalyzer() -> Composable:
    return MorphologicalTokenizer()


def BigramAnalyzer() -> Composable:
    return BigramTokenizer()


def AutocompleteAnalyzer() -> Composable:
    return AutocompleteTokenizer()
