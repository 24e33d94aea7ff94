"""The talent pool (人材プール): members and outside experts who offer to work for local
governments, the needs that prefectures and municipalities post, and the contact between them.

A talent profile exists only once its member opts in; it joins the pools of the prefectures the
member chooses, and only staff of organisations in those prefectures (with the `recruit_talent`
permission) ever see it. A competency level counts as verified only when one of the credentials
the member chose to show proves it; anything else is shown as self-declared. Contact goes
through a request the candidate accepts or declines: neither side's e-mail address is shown
before the candidate accepts."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from curriculum.models.competencies import Level


class TalentRole(models.TextChoices):
    """The four roles of MIC's skill standard for external digital talent
    (自治体DX外部人材スキル標準)."""

    PRODUCER = "producer", _("Producer (CIO adviser and the like)")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    SERVICE_DESIGNER = "service_designer", _("Service designer")
    ENGINEER = "engineer", _("Engineer")


class WorkMode(models.TextChoices):
    REMOTE = "remote", _("Remote")
    ON_SITE = "on_site", _("On site")
    EITHER = "either", _("Remote or on site")


class Commitment(models.TextChoices):
    FULL_TIME = "full_time", _("Full time")
    PART_TIME = "part_time", _("Part time (some days a month)")
    SPOT = "spot", _("Occasional advice")


class Background(models.TextChoices):
    MUNICIPAL = "municipal", _("Local government staff")
    PRIVATE = "private", _("Private-sector professional")
    RETIREE = "retiree", _("Retired, with experience to offer")
    ADVISER = "adviser", _("Regional informatisation adviser (地域情報化アドバイザー)")
    ACADEMIC = "academic", _("University or research institute")
    OTHER = "other", _("Other")


# Full time counts as this many days a month when a need asks for days.
FULL_TIME_DAYS = 20


class TalentProfileQuerySet(models.QuerySet):
    def open(self):
        return self.filter(is_open=True, user__is_active=True)

    def in_pool(self, prefecture_id):
        return self.open().filter(pools=prefecture_id)


class TalentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talent_profile"
    )
    is_open = models.BooleanField(
        _("listed in the pools I chose"),
        default=False,
        help_text=_(
            "Off: nobody finds you in a pool or can contact you; turn it back on at any time."
        ),
    )
    background = models.CharField(_("background"), max_length=12, choices=Background.choices)
    headline = models.CharField(
        _("headline"),
        max_length=120,
        help_text=_("One line that says what you can do, e.g. 基幹系の標準化移行をPMとして3件."),
    )
    summary = models.TextField(
        _("experience"),
        max_length=3000,
        blank=True,
        help_text=_("What you have done and for whom. Shown to the staff of the pools you join."),
    )
    commitment = models.CharField(
        _("availability"), max_length=12, choices=Commitment.choices, default=Commitment.PART_TIME
    )
    days_per_month = models.PositiveSmallIntegerField(
        _("days a month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("How many days a month you can give. Left empty for full time."),
    )
    work_mode = models.CharField(
        _("how you can work"), max_length=10, choices=WorkMode.choices, default=WorkMode.EITHER
    )
    available_from = models.DateField(
        _("available from"), null=True, blank=True, help_text=_("Left empty: now.")
    )
    home_prefecture = models.ForeignKey(
        "people.Prefecture",
        verbose_name=_("where you are based"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pools = models.ManyToManyField(
        "people.Prefecture",
        verbose_name=_("pools you join"),
        related_name="talent_profiles",
        help_text=_(
            "Only the prefecture and municipal staff of these prefectures, who recruit for their "
            "organisation, can find you."
        ),
    )
    shown_awards = models.ManyToManyField(
        "credentials.Award", verbose_name=_("credentials to show"), blank=True, related_name="+"
    )
    shown_cases = models.ManyToManyField(
        "casestudies.CaseStudyPage",
        verbose_name=_("case studies to show"),
        blank=True,
        related_name="+",
    )
    shown_answers = models.ManyToManyField(
        "knowledge.Answer", verbose_name=_("accepted answers to show"), blank=True, related_name="+"
    )
    is_fictional = models.BooleanField(_("fictional demo person"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TalentProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("talent profile")
        verbose_name_plural = _("talent profiles")
        indexes = [models.Index(fields=["is_open"], name="talent_open")]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("talent:candidate", args=[self.pk])

    @property
    def days_offered(self) -> int:
        if self.commitment == Commitment.FULL_TIME:
            return FULL_TIME_DAYS
        return self.days_per_month or 0


class TalentRoleClaim(models.Model):
    """A role of the skill standard the candidate offers to fill."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=TalentRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "role"], name="talent_role_once")]

    def __str__(self):
        return self.get_role_display()


class CompetencyLevel(models.Model):
    """A level in one competency area of the framework, said of a candidate or asked by a need."""

    competency = models.ForeignKey(
        "curriculum.Competency", on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)

    class Meta:
        abstract = True
        ordering = ["competency__sort_order", "competency__code"]

    def __str__(self):
        return f"{self.competency_id}:{self.level}"


class CompetencyClaim(CompetencyLevel):
    """A level the candidate declares in a competency area. Shown as self-declared unless a
    credential they show proves it (talent.matching)."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="claims")

    class Meta(CompetencyLevel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["profile", "competency"], name="talent_claim_once")
        ]


class NeedQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=TalentNeed.Status.OPEN)


class TalentNeed(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("talent need", "Open")
        FILLED = "filled", _("Filled")
        UNFILLED = "unfilled", _("Closed without anyone")
        CANCELLED = "cancelled", _("Withdrawn")

    class Sharing(models.TextChoices):
        OWN = "own", _("Our organisation only")
        PREFECTURE = "prefecture", _("Shared with every municipality in the prefecture")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("All signed-in members")
        POOL = "pool", _("Candidates in the prefecture's pool only")

    organisation = models.ForeignKey(
        "people.Municipality",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="talent_needs",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=120)
    role = models.CharField(_("role"), max_length=20, choices=TalentRole.choices)
    description = models.TextField(_("what the work is"), max_length=4000)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    days_per_month = models.PositiveSmallIntegerField(
        _("days a month"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    work_mode = models.CharField(
        _("how the work is done"), max_length=10, choices=WorkMode.choices, default=WorkMode.EITHER
    )
    sharing = models.CharField(
        _("shared with"), max_length=12, choices=Sharing.choices, default=Sharing.OWN
    )
    audience = models.CharField(
        _("published to"), max_length=10, choices=Audience.choices, default=Audience.MEMBERS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("talent need")
        verbose_name_plural = _("talent needs")
        permissions = [
            ("recruit_talent", _("Can post needs and contact candidates for their organisation")),
        ]
        indexes = [models.Index(fields=["status", "organisation"], name="talent_need_status")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("talent:need", args=[self.pk])

    @property
    def prefecture_id(self):
        return self.organisation.prefecture_id


class NeedRequirement(CompetencyLevel):
    need = models.ForeignKey(TalentNeed, on_delete=models.CASCADE, related_name="requirements")

    class Meta(CompetencyLevel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["need", "competency"], name="talent_need_level_once")
        ]


class ContactRequest(models.Model):
    """Staff of the organisation that posted a need write to a candidate about it. The candidate
    accepts or declines; only after acceptance does each side see the other's e-mail address."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting an answer")
        ACCEPTED = "accepted", pgettext_lazy("contact request", "Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Candidate left the pool")

    need = models.ForeignKey(TalentNeed, on_delete=models.CASCADE, related_name="contacts")
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talent_requests"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="talent_requests_sent",
    )
    message = models.TextField(_("message"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        constraints = [
            models.UniqueConstraint(fields=["need", "candidate"], name="talent_contact_once")
        ]

    def __str__(self):
        return f"{self.need_id} → {self.candidate_id}"

    def get_absolute_url(self):
        return reverse("talent:request", args=[self.pk])

    @property
    def is_accepted(self):
        return self.status == self.Status.ACCEPTED
