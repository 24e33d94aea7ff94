"""The HTTP benchmark of issue 10: pages over HTTP against gunicorn on loopback with the scale
data, side by side in one run, each as a ratio to a static file served by the same stack.

    make bench-http                                     # the full run (part of `make bench`)
    .venv/bin/python benchmarks/http_bench.py --quick   # small data, 3 s a page: checks the harness
    .venv/bin/python benchmarks/http_bench.py --duration 30 --workers 4 --client python

What it does:

1. The data: the PostgreSQL database ``scale`` (127.0.0.1:5432, user postgres), migrated, with
   the demo (``load_demo``) and ``seed_scale`` at the chosen sizes (default: the issue's 10,000
   members, 100,000 questions, 300,000 answers, 2,000 cases, 200,000 enrolments) and the Whoosh
   index built. A marker table in the database records the sizes, the seed and the generator's
   source; a later run with the same parameters reuses the database (``--reseed`` forces a new
   one). ``--quick`` uses small sizes in a database of its own, ``scale_quick``, so checking the
   harness never replaces the full data.
2. The server: ``gunicorn config.wsgi`` (sync workers, ``--workers``, 4 by default: two per core
   of the two-core machine the project is sized for, as the load test uses) on a free loopback
   port, with ``config.settings.loadtest``: production's settings (DEBUG off, hashed and
   compressed static files through WhiteNoise, Redis, PostgreSQL) with the only relaxations plain
   HTTP on loopback needs (no HTTPS redirect, no HSTS, cookies without Secure; see that module).
   Redis database 4 is the cache, emptied before each server starts. The server runs twice:
   once with the anonymous page cache off (PAGE_CACHE_SECONDS=0) and once on, so every page
   is measured uncached and, where anonymous pages are cached, cached.
3. The load: 10 concurrent clients (``--concurrency``) for ``--duration`` seconds a page after a
   short warm-up, with ``wrk`` (Debian's package; ``make bench-http`` installs it) or, with
   ``--client python`` or where wrk is missing, a keep-alive Python client in separate
   processes. Every page is compared with a static file served by the same server in the same
   phase: the ratio to it normalises the client's own cost and the machine's speed.
4. Pages: the static file (ceiling), home, a course, a lesson, the question with the most answers
   (at least 100 where the data has one), the case listing with its facets, the site search
   (Japanese queries from ``benchmarks/queries/glossary_ja.json`` in turn) and the learner's
   dashboard (signed in as the scale member with the most enrolments; never cached).
5. CPU: the workers' user and system time over each page's run, per request (psutil): what a
   request costs the application, without the client's or PostgreSQL's share.
6. Memory: every gunicorn worker after each page (psutil): its resident set (RSS), which counts
   in full the pages it shares with the master and the other workers (the modules loaded
   before the fork, gunicorn.conf.py's ``preload_app``; the dictionary and index files mapped
   into memory), and its proportional (PSS) and unique (USS) sets, what it really costs.

Results go to ``benchmarks/results/http.json`` (machine, parameters, per page and phase:
requests per second, p50/p95/p99 in ms, errors, ratio to the static file; RSS per worker; the
targets met or not) and a table is printed. Run it on a quiet machine: other load skews it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import support

ROOT = support.ROOT
PYTHON = support.PYTHON
RESULTS = ROOT / "benchmarks" / "results" / "http.json"
QUERIES = ROOT / "benchmarks" / "queries" / "glossary_ja.json"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/4"
MARKER_TABLE = "http_bench_marker"

FULL_SIZES = {
    "users": 10_000,
    "questions": 100_000,
    "answers": 300_000,
    "cases": 2_000,
    "enrolments": 200_000,
}
QUICK_SIZES = {"users": 300, "questions": 2_000, "answers": 6_000, "cases": 60, "enrolments": 2_000}
SEED = 2026

TARGETS = {
    "cached_ratio": 0.5,  # anonymous cached pages: at least half the static file's throughput
    "uncached_p95_ms": 100,  # uncached pages, the dashboard included (issue 22)
    "search_p95_ms": 50,  # at 100,000 questions
    "rss_mb": 250,  # per worker
}
# Issue 22: the gunicorn workers' CPU per uncached request (user + system, over the whole run).
CPU_TARGETS_MS = {
    "home": 20,
    "course": 30,
    "lesson": 30,
    "question": 40,
    "cases": 40,
    "dashboard": 40,
}
PUBLIC_PAGES = ("home", "course", "lesson", "question", "cases")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, 3 s a page")
    parser.add_argument("--duration", type=float, help="seconds a page (20; quick: 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up a page (3; quick: 1)")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (4)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--database", help="PostgreSQL database (scale; quick: scale_quick)")
    parser.add_argument("--reseed", action="store_true", help="build the data again")
    parser.add_argument("--pages", help="comma-separated subset of the pages to measure")
    for name, default in FULL_SIZES.items():
        parser.add_argument(f"--{name}", type=int, help=f"scale data: {name} ({default:,})")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    args.sizes = {name: getattr(args, name) or sizes[name] for name in FULL_SIZES}
    args.duration = args.duration or (3 if args.quick else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    args.database = args.database or ("scale_quick" if args.quick else "scale")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk, or use --client python)")
    return args


# --- the data ---------------------------------------------------------------------------------


def environment(args, work: Path, page_cache_seconds: int = 0) -> dict[str, str]:
    base_url = "https://cio-academy.bench.invalid"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.loadtest",
        "DATABASE_URL": f"{POSTGRES_SERVER}/{args.database}",
        "CONN_MAX_AGE": "60",
        "REDIS_URL": REDIS_URL,
        "PAGE_CACHE_SECONDS": str(page_cache_seconds),
        "SECRET_KEY": "http-bench-" + "k" * 60,  # loopback only; sessions must outlive a phase
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Credentials name their issuer by an https address; nothing fetches it here.
        "WAGTAILADMIN_BASE_URL": base_url,
        "CREDENTIALS_BASE_URL": base_url,
        "VAR_DIR": str(work),
        "TASKS_BACKEND": "immediate",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def manage(env, *arguments, log) -> float:
    started = time.perf_counter()
    print("  $ manage.py", " ".join(arguments), flush=True)
    subprocess.run(
        [str(PYTHON), str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return round(time.perf_counter() - started, 1)


def wanted_marker(args) -> dict:
    generator = (ROOT / "site" / "demo" / "scale.py").read_bytes()
    return {
        "sizes": args.sizes,
        "seed": SEED,
        "generator": hashlib.sha256(generator).hexdigest()[:16],
    }


def read_marker(database: str) -> dict | None:
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_SERVER}/{database}") as connection:
            row = connection.execute(f"SELECT params FROM {MARKER_TABLE}").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def write_marker(database: str, marker: dict) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/{database}", autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
        connection.execute(f"CREATE TABLE {MARKER_TABLE} (params jsonb, created timestamptz)")
        connection.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, now())", [json.dumps(marker)])


def prepare_data(args, work: Path, log, index: bool = True) -> dict:
    """The seeded database, reused when its marker matches; returns what was done. Without
    ``index`` the search index is left for the caller to build (search_scale.py times it)."""
    import psycopg

    marker = wanted_marker(args)
    env = environment(args, work)
    if not args.reseed and read_marker(args.database) == marker:
        print(f"Reusing the database '{args.database}' (same sizes, seed and generator).")
        # New migrations since it was made are applied; the data stays.
        timings = {"reused": True, "migrate": manage(env, "migrate", "--noinput", log=log)}
        timings["analyze"] = analyze(args.database)
        return timings
    print(f"Building the database '{args.database}' with {args.sizes} ...", flush=True)
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    shutil.rmtree(work, ignore_errors=True)
    timings = {"reused": False}
    timings["migrate"] = manage(env, "migrate", "--noinput", log=log)
    timings["credential_keys"] = manage(env, "credential_keys", log=log)
    timings["collectstatic"] = manage(env, "collectstatic", "--noinput", log=log)
    timings["load_demo"] = manage(env, "load_demo", "--allow-production", log=log)
    sizes = [f"--{name}={value}" for name, value in args.sizes.items()]
    # seed_scale refuses production settings (its members share a known password); this
    # database is the benchmark's own, so it runs with the development settings on the same
    # database, index folder and cache.
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false"}
    indexing = "--index" if index else "--no-index"
    timings["seed_scale"] = manage(env, "seed_scale", *sizes, f"--seed={SEED}", indexing, log=log)
    timings["analyze"] = analyze(args.database)
    write_marker(args.database, marker)
    return timings


def analyze(database: str) -> float:
    """Planner statistics for the data just loaded, as autovacuum would gather them in time on a
    live site: without them PostgreSQL takes a member with 36 answers for one with 8,000 and
    picks plans a hundred times slower than it needs."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(f"{POSTGRES_SERVER}/{database}", autocommit=True) as connection:
        connection.execute("ANALYZE")
    return round(time.perf_counter() - started, 1)


def targets_and_session(args, work: Path) -> dict:
    """The URLs to measure, read from the seeded database, and a signed-in learner's session."""
    script = r"""
import json, sys
from support import setup_django
setup_django()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db.models import Count
from casestudies.models import CaseStudyIndexPage
from curriculum.models import CoursePage, Enrolment, LessonPage
from knowledge.models import Question

def url(page):
    return page.get_url(None)

question = (
    Question.objects.published().filter(answer_count__gte=100)
    .order_by("answer_count", "pk").first()
    or Question.objects.published().order_by("-answer_count", "pk").first()
)
busiest = (
    Enrolment.objects.values("user").annotate(n=Count("pk")).order_by("-n", "user").first()
)
from django.contrib.auth import get_user_model
learner = get_user_model().objects.get(pk=busiest["user"])
session = SessionStore()
session[SESSION_KEY] = str(learner.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = learner.get_session_auth_hash()
session.create()
japanese = {"locale__language_code": "ja"}
course = CoursePage.objects.live().public().filter(**japanese).order_by("path").first()
lesson = LessonPage.objects.live().public().filter(**japanese).order_by("path").first()
cases = CaseStudyIndexPage.objects.live().filter(**japanese).first()
print(json.dumps({
    "static": staticfiles_storage.url("css/site.css"),
    "home": "/",
    "course": url(course),
    "lesson": url(lesson),
    "question": question.get_absolute_url(),
    "question_answers": question.answer_count,
    "cases": url(cases),
    "dashboard": "/learn/",
    "learner_enrolments": busiest["n"],
    "session": session.session_key,
    "questions": Question.objects.count(),
}))
"""
    env = environment(args, work)
    env["PYTHONPATH"] = str(support.BENCHMARKS)  # the script imports support, which adds the rest
    output = subprocess.run(
        [str(PYTHON), "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    found = json.loads(output.strip().splitlines()[-1])
    queries = [q["query"] for q in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]][:20]
    found["search"] = [
        "/search/?" + urllib.parse.urlencode({"q": query}) for query in queries if query
    ]
    return found


# --- the server -------------------------------------------------------------------------------


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def server_for(args, work: Path, page_cache_seconds: int, log) -> support.Gunicorn:
    """gunicorn on the benchmark's data, with the cache emptied; ``with`` starts and stops it."""
    flush_redis()
    env = environment(args, work, page_cache_seconds)
    return support.Gunicorn(env, log, args.workers, options=("--backlog", "256"))


def check_page(base: str, paths: list[str], cookie: str | None, expect: str | None) -> dict:
    """One request first: the page must answer 200 (and, signed in, show the member's menu)."""
    request = urllib.request.Request(base + paths[0], headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{paths[0]} answered {response.status}")
        if expect and expect.encode() not in body:
            raise RuntimeError(f"{paths[0]} does not show {expect!r}: not signed in?")
        return {"bytes": len(body), "page_cache": response.headers.get("X-Page-Cache")}


# --- the clients ------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local paths = {}
local cookie = nil
local counter = 0

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  if args[2] and args[2] ~= "" then cookie = args[2] end
end

function request()
  counter = counter % #paths + 1
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[counter], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": %d, "bad_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def run_wrk(base, paths, cookie, seconds, concurrency) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        path_file = Path(folder) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        command = [
            "wrk",
            "-t",
            str(min(2, concurrency)),
            "-c",
            str(concurrency),
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
            "--",
            str(path_file),
            cookie or "",
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    seconds_run = raw["duration_us"] / 1e6
    if not raw["requests"]:
        return no_responses(raw["errors"] + raw["bad_status"])
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": raw["errors"] + raw["bad_status"],
    }


def no_responses(errors: int) -> dict:
    """Nothing finished within the run (the page is slower than the run is long)."""
    return {
        "requests": 0,
        "rps": 0.0,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "errors": errors,
    }


def _python_client(job) -> tuple[list[float], int]:
    """One client: keep-alive requests in turn until the time is up (gunicorn's sync workers
    close each connection, so it reconnects as a browser would)."""
    import http.client

    host, port, paths, cookie, until, offset = job
    headers = {"Cookie": cookie} if cookie else {}
    latencies, errors, index = [], 0, offset
    connection = http.client.HTTPConnection(host, port, timeout=10)
    while time.perf_counter() < until:
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            continue
        latencies.append(time.perf_counter() - started)
    connection.close()
    return latencies, errors


def run_python(base, paths, cookie, seconds, concurrency) -> dict:
    host, port = base.removeprefix("http://").split(":")
    started = time.perf_counter()
    until = started + seconds
    jobs = [(host, int(port), paths, cookie, until, n) for n in range(concurrency)]
    with multiprocessing.get_context("spawn").Pool(concurrency) as pool:
        results = pool.map(_python_client, jobs)
    elapsed = max(time.perf_counter(), until) - started
    latencies = sorted(x for lats, _e in results for x in lats)
    errors = sum(e for _l, e in results)
    if len(latencies) < 2:
        return no_responses(errors)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
        "errors": errors,
    }


# --- the run ----------------------------------------------------------------------------------


def measure(args, base, name, paths, cookie=None, expect=None, server=None) -> dict:
    run = run_wrk if args.client == "wrk" else run_python
    first = check_page(base, paths, cookie, expect)
    if args.warmup:
        run(base, paths, cookie, args.warmup, args.concurrency)
    cpu_before = server.workers_cpu_seconds() if server else 0.0
    result = run(base, paths, cookie, args.duration, args.concurrency)
    if server and result["requests"]:
        cpu = server.workers_cpu_seconds() - cpu_before
        result["cpu_ms_per_request"] = round(cpu * 1000 / result["requests"], 1)
    result["bytes"] = first["bytes"]
    memory = server.worker_memory_mb() if server else []
    result["worker_rss_mb"] = [m["rss"] for m in memory]
    result["worker_memory_mb"] = memory
    # The page cache's verdict on a second request tells whether the phase measured what it says.
    result["page_cache"] = check_page(base, paths, cookie, expect)["page_cache"]
    print(
        f"  {name:<22} {result['rps']:>8.1f} req/s  p50 {shown(result['p50_ms']):>7} ms  "
        f"p95 {shown(result['p95_ms']):>7} ms  "
        f"CPU {shown(result.get('cpu_ms_per_request')):>6} ms/req  errors {result['errors']}",
        flush=True,
    )
    return result


def phase(args, work, log, targets, cached: bool) -> tuple[dict, list[float]]:
    label = "cached" if cached else "uncached"
    print(f"\nPhase: anonymous page cache {'on' if cached else 'off'}", flush=True)
    results, rss = {}, []
    wanted = set(args.pages.split(",")) if args.pages else None
    cookie = f"sessionid={targets['session']}"
    with server_for(args, work, 300 if cached else 0, log) as server:
        pages = [("static", [targets["static"]], None, None)]
        pages += [(name, [targets[name]], None, None) for name in PUBLIC_PAGES]
        if not cached:
            pages.append(("search", targets["search"], None, None))
            pages.append(("dashboard", [targets["dashboard"]], cookie, "/accounts/logout/"))
        for name, paths, page_cookie, expect in pages:
            if wanted and name not in wanted and name != "static":
                continue
            results[name] = measure(
                args, server.base_url, f"{name} ({label})", paths, page_cookie, expect, server
            )
            rss.extend(results[name]["worker_memory_mb"])
    static = results["static"]["rps"]
    for result in results.values():
        result["ratio_to_static"] = round(result["rps"] / static, 3) if static else None
    return results, rss


def within(value, limit) -> bool:
    return value is not None and value <= limit


def shown(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def verdicts(results: dict, rss: list[dict], questions: int) -> list[dict]:
    checks = []
    for name in PUBLIC_PAGES:
        cached = results["cached"].get(name)
        if cached:
            checks.append(
                {
                    "target": f"{name} cached: >= {TARGETS['cached_ratio']:.0%} of static req/s",
                    "value": cached["ratio_to_static"],
                    "met": cached["ratio_to_static"] >= TARGETS["cached_ratio"],
                }
            )
        uncached = results["uncached"].get(name)
        if uncached:
            checks.append(
                {
                    "target": f"{name} uncached: p95 <= {TARGETS['uncached_p95_ms']} ms",
                    "value": uncached["p95_ms"],
                    "met": within(uncached["p95_ms"], TARGETS["uncached_p95_ms"]),
                }
            )
    if "dashboard" in results["uncached"]:
        p95 = results["uncached"]["dashboard"]["p95_ms"]
        checks.append(
            {
                "target": f"dashboard: p95 <= {TARGETS['uncached_p95_ms']} ms",
                "value": p95,
                "met": within(p95, TARGETS["uncached_p95_ms"]),
            }
        )
    for name, limit in CPU_TARGETS_MS.items():
        row = results["uncached"].get(name)
        if row and "cpu_ms_per_request" in row:
            checks.append(
                {
                    "target": f"{name} uncached: CPU <= {limit} ms a request",
                    "value": row["cpu_ms_per_request"],
                    "met": row["cpu_ms_per_request"] <= limit,
                }
            )
    if "search" in results["uncached"]:
        p95 = results["uncached"]["search"]["p95_ms"]
        checks.append(
            {
                "target": f"search: p95 <= {TARGETS['search_p95_ms']} ms at 100k questions",
                "value": p95,
                "met": within(p95, TARGETS["search_p95_ms"]),
                "note": None if questions >= 100_000 else f"measured at {questions:,} questions",
            }
        )
    if rss:
        for measure, label in (("rss", "RSS"), ("pss", "PSS"), ("uss", "USS")):
            largest = max(m[measure] for m in rss)
            checks.append(
                {
                    "target": f"{label} per worker <= {TARGETS['rss_mb']} MB",
                    "value": largest,
                    "met": largest <= TARGETS["rss_mb"],
                }
            )
    return checks


def version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine(args) -> dict:
    import psutil
    import psycopg
    import redis

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres") as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    wrk = None
    if args.client == "wrk":
        shown = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        wrk = (shown.stdout or shown.stderr).split("\n")[0].strip()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
        "versions": {
            "django": version("Django"),
            "wagtail": version("wagtail"),
            "gunicorn": version("gunicorn"),
            "psycopg": version("psycopg"),
            "django-redis": version("django-redis"),
            "whitenoise": version("whitenoise"),
            "tantivy": version("tantivy"),
            "postgresql": postgres,
            "redis": redis.Redis.from_url(REDIS_URL).info("server")["redis_version"],
            "wrk": wrk,
        },
    }


def print_table(results: dict, checks: list[dict]) -> None:
    print(
        f"\n{'page':<12}{'phase':<10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>8}"
        f"{'CPU ms':>8}"
    )
    for label in ("uncached", "cached"):
        for name, row in results[label].items():
            print(
                f"{name:<12}{label:<10}{row['rps']:>9.1f}{shown(row['p50_ms']):>9}"
                f"{shown(row['p95_ms']):>9}{row['ratio_to_static']:>8.2f}"
                f"{shown(row.get('cpu_ms_per_request')):>8}"
            )
    print()
    for check in checks:
        mark = "met" if check["met"] else "NOT MET"
        note = f"  ({check['note']})" if check.get("note") else ""
        print(f"  [{mark:>7}] {check['target']}: {check['value']}{note}")


def main(argv=None) -> int:
    args = parse_args(argv)
    work = ROOT / "var" / "bench" / args.database
    work.mkdir(parents=True, exist_ok=True)
    log_path = work.parent / f"{args.database}.log"
    about = machine(args)
    print(
        f"HTTP benchmark: {args.client} client, {args.concurrency} clients, "
        f"{args.duration:g} s a page, {args.workers} gunicorn workers; log in {log_path}"
    )
    with log_path.open("a") as log:
        preparation = prepare_data(args, work, log)
        targets = targets_and_session(args, work)
        print(
            f"Question: {targets['question']} ({targets['question_answers']} answers); "
            f"learner with {targets['learner_enrolments']} enrolments; "
            f"{targets['questions']:,} questions in all."
        )
        results = {}
        results["uncached"], rss_uncached = phase(args, work, log, targets, cached=False)
        results["cached"], rss_cached = phase(args, work, log, targets, cached=True)
    rss = rss_uncached + rss_cached
    checks = verdicts(results, rss, targets["questions"])
    print_table(results, checks)
    report = {
        "benchmark": "http",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": about,
        "parameters": {
            "client": args.client,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "gunicorn_workers": args.workers,
            "worker_class": "sync",
            "settings": "config.settings.loadtest",
            "database": args.database,
            "sizes": args.sizes,
            "quick": args.quick,
        },
        "data": {
            "preparation_s": preparation,
            "questions": targets["questions"],
            "question_url": targets["question"],
            "question_answers": targets["question_answers"],
            "learner_enrolments": targets["learner_enrolments"],
            "search_queries": len(targets["search"]),
        },
        "results": results,
        "worker_memory_mb": {
            measure: max((m[measure] for m in rss), default=None)
            for measure in ("rss", "pss", "uss")
        }
        | {"samples": len(rss)},
        "targets": checks,
        "notes": [
            "Ratios are requests per second over the static file's, in the same phase and run.",
            "Uncached: PAGE_CACHE_SECONDS=0; rendered Markdown stays cached by its text, as in "
            "production, so a question's answers are rendered once per text.",
            "The dashboard and the search are never served from the page cache.",
            "cpu_ms_per_request: the gunicorn workers' user and system CPU over the page's run "
            "divided by its requests (PostgreSQL's and the client's CPU are not in it).",
            "Memory: RSS counts pages shared with the master and the other workers in full; "
            "PSS divides them among the processes sharing them; USS is the worker's own.",
        ],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
