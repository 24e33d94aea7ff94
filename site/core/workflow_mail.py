"""One e-mail per moderation event, in the recipient's language.

Wagtail e-mails moderators when a page is submitted, and the submitter when it is approved or
rejected. Left as they are, a superuser got two e-mails for one submission (one from the
workflow, one from its group approval task), authors of case studies got Wagtail's approval e-mail
beside the case library's own, and every one of them came in the language of whoever clicked
(English from an English admin), with English text where Wagtail's catalogue has no Japanese.

``connect()`` replaces Wagtail's four notifiers under the dispatch_uids Wagtail uses; it must run
before wagtail.admin connects its own (Django then ignores the second connection under the same
uid), so an app listed before wagtail.admin calls it from its ready() (the case library does):
- a submission to a group approval task is announced once, by the task's notifier (the group and
  the superusers); the workflow's own notice only covers workflows without such a task;
- approval and rejection are not e-mailed for the models that send their own (``handled_by_app``);
- every e-mail is written in the recipient's chosen admin language, else the site's (Japanese),
  with the project's own templates (templates/wagtailadmin/notifications/).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from wagtail.admin import mail
from wagtail.models import AbstractGroupApprovalTask, TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

# Models whose app tells the submitter itself when a moderator approves or rejects.
_handled_by_app: set[type] = set()


def handled_by_app(model: type) -> type:
    """Registers a model whose approval and rejection e-mails its app sends."""
    _handled_by_app.add(model)
    return model


def _content(state):
    obj = state.content_object
    return getattr(obj, "specific", obj)


class _InSiteLanguage:
    """Renders in the site's language unless the recipient chose one: Wagtail's notifier uses
    the recipient's preferred language, else the language active when the signal was sent."""

    def send_notifications(self, template_set, context, recipients, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return super().send_notifications(template_set, context, recipients, **kwargs)


class TaskSubmission(_InSiteLanguage, mail.GroupApprovalTaskStateSubmissionEmailNotifier):
    pass


class WorkflowSubmission(_InSiteLanguage, mail.WorkflowStateSubmissionEmailNotifier):
    def can_handle(self, instance, **kwargs):
        if not super().can_handle(instance, **kwargs):
            return False
        # The workflow starts at its first task: a group approval task announces itself to the
        # group and the superusers, which is all this notice would reach.
        first = instance.workflow.tasks.filter(active=True).order_by("workflow_tasks__sort_order")
        task = first.first()
        return not (task and isinstance(task.specific, AbstractGroupApprovalTask))


class Approval(_InSiteLanguage, mail.WorkflowStateApprovalEmailNotifier):
    def can_handle(self, instance, **kwargs):
        return super().can_handle(instance, **kwargs) and not isinstance(
            _content(instance), tuple(_handled_by_app)
        )


class Rejection(_InSiteLanguage, mail.WorkflowStateRejectionEmailNotifier):
    def can_handle(self, instance, **kwargs):
        return super().can_handle(instance, **kwargs) and not isinstance(
            _content(instance), tuple(_handled_by_app)
        )


NOTIFIERS = (
    (task_submitted, TaskSubmission(), TaskState, "group_approval_task_submitted"),
    (workflow_submitted, WorkflowSubmission(), WorkflowState, "workflow_state_submitted"),
    (workflow_rejected, Rejection(), WorkflowState, "workflow_state_rejected"),
    (workflow_approved, Approval(), WorkflowState, "workflow_state_approved"),
)


def connect() -> None:
    # Module-level notifiers: signals hold their receivers weakly.
    for signal, notifier, sender, uid in NOTIFIERS:
        signal.connect(notifier, sender=sender, dispatch_uid=f"{uid}_email_notification")
