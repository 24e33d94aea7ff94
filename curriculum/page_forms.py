"""The course's admin form: prerequisites chosen among the Japanese courses only (learning is
recorded against them; the English translations listed beside them looked like second copies),
never the course itself, as a list of checkboxes rather than a bare multiple select."""

from __future__ import annotations

from wagtail.models import Locale

from core.forms import PageForm


class CoursePageForm(PageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("prerequisites")
        if field is not None:
            courses = field.queryset.filter(locale=Locale.get_default()).order_by("path")
            if self.instance.pk:
                courses = courses.exclude(pk=self.instance.pk)
            field.queryset = courses
