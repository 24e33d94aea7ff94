"""The admin form of every page type of the site (``base_form_class``)."""

from __future__ import annotations

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
