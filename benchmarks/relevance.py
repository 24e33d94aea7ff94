"""Relevance of the site search as a new user meets it: the query set of
``benchmarks/queries/glossary_ja.json`` sent to ``GET /search/?format=json`` of a site holding

* ``glossary``: just the government glossary (109 entries), imported with ``import_qa`` as an
  official would (``--question-column 用語 --answer-column 定義``, nothing else);
* ``demo``: the demo site (``load_demo``, which imports the glossary among courses, case studies
  and questions), after which the same ``import_qa`` is run again: it must add nothing.

A query is answered when a question titled with the expected term (``ＲＦＰ`` or ``ＲＦＰとは？``)
is among the results; hit@1, hit@5 and MRR@10 are reported overall and per kind of query, with
each miss and what came first instead. Each site is built in a fresh process with its own SQLite
database and index (``--backend`` picks the engine: tantivy, the default, or whoosh). Results go
to ``benchmarks/results/relevance.json``.

    .venv/bin/python benchmarks/relevance.py                  # both sites, the default engine
    .venv/bin/python benchmarks/relevance.py --backend whoosh --sites glossary
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import support

ROOT = support.ROOT
QUERIES = ROOT / "benchmarks" / "queries" / "glossary_ja.json"
OUTPUT = ROOT / "benchmarks" / "results" / "relevance.json"
GLOSSARY = (
    ROOT.parent / "shared" / "data" / "gov-cio-jp" / "stdwords" / ("hyoujun_guideline_yougosyu.csv")
)
SITES = ("glossary", "demo")
TARGETS = {"hit@5": 0.95, "mrr@10": 0.90}
TOP = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="tantivy", choices=("tantivy", "whoosh"))
    parser.add_argument("--sites", default=",".join(SITES), help="glossary,demo")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--site", help=argparse.SUPPRESS)  # the child process's site
    return parser.parse_args(argv)


# --- in the child process: build one site, ask every query ----------------------------------------


def run_site(site: str) -> dict:
    support.setup_django()  # the settings come from the parent, in the environment
    from django.core.management import call_command
    from django.test import Client

    from knowledge.models import Question

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    if site == "demo":
        call_command("credential_keys", verbosity=0)
        call_command("load_demo", verbosity=0)
    import_by_hand = [
        "import_qa",
        str(GLOSSARY),
        "--question-column",
        "用語",
        "--answer-column",
        "定義",
    ]
    before = Question.objects.count()
    call_command(*import_by_hand, verbosity=0)
    timings["build_s"] = round(time.perf_counter() - started, 1)
    duplicates = {
        "questions_before_import_qa": before,
        "questions_after_import_qa": Question.objects.count(),
    }

    client = Client(HTTP_HOST="127.0.0.1")
    spec = json.loads(QUERIES.read_text())
    answered = []
    started = time.perf_counter()
    for item in spec["queries"]:
        response = client.get("/search/", {"q": item["query"], "format": "json"})
        assert response.status_code == 200, (item, response.status_code)
        titles = [r["title"] for r in response.json()["results"]][:TOP]
        rank = next(
            (
                i
                for i, title in enumerate(titles, 1)
                if title.removesuffix("とは？") == item["expected"]
            ),
            None,
        )
        answered.append({**item, "rank": rank, "top3": titles[:3]})
    timings["queries_s"] = round(time.perf_counter() - started, 1)
    return {"site": site, "timings": timings, "duplicates": duplicates, "answers": answered}


def scores(answers: list[dict]) -> dict:
    count = len(answers)
    ranks = [a["rank"] for a in answers]
    return {
        "queries": count,
        "hit@1": round(sum(1 for r in ranks if r == 1) / count, 3),
        "hit@5": round(sum(1 for r in ranks if r and r <= 5) / count, 3),
        "mrr@10": round(sum(1 / r for r in ranks if r) / count, 3),
    }


def summarise(result: dict) -> dict:
    answers = result.pop("answers")
    by_kind = defaultdict(list)
    for answer in answers:
        by_kind[answer["kind"]].append(answer)
    result["overall"] = scores(answers)
    result["by_kind"] = {kind: scores(items) for kind, items in by_kind.items()}
    result["misses"] = [
        {key: a[key] for key in ("query", "expected", "kind", "rank", "top3")}
        for a in answers
        if not a["rank"] or a["rank"] > 1
    ]
    return result


# --- the parent: one child per site ---------------------------------------------------------------


def child(site: str, backend: str, work: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "VAR_DIR": str(work),
        "SEARCH_BACKEND": backend,
        "TASKS_BACKEND": "immediate",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    completed = subprocess.run(
        [sys.executable, __file__, "--site", site, "--backend", backend],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"The {site} site failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.splitlines()[-1])


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.site:  # the child
        print(json.dumps(run_site(args.site), ensure_ascii=False))
        return 0
    if not GLOSSARY.is_file():
        print(f"The glossary is absent ({GLOSSARY}): nothing to measure.")
        return 0
    report = {
        "benchmark": "site search relevance (benchmarks/queries/glossary_ja.json)",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": args.backend,
        "targets": TARGETS,
        "sites": {},
    }
    for site in args.sites.split(","):
        with tempfile.TemporaryDirectory(prefix=f"relevance-{site}-") as work:
            print(f"Building the {site} site ({args.backend}) ...", flush=True)
            report["sites"][site] = summarise(child(site, args.backend, Path(work)))
    print_table(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nWrote {args.output}")
    return 0


def print_table(report: dict) -> None:
    for site, result in report["sites"].items():
        print(f"\n{site} site ({report['backend']}): {result['duplicates']}")
        print(f"{'kind':<20} {'queries':>7} {'hit@1':>6} {'hit@5':>6} {'mrr@10':>7}")
        rows = [*result["by_kind"].items(), ("overall", result["overall"])]
        for kind, s in rows:
            print(f"{kind:<20} {s['queries']:>7} {s['hit@1']:>6} {s['hit@5']:>6} {s['mrr@10']:>7}")
        met = all(result["overall"][k] >= v for k, v in TARGETS.items())
        print(f"targets {TARGETS}: {'met' if met else 'NOT met'}")
        for miss in result["misses"]:
            if not miss["rank"] or miss["rank"] > 5:
                print(f"  miss: {miss['query']} → {miss['expected']} (got {miss['top3']})")


if __name__ == "__main__":
    sys.exit(main())
