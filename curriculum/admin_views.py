"""Learning reports in the Wagtail admin, for staff allowed to see enrolments. Charts are
<meter> bars next to a data table with the same figures, so they read without sight or colour;
every table downloads as CSV."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from wagtail.log_actions import log
from wagtail.models import Locale

from core.downloads import csv_download

from . import bulk, reports
from .models import CoursePage

PERMISSION = "curriculum.view_enrolment"
TABLES = ("lessons", "prefectures", "municipalities")


def _check(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _courses():
    return CoursePage.objects.filter(locale=Locale.get_default()).order_by("path")


def index(request):
    _check(request)
    rows = reports.course_rows(_courses())
    if request.GET.get("format") == "csv":
        return _csv("courses.csv", _("Course"), rows)
    return TemplateResponse(
        request,
        "curriculum/admin/reports_index.html",
        {"rows": rows, "title": _("Learning reports")},
    )


def detail(request, course_id):
    _check(request)
    course = get_object_or_404(_courses(), pk=course_id)
    tables = {
        "lessons": (_("Lesson"), reports.lesson_rows(course)),
        "prefectures": (_("Prefecture"), reports.area_rows(course, "prefecture")),
        "municipalities": (_("Municipality"), reports.area_rows(course, "municipality")),
    }
    wanted = request.GET.get("table")
    if request.GET.get("format") == "csv" and wanted in tables:
        label, rows = tables[wanted]
        return _csv(f"{course.slug}-{wanted}.csv", label, rows)
    summary = reports.course_rows([course])[0]
    return TemplateResponse(
        request,
        "curriculum/admin/report_detail.html",
        {"course": course, "summary": summary, "tables": tables, "title": summary.label},
    )


def _csv(filename, label, rows):
    header = [
        label,
        _("Enrolled"),
        _("Completed"),
        _("Completion rate (%)"),
        _("Average quiz score"),
    ]
    return csv_download(
        filename,
        header,
        (
            [
                row.label,
                row.enrolled,
                row.completed,
                row.completion_rate,
                "" if row.average_score is None else row.average_score,
            ]
            for row in rows
        ),
    )


def bulk_enrol(request):
    if not request.user.has_perm("curriculum.add_enrolment"):
        raise PermissionDenied
    form = bulk.BulkEnrolmentForm(request.POST or None, request.FILES or None, courses=_courses())
    outcome = None
    if request.method == "POST" and form.is_valid():
        users, unknown = form.learners()
        course = form.cleaned_data["course"]
        outcome = bulk.enrol_all(course, users, unknown)
        # In the course's history and the site history: who enrolled whom, and how many.
        data = form.cleaned_data
        log(
            instance=course,
            action="curriculum.bulk_enrol",
            user=request.user,
            data={
                "enrolled": outcome.enrolled,
                "already": outcome.already,
                "unknown": len(outcome.unknown),
                "municipality": str(data["municipality"]) if data.get("municipality") else "",
                "prefecture": str(data["prefecture"]) if data.get("prefecture") else "",
                "addresses": len(data.get("addresses") or []),
            },
        )
    return TemplateResponse(
        request,
        "curriculum/admin/bulk_enrol.html",
        {"form": form, "outcome": outcome, "title": _("Enrol learners")},
    )
