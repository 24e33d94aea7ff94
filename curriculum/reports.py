"""Figures for the learning reports: enrolments, completion, quiz scores and where learners stop,
per course and per prefecture and municipality. Every figure comes from a grouped query, so a
report costs the same number of queries whatever the number of learners, lessons or areas."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from .models import CoursePage, Enrolment, LessonCompletion, LessonPage, QuizAttempt

NO_AREA = "—"


@dataclass
class Row:
    label: str
    enrolled: int = 0
    completed: int = 0
    average_score: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


def course_rows(courses) -> list[Row]:
    """One row per course: enrolled, completed, completion rate, average quiz score."""
    courses = list(courses)
    counts = {
        row["course"]: row
        for row in Enrolment.objects.filter(course__in=courses)
        .values("course")
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
    }
    by_path = {course.path: course.pk for course in courses}
    scores: dict[int, list[float]] = {}
    for path, average, attempts in (
        QuizAttempt.objects.filter(_under(courses), submitted_at__isnull=False)
        .values("lesson__path")
        .annotate(average=Avg("score"), attempts=Count("pk"))
        .values_list("lesson__path", "average", "attempts")
    ):
        course_id = by_path.get(path[: -2 * LessonPage.steplen])
        scores.setdefault(course_id, []).extend([average] * attempts)
    rows = []
    for course in courses:
        found = counts.get(course.pk, {})
        course_scores = scores.get(course.pk)
        rows.append(
            Row(
                label=course.coded_title,
                enrolled=found.get("enrolled", 0),
                completed=found.get("completed", 0),
                average_score=_mean(course_scores),
                extra={"course": course},
            )
        )
    return rows


def _under(courses) -> Q:
    """Attempts on lessons below any of the courses (one condition per course, one query)."""
    condition = Q(pk__in=[])
    for course in courses:
        condition |= Q(lesson__path__startswith=course.path)
    return condition


def _mean(values):
    return round(sum(values) / len(values), 1) if values else None


def lesson_rows(course: CoursePage) -> list[Row]:
    """Drop-off: how many of the course's learners finished each lesson, in reading order."""
    lessons = list(LessonPage.objects.descendant_of(course).live().order_by("path"))
    enrolled = Enrolment.objects.filter(course=course)
    learners = enrolled.values("user")
    done = dict(
        LessonCompletion.objects.filter(lesson__in=lessons, user__in=learners)
        .values("lesson")
        .annotate(n=Count("pk"))
        .values_list("lesson", "n")
    )
    scores = dict(
        QuizAttempt.objects.filter(lesson__in=lessons, submitted_at__isnull=False)
        .values("lesson")
        .annotate(average=Avg("score"))
        .values_list("lesson", "average")
    )
    total = enrolled.count()
    return [
        Row(
            label=lesson.title,
            enrolled=total,
            completed=done.get(lesson.pk, 0),
            average_score=round(scores[lesson.pk], 1) if lesson.pk in scores else None,
            extra={"required": lesson.required},
        )
        for lesson in lessons
    ]


AREAS = {
    "prefecture": "user__profile__municipality__prefecture__name",
    "municipality": "user__profile__municipality__name",
}


def area_rows(course: CoursePage, level: str) -> list[Row]:
    """Enrolled, completed and average quiz score by the learners' prefecture or municipality."""
    key = AREAS[level]
    label_keys = [key]
    if level == "municipality":
        label_keys.insert(0, "user__profile__municipality__prefecture__name")
    counts = (
        Enrolment.objects.filter(course=course)
        .values(*label_keys)
        .annotate(enrolled=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by(*label_keys)
    )
    lessons = LessonPage.objects.descendant_of(course)
    scores = {
        tuple(row[k] for k in label_keys): row["average"]
        for row in QuizAttempt.objects.filter(lesson__in=lessons, submitted_at__isnull=False)
        .values(*label_keys)
        .annotate(average=Avg("score"))
    }
    rows = []
    for row in counts:
        parts = tuple(row[k] for k in label_keys)
        average = scores.get(parts)
        rows.append(
            Row(
                label=" ".join(p for p in parts if p) or NO_AREA,
                enrolled=row["enrolled"],
                completed=row["completed"],
                average_score=round(average, 1) if average is not None else None,
            )
        )
    rows.sort(key=lambda r: (-r.enrolled, r.label))
    return rows
