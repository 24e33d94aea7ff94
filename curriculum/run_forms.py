"""The course run's admin form: the organiser chosen from the national list grouped by prefecture
(with the search box of static/js/municipality-filter.js), facilitators given by their e-mail
addresses rather than picked from a list of every member. No import of curriculum.models here:
the model names this form as its base form class."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.forms import ModelMultipleChoiceField
from people.forms import MunicipalitySelect, PrefectureGroupedIterator
from people.models import Municipality

SEPARATORS = re.compile(r"[\s,;、]+")


class _ByPrefecture(PrefectureGroupedIterator):
    def choice(self, obj):
        return (obj.pk, self.field.label_from_instance(obj))


class OrganiserSelect(MunicipalitySelect):
    class Media:
        js = ["js/municipality-filter.js"]


class OrganiserField(forms.ModelChoiceField):
    """Every prefecture and municipality, grouped by prefecture (the prefectural government
    first in its group)."""

    widget = OrganiserSelect
    iterator = _ByPrefecture

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.kana}）"


def addresses(text: str) -> list[str]:
    return list(dict.fromkeys(a.lower() for a in SEPARATORS.split(text or "") if a))


class FacilitatorsField(ModelMultipleChoiceField):
    """Members by e-mail address, one a line (or separated by commas)."""

    widget = forms.Textarea(attrs={"rows": 3})
    default_error_messages = {
        "unknown": _("No active account has these addresses: %(addresses)s"),
    }

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value or ""
        found = []
        for item in value:
            email = getattr(item, "email", None)
            if email is None and item not in ("", None):
                email = (
                    get_user_model().objects.filter(pk=item).values_list("email", flat=True).first()
                )
            if email:
                found.append(email)
        return "\n".join(found)

    def clean(self, value):
        wanted = addresses(value if isinstance(value, str) else "\n".join(value or []))
        if not wanted:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return self.queryset.none()
        condition = Q(pk__in=[])
        for address in wanted:
            condition |= Q(email__iexact=address)
        users = self.queryset.filter(condition)
        known = {email.lower() for email in users.values_list("email", flat=True)}
        unknown = [address for address in wanted if address not in known]
        if unknown:
            raise forms.ValidationError(
                self.error_messages["unknown"],
                code="unknown",
                params={"addresses": ", ".join(unknown)},
            )
        return users

    def has_changed(self, initial, data):
        before = set(addresses(self.prepare_value(initial)))
        after = set(addresses(data if isinstance(data, str) else ""))
        return before != after


class CourseRunForm(WagtailAdminModelForm):
    owner = OrganiserField(
        label=_("organised by"),
        queryset=Municipality.objects.none(),
        required=False,
        help_text=_(
            "The prefecture or municipality that runs it; its staff with organisation report "
            "access see the learners. Leave empty for an academy and name it below."
        ),
    )
    facilitators = FacilitatorsField(
        label=_("facilitators"),
        queryset=None,
        required=False,
        help_text=_(
            "E-mail addresses of their accounts, one a line. They see the learners and take "
            "attendance at live sessions (they need access to the admin)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Municipality.objects.select_related("prefecture").order_by(
            "code"
        )
        self.fields["facilitators"].queryset = get_user_model().objects.filter(is_active=True)

    def limit_organisers(self, organisers) -> None:
        """The admin's views call this with `runs.organisers_for(user)`: None leaves every
        organiser and academies; otherwise staff open runs of their own organisation only."""
        if organisers is None:
            return
        owner = self.fields["owner"]
        owner.queryset = organisers.select_related("prefecture").order_by("code")
        owner.required = True
        owner.help_text = _(
            "Your organisation, or a municipality within it. Its staff with organisation "
            "report access see the learners."
        )
        del self.fields["owner_name"]  # an academy's name: not theirs to give

    def add_error(self, field, error):
        # Without the organiser's name field, the model's "choose or name the organiser" has
        # nowhere to go; the organiser field, now required, already says it.
        errors = getattr(error, "error_dict", None)
        if field is None and errors and "owner_name" not in self.fields:
            errors.pop("owner_name", None)
            if not errors:
                return
        super().add_error(field, error)

    def save(self, commit=True):
        if self.instance.pk is None and self.for_user is not None:
            self.instance.created_by = self.for_user
        return super().save(commit=commit)
