"""Where an uncached page spends its CPU: each page of the HTTP benchmark rendered in this
process with the scale data, timed, and profiled with pyinstrument (issue 22).

    .venv/bin/python benchmarks/profile_pages.py            # the database "scale" (make bench-http)
    .venv/bin/python benchmarks/profile_pages.py --quick    # the small "scale_quick"
    .venv/bin/python benchmarks/profile_pages.py --pages question,cases --requests 50

The pages, the learner and the database are those of ``http_bench.py`` (run it, or
``make bench-http``, first: it builds the database). Each page goes through Django's whole
middleware stack with the production settings and the anonymous page cache off, as the
benchmark's uncached phase serves it, after a few requests to warm the process up (templates
compiled, Markdown rendered once per text, site root paths cached). Then, per page:

- ``cpu_ms``: this process's CPU time per request (``time.process_time``) over ``--requests``
  requests: Python's share, without the database server's;
- ``wall_ms``: the elapsed time per request, which includes waiting for PostgreSQL and Redis;
- ``queries``: the SQL statements of one request;
- a pyinstrument profile of ``--requests`` more requests, kept as text in
  ``benchmarks/results/profiles/<page>.txt``: the call tree (library frames folded, calls under
  1% of the time hidden) and the functions that spent the most time themselves.

The summary goes to ``benchmarks/results/profiles.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime

import http_bench
import support

RESULTS = support.ROOT / "benchmarks" / "results"
PAGES = ("home", "course", "lesson", "question", "cases", "dashboard")
WARM_UP = 3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small database, scale_quick")
    parser.add_argument("--database", help="PostgreSQL database (scale; quick: scale_quick)")
    parser.add_argument("--requests", type=int, default=30, help="requests timed, then profiled")
    parser.add_argument("--pages", help=f"comma-separated subset of {','.join(PAGES)}")
    args = parser.parse_args(argv)
    args.database = args.database or ("scale_quick" if args.quick else "scale")
    args.pages = [p for p in (args.pages or ",".join(PAGES)).split(",") if p]
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    return args


def render_profile(profiler) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    tree = ConsoleRenderer(
        unicode=True, color=False, show_all=False, short_mode=True, time="percent_of_total"
    ).render(profiler.last_session)
    flat = ConsoleRenderer(
        unicode=True, color=False, flat=True, time="percent_of_total", show_all=True
    ).render(profiler.last_session)
    top = "\n".join(flat.splitlines()[:60])
    return f"{tree}\n\nFunctions by their own time (the top of the flat view):\n\n{top}\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    bench_args = http_bench.parse_args(["--quick"] if args.quick else [])
    bench_args.database = args.database
    if http_bench.read_marker(args.database) is None:
        print(f"No benchmark database '{args.database}': run benchmarks/http_bench.py first.")
        return 2
    work = support.ROOT / "var" / "bench" / args.database
    targets = http_bench.targets_and_session(bench_args, work)
    environ = http_bench.environment(bench_args, work, page_cache_seconds=0)
    environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    support.setup_django(**{k: v for k, v in environ.items() if k not in ("PATH", "HOME")})

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    folder = RESULTS / ("profiles-quick" if args.quick else "profiles")
    folder.mkdir(parents=True, exist_ok=True)
    summary = {}
    for name in args.pages:
        client = Client()
        if name == "dashboard":
            client.cookies["sessionid"] = targets["session"]
        path = targets[name]

        def get(client=client, path=path):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            return response

        for _ in range(WARM_UP):
            body = get().content
        with CaptureQueriesContext(connection) as captured:
            get()
        # Read now: each request's start empties the connection's query log.
        queries = len(captured)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            get()
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
        wall_ms = (time.perf_counter() - wall) * 1000 / args.requests
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.requests):
                get()
        (folder / f"{name}.txt").write_text(
            f"{name}: {path} ({args.requests} requests, {cpu_ms:.1f} ms CPU and "
            f"{wall_ms:.1f} ms elapsed a request, {queries} queries)\n\n"
            + render_profile(profiler),
            encoding="utf-8",
        )
        summary[name] = {
            "path": path,
            "cpu_ms": round(cpu_ms, 1),
            "wall_ms": round(wall_ms, 1),
            "queries": queries,
            "bytes": len(body),
        }
        print(
            f"  {name:<10} {cpu_ms:7.1f} ms CPU {wall_ms:7.1f} ms elapsed "
            f"{queries:4d} queries {len(body):>8,} bytes",
            flush=True,
        )
    report = {
        "benchmark": "profiles",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database,
        "questions": targets["questions"],
        "question_answers": targets["question_answers"],
        "requests_per_page": args.requests,
        "pages": summary,
        "notes": [
            "In-process, through the whole middleware stack, production settings, page cache off.",
            "cpu_ms is this process's CPU a request; the database server's CPU is not included.",
            "Profiles: benchmarks/results/profiles/<page>.txt (pyinstrument).",
        ],
    }
    output = RESULTS / ("profiles-quick.json" if args.quick else "profiles.json")
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"Wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
