"""What the case library holds about a member (people.privacy): the cases they wrote, drafts
included, and their "we did this too" marks.

Closing the account: a published case belongs to its municipality's record and stays, without
this author (the revisions' author lists are cleaned too). A case that was never published (or
was unpublished), and that nobody else wrote, is deleted; one shared with co-authors stays
theirs."""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, Revision, WorkflowState

from people.privacy import PersonalData, register, rows

from .models import CaseStudyPage, Replication
from .submission import cases_of


def export(user) -> dict:
    pages = list(cases_of(user).select_related("municipality"))
    revisions = {
        revision.pk: revision.content
        for revision in Revision.objects.filter(
            pk__in=[page.latest_revision_id for page in pages if page.latest_revision_id]
        )
    }
    in_moderation = {
        int(object_id)
        for object_id in WorkflowState.objects.filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            object_id__in=[str(page.pk) for page in pages],
            status=WorkflowState.STATUS_IN_PROGRESS,
        ).values_list("object_id", flat=True)
    }
    return {
        "case_studies": [
            {
                "id": page.pk,
                "title": page.title,
                "municipality": page.municipality and str(page.municipality.code),
                "published": page.live,
                "in_moderation": page.pk in in_moderation,
                "first_published_at": page.first_published_at,
                "latest_revision_at": page.latest_revision_created_at,
                "owner": page.owner_id == user.pk,
                # The newest version the member wrote, drafts included.
                "latest_version": revisions.get(page.latest_revision_id),
            }
            for page in pages
        ],
        "we_did_this_too": rows(
            Replication.objects.filter(user=user).order_by("created_at"),
            "created_at",
            case_study_id="page_id",
            case_study="page__title",
        ),
    }


def release_case_studies(user) -> None:
    through = CaseStudyPage.authors.through
    for page in list(cases_of(user)):
        co_authored = (
            through.objects.filter(casestudypage_id=page.pk).exclude(user_id=user.pk).exists()
        )
        if not page.live and not co_authored:
            page.delete()
            continue
        through.objects.filter(casestudypage_id=page.pk, user_id=user.pk).delete()
        Page.objects.filter(pk=page.pk, owner=user).update(owner=None)
        # Each revision lists its authors and owner: a later publication restores those lists.
        for revision in Revision.page_revisions.filter(object_id=str(page.pk)):
            content = revision.content
            authors = content.get("authors") or []
            if user.pk in authors or content.get("owner") == user.pk:
                content["authors"] = [pk for pk in authors if pk != user.pk]
                if content.get("owner") == user.pk:
                    content["owner"] = None
                Revision.objects.filter(pk=revision.pk).update(content=content)


register(PersonalData(export=export, before_deletion=release_case_studies))
