"""Benchmark the project's search backends against Wagtail's database backends.

Four django-modelsearch backends run side by side on the same corpus and the same queries:

* ``tantivy``  -- ``search.backends.tantivy``, ours and the default (the project's analysis in
  front of Tantivy's compiled index);
* ``whoosh``   -- ``search.backends.whoosh``, ours too, pure Python (the same analysis);
* ``database`` -- ``wagtail.search.backends.database``, which on SQLite is FTS5 (unicode61);
* ``fallback`` -- ``modelsearch.backends.database.fallback``, substring matching, no index.

The corpus is ``core.models.Topic`` rows: the 109 entries of the government IT glossary
(``shared/data/gov-cio-jp/stdwords``; name_ja = 用語, description_ja = 定義 + フリガナ) among
synthetic Q&A-like distractors of about 300 characters built from the vocabulary and sentences of
``shared/domain/field-guide.md`` (a few hundred terms and sentences recombined, so postings are
long: a pessimistic case for latency). For every corpus size (``--sizes``, documents in all) and
backend it measures:

* relevance of ``benchmarks/queries/glossary_ja.json``: hit@5 and MRR@10 for the expected glossary
  entry, overall and per query kind (skipped when the glossary is absent);
* query latency p50/p95 in ms (``backend.search(query, Topic.objects.all())[:10]``, objects
  fetched) over ``--repeat`` passes of the query set, fewer once they have taken 30 s;
* a full rebuild as ``rebuild_modelsearch_index`` does it (rebuilder, chunks of 1,000): seconds
  and documents per second;
* the update of one document, as a save's signal handler does it (``backend.add(obj)``): median
  of 20, in ms;
* the index size on disk (Whoosh: the live generation; database: growth of the SQLite file);
* the peak RSS of the process during the build and during the queries (psutil, sampled).

Builds and queries run in fresh processes (queries in one that did not build, like an application
server) on a throwaway SQLite database and index folder, so memory figures and caches do not leak
from one measurement into the next. A reference backend is
skipped at a size (and the output says so) when its build plus one pass of the queries, scaled
linearly from the previous size, would take over ``--budget`` seconds: at 100,000 documents
Wagtail's SQLite FTS5 backend takes over a second a query. Ours always runs. Results go to
``benchmarks/results/search.json`` and a table is printed.

    .venv/bin/python benchmarks/search_bench.py                 # 1k, 10k, 100k (about 20 min)
    .venv/bin/python benchmarks/search_bench.py --quick         # 1k only, a smoke test
    .venv/bin/python benchmarks/search_bench.py --sizes 1000,5000 --repeat 1
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import support

ROOT = support.ROOT
SHARED = ROOT.parent / "shared"
GLOSSARY = SHARED / "data/gov-cio-jp/stdwords/hyoujun_guideline_yougosyu.csv"
FIELD_GUIDE = SHARED / "domain/field-guide.md"
QUERIES = ROOT / "benchmarks/queries/glossary_ja.json"
OUTPUT = ROOT / "benchmarks/results/search.json"

BACKENDS = {
    "tantivy": "search.backends.tantivy",
    "whoosh": "search.backends.whoosh",
    "database": "wagtail.search.backends.database",
    "fallback": "modelsearch.backends.database.fallback",
}
OURS = "tantivy"
# The embedded backends: an index folder of their own, and queries read the project's way.
EMBEDDED = ("tantivy", "whoosh")
DEFAULT_SIZES = "1000,10000,100000"
CHUNK_SIZE = 1_000  # rebuild_modelsearch_index's default
TOP_K = 10
UPDATES = 20
WARMUP_QUERIES = 10
QUERY_BUDGET_S = 30  # timed passes stop once they have taken this long (at least one runs)
DOC_CHARS = 300
SEED = 20260601
RSS_INTERVAL = 0.02  # seconds between memory samples


# --- Corpus ---------------------------------------------------------------------------------------


def load_glossary(path: Path = GLOSSARY) -> list[dict]:
    """The glossary as Topic rows: 用語 is the name, 定義 and フリガナ the description."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [
            {
                "name_ja": row["用語"].strip(),
                "description_ja": f"{row['定義'].strip()}\n{row['フリガナ'].strip()}",
            }
            for row in csv.DictReader(f)
        ]


JAPANESE = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff]")
MARKUP = re.compile(r"https?://\S+|\[S\d+\]|〔[^〕]*〕|[*#`>]")
FRAGMENT_SPLIT = re.compile(r"[|\n。;]|(?<=[)）]) ")
LIST_MARK = re.compile(r"^(?:[-・]|\d+\.|[A-Z]\d+|S\d+)\s*")
TERM = re.compile(r"[ァ-ヺー・]{3,}|[一-龥々]{2,6}|[A-Z][A-Za-z\-]{1,9}(?![0-9])")

QUESTIONS = (
    "{a}と{b}の関係を教えてください",
    "{a}を進めるときの{b}の注意点は",
    "小規模団体で{a}に取り組むには",
    "{a}の費用対効果はどう示せばよいですか",
    "{a}について他団体の事例はありますか",
    "{a}の導入で{b}はどう変わりますか",
    "{a}と{b}はどちらを先に進めるべきですか",
    "{a}の担当が1人しかいない場合の進め方",
)


def domain_text(path: Path = FIELD_GUIDE) -> tuple[list[str], list[str]]:
    """Sentences and recurring terms of the field guide, stripped of markup and sources."""
    text = MARKUP.sub("", path.read_text(encoding="utf-8"))
    fragments = []
    for piece in FRAGMENT_SPLIT.split(text):
        piece = LIST_MARK.sub("", piece.strip(" -:→"))
        if 8 <= len(piece) <= 120 and JAPANESE.search(piece):
            fragments.append(piece)
    counts = Counter(TERM.findall(text))
    terms = sorted(term for term, n in counts.items() if n >= 2)
    return fragments, terms


def distractors(count: int, fragments: list[str], terms: list[str], seed: int = SEED):
    """Q&A-like documents: a question on two domain terms, an answer of about 300 characters.
    The same seed gives the same first documents whatever ``count`` is."""
    rng = random.Random(seed)
    for i in range(count):
        a, b = rng.sample(terms, 2)
        question = rng.choice(QUESTIONS).format(a=a, b=b)
        body = [f"質問: {question}?"]
        while sum(map(len, body)) < DOC_CHARS:
            body.append(rng.choice(fragments) + "。")
        yield {"name_ja": f"{question[:64]}（No.{i + 1}）", "description_ja": "".join(body)}


def corpus_rows(size: int, with_glossary: bool) -> list[dict]:
    rows = load_glossary() if with_glossary else []
    fragments, terms = domain_text()
    rows += distractors(size - len(rows), fragments, terms)
    return rows


# --- Measuring ------------------------------------------------------------------------------------


def rss() -> int:
    """The resident set size of this process and of the worker processes it started (a large
    rebuild indexes in workers)."""
    import psutil

    process = psutil.Process()
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


class PeakRSS:
    """The highest resident set size of this process and its workers while the block runs,
    sampled."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while True:
            self.peak = max(self.peak, rss())
            if self._stop.wait(RSS_INTERVAL):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def relevance(ranks: list[int | None], kinds: list[str]) -> dict:
    """hit@5 and MRR@10 of the expected entry, overall and per kind."""

    def scores(selected):
        return {
            "queries": len(selected),
            "hit@5": round(sum(1 for r in selected if r and r <= 5) / len(selected), 3),
            "mrr@10": round(sum(1 / r for r in selected if r and r <= TOP_K) / len(selected), 3),
        }

    by_kind = defaultdict(list)
    for rank, kind in zip(ranks, kinds, strict=True):
        by_kind[kind].append(rank)
    return {"overall": scores(ranks), "by_kind": {k: scores(v) for k, v in by_kind.items()}}


# --- Worker processes: each task runs in a fresh process with Django set up -----------------------


def setup_task(db_path: Path, index_dir: Path, backend: str = OURS):
    """Django in this worker process on the run's database and index folder."""
    support.setup_django(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{db_path}",
        SEARCH_INDEX_DIR=str(index_dir),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        # Saves index at once, into the backend the settings name (what backend.add uses).
        TASKS_BACKEND="immediate",
        SEARCH_BACKEND=backend if backend in EMBEDDED else OURS,
    )


def task_migrate(db_path: Path, index_dir: Path):
    setup_task(db_path, index_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def task_load(db_path: Path, index_dir: Path, size: int, with_glossary: bool) -> dict:
    """Fills the Topic table; bulk_create sends no post_save, so nothing is indexed yet."""
    setup_task(db_path, index_dir)
    from core.models import Topic

    rows = corpus_rows(size, with_glossary)
    Topic.objects.bulk_create(
        (Topic(slug=f"bench-{i}", name_en="", sort_order=100, **row) for i, row in enumerate(rows)),
        batch_size=2_000,
    )
    lengths = [len(row["name_ja"]) + len(row["description_ja"]) for row in rows]
    return {"documents": len(rows), "mean_chars": round(statistics.mean(lengths))}


def rebuild(backend, model):
    """A full rebuild as rebuild_modelsearch_index runs it (keyset pages instead of offsets)."""
    from django.db import transaction

    if backend.rebuilder_class is None:
        return False
    rebuilder = backend.rebuilder_class(backend.get_index_for_model(model))
    index = rebuilder.start()
    index.add_model(model)
    with transaction.atomic():
        remaining = model.get_indexed_objects().order_by("pk")
        while chunk := list(remaining[:CHUNK_SIZE]):
            index.add_items(model, chunk)
            remaining = remaining.filter(pk__gt=chunk[-1].pk)
    rebuilder.finish()
    return True


def get_backend(name: str, index_dir: Path):
    from django.conf import settings
    from modelsearch.backends import get_search_backend

    # The folder the settings give it, so that a save's indexing task reaches this index.
    options = (
        {"PATH": settings.WAGTAILSEARCH_BACKENDS["default"]["PATH"]} if name in EMBEDDED else {}
    )
    return get_search_backend(BACKENDS[name], **options)


def task_build(name: str, db_path: Path, index_dir: Path) -> dict:
    """A full rebuild, its time, memory and the index size."""
    setup_task(db_path, index_dir, name)
    from core.models import Topic

    backend = get_backend(name, index_dir)
    result = {
        "backend_class": f"{type(backend).__module__}.{type(backend).__name__}",
        "rss_start_mb": round(rss() / 2**20, 1),
        "build": None,  # the fallback has nothing to build: it reads the table itself
    }
    db_before = database_mb()
    with PeakRSS() as memory:
        started = time.perf_counter()
        built = rebuild(backend, Topic)
        seconds = time.perf_counter() - started
    if built:
        result["build"] = {
            "seconds": round(seconds, 2),
            "docs_per_s": round(Topic.objects.count() / seconds, 1),
            "peak_rss_mb": memory.mb,
        }
        if name in EMBEDDED:
            result["index_mb"] = folder_mb(Path(os.path.realpath(backend.current_link)))
        else:
            result["index_mb"] = round(database_mb() - db_before, 1)
    return result


def task_query(
    name: str, db_path: Path, index_dir: Path, queries: list[dict], repeat: int, built: bool
) -> dict:
    """Latency and memory of the queries in a process that did not build the index, as in
    an application server; then the update of one document."""
    setup_task(db_path, index_dir, name)
    from core.models import Topic

    backend = get_backend(name, index_dir)

    from search.plan import RelaxedText

    def search(text):
        # The embedded backends are asked as the site search asks them: every word, settling
        # for most or any; the reference backends get the text as it is.
        query = RelaxedText(text) if name in EMBEDDED else text
        return [topic.name_ja for topic in backend.search(query, Topic.objects.all())[:TOP_K]]

    with PeakRSS() as memory:
        for q in queries[:WARMUP_QUERIES]:
            search(q["query"])
        answers, per_query = timed_passes(search, [q["query"] for q in queries], repeat)
    latencies = [ms for times in per_query for ms in times]
    return {
        "query": {
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "mean_ms": round(statistics.mean(latencies), 2),
            "max_ms": round(max(latencies), 1),
            "passes": len(per_query[0]),
            "peak_rss_mb": memory.mb,
            "per_query_ms": [round(statistics.median(times), 2) for times in per_query],
        },
        "answers": answers,
        "update": measure_update(backend, Topic, search) if built else None,
    }


def timed_passes(search, texts: list[str], repeat: int):
    """Up to ``repeat`` passes over the queries, fewer once they have taken QUERY_BUDGET_S.
    Returns the first pass's answers and each query's latencies in ms."""
    per_query: list[list[float]] = [[] for _ in texts]
    answers = []
    deadline = time.perf_counter() + QUERY_BUDGET_S
    for n in range(repeat):
        for text, times in zip(texts, per_query, strict=True):
            started = time.perf_counter()
            found = search(text)
            times.append((time.perf_counter() - started) * 1000)
            if n == 0:
                answers.append(found)
        if time.perf_counter() > deadline:
            break
    return answers, per_query


def database_mb() -> float:
    """The size of the SQLite database, write-ahead log included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0] / 2**20


def measure_update(backend, model, search) -> dict:
    """Changes one distractor's text and indexes it as the post_save handler would, 20 times;
    then checks that a search finds the last change."""
    obj = model.objects.order_by("-pk").first()  # a distractor: they follow the glossary
    original = obj.description_ja
    times = []
    for n in range(UPDATES):
        marker = f"benchmarker{n}"
        model.objects.filter(pk=obj.pk).update(description_ja=f"{original} {marker}")
        obj.refresh_from_db()
        started = time.perf_counter()
        backend.add(obj)
        times.append((time.perf_counter() - started) * 1000)
    visible = search(marker)[:1] == [obj.name_ja]
    model.objects.filter(pk=obj.pk).update(description_ja=original)
    obj.refresh_from_db()
    backend.add(obj)
    return {"median_ms": round(statistics.median(times), 2), "visible_after": visible}


def run_in_fresh_process(function, *args):
    # "spawn": no state (Django, caches, allocated memory) is inherited from this process.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# --- Orchestration --------------------------------------------------------------------------------


def log(message: str):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_queries() -> list[dict]:
    if not QUERIES.exists():
        sys.exit(f"{QUERIES} is missing: the query set is needed for relevance and latency.")
    return json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]


def run(args) -> dict:
    sizes = [1_000] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    with_glossary = GLOSSARY.exists()
    if not with_glossary:
        log(f"{GLOSSARY} is absent: relevance is skipped, speed only.")
    if not FIELD_GUIDE.exists():
        sys.exit(f"{FIELD_GUIDE} is needed to build the distractor documents.")
    queries = load_queries()
    if with_glossary:
        names = {row["name_ja"] for row in load_glossary()}
        unknown = sorted({q["expected"] for q in queries} - names)
        if unknown:
            log(f"warning: expected entries not in the glossary: {', '.join(unknown)}")

    report = {
        "benchmark": "search backends: tantivy and whoosh (ours) vs database (SQLite FTS5) "
        "vs fallback",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {"sizes": sizes, "repeat": args.repeat, "budget_s": args.budget},
        "machine": machine(),
        "queries": {
            "file": str(QUERIES.relative_to(ROOT)),
            "count": len(queries),
            "texts": [q["query"] for q in queries],
        },
        "relevance_skipped": None if with_glossary else f"{GLOSSARY} not found",
        "runs": [],
    }
    started = time.perf_counter()
    previous: dict[str, dict] = {}  # each backend's last measurement, to project the next
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        tmp = Path(tmp)
        template = tmp / "template.sqlite3"
        log("migrating a fresh database")
        run_in_fresh_process(task_migrate, template, tmp / "unused-index")
        for size in sizes:
            db_path, index_dir = tmp / f"bench-{size}.sqlite3", tmp / f"index-{size}"
            shutil.copyfile(template, db_path)
            corpus = run_in_fresh_process(task_load, db_path, index_dir, size, with_glossary)
            log(f"{size:,} documents loaded ({corpus['mean_chars']} characters on average)")
            for name in BACKENDS:
                entry = {"size": size, "backend": name, "corpus": corpus}
                projected = projected_seconds(previous.get(name), size, len(queries))
                if name != OURS and projected > args.budget:
                    entry["skipped"] = (
                        f"build and queries projected at {projected:,.0f} s from the previous "
                        f"size (over --budget {args.budget:.0f} s)"
                    )
                    log(f"{size:,} {name}: skipped, {entry['skipped']}")
                else:
                    entry.update(measure(name, db_path, index_dir, queries, args.repeat))
                    previous[name] = entry
                    log(f"{size:,} {name}: {summarise(entry)}")
                report["runs"].append(entry)
    report["duration_s"] = round(time.perf_counter() - started, 1)
    return report


def measure(name: str, db_path: Path, index_dir: Path, queries: list[dict], repeat: int) -> dict:
    """One backend at one size: the build, then the queries and updates in another process."""
    result = run_in_fresh_process(task_build, name, db_path, index_dir)
    built = result["build"] is not None
    result |= run_in_fresh_process(task_query, name, db_path, index_dir, queries, repeat, built)
    answers = result.pop("answers")
    if GLOSSARY.exists():
        ranks = [
            top.index(q["expected"]) + 1 if q["expected"] in top else None
            for q, top in zip(queries, answers, strict=True)
        ]
        result["relevance"] = relevance(ranks, [q["kind"] for q in queries])
        result["ranks"] = ranks
        result["top3"] = [top[:3] for top in answers]
    return result


def projected_seconds(last: dict | None, size: int, queries: int) -> float:
    """A measurement's build and one pass of the queries, scaled linearly from a smaller size."""
    if last is None:
        return 0.0
    build = last["build"]["seconds"] if last["build"] else 0.0
    passes = last["query"]["mean_ms"] / 1000 * (queries + WARMUP_QUERIES)
    return (build + passes) * size / last["size"]


def summarise(entry: dict) -> str:
    build, query = entry["build"], entry["query"]
    parts = [f"build {build['seconds']} s" if build else "no build"]
    parts.append(f"p50 {query['p50_ms']} ms, p95 {query['p95_ms']} ms")
    if "relevance" in entry:
        parts.append(f"hit@5 {entry['relevance']['overall']['hit@5']}")
    return ", ".join(parts)


def machine() -> dict:
    import psutil

    packages = ("wagtail", "modelsearch", "tantivy", "whoosh3", "SudachiPy", "Django")
    versions = {}
    for package in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
    }


# --- Report ---------------------------------------------------------------------------------------


def table(rows: list[list[str]]) -> str:
    """Text columns, the first left-aligned, the others right-aligned, a rule under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(rows[0]), line(["-" * w for w in widths]), *map(line, rows[1:])])


def fmt(value, digits=1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def relevance_table(report: dict) -> list[str]:
    """hit@5 / MRR@10 per kind, at the smallest size (the glossary among the fewest distractors)."""
    runs = [r for r in report["runs"] if "relevance" in r]
    if not runs:
        return [f"Relevance skipped: {report['relevance_skipped']}"]
    size = min(r["size"] for r in runs)
    scores = {r["backend"]: r["relevance"] for r in runs if r["size"] == size}
    first = next(iter(scores.values()))
    rows = [["hit@5 / MRR@10", *scores]]
    for kind, counted in [("overall", first["overall"]), *first["by_kind"].items()]:
        cells = []
        for result in scores.values():
            s = result["overall"] if kind == "overall" else result["by_kind"][kind]
            cells.append(f"{s['hit@5']:.2f} / {s['mrr@10']:.2f}")
        rows.append([f"{kind} ({counted['queries']})", *cells])
    title = f"Relevance: {report['queries']['count']} queries, glossary among {size:,} documents"
    return [title, table(rows)]


def speed_table(report: dict) -> list[str]:
    header = "docs backend build_s docs/s p50_ms p95_ms update_ms index_MB RSS_build RSS_query"
    rows = [[h.replace("_", " ") for h in f"{header} hit@5".split()]]
    for r in report["runs"]:
        if "skipped" in r:
            rows.append([f"{r['size']:,}", r["backend"], "skipped", *["-"] * 8])
            continue
        build, query, update = r["build"] or {}, r["query"], r["update"] or {}
        hit = r["relevance"]["overall"]["hit@5"] if "relevance" in r else None
        rows.append(
            [
                f"{r['size']:,}",
                r["backend"],
                fmt(build.get("seconds")),
                fmt(build.get("docs_per_s"), 0),
                fmt(query["p50_ms"], 2),
                fmt(query["p95_ms"], 2),
                fmt(update.get("median_ms"), 2),
                fmt(r.get("index_mb")),
                fmt(build.get("peak_rss_mb"), 0),
                fmt(query["peak_rss_mb"], 0),
                fmt(hit, 2),
            ]
        )
    starts = [r["rss_start_mb"] for r in report["runs"] if "rss_start_mb" in r]
    title = "Speed (RSS: peak MB of the building / querying process"
    if starts:
        title += f"; a fresh Django process: {statistics.median(starts):.0f} MB"
    return [title + ")", table(rows)]


def ratio_lines(report: dict) -> list[str]:
    """How many times the reference backends' figures ours takes, size by size."""
    runs = {(r["size"], r["backend"]): r for r in report["runs"] if "skipped" not in r}
    lines = [f"Ratios, {OURS} / reference (above 1: {OURS} is slower)"]
    for size, reference in sorted(k for k in runs if k[1] != OURS):
        ours, ref = runs.get((size, OURS)), runs[(size, reference)]
        if ours is None:
            continue
        pairs = {
            "p50": (ours["query"]["p50_ms"], ref["query"]["p50_ms"]),
            "p95": (ours["query"]["p95_ms"], ref["query"]["p95_ms"]),
        }
        if ours["build"] and ref["build"]:
            pairs["build"] = (ours["build"]["seconds"], ref["build"]["seconds"])
            pairs["update"] = (ours["update"]["median_ms"], ref["update"]["median_ms"])
        text = ", ".join(f"{k} {a / b:.1f}x" for k, (a, b) in pairs.items())
        lines.append(f"  {size:>7,} vs {reference:<8}  {text}")
    return lines


def render(report: dict) -> str:
    out = [*relevance_table(report), "", *speed_table(report), "", *ratio_lines(report)]
    runs = report["runs"]
    for r in runs:
        if "skipped" in r:
            out.append(f"Skipped: {r['backend']} at {r['size']:,} documents, {r['skipped']}.")
    if any(r.get("build", 0) is None for r in runs):
        out.append("fallback: no index to build or update; it scans the table on every query.")
    stale = [
        f"{r['backend']} at {r['size']:,}"
        for r in runs
        if r.get("update") and not r["update"]["visible_after"]
    ]
    if stale:
        out.append(f"Update NOT found by the next search: {', '.join(stale)}")
    ours = [r for r in runs if r["backend"] == OURS]
    if ours:
        largest = max(ours, key=lambda r: r["size"])
        timings = zip(largest["query"]["per_query_ms"], report["queries"]["texts"], strict=True)
        slowest = sorted(timings, reverse=True)[:3]
        listed = ", ".join(f"{text} {ms:,.0f} ms" for ms, text in slowest)
        out.append(f"Slowest {OURS} queries at {largest['size']:,}: {listed}")
    out.append(f"Total run time {report['duration_s'] / 60:.1f} min.")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="corpus sizes, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1,000 documents only (smoke test)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--budget",
        type=float,
        default=120,
        help="seconds a reference backend's build and query pass may take at a size (projected)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(render(report))
    print(f"\nWritten to {args.output}")


if __name__ == "__main__":
    main()
