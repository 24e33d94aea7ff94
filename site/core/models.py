from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BaseStreamBlock
from .forms import PageForm
from .translation import in_language


class Topic(index.Indexed, models.Model):
    """The one controlled vocabulary shared by courses, case studies and questions."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_ja = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    panels = [
        FieldPanel("name_ja"),
        FieldPanel("name_en"),
        FieldPanel("slug"),
        FieldPanel("description_ja"),
        FieldPanel("description_en"),
        FieldPanel("sort_order"),
    ]
    search_fields = [
        index.SearchField("name_ja", boost=2),
        index.SearchField("name_en", boost=2),
        index.AutocompleteField("name_ja"),
        index.AutocompleteField("name_en"),
        index.SearchField("description_ja"),
        index.SearchField("description_en"),
    ]

    class Meta:
        ordering = ["sort_order", "name_ja"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return in_language(self.name_ja, self.name_en)

    @property
    def description(self):
        return in_language(self.description_ja, self.description_en)


class HomePage(Page):
    """The site's front door: what the platform is and where each part of it lives."""

    lead = models.TextField(_("lead"), max_length=400, help_text=_("One or two sentences."))
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("lead"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("lead"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    base_form_class = PageForm
    subpage_types = [
        "core.StandardPage",
        "curriculum.CourseCatalogPage",
        "casestudies.CaseStudyIndexPage",
    ]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["topics"] = Topic.objects.all()
        return context

    def route(self, request, path_components):
        # Every page of a site is found from its home page: in two queries, not two a level.
        from .routing import route_by_url_path

        if not path_components:
            return super().route(request, path_components)
        return route_by_url_path(self, request, path_components)


class StandardPage(Page):
    """A plain content page: about, terms, privacy, guides."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["core.HomePage", "core.StandardPage"]
    base_form_class = PageForm
    subpage_types = ["core.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class SecurityCounter(models.Model):
    """A sign-in lockout, posting limit or used one-time code (core.counters): kept in the
    database, where nothing else evicts it and every process sees the same count."""

    key = models.CharField(max_length=250, primary_key=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        verbose_name = _("security counter")
        verbose_name_plural = _("security counters")

    def __str__(self):
        return self.key


class SubmissionKey(models.Model):
    """A create form's one-time key (core.idempotency): the form sent twice (a double click, a
    browser retry) creates one object, and the second request is sent where the first led."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    result_url = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_submission_per_key")
        ]
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return str(self.key)
