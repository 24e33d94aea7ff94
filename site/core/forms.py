"""Forms and form fields shared by the apps: the admin form of every page type of the site
(``base_form_class``), and a multiple-choice field that refuses what no database can hold."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.forms import WagtailAdminPageForm

from .slugs import is_ascii_remnant, readable_slug, unique_among


class PageForm(WagtailAdminPageForm):
    """Gives a page that has never been published a readable slug when its title is Japanese
    and the slug field holds only what the browser's ASCII-only sync left of it (or nothing).
    A slug an editor typed, or that of a published page, is kept as it is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields and not self._published:
            self.fields["slug"].required = False

    @property
    def _published(self) -> bool:
        return bool(self.instance.pk and self.instance.first_published_at)

    def clean(self):
        title = self.cleaned_data.get("title") or ""
        slug = self.cleaned_data.get("slug") or ""
        if (
            "slug" in self.fields
            and "slug" not in self.errors
            and title
            and not self._published
            and is_ascii_remnant(title, slug)
        ):
            siblings = self.parent_page.get_children() if self.parent_page else None
            if siblings is None and self.instance.pk:
                siblings = self.instance.get_siblings()
            base = readable_slug(title)
            if siblings is not None and self.instance.pk:
                siblings = siblings.exclude(pk=self.instance.pk)
            self.cleaned_data["slug"] = (
                unique_among(siblings, base) if siblings is not None else base
            )
        return super().clean()


# The range of a 64-bit signed integer, the widest key any of the project's databases stores.
KEY_MIN, KEY_MAX = -(2**63), 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, except that a key no integer column can hold is an invalid choice. Django
    passes such a value to the query as it is, where SQLite raises OverflowError and PostgreSQL
    an out-of-range error: a forged form answered with a 500 instead of a form error."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        meta = self.queryset.model._meta
        field = meta.pk if key == "pk" else meta.get_field(key)
        if isinstance(field, models.IntegerField | models.AutoField):
            for each in value:
                try:
                    number = int(str(each).strip())
                except (TypeError, ValueError):
                    continue  # Django's own check reports it as an invalid key
                if not KEY_MIN <= number <= KEY_MAX:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": each},
                    )
        return super()._check_values(value)
