"""The career framework: fourteen competency areas and the role ladder R0 全職員 … R5 CIO with
the level each role needs in each area (field guide §1). Admins edit them as snippets; courses
declare which areas they build, and the credentials build career paths on both."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable

from core.translation import in_language


class Level(models.IntegerChoices):
    AWARE = 1, _("1 Aware")
    CAN_DO = 2, _("2 Can do")
    CAN_TEACH = 3, _("3 Can teach")
    STRATEGIC = 4, _("4 Strategic judgement")


class Competency(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("e.g. C4"))
    name_ja = models.CharField(_("name (Japanese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    frameworks = models.TextField(
        _("public frameworks"),
        blank=True,
        help_text=_(
            "What it corresponds to in the national frameworks (DSS, MIC's skill standard)."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    panels = [
        FieldPanel("code"),
        FieldPanel("name_ja"),
        FieldPanel("name_en"),
        FieldPanel("description_ja"),
        FieldPanel("description_en"),
        FieldPanel("frameworks"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("competency area")
        verbose_name_plural = _("competency areas")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self):
        return in_language(self.name_ja, self.name_en)

    @property
    def description(self):
        return in_language(self.description_ja, self.description_en)


class Role(ClusterableModel):
    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("e.g. R4"))
    rank = models.PositiveSmallIntegerField(
        _("rank on the ladder"), default=0, help_text=_("0 for all staff, up to the CIO.")
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    placement_ja = models.CharField(_("typical placement"), max_length=200, blank=True)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    basis = models.TextField(_("basis"), blank=True, help_text=_("Sources for this role."))

    panels = [
        FieldPanel("code"),
        FieldPanel("rank"),
        FieldPanel("name_ja"),
        FieldPanel("name_en"),
        FieldPanel("placement_ja"),
        FieldPanel("description_ja"),
        FieldPanel("description_en"),
        FieldPanel("basis"),
        InlinePanel("requirements", label=_("Required competencies")),
    ]

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self):
        return in_language(self.name_ja, self.name_en)

    @property
    def description(self):
        return in_language(self.description_ja, self.description_en)


class RoleRequirement(Orderable):
    role = ParentalKey(Role, on_delete=models.CASCADE, related_name="requirements")
    competency = models.ForeignKey(
        Competency, on_delete=models.CASCADE, related_name="role_requirements"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)

    panels = [FieldPanel("competency"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["role", "competency"], name="one_level_per_role_area")
        ]
        verbose_name = _("required competency")

    def __str__(self):
        return f"{self.role.code} {self.competency.code}:{self.level}"
