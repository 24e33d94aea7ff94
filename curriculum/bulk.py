"""Enrolling many learners at once: everyone registered in a municipality or a prefecture, or a
CSV of e-mail addresses. An administrator's enrolment does not wait for prerequisites (they
decide); the result says who was enrolled, who already was, and which addresses are unknown."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from people.forms import MunicipalitySelect, PrefectureGroupedIterator
from people.models import Municipality, Prefecture

from .models import CoursePage, Enrolment

MAX_CSV_BYTES = 1_000_000
MAX_ADDRESSES = 10_000
EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


@dataclass
class Outcome:
    enrolled: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)


class _ByPrefecture(PrefectureGroupedIterator):
    def choice(self, obj):
        return (obj.pk, self.field.label_from_instance(obj))


class MunicipalityField(forms.ModelChoiceField):
    """About 1,900 options: grouped by prefecture, with the search box of
    static/js/municipality-filter.js over them where scripts run."""

    widget = MunicipalitySelect
    iterator = _ByPrefecture

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.kana}）"


class BulkEnrolmentForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=CoursePage.objects.none())
    municipality = MunicipalityField(
        label=_("Everyone in a municipality"), queryset=Municipality.objects.none(), required=False
    )
    prefecture = forms.ModelChoiceField(
        label=_("Everyone in a prefecture"), queryset=Prefecture.objects.all(), required=False
    )
    addresses = forms.FileField(
        label=_("Or a CSV of e-mail addresses"),
        required=False,
        help_text=_("UTF-8 (with or without BOM) or Shift_JIS; addresses anywhere in the file."),
    )

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["municipality"].queryset = (
            Municipality.objects.exclude(kind=Municipality.Kind.PREFECTURE)
            .select_related("prefecture")
            .order_by("code")
        )

    def clean_addresses(self):
        upload = self.cleaned_data.get("addresses")
        if not upload:
            return []
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is over 1 MB. Split it and send the parts."))
        return read_addresses(upload.read())

    def clean(self):
        cleaned = super().clean()
        chosen = [name for name in ("municipality", "prefecture", "addresses") if cleaned.get(name)]
        if len(chosen) != 1 and not self.errors:
            raise forms.ValidationError(
                _("Choose one: a municipality, a prefecture, or a CSV of addresses.")
            )
        return cleaned

    def learners(self):
        User = get_user_model()
        data = self.cleaned_data
        active = User.objects.filter(is_active=True)
        if data.get("municipality"):
            return active.filter(profile__municipality=data["municipality"]), []
        if data.get("prefecture"):
            return active.filter(profile__municipality__prefecture=data["prefecture"]), []
        return learners_by_address(data["addresses"])


def read_addresses(raw: bytes) -> list[str]:
    """The e-mail addresses anywhere in a CSV file (UTF-8 with or without BOM, or Shift_JIS),
    lower-cased, each once, in the order found. Raises ValidationError with a message for staff."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise forms.ValidationError(_("The file is neither UTF-8 nor Shift_JIS text."))
    found = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            found += EMAIL.findall(cell)
    if not found:
        raise forms.ValidationError(_("No e-mail addresses were found in the file."))
    if len(found) > MAX_ADDRESSES:
        raise forms.ValidationError(
            _("The file has more than %(n)s addresses.") % {"n": f"{MAX_ADDRESSES:,}"}
        )
    return list(dict.fromkeys(address.strip().lower() for address in found))


def learners_by_address(addresses):
    """Active accounts with these addresses, and the addresses that have none."""
    users = get_user_model().objects.filter(is_active=True, email__in=addresses)
    known = {email.lower() for email in users.values_list("email", flat=True)}
    return users, [a for a in addresses if a not in known]


def enrol_all(course: CoursePage, users, unknown=()) -> Outcome:
    user_ids = set(users.values_list("pk", flat=True))
    existing = set(
        Enrolment.objects.filter(course=course, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    new = [
        Enrolment(user_id=pk, course=course, source=Enrolment.Source.ADMIN)
        for pk in sorted(user_ids - existing)
    ]
    Enrolment.objects.bulk_create(new, ignore_conflicts=True)
    return Outcome(enrolled=len(new), already=len(existing), unknown=list(unknown))
