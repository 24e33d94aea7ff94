"""EXPLAIN every query the list pages run, on PostgreSQL, against the scale data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale .venv/bin/python benchmarks/explain.py

The database needs the demo data and the scale data first (`manage.py load_demo`, then
`manage.py seed_scale`). The queries are not written here: each list page (question lists with
every tab and filter, the question page, feeds, the inbox, My learning, profiles and the
directory, the case listing with its facets and sorts, compare, benchmark, the admin reports and
the moderation queue) is rendered through Django's test client, every SELECT it runs is captured
and run again under ``EXPLAIN (ANALYZE, FORMAT JSON)``. Each plan says which tables were read by
an index and which sequentially, with the planner's and the executor's times.

A sequential scan of a big table (``--big-table`` rows or more, 50,000 by default: smaller tables,
such as 10,000 members, are read whole in a few milliseconds and PostgreSQL rightly hashes them
for a join; every sequential scan is still listed in the results) fails the run
(exit status 1) and is listed, unless the page reads the whole table by design (a report that
counts every enrolment); those are allowed below, each with its reason. Results:
``benchmarks/results/explain.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import support

ROOT = support.ROOT
OUTPUT = ROOT / "benchmarks/results/explain.json"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/scale"

# Pages that read every row of a table on purpose: (page name, table) -> why.
WHOLE_TABLE_BY_DESIGN = {
    ("admin_learning_reports", "curriculum_enrolment"): (
        "the learning report counts every enrolment per course"
    ),
    ("admin_learning_reports", "curriculum_lessoncompletion"): (
        "the learning report counts every completion per course"
    ),
    ("admin_learning_report_course", "curriculum_lessoncompletion"): (
        "where learners stop: every completion of the course's lessons, by lesson"
    ),
    ("admin_learning_report_course", "people_profile"): (
        "the course report groups its learners by prefecture and municipality"
    ),
    ("question_detail", "knowledge_question"): (
        "peers who may help: the accepted answers on the question's topics, grouped by author "
        "(a partial index on accepted answers measured slower: 95 ms against 67)"
    ),
    ("admin_organisations", "people_profile"): (
        "the organisation report counts members per municipality across the country"
    ),
}


def setup_uncached_site(database_url: str) -> None:
    """Django on the given database with nothing cached between the pages and their queries."""
    # A process-local cache: nothing cached elsewhere hides a query, nothing shared is touched.
    os.environ.pop("REDIS_URL", None)
    support.setup_django(DATABASE_URL=database_url)
    from django.conf import settings

    settings.PAGE_CACHE_SECONDS = 0
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]


def pages() -> list[tuple[str, str, object]]:
    """(name, address, who asks) for every list page, chosen among the busiest rows."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from casestudies.models import CaseStudyIndexPage, CaseStudyPage
    from core.models import Topic
    from curriculum.models import CoursePage, Enrolment
    from knowledge.models import Answer, Notification, Question

    User = get_user_model()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    moderator = User.objects.filter(email="moderator@example.jp").first() or admin
    busiest_inbox = (
        Notification.objects.values("recipient").annotate(n=Count("pk")).order_by("-n").first()
    )
    reader = User.objects.get(pk=busiest_inbox["recipient"]) if busiest_inbox else admin
    learner_row = (
        Enrolment.objects.values("user").annotate(n=Count("pk")).order_by("-n", "user").first()
    )
    learner = User.objects.get(pk=learner_row["user"]) if learner_row else admin
    answerer_row = (
        Answer.objects.filter(author__profile__is_public=True)
        .values("author")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    answerer = User.objects.get(pk=answerer_row["author"])
    question = Question.objects.published().order_by("-answer_count", "pk").first()
    topic = Topic.objects.annotate(n=Count("questions")).order_by("-n").first()
    index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
    cases = list(CaseStudyPage.objects.child_of(index).live().order_by("-pk")[:3])
    course = (
        CoursePage.objects.filter(locale__language_code="ja")
        .annotate(n=Count("enrolments"))
        .order_by("-n")
        .first()
    )
    municipality = answerer.profile.municipality
    listing = index.url
    return [
        ("questions_newest", "/questions/", None),
        ("questions_newest_deep", "/questions/?page=200", None),
        ("questions_active", "/questions/?tab=active", reader),
        ("questions_unanswered", "/questions/?tab=unanswered", None),
        ("questions_top_week", "/questions/?tab=top&period=week", None),
        ("questions_top_month", "/questions/?tab=top&period=month", None),
        ("questions_top_all", "/questions/?tab=top&period=all", None),
        ("questions_topic", f"/questions/?topic={topic.slug}", None),
        ("questions_topic_active", f"/questions/?topic={topic.slug}&tab=active", None),
        ("questions_topic_unanswered", f"/questions/?topic={topic.slug}&tab=unanswered", None),
        ("questions_topic_top", f"/questions/?topic={topic.slug}&tab=top", None),
        ("question_detail", f"/questions/{question.pk}/", reader),
        ("question_feed", "/questions/feed/", None),
        ("topic_feed", f"/questions/topics/{topic.slug}/feed/", None),
        ("inbox", "/questions/inbox/", reader),
        ("my_learning", "/learn/", learner),
        ("course", course.url, learner),
        ("directory", "/people/", None),
        ("profile", f"/people/{answerer.profile.pk}/", None),
        ("wallet", "/credentials/", learner),
        ("career", "/career/", learner),
        ("case_listing", listing, None),
        ("case_listing_hours", f"{listing}?sort=hours", None),
        ("case_listing_faceted", f"{listing}?topic={topic.slug}&kind=town&band=10k-50k", None),
        ("case_listing_prefecture", f"{listing}?prefecture={municipality.prefecture.code}", None),
        ("case_listing_status", f"{listing}?status=published&page=3", None),
        ("case_detail", cases[0].url, reader),
        ("case_compare", f"{listing}compare/?" + "&".join(f"ids={c.pk}" for c in cases), None),
        (
            "case_benchmark",
            f"{listing}benchmark/?topic={topic.slug}&metric=hours_saved"
            f"&municipality={municipality.code}",
            None,
        ),
        ("case_feed", f"{listing}feed/", None),
        ("admin_learning_reports", "/admin/learning-reports/", admin),
        ("admin_learning_report_course", f"/admin/learning-reports/{course.pk}/", admin),
        ("admin_organisations", "/admin/organisations/", admin),
        ("admin_organisation", f"/admin/organisations/{municipality.pk}/", admin),
        ("admin_awards", "/admin/awards/", admin),
        ("admin_moderation", "/admin/knowledge/moderation/", moderator),
    ]


def table_sizes(connection) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, GREATEST(reltuples, 0)::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
        return dict(cursor.fetchall())


def scans(plan: dict) -> list[dict]:
    """Every node of a plan that reads a table, with how it reads it."""
    found = []
    if "Relation Name" in plan:
        found.append(
            {
                "node": plan["Node Type"],
                "table": plan["Relation Name"],
                "index": plan.get("Index Name", ""),
                "rows": plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1),
            }
        )
    for child in plan.get("Plans", []):
        found.extend(scans(child))
    return found


def explain_page(name, url, viewer, big_table, sizes) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    if viewer is not None:
        client.force_login(viewer)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    page = {
        "name": name,
        "url": url,
        "status": response.status_code,
        "render_ms": round((time.perf_counter() - started) * 1000, 1),
        "queries": [],
        "problems": [],
    }
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            (result,) = cursor.fetchone()
        plan = (json.loads(result) if isinstance(result, str) else result)[0]
        read = scans(plan["Plan"])
        entry = {
            "sql": sql if len(sql) <= 600 else sql[:600] + " …",
            "planning_ms": plan.get("Planning Time"),
            "execution_ms": plan.get("Execution Time"),
            "index_scans": sorted({f"{s['table']}.{s['index']}" for s in read if s["index"]}),
            "sequential_scans": sorted({s["table"] for s in read if s["node"] == "Seq Scan"}),
        }
        for scan in read:
            table = scan["table"]
            if scan["node"] != "Seq Scan" or sizes.get(table, 0) < big_table:
                continue
            allowed = WHOLE_TABLE_BY_DESIGN.get((name, table))
            if allowed:
                entry.setdefault("allowed", []).append(f"{table}: {allowed}")
            else:
                page["problems"].append(
                    f"sequential scan of {table} ({sizes[table]:,} rows): {entry['sql'][:300]}"
                )
        page["queries"].append(entry)
    return page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE),
        help=f"a PostgreSQL database with the scale data (default {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "--big-table",
        type=int,
        default=50_000,
        help="a sequential scan of a table with this many rows or more fails (default 50,000)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("EXPLAIN (ANALYZE, FORMAT JSON) needs PostgreSQL: give a postgres:// URL")
    setup_uncached_site(args.database_url)

    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh statistics and visibility maps after the bulk load, as autovacuum would leave
        # them (without the maps, PostgreSQL cannot answer a count from an index alone).
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    sizes = table_sizes(connection)
    results = []
    for name, url, viewer in pages():
        page = explain_page(name, url, viewer, args.big_table, sizes)
        results.append(page)
        worst = max((q["execution_ms"] or 0 for q in page["queries"]), default=0)
        flag = "FAIL" if page["problems"] or page["status"] != 200 else "ok"
        print(
            f"{flag:4} {name:30} {page['status']} {len(page['queries']):3} queries, "
            f"slowest {worst:8.2f} ms, page {page['render_ms']:8.1f} ms"
        )
        for problem in page["problems"]:
            print(f"       {problem}")
    failures = [
        {"page": p["name"], "problem": problem} for p in results for problem in p["problems"]
    ] + [
        {"page": p["name"], "problem": f"status {p['status']}"}
        for p in results
        if p["status"] != 200
    ]
    big = {table: n for table, n in sorted(sizes.items()) if n >= args.big_table}
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "postgresql": server_version},
        "big_table_rows": args.big_table,
        "big_tables": big,
        "whole_table_by_design": {
            f"{p} / {t}": why for (p, t), why in WHOLE_TABLE_BY_DESIGN.items()
        },
        "pages": results,
        "failures": failures,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(
        f"{len(results)} pages, {sum(len(p['queries']) for p in results)} queries -> {args.output}"
    )
    if failures:
        print(
            f"FAILED: {len(failures)} sequential scans of big tables or broken pages",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
