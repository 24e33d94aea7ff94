"""A course's outline: its programme, modules, lessons and competencies, the same for every
reader, so kept in the cache under the course's own generation (core.generations) and read by
the course page, each of its lessons and My learning without touching the page tree.

The generation of a course (scope ``course:<pk>``, one per language version) is replaced when a
page in it is saved, published, unpublished, moved in or out, or deleted, and when its programme
is published (the outline shows the programme's title and link). What every outline shows but
no single course owns (competency names, view restrictions, sites and locales) is under the
``curriculum:structure`` scope. Votes, answers, enrolments and progress replace neither: those
are drawn per reader around the outline.

Values also carry the course's path and URL path in their key, so a course moved, or under a
renamed parent, reads a new entry even before any signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from wagtail.models import Locale, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from core import generations

from .models import Competency, CourseCompetency, CoursePage, LessonPage, ModulePage, ProgrammePage

STRUCTURE = "curriculum:structure"
LESSON_FIELDS_DEFERRED = ("body",)  # the outline shows titles, minutes and links, never content


@dataclass
class Outline:
    programme: ProgrammePage | None
    modules: list[tuple[ModulePage, list[LessonPage]]] = field(default_factory=list)
    competency_levels: list[CourseCompetency] = field(default_factory=list)

    @property
    def lessons(self) -> list[LessonPage]:
        return [lesson for _module, lessons in self.modules for lesson in lessons]

    @property
    def required_minutes(self) -> int:
        return sum(lesson.estimated_minutes for lesson in self.lessons if lesson.required)


def scopes_of(course_pk: int) -> list[str]:
    return [f"course:{course_pk}", STRUCTURE]


def build(course: CoursePage) -> Outline:
    """The outline from the database: four queries whatever the course's size."""
    programme = ProgrammePage.objects.filter(path=course.path[: -course.steplen]).first()
    modules = list(ModulePage.objects.child_of(course).live().public().order_by("path"))
    lessons = (
        LessonPage.objects.descendant_of(course)
        .live()
        .public()
        .defer(*LESSON_FIELDS_DEFERRED)
        .order_by("path")
    )
    by_module: dict[str, list[LessonPage]] = {}
    for lesson in lessons:
        by_module.setdefault(lesson.path[: -lesson.steplen], []).append(lesson)
    levels = list(course.competency_levels.select_related("competency").order_by("sort_order"))
    return Outline(
        programme=programme,
        modules=[(module, by_module.get(module.path, [])) for module in modules],
        competency_levels=levels,
    )


def outline_of(course: CoursePage) -> Outline:
    """The course's outline, from the cache where its generation has one."""
    key = f"outline:{course.pk}:{course.path}:{course.url_path}:{get_language()}"
    return generations.cached(scopes_of(course.pk), key, lambda: build(course))


def course_of_lesson(lesson: LessonPage) -> CoursePage | None:
    """The course a lesson is in (two levels up: module, then course), in one query."""
    return CoursePage.objects.filter(path=lesson.path[: -2 * lesson.steplen]).first()


# --- What replaces a course's generation ----------------------------------------------------------


def courses_around(page) -> list[int]:
    """The courses a page belongs to: the course itself or the one above it; for a programme,
    its courses (their outlines show its title and link)."""
    if isinstance(page, CoursePage):
        return [page.pk]
    if isinstance(page, ProgrammePage):
        return list(CoursePage.objects.child_of(page).values_list("pk", flat=True))
    return list(CoursePage.objects.ancestor_of(page).values_list("pk", flat=True))


def _replace_for(page) -> None:
    pks = courses_around(page)
    if pks:
        generations.replace(*(f"course:{pk}" for pk in pks))


CURRICULUM_PAGES = (ProgrammePage, CoursePage, ModulePage, LessonPage)


def page_changed(sender, instance, raw=False, **kwargs):
    if raw:
        # Loading a fixture (a restored backup) saves rows half-built: every outline is stale.
        generations.replace(STRUCTURE)
    elif isinstance(instance, CURRICULUM_PAGES):
        # Wagtail sends its page signals for every page type; only these four are in an outline.
        _replace_for(instance)


def page_moved(sender, instance, parent_page_before, parent_page_after, **kwargs):
    pks = set(courses_around(instance))
    for parent in (parent_page_before, parent_page_after):
        above = CoursePage.objects.ancestor_of(parent, inclusive=True)
        pks.update(above.values_list("pk", flat=True))
    if pks:
        generations.replace(*(f"course:{pk}" for pk in pks))


def structure_changed(**kwargs):
    generations.replace(STRUCTURE)


def connect_signals() -> None:
    for model in CURRICULUM_PAGES:
        uid = f"outline:{model._meta.label_lower}"
        post_save.connect(page_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(page_changed, sender=model, dispatch_uid=uid)
    page_published.connect(page_changed, dispatch_uid="outline:published")
    page_unpublished.connect(page_changed, dispatch_uid="outline:unpublished")
    post_page_move.connect(page_moved, dispatch_uid="outline:moved")
    for model in (Competency, PageViewRestriction, Site, Locale):
        uid = f"outline:structure:{model._meta.label_lower}"
        post_save.connect(structure_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(structure_changed, sender=model, dispatch_uid=uid)
