"""The case-study form, in four steps. Each step edits part of the newest revision; metrics and
sources are small formsets. Markdown fields are previewed through the same sanitiser that renders
the published page."""

from __future__ import annotations

from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model

from core.forms import ModelMultipleChoiceField
from core.models import Topic
from core.uploads import check_upload
from people.forms import MunicipalityChoiceField

from .models import CaseStudyPage, Metric, Source

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf",
    ".docx",
    ".xlsx",
    ".pptx",
    ".csv",
    ".txt",
    ".zip",
    ".xml",
    ".json",
    ".odt",
    ".ods",
}

MARKDOWN_HELP = _("Markdown: # headings, **bold**, lists, links. HTML is removed.")


def markdown_area(rows=8):
    return forms.Textarea(attrs={"rows": rows, "data-markdown-preview": ""})


class BasicsForm(forms.ModelForm):
    municipality = MunicipalityChoiceField(
        help_text=_(
            "The municipality whose work this is. Type its name or reading to narrow the list."
        ),
        empty_label=_("Choose the municipality"),
    )
    topics = ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("topics"),
    )

    class Meta:
        model = CaseStudyPage
        fields = [
            "title",
            "summary",
            "municipality",
            "population",
            "population_source",
            "topics",
            "technologies",
            "started",
            "ended",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "started": forms.DateInput(attrs={"type": "date"}),
            "ended": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"title": _("Title")}

    def clean(self):
        cleaned = super().clean()
        started, ended = cleaned.get("started"), cleaned.get("ended")
        if started and ended and ended < started:
            self.add_error("ended", _("The end is before the start."))
        if cleaned.get("population") and not cleaned.get("population_source"):
            self.add_error("population_source", _("Say where the population figure comes from."))
        return cleaned


class StoryForm(forms.ModelForm):
    class Meta:
        model = CaseStudyPage
        fields = ["problem", "approach", "team", "partners", "procurement_route"]
        widgets = {"problem": markdown_area(), "approach": markdown_area(10)}
        help_texts = {"problem": MARKDOWN_HELP, "approach": MARKDOWN_HELP}


class OutcomesForm(forms.ModelForm):
    class Meta:
        model = CaseStudyPage
        fields = ["figure_status", "cost_initial_yen", "cost_annual_yen"]
        widgets = {"figure_status": forms.RadioSelect}


class LessonsForm(forms.ModelForm):
    attachment = forms.FileField(
        label=_("Add to the replication kit"),
        required=False,
        help_text=_(
            "Specifications, RPA scenarios, form definitions… PDF, Office, CSV or ZIP, up to 10 MB."
        ),
    )
    attachment_description = forms.CharField(
        label=_("What the file is"), required=False, max_length=200
    )

    class Meta:
        model = CaseStudyPage
        fields = ["lessons", "pitfalls"]
        widgets = {"lessons": markdown_area(), "pitfalls": markdown_area()}
        help_texts = {"lessons": MARKDOWN_HELP, "pitfalls": MARKDOWN_HELP}

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload is None:
            return None
        # By its bytes, not its name or the browser's word: no HTML or SVG dressed as a PDF.
        checked = check_upload(
            upload,
            allowed={suffix.lstrip(".") for suffix in ATTACHMENT_TYPES},
            max_bytes=MAX_ATTACHMENT_BYTES,
        ).file
        # The document model's own rules (WAGTAILDOCS_EXTENSIONS) are checked here, where a
        # refusal is an error on the form rather than a failure after it was accepted.
        get_document_model()(title=upload.name, file=checked).clean()
        checked.seek(0)
        return checked

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("attachment") and not cleaned.get("attachment_description"):
            self.add_error("attachment_description", _("Say what the file is."))
        return cleaned


class MetricForm(forms.ModelForm):
    class Meta:
        model = Metric
        fields = ["kind", "name", "value", "unit", "baseline", "after", "period"]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["title", "url", "retrieved_on"]
        field_classes = {"url": partial(forms.URLField, assume_scheme="https")}
        widgets = {"retrieved_on": forms.DateInput(attrs={"type": "date"})}


def child_formset(form_class, extra):
    return forms.formset_factory(
        form_class, extra=extra, can_delete=True, max_num=12, validate_max=True, absolute_max=12
    )


MetricFormSet = child_formset(MetricForm, 2)
SourceFormSet = child_formset(SourceForm, 2)


STEPS = {
    "basics": (_("Municipality and topic"), BasicsForm, None),
    "story": (_("Problem and approach"), StoryForm, None),
    "outcomes": (_("Outcomes and cost"), OutcomesForm, ("metrics", MetricFormSet, Metric)),
    "lessons": (_("Lessons and sources"), LessonsForm, ("sources", SourceFormSet, Source)),
}
STEP_NAMES = list(STEPS)
