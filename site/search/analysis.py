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
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from whoosh.analysis import Composable, Token, Tokenizer
from whoosh.lang.porter import stem

# Shared with quiz scoring; the search app's modules import it from here.
from core.text import normalize

# Sudachi refuses input over 49,149 bytes; a Japanese character takes three bytes in UTF-8.
MAX_CHUNK_CHARS = 12_000
SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")

# Runs of Latin letters and digits (after NFKC, full-width ＲＦＰ is RFP) versus everything else.
LATIN_WORD = re.compile(r"[0-9a-z][0-9a-z'_\-.]*[0-9a-z]|[0-9a-z]")
CJK_RUN = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u3006\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_OR_CJK = re.compile(rf"{LATIN_WORD.pattern}|{CJK_RUN.pattern}")
SCRIPT_SPLIT = re.compile(r"([0-9a-z][0-9a-z'_\-.]*[0-9a-z]|[0-9a-z])")

# Parts of speech that carry meaning; particles, auxiliaries and symbols are dropped.
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "代名詞", "連体詞"}
# Light verbs that Sudachi normalises (する → 為る) and that match everything.
STOP_BASE_FORMS = {"為る", "居る", "有る", "成る", "出来る", "言う", "事", "物", "為", "様"}

HIRAGANA_TO_KATAKANA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})
SMALL_TO_LARGE_KANA = str.maketrans("ァィゥェォヵヶッャュョヮ", "アイウエオカケツヤユヨワ")
# Both in one pass (ぁ → ア), for text without ヴ (ヴァ must become バ before ァ becomes ア).
FOLD_KANA = str.maketrans(
    {
        **{chr(c): chr(c + 0x60).translate(SMALL_TO_LARGE_KANA) for c in range(0x3041, 0x3097)},
        **dict(zip("ァィゥェォヵヶッャュョヮ", "アイウエオカケツヤユヨワ", strict=True)),
    }
)
VU_SERIES = (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"))
FINAL_LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])ー+(?![\u30a1-\u30fa])")
LONG_VOWEL = re.compile(r"(?<=[\u30a1-\u30fa])ー+")


def fold_kana(text: str, every_long_vowel: bool = False) -> str:
    """Folds spelling variants of kana that readers treat as the same word:
    hiragana → katakana (くらうど = クラウド), small kana → large (ウィンドウ = ウインドウ),
    ヴ → バ行 (ヴェンダー = ベンダー), and a word-final long vowel dropped (サーバー = サーバ,
    as in JIS Z 8301's spelling of technical terms).

    With ``every_long_vowel`` the mark goes inside words too (ウォーターフォール = ウォタフォル,
    ベンダーロックイン = ベンダロックイン). The bigram field uses it: writers differ inside
    compounds as well, and a stray match there costs little. Dictionary words keep it, or
    サーバー would become サバ."""
    # Every document's text passes through here at indexing: one translation in the usual
    # case, and the regular expressions only when the text has what they look for.
    if not every_long_vowel and "ー" in text:
        # Before the translation, while hiragana still marks where a katakana word ends.
        text = FINAL_LONG_VOWEL.sub("", text)
    if "ヴ" in text or "ゔ" in text:
        text = text.translate(HIRAGANA_TO_KATAKANA)
        for before, after in VU_SERIES:
            text = text.replace(before, after)
        text = text.translate(SMALL_TO_LARGE_KANA)
    else:
        text = text.translate(FOLD_KANA)
    if every_long_vowel and "ー" in text:  # after any kana, hiragana included (すーぱー)
        text = LONG_VOWEL.sub("", text)
    return text


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
        # Lazy: search.models loads this module; only tokenising Japanese needs Sudachi.
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

    Text is analysed a sentence at a time through a cache: sentences recur (a question quoted
    in its answers, the same greeting, a field indexed twice), and Sudachi is the slow part of
    indexing. A sentence end is a boundary Sudachi never joins words across, so the terms are
    those of the whole text."""
    offset = 0
    for line in text.split("\n"):
        if len(line) > MAX_CHUNK_CHARS:
            pieces = [(start, _analyse(piece, stem_latin)) for start, piece in chunks(line)]
        else:
            pieces = []
            start = 0
            for sentence in SENTENCE_END.split(line):
                if sentence:
                    pieces.append((start, _cached_analysis(sentence, stem_latin)))
                    start += len(sentence)
        for start, terms in pieces:
            for term_text, term_start, term_end in terms:
                yield Term(term_text, offset + start + term_start, offset + start + term_end)
        offset += len(line) + 1


class IndexedText(NamedTuple):
    words: list[str]  # dictionary words, in order
    readings: list[str]  # how each of its words is read (要件 → ヨウケン), folded


def index_analysis(text: str, sentence_analysis=None) -> IndexedText:
    """The words and their readings of already-normalised text, without offsets: what an index
    without highlighting stores. ``sentence_analysis`` may stand in for the analysis of one
    sentence (a rebuild reads the sentences an earlier build analysed from its store)."""
    analyse = sentence_analysis or analyse_sentence
    words: list[str] = []
    readings: list[str] = []
    for line in text.split("\n"):
        pieces = (
            [piece for _start, piece in chunks(line)]
            if len(line) > MAX_CHUNK_CHARS
            else SENTENCE_END.split(line)
        )
        for sentence in pieces:
            if sentence:
                sentence_words, sentence_readings = analyse(sentence)
                words.extend(sentence_words)
                readings.extend(sentence_readings)
    return IndexedText(words, readings)


@lru_cache(maxsize=65_536)
def _cached_analysis(sentence: str, stem_latin: bool) -> tuple[tuple[str, int, int], ...]:
    return _analyse(sentence, stem_latin)


@lru_cache(maxsize=65_536)
def analyse_sentence(sentence: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of a sentence and how each of its Japanese words is read, in one pass of
    Sudachi (the readings folded as kana are: long vowels dropped, small kana large)."""
    terms: list[str] = []
    readings: list[str] = []
    for piece in SCRIPT_SPLIT.split(sentence):
        if not piece:
            continue
        if LATIN_WORD.fullmatch(piece):
            terms.append(stem(piece))
            continue
        if not CJK_RUN.search(piece):
            continue
        for morpheme in sudachi().tokenize(piece):
            if not _carries_meaning(morpheme):
                continue
            word = _index_word(morpheme.normalized_form())
            if word is None:
                continue
            terms.append(word)
            reading = _reading_word(morpheme.reading_form())
            if reading:
                readings.append(reading)
    return tuple(terms), tuple(readings)


@lru_cache(maxsize=65_536)
def _reading_word(reading: str) -> str | None:
    if not KATAKANA_READING.fullmatch(reading):
        return None
    return fold_kana(reading, every_long_vowel=True)


def title_key(text: str) -> str:
    """A title's first line as its words: the same for a title and a query that is exactly it
    (ＲＦＰとは？ and rfp, パブリッククラウドの利用 typed with or without particles)."""
    first_line = normalize(text).strip().split("\n", 1)[0]
    return " ".join(index_analysis(first_line).words)


READING_KEY_PREFIX = "r:"


def title_reading_key(text: str) -> str | None:
    """How a title's words are read (運用とは？ → ウンヨウ), for a query typed in kana that is
    exactly the title; None for a title with Latin words, which have no reading."""
    first_line = normalize(text).strip().split("\n", 1)[0]
    if not first_line or LATIN_WORD.search(first_line):
        return None
    readings = index_analysis(first_line).readings
    return READING_KEY_PREFIX + "".join(readings) if readings else None


def kana_key(kana: str) -> str:
    """The reading key of words typed in kana (うんよう → ウンヨウ)."""
    return READING_KEY_PREFIX + kana_reading(kana)


def kana_reading(kana: str) -> str:
    """Kana typed by someone as the documents' readings are kept (folded katakana)."""
    return fold_kana(kana, every_long_vowel=True)


KATAKANA_READING = re.compile(r"[\u30a1-\u30fa\u30fc]+")


def _carries_meaning(morpheme) -> bool:
    pos_id = morpheme.part_of_speech_id()
    carries_meaning = _CONTENT_POS_IDS.get(pos_id)
    if carries_meaning is None:
        carries_meaning = morpheme.part_of_speech()[0] in CONTENT_POS
        _CONTENT_POS_IDS[pos_id] = carries_meaning
    return carries_meaning


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
            if not _carries_meaning(morpheme):
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


# --- Reading a query -------------------------------------------------------------------------
#
# A query is often a sentence (提案依頼書を書く前に何を準備すればよいですか): its particles are
# dropped like a document's, and so are the words that only make it a question or a request,
# which a document answering it does not contain.

# 何, これ (pronouns), この, どの (adnominals), どう, 特に (adverbs).
QUERY_DROPPED_POS = {"代名詞", "連体詞", "副詞"}
# Verbs, adjectives and nouns that lean on another word (する, いる, よい, ほしい, こと).
DEPENDENT_POS = "非自立可能"
# The verbs of compound particles, dropped after a particle: について, による, に関する,
# に対する, における, に基づく, を通じて, に伴う, に沿って, に向けて, をめぐる, に際して, に応じて.
COMPOUND_PARTICLE_VERBS = {
    "付く",
    "就く",
    "つく",
    "依る",
    "因る",
    "由る",
    "よる",
    "関する",
    "対する",
    "於く",
    "於ける",
    "おく",
    "おける",
    "基づく",
    "もとづく",
    "通じる",
    "通ずる",
    "伴う",
    "ともなう",
    "沿う",
    "そう",
    "向ける",
    "むける",
    "巡る",
    "めぐる",
    "際する",
    "応じる",
    "応ずる",
    "当たる",
    "あたる",
    "為る",
    "関わる",
    "かかわる",
    "比べる",
    "くらべる",
}
# What asking adds to a sentence: 教えてください, 知りたい, 分かりません, 困っています.
REQUEST_VERBS = {"教える", "下さる", "頂く", "知る", "分かる", "判る", "思う", "困る", "願う"}


class QueryWord(NamedTuple):
    text: str  # the indexed form
    start: int  # offsets in the normalised query
    end: int
    # A noun, prefix or suffix: adjacent ones form a compound (提案 + 依頼 + 書).
    compound: bool


def query_words(text: str) -> list[QueryWord]:
    """The words of already-normalised query text that a matching document should contain."""
    kept: list[QueryWord] = []
    dropped: list[QueryWord] = []
    position = 0
    for piece in SCRIPT_SPLIT.split(text):
        if not piece:
            continue
        offset = position
        position += len(piece)
        if LATIN_WORD.fullmatch(piece):
            kept.append(QueryWord(stem(piece), offset, offset + len(piece), False))
            continue
        if not CJK_RUN.search(piece):
            continue
        previous_pos = ""
        for morpheme in sudachi().tokenize(piece):
            pos = morpheme.part_of_speech()
            after_particle = previous_pos == "助詞"
            previous_pos = pos[0]
            if pos[0] not in CONTENT_POS:
                continue
            word = _index_word(morpheme.normalized_form())
            if word is None:
                continue
            found = QueryWord(
                word,
                offset + morpheme.begin(),
                offset + morpheme.end(),
                pos[0] in {"名詞", "接頭辞", "接尾辞"},
            )
            base = morpheme.normalized_form()
            if (
                pos[0] in QUERY_DROPPED_POS
                or DEPENDENT_POS in pos[1:3]
                or base in REQUEST_VERBS
                or (after_particle and pos[0] == "動詞" and base in COMPOUND_PARTICLE_VERBS)
            ):
                dropped.append(found)
            else:
                kept.append(found)
    # A query of nothing but such words (どうする) still looks for them.
    return kept or dropped


HIRAGANA_RUN = re.compile(r"[\u3041-\u3096ー]{2,}")
KANJI = re.compile(r"[\u3005\u3006\u4e00-\u9fff\uf900-\ufaff]")
# Particles a katakana word typed in hiragana may carry before or after it (情報のせきゅりてぃ,
# くらうどの費用), longest first.
PARTICLES = (
    "について",
    "による",
    "として",
    "とは",
    "から",
    "まで",
    "より",
    "など",
    "での",
    "への",
    "との",
    "には",
    "では",
    "の",
    "を",
    "に",
    "で",
    "と",
    "は",
    "が",
    "へ",
    "や",
    "も",
)


def katakana_reading(text: str) -> str | None:
    """The query with each run of hiragana that spells a loanword written in katakana
    (くらうどの費用 → クラウドの費用, ぷろじぇくと管理 → プロジェクト管理), or None when no run
    reads as one. People type loanwords in hiragana when conversion is a bother, and the
    dictionary reads such a run as Japanese words (くらう + どの). A run right after a kanji is
    its ending (避ける) unless it starts with a particle. The reading is tried beside the query
    as typed, never instead of it, so a run that was Japanese after all costs nothing."""
    changed = False

    def convert(match):
        nonlocal changed
        run = match.group()
        if _only_function_words(run):  # とは, ですか, について
            return run
        before = text[match.start() - 1] if match.start() else ""
        lead = ""
        if KANJI.fullmatch(before or " "):
            lead = next((p for p in PARTICLES if run.startswith(p)), "")
            if not lead:
                return run
        # A run ending in particles is first read without them (くらうど + の, あじゃいる +
        # ですか), and a word the dictionary knows is preferred to one it does not.
        body = run[len(lead) :]
        cores = [
            (body[:i], body[i:])
            for i in range(2, len(body))
            if body[i:] in PARTICLES or _particle_ending(body[i:])
        ]
        cores.append((body, ""))
        for wanted in (True, False):
            for core, ending in cores:
                katakana = core.translate(HIRAGANA_TO_KATAKANA)
                if _katakana_word(katakana) is wanted:
                    changed = True
                    return lead + katakana + ending
        return run

    reading = HIRAGANA_RUN.sub(convert, text)
    return reading if changed else None


def kana_spans(text: str) -> list[tuple[int, int]]:
    """Where already-normalised query text has words typed in hiragana rather than converted
    (ようけんていぎ for 要件定義, ほしゅの手順): each run of hiragana that is more than particles
    and endings, without the particles around it. Such a run is searched by how documents are
    read (their katakana reading), since the dictionary cannot tell which kanji were meant."""
    spans = []
    for match in HIRAGANA_RUN.finditer(text):
        run, start = match.group(), match.start()
        if _only_function_words(run):
            continue
        if start and KANJI.fullmatch(text[start - 1]):
            lead = next((p for p in PARTICLES if run.startswith(p)), "")
            if not lead:  # the ending of a word written in kanji (避ける, 手続き)
                continue
            run, start = run[len(lead) :], start + len(lead)
        end = start + len(run)
        for i in range(len(run) - 1, 1, -1):
            if run[i:] in PARTICLES or _particle_ending(run[i:]):
                end = start + i
                break
        if end - start >= 2:
            spans.append((start, end))
    return spans


@lru_cache(maxsize=4_096)
def _only_function_words(run: str) -> bool:
    return all(m.part_of_speech()[0] in {"助詞", "助動詞"} for m in sudachi().tokenize(run))


@lru_cache(maxsize=4_096)
def _particle_ending(ending: str) -> bool:
    """Particles, or a copula, after a word: の, について, をください, ですか (not い or る, the
    ends of words)."""
    if ending in PARTICLES:
        return True
    if ending.startswith("で") and ending.rstrip("かねよ") in {"です", "でしょう"}:
        return True
    if not any(ending.startswith(p) for p in PARTICLES):
        return False
    morphemes = list(sudachi().tokenize(ending))
    return (
        bool(morphemes)
        and morphemes[0].part_of_speech()[0] == "助詞"
        and all(m.part_of_speech()[0] in {"助詞", "助動詞", "動詞"} for m in morphemes)
    )


@lru_cache(maxsize=4_096)
def _katakana_word(word: str) -> bool | None:
    """True when the dictionary knows ``word`` as one or a few words (クラウド, プロジェクト +
    管理), False when it reads it as one word it does not know (アジャイル is not in it), None
    when it breaks it into pieces."""
    morphemes = list(sudachi().tokenize(word))
    if 0 < len(morphemes) <= 3 and not any(m.is_oov() for m in morphemes):
        return True
    return False if len(morphemes) == 1 else None


CJK_CHAR = CJK_RUN.pattern[:-1]  # the character class, without the "+"
OVERLAPPING_PAIRS = re.compile(rf"(?=({CJK_CHAR}{CJK_CHAR}))")


def bigram_words(text: str) -> list[str]:
    """The character pairs of the kana/kanji of already-normalised text, in order, for an index
    that keeps positions: a phrase of a query's pairs matches the same characters in a row. A
    pair is never made across two runs (クラウド。移行 has no ド移), so such a phrase cannot
    match across punctuation either. Latin words are left to the dictionary reading."""
    return OVERLAPPING_PAIRS.findall(fold_kana(text, every_long_vowel=True))


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


class TermTokenizer(Tokenizer):
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


class MorphologicalTokenizer(TermTokenizer):
    def terms(self, text):
        return morphological_terms(text)


class AutocompleteTokenizer(TermTokenizer):
    def terms(self, text):
        return autocomplete_terms(text)


class BigramTokenizer(TermTokenizer):
    def terms(self, text):
        return bigram_terms(text)


class ReadingTokenizer(TermTokenizer):
    """How the text's words are read (katakana), for words typed in kana."""

    def terms(self, text):
        return [Term(reading, 0, 0) for reading in index_analysis(text).readings]


def MorphologicalAnalyzer() -> Composable:
    return MorphologicalTokenizer()


def BigramAnalyzer() -> Composable:
    return BigramTokenizer()


def AutocompleteAnalyzer() -> Composable:
    return AutocompleteTokenizer()


def ReadingAnalyzer() -> Composable:
    return ReadingTokenizer()
