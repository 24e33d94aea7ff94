"""Peer case studies: what a municipality did, with its figures. A case is a Wagtail page under
the case-study index, written by officials from the site and published through moderation; its
outcomes are structured metrics so that cases can be filtered, compared and benchmarked."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page
from wagtail.search import index

from core.forms import PageForm
from people.models import Profile


class PopulationBand(models.TextChoices):
    UNDER_10K = "lt10k", _("Under 10,000")
    UNDER_50K = "10k-50k", _("10,000–50,000")
    UNDER_100K = "50k-100k", _("50,000–100,000")
    UNDER_300K = "100k-300k", _("100,000–300,000")
    OVER_300K = "300k+", _("300,000 or more")

    @classmethod
    def of(cls, population: int | None) -> str:
        if not population:
            return ""
        for limit, band in (
            (10_000, cls.UNDER_10K),
            (50_000, cls.UNDER_50K),
            (100_000, cls.UNDER_100K),
            (300_000, cls.UNDER_300K),
        ):
            if population < limit:
                return band
        return cls.OVER_300K


class FigureStatus(models.TextChoices):
    PUBLISHED = "published", _("Published figures (公表値)")
    ESTIMATE = "estimate", _("Estimate (推計)")
    ILLUSTRATIVE = "illustrative", _("Illustrative (例示)")


class ProcurementRoute(models.TextChoices):
    IN_HOUSE = "in_house", _("Built in-house")
    COMPETITIVE = "competitive", _("Competitive tender")
    PROPOSAL = "proposal", _("Proposal competition (プロポーザル)")
    JOINT = "joint", _("Joint procurement with other municipalities")
    FRAMEWORK = "framework", _("Existing contract or LGWAN-ASP service")
    DEMONSTRATION = "demonstration", _("Free trial or demonstration")
    OTHER = "other", _("Other")


class CaseStudyIndexPage(RoutablePageMixin, Page):
    """The case library: the listing with its facets, the feed, compare and benchmark."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["core.HomePage"]
    base_form_class = PageForm
    subpage_types = ["casestudies.CaseStudyPage"]
    max_count_per_parent = 1
    template = "casestudies/case_study_index_page.html"

    class Meta:
        verbose_name = _("case study index")

    def get_context(self, request, *args, **kwargs):
        # .listing imports this module's models: a top-level import would be circular.
        from .listing import listing_context

        context = super().get_context(request, *args, **kwargs)
        context.update(listing_context(self, request))
        return context

    @path("feed/")
    def feed(self, request):
        # .feeds imports this module through .listing: a top-level import would be circular.
        from .feeds import atom_feed

        return atom_feed(request, self)

    @path("compare/")
    def compare(self, request):
        # .compare imports this module's models: a top-level import would be circular.
        from .compare import compare_view

        return compare_view(request, self)

    @path("benchmark/")
    def benchmark(self, request):
        # .benchmark imports this module's models: a top-level import would be circular.
        from .benchmark import benchmark_view

        return benchmark_view(request, self)


class CaseStudyPage(Page):
    municipality = models.ForeignKey(
        "people.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="case_studies",
    )
    population = models.PositiveIntegerField(_("population at the time"), null=True, blank=True)
    population_source = models.CharField(
        _("source of the population"),
        max_length=200,
        blank=True,
        help_text=_("e.g. 住民基本台帳 2023年1月1日"),
    )
    population_band = models.CharField(
        max_length=12, choices=PopulationBand.choices, blank=True, editable=False
    )
    summary = models.TextField(_("summary"), max_length=400, blank=True)
    topics = ParentalManyToManyField(
        "core.Topic", blank=True, related_name="case_studies", verbose_name=_("topics")
    )
    technologies = models.CharField(
        _("technologies and products"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, e.g. RPA, AI-OCR, LGWAN-ASP"),
    )
    started = models.DateField(_("started"), null=True, blank=True)
    ended = models.DateField(_("ended"), null=True, blank=True, help_text=_("Empty: ongoing."))
    # Drafts may be incomplete; `submission.missing_for_moderation` says what a submission needs.
    problem = models.TextField(_("the problem"), blank=True, help_text=_("Markdown."))
    approach = models.TextField(_("the approach"), blank=True, help_text=_("Markdown."))
    team = models.CharField(_("team"), max_length=300, blank=True)
    partners = models.CharField(_("partners"), max_length=300, blank=True)
    procurement_route = models.CharField(
        _("procurement route"), max_length=20, choices=ProcurementRoute.choices, blank=True
    )
    cost_initial_yen = models.PositiveBigIntegerField(
        _("initial cost (yen)"), null=True, blank=True
    )
    cost_annual_yen = models.PositiveBigIntegerField(_("annual cost (yen)"), null=True, blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True, help_text=_("Markdown."))
    pitfalls = models.TextField(_("pitfalls"), blank=True, help_text=_("Markdown."))
    figure_status = models.CharField(
        _("status of the figures"),
        max_length=14,
        choices=FigureStatus.choices,
        default=FigureStatus.PUBLISHED,
    )
    authors = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="case_studies", verbose_name=_("authors")
    )
    hours_saved_per_year = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("municipality"),
                FieldRowPanel([FieldPanel("population"), FieldPanel("population_source")]),
                FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
                FieldPanel("technologies"),
                FieldRowPanel([FieldPanel("started"), FieldPanel("ended")]),
                FieldPanel("authors"),
            ],
            heading=_("Where and when"),
        ),
        FieldPanel("problem"),
        MultiFieldPanel(
            [
                FieldPanel("approach"),
                FieldPanel("team"),
                FieldPanel("partners"),
                FieldPanel("procurement_route"),
            ],
            heading=_("Approach"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("figure_status"),
                InlinePanel("metrics", label=_("Outcome")),
                FieldRowPanel([FieldPanel("cost_initial_yen"), FieldPanel("cost_annual_yen")]),
            ],
            heading=_("Outcomes and cost"),
        ),
        FieldPanel("lessons"),
        FieldPanel("pitfalls"),
        InlinePanel("attachments", label=_("Replication kit")),
        InlinePanel("sources", label=_("Source")),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary", boost=2),
        index.SearchField("technologies", boost=2),
        index.SearchField("problem"),
        index.SearchField("approach"),
        index.SearchField("lessons"),
        index.SearchField("pitfalls"),
        index.RelatedFields("municipality", [index.SearchField("name"), index.SearchField("kana")]),
        index.FilterField("topics"),
        index.RelatedFields("topics", [index.FilterField("slug")]),
        index.FilterField("figure_status"),
        index.FilterField("population_band"),
        index.FilterField("municipality_id"),
        index.FilterField("started"),
    ]

    parent_page_types = ["casestudies.CaseStudyIndexPage"]
    base_form_class = PageForm
    subpage_types: list[str] = []
    template = "casestudies/case_study_page.html"

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def save(self, *args, **kwargs):
        self.population_band = PopulationBand.of(self.population)
        hours = [m.value for m in self.metrics.all() if m.kind == Metric.Kind.HOURS_SAVED]
        self.hours_saved_per_year = max(hours) if hours else None
        return super().save(*args, **kwargs)

    def full_clean(self, *args, **kwargs):
        self.population_band = PopulationBand.of(self.population)
        return super().full_clean(*args, **kwargs)

    @property
    def technology_list(self) -> list[str]:
        return [t.strip() for t in self.technologies.replace("、", ",").split(",") if t.strip()]

    @property
    def year(self) -> int | None:
        return self.started.year if self.started else None

    @cached_property
    def metric_list(self):
        return list(self.metrics.all())

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.get_case_context(request))
        return context

    def get_case_context(self, request) -> dict:
        # .compare imports this module's models: a top-level import would be circular.
        from .compare import per_10k_applies

        authors = list(
            Profile.objects.visible_to(request.user)
            .filter(user__in=self.authors.all())
            .select_related("municipality")
        )
        replications = self.replications.all() if self.pk else Replication.objects.none()
        user = request.user
        return {
            "authors": authors,
            "replication_count": replications.count(),
            "replicated": user.is_authenticated and replications.filter(user=user).exists(),
            "metric_rows": [
                (m, self.per_10k(m.value) if per_10k_applies(m.kind, m.unit) else None)
                for m in self.metrics.all()
            ],
            "cost_initial_per_10k": self.per_10k(self.cost_initial_yen),
            "cost_annual_per_10k": self.per_10k(self.cost_annual_yen),
            # Questions asked of the authors from this page (the knowledge base's Question).
            "questions": list(
                self.questions.filter(visibility="published").order_by("-created_at")[:10]
            )
            if self.pk
            else [],
        }

    def per_10k(self, value) -> Decimal | None:
        """A figure per 10,000 residents, where the population is known."""
        if value is None or not self.population:
            return None
        return (Decimal(value) * 10_000 / self.population).quantize(Decimal("0.01"))


class Metric(Orderable):
    class Kind(models.TextChoices):
        HOURS_SAVED = "hours_saved", _("Hours saved per year")
        PERCENT_REDUCTION = "percent_reduction", _("Reduction (%)")
        ACCURACY = "accuracy", _("Accuracy (%)")
        COST_SAVED = "cost_saved", _("Cost saved per year (yen)")
        OTHER = "other", _("Other")

    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="metrics")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    name = models.CharField(_("what was measured"), max_length=120)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=30)
    baseline = models.CharField(_("before"), max_length=60, blank=True)
    after = models.CharField(_("after"), max_length=60, blank=True)
    period = models.CharField(_("period"), max_length=60, blank=True, help_text=_("e.g. 年間"))

    panels = [
        FieldPanel("kind"),
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("value"), FieldPanel("unit")]),
        FieldRowPanel([FieldPanel("baseline"), FieldPanel("after"), FieldPanel("period")]),
    ]

    def __str__(self):
        return f"{self.name}: {self.value} {self.unit}"


class Source(Orderable):
    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address"), max_length=500)
    retrieved_on = models.DateField(_("retrieved on"))

    panels = [FieldPanel("title"), FieldPanel("url"), FieldPanel("retrieved_on")]


class Attachment(Orderable):
    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("file"), on_delete=models.CASCADE, related_name="+"
    )
    description = models.CharField(
        _("what it is"), max_length=200, help_text=_("e.g. 仕様書, RPAシナリオ, 帳票定義")
    )

    panels = [FieldPanel("document"), FieldPanel("description")]


class Replication(models.Model):
    """ "We did this too": an official says their municipality did the same (横展開)."""

    page = models.ForeignKey(CaseStudyPage, on_delete=models.CASCADE, related_name="replications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="replications"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "user"], name="one_replication_per_user")
        ]

    def __str__(self):
        return f"{self.user} — {self.page}"
