from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from core.admin_menus import PermissionMenuItem
from curriculum.models import Quiz

from . import admin_views, tasks
from .models import CredentialDefinition, CredentialRule, OrganisationReporter


class CredentialDefinitionViewSet(SnippetViewSet):
    model = CredentialDefinition
    icon = "success"
    menu_label = _("Credentials")
    menu_name = "credentials"
    menu_order = 225
    add_to_admin_menu = True
    list_display = ["name_ja", "slug", "validity_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name_ja", "name_en", "slug"]


register_snippet(CredentialDefinitionViewSet)


class OrganisationReporterViewSet(SnippetViewSet):
    model = OrganisationReporter
    icon = "group"
    menu_label = _("Organisation report access")
    menu_name = "organisation-report-access"
    add_to_settings_menu = True
    list_display = ["user", "municipality", "granted_at"]
    search_fields = ["user__email", "municipality__name"]


register_snippet(OrganisationReporterViewSet)


def _refuse(request, message, url):
    messages.error(request, message)
    return redirect(url)


@hooks.register("before_delete_page")
def keep_courses_that_credentials_require(request, page):
    """A credential's rule names the course: deleting it would silently change what the
    credential means, so the rule must be changed first."""
    used = (
        CredentialRule.objects.filter(course__path__startswith=page.path)
        .select_related("definition")
        .order_by("definition__name_ja")
    )
    names = sorted({rule.definition.name for rule in used})
    if names:
        return _refuse(
            request,
            _("This page cannot be deleted: the rules of these credentials name it: %(names)s.")
            % {"names": pgettext("list separator", ", ").join(names)},
            reverse("wagtailadmin_explore", args=[page.get_parent().pk]),
        )
    return None


@hooks.register("before_delete_snippet")
def keep_what_credentials_depend_on(request, instances):
    for instance in instances:
        if isinstance(instance, CredentialDefinition) and instance.awards.exists():
            return _refuse(
                request,
                _(
                    "“%(name)s” has been awarded: it cannot be deleted. "
                    "Switch off automatic awards instead."
                )
                % {"name": instance.name},
                reverse("wagtailsnippets_credentials_credentialdefinition:list"),
            )
        if isinstance(instance, Quiz):
            names = sorted(
                {
                    rule.definition.name
                    for rule in CredentialRule.objects.filter(quiz=instance).select_related(
                        "definition"
                    )
                }
            )
            if names:
                return _refuse(
                    request,
                    _(
                        "This quiz cannot be deleted: "
                        "the rules of these credentials name it: %(names)s."
                    )
                    % {"names": pgettext("list separator", ", ").join(names)},
                    reverse("wagtailsnippets_curriculum_quiz:list"),
                )
    return None


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def award_learners_who_already_qualify(request, instance):
    if isinstance(instance, CredentialDefinition) and instance.is_active:
        transaction.on_commit(lambda: tasks.award_existing_learners.enqueue(instance.pk))


@hooks.register("register_admin_urls")
def credential_admin_urls():
    return [
        path("awards/", admin_views.award_list, name="credential_awards"),
        path("awards/new/", admin_views.award_create, name="credential_award_create"),
        path("awards/<int:award_id>/revoke/", admin_views.award_revoke, name="credential_revoke"),
    ]


@hooks.register("register_admin_menu_item")
def awards_menu_item():
    return PermissionMenuItem(
        _("Awarded credentials"),
        reverse("credential_awards"),
        icon_name="success",
        order=226,
        permissions=["credentials.view_award"],
    )


class _ReasonFormatter(LogFormatter):
    """The reason staff gave shows as the entry's comment in the history."""

    def format_comment(self, log_entry):
        return (log_entry.data or {}).get("reason", "")


@hooks.register("register_log_actions")
def credential_log_actions(actions):
    @actions.register_action("credentials.award")
    class AwardFormatter(_ReasonFormatter):
        label = _("Award credential")

        def format_message(self, log_entry):
            if (log_entry.data or {}).get("renewed"):
                return _("Credential renewed by staff")
            return _("Credential awarded by staff")

    @actions.register_action("credentials.revoke")
    class RevokeFormatter(_ReasonFormatter):
        label = _("Revoke credential")
        message = _("Credential revoked")
