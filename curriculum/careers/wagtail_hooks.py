"""The organisation report in the Wagtail admin. Its permissions stay on the credentials models
(`credentials.view_organisation_report`, `credentials.view_all_organisations`): this app has no
models of its own to hang them on."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from core.admin_menus import PermissionMenuItem

from . import organisation, organisation_views


@hooks.register("register_admin_urls")
def organisation_report_urls():
    return [
        path("organisations/", organisation_views.index, name="organisation_report"),
        path(
            "organisations/<int:municipality_id>/",
            organisation_views.detail,
            name="organisation_report_detail",
        ),
    ]


@hooks.register("register_reports_menu_item")
def organisation_menu_item():
    return PermissionMenuItem(
        _("Roles and credentials by organisation"),
        reverse("organisation_report"),
        icon_name="group",
        order=60,
        permissions=[organisation.VIEW_OWN, organisation.VIEW_ALL],
    )
