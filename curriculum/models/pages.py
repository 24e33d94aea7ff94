"""The curriculum as pages: catalogue → programme → course → module → lesson, each type allowed
only under its parent, so the tree an admin builds is always one the learner side can read."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from core.dates import today
from core.forms import PageForm
from curriculum.blocks import LessonStreamBlock
from curriculum.page_forms import CoursePageForm

from .competencies import Competency, Level, Role
from .progress import LessonCompletion
from .runs import CourseRun


class CourseCatalogPage(Page):
    """Every programme and course, with what each builds and for whom."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    parent_page_types = ["core.HomePage"]
    base_form_class = PageForm
    subpage_types = ["curriculum.ProgrammePage"]
    max_count_per_parent = 1
    template = "curriculum/course_catalog_page.html"

    class Meta:
        verbose_name = _("course catalogue")

    def get_context(self, request, *args, **kwargs):
        """Programmes with their courses in order; filtered by role, competency or format (GET
        parameters of a plain form), a flat list instead. The same number of queries whatever
        the number of courses: the roles, competency levels and topics are prefetched and the
        open runs fetched for all the courses at once."""
        context = super().get_context(request, *args, **kwargs)
        programmes = list(ProgrammePage.objects.child_of(self).live().public().order_by("path"))
        by_path = {programme.path: programme for programme in programmes}
        filters = CatalogueFilters.from_query(request.GET)
        courses = (
            CoursePage.objects.descendant_of(self)
            .live()
            .public()
            .order_by("path")
            .prefetch_related("target_roles", "competency_levels__competency", "topics")
        )
        courses = [
            course
            for course in filters.apply(courses)
            if course.path[: -CoursePage.steplen] in by_path
        ]
        open_runs = _open_runs(courses)
        by_programme: dict[str, list] = {}
        for course in courses:
            parent_path = course.path[: -CoursePage.steplen]
            course.programme = by_path[parent_path]
            course.open_run = open_runs.get(course.translation_key)
            by_programme.setdefault(parent_path, []).append(course)
        context["programmes"] = [
            (programme, by_programme.get(programme.path, [])) for programme in programmes
        ]
        context["courses"] = courses
        context["filters"] = filters
        context["roles"] = list(Role.objects.all())
        context["competencies"] = list(Competency.objects.all())
        context["formats"] = DeliveryFormat.choices
        return context


def _open_runs(courses) -> dict:
    """The run of each course open for enrolment today (the one closing first), by the course's
    translation key: runs belong to the default-language course, the catalogue may be a
    translation. One query for all the courses. "Open" as `curriculum.runs.is_open` says it
    (self-enrolment on, today within the window), written as a filter: the pages do not import
    the runs module, which reads the careers app."""
    if not courses:
        return {}
    found: dict = {}
    candidates = (
        CourseRun.objects.filter(
            course__translation_key__in={course.translation_key for course in courses},
            self_enrolment=True,
            enrolment_opens__lte=today(),
            enrolment_closes__gte=today(),
        )
        .annotate(course_key=models.F("course__translation_key"))
        .order_by("enrolment_closes", "pk")
    )
    for run in candidates:
        found.setdefault(run.course_key, run)
    return found


class CatalogueFilters:
    """The catalogue's filters from the query string. A value that is not a number (or not a
    format) is ignored, never an error: addresses get shared, shortened and mistyped."""

    def __init__(self, role: int | None = None, competency: int | None = None, fmt: str = ""):
        self.role = role
        self.competency = competency
        self.format = fmt

    @staticmethod
    def _id(value) -> int | None:
        value = (value or "").strip()
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**31:
            return int(value)
        return None

    @classmethod
    def from_query(cls, query) -> CatalogueFilters:
        fmt = query.get("format", "")
        return cls(
            role=cls._id(query.get("role")),
            competency=cls._id(query.get("competency")),
            fmt=fmt if fmt in DeliveryFormat.values else "",
        )

    @property
    def count(self) -> int:
        """How many filters are on (the folded panel's summary says it)."""
        return sum(1 for value in (self.role, self.competency, self.format) if value)

    @property
    def active(self) -> bool:
        return self.count > 0

    def apply(self, courses):
        if self.role:
            courses = courses.filter(target_roles=self.role)
        if self.competency:
            courses = courses.filter(competency_levels__competency=self.competency)
        if self.format:
            courses = courses.filter(delivery_format=self.format)
        return courses


class ProgrammePage(Page):
    """A named sequence of courses (CIO育成プログラム): its courses, in order, are its children."""

    summary = models.TextField(_("summary"), blank=True)
    body = RichTextField(_("description"), blank=True, features=["bold", "italic", "link", "ul"])

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["curriculum.CourseCatalogPage"]
    base_form_class = PageForm
    subpage_types = ["curriculum.CoursePage"]
    template = "curriculum/programme_page.html"

    class Meta:
        verbose_name = _("programme")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = (
            CoursePage.objects.child_of(self)
            .live()
            .public()
            .order_by("path")
            .prefetch_related("target_roles", "competency_levels__competency")
        )
        return context


class DeliveryFormat(models.TextChoices):
    """How a course is taught: learners filter the catalogue by it."""

    SELF_PACED = "self_paced", _("Self-paced online")
    BLENDED = "blended", _("Online with live sessions")
    IN_PERSON = "in_person", _("In-person training")


class CoursePage(Page):
    code = models.CharField(_("code"), max_length=12, blank=True, help_text=_("e.g. K4"))
    summary = models.TextField(_("summary"))
    objectives = models.TextField(
        _("learning objectives"),
        help_text=_("One per line: what a learner can do after the course."),
    )
    estimated_hours = models.DecimalField(
        _("estimated hours"), max_digits=5, decimal_places=1, default=1
    )
    assessment = models.TextField(
        _("assessment"), blank=True, help_text=_("How learning is shown, e.g. a review sheet.")
    )
    delivery_format = models.CharField(
        _("format"),
        max_length=12,
        choices=DeliveryFormat.choices,
        default=DeliveryFormat.SELF_PACED,
        help_text=_("How the course is taught; learners filter the catalogue by it."),
    )
    target_roles = ParentalManyToManyField(
        "curriculum.Role", blank=True, related_name="courses", verbose_name=_("target roles")
    )
    topics = ParentalManyToManyField(
        "core.Topic", blank=True, related_name="courses", verbose_name=_("topics")
    )
    prerequisites = ParentalManyToManyField(
        "self",
        blank=True,
        symmetrical=False,
        related_name="unlocks",
        verbose_name=_("prerequisite courses"),
        help_text=_("Courses a learner completes before enrolling in this one."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("code"),
        FieldPanel("summary"),
        FieldPanel("objectives"),
        MultiFieldPanel(
            [
                FieldPanel("estimated_hours"),
                FieldPanel("delivery_format"),
                FieldPanel("target_roles", widget=forms.CheckboxSelectMultiple),
                FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
                FieldPanel("prerequisites", widget=forms.CheckboxSelectMultiple),
                FieldPanel("assessment"),
            ],
            heading=_("Who it is for and what it takes"),
        ),
        InlinePanel("competency_levels", label=_("Competencies it builds")),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("code", boost=2),
        index.SearchField("summary"),
        index.SearchField("objectives"),
        index.SearchField("assessment"),
        index.FilterField("topics"),
        index.RelatedFields("topics", [index.FilterField("slug")]),
    ]

    parent_page_types = ["curriculum.ProgrammePage"]
    base_form_class = CoursePageForm
    subpage_types = ["curriculum.ModulePage"]
    template = "curriculum/course_page.html"

    class Meta:
        verbose_name = _("course")

    @property
    def title_without_code(self) -> str:
        """The title without the course code in front, where an editor typed it there too
        (「K9 AI活用の基礎」 with the code K9), so that no page says 「K9 K9 …」."""
        code, title = self.code.strip(), self.title.strip()
        if (
            code
            and title.startswith(code)
            and title[len(code) : len(code) + 1] in (" ", "　", ":", "：")
        ):
            return title[len(code) + 1 :].strip() or title
        return title

    @property
    def coded_title(self) -> str:
        """「K9 AI活用の基礎」: the code once, then the title."""
        return f"{self.code} {self.title_without_code}" if self.code else self.title

    @property
    def objective_list(self) -> list[str]:
        return [line.strip(" ・-") for line in self.objectives.splitlines() if line.strip(" ・-")]

    @cached_property
    def outline(self):
        """Programme, modules, lessons and competencies: the same for every reader, cached under
        this course's generation (curriculum.outline)."""
        # curriculum.outline imports these page models: a top-level import would be circular.
        from curriculum.outline import outline_of

        return outline_of(self)

    @property
    def lessons(self):
        """The live lessons of the course in reading order (modules in order, then lessons)."""
        return self.outline.lessons

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        outline = self.outline
        context["programme"] = outline.programme
        context["modules"] = outline.modules
        context["competency_levels"] = outline.competency_levels
        context["required_minutes"] = outline.required_minutes
        context.update(self.learning_context(request.user))
        return context

    def learning_context(self, user) -> dict:
        """The learner's side of the course page: enrolled or not, locked by which courses,
        progress, the lessons done and where to resume."""
        # curriculum.progress imports these page models: a top-level import would be circular.
        from curriculum import progress as learning

        if not user.is_authenticated:
            return {}
        enrolment = learning.enrolment_for(user, self)
        if enrolment is None:
            return {"missing_prerequisites": learning.missing_prerequisites(user, self)}
        canonical = learning.canonical(self)
        done = set(
            LessonCompletion.objects.filter(
                user=user, lesson__in=LessonPage.objects.descendant_of(canonical)
            ).values_list("lesson__translation_key", flat=True)
        )
        return {
            "enrolment": enrolment,
            "progress": learning.progress(user, self),
            "done_keys": done,
            "resume_lesson": learning.next_lesson(user, self),
        }


class CourseCompetency(Orderable):
    page = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="competency_levels")
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="courses")
    level = models.PositiveSmallIntegerField(
        _("level reached"), choices=Level.choices, default=Level.CAN_DO
    )

    panels = [FieldPanel("competency"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["page", "competency"], name="one_level_per_course_area")
        ]
        verbose_name = _("competency built")


class ModulePage(Page):
    summary = models.TextField(_("summary"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary")]
    search_fields = [*Page.search_fields, index.SearchField("summary")]

    parent_page_types = ["curriculum.CoursePage"]
    base_form_class = PageForm
    subpage_types = ["curriculum.LessonPage"]
    template = "curriculum/module_page.html"

    class Meta:
        verbose_name = _("module")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["lessons"] = LessonPage.objects.child_of(self).live().public().order_by("path")
        return context


class LessonPage(Page):
    body = StreamField(LessonStreamBlock(), verbose_name=_("content"))
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=15)
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("Optional lessons do not count towards the course's progress."),
    )
    quiz = models.ForeignKey(
        "curriculum.Quiz",
        verbose_name=_("quiz"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lessons",
        help_text=_("Passing it completes the lesson."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("estimated_minutes"), FieldPanel("required"), FieldPanel("quiz")],
            heading=_("Study"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("body"),
    ]

    parent_page_types = ["curriculum.ModulePage"]
    base_form_class = PageForm
    subpage_types: list[str] = []
    template = "curriculum/lesson_page.html"

    class Meta:
        verbose_name = _("lesson")

    @cached_property
    def course(self):
        # curriculum.outline imports these page models: a top-level import would be circular.
        from curriculum.outline import course_of_lesson

        return course_of_lesson(self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        course = self.course
        context["course"] = course
        module_path = self.path[: -self.steplen]
        modules = [m for m, _lessons in course.outline.modules] if course else []
        # A lesson previewed before it is live, or under a module not live, is in no outline.
        context["module"] = next((m for m in modules if m.path == module_path), None) or (
            self.get_parent()
        )
        lessons = course.lessons if course else [self]
        index_of = next((i for i, lesson in enumerate(lessons) if lesson.pk == self.pk), 0)
        context["previous_lesson"] = lessons[index_of - 1] if index_of > 0 else None
        context["next_lesson"] = lessons[index_of + 1] if index_of + 1 < len(lessons) else None
        context["lesson_number"] = index_of + 1
        context["lesson_count"] = len(lessons)
        if course is not None and request.user.is_authenticated:
            # curriculum.progress imports these page models: a top-level import would be circular.
            from curriculum import progress as learning

            enrolment = learning.enrolment_for(request.user, course)
            context["enrolment"] = enrolment
            if enrolment is not None:
                learning.record_visit(enrolment, self)
                context["is_done"] = LessonCompletion.objects.filter(
                    user=request.user, lesson=learning.canonical(self)
                ).exists()
                if self.quiz_id:
                    # curriculum.quizzes imports these models: a top-level import would be circular.
                    from curriculum import quizzes

                    context["quiz_attempts"] = list(
                        quizzes.attempts(request.user, self).order_by("started_at")
                    )
                    context["quiz_attempts_left"] = quizzes.attempts_left(request.user, self)
        return context
