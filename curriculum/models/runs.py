"""Course runs (開講): a course opened by an organisation for a period — a prefecture's
fiscal-year cohort, an academy's term — with an enrolment window, a start, a deadline, a capacity,
facilitators and live sessions. A learner's enrolment in a course belongs to at most one run
(`Enrolment.run`); enrolments without one stay self-paced. The rules (who may join, enrolling a
municipality, deadlines, the learner list) are in `curriculum/runs.py`."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Locale

from curriculum.run_forms import CourseRunForm

# A meeting link goes into e-mails and calendars: only an encrypted address, never javascript:
# or a plain http one. Its own error code, or a form would show its "Enter a valid URL" instead.
https_only = URLValidator(
    schemes=["https"], message=_("Enter an https:// address."), code="https_only"
)


class CourseRun(ClusterableModel):
    course = models.ForeignKey(
        "curriculum.CoursePage",
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("e.g. 広島県 CIO補佐官 育成研修 令和8年度")
    )
    owner = models.ForeignKey(
        "people.Municipality",
        verbose_name=_("organised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The prefecture or municipality that runs it; its staff with organisation report "
            "access see the learners. Leave empty for an academy and name it below."
        ),
    )
    owner_name = models.CharField(
        _("organiser's name"),
        max_length=120,
        blank=True,
        help_text=_("For an organiser without a local government code, e.g. an academy."),
    )
    enrolment_opens = models.DateField(_("enrolment opens"))
    enrolment_closes = models.DateField(_("enrolment closes"))
    starts_on = models.DateField(_("starts"))
    deadline = models.DateField(_("deadline"), help_text=_("The last day to complete the course."))
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    self_enrolment = models.BooleanField(
        _("members may join themselves"),
        default=True,
        help_text=_(
            "Within the enrolment window, members of the organiser's area join from the run's "
            "page. Off: staff enrol or invite them."
        ),
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitators"),
        blank=True,
        related_name="facilitated_runs",
        help_text=_("They see the learners and take attendance at live sessions."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    base_form_class = CourseRunForm
    panels = [
        FieldPanel("course"),
        FieldPanel("title"),
        MultiFieldPanel([FieldPanel("owner"), FieldPanel("owner_name")], heading=_("Organised by")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("enrolment_opens"), FieldPanel("enrolment_closes")]),
                FieldRowPanel([FieldPanel("starts_on"), FieldPanel("deadline")]),
            ],
            heading=_("Dates"),
        ),
        FieldPanel("capacity"),
        FieldPanel("self_enrolment"),
        FieldPanel("facilitators"),
        InlinePanel("sessions", label=_("Live session"), heading=_("Live sessions")),
    ]

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("course run")
        verbose_name_plural = _("course runs")
        indexes = [models.Index(fields=["deadline"])]

    def __str__(self):
        return self.title

    @property
    def organiser(self) -> str:
        if self.owner_id:
            return str(self.owner)
        return self.owner_name

    def clean(self):
        super().clean()
        errors = {}
        if self.owner_id is None and not self.owner_name.strip():
            errors["owner_name"] = _("Choose the organising body above, or name it here.")
        opens, closes = self.enrolment_opens, self.enrolment_closes
        if None not in (opens, closes) and closes < opens:
            errors["enrolment_closes"] = _("Enrolment closes after it opens.")
        if None not in (self.starts_on, self.deadline):
            if self.deadline < self.starts_on:
                errors["deadline"] = _("The deadline is on or after the start.")
            elif self.enrolment_closes and self.enrolment_closes > self.deadline:
                errors["enrolment_closes"] = _("Enrolment closes by the deadline.")
        if self.course_id:
            # Learning is recorded against the default-language page (curriculum/progress.py).
            default = Locale.get_default()
            if self.course.locale_id != default.pk:
                original = self.course.get_translation_or_none(default)
                if original is None:
                    errors["course"] = _("Choose the course in the site's default language.")
                else:
                    self.course = original
        if errors:
            raise ValidationError(errors)


class LiveSession(models.Model):
    """A scheduled meeting of the run, in a room or online; the facilitator takes attendance."""

    run = ParentalKey(CourseRun, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    meeting_url = models.URLField(
        _("meeting link"),
        blank=True,
        validators=[https_only],
        help_text=_("An https:// address; shown to the run's learners only."),
    )
    note = models.TextField(_("note"), blank=True)

    panels = [
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("place"),
        FieldPanel("meeting_url"),
        FieldPanel("note"),
    ]

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")

    def __str__(self):
        return f"{self.run} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        super().clean()
        errors = {}
        if None not in (self.starts_at, self.ends_at) and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A session ends after it starts.")
        if not self.place.strip() and not self.meeting_url:
            errors["place"] = _("Give a place, a meeting link, or both.")
        if errors:
            raise ValidationError(errors)


class Attendance(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance"
    )
    present = models.BooleanField(_("present"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_attendance_per_session")
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")

    def __str__(self):
        return f"{self.session}: {self.user} {'✓' if self.present else '✗'}"


class DeadlineReminder(models.Model):
    """A reminder e-mail sent for an enrolment's deadline: the record that keeps the daily
    command from sending it twice. Kept per deadline, so a deadline moved later is announced
    again."""

    enrolment = models.ForeignKey(
        "curriculum.Enrolment", on_delete=models.CASCADE, related_name="deadline_reminders"
    )
    days_before = models.PositiveSmallIntegerField()
    deadline = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "days_before", "deadline"], name="one_reminder_per_deadline"
            )
        ]

    def __str__(self):
        return f"{self.enrolment} −{self.days_before}d"


class CalendarFeed(models.Model):
    """The secret that the address of a learner's calendar feed (.ics) is signed with; a new
    secret revokes every address given out before."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user} calendar"
