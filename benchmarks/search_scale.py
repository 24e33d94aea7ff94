"""The site search as the corpus grows (issue 17): seed_scale data of 2,000, 10,000, 30,000 and
100,000 questions (three answers each), on PostgreSQL, served by gunicorn.

For each size:

1. The data: a PostgreSQL database (``search_<n>``; the 100,000 one is the HTTP benchmark's
   ``scale`` database, built and reused the same way) with the demo and ``seed_scale``.
2. The build: ``manage.py update_index`` from an empty index folder, timed, with the peak of the
   index folder on disk (the temporary files of the build included: Tantivy writes and merges
   its segments there), the peak memory of the build's processes, and the index's final size.
3. One client: ``GET /search/?q=…`` (the HTML page a person sees, counts and facets included) for
   each query of ``benchmarks/queries/glossary_ja.json`` in turn, ``--passes`` times after one
   pass of warm-up, one request at a time: p50 and p95 in ms, and the CPU time of the serving
   worker per request.
4. Ten clients through gunicorn (``--workers`` sync workers) for ``--duration`` seconds: requests
   per second, p50/p95, and errors (any status but 200).
5. The resident memory of each gunicorn worker with the searcher open.

Results go to ``benchmarks/results/search_scale.json`` and a table is printed. Run it on a quiet
machine: other load skews the times (the CPU per request less so).

    .venv/bin/python benchmarks/search_scale.py                       # 2k, 10k, 30k, 100k
    .venv/bin/python benchmarks/search_scale.py --sizes 2000 --passes 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_bench  # the HTTP benchmark's server and client helpers

ROOT = http_bench.ROOT
OUTPUT = ROOT / "benchmarks" / "results" / "search_scale.json"
DEFAULT_SIZES = "2000,10000,30000,100000"
TARGETS = {"p50_ms": 30, "p95_ms": 100, "build_s": 300, "peak_disk_mb": 2048, "rss_mb": 250}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="questions, comma-separated")
    parser.add_argument("--passes", type=int, default=2, help="timed passes of the query set")
    parser.add_argument("--duration", type=float, default=20, help="seconds of the 10 clients")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--reseed", action="store_true", help="build the data again")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    return parser.parse_args(argv)


def sizes_for(questions: int) -> dict:
    if questions == http_bench.FULL_SIZES["questions"]:
        return dict(http_bench.FULL_SIZES)
    return {
        "users": max(300, questions // 10),
        "questions": questions,
        "answers": questions * 3,
        "cases": max(60, questions // 50),
        "enrolments": max(2_000, questions // 5),
    }


def database_for(questions: int) -> str:
    return "scale" if questions == http_bench.FULL_SIZES["questions"] else f"search_{questions}"


def bench_args(args, questions: int):
    """The HTTP benchmark's settings object for one size."""
    return argparse.Namespace(
        database=database_for(questions),
        sizes=sizes_for(questions),
        reseed=args.reseed,
        workers=args.workers,
    )


# --- the build ----------------------------------------------------------------------------------


def sample_build(process, folder: Path, stop: threading.Event, peaks: dict) -> None:
    import psutil

    root = psutil.Process(process.pid)
    while not stop.is_set():
        try:
            family = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in family if p.is_running())
        except psutil.NoSuchProcess:
            break
        peaks["rss_mb"] = max(peaks.get("rss_mb", 0), rss / 2**20)
        peaks["disk_mb"] = max(peaks.get("disk_mb", 0), folder_mb(folder))
        stop.wait(0.5)


def folder_mb(folder: Path) -> float:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except FileNotFoundError:
            continue
    return total / 2**20


def build_index(env, work: Path, log) -> dict:
    """update_index into an empty index folder: seconds, CPU, peaks, size."""
    index_root = work / "search_index"
    shutil.rmtree(index_root, ignore_errors=True)
    index_root.mkdir(parents=True)
    peaks: dict = {}
    stop = threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(http_bench.PYTHON), str(ROOT / "manage.py"), "update_index"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sampler = threading.Thread(target=sample_build, args=(process, index_root, stop, peaks))
    sampler.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"update_index failed; see {log.name}")
    live = Path(os.path.realpath(index_root / "tantivy" / "current"))
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),  # this process and its workers
        "peak_disk_mb": round(peaks.get("disk_mb", 0), 1),
        "peak_rss_mb": round(peaks.get("rss_mb", 0), 1),
        "index_mb": round(folder_mb(live), 1),
    }


# --- the queries --------------------------------------------------------------------------------


def one_client(base: str, queries: list[str], passes: int, server) -> dict:
    import psutil

    workers = psutil.Process(server.pid).children()
    paths = [f"/search/?{urllib.parse.urlencode({'q': q})}" for q in queries]
    for path in paths:  # warm-up: dictionary, readers, caches
        fetch(base + path)
    cpu_before = sum(sum(w.cpu_times()[:2]) for w in workers)
    latencies, errors = [], 0
    for _ in range(passes):
        for path in paths:
            started = time.perf_counter()
            status = fetch(base + path)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
    cpu_after = sum(sum(w.cpu_times()[:2]) for w in workers)
    latencies.sort()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(latencies[-1], 1),
        "cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / len(latencies), 1),
        "errors": errors,
    }


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def run_size(args, questions: int, queries: list[str]) -> dict:
    settings = bench_args(args, questions)
    work = ROOT / "var" / "bench" / settings.database
    work.mkdir(parents=True, exist_ok=True)
    log_path = work.parent / f"{settings.database}-search.log"
    print(f"\n{questions:,} questions (database {settings.database})", flush=True)
    with log_path.open("a") as log:
        preparation = prepare(settings, work, log)
        env = http_bench.environment(settings, work)
        build = build_index(env, work, log)
        print(
            f"  build {build['seconds']} s ({build['cpu_s']} s CPU), index {build['index_mb']} MB, "
            f"peak disk {build['peak_disk_mb']} MB, peak memory {build['peak_rss_mb']} MB",
            flush=True,
        )
        with http_bench.server_for(settings, work, 0, log) as server:
            single = one_client(server.base_url, queries, args.passes, server)
            print(
                f"  one client: p50 {single['p50_ms']} ms, p95 {single['p95_ms']} ms, "
                f"{single['cpu_ms_per_request']} ms CPU a request, errors {single['errors']}",
                flush=True,
            )
            paths = [f"/search/?{urllib.parse.urlencode({'q': q})}" for q in queries]
            many = http_bench.run_python(
                server.base_url, paths, None, args.duration, args.concurrency
            )
            print(
                f"  {args.concurrency} clients: {many['rps']} req/s, p50 {many['p50_ms']} ms, "
                f"p95 {many['p95_ms']} ms, errors {many['errors']}",
                flush=True,
            )
            rss = server.worker_rss_mb()
            memory = worker_memory(server)
    return {
        "questions": questions,
        "sizes": settings.sizes,
        "preparation": preparation,
        "build": build,
        "one_client": single,
        "clients": {"concurrency": args.concurrency, **many},
        "worker_rss_mb": rss,
        "worker_memory_mb": memory,
    }


def worker_memory(server) -> list[dict]:
    """What each gunicorn worker's resident memory is made of: pages of the files it maps
    read-only, which the page cache shares between every worker (Sudachi's dictionary, the
    index), and its own (unique) memory."""
    import psutil

    found = []
    for worker in psutil.Process(server.pid).children():
        try:
            full = worker.memory_full_info()
            maps = worker.memory_maps(grouped=True)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        files = {"sudachi_dictionary": 0, "search_index": 0}
        for mapping in maps:
            if mapping.path.endswith(".dic"):
                files["sudachi_dictionary"] += mapping.rss
            elif "search_index" in mapping.path:
                files["search_index"] += mapping.rss
        found.append(
            {
                "rss": round(full.rss / 2**20, 1),
                "uss": round(full.uss / 2**20, 1),
                "pss": round(full.pss / 2**20, 1),
                **{name: round(size / 2**20, 1) for name, size in files.items()},
                "own": round((full.rss - sum(files.values())) / 2**20, 1),
            }
        )
    return found


def prepare(settings, work: Path, log) -> dict:
    """The seeded database (the HTTP benchmark's preparation, without its index build)."""
    marker = http_bench.wanted_marker(settings)
    if not settings.reseed and http_bench.read_marker(settings.database) == marker:
        print(f"  reusing the database '{settings.database}'", flush=True)
        env = http_bench.environment(settings, work)
        return {"reused": True, "migrate": http_bench.manage(env, "migrate", "--noinput", log=log)}
    return http_bench.prepare_data(settings, work, log, index=False)


def verdicts(runs: list[dict]) -> list[dict]:
    largest = max(runs, key=lambda r: r["questions"])
    checks = [
        ("p50 at the largest size", largest["one_client"]["p50_ms"], TARGETS["p50_ms"]),
        ("p95 at the largest size", largest["one_client"]["p95_ms"], TARGETS["p95_ms"]),
        ("full rebuild (s)", largest["build"]["seconds"], TARGETS["build_s"]),
        ("peak disk of the build (MB)", largest["build"]["peak_disk_mb"], TARGETS["peak_disk_mb"]),
        (
            "gunicorn worker memory, RSS (MB)",
            max(largest["worker_rss_mb"] or [0]),
            TARGETS["rss_mb"],
        ),
        (
            "gunicorn worker memory without shared read-only files (MB)",
            max((w["own"] for w in largest["worker_memory_mb"]), default=0),
            TARGETS["rss_mb"],
        ),
        ("errors with 10 clients", largest["clients"]["errors"], 0),
    ]
    return [
        {"check": name, "value": value, "target": target, "met": value <= target}
        for name, value, target in checks
    ]


def main(argv=None) -> int:
    args = parse_args(argv)
    spec = json.loads(http_bench.QUERIES.read_text())
    queries = [q["query"] for q in spec["queries"]]
    runs = [run_size(args, int(n), queries) for n in args.sizes.split(",")]
    checks = verdicts(runs)
    print(
        f"\n{'questions':>10} {'build s':>8} {'index MB':>9} {'peak disk':>9} {'p50':>6} "
        f"{'p95':>6} {'CPU/req':>8} {'10 clients req/s':>17} {'errors':>6}"
    )
    for run in runs:
        b, one, many = run["build"], run["one_client"], run["clients"]
        print(
            f"{run['questions']:>10,} {b['seconds']:>8} {b['index_mb']:>9} {b['peak_disk_mb']:>9} "
            f"{one['p50_ms']:>6} {one['p95_ms']:>6} {one['cpu_ms_per_request']:>8} "
            f"{many['rps']:>17} {many['errors']:>6}"
        )
    for check in checks:
        print(
            f"  {'met' if check['met'] else 'NOT met'}: {check['check']} {check['value']} "
            f"(target {check['target']})"
        )
    report = {
        "benchmark": "site search at growing corpus sizes (issue 17)",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": http_bench.machine(argparse.Namespace(client="python", workers=args.workers)),
        "parameters": {
            "passes": args.passes,
            "duration_s": args.duration,
            "concurrency": args.concurrency,
            "gunicorn_workers": args.workers,
            "queries": len(queries),
            "settings": "config.settings.loadtest",
            "backend": "tantivy",
        },
        "runs": runs,
        "targets": checks,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
