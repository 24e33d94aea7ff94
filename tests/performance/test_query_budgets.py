"""Query budgets: every page type runs as many queries with three times the data as with a little.

One world is built for the whole module — the demo content (`load_demo`) plus a little scale data
from `seed_scale`'s generator — and every page below is rendered in it; then the world grows
(about three times the members, questions, answers, votes, comments, case studies, enrolments,
awards, notifications, lessons and courses, and more of them for the very viewer and question
each page shows) and every page is rendered again. Each test asserts that its page's count did
not move. A count that grows is an N+1 in the view: fix the view, not the number.

Each render starts with an empty cache (no page, fragment or site-root cache hides a query)
after a warm-up render (so the process-wide content-type cache is equally warm for both).

This is the complete list of equal-count budgets; the budgets elsewhere in the suite cap counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from casestudies.models import CaseStudyIndexPage, CaseStudyPage
from curriculum import ics
from curriculum.credentials import awarding
from curriculum.credentials.models import Award, CredentialDefinition
from curriculum.demo import DEMO_RUN
from curriculum.models import (
    CoursePage,
    CourseRun,
    Enrolment,
    LessonPage,
    LiveSession,
    ModulePage,
    QuizAttempt,
)
from curriculum.progress import complete_lesson
from demo.scale import ScaleGenerator, ScaleOptions
from knowledge.models import Answer, Comment, Notification, Question, Visibility, Vote
from people.models import Profile, User

# The module's tests ask for the database so that pytest-django sets up the test database before
# the module's world is built in it.
pytestmark = pytest.mark.django_db

SMALL = ScaleOptions(users=20, questions=40, answers=100, cases=6, enrolments=40, seed=1)
# What the world gains before the second render: about twice again what it had.
GROWTH = ScaleOptions(users=40, questions=80, answers=200, cases=12, enrolments=80, seed=2)


@dataclass
class Page_:
    """A page to measure: its address (small and large data may differ, e.g. more ids to
    compare) and who asks for it."""

    url: str
    viewer: str | None = None
    large_url: str | None = None
    expect: str = ""  # text both renders must contain (a page of results, not an empty one)


@dataclass
class World:
    pages: dict[str, Page_] = field(default_factory=dict)
    small: dict[str, int] = field(default_factory=dict)
    large: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    queries: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)


PAGE_NAMES = [
    "home",
    "home_en",
    "catalogue",
    "programme",
    "course",
    "course_as_learner",
    "module",
    "lesson",
    "quiz_attempt",
    "my_learning",
    "course_run",
    "calendar_feed",
    "directory",
    "profile",
    "profile_of_answerer",
    "my_profile",
    "wallet",
    "award",
    "framework",
    "career",
    "case_listing",
    "case_listing_faceted",
    "case_listing_sorted",
    "case_detail",
    "case_compare",
    "case_benchmark",
    "case_feed",
    "questions_newest",
    "questions_active",
    "questions_unanswered",
    "questions_top_week",
    "questions_top_all",
    "questions_topic",
    "question_detail",
    "question_detail_as_asker",
    "answer_comments",
    "question_feed",
    "topic_feed",
    "inbox",
    "search",
    "search_json",
    "search_cases",
    "admin_learning_reports",
    "admin_learning_report_course",
    "admin_organisations",
    "admin_organisation",
    "admin_awards",
    "admin_moderation",
    "admin_course_runs",
    "admin_course_run_learners",
    "admin_course_run_completions",
]


def _count(client: Client, url: str):
    cache.clear()
    client.get(url)  # warm-up: process-wide caches (content types, locales) filled alike
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    translation.activate("ja")
    sql = [q["sql"] for q in captured.captured_queries]
    return len(captured), response, sql


def _measure(world: World, clients: dict[str | None, Client], large: bool) -> None:
    for name, page in world.pages.items():
        url = page.large_url if large and page.large_url else page.url
        count, response, sql = _count(clients[page.viewer], url)
        status = response.status_code
        if page.expect and page.expect not in response.content.decode():
            world.missing.setdefault(name, []).append("large" if large else "small")
        (world.large if large else world.small)[name] = count
        small_status = world.statuses.get(name, (status,))[0]
        world.statuses[name] = (small_status, status)
        before = world.queries.get(name, ([], []))[0]
        world.queries[name] = (before, sql) if large else (sql, [])


def _people() -> dict[str, User]:
    emails = {
        "learner": "learner@example.jp",
        "contributor": "contributor@example.jp",
        "moderator": "moderator@example.jp",
        "admin": "admin@example.jp",
        "peer": "peer-takahashi@example.jp",
    }
    users = User.objects.in_bulk(list(emails.values()), field_name="email")
    return {key: users[email] for key, email in emails.items()}


def _commented_answer() -> Answer:
    """A demo answer with comments: its page of comments is measured, and grows."""
    published = Visibility.PUBLISHED
    return (
        Comment.objects.filter(
            visibility=published,
            answer__visibility=published,
            answer__question__visibility=published,
        )
        .order_by("pk")
        .first()
        .answer
    )


def _pages(people) -> dict[str, Page_]:
    learner = people["learner"]
    course = CoursePage.objects.get(code="K1", locale__language_code="ja")
    programme = course.get_parent().specific
    module = ModulePage.objects.child_of(course).order_by("path").first()
    lesson = LessonPage.objects.descendant_of(course).live().order_by("path").first()
    attempt = QuizAttempt.objects.filter(user=learner, passed=True).order_by("pk").first()
    index = CaseStudyIndexPage.objects.get(locale__language_code="ja")
    demo_cases = list(CaseStudyPage.objects.child_of(index).live().order_by("path")[:3])
    case = demo_cases[0]
    question = (
        Question.objects.filter(author=learner, visibility=Visibility.PUBLISHED, is_anonymous=False)
        .order_by("created_at")
        .first()
    )
    award = Award.objects.filter(user=learner, is_public=True).first()
    municipality = learner.profile.municipality
    topic = question.topics.first()
    case_topic = case.topics.first()
    cases_url = index.url
    run = CourseRun.objects.get(title=DEMO_RUN["title"])
    return {
        "home": Page_("/"),
        "home_en": Page_("/en/"),
        "catalogue": Page_(programme.get_parent().url),
        "programme": Page_(programme.url),
        "course": Page_(course.url),
        "course_as_learner": Page_(course.url, "learner"),
        "module": Page_(module.url, "learner"),
        "lesson": Page_(lesson.url, "learner"),
        "quiz_attempt": Page_(f"/learn/attempts/{attempt.pk}/", "learner"),
        "my_learning": Page_("/learn/", "learner"),
        "course_run": Page_(f"/learn/runs/{run.pk}/", "learner"),
        "calendar_feed": Page_(
            f"/learn/calendar/{ics.token_for(learner)}.ics", expect=DEMO_RUN["title"]
        ),
        "directory": Page_("/people/"),
        "profile": Page_(f"/people/{learner.profile.pk}/"),
        "profile_of_answerer": Page_(f"/people/{people['peer'].profile.pk}/", "learner"),
        "my_profile": Page_(f"/people/{learner.profile.pk}/edit/", "learner"),
        "wallet": Page_("/credentials/", "learner"),
        "award": Page_(f"/credentials/{award.uuid}/"),
        "framework": Page_("/credentials/framework/"),
        # The contributor's gaps stay as they are while the world grows (the learner's close as
        # credentials are added, and a closed gap rightly skips a query).
        "career": Page_("/career/", "contributor"),
        "case_listing": Page_(cases_url),
        "case_listing_faceted": Page_(
            f"{cases_url}?topic={topic.slug}&kind=city&kind=town&band=10k-50k&status=published"
        ),
        "case_listing_sorted": Page_(f"{cases_url}?sort=hours&page=2"),
        "case_detail": Page_(case.url, "learner"),
        "case_compare": Page_(
            f"{cases_url}compare/?ids={demo_cases[0].pk}&ids={demo_cases[1].pk}",
            large_url=f"{cases_url}compare/?" + "&".join(f"ids={c.pk}" for c in demo_cases),
        ),
        "case_benchmark": Page_(
            f"{cases_url}benchmark/?topic={topic.slug}&metric=hours_saved"
            f"&municipality={municipality.code}"
        ),
        "case_feed": Page_(f"{cases_url}feed/"),
        "questions_newest": Page_("/questions/"),
        "questions_active": Page_("/questions/?tab=active", "learner"),
        "questions_unanswered": Page_("/questions/?tab=unanswered"),
        "questions_top_week": Page_("/questions/?tab=top&period=week"),
        "questions_top_all": Page_("/questions/?tab=top&period=all&page=2"),
        "questions_topic": Page_(f"/questions/?topic={topic.slug}", "learner"),
        "question_detail": Page_(f"/questions/{question.pk}/"),
        "question_detail_as_asker": Page_(f"/questions/{question.pk}/", "learner"),
        "answer_comments": Page_(
            f"/questions/answer/{_commented_answer().pk}/comments/", "learner"
        ),
        "question_feed": Page_("/questions/feed/"),
        "topic_feed": Page_(f"/questions/topics/{topic.slug}/feed/"),
        "inbox": Page_("/questions/inbox/", "learner"),
        "search": Page_("/search/?q=RPA", expect="/questions/"),
        "search_json": Page_("/search/?q=RPA&format=json", expect='"question"'),
        # Case studies only, in a topic: a demo case's topic, so small data has results too.
        "search_cases": Page_(
            f"/search/?q=業務&type=case_study&topic={case_topic.slug}", expect=cases_url
        ),
        "admin_learning_reports": Page_("/admin/learning-reports/", "admin"),
        "admin_learning_report_course": Page_(f"/admin/learning-reports/{course.pk}/", "admin"),
        "admin_organisations": Page_("/admin/organisations/", "admin"),
        "admin_organisation": Page_(f"/admin/organisations/{municipality.pk}/", "admin"),
        "admin_awards": Page_("/admin/awards/", "admin"),
        "admin_moderation": Page_("/admin/knowledge/moderation/", "moderator"),
        "admin_course_runs": Page_("/admin/course-runs/", "admin", expect=DEMO_RUN["title"]),
        "admin_course_run_learners": Page_(
            f"/admin/course-runs/{run.pk}/", "admin", expect="山田 花子"
        ),
        "admin_course_run_completions": Page_(f"/admin/course-runs/{run.pk}/completions/", "admin"),
    }


def _grow(people, question_pk: int) -> None:
    """About three times the data, and more of it on the very pages measured."""
    generator = ScaleGenerator(GROWTH)
    generator.run()
    member_ids = generator.user_ids
    learner, peer = people["learner"], people["peer"]
    now = timezone.now()

    # The question page: more answers, each with votes and comments, and comments on the question.
    question = Question.objects.get(pk=question_pk)
    for n, author_id in enumerate(member_ids[:6]):
        answer = Answer.objects.create(
            question=question, author_id=author_id, body=f"回答{n}です。" * 5,
            created_at=now - timedelta(hours=n), score=2,
        )  # fmt: skip
        Vote.objects.bulk_create(
            [Vote(user_id=v, answer=answer, value=1) for v in member_ids[10:12]]
        )
        Comment.objects.create(
            answer=answer, author_id=author_id, body="補足です。", created_at=now
        )
        Comment.objects.create(
            question=question, author_id=author_id, body="同感です。", created_at=now
        )
    Vote.objects.bulk_create([Vote(user_id=v, question=question, value=1) for v in member_ids[:8]])
    # The measured page of comments: many more comments, by more members.
    Comment.objects.bulk_create(
        Comment(answer=_commented_answer(), author_id=author_id, body="参考になります。",
                created_at=now)
        for author_id in member_ids[:12]
    )  # fmt: skip
    question.answer_count = question.answers.filter(visibility=Visibility.PUBLISHED).count()
    question.save(update_fields=["answer_count"])

    # The peer's profile: more answers (reputation, recent answers).
    others = Question.objects.exclude(author=peer).filter(visibility=Visibility.PUBLISHED)[:6]
    for other in others:
        Answer.objects.create(question=other, author=peer, body="経験から回答します。" * 3,
                              created_at=now)  # fmt: skip

    # The inbox: many more notifications, read and unread.
    recent_answers = Answer.objects.filter(question__author_id__in=member_ids)[:40]
    Notification.objects.bulk_create(
        Notification(recipient=learner, kind=Notification.Kind.ANSWER, question_id=a.question_id,
                     answer=a, actor_id=a.author_id, read_at=None if i % 2 else now)
        for i, a in enumerate(recent_answers)
    )  # fmt: skip

    # The learner's questions (profile, my profile).
    for n in range(4):
        Question.objects.create(
            title=f"追加の質問{n}", body="本文です。", author=learner, created_at=now,
            last_activity_at=now,
        )  # fmt: skip

    # The curriculum: two more lessons in the measured module, a new course in the programme,
    # and the learner in more courses with lessons done and credentials awarded.
    course = CoursePage.objects.get(code="K1", locale__language_code="ja")
    module = ModulePage.objects.child_of(course).order_by("path").first()
    for n in range(2):
        extra = module.add_child(instance=LessonPage(title=f"追加レッスン{n}", slug=f"extra-{n}"))
        extra.save_revision().publish()
    programme = course.get_parent()
    new_course = programme.add_child(
        instance=CoursePage(
            title="追加コース", slug="extra-course", code="K99", summary="追加", objectives="追加"
        )
    )
    new_course.save_revision().publish()
    new_module = new_course.add_child(instance=ModulePage(title="追加モジュール", slug="m"))
    new_module.save_revision().publish()
    new_lesson = new_module.add_child(instance=LessonPage(title="追加", slug="l"))
    new_lesson.save_revision().publish()
    with awarding.quietly():
        for other in CoursePage.objects.filter(locale__language_code="ja").exclude(
            enrolments__user=learner
        ):
            # Directly: enrol() asks for the prerequisites, which the learner has not finished.
            Enrolment.objects.create(user=learner, course=other)
            first = LessonPage.objects.descendant_of(other).live().filter(quiz__isnull=True)
            if first.exists():
                complete_lesson(learner, first.order_by("path").first())
        held = Award.objects.filter(user=learner).values_list("definition_id", flat=True)
        for definition in CredentialDefinition.objects.exclude(pk__in=held):
            awarding.award_manually(learner, definition, awarded_by=None, reason="規模の試験")
    # More learners in the measured course and the learner's municipality (reports), all of
    # them in the demo's course run, some of them finished; more runs and live sessions.
    municipality = learner.profile.municipality
    Profile.objects.filter(user_id__in=member_ids[:15]).update(municipality=municipality)
    run = CourseRun.objects.get(title=DEMO_RUN["title"])
    Enrolment.objects.bulk_create(
        Enrolment(user_id=user_id, course=course, run=run)
        for user_id in member_ids[:30]
        if not Enrolment.objects.filter(user_id=user_id, course=course).exists()
    )
    Enrolment.objects.filter(run=run, user_id__in=member_ids[:10]).update(completed_at=now)
    dates = {
        name: getattr(run, name)
        for name in ("enrolment_opens", "enrolment_closes", "starts_on", "deadline")
    }
    for n in range(3):
        starts = now + timedelta(days=n + 1)
        LiveSession.objects.create(
            run=run, starts_at=starts, ends_at=starts + timedelta(hours=1), place=f"会場{n}"
        )
        CourseRun.objects.create(course=course, title=f"追加の開講{n}", owner=run.owner, **dates)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("budget-index")
    backends = {"default": {"BACKEND": "search.backends.tantivy", "PATH": str(index_dir)}}
    result = World()
    with (
        django_db_blocker.unblock(),
        override_settings(WAGTAILSEARCH_BACKENDS=backends, PAGE_CACHE_SECONDS=0),
        transaction.atomic(),
    ):
        call_command("load_demo", stdout=_Quiet(), stderr=_Quiet())
        ScaleGenerator(SMALL).run()
        call_command("update_index", stdout=_Quiet(), verbosity=0)
        people = _people()
        result.pages = _pages(people)
        clients = {None: Client()}
        for key, user in people.items():
            clients[key] = Client()
            clients[key].force_login(user)
        _measure(result, clients, large=False)
        question_pk = int(result.pages["question_detail"].url.strip("/").split("/")[-1])
        with override_settings(
            WAGTAILSEARCH_BACKENDS={"default": {**backends["default"], "AUTO_UPDATE": False}}
        ):
            _grow(people, question_pk)
        call_command("update_index", stdout=_Quiet(), verbosity=0)
        _measure(result, clients, large=True)
        transaction.set_rollback(True)
    translation.activate("ja")
    return result


class _Quiet:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def test_every_page_type_is_measured(world):
    assert sorted(world.pages) == sorted(PAGE_NAMES)


VARIABLE_MIX = {"search", "search_json", "search_cases"}


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_queries_do_not_grow_with_the_data(world, name):
    small_status, large_status = world.statuses[name]
    assert (small_status, large_status) == (200, 200), world.pages[name].url
    assert name not in world.missing, f"{world.pages[name].url}: no results with {world.missing}"
    small, large = world.small[name], world.large[name]
    # Fewer is allowed: the site search loads the objects of the types on its first page, and
    # which types rank there can change with the data (one query each, five types at most).
    if large > small or (large < small and name not in VARIABLE_MIX):
        before, after = (Counter(_shape(sql) for sql in sqls) for sqls in world.queries[name])
        extra = [f"{n}× {sql[:400]}" for sql, n in ((after - before) or after).items()]
        pytest.fail(
            f"{world.pages[name].url}: {small} queries with small data, {large} with large; "
            "the queries the large data ran more often:\n" + "\n".join(extra[:8])
        )


def _shape(sql: str) -> str:
    """A query without its values, so that the same query for other rows compares equal."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"\((?:\?, )*\?\)", "(…)", sql)
