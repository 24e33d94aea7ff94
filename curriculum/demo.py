"""The demo curriculum (fixtures/curriculum/demo_curriculum.json) as snippets and pages: the
career framework, then catalogue → programmes → courses K1–K8 → modules → lessons, in Japanese
with an English translation of the tree. Idempotent: what exists is left as it is (an admin may
have edited it), what is missing is created."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import escape
from wagtail.models import Locale

from core.models import Topic
from core.translation import ensure_translation
from people.models import Municipality

from . import quizzes, runs
from .models import (
    Choice,
    Competency,
    CourseCatalogPage,
    CourseCompetency,
    CoursePage,
    CourseRun,
    LessonPage,
    LiveSession,
    ModulePage,
    ProgrammePage,
    Quiz,
    QuizItem,
    QuizQuestion,
    Role,
    RoleRequirement,
)
from .models.pages import DeliveryFormat
from .progress import complete_lesson, enrol

DEMO_CURRICULUM = Path(settings.BASE_DIR) / "fixtures" / "curriculum" / "demo_curriculum.json"
CATALOGUE = {
    "ja": {"title": "研修コース", "slug": "courses"},
    "en": {"title": "Courses"},
    "intro": "<p>自治体CIO・CIO補佐官・情報政策担当職員のための研修です。役割ごとのプログラムから、"
    "必要なコースを順に受講できます。</p>",
}


def load_curriculum(home_ja, path: Path = DEMO_CURRICULUM) -> CourseCatalogPage:
    data = json.loads(path.read_text(encoding="utf-8"))
    load_framework(data)
    return load_pages(home_ja, data)


def load_framework(data: dict) -> None:
    for order, item in enumerate(data["competencies"], start=1):
        Competency.objects.update_or_create(
            code=item["code"],
            defaults={
                "name_ja": item["name_ja"],
                "name_en": item["name_en"],
                "description_ja": item.get("description_ja", ""),
                "description_en": item.get("description_en", ""),
                "frameworks": item.get("frameworks", ""),
                "sort_order": order,
            },
        )
    competencies = {c.code: c for c in Competency.objects.all()}
    for rank, item in enumerate(data["roles"]):
        role, _created = Role.objects.update_or_create(
            code=item["code"],
            defaults={
                "rank": rank,
                "name_ja": item["name_ja"],
                "name_en": item["name_en"],
                "placement_ja": item.get("placement_ja", ""),
                "description_ja": item.get("description_ja", ""),
                "description_en": item.get("description_en", ""),
                "basis": item.get("basis", ""),
            },
        )
        for order, (code, level) in enumerate(item["requirements"].items()):
            RoleRequirement.objects.update_or_create(
                role=role,
                competency=competencies[code],
                defaults={"level": level, "sort_order": order},
            )


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def load_pages(home_ja, data: dict) -> CourseCatalogPage:
    locale_en = Locale.objects.get_or_create(language_code="en")[0]
    catalogue = CourseCatalogPage.objects.child_of(home_ja).first()
    if catalogue is None:
        catalogue = _publish(
            home_ja, CourseCatalogPage(intro=CATALOGUE["intro"], **CATALOGUE["ja"])
        )
    ensure_translation(catalogue, locale_en, CATALOGUE["en"])

    courses = {course["code"]: course for course in data["courses"]}
    placed: dict[str, CoursePage] = {}
    for programme_data in data["programmes"]:
        programme = ProgrammePage.objects.child_of(catalogue).filter(
            slug=programme_data["slug"]
        ).first() or _publish(
            catalogue,
            ProgrammePage(
                title=programme_data["title_ja"],
                slug=programme_data["slug"],
                summary=programme_data.get("summary_ja", ""),
            ),
        )
        ensure_translation(programme, locale_en, {"title": programme_data["title_en"]})
        for code in programme_data["courses"]:
            if code not in placed:
                placed[code] = load_course(programme, courses[code], locale_en)
    for code, course_page in placed.items():
        wanted = [placed[c] for c in courses[code].get("prerequisites", []) if c in placed]
        if wanted and not course_page.prerequisites.exists():
            course_page.prerequisites.set(wanted)
            course_page.save_revision().publish()
    return catalogue


def load_course(programme, item: dict, locale_en) -> CoursePage:
    course = (
        CoursePage.objects.descendant_of(programme.get_parent()).filter(slug=item["slug"]).first()
    )
    if course is None:
        course = CoursePage(
            title=item["title_ja"],
            slug=item["slug"],
            code=item["code"],
            summary=with_source_list(item["summary_ja"]).split("\n\n## 出典")[0],
            objectives=for_readers("\n".join(item["objectives_ja"])),
            estimated_hours=Decimal(str(item["hours"])),
            delivery_format=item.get("format", DeliveryFormat.SELF_PACED),
            assessment=for_readers(item.get("assessment_ja", "")),
        )
        course.competency_levels = [
            CourseCompetency(competency=Competency.objects.get(code=code), level=level)
            for code, level in item["competencies"].items()
        ]
        course.target_roles.set(Role.objects.filter(code__in=item["target_roles"]))
        topics = list(Topic.objects.filter(slug__in=item.get("topics", [])))
        unknown = set(item.get("topics", [])) - {topic.slug for topic in topics}
        if unknown:
            raise ValueError(
                f"{item['code']}: unknown topics {sorted(unknown)} in {DEMO_CURRICULUM}"
            )
        course.topics.set(topics)
        _publish(programme, course)
    for number, module_data in enumerate(item["modules"], start=1):
        slug = f"module-{number}"
        module = ModulePage.objects.child_of(course).filter(slug=slug).first() or _publish(
            course, ModulePage(title=module_data["title_ja"], slug=slug)
        )
        for lesson_data in module_data["lessons"]:
            if not LessonPage.objects.child_of(module).filter(slug=lesson_data["slug"]).exists():
                _publish(module, lesson_page(lesson_data))
    if item.get("quiz"):
        attach_quiz(course, item["quiz"])
    ensure_translation(course, locale_en, {"title": item["title_en"]})
    for number, module_data in enumerate(item["modules"], start=1):
        module = ModulePage.objects.child_of(course).get(slug=f"module-{number}")
        ensure_translation(module, locale_en, {"title": module_data["title_en"]})
        for lesson in LessonPage.objects.child_of(module):
            titles = {
                lesson_data["slug"]: lesson_data["title_en"]
                for lesson_data in module_data["lessons"]
            }
            if lesson.slug in titles:
                ensure_translation(lesson, locale_en, {"title": titles[lesson.slug]})
    return course


# The guide's citations ([S12]) and its authors' markers (〔提案〕, 〔…で確認〕): the markers are
# notes to the curriculum's editors, the citations become links to a source list on the lesson.
CITATION = re.compile(r"\[S(\d+)\]")
EDITORS_MARKER = re.compile(r"〔[^〔〕]{1,40}〕")
SOURCES = settings.BASE_DIR / "fixtures" / "curriculum" / "sources.json"


@cache
def _sources() -> dict:
    return json.loads(SOURCES.read_text(encoding="utf-8"))["sources"]


def for_readers(text: str) -> str:
    """Text without the editors' markers."""
    return EDITORS_MARKER.sub("", text or "")


def with_source_list(markdown: str) -> str:
    """Each citation numbered in order of first use and linked to its address, and the list of
    sources (出典) under the lesson; a citation with no known address is left out."""
    sources, cited = _sources(), []

    def cite(match):
        number = match.group(1)
        if number not in sources:
            return ""
        if number not in cited:
            cited.append(number)
        return f"[［出典{cited.index(number) + 1}］]({sources[number]['url']})"

    text = CITATION.sub(cite, for_readers(markdown))
    if not cited:
        return text
    lines = [
        f"{n}. <{sources[number]['url']}>"
        + (f"（{sources[number]['note']}）" if sources[number]["note"] else "")
        for n, number in enumerate(cited, start=1)
    ]
    return text.rstrip() + "\n\n## 出典\n" + "\n".join(lines) + "\n"


def with_plain_sources(text: str) -> str:
    """For plain text (a quiz's feedback): each citation as （出典: address）."""
    sources = _sources()
    return CITATION.sub(
        lambda m: f"（出典: {sources[m.group(1)]['url']}）" if m.group(1) in sources else "",
        for_readers(text),
    )


def lesson_page(item: dict) -> LessonPage:
    body = [{"type": "markdown", "value": with_source_list(item["body_markdown"])}]
    if item.get("callout_ja"):
        body.append(
            {
                "type": "callout",
                "value": {
                    "kind": "tip",
                    "title": "ポイント",
                    "text": f"<p>{escape(with_plain_sources(item['callout_ja']))}</p>",
                },
            }
        )
    if item.get("reflection_ja"):
        prompt = with_plain_sources(item["reflection_ja"])
        body.append({"type": "reflection", "value": {"prompt": prompt, "hint": ""}})
    return LessonPage(
        title=for_readers(item["title_ja"]),
        slug=item["slug"],
        body=body,
        estimated_minutes=item.get("minutes", 15),
        required=item.get("required", True),
    )


# Demo learners at different stages: (e-mail, target role, {course code: lessons done}).
# "all" finishes every required lesson, which completes the course.
DEMO_LEARNING = [
    ("learner@example.jp", "R2", {"K2": "all", "K1": 2, "K3": 0}),
    ("contributor@example.jp", "R3", {"K1": "all", "K6": 1}),
]


def load_learning() -> None:
    users = get_user_model().objects.in_bulk(
        [email for email, *_ in DEMO_LEARNING], field_name="email"
    )
    for email, role_code, plan in DEMO_LEARNING:
        user = users.get(email)
        if user is None:
            continue
        profile = user.profile
        if profile.target_role_id is None:
            profile.target_role = Role.objects.filter(code=role_code).first()
            profile.save(update_fields=["target_role"])
        for code, done in plan.items():
            course = CoursePage.objects.filter(code=code, locale__language_code="ja").first()
            if course is None:
                continue
            enrol(user, course)
            lessons = LessonPage.objects.descendant_of(course).live().order_by("path")
            required = [lesson for lesson in lessons if lesson.required]
            for lesson in required if done == "all" else list(lessons)[:done]:
                if lesson.quiz_id:
                    pass_quiz(user, lesson)
                else:
                    complete_lesson(user, lesson)


def pass_quiz(user, lesson) -> None:
    """Takes the lesson's quiz with the right answers, as a learner who studied would."""
    if quizzes.attempts(user, lesson).filter(passed=True).exists():
        return
    attempt = quizzes.start_attempt(user, lesson, rng=random.Random(user.pk))
    questions = QuizItem.objects.prefetch_related("choices").in_bulk(
        [item["question"] for item in attempt.served]
    )
    answers = QueryDict(mutable=True)
    for question in questions.values():
        name = quizzes.field_name(question.pk)
        if question.kind in (QuizItem.Kind.SINGLE, QuizItem.Kind.MULTIPLE):
            answers.setlist(name, [str(c.pk) for c in question.choices.all() if c.correct])
        elif question.kind == QuizItem.Kind.TRUE_FALSE:
            answers[name] = "true" if question.true_false_answer else "false"
        else:
            answers[name] = (question.accepted_answer_list() or [""])[0]
    quizzes.submit_attempt(attempt, answers)


def attach_quiz(course: CoursePage, data: dict) -> None:
    """The course's quiz, on its last required lesson: passing it completes that lesson."""
    lessons = LessonPage.objects.descendant_of(course).filter(required=True).order_by("path")
    lesson = lessons.last()
    if lesson is None or lesson.quiz_id:
        return
    quiz = Quiz.objects.filter(title=data["title_ja"]).first()
    if quiz is None:
        quiz = Quiz(
            title=data["title_ja"],
            pass_mark=data.get("pass_mark", 70),
            attempt_limit=data.get("attempt_limit", 3),
            sample_size=data.get("sample_size", 0),
        )
        quiz.quiz_questions = [
            QuizQuestion(question=question_from(item)) for item in data["questions"]
        ]
        quiz.save()
    lesson.quiz = quiz
    lesson.save_revision().publish()


def question_from(item: dict) -> QuizItem:
    question = QuizItem(
        kind=item["kind"],
        text=for_readers(item["text_ja"]),
        feedback=with_plain_sources(item.get("feedback_ja", "")),
        true_false_answer=item.get("answer") if item["kind"] == "true_false" else None,
        accepted_answers="\n".join(item.get("answers", [])),
    )
    question.choices = [
        Choice(text=choice["text_ja"], correct=choice["correct"])
        for choice in item.get("choices", [])
    ]
    question.save()
    return question


# A prefecture's fiscal-year cohort (開講) of K1, with the demo learner (広島県府中町) in it: a
# deadline about three weeks after the first load and one live session before it. Dates are set
# when the run is created and left as they are afterwards, like the rest of the demo.
DEMO_RUN = {
    "title": "広島県 CIO補佐官 育成研修 令和8年度",
    "course": "K1",
    "owner": "340006",  # 広島県
    "learners": ["learner@example.jp"],
    "capacity": 40,
    "session": {
        "place": "広島県庁 本館6階 講堂（オンライン併用）",
        "meeting_url": "https://meet.example.jp/hiroshima-cio-r8",
        "note": "第1回 集合研修: 自団体のDX推進体制の点検結果を持ち寄り、グループで討議します。",
    },
}


def load_course_run(today=None) -> CourseRun | None:
    """The demo run, its live session and its learner; what exists is left as it is."""
    course = CoursePage.objects.filter(code=DEMO_RUN["course"], locale__language_code="ja").first()
    owner = Municipality.objects.filter(code=DEMO_RUN["owner"]).first()
    if course is None or owner is None:
        return None
    run = CourseRun.objects.filter(title=DEMO_RUN["title"]).first()
    if run is None:
        today = today or runs.today()
        admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        run = CourseRun.objects.create(
            course=course,
            title=DEMO_RUN["title"],
            owner=owner,
            enrolment_opens=today - timedelta(days=30),
            enrolment_closes=today + timedelta(days=7),
            starts_on=today - timedelta(days=14),
            deadline=today + timedelta(days=21),
            capacity=DEMO_RUN["capacity"],
            self_enrolment=True,
            created_by=admin,
        )
        day = today + timedelta(days=10)
        starts = timezone.make_aware(
            datetime.combine(day, time(14, 0)), timezone.get_default_timezone()
        )
        LiveSession.objects.create(
            run=run, starts_at=starts, ends_at=starts + timedelta(hours=2), **DEMO_RUN["session"]
        )
    learners = get_user_model().objects.filter(email__in=DEMO_RUN["learners"])
    newcomers = learners.exclude(enrolments__run=run)
    if newcomers.exists():
        runs.enrol_users(run, newcomers, how="demo")
    return run
