"""Enrolment, lesson completion and progress. Progress is the share of a course's required live
lessons the learner has finished (optional lessons do not count). Learning is recorded against
the default-language version of a page, so a learner who switches between Japanese and English
keeps one record."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.models import Locale, Page

from .models import CoursePage, Enrolment, LessonCompletion, LessonPage
from .signals import course_completed


class CourseLocked(Exception):
    """The learner has not completed the courses this one requires."""

    def __init__(self, missing):
        super().__init__(", ".join(str(course) for course in missing))
        self.missing = list(missing)


class NotEnrolled(Exception):
    pass


class QuizRequired(Exception):
    """A lesson with a quiz is done when the quiz is passed, not when the learner says so."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def canonical(page):
    """The default-language version of a course or lesson page (itself if it has none)."""
    default = Locale.get_default()
    if page.locale_id == default.pk:
        return page
    original = (
        type(page).objects.filter(translation_key=page.translation_key, locale=default).first()
    )
    return original or page


def course_of(lesson: LessonPage) -> CoursePage | None:
    return CoursePage.objects.ancestor_of(lesson).first()


def _course_path(lesson_path: str) -> str:
    # course / module / lesson: a lesson is two levels below its course.
    return lesson_path[: -2 * LessonPage.steplen]


def progress_by_course(user, courses) -> dict[int, Progress]:
    """Progress of one learner in several courses, in two queries whatever their number."""
    courses = list(courses)
    if not courses:
        return {}
    by_path = {course.path: course.pk for course in courses}
    required = LessonPage.objects.live().filter(
        reduce(or_, (Q(path__startswith=path) for path in by_path)), required=True
    )
    lesson_course = {
        pk: by_path.get(_course_path(path)) for pk, path in required.values_list("pk", "path")
    }
    done_ids = set(
        LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_course).values_list(
            "lesson_id", flat=True
        )
    )
    totals = {pk: [0, 0] for pk in by_path.values()}
    for lesson_id, course_id in lesson_course.items():
        if course_id is None:
            continue
        totals[course_id][1] += 1
        if lesson_id in done_ids:
            totals[course_id][0] += 1
    return {course_id: Progress(done, total) for course_id, (done, total) in totals.items()}


def progress(user, course) -> Progress:
    course = canonical(course)
    return progress_by_course(user, [course])[course.pk]


def missing_prerequisites(user, course) -> list[CoursePage]:
    course = canonical(course)
    completed = Enrolment.objects.filter(user=user, completed_at__isnull=False).values("course_id")
    # From the database, not course.prerequisites: a page being edited holds unsaved ones.
    required = CoursePage.objects.filter(unlocks=course).exclude(pk__in=completed)
    return list(required.order_by("path"))


def enrol(user, course, source=Enrolment.Source.SELF) -> Enrolment:
    course = canonical(course)
    missing = missing_prerequisites(user, course)
    if missing:
        raise CourseLocked(missing)
    enrolment, _created = Enrolment.objects.get_or_create(
        user=user, course=course, defaults={"source": source}
    )
    return enrolment


def enrolment_for(user, course) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return (
        Enrolment.objects.filter(user=user, course=canonical(course)).select_related("run").first()
    )


def record_visit(enrolment: Enrolment, lesson: LessonPage) -> None:
    """Where to resume: the lesson the learner opened last."""
    Enrolment.objects.filter(pk=enrolment.pk).update(
        last_lesson=canonical(lesson), last_activity_at=timezone.now()
    )


def complete_lesson(user, lesson, via=LessonCompletion.Via.LEARNER) -> tuple[Enrolment, bool]:
    """Marks a lesson done (once), and the course completed when it was the last required one:
    then ``course_completed`` is sent, exactly once per learner and course. Returns the
    enrolment and whether this call completed the course."""
    lesson = canonical(lesson)
    course = course_of(lesson)
    enrolment = Enrolment.objects.filter(user=user, course=course).first() if course else None
    if enrolment is None:
        raise NotEnrolled(lesson)
    if lesson.quiz_id and via != LessonCompletion.Via.QUIZ:
        raise QuizRequired(lesson)
    with transaction.atomic():
        LessonCompletion.objects.get_or_create(user=user, lesson=lesson, defaults={"via": via})
        now = timezone.now()
        Enrolment.objects.filter(pk=enrolment.pk).update(last_lesson=lesson, last_activity_at=now)
        finished = progress_by_course(user, [course])[course.pk].complete
        newly_completed = finished and bool(
            Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(
                completed_at=now
            )
        )
    enrolment.refresh_from_db()
    if newly_completed:
        course_completed.send(sender=CoursePage, user=user, course=course, enrolment=enrolment)
    return enrolment, newly_completed


def next_lessons(user, courses) -> dict[int, LessonPage | None]:
    """For each course, the first lesson in reading order the learner has not finished, in two
    queries whatever the number of courses."""
    return progress_and_next_lessons(user, courses)[1]


def progress_and_next_lessons(
    user, courses
) -> tuple[dict[int, Progress], dict[int, LessonPage | None]]:
    """``progress_by_course`` and ``next_lessons`` at once, for a page that shows both (My
    learning): the courses' live lessons and the learner's completions of them read once, two
    queries whatever the number of courses."""
    courses = list(courses)
    if not courses:
        return {}, {}
    by_path = {course.path: course.pk for course in courses}
    lessons = list(
        LessonPage.objects.live()
        .filter(reduce(or_, (Q(path__startswith=path) for path in by_path)))
        .defer("body")  # a link to the lesson is shown, never its content
        .order_by("path")
    )
    done = set(
        LessonCompletion.objects.filter(
            user=user, lesson_id__in=[lesson.pk for lesson in lessons]
        ).values_list("lesson_id", flat=True)
    )
    totals = {pk: [0, 0] for pk in by_path.values()}
    following: dict[int, LessonPage | None] = {course.pk: None for course in courses}
    for lesson in lessons:
        course_id = by_path.get(_course_path(lesson.path))
        if course_id is None:
            continue
        if lesson.required:
            totals[course_id][1] += 1
            totals[course_id][0] += lesson.pk in done
        if following[course_id] is None and lesson.pk not in done:
            following[course_id] = lesson
    progress = {course_id: Progress(d, t) for course_id, (d, t) in totals.items()}
    return progress, following


def next_lesson(user, course) -> LessonPage | None:
    """The first required-or-optional lesson, in reading order, the learner has not finished."""
    course = canonical(course)
    lessons = LessonPage.objects.descendant_of(course).live().defer("body").order_by("path")
    done = LessonCompletion.objects.filter(user=user, lesson__in=lessons).values("lesson_id")
    return lessons.exclude(pk__in=done).first()


def localized(pages) -> dict:
    """Each page in the language being read, by page id, in one query for them all (a page's
    ``localized`` property costs a query or two each)."""
    pages = [page for page in pages if page is not None]
    active = Locale.get_active()
    if all(page.locale_id == active.pk for page in pages):
        return {page.pk: page for page in pages}
    translations = {
        page.translation_key: page
        for page in Page.objects.filter(
            translation_key__in=[page.translation_key for page in pages], locale=active
        ).specific()
    }
    return {page.pk: translations.get(page.translation_key, page) for page in pages}
