"""Authors hear what moderators decided, by email, with the moderator's comment and a link back to
their cases — whether or not they can open the Wagtail admin."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.signals import page_published, workflow_approved, workflow_rejected

from core import workflow_mail

from . import submission
from .models import CaseStudyPage

# Moderation e-mails: one per event, in the recipient's language (core/workflow_mail.py, wired
# here, as this app is ready before wagtail.admin); the authors hear of approval and rejection
# from the receivers below, not also from Wagtail.
workflow_mail.connect()
workflow_mail.handled_by_app(CaseStudyPage)

log = logging.getLogger(__name__)


def _notify(state, template, subject_text):
    page = state.content_object
    if not isinstance(page, CaseStudyPage):
        page = getattr(page, "specific", page)
        if not isinstance(page, CaseStudyPage):
            return
    recipients = sorted(
        {u.email for u in page.authors.all() if u.email}
        | ({page.owner.email} if page.owner else set())
    )
    if not recipients:
        return
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "page": page,
            "title": page.draft_title,
            "comment": submission.reviewer_comment(state),
            "my_cases_url": base + reverse("casestudies:mine"),
            "page_url": base + (page.url or ""),
        }
        subject = subject_text % {"title": page.draft_title}
        body = render_to_string(template, context)

    def send():
        try:
            send_mail(subject, body, None, recipients)
        except Exception:  # a mail server's failure must not undo the moderator's decision
            log.exception("could not email the authors of case %s", page.pk)

    transaction.on_commit(send)


@receiver(workflow_rejected)
def tell_authors_changes_were_requested(sender, instance, user, **kwargs):
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Changes requested: “%(title)s”")
    _notify(instance, "casestudies/email/changes_requested.txt", subject)


@receiver(workflow_approved)
def tell_authors_it_is_published(sender, instance, user, **kwargs):
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Published: “%(title)s”")
    _notify(instance, "casestudies/email/published.txt", subject)


@receiver(page_published, sender=CaseStudyPage)
def make_its_attachments_public(sender, instance, **kwargs):
    submission.release_attachments(instance)
