"""The load test of issue 9: the production stack on loopback under a Locust crowd.

    make loadtest                                    # 100 users for 3 minutes (the default)
    .venv/bin/python benchmarks/loadtest/run.py --smoke           # 20 users for 30 s
    .venv/bin/python benchmarks/loadtest/run.py --users 50 --run-time 1m --workers 4
    .venv/bin/python benchmarks/loadtest/run.py --smoke --reuse-database   # skip the set-up
    .venv/bin/python benchmarks/loadtest/run.py --smoke --reuse-database --user-classes QAMember

What it does, in order (everything lives in the PostgreSQL database ``loadtest`` on
127.0.0.1:5432, Redis database 3 and ``var/loadtest/``; nothing else is touched):

1. Drops and creates the database ``loadtest``, migrates, creates the credential keys, collects
   the static files and loads the demo (``load_demo``, which also builds the search index), all
   with ``config.settings.loadtest`` (production served over plain HTTP on loopback).
2. Creates the load-test accounts in bulk: learners and Q&A members with a verified e-mail
   address, a profile and an approved posting standing (their posts skip the review of a new
   member's first posts, which would otherwise hold them for a moderator).
3. Writes ``var/loadtest/targets.json`` (the pages, courses, lessons, quizzes, cases, facets,
   questions and queries the scenario visits) and flushes Redis database 3.
4. Starts gunicorn (``gunicorn config.wsgi --chdir site``) on a free loopback port and waits for
   ``/healthz``; samples its CPU and memory while the test runs. Four sync workers by default:
   two per core of the two-core machine the project is sized for (gunicorn suggests 2-4 per core;
   PostgreSQL, Redis and Locust share the same cores here). A page is CPU-bound Python (templates,
   Sudachi analysis, Whoosh scoring), so gthread's threads would add no parallelism under the GIL,
   only contention; each sync process keeps its own searcher and tokenizer.
5. Runs Locust headless (``locustfile.py`` beside this file) and then stops everything, also on
   Ctrl-C or a failure.
6. Checks that every write the site answered with success is in the database (see
   ``check_writes``), and writes ``benchmarks/results/loadtest.json``: the machine, the
   parameters, requests per second and p50/p95/p99 per page type, failures, totals, the server's
   resource use, errors in its log and the write check.

Rate limits are production's (``KNOWLEDGE_RATE_LIMITS``: 5 questions, 20 answers, 30 comments,
120 votes an hour per member). The scenario meets them honestly: it keeps a budget per account
and moves a simulated member on to a fresh account once one is spent, so there are enough accounts
(``--members``) and a refused post is a failure, never an expected answer.

Search indexing runs in the request (``TASKS_BACKEND=immediate``) so that several gunicorn
processes write the embedded Whoosh index at once; production's default queues it for one
``db_worker`` instead. E-mail goes to Django's dummy backend (rendered, not sent).

The exit status is 0 when no request failed and no write is missing, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

# Python puts only this script's folder on the path; the helpers every benchmark script shares
# live in the one above, benchmarks/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import support

ROOT = support.ROOT
HERE = Path(__file__).resolve().parent
WORK = ROOT / "var" / "loadtest"
RESULTS = ROOT / "benchmarks" / "results" / "loadtest.json"
PYTHON = support.PYTHON
BIN = support.BIN

DATABASE_NAME = "loadtest"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/3"
ACCOUNT_DOMAIN = "loadtest.example.jp"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="simulated users (100)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second")
    parser.add_argument("--run-time", default="3m", help="how long the crowd runs, e.g. 3m, 30s")
    parser.add_argument(
        "--smoke", action="store_true", help="a short check: 20 users for 30 s (unless given)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (4)")
    parser.add_argument("--learners", type=int, default=200, help="learner accounts (200)")
    parser.add_argument("--members", type=int, default=200, help="Q&A member accounts (200)")
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="keep the database, index and accounts of the previous run (for working on the "
        "scenario; the results say so)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--note", default="", help="a remark kept in the results")
    parser.add_argument(
        "--user-classes",
        nargs="+",
        default=[],
        metavar="CLASS",
        help="only these user classes of locustfile.py (AnonymousReader, Searcher, Learner, "
        "QAMember), e.g. to try one part of the scenario",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        given = set(argv if argv is not None else sys.argv[1:])
        if "--users" not in given:
            args.users = 20
        if "--spawn-rate" not in given:
            args.spawn_rate = 5
        if "--run-time" not in given:
            args.run_time = "30s"
    return args


# --- the environment every part shares ----------------------------------------------------------


def server_environment() -> dict[str, str]:
    base_url = "https://cio-academy.loadtest.invalid"
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.loadtest",
        "DATABASE_URL": f"{POSTGRES_SERVER}/{DATABASE_NAME}",
        "CONN_MAX_AGE": "60",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Credentials name their issuer by an https address (production refuses anything else);
        # nothing fetches it during the test.
        "WAGTAILADMIN_BASE_URL": base_url,
        "CREDENTIALS_BASE_URL": base_url,
        "VAR_DIR": str(WORK / "var"),
        "TASKS_BACKEND": "immediate",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(*arguments: str, log) -> float:
    started = time.perf_counter()
    command = [str(PYTHON), str(ROOT / "manage.py"), *arguments]
    print("  $", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    return round(time.perf_counter() - started, 1)


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE_NAME} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE_NAME}")


def prepare(args, log) -> dict:
    """A fresh site with the demo loaded; returns the seconds each step took."""
    timings = {}
    print("Preparing the database 'loadtest' and var/loadtest/ ...", flush=True)
    shutil.rmtree(WORK / "var", ignore_errors=True)
    recreate_database()
    timings["migrate"] = manage("migrate", "--noinput", log=log)
    timings["credential_keys"] = manage("credential_keys", log=log)
    # Before the demo: production's manifest storage names static files (the badge image in the
    # credentials the demo signs) only once they are collected.
    timings["collectstatic"] = manage("collectstatic", "--noinput", log=log)
    timings["load_demo"] = manage("load_demo", "--allow-production", log=log)
    return timings


def create_accounts(learners: int, members: int) -> dict:
    """Learners and Q&A members in bulk (one password hash for all: hashing 400 passwords one by
    one would take minutes and tells nothing about the site)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from knowledge.models import Member
    from knowledge.posting import DEFAULT_REVIEWED_POSTS
    from people.models import Profile

    User = get_user_model()
    password = secrets.token_urlsafe(16)
    hashed = make_password(password)
    wanted = [(f"learner-{n:04d}", "learner") for n in range(1, learners + 1)]
    wanted += [(f"member-{n:04d}", "member") for n in range(1, members + 1)]
    reviewed = max(DEFAULT_REVIEWED_POSTS, 2)
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"loadtest-{key}",
                email=f"{key}@{ACCOUNT_DOMAIN}",
                password=hashed,
                is_active=True,
            )
            for key, _role in wanted
        )
        Profile.objects.bulk_create(
            Profile(user=user, display_name=f"負荷試験 {key}")
            for user, (key, _role) in zip(users, wanted, strict=True)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
        )
        Member.objects.bulk_create(
            Member(user=user, approved_posts=reviewed, email=Member.Email.NEVER) for user in users
        )
    from django.conf import settings

    from knowledge.posting import DEFAULT_RATE_LIMITS

    accounts = {
        "password": password,
        "learner": [],
        "member": [],
        "rate_limits": getattr(settings, "KNOWLEDGE_RATE_LIMITS", DEFAULT_RATE_LIMITS),
    }
    for user, (_key, role) in zip(users, wanted, strict=True):
        accounts[role].append({"id": user.pk, "email": user.email})
    return accounts


def collect_targets() -> dict:
    """What the scenario visits, read from the demo just loaded (Japanese pages: the default)."""
    from django.test import RequestFactory
    from wagtail.models import Locale, Site

    from casestudies.listing import Listing
    from casestudies.models import CaseStudyIndexPage, CaseStudyPage
    from core.models import Topic
    from curriculum.models import CourseCatalogPage, CoursePage, LessonPage, ProgrammePage
    from knowledge.models import Question

    japanese = Locale.objects.get(language_code="ja")
    site = Site.objects.get(is_default_site=True)

    def url(page):
        return page.get_url(current_site=site)

    courses = []
    for course in CoursePage.objects.live().filter(locale=japanese).order_by("path"):
        lessons = LessonPage.objects.live().descendant_of(course).order_by("path")
        courses.append(
            {
                "id": course.pk,
                "url": url(course),
                "prerequisites": list(course.prerequisites.values_list("pk", flat=True)),
                "lessons": [
                    {"id": lesson.pk, "url": url(lesson), "quiz": bool(lesson.quiz_id)}
                    for lesson in lessons
                ],
            }
        )
    index = CaseStudyIndexPage.objects.live().filter(locale=japanese).first()
    request = RequestFactory().get(url(index))
    facets = {
        facet.name: [option.value for option in facet.options if option.count]
        for facet in Listing(index, request).facets()
    }
    queries = json.loads((ROOT / "benchmarks" / "queries" / "glossary_ja.json").read_text())
    return {
        "home": url(site.root_page),
        "catalogues": [url(p) for p in CourseCatalogPage.objects.live().filter(locale=japanese)],
        "programmes": [url(p) for p in ProgrammePage.objects.live().filter(locale=japanese)],
        "courses": courses,
        "case_index": url(index),
        "case_facets": {name: values for name, values in facets.items() if values},
        "cases": [url(p) for p in CaseStudyPage.objects.live().public().filter(locale=japanese)],
        "questions": list(
            Question.objects.published()
            .filter(closed_at__isnull=True, is_locked=False)
            .values_list("pk", flat=True)
        ),
        "topics": list(Topic.objects.values_list("slug", flat=True)),
        "queries": [q["query"] for q in queries["queries"]],
    }


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- the server and the crowd ---------------------------------------------------------------


class ResourceSampler(threading.Thread):
    """CPU and memory of gunicorn (the master and its workers) and of the whole machine."""

    def __init__(self, pid: int, interval: float = 2.0):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples = []
        self.halt = threading.Event()
        self.processes: dict[int, psutil.Process] = {}
        # CPU seconds per process, the last reading kept after a process ends.
        self.cpu_seconds: dict[int, float] = {}
        self.started_cpu = 0.0

    def _tree(self):
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for process in tree:
            self.processes.setdefault(process.pid, process)
        return [self.processes[p.pid] for p in tree]

    def _read_cpu_seconds(self, process) -> None:
        times = process.cpu_times()
        self.cpu_seconds[process.pid] = times.user + times.system

    def run(self):
        for process in self._tree():
            process.cpu_percent(None)
            self._read_cpu_seconds(process)
        self.started_cpu = sum(self.cpu_seconds.values())
        psutil.cpu_percent(None)
        while not self.halt.wait(self.interval):
            cpu = rss = 0.0
            for process in self._tree():
                try:
                    cpu += process.cpu_percent(None)
                    rss += process.memory_info().rss
                    self._read_cpu_seconds(process)
                except psutil.NoSuchProcess:
                    continue
            self.samples.append(
                {"server_cpu": cpu, "server_rss": rss, "machine_cpu": psutil.cpu_percent(None)}
            )

    def busy_cpu_seconds(self) -> float:
        """CPU time gunicorn spent serving since the sampling started."""
        return sum(self.cpu_seconds.values()) - self.started_cpu

    def summary(self, requests: int) -> dict:
        if not self.samples:
            return {}
        cpu_ms_per_request = 1000 * self.busy_cpu_seconds() / requests if requests else None

        def mean(key):
            return sum(s[key] for s in self.samples) / len(self.samples)

        return {
            "samples": len(self.samples),
            "server_cpu_percent_mean": round(mean("server_cpu"), 1),
            "server_cpu_percent_max": round(max(s["server_cpu"] for s in self.samples), 1),
            "server_rss_mb_max": round(max(s["server_rss"] for s in self.samples) / 2**20),
            "machine_cpu_percent_mean": round(mean("machine_cpu"), 1),
            "cpu_seconds": round(self.busy_cpu_seconds(), 1),
            "cpu_ms_per_request": round(cpu_ms_per_request, 1) if cpu_ms_per_request else None,
            # What one core would serve if the server had it to itself: a figure that depends
            # less on what else the machine is doing than requests per second does.
            "requests_per_core_second": round(1000 / cpu_ms_per_request, 1)
            if cpu_ms_per_request
            else None,
            "note": "CPU percent of one core (100 = one core); gunicorn's master and workers "
            "together; machine_cpu_percent is of all cores",
        }


SERVER_LOG_PATTERNS = {
    "tracebacks": re.compile(r"^Traceback \(most recent call last\)", re.M),
    "worker_timeouts": re.compile(r"WORKER TIMEOUT"),
    "search_lock_errors": re.compile(r"LockError"),
    "errors": re.compile(r" (?:ERROR|CRITICAL) "),
}


def scan_server_log(path: Path) -> dict:
    text = path.read_text(errors="replace") if path.exists() else ""
    found = {name: len(pattern.findall(text)) for name, pattern in SERVER_LOG_PATTERNS.items()}
    # The first lines of each distinct error, so the results say what went wrong.
    samples = []
    for match in re.finditer(r"^.*(?:ERROR|CRITICAL|Error:|Exception:).*$", text, re.M):
        line = match.group(0)[:300]
        if line not in samples:
            samples.append(line)
    found["examples"] = samples[:10]
    return found


def run_locust(args, base_url: str, env: dict, log) -> int:
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        base_url,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *args.user_classes,
    ]
    print("  $ locust", " ".join(command[3:]), flush=True)
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        return process.wait()
    finally:
        support.stop_process_group(process, "locust")


# --- the write check ------------------------------------------------------------------------------


def read_writes(folder: Path) -> list[dict]:
    writes = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                writes.append(json.loads(line))
    return writes


def check_writes(writes: list[dict]) -> dict:
    """Each write that got a success answer is looked up in the database. Posts created during
    the test were voted on by the test alone, so their score must equal the sum of the votes
    recorded for them (and of the vote rows stored)."""
    from django.db.models import Sum

    from curriculum.models import Enrolment, LessonCompletion, QuizAttempt
    from knowledge.models import Answer, Question, Visibility, Vote

    missing = []
    counts = {}

    def miss(write, why):
        missing.append({**write, "why": why})

    questions = {}
    answers = {}
    recorded_votes: dict[tuple[str, int], int] = {}
    for write in writes:
        kind = write["kind"]
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "question":
            found = Question.objects.filter(
                pk=write["id"], author_id=write["user"], title=write["title"]
            ).first()
            if found is None:
                miss(write, "no question with this id, author and title")
            elif found.visibility != Visibility.PUBLISHED:
                miss(write, f"question is {found.visibility}, not published")
            else:
                questions[found.pk] = found
        elif kind == "answer":
            found = Answer.objects.filter(
                pk=write["id"], author_id=write["user"], question_id=write["question"]
            ).first()
            if found is None or write["token"] not in found.body:
                miss(write, "no answer with this id, author, question and token")
            elif found.visibility != Visibility.PUBLISHED:
                miss(write, f"answer is {found.visibility}, not published")
            else:
                answers[found.pk] = found
        elif kind == "vote":
            target = {write["post_kind"]: write["post"]}
            stored = Vote.objects.filter(user_id=write["user"], **target).first()
            if stored is None or stored.value != write["value"]:
                miss(write, f"vote stored as {stored.value if stored else None}")
            key = (write["post_kind"], write["post"])
            recorded_votes[key] = recorded_votes.get(key, 0) + write["value"]
        elif kind == "accept":
            accepted = (
                Question.objects.filter(pk=write["question"])
                .values_list("accepted_answer_id", flat=True)
                .first()
            )
            if accepted != write["answer"]:
                miss(write, f"accepted answer is {accepted}")
        elif kind == "enrolment":
            if not Enrolment.objects.filter(user_id=write["user"], course_id=write["course"]):
                miss(write, "no enrolment")
        elif kind == "lesson_completion":
            if not LessonCompletion.objects.filter(
                user_id=write["user"], lesson_id=write["lesson"]
            ).exists():
                miss(write, "no lesson completion")
        elif kind == "quiz_attempt":
            if not QuizAttempt.objects.filter(
                pk=write["attempt"], user_id=write["user"], submitted_at__isnull=False
            ).exists():
                miss(write, "no submitted attempt")
        else:
            miss(write, "unknown kind of write")

    score_mismatches = []
    for kind, created in (("question", questions), ("answer", answers)):
        model = Question if kind == "question" else Answer
        for pk in created:
            score = model.objects.values_list("score", flat=True).get(pk=pk)
            stored = Vote.objects.filter(**{kind: pk}).aggregate(total=Sum("value"))["total"] or 0
            recorded = recorded_votes.get((kind, pk), 0)
            if not score == stored == recorded:
                score_mismatches.append(
                    {"kind": kind, "id": pk, "score": score, "votes": stored, "recorded": recorded}
                )
    voted_new = sum(
        1 for (kind, pk) in recorded_votes if pk in (questions if kind == "question" else answers)
    )
    return {
        "writes_recorded": len(writes),
        "by_kind": counts,
        "missing": missing[:50],
        "missing_count": len(missing),
        "posts_created_and_voted_on": voted_new,
        "score_mismatches": score_mismatches[:50],
        "score_mismatch_count": len(score_mismatches),
        "ok": not missing and not score_mismatches,
    }


# --- the report --------------------------------------------------------------------------------


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def code_under_test() -> dict:
    """The commit served, and whether the working tree differed from it (shared trees do)."""

    def git(*arguments):
        result = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
        return result.stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_paths": len(changed)}


def machine() -> dict:
    import psycopg
    import redis

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres") as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    return {
        "cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "django": version("Django"),
            "wagtail": version("wagtail"),
            "gunicorn": version("gunicorn"),
            "locust": version("locust"),
            "psycopg": version("psycopg"),
            "django-redis": version("django-redis"),
            "whoosh3": version("whoosh3"),
            "postgresql": postgres,
            "redis": redis_version,
        },
    }


def print_table(stats: dict) -> None:
    rows = stats.get("requests", [])
    print(f"\n{'request':<42} {'count':>6} {'fail':>5} {'rps':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for row in [*rows, stats.get("total", {})]:
        if not row:
            continue
        print(
            f"{row['name'][:42]:<42} {row['requests']:>6} {row['failures']:>5} "
            f"{row['rps']:>6.2f} {row['p50_ms']:>6} {row['p95_ms']:>6} {row['p99_ms']:>6}"
        )


def main(argv=None) -> int:
    args = parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    shared = server_environment()
    env = {**os.environ, **shared}
    os.environ.update(shared)
    setup_log = (WORK / "setup.log").open("a")
    server = sampler = None
    started_at = datetime.now(UTC)
    report = {
        "benchmark": "load test (issue 9, item 6)",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_under_test(),
        "note": args.note,
    }
    exit_code = 1

    def on_terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_terminate)
    # Ctrl-C stops everything, even from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        accounts_file = WORK / "accounts.json"
        targets_file = WORK / "targets.json"
        if args.reuse_database and accounts_file.exists() and targets_file.exists():
            timings = {"reused": True}
            support.setup_django()
        else:
            timings = prepare(args, setup_log)
            support.setup_django()
            started = time.perf_counter()
            accounts_file.write_text(json.dumps(create_accounts(args.learners, args.members)))
            timings["accounts"] = round(time.perf_counter() - started, 1)
            targets_file.write_text(json.dumps(collect_targets(), ensure_ascii=False))
        accounts = json.loads(accounts_file.read_text())
        from django.db import connections

        connections.close_all()
        flush_redis()

        writes_dir = WORK / "writes"
        shutil.rmtree(writes_dir, ignore_errors=True)
        writes_dir.mkdir()
        stats_file = WORK / "locust-stats.json"
        stats_file.unlink(missing_ok=True)
        server_log = WORK / "gunicorn.log"
        server_log.unlink(missing_ok=True)

        server = support.Gunicorn(env, setup_log, args.workers, error_log=server_log)
        base_url = server.base_url
        print(f"Starting gunicorn with {args.workers} sync workers on {base_url} ...", flush=True)
        server.start()
        sampler = ResourceSampler(server.pid)
        sampler.start()

        print(
            f"Running Locust: {args.users} users, {args.spawn_rate}/s, {args.run_time} ...",
            flush=True,
        )
        locust_env = {
            **env,
            "LOADTEST_TARGETS": str(targets_file),
            "LOADTEST_ACCOUNTS": str(accounts_file),
            "LOADTEST_WRITES": str(writes_dir),
            "LOADTEST_STATS": str(stats_file),
        }
        with (WORK / "locust.log").open("w") as locust_log:
            locust_status = run_locust(args, base_url, locust_env, locust_log)
        sampler.halt.set()
        sampler.join()
        server.stop()
        if not stats_file.exists():
            raise RuntimeError("Locust wrote no statistics; see var/loadtest/locust.log")
        stats = json.loads(stats_file.read_text())

        print("Checking the writes against the database ...", flush=True)
        write_check = check_writes(read_writes(writes_dir))
        report.update(
            {
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "parameters": {
                    "users": args.users,
                    "spawn_rate": args.spawn_rate,
                    "run_time": args.run_time,
                    "user_classes": args.user_classes or "all",
                    "gunicorn": f"{args.workers} sync workers",
                    "settings": "config.settings.loadtest (production over plain HTTP)",
                    "database": "PostgreSQL, CONN_MAX_AGE=60",
                    "cache": REDIS_URL,
                    "search": "Whoosh, indexed in the request (TASKS_BACKEND=immediate)",
                    "email": "dummy backend",
                    "accounts": {
                        "learners": len(accounts["learner"]),
                        "members": len(accounts["member"]),
                    },
                    "rate_limits": stats.get("rate_limits"),
                    "reused_database": bool(timings.get("reused")),
                    "setup_seconds": timings,
                },
                "user_classes": stats.get("user_classes"),
                "requests": stats["requests"],
                "total": stats["total"],
                "errors": stats.get("errors", []),
                "scenario": {
                    "events": stats.get("scenario", {}),
                    "posts_created": stats.get("new_posts"),
                    "exceptions_in_the_scenario": stats.get("exceptions", []),
                },
                "server": {
                    **sampler.summary(stats["total"]["requests"]),
                    "log": scan_server_log(server_log),
                },
                "locust_exit_status": locust_status,
                "write_check": write_check,
            }
        )
        print_table(stats)
        server_use = report["server"]
        print(
            f"\ngunicorn: {server_use.get('cpu_ms_per_request')} ms CPU a request "
            f"({server_use.get('requests_per_core_second')} requests per core-second), "
            f"{server_use.get('server_cpu_percent_mean')}% of a core on average, "
            f"peak RSS {server_use.get('server_rss_mb_max')} MB"
        )
        print(
            f"Failures: {stats['total']['failures']}; writes checked: "
            f"{write_check['writes_recorded']}, missing: {write_check['missing_count']}, "
            f"score mismatches: {write_check['score_mismatch_count']}"
        )
        exit_code = 0 if write_check["ok"] and stats["total"]["failures"] == 0 else 1
    except KeyboardInterrupt:
        print("\nInterrupted: stopping the server.", flush=True)
        report["interrupted"] = True
        exit_code = 130
    finally:
        if sampler is not None:
            sampler.halt.set()
        if server is not None:
            server.stop()
        setup_log.close()
    if "requests" in report:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"Results: {args.output}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
