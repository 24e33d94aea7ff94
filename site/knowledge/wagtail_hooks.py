"""The knowledge base in the Wagtail admin: the moderation pages, their menu item for moderators,
the moderation actions in the history reports, and the permission in the group editor."""

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from core.admin_menus import PermissionMenuItem

from . import admin_views

PERMISSION = admin_views.PERMISSION


@hooks.register("register_admin_urls")
def knowledge_admin_urls():
    views = admin_views
    return [
        path("knowledge/moderation/", views.queue, name="knowledge_moderation"),
        path(
            "knowledge/moderation/<str:kind>/<int:pk>/approve/",
            views.approve,
            name="knowledge_moderation_approve",
        ),
        path(
            "knowledge/moderation/<str:kind>/<int:pk>/hide/",
            views.hide,
            name="knowledge_moderation_hide",
        ),
        path(
            "knowledge/moderation/<str:kind>/<int:pk>/restore/",
            views.restore,
            name="knowledge_moderation_restore",
        ),
        path(
            "knowledge/moderation/<str:kind>/<int:pk>/dismiss-flags/",
            views.dismiss_flags,
            name="knowledge_moderation_dismiss_flags",
        ),
        path(
            "knowledge/moderation/flags/<int:flag_id>/dismiss/",
            views.dismiss_flag,
            name="knowledge_moderation_dismiss_flag",
        ),
        path(
            "knowledge/moderation/questions/<int:pk>/lock/",
            views.lock,
            name="knowledge_moderation_lock",
        ),
        path(
            "knowledge/moderation/members/",
            views.suspensions,
            name="knowledge_moderation_suspensions",
        ),
        path(
            "knowledge/moderation/members/<int:user_id>/suspend/",
            views.suspend,
            name="knowledge_moderation_suspend",
        ),
        path(
            "knowledge/moderation/members/<int:user_id>/lift/",
            views.lift_suspension,
            name="knowledge_moderation_lift",
        ),
    ]


@hooks.register("register_admin_menu_item")
def moderation_menu_item():
    return PermissionMenuItem(
        _("Q&A moderation"),
        reverse("knowledge_moderation"),
        name="knowledge-moderation",
        icon_name="warning",
        order=250,
        permissions=[PERMISSION],
    )


@hooks.register("register_permissions")
def moderation_permission():
    """Lets administrators give the permission to other groups in Settings → Groups."""
    return Permission.objects.filter(content_type__app_label="knowledge", codename="moderate_posts")


@hooks.register("register_log_actions")
def knowledge_log_actions(actions):
    actions.register_action("knowledge.approve", _("Approve post"), _("Post approved"))
    actions.register_action("knowledge.restore", _("Restore post"), _("Post restored"))
    actions.register_action("knowledge.lock", _("Lock question"), _("Question locked"))
    actions.register_action("knowledge.unlock", _("Unlock question"), _("Question unlocked"))
    actions.register_action("knowledge.unsuspend", _("Lift suspension"), _("Suspension lifted"))

    @actions.register_action("knowledge.hide")
    class HideFormatter(LogFormatter):
        label = _("Hide post")
        message = _("Post hidden")

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("reason", "")

    @actions.register_action("knowledge.dismiss_flag")
    class DismissFlagFormatter(LogFormatter):
        label = _("Dismiss flag")

        def format_message(self, log_entry):
            flag = (log_entry.data or {}).get("flag")
            if flag is None:
                return _("Flag dismissed")
            return _("Flag #%(flag)s dismissed") % {"flag": flag}

    @actions.register_action("knowledge.suspend")
    class SuspendFormatter(LogFormatter):
        label = _("Suspend member")

        def format_message(self, log_entry):
            days = (log_entry.data or {}).get("days")
            if days is None:
                return _("Member suspended")
            return ngettext(
                "Member suspended from posting for %(days)s day",
                "Member suspended from posting for %(days)s days",
                days,
            ) % {"days": days}

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("reason", "")
