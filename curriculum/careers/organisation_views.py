"""Roles and credentials by organisation, in the Wagtail admin: counts of members per role and
holders per credential for a municipality, and per municipality across a prefecture. Staff with
`credentials.view_all_organisations` see every organisation; staff with
`credentials.view_organisation_report` see their own (a prefectural government's staff: their
prefecture and its municipalities). Every view checks the scope on the server; figures only, never
names. Each table downloads as CSV.

URLs (admin): `organisations/` (index; `?prefecture=CODE` opens a prefecture, `?q=` searches
municipalities) and `organisations/<municipality_id>/`."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core.downloads import csv_download
from people.models import Municipality, Prefecture

from . import organisation


def _scope(request) -> organisation.Scope:
    scope = organisation.scope_for(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def prefecture_url(prefecture: Prefecture) -> str:
    return f"{reverse('organisation_report')}?prefecture={prefecture.code}"


def index(request):
    """Global viewers pick a prefecture or search for a municipality; scoped viewers go straight
    to their own organisation."""
    code = request.GET.get("prefecture")
    if code:
        return prefecture(request, code)
    scope = _scope(request)
    if not scope.everything:
        own = scope.municipality
        if own is None:
            return TemplateResponse(
                request,
                "careers/admin/organisation_index.html",
                {"title": _("Roles and credentials by organisation"), "scope": scope},
            )
        if scope.prefecture_id is not None:
            return redirect(prefecture_url(own.prefecture))
        return redirect("organisation_report_detail", own.pk)
    report = organisation.national_report()
    if request.GET.get("format") == "csv":
        return csv_download(
            "prefectures.csv",
            [
                _("Code"),
                _("Prefecture"),
                _("Municipalities with members"),
                _("Members"),
                _("Credential holders"),
            ],
            [
                [
                    row.prefecture.code,
                    row.prefecture.display_name,
                    row.municipalities,
                    row.members,
                    row.holders,
                ]
                for row in report.prefectures
            ]
            + [["", _("Total"), report.municipalities, report.members, report.holders]],
        )
    query = request.GET.get("q", "").strip()
    return TemplateResponse(
        request,
        "careers/admin/organisation_index.html",
        {
            "title": _("Roles and credentials by organisation"),
            "scope": scope,
            "report": report,
            "query": query,
            "found": organisation.find_municipalities(query) if query else None,
            "search_limit": organisation.SEARCH_LIMIT,
        },
    )


def prefecture(request, code):
    """Every municipality of a prefecture that has members: roles and credentials."""
    scope = _scope(request)
    area = get_object_or_404(Prefecture, code=code)
    if not scope.allows_prefecture(area):
        raise PermissionDenied
    report = organisation.prefecture_report(area)
    if request.GET.get("format") == "csv":
        header = [
            _("Code"),
            _("Municipality"),
            _("Members"),
            _("Credential holders"),
            *(column.label for column in report.role_columns),
            *(column.label for column in report.credential_columns),
        ]
        rows = [
            [
                row.municipality.code if row.municipality else "",
                row.label,
                row.members,
                row.holders,
                *row.roles,
                *row.credentials,
            ]
            for row in [*report.rows, report.total]
        ]
        return csv_download(f"prefecture-{area.code}.csv", header, rows)
    return TemplateResponse(
        request,
        "careers/admin/organisation_prefecture.html",
        {
            "title": _("%(prefecture)s: roles and credentials") % {"prefecture": area.display_name},
            "scope": scope,
            "prefecture": area,
            "report": report,
        },
    )


def detail(request, municipality_id):
    """One municipality: members by current role, and holders of each credential."""
    scope = _scope(request)
    municipality = get_object_or_404(
        Municipality.objects.select_related("prefecture"), pk=municipality_id
    )
    if not scope.allows_municipality(municipality):
        raise PermissionDenied
    report = organisation.municipality_report(municipality)
    if request.GET.get("format") == "csv":
        rows = [[_("Members"), str(municipality), report.members, 100 if report.members else 0]]
        rows += [[_("Role"), line.label, line.count, line.share] for line in report.roles]
        rows += [
            [_("Credential"), line.label, line.count, line.share] for line in report.credentials
        ]
        return csv_download(
            f"organisation-{municipality.code}.csv",
            [_("Category"), _("Name"), _("Number of people"), _("Share of members (%)")],
            rows,
        )
    return TemplateResponse(
        request,
        "careers/admin/organisation_municipality.html",
        {
            "title": _("%(municipality)s: roles and credentials") % {"municipality": municipality},
            "scope": scope,
            "municipality": municipality,
            "report": report,
            "prefecture_url": (
                prefecture_url(municipality.prefecture)
                if scope.allows_prefecture(municipality.prefecture)
                else None
            ),
        },
    )
