"""Authors hear what moderators decided, by email, with the moderator's comment and a link back to
their cases — whether or not they can open the Wagtail admin. And the case library's generation
(listing_cache) is replaced when something its listing shows changes."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import PageViewRestriction
from wagtail.models.pages import COMMENTS_RELATION_NAME
from wagtail.signals import (
    page_published,
    page_unpublished,
    post_page_move,
    workflow_approved,
    workflow_rejected,
)

from core import workflow_mail
from core.models import Topic
from people.models import Municipality, Prefecture

from . import listing_cache, submission
from .models import CaseStudyPage, Metric

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


# --- The case library's generation ------------------------------------------------------------
# Only what the listing shows: live cases under an index (and who may see them), their topics,
# metrics and places. Votes, answers, comments and enrolments leave the counts as they are.

library_changed = listing_cache.library_changed


def _connect_library_signals():
    for signal, name in (
        (page_published, "published"),
        (page_unpublished, "unpublished"),
        (post_page_move, "moved"),
        (post_delete, "deleted"),
    ):
        signal.connect(
            library_changed, sender=CaseStudyPage, weak=False, dispatch_uid=f"caselibrary:{name}"
        )
    # A view restriction on a case or above it takes the case out of the public listing.
    for model in (Metric, Topic, Municipality, Prefecture, PageViewRestriction):
        uid = f"caselibrary:{model._meta.label_lower}"
        post_save.connect(library_changed, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(library_changed, sender=model, weak=False, dispatch_uid=uid)
    m2m_changed.connect(
        library_changed,
        sender=CaseStudyPage._meta.get_field("topics").remote_field.through,
        weak=False,
        dispatch_uid="caselibrary:topics",
    )


_connect_library_signals()

# What saving a revision, locking or commenting writes: the live version stays as it was.
DRAFT_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
        COMMENTS_RELATION_NAME,
    }
)


@receiver(post_save, sender=CaseStudyPage, dispatch_uid="caselibrary:saved")
def live_case_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    """A live case saved outside publishing (created live, or changed in code) sends nothing
    else; a revision or a lock saved on a live case changes nothing the listing shows. A row
    loaded from a fixture (a restored backup) is only half there: the library has changed."""
    if raw:
        library_changed()
        return
    if not instance.live:
        return
    if update_fields is not None and set(update_fields) <= DRAFT_FIELDS:
        return
    library_changed()
