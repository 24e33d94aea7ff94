"""A prefecture's talent pool in figures (talent.pool), for the staff of the prefectural
government who recruit (their own prefecture) and for superusers (any, picked by its code).
Aggregates only: no candidate is named. `?format=csv` downloads the competency table."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.downloads import csv_download
from people.models import Prefecture

from . import access
from . import pool as figures


@login_required
@require_GET
def pool(request):
    recruiter = access.recruiter_for(request.user)
    if request.user.is_superuser:
        code = request.GET.get("prefecture", "").strip()
        prefecture = Prefecture.objects.filter(code=code).first() if code else None
        if prefecture is None:
            return render(
                request,
                "talent/pool.html",
                {"prefectures": Prefecture.objects.all(), "unknown": bool(code)},
            )
    elif recruiter is not None and recruiter.is_prefectural:
        prefecture = recruiter.organisation.prefecture
    else:
        raise PermissionDenied
    report = figures.report(prefecture)
    if request.GET.get("format") == "csv":
        return csv_download(
            f"talent-pool-{prefecture.code}.csv",
            [
                _("Code"),
                _("Competency area"),
                _("Verified at level 2 or above"),
                _("Verified at level 3 or above"),
                _("Self-declared only, level 2 or above"),
                _("Self-declared only, level 3 or above"),
                _("Open needs asking for it"),
                _("Highest level asked"),
                _("Candidates at that level"),
                _("Needs beyond the candidates"),
            ],
            figures.csv_rows(report.competencies),
        )
    return render(
        request,
        "talent/pool.html",
        {
            "prefecture": prefecture,
            "report": report,
            "is_superuser": request.user.is_superuser,
        },
    )
