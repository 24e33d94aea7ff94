"""The form an organisation posts or edits a need with, and the forms around it (closing a need,
writing to a candidate). The organisation always comes from the recruiter, never from what the
browser sends: a prefectural government may name one of its prefecture's municipalities, chosen
from a list limited to them."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from curriculum.models.competencies import Competency, Level
from people.models import Municipality

from .models import NeedRequirement, TalentNeed

LEVEL_PREFIX = "level_"


class NeedForm(forms.ModelForm):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Municipality.objects.none(),
        required=True,
        help_text=_("A prefectural government may post for a municipality of its prefecture."),
    )

    class Meta:
        model = TalentNeed
        fields = [
            "title",
            "role",
            "description",
            "starts_on",
            "ends_on",
            "days_per_month",
            "work_mode",
            "sharing",
            "audience",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "sharing": forms.RadioSelect,
            "audience": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 8}),
            "days_per_month": forms.NumberInput(attrs={"min": 1, "max": 31}),
        }

    def __init__(self, *args, recruiter, competencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.recruiter = recruiter
        self.competencies = (
            list(competencies) if competencies is not None else list(Competency.objects.all())
        )
        own = recruiter.organisation
        if not self.instance.pk:
            self.instance.organisation = own
        if recruiter.is_prefectural:
            field = self.fields["organisation"]
            field.queryset = Municipality.objects.filter(
                prefecture_id=own.prefecture_id
            ).select_related("prefecture")
            field.initial = self.instance.organisation_id if self.instance.pk else own.pk
            self.order_fields(["organisation"])
        else:
            del self.fields["organisation"]
        current = {}
        if self.instance.pk:
            current = dict(self.instance.requirements.values_list("competency_id", "level"))
        choices = [("", _("Not needed")), *[(str(v), label) for v, label in Level.choices]]
        for competency in self.competencies:
            self.fields[LEVEL_PREFIX + str(competency.pk)] = forms.TypedChoiceField(
                label=str(competency),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=current.get(competency.pk, ""),
            )

    def level_fields(self):
        return [self[LEVEL_PREFIX + str(c.pk)] for c in self.competencies]

    def main_fields(self):
        return [field for field in self if not field.name.startswith(LEVEL_PREFIX)]

    def levels(self) -> dict[int, int]:
        found = {}
        for competency in self.competencies:
            level = self.cleaned_data.get(LEVEL_PREFIX + str(competency.pk))
            if level:
                found[competency.pk] = level
        return found

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("organisation") is not None:
            self.instance.organisation = cleaned["organisation"]
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end cannot come before the start."))
        if self.competencies and not self.levels():
            raise forms.ValidationError(
                _("Choose the level needed in at least one competency area.")
            )
        return cleaned

    def save(self, commit=True, *, user=None):
        need = super().save(commit=False)
        if "organisation" in self.fields:
            need.organisation = self.cleaned_data["organisation"]
        elif not need.pk:
            need.organisation = self.recruiter.organisation
        if not need.pk and user is not None:
            need.posted_by = user
        with transaction.atomic():
            need.save()
            levels = self.levels()
            need.requirements.exclude(competency_id__in=levels).delete()
            existing = {r.competency_id: r for r in need.requirements.all()}
            for competency_id, level in levels.items():
                requirement = existing.get(competency_id)
                if requirement is None:
                    NeedRequirement.objects.create(
                        need=need, competency_id=competency_id, level=level
                    )
                elif requirement.level != level:
                    requirement.level = level
                    requirement.save(update_fields=["level"])
        return need


class CloseForm(forms.Form):
    OUTCOMES = [
        (status.value, status.label)
        for status in (
            TalentNeed.Status.FILLED,
            TalentNeed.Status.UNFILLED,
            TalentNeed.Status.CANCELLED,
        )
    ]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect)


MESSAGE_MAX = 2000


class ContactForm(forms.Form):
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Say who you are, what the work is and why you write to this person. They read it "
            "before they accept or decline; neither side sees the other's e-mail address before "
            "they accept."
        ),
    )
