"""Course runs in the Wagtail admin, for the staff who follow them (Reports → 開講別の受講状況):
the runs they may see; a run's learners with progress, best quiz scores, completion date,
credential and attendance, filtered by municipality and status and downloaded as CSV or Excel;
the printable list of those who completed it (修了者一覧) for personnel records; enrolling a
municipality or a prefecture, or inviting by address; taking attendance at a live session.

Who may do what is `runs.access` (see curriculum/runs.py); every view checks it on the server. A
run the user may not see is 404 to staff who follow other runs, and the admin's refusal to those
who follow none.

URLs (admin): `course-runs/`, `course-runs/<id>/` (`?municipality=<id>&status=<status>`,
`&format=csv|xlsx`), `course-runs/<id>/completions/`, `course-runs/<id>/enrol/`,
`course-runs/<id>/sessions/<session id>/attendance/`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.dates import local
from core.downloads import csv_download, xlsx_download
from people.models import Municipality, Prefecture

from . import bulk, run_mail, runs
from .models import CourseRun, LiveSession
from .run_forms import addresses as split_addresses


def _run(request, run_id) -> tuple[CourseRun, runs.RunAccess]:
    run = get_object_or_404(
        CourseRun.objects.select_related("course", "owner__prefecture"), pk=run_id
    )
    granted = runs.access(request.user, run)
    if granted is None:
        if runs.has_any_access(request.user):
            raise Http404
        raise PermissionDenied
    return run, granted


def index(request):
    """The runs the user may follow, the latest first, with their learners and completions."""
    if not runs.has_any_access(request.user):
        raise PermissionDenied
    visible = (
        runs.visible_runs(request.user)
        .select_related("course", "owner__prefecture")
        .annotate(
            learners=Count("enrolments", distinct=True),
            completed=Count(
                "enrolments",
                filter=Q(enrolments__completed_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-starts_on", "title")
    )
    return TemplateResponse(
        request,
        "curriculum/admin/runs_index.html",
        {"title": _("Course runs: learners"), "runs": visible, "today": runs.today()},
    )


def _filters(request, granted: runs.RunAccess):
    """The municipality and status asked for; a viewer of one municipality has nothing to
    narrow by municipality."""
    municipality = None
    wanted = request.GET.get("municipality", "")
    if wanted.isdigit() and not isinstance(granted.within, Municipality):
        municipality = Municipality.objects.filter(pk=wanted).first()
    status = request.GET.get("status", "")
    return municipality, status if status in runs.Status.labels else ""


def learners(request, run_id):
    run, granted = _run(request, run_id)
    municipality, status = _filters(request, granted)
    found = runs.learner_list(
        run, within=granted.within, municipality=municipality, status=status or None
    )
    wanted = request.GET.get("format")
    if wanted in ("csv", "xlsx"):
        return _download(run, found, wanted)
    query = request.GET.copy()
    query.pop("format", None)
    return TemplateResponse(
        request,
        "curriculum/admin/run_learners.html",
        {
            "title": run.title,
            "run": run,
            "access": granted,
            "list": found,
            "municipalities": found.municipalities,
            "municipality": municipality,
            "status": status,
            "statuses": runs.Status.choices,
            "counts": [
                (key, label, found.counts.get(key, 0)) for key, label in runs.Status.choices
            ],
            "query": query.urlencode(),
            "can_edit": request.user.has_perm("curriculum.change_courserun"),
            "sessions": list(run.sessions.all()),
        },
    )


def _header(found: runs.LearnerList) -> list[str]:
    return [
        pgettext("person", "Name"),
        _("E-mail address"),
        _("Prefecture"),
        _("Municipality"),
        _("Local government code"),
        _("Department"),
        _("Job title"),
        _("Status"),
        _("Progress (%)"),
        _("Required lessons done"),
        _("Required lessons"),
        *(_("Best score (%%): %(quiz)s") % {"quiz": quiz.title} for quiz in found.quizzes),
        _("Completed on"),
        _("Credential"),
        _("Credential number"),
        _("Live sessions attended"),
        _("Enrolled on"),
        _("Deadline"),
    ]


def _cells(found: runs.LearnerList, row: runs.LearnerRow) -> list:
    profile, municipality = row.profile, row.municipality
    return [
        row.name,
        row.user.email,
        municipality.prefecture.name if municipality else "",
        municipality.name if municipality else "",
        municipality.code if municipality else "",
        profile.department if profile else "",
        profile.job_title if profile else "",
        str(row.status_label),
        row.progress.percent,
        row.progress.done,
        row.progress.total,
        *("" if score is None else score for score in row.scores),
        local(row.completed_at).date() if row.completed_at else "",
        row.award.definition.name if row.award else "",
        str(row.award.uuid) if row.award else "",
        f"{row.attended}/{found.sessions}" if found.sessions else "",
        local(row.enrolment.enrolled_at).date(),
        found.run.deadline,
    ]


def _download(run, found, kind):
    header = _header(found)
    rows = [_cells(found, row) for row in found.rows]
    filename = f"course-run-{run.pk}-learners.{kind}"
    if kind == "xlsx":
        return xlsx_download(filename, header, rows, title=_("Learners"))
    return csv_download(filename, header, rows)


def completions(request, run_id):
    """The completion list (修了者一覧), laid out to print on A4 for personnel records."""
    run, granted = _run(request, run_id)
    municipality, _status = _filters(request, granted)
    found = runs.completions(run, within=granted.within, municipality=municipality)
    return TemplateResponse(
        request,
        "curriculum/admin/run_completions.html",
        {
            "run": run,
            "list": found,
            "municipality": municipality,
            "within": granted.within,
            "printed_on": runs.today(),
        },
    )


class RunEnrolmentForm(forms.Form):
    """One of: a municipality of the run's area, a whole prefecture (for a prefecture's or an
    academy's run), a CSV of addresses, or addresses typed in."""

    municipality = bulk.MunicipalityField(
        label=gettext_lazy("Everyone in a municipality"),
        queryset=Municipality.objects.none(),
        required=False,
    )
    prefecture = forms.ModelChoiceField(
        label=gettext_lazy("Everyone in a prefecture"),
        queryset=Prefecture.objects.none(),
        required=False,
    )
    addresses = forms.FileField(
        label=gettext_lazy("Or invite by a CSV of e-mail addresses"),
        required=False,
        help_text=gettext_lazy(
            "UTF-8 (with or without BOM) or Shift_JIS; addresses anywhere in the file."
        ),
    )
    typed = forms.CharField(
        label=gettext_lazy("Or invite by e-mail addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line, or separated by commas."),
    )

    def __init__(self, *args, run: CourseRun, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        owner = run.owner
        municipalities = Municipality.objects.select_related("prefecture").order_by("code")
        prefectures = Prefecture.objects.order_by("code")
        if owner is not None and owner.kind == Municipality.Kind.PREFECTURE:
            municipalities = municipalities.filter(prefecture_id=owner.prefecture_id)
            prefectures = prefectures.filter(pk=owner.prefecture_id)
        elif owner is not None:
            municipalities = municipalities.filter(Q(pk=owner.pk) | Q(parent=owner))
            prefectures = prefectures.none()
        self.fields["municipality"].queryset = municipalities
        self.fields["prefecture"].queryset = prefectures
        if not prefectures.exists():
            del self.fields["prefecture"]

    def clean_addresses(self):
        upload = self.cleaned_data.get("addresses")
        if not upload:
            return []
        if upload.size > bulk.MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is over 1 MB. Split it and send the parts."))
        return bulk.read_addresses(upload.read())

    def clean_typed(self):
        found = split_addresses(self.cleaned_data.get("typed", ""))
        bad = [a for a in found if not bulk.EMAIL.fullmatch(a)]
        if bad:
            raise forms.ValidationError(
                _("These are not e-mail addresses: %(items)s") % {"items": ", ".join(bad)}
            )
        if len(found) > bulk.MAX_ADDRESSES:
            raise forms.ValidationError(
                _("The file has more than %(n)s addresses.") % {"n": f"{bulk.MAX_ADDRESSES:,}"}
            )
        return found

    def clean(self):
        cleaned = super().clean()
        chosen = [
            name
            for name in ("municipality", "prefecture", "addresses", "typed")
            if cleaned.get(name)
        ]
        if len(chosen) != 1 and not self.errors:
            raise forms.ValidationError(
                _("Choose one: a municipality, a prefecture, or e-mail addresses.")
            )
        return cleaned

    def enrol(self, by) -> runs.RunOutcome:
        data = self.cleaned_data
        if data.get("municipality"):
            return runs.enrol_municipality(self.run, data["municipality"], by=by)
        if data.get("prefecture"):
            return runs.enrol_municipality(self.run, data["prefecture"], by=by)
        return runs.invite(self.run, data.get("addresses") or data["typed"], by=by)


def enrol(request, run_id):
    run, granted = _run(request, run_id)
    if not granted.enrol:
        raise PermissionDenied
    form = RunEnrolmentForm(request.POST or None, request.FILES or None, run=run)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = form.enrol(request.user)
        except runs.RunFull as full:
            form.add_error(
                None,
                _(
                    "Not enough places: %(wanted)s to enrol, %(left)s of %(capacity)s left. "
                    "Nobody was enrolled."
                )
                % {"wanted": full.wanted, "left": full.left, "capacity": full.capacity},
            )
        except runs.NotInScope:
            form.add_error(None, _("That area is outside the run's organiser."))
        except runs.NotAllowed:
            raise PermissionDenied from None
        else:
            run_mail.notify_enrolled(run, outcome)
    return TemplateResponse(
        request,
        "curriculum/admin/run_enrol.html",
        {
            "title": _("Enrol learners in %(run)s") % {"run": run.title},
            "run": run,
            "form": form,
            "outcome": outcome,
            "places_left": runs.places_left(run),
        },
    )


def attendance(request, run_id, session_id):
    """The facilitator's sheet: every learner of the run, ticked when present."""
    run, granted = _run(request, run_id)
    if not granted.attendance:
        raise PermissionDenied
    session = get_object_or_404(LiveSession, pk=session_id, run=run)
    if request.method == "POST":
        present = runs.record_attendance(session, request.POST.getlist("present"), request.user)
        messages.success(request, _("Attendance saved: %(count)s present.") % {"count": present})
        return redirect("course_run_attendance", run.pk, session.pk)
    return TemplateResponse(
        request,
        "curriculum/admin/run_attendance.html",
        {
            "title": _("Attendance: %(session)s") % {"session": session},
            "run": run,
            "session": session,
            "sheet": runs.attendance_sheet(session),
        },
    )
