"""Who is enrolled in what, and which lessons they have finished. Plain models: they change on
every click, and nobody moderates them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Enrolment(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("Enrolled themselves")
        ADMIN = "admin", _("Enrolled by an administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        "curriculum.CoursePage", on_delete=models.CASCADE, related_name="enrolments"
    )
    source = models.CharField(_("how"), max_length=10, choices=Source.choices, default=Source.SELF)
    # A course run (開講) the enrolment belongs to, with its deadline; none: self-paced.
    run = models.ForeignKey(
        "curriculum.CourseRun",
        verbose_name=_("course run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
    )
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    last_lesson = models.ForeignKey(
        "curriculum.LessonPage",
        verbose_name=_("last lesson opened"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_activity_at = models.DateTimeField(_("last activity"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="one_enrolment_per_course")
        ]
        indexes = [models.Index(fields=["user", "-last_activity_at"])]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    def __str__(self):
        return f"{self.user} → {self.course}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class LessonCompletion(models.Model):
    class Via(models.TextChoices):
        LEARNER = "learner", _("Marked done by the learner")
        QUIZ = "quiz", _("Quiz passed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(
        "curriculum.LessonPage", on_delete=models.CASCADE, related_name="completions"
    )
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.LEARNER)
    completed_at = models.DateTimeField(_("completed"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="one_completion_per_lesson")
        ]
        indexes = [models.Index(fields=["user", "-completed_at"])]
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")

    def __str__(self):
        return f"{self.user} ✓ {self.lesson}"
