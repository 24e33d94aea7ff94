"""The candidate's own talent profile: availability, roles, self-declared levels and which of
their own credentials, case studies and accepted answers to show.

Every choice of something to show is limited to the member's own items (standing credentials,
live case studies they co-wrote, published accepted answers): an identifier of anybody else's,
typed into a forged request, is refused as an invalid choice."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from casestudies.models import CaseStudyPage
from core.forms import ModelMultipleChoiceField
from core.translation import in_language
from curriculum.credentials.models import Award
from curriculum.models import Competency
from curriculum.models.competencies import Level
from knowledge.models import Answer
from people.models import Prefecture

from .models import (
    Background,
    Commitment,
    CompetencyClaim,
    TalentProfile,
    TalentRole,
    TalentRoleClaim,
)
from .showcase import own_answers, own_awards, own_cases

LEVEL_PREFIX = "level_"


class _LabelledChoices(ModelMultipleChoiceField):
    """Checkboxes whose labels come from a function given with the field."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args, label_from=str, **kwargs):
        self._label_from = label_from
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return self._label_from(obj)


def _award_label(award: Award) -> str:
    return f"{award.definition.name}（{award.issued_at:%Y-%m-%d}）"


def _case_label(page: CaseStudyPage) -> str:
    return f"{page.title}（{page.municipality.name}）"


def _answer_label(answer: Answer) -> str:
    return str(_("Accepted answer to “%(title)s”") % {"title": answer.question.title})


class TalentProfileForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles you can take on"),
        choices=TalentRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The roles of MIC's skill standard for external digital talent."),
    )

    class Meta:
        model = TalentProfile
        fields = [
            "is_open",
            "background",
            "headline",
            "summary",
            "commitment",
            "days_per_month",
            "work_mode",
            "available_from",
            "home_prefecture",
            "pools",
            "shown_awards",
            "shown_cases",
            "shown_answers",
        ]
        field_classes = {"pools": ModelMultipleChoiceField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "available_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "pools": forms.CheckboxSelectMultiple,
            "commitment": forms.RadioSelect,
            "work_mode": forms.RadioSelect,
        }

    def __init__(self, *args, user, competencies=None, **kwargs):
        self.user = user
        instance = kwargs.get("instance")
        if instance is None:
            instance = kwargs["instance"] = TalentProfile(user=user)
        super().__init__(*args, **kwargs)
        self.competencies = list(
            competencies if competencies is not None else Competency.objects.all()
        )
        fields = self.fields
        prefectures = Prefecture.objects.order_by("code")
        fields["home_prefecture"].queryset = prefectures
        fields["home_prefecture"].label_from_instance = lambda p: p.display_name
        fields["pools"].queryset = prefectures
        fields["pools"].label_from_instance = lambda p: p.display_name
        fields["pools"].error_messages["required"] = _(
            "Choose at least one prefecture whose pool you join."
        )
        fields["shown_awards"] = _LabelledChoices(
            queryset=own_awards(user),
            required=False,
            label=fields["shown_awards"].label,
            label_from=_award_label,
            help_text=_("Only credentials you hold and that are still valid."),
        )
        fields["shown_cases"] = _LabelledChoices(
            queryset=own_cases(user),
            required=False,
            label=fields["shown_cases"].label,
            label_from=_case_label,
            help_text=_("Published case studies you are an author of."),
        )
        fields["shown_answers"] = _LabelledChoices(
            queryset=own_answers(user),
            required=False,
            label=fields["shown_answers"].label,
            label_from=_answer_label,
            help_text=_("Your published answers that the asker accepted."),
        )
        fields["days_per_month"].help_text = _(
            "How many days a month you can give. Needed unless you are available full time."
        )
        fields["is_open"].label = _("List me in the pools I choose")

        level_choices = [("", _("Not declared"))] + [(str(v), label) for v, label in Level.choices]
        for competency in self.competencies:
            fields[LEVEL_PREFIX + str(competency.pk)] = forms.TypedChoiceField(
                label=f"{competency.code} {competency.name}",
                choices=level_choices,
                coerce=int,
                empty_value=None,
                required=False,
            )

        if instance.pk:
            self.initial.setdefault(
                "roles", list(instance.roles.values_list("role", flat=True).order_by("role"))
            )
            for competency_id, level in instance.claims.values_list("competency_id", "level"):
                self.initial.setdefault(LEVEL_PREFIX + str(competency_id), level)
        else:
            profile = getattr(user, "profile", None)
            expert = bool(profile and profile.is_outside_expert)
            defaults = {
                "background": Background.PRIVATE if expert else Background.MUNICIPAL,
                "commitment": Commitment.PART_TIME,
            }
            municipality = profile.municipality if profile else None
            if municipality is not None:
                defaults["home_prefecture"] = municipality.prefecture_id
                defaults["pools"] = [municipality.prefecture_id]
            for key, value in defaults.items():
                if not self.initial.get(key):  # an unsaved profile's own values are empty
                    self.initial[key] = value

    # Cleaning ------------------------------------------------------------------------------

    def clean(self):
        cleaned_data = super().clean()
        commitment = cleaned_data.get("commitment")
        days = cleaned_data.get("days_per_month")
        if commitment == Commitment.FULL_TIME:
            cleaned_data["days_per_month"] = None
        elif commitment and days is None and "days_per_month" not in self.errors:
            self.add_error(
                "days_per_month",
                forms.ValidationError(
                    _("Say how many days a month you can give, or choose full time."),
                    code="required",
                ),
            )
        return cleaned_data

    def declared_levels(self) -> dict[int, int]:
        """Competency id -> declared level, from the cleaned form."""
        levels = {}
        for competency in self.competencies:
            level = self.cleaned_data.get(LEVEL_PREFIX + str(competency.pk))
            if level:
                levels[competency.pk] = level
        return levels

    # Saving --------------------------------------------------------------------------------

    @transaction.atomic
    def save(self, commit=True):
        profile = super().save(commit=False)
        profile.user = self.user
        profile.save()
        self.save_m2m()
        self._save_roles(profile)
        self._save_levels(profile)
        return profile

    def _save_roles(self, profile):
        chosen = set(self.cleaned_data.get("roles") or [])
        profile.roles.exclude(role__in=chosen).delete()
        existing = set(profile.roles.values_list("role", flat=True))
        TalentRoleClaim.objects.bulk_create(
            TalentRoleClaim(profile=profile, role=role) for role in sorted(chosen - existing)
        )

    def _save_levels(self, profile):
        levels = self.declared_levels()
        profile.claims.exclude(competency_id__in=levels).delete()
        existing = {claim.competency_id: claim for claim in profile.claims.all()}
        changed, added = [], []
        for competency_id, level in levels.items():
            claim = existing.get(competency_id)
            if claim is None:
                added.append(
                    CompetencyClaim(profile=profile, competency_id=competency_id, level=level)
                )
            elif claim.level != level:
                claim.level = level
                changed.append(claim)
        if changed:
            CompetencyClaim.objects.bulk_update(changed, ["level"])
        if added:
            CompetencyClaim.objects.bulk_create(added)

    # Showing -------------------------------------------------------------------------------

    def level_fields(self):
        return [self[LEVEL_PREFIX + str(c.pk)] for c in self.competencies]

    def competency_rows(self) -> list[dict]:
        """One row per competency area: the select for the declared level, and the levels that
        the member's standing credentials prove, each marked as chosen to show or not (as the
        form currently stands). One query."""
        chosen = {str(v) for v in (self["shown_awards"].value() or [])}
        proofs: dict[int, list[dict]] = {}
        rows = (
            own_awards(self.user)
            .filter(definition__competencies__isnull=False)
            .values_list(
                "pk",
                "definition__competencies__competency_id",
                "definition__competencies__level",
                "definition__name_ja",
                "definition__name_en",
            )
        )
        for award_id, competency_id, level, name_ja, name_en in rows:
            proofs.setdefault(competency_id, []).append(
                {
                    "level": level,
                    "name": in_language(name_ja, name_en),
                    "shown": str(award_id) in chosen,
                }
            )
        result = []
        for competency in self.competencies:
            found = sorted(proofs.get(competency.pk, []), key=lambda p: (-p["level"], p["name"]))
            shown = [p["level"] for p in found if p["shown"]]
            result.append(
                {
                    "competency": competency,
                    "field": self[LEVEL_PREFIX + str(competency.pk)],
                    "proofs": found,
                    "verified": max(shown) if shown else None,
                }
            )
        return result
