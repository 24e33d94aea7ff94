"""Credential definitions (what a badge means and the rules that earn it), the awards made to
learners, and the issuer's signing keys. An award keeps the Open Badges 3.0 credential exactly as
it was signed, so a download today and a download next year are the same bytes."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, HelpPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.models import Orderable

from core.translation import in_language
from curriculum.models.competencies import Level

from . import badges


@register_setting(icon="site")
class IssuerSettings(BaseGenericSetting):
    """Who signs the credentials: shown in every credential's issuer profile."""

    name_ja = models.CharField(_("name (Japanese)"), max_length=120, default="自治体CIOアカデミー")
    name_en = models.CharField(_("name (English)"), max_length=120, default="Municipal CIO Academy")
    url = models.URLField(
        _("website"), blank=True, help_text=_("Left empty, the site's own address is used.")
    )
    email = models.EmailField(_("contact email"), blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)

    panels = [
        FieldPanel("name_ja"),
        FieldPanel("name_en"),
        FieldPanel("url"),
        FieldPanel("email"),
        FieldPanel("description_ja"),
    ]

    class Meta:
        verbose_name = _("credential issuer")


class CredentialDefinition(ClusterableModel):
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    name_ja = models.CharField(_("name (Japanese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description_ja = models.TextField(_("description (Japanese)"))
    description_en = models.TextField(_("description (English)"), blank=True)
    criteria_ja = models.TextField(
        _("criteria (Japanese)"), help_text=_("What the holder did, in words anyone can read.")
    )
    criteria_en = models.TextField(_("criteria (English)"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("badge image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A square PNG or SVG. Without one, the platform's badge is shown."),
    )
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the credential does not expire."),
    )
    is_active = models.BooleanField(
        _("awarded automatically"),
        default=True,
        help_text=_("Off: no new automatic awards; existing awards stay valid."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("slug"),
                FieldPanel("name_ja"),
                FieldPanel("name_en"),
                FieldPanel("description_ja"),
                FieldPanel("description_en"),
                FieldPanel(
                    "image",
                    help_text=_(
                        "A square PNG. Without one, a badge drawn from the credential's name is "
                        "shown (see below)."
                    ),
                ),
                HelpPanel(
                    template="credentials/admin/badge_preview_panel.html",
                    heading=_("Drawn badge"),
                ),
            ],
            heading=_("Credential"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("criteria_ja"),
                FieldPanel("criteria_en"),
                FieldPanel("validity_days"),
                FieldPanel("is_active"),
            ],
            heading=_("Criteria"),
        ),
        InlinePanel(
            "rules",
            label=_("Rules"),
            heading=_("Rules (all must be met)"),
            min_num=1,
        ),
        InlinePanel("competencies", label=_("Competency proven"), heading=_("Competencies")),
        InlinePanel("alignments", label=_("External framework"), heading=_("External frameworks")),
    ]

    class Meta:
        ordering = ["name_ja"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return in_language(self.name_ja, self.name_en)

    @property
    def description(self):
        return in_language(self.description_ja, self.description_en)

    @property
    def criteria(self):
        return in_language(self.criteria_ja, self.criteria_en)

    @property
    def drawn_badge_url(self) -> str:
        """The address of the badge drawn for it (badges.py), shown when no image is uploaded."""
        return badges.url(self)


class CredentialRule(Orderable):
    """One condition of a credential. The kinds that count contributions (case studies, accepted
    answers) are evaluated by counters their apps register in `rules.py`."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Complete a course")
        QUIZ = "quiz", _("Pass a quiz with at least a score")
        CASE_STUDIES = "case_studies", _("Publish case studies")
        ACCEPTED_ANSWERS = "accepted_answers", _("Have answers accepted in the knowledge base")

    definition = ParentalKey(CredentialDefinition, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("rule"), max_length=20, choices=Kind.choices)
    course = models.ForeignKey(
        "curriculum.CoursePage",
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quiz = models.ForeignKey(
        "curriculum.Quiz",
        verbose_name=_("quiz"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    min_score = models.PositiveSmallIntegerField(
        _("minimum score (%)"), null=True, blank=True, help_text=_("For a quiz rule.")
    )
    count = models.PositiveSmallIntegerField(
        _("how many"), null=True, blank=True, help_text=_("For case studies and answers.")
    )

    panels = [
        FieldPanel("kind"),
        FieldPanel("course"),
        FieldPanel("quiz"),
        FieldPanel("min_score"),
        FieldPanel("count"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("rule")

    def clean(self):
        needs = {
            self.Kind.COURSE: {"course": self.course_id},
            self.Kind.QUIZ: {"quiz": self.quiz_id, "min_score": self.min_score},
            self.Kind.CASE_STUDIES: {"count": self.count},
            self.Kind.ACCEPTED_ANSWERS: {"count": self.count},
        }.get(self.kind, {})
        missing = {name: _("This rule needs it.") for name, value in needs.items() if not value}
        if self.kind == self.Kind.QUIZ and self.min_score and self.min_score > 100:
            missing["min_score"] = _("A score is at most 100.")
        if missing:
            raise ValidationError(missing)

    def __str__(self):
        return self.describe()

    def describe(self) -> str:
        # The rules module imports this model: a top-level import would be circular.
        from .rules import describe

        return describe(self)


class CredentialCompetency(Orderable):
    """The level of a competency area that holding the credential proves: the career path
    counts it towards the learner's target role."""

    definition = ParentalKey(
        CredentialDefinition, on_delete=models.CASCADE, related_name="competencies"
    )
    competency = models.ForeignKey(
        "curriculum.Competency",
        verbose_name=_("competency area"),
        on_delete=models.CASCADE,
        related_name="credentials",
    )
    level = models.PositiveSmallIntegerField(_("level proven"), choices=Level.choices)

    panels = [FieldPanel("competency"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "competency"], name="one_level_per_credential_area"
            )
        ]


class ExternalAlignment(Orderable):
    """Where the credential sits in a national framework: the Digital Skill Standard (DSS) roles
    or MIC's roles for external digital talent."""

    class Framework(models.TextChoices):
        DSS = "dss", _("Digital Skill Standard (METI/IPA)")
        MIC = "mic", _("MIC: external digital talent roles")
        OTHER = "other", _("Other")

    definition = ParentalKey(
        CredentialDefinition, on_delete=models.CASCADE, related_name="alignments"
    )
    framework = models.CharField(_("framework"), max_length=10, choices=Framework.choices)
    target_name = models.CharField(_("role or skill"), max_length=200)
    target_code = models.CharField(_("code"), max_length=40, blank=True)
    target_url = models.URLField(_("address of its description"))
    target_description = models.TextField(_("description"), blank=True)

    panels = [
        FieldPanel("framework"),
        FieldPanel("target_name"),
        FieldPanel("target_code"),
        FieldPanel("target_url"),
        FieldPanel("target_description"),
    ]


class AwardQuerySet(models.QuerySet):
    def standing(self, now=None):
        """Not revoked, not replaced by a renewal, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, superseded_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Award(models.Model):
    class Method(models.TextChoices):
        AUTOMATIC = "auto", _("Automatic (the rules were met)")
        MANUAL = "manual", _("Awarded by staff")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    definition = models.ForeignKey(
        CredentialDefinition,
        verbose_name=_("credential"),
        on_delete=models.PROTECT,
        related_name="awards",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.CASCADE,
        related_name="awards",
    )
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    issued_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    status_index = models.PositiveIntegerField(unique=True)
    credential = models.JSONField(_("signed credential"), default=dict)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    superseded_at = models.DateTimeField(_("renewed"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    is_public = models.BooleanField(
        _("public page"),
        default=False,
        help_text=_("Anyone with the address can see the credential and verify it."),
    )
    is_indexable = models.BooleanField(_("let search engines list it"), default=False)

    objects = AwardQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "user"],
                condition=Q(revoked_at__isnull=True, superseded_at__isnull=True),
                name="one_standing_award_per_credential",
            )
        ]
        permissions = [
            ("revoke_award", _("Can revoke awarded credentials")),
            ("view_organisation_report", _("Can see roles and credentials of own organisation")),
            ("view_all_organisations", _("Can see roles and credentials of every organisation")),
        ]

    def __str__(self):
        return f"{self.definition} — {self.user}"

    def get_absolute_url(self):
        return reverse("credentials:award", args=[self.uuid])

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self):
        if self.revoked_at:
            return "revoked"
        if self.superseded_at:
            return "renewed"
        if self.is_expired:
            return "expired"
        return "valid"

    def visible_to(self, user) -> bool:
        return self.is_public or (user.is_authenticated and user.pk == self.user_id)


class StatusPosition(models.Model):
    """A position in the revocation status list. Positions outlive their awards: an award deleted
    with its holder's account leaves its position revoked, and a position is never handed out
    twice, so a published "revoked" bit can never turn back to "valid"."""

    index = models.PositiveIntegerField(primary_key=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return str(self.index)


class OrganisationReporter(models.Model):
    """Which organisation a member of staff reports on, assigned by an administrator: a member's
    own profile says where they work, but anyone can edit that, so it cannot decide the scope."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="organisation_reporter",
    )
    municipality = models.ForeignKey(
        "people.Municipality",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_(
            "Their municipality; a prefectural government gives the whole prefecture. They also "
            "need the permission to see their own organisation's report."
        ),
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("user"), FieldPanel("municipality")]

    class Meta:
        verbose_name = _("organisation report access")
        verbose_name_plural = _("organisation report access")

    def __str__(self):
        return f"{self.user} — {self.municipality}"


class SigningKey(models.Model):
    """The public half of an issuer key. The private half lives in a file under
    CREDENTIALS_KEY_DIR, never in the database or the repository. A rotated key stays here (and in
    the DID document) so that what it signed still verifies; a compromised key is revoked."""

    kid = models.CharField(max_length=64, unique=True)
    verification_method = models.CharField(max_length=300, unique=True)
    public_key_multibase = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_signing_key"
            )
        ]

    def __str__(self):
        return self.kid
