"""Compare Japanese analyzers for Whoosh on the government IT glossary.

For each analyzer this measures relevance (recall@5, hit@1, hit@5, MRR@10, overall and per query
kind) of benchmarks/queries/glossary_ja.json against a Whoosh index of the 109 glossary entries;
indexing throughput (docs/s) on 5,000 documents of 300 characters made of the glossary's sentences
drawn at random; tokenizer start-up time and the memory it adds (each in a fresh process); and the
installed size of the packages it needs. Variants of the Sudachi analyzer show what each rule below
is worth. Results go to a JSON file and a table is printed.

    python benchmarks/tokenizers.py [--output benchmarks/results/tokenizers.json]

Needs whoosh3, janome, sudachipy + sudachidict-core, fugashi + unidic-lite and psutil.

Normalisation, the same for every analyzer:
  1. the whole text: Unicode NFKC, then str.casefold();
  2. a whitespace-separated word made only of kana is taken as a reading (いけんしょうせい): it is
     also emitted whole, kana-folded (rule 4), and its hiragana become katakana before the
     tokenizer sees it (a dictionary mis-parses unconverted hiragana as particles and verbs);
  3. ASCII letters and digits never reach a Japanese tokenizer: each run is a word, Porter-stemmed;
  4. every output term (for the bigram analyzer: the text before it is cut) is kana-folded:
     hiragana -> katakana, small kana -> full size (ァ->ア, ッ->ツ, ヵ->カ ...), and every 'ー'
     that follows a kana is deleted (サーバー -> サバ, サーバ -> サバ).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import mean

import support
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.query import Or, Term
from whoosh.searching import Searcher

# search.analysis needs only its source root on the path, not Django.
support.add_project_paths()
from search import analysis  # noqa: E402

ROOT = support.ROOT
GLOSSARY = ROOT.parent / "shared/data/gov-cio-jp/stdwords/hyoujun_guideline_yougosyu.csv"
QUERIES = ROOT / "benchmarks/queries/glossary_ja.json"

FIELD_BOOSTS = {"title": 2.0, "reading": 1.0, "body": 1.0}  # applied at query time
CORPUS_DOCS = 5_000
DOC_CHARS = 300
SEED = 20240601
SUDACHI_MAX_BYTES = 49_149  # SudachiPy rejects longer input

# --- Normalisation -------------------------------------------------------------------------------

_KATAKANA = {chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)} | {"ゝ": "ヽ", "ゞ": "ヾ"}
_FULL_SIZE = dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True))
TO_KATAKANA = str.maketrans(_KATAKANA)
KANA_FOLD = str.maketrans({k: _FULL_SIZE.get(v, v) for k, v in _KATAKANA.items()} | _FULL_SIZE)
LONG_VOWEL = re.compile(r"(?<=[ァ-ヺ])ー+")
KANA_WORD = re.compile(r"(?<!\S)[ぁ-ゟ゠-ヿ]+(?!\S)")
LATIN = re.compile(r"([0-9a-z]+)")
RUNS = re.compile(r"(?P<latin>[0-9a-z]+)|(?P<cjk>[ぁ-ゖゝゞァ-ヺー-ヿ々〆㐀-䶿一-鿿豈-﫿]+)")
SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")


def normalize(text: str) -> str:
    """Rule 1: NFKC, then casefold (ＲＦＰ -> rfp, ｸﾗｳﾄﾞ -> クラウド)."""
    return unicodedata.normalize("NFKC", text).casefold()


def readings(text: str) -> tuple[list[str], str]:
    """Rule 2: whitespace-separated kana-only words, whole and folded; the text in katakana."""
    whole = [fold_kana(word) for word in KANA_WORD.findall(text)]
    return whole, KANA_WORD.sub(lambda m: m.group().translate(TO_KATAKANA), text)


def fold_kana(term: str) -> str:
    """Rule 4: hiragana -> katakana, small kana -> full size, 'ー' after a kana deleted."""
    return LONG_VOWEL.sub("", term.translate(KANA_FOLD))


def chunk_bytes(text: str, limit: int) -> Iterator[str]:
    """Split text at sentence ends into pieces of at most `limit` UTF-8 bytes."""
    if len(text.encode()) <= limit:
        yield text
        return
    step = limit // 4  # no UTF-8 character takes more than 4 bytes
    parts: list[str] = []
    for sentence in SENTENCE_END.split(text):
        if len(sentence.encode()) > limit:
            parts.extend(sentence[i : i + step] for i in range(0, len(sentence), step))
        else:
            parts.append(sentence)
    chunk: list[str] = []
    size = 0
    for part in parts:
        part_size = len(part.encode())
        if chunk and size + part_size > limit:
            yield "".join(chunk)
            chunk, size = [], 0
        chunk.append(part)
        size += part_size
    if chunk:
        yield "".join(chunk)


# --- Analyzers -----------------------------------------------------------------------------------

Analyze = Callable[[str], list[str]]
Morphemes = Callable[[str], Iterator[tuple[str, tuple[str, ...]]]]  # text -> (term, POS) pairs

# Content words only. UniDic part-of-speech (SudachiPy, unidic-lite): 非自立可能 drops する, ある,
# いる, なる and ない. IPADIC (Janome) tags する as an independent verb, so it is dropped by form.
UNIDIC_CONTENT = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"}
IPADIC_CONTENT = {"名詞", "動詞", "形容詞", "副詞", "接頭詞"}


def unidic_content(pos: tuple[str, ...], term: str) -> bool:
    return pos[0] in UNIDIC_CONTENT and pos[1] != "非自立可能"


def ipadic_content(pos: tuple[str, ...], term: str) -> bool:
    return pos[0] in IPADIC_CONTENT and pos[1] not in {"非自立", "代名詞"} and term != "する"


@dataclass(frozen=True)
class MorphOptions:
    content_only: bool = True  # keep only content parts of speech
    reading_rule: bool = True  # rule 2
    fold_terms: bool = True  # rule 4 on output terms
    fold_text_first: bool = False  # rule 4 on the whole text before tokenizing
    route_latin: bool = True  # rule 3


def morph_analyzer(
    morphemes: Morphemes,
    content: Callable[[tuple[str, ...], str], bool],
    options: MorphOptions,
) -> Analyze:
    def analyze(text: str) -> list[str]:
        text = normalize(text)
        terms: list[str] = []
        if options.fold_text_first:
            text = fold_kana(text)
        elif options.reading_rule:
            terms, text = readings(text)
        pieces = LATIN.split(text) if options.route_latin else [text]
        for i, piece in enumerate(pieces):
            if i % 2:  # a Latin word
                terms.append(stem(piece))
                continue
            for term, pos in morphemes(piece):
                if term.strip() and (not options.content_only or content(pos, term)):
                    terms.append(fold_kana(term) if options.fold_terms else term)
        return terms

    return analyze


def janome_morphemes() -> Morphemes:
    from janome.tokenizer import Tokenizer as JanomeTokenizer

    tokenizer = JanomeTokenizer()

    def morphemes(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
        for token in tokenizer.tokenize(text):
            form = token.surface if token.base_form == "*" else token.base_form
            yield form, tuple(token.part_of_speech.split(","))

    return morphemes


def sudachi_morphemes() -> Morphemes:
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").tokenizer(
        mode=SplitMode.A, fields={"pos", "normalized_form"}
    )

    def morphemes(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
        for chunk in chunk_bytes(text, SUDACHI_MAX_BYTES):
            for m in tokenizer.tokenize(chunk):
                yield m.normalized_form(), m.part_of_speech()

    return morphemes


def fugashi_morphemes() -> Morphemes:
    import fugashi

    tagger = fugashi.Tagger()  # finds unidic-lite when it is installed

    def morphemes(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
        for word in tagger(text):
            feature = word.feature
            # Loanword lemmas carry their origin: サーバー-server.
            lemma = feature.lemma.split("-", 1)[0] if feature.lemma else word.surface
            yield lemma, (feature.pos1, feature.pos2)

    return morphemes


def bigram_analyze(text: str) -> list[str]:
    """Latin words whole (stemmed); runs of kana/kanji cut into overlapping bigrams."""
    terms = []
    for match in RUNS.finditer(fold_kana(normalize(text))):
        run = match.group()
        if match.lastgroup == "latin":
            terms.append(stem(run))
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


MORPH_ENGINES = {
    "janome": (janome_morphemes, ipadic_content),
    "sudachi_a": (sudachi_morphemes, unidic_content),
    "fugashi": (fugashi_morphemes, unidic_content),
}
VARIANT_OPTIONS = {
    "": MorphOptions(),
    "allpos": MorphOptions(content_only=False),
    "noreading": MorphOptions(reading_rule=False),
    "foldfirst": MorphOptions(fold_text_first=True),
    "nofold": MorphOptions(fold_terms=False),
    "rawlatin": MorphOptions(route_latin=False),
}


@cache
def analyzer(key: str) -> Analyze:
    """`engine` or `engine__variant`, e.g. sudachi_a__allpos; tokenizers load on first use."""
    if key == "bigram":
        return bigram_analyze
    engine, _, variant = key.partition("__")
    morphemes, content = MORPH_ENGINES[engine]
    return morph_analyzer(morphemes(), content, VARIANT_OPTIONS[variant])


class KeyedTokenizer(analysis.TermTokenizer):
    """A Whoosh tokenizer over `analyzer(key)`. The site's own base class (search.analysis)
    makes the Whoosh tokens, so the analyzers compared differ from the site's in analysis only.

    Whoosh pickles the schema into the index; only the key is pickled, never a tokenizer object.
    Terms carry positions; their character offsets are 0 (nothing here highlights).
    """

    def __init__(self, key: str):
        self.key = key

    def terms(self, text: str) -> list[analysis.Term]:
        # The base class has normalised the text already; each analyzer does it again, which
        # changes nothing (normalising twice gives the same text).
        return [analysis.Term(term, 0, 0) for term in analyzer(self.key)(text)]


# --- Configurations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    analyzers: tuple[str, ...]
    packages: tuple[str, ...]
    fallback: bool = False  # query each analyzer's fields in turn until there are 10 hits


CONFIGS = [
    Config("janome", "Janome, base form", ("janome",), ("janome",)),
    Config(
        "sudachi_a",
        "SudachiPy split mode A, normalized form",
        ("sudachi_a",),
        ("sudachipy", "sudachidict-core"),
    ),
    Config("fugashi", "fugashi + unidic-lite, lemma", ("fugashi",), ("fugashi", "unidic-lite")),
    Config("bigram", "CJK character bigrams, Latin words whole", ("bigram",), ()),
    Config(
        "sudachi_a+bigram",
        "Sudachi A fields and bigram fields, one OR query over both",
        ("sudachi_a", "bigram"),
        ("sudachipy", "sudachidict-core"),
    ),
    Config(
        "sudachi_a>bigram",
        "Sudachi A fields first; bigram fields fill the list only when it has under 10 hits",
        ("sudachi_a", "bigram"),
        ("sudachipy", "sudachidict-core"),
        fallback=True,
    ),
]
VARIANTS = [
    Config("sudachi_a__allpos", "Sudachi A, every part of speech kept", ("sudachi_a__allpos",), ()),
    Config("sudachi_a__noreading", "Sudachi A without rule 2", ("sudachi_a__noreading",), ()),
    Config(
        "sudachi_a__foldfirst",
        "Sudachi A, rule 4 on the whole text before tokenizing",
        ("sudachi_a__foldfirst",),
        (),
    ),
    Config("sudachi_a__nofold", "Sudachi A without rule 4", ("sudachi_a__nofold",), ()),
    Config("sudachi_a__rawlatin", "Sudachi A without rule 3", ("sudachi_a__rawlatin",), ()),
    Config("fugashi__noreading", "fugashi without rule 2", ("fugashi__noreading",), ()),
    Config("janome__noreading", "Janome without rule 2", ("janome__noreading",), ()),
]


# --- Data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    term: str
    reading: str
    definition: str


def load_glossary(path: Path) -> list[Entry]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [Entry(r["用語"], r["フリガナ"], r["定義"]) for r in csv.DictReader(f)]


def synthetic_corpus(entries: list[Entry], n_docs: int, chars: int, seed: int) -> list[Entry]:
    """Documents with a random entry's title and reading and a body of `chars` characters of
    glossary sentences drawn at random."""
    rng = random.Random(seed)
    sentences = [s for e in entries for s in SENTENCE_END.split(e.definition) if s.strip()]
    docs = []
    for _ in range(n_docs):
        entry = rng.choice(entries)
        body = ""
        while len(body) < chars:
            body += rng.choice(sentences)
        docs.append(Entry(entry.term, entry.reading, body[:chars]))
    return docs


# --- Measurements --------------------------------------------------------------------------------


def fields(keys: tuple[str, ...]) -> dict[str, tuple[str, float]]:
    """Whoosh field name -> (analyzer key, query boost)."""
    return {f"{part}_{key}": (key, boost) for key in keys for part, boost in FIELD_BOOSTS.items()}


def build_index(directory: str, config: Config, entries: list[Entry]) -> index.Index:
    schema = Schema(
        id=ID(stored=True),
        **{
            name: TEXT(analyzer=KeyedTokenizer(key))
            for name, (key, _) in fields(config.analyzers).items()
        },
    )
    ix = index.create_in(directory, schema)
    writer = ix.writer()
    for i, entry in enumerate(entries):
        values = {"title": entry.term, "reading": entry.reading, "body": entry.definition}
        writer.add_document(
            id=str(i), **{name: values[name.split("_", 1)[0]] for name in fields(config.analyzers)}
        )
    writer.commit()
    return ix


def build_query(keys: tuple[str, ...], text: str) -> Or:
    clauses = []
    for name, (key, boost) in fields(keys).items():
        clauses += [Term(name, term, boost=boost) for term in dict.fromkeys(analyzer(key)(text))]
    return Or(clauses)


def search(searcher: Searcher, config: Config, text: str, limit: int = 10) -> list[str]:
    """Stored ids of the top `limit` hits."""
    if not config.fallback:
        return [
            hit["id"] for hit in searcher.search(build_query(config.analyzers, text), limit=limit)
        ]
    found: list[str] = []
    for key in config.analyzers:
        if len(found) < limit:
            hits = searcher.search(build_query((key,), text), limit=limit)
            found += [hit["id"] for hit in hits if hit["id"] not in found]
    return found[:limit]


METRICS = ("recall@5", "hit@1", "hit@5", "mrr@10")


def relevance(ix: index.Index, config: Config, docs: list[Entry], queryset: dict) -> dict:
    """recall@5 counts the glossary's declared equivalents; hit@k and MRR the expected entry."""
    groups = {term: set(group) for group in queryset["equivalents"] for term in group}
    rows = []
    with ix.searcher() as searcher:
        for item in queryset["queries"]:
            ranked = [docs[int(i)].term for i in search(searcher, config, item["query"])]
            expected = item["expected"]
            relevant = groups.get(expected, {expected})
            rank = ranked.index(expected) + 1 if expected in ranked else 11
            rows.append(
                {
                    **item,
                    "recall@5": len(relevant & set(ranked[:5])) / len(relevant),
                    "hit@1": float(rank == 1),
                    "hit@5": float(rank <= 5),
                    "mrr@10": 1 / rank if rank <= 10 else 0.0,
                    "top3": ranked[:3],
                }
            )

    def summary(subset: list[dict]) -> dict:
        return {m: round(mean(r[m] for r in subset), 3) for m in METRICS} | {"n": len(subset)}

    kinds = dict.fromkeys(r["kind"] for r in rows)
    return {
        "overall": summary(rows),
        "by_kind": {k: summary([r for r in rows if r["kind"] == k]) for k in kinds},
        "misses": [
            {k: r[k] for k in ("query", "kind", "expected", "top3")} for r in rows if not r["hit@5"]
        ],
    }


def glossary_relevance(config: Config, entries: list[Entry], queryset: dict) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        return relevance(build_index(directory, config, entries), config, entries, queryset)


def throughput(config: Config, corpus: list[Entry]) -> float:
    """Documents per second for a full index build (analysis, writing and commit)."""
    for key in config.analyzers:
        analyzer(key)("準備")  # load the tokenizer outside the timing
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        build_index(directory, config, corpus)
        return len(corpus) / (time.perf_counter() - start)


def probe(key: str, glossary: Path) -> dict:
    """Start-up time and memory added by one analyzer; meant for a fresh process.

    RSS counts the pages of memory-mapped dictionary files that were read, which the page cache
    shares between worker processes; anonymous memory (RSS less file-backed pages, Linux) is what
    every worker pays again.
    """
    import psutil

    process = psutil.Process()
    before = process.memory_info()
    start = time.perf_counter()
    analyze = analyzer(key)
    analyze("提案依頼書を作成する")
    init_s = time.perf_counter() - start
    after_init = process.memory_info().rss
    long_text = "".join(e.definition for e in load_glossary(glossary)) * 4  # > SUDACHI_MAX_BYTES
    long_terms = len(analyze(long_text))
    after_use = process.memory_info()
    return {
        "init_s": round(init_s, 3),
        "rss_init_mb": round((after_init - before.rss) / 2**20, 1),
        "rss_after_use_mb": round((after_use.rss - before.rss) / 2**20, 1),
        "anon_after_use_mb": round(
            ((after_use.rss - after_use.shared) - (before.rss - before.shared)) / 2**20, 1
        ),
        "long_text_bytes": len(long_text.encode()),
        "long_text_terms": long_terms,
    }


def probe_in_subprocess(key: str, glossary: Path) -> dict:
    command = [sys.executable, __file__, "--probe", key, "--glossary", str(glossary)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def installed_bytes(package: str) -> int:
    dist = importlib.metadata.distribution(package)
    paths = (Path(dist.locate_file(f)) for f in dist.files or ())
    return sum(p.stat().st_size for p in paths if p.is_file())


# --- Report --------------------------------------------------------------------------------------


def print_table(results: dict) -> None:
    print(
        f"{'analyzer':<22}{'R@5':>6}{'hit@1':>7}{'hit@5':>7}{'MRR@10':>8}"
        f"{'docs/s':>8}{'init s':>8}{'RSS MB':>8}{'anon MB':>8}{'inst MB':>8}"
    )
    for name, r in (results["analyzers"] | results["variants"]).items():
        o = r["relevance"]["overall"]
        line = f"{name:<22}{o['recall@5']:>6.2f}{o['hit@1']:>7.2f}{o['hit@5']:>7.2f}"
        line += f"{o['mrr@10']:>8.2f}"
        if "index_docs_per_s" in r:
            line += f"{r['index_docs_per_s']:>8.0f}{r['init_s']:>8.2f}{r['rss_after_use_mb']:>8.1f}"
            line += f"{r['anon_after_use_mb']:>8.1f}{r['install_mb']:>8.1f}"
        print(line)
    kinds = list(next(iter(results["analyzers"].values()))["relevance"]["by_kind"])
    print("\nMRR@10 by kind")
    print(f"{'analyzer':<22}" + "".join(f"{k[:9]:>10}" for k in kinds))
    for name, r in (results["analyzers"] | results["variants"]).items():
        by_kind = r["relevance"]["by_kind"]
        print(f"{name:<22}" + "".join(f"{by_kind[k]['mrr@10']:>10.2f}" for k in kinds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/tokenizers.json")
    parser.add_argument("--glossary", type=Path, default=GLOSSARY)
    parser.add_argument("--docs", type=int, default=CORPUS_DOCS, help="throughput corpus size")
    parser.add_argument("--probe", help=argparse.SUPPRESS)  # internal: measure one analyzer
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.glossary)))
        return

    entries = load_glossary(args.glossary)
    queryset = json.loads(QUERIES.read_text(encoding="utf-8"))
    named = [q["expected"] for q in queryset["queries"]]
    named += [term for group in queryset["equivalents"] for term in group]
    unknown = sorted(set(named) - {e.term for e in entries})
    if unknown:
        sys.exit(f"expected terms missing from the glossary: {unknown}")
    corpus = synthetic_corpus(entries, args.docs, DOC_CHARS, SEED)
    packages = ("whoosh3", "janome", "sudachipy", "sudachidict-core", "fugashi")
    packages += ("unidic-lite", "psutil")

    results: dict = {
        "generated_by": "benchmarks/tokenizers.py",
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": len(os.sched_getaffinity(0)),
        },
        "packages": {p: importlib.metadata.version(p) for p in packages},
        "settings": {
            "field_boosts": FIELD_BOOSTS,
            "scoring": "Whoosh BM25F defaults; one OR query of every analyzed term in every field",
            "throughput_corpus_docs": args.docs,
            "doc_chars": DOC_CHARS,
            "seed": SEED,
            "normalisation": __doc__.split("Normalisation, the same for every analyzer:\n")[1],
        },
        "queries": {
            "file": str(QUERIES.relative_to(ROOT)),
            "count": len(queryset["queries"]),
            "by_kind": {
                k: sum(q["kind"] == k for q in queryset["queries"]) for k in queryset["kinds"]
            },
        },
        "analyzers": {},
        "variants": {},
    }
    for config in CONFIGS:
        print(f"measuring {config.name} ...", file=sys.stderr)
        probes = [probe_in_subprocess(key, args.glossary) for key in config.analyzers]
        install = sum(installed_bytes(p) for p in config.packages)
        results["analyzers"][config.name] = {
            "description": config.description,
            "packages": {p: importlib.metadata.version(p) for p in config.packages},
            "install_mb": round(install / 2**20, 1),
            "init_s": round(sum(p["init_s"] for p in probes), 3),
            "rss_init_mb": round(sum(p["rss_init_mb"] for p in probes), 1),
            "rss_after_use_mb": round(sum(p["rss_after_use_mb"] for p in probes), 1),
            "anon_after_use_mb": round(sum(p["anon_after_use_mb"] for p in probes), 1),
            "long_text": {
                "bytes": probes[0]["long_text_bytes"],
                "terms": probes[0]["long_text_terms"],
            },
            "index_docs_per_s": round(throughput(config, corpus), 1),
            "relevance": glossary_relevance(config, entries, queryset),
        }
    for config in VARIANTS:
        print(f"measuring variant {config.name} ...", file=sys.stderr)
        results["variants"][config.name] = {
            "description": config.description,
            "relevance": glossary_relevance(config, entries, queryset),
        }

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print_table(results)
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
