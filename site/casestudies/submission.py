"""Officials write case studies from the site, without admin access. A case is a Wagtail page:
each save is a revision, submitting starts the page's moderation workflow, and moderators approve
(publish) or request changes in the Wagtail admin. Editing a published case makes a new revision
that goes through moderation while the published version stays live."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.models import Collection, WorkflowState
from wagtail.permissions import policy_registry

from people.mfa import privileges_in_force

from .models import Attachment, CaseStudyIndexPage, CaseStudyPage


class Status:
    DRAFT = "draft"
    IN_MODERATION = "in_moderation"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    PUBLISHED_WITH_CHANGES = "published_with_changes"

    LABELS = {
        DRAFT: _("Draft"),
        IN_MODERATION: _("In moderation"),
        CHANGES_REQUESTED: _("Changes requested"),
        PUBLISHED: _("Published"),
        PUBLISHED_WITH_CHANGES: _("Published; changes not yet submitted"),
    }


class NotAllowed(Exception):
    pass


class CannotSubmit(Exception):
    pass


def is_author(user, page) -> bool:
    if not user.is_authenticated:
        return False
    # The committed authors: a revision's list is the author's to propose, not to rely on.
    through = CaseStudyPage.authors.through
    return (
        page.owner_id == user.pk
        or through.objects.filter(casestudypage_id=page.pk, user_id=user.pk).exists()
    )


def can_moderate(user, page) -> bool:
    return (
        user.is_authenticated
        and page.permissions_for_user(user).can_publish()
        and privileges_in_force(user)
    )


def cases_of(user):
    return (
        CaseStudyPage.objects.filter(Q(authors=user) | Q(owner=user))
        .distinct()
        .order_by("-latest_revision_created_at", "-pk")
    )


def latest(page: CaseStudyPage) -> CaseStudyPage:
    """What the author is working on: the newest revision (the live page stays as it is)."""
    return page.get_latest_revision_as_object() if page.latest_revision_id else page


def in_moderation(page) -> bool:
    state = page.current_workflow_state
    return state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS


def last_workflow_state(page) -> WorkflowState | None:
    return (
        WorkflowState.objects.for_instance(page).order_by("-created_at").first()
        if page.pk
        else None
    )


def status_of(page: CaseStudyPage, state: WorkflowState | None = ...) -> str:
    if state is ...:
        state = last_workflow_state(page)
    if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        return Status.IN_MODERATION
    if (
        state is not None
        and state.status == WorkflowState.STATUS_NEEDS_CHANGES
        and page.has_unpublished_changes
    ):
        return Status.CHANGES_REQUESTED
    if page.live:
        return Status.PUBLISHED_WITH_CHANGES if page.has_unpublished_changes else Status.PUBLISHED
    return Status.DRAFT


def reviewer_comment(state: WorkflowState | None) -> str:
    """The moderator's comment when changes were requested."""
    if state is None or state.status != WorkflowState.STATUS_NEEDS_CHANGES:
        return ""
    task_state = state.task_states.order_by("-finished_at").first()
    return task_state.get_comment() if task_state else ""


@transaction.atomic
def save_draft(user, index: CaseStudyIndexPage, page: CaseStudyPage, *, children=None):
    """Store the author's work as a new revision. A new case is created as a draft page."""
    if page.pk is None:
        page.owner = user
        page.live = False
        page.authors = [user]
        index.add_child(instance=page)
    elif not is_author(user, page) or in_moderation(CaseStudyPage.objects.get(pk=page.pk)):
        raise NotAllowed
    if children:
        for name, items in children.items():
            setattr(page, name, items)
    authors = list(page.authors.all())
    if user not in authors:
        page.authors = [*authors, user]
    page.save_revision(user=user, log_action=True)
    return page


def submit(user, page: CaseStudyPage) -> WorkflowState:
    if not is_author(user, page):
        raise NotAllowed
    live_page = CaseStudyPage.objects.get(pk=page.pk)
    workflow = live_page.get_workflow()
    if workflow is None:
        raise CannotSubmit(_("Moderation is not set up for case studies. Tell an administrator."))
    current = live_page.current_workflow_state
    if current is not None and current.status == WorkflowState.STATUS_IN_PROGRESS:
        raise CannotSubmit(_("This case is already in moderation."))
    if current is not None and current.status == WorkflowState.STATUS_NEEDS_CHANGES:
        current.cancel(user=user)
    return workflow.start(live_page, user)


UNPUBLISHED_ATTACHMENTS = "事例の添付ファイル（公開前）"


def attachment_collection() -> Collection:
    """Where files uploaded with a case wait until the case is published. Wagtail serves every
    document by its address, so a draft's files are kept apart and only its authors and the
    staff who manage documents may download them (see wagtail_hooks); publishing moves them to
    the public root collection."""
    root = Collection.get_first_root_node()
    found = root.get_children().filter(name=UNPUBLISHED_ATTACHMENTS).first()
    return found or root.add_child(name=UNPUBLISHED_ATTACHMENTS)


def unpublished_attachment_collections():
    return Collection.objects.filter(name=UNPUBLISHED_ATTACHMENTS, depth=2)


def may_download_unpublished(user, document) -> bool:
    """The file's uploader, an author of a case it is attached to, or staff who may change
    documents in its collection."""
    if not user.is_authenticated or not user.is_active:
        return False
    if document.uploaded_by_user_id == user.pk:
        return True
    through = CaseStudyPage.authors.through
    pages = Attachment.objects.filter(document=document).values("page_id")
    if through.objects.filter(casestudypage_id__in=pages, user_id=user.pk).exists():
        return True
    policy = policy_registry.get_by_type(get_document_model())
    return privileges_in_force(user) and policy.user_has_permission_for_instance(
        user, "change", document
    )


def release_attachments(page: CaseStudyPage) -> None:
    """A published case's files become public: out of the unpublished collection."""
    get_document_model().objects.filter(
        pk__in=Attachment.objects.filter(page=page).values("document_id"),
        collection__in=unpublished_attachment_collections(),
    ).update(collection=Collection.get_first_root_node())


def missing_for_moderation(page: CaseStudyPage) -> list[str]:
    """What a case needs before moderators see it."""
    missing = []
    for field in ("summary", "problem", "approach"):
        if not getattr(page, field).strip():
            missing.append(str(CaseStudyPage._meta.get_field(field).verbose_name))
    if not list(page.sources.all()):
        missing.append(str(_("at least one source")))
    if page.figure_status != "illustrative" and not list(page.metrics.all()):
        missing.append(str(_("at least one outcome figure (or mark the figures as illustrative)")))
    return missing
