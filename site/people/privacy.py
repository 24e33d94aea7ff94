"""A member's personal data: everything the platform holds about them, as one JSON document, and
the deletion of their account (Japan's APPI gives them both).

What deletion does, as mature communities (Stack Overflow, Discourse) do it:
- Erased: the account, its e-mail addresses, profile, authenticators, sessions (the account no
  longer exists, so every session of it is signed out), enrolments, lesson progress, quiz
  attempts, the knowledge-base settings, subscriptions and notifications, "we did this too"
  marks, organisation report access and admin preferences.
- Kept without a name: questions, answers, comments and their revisions stay where peers rely on
  them, shown as written by a former member (an anonymous question stays "anonymous"). Votes
  still count towards scores and other members' reputation, but no longer say who cast them;
  flags stay with the moderators, without their reporter.
- Case studies: a published case belongs to its municipality's record and stays, without this
  author (the revisions' author lists are cleaned too). A case that was never published (or was
  unpublished), and that nobody else wrote, is deleted; one shared with co-authors stays theirs.
- Credentials: every award is revoked on the public status list, so a downloaded copy no longer
  verifies as current, and then deleted.
- Wagtail's history keeps what happened but not who: the member's name and e-mail address are
  taken out of the labels of its entries, and the deletion itself is recorded without them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

FORMAT = "cio-academy-personal-data/1"
FORMER_MEMBER = _("Former member")


class DeletionRefused(Exception):
    """The account cannot be closed from the member's own settings."""


# ---------------------------------------------------------------------------------------------
# Export


def _rows(queryset, *fields, **renamed):
    """Plain dictionaries for the export: `fields` as they are, `renamed` as key=lookup."""
    lookups = {**{f: f for f in fields}, **renamed}
    return [
        {key: row[lookup] for key, lookup in lookups.items()}
        for row in queryset.values(*lookups.values())
    ]


def _account(user) -> dict:
    from allauth.account.models import EmailAddress

    return {
        "id": user.pk,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": list(user.groups.order_by("name").values_list("name", flat=True)),
        "email_addresses": _rows(
            EmailAddress.objects.filter(user=user).order_by("pk"), "email", "verified", "primary"
        ),
    }


def _profile(user) -> dict | None:
    from .models import Profile

    profile = (
        Profile.objects.select_related("municipality__prefecture", "current_role", "target_role")
        .prefetch_related("expertise")
        .filter(user=user)
        .first()
    )
    if profile is None:
        return None
    municipality = profile.municipality
    return {
        "display_name": profile.display_name,
        "municipality": municipality
        and {
            "code": municipality.code,
            "name": municipality.name,
            "prefecture": municipality.prefecture.name,
            "kind": municipality.kind,
        },
        "department": profile.department,
        "job_title": profile.job_title,
        "current_role": profile.current_role and profile.current_role.code,
        "target_role": profile.target_role and profile.target_role.code,
        "about_me": profile.bio,
        "areas_of_expertise": [topic.slug for topic in profile.expertise.all()],
        "public_profile": profile.is_public,
        "open_to_questions": profile.open_to_questions,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def _security(user) -> dict:
    from allauth.mfa.models import Authenticator

    return {
        # Type and dates only: the secrets and recovery codes never leave the server.
        "two_factor_authenticators": _rows(
            Authenticator.objects.filter(user=user).order_by("pk"),
            "type",
            "created_at",
            "last_used_at",
        ),
        "sign_in_history": None,
        "sign_in_history_note": "The platform stores no sign-in history or IP addresses; "
        "only the date of the last sign-in (account.last_login).",
    }


def _preferences(user) -> dict:
    from wagtail.users.models import UserProfile

    from curriculum.credentials.models import OrganisationReporter

    admin = UserProfile.objects.filter(user=user).values(
        "preferred_language", "current_time_zone", "theme"
    )
    reporter = OrganisationReporter.objects.filter(user=user).values(
        "municipality__code", "municipality__name", "granted_at"
    )
    return {
        "admin_preferences": next(iter(admin), None),
        "organisation_report_access": next(iter(reporter), None),
    }


def _learning(user) -> dict:
    from curriculum.models import Enrolment, LessonCompletion, QuizAttempt

    return {
        "enrolments": _rows(
            Enrolment.objects.filter(user=user).order_by("enrolled_at"),
            "source",
            "enrolled_at",
            "completed_at",
            "last_activity_at",
            course_id="course_id",
            course="course__title",
            last_lesson="last_lesson__title",
        ),
        "lesson_progress": _rows(
            LessonCompletion.objects.filter(user=user).order_by("completed_at"),
            "via",
            "completed_at",
            lesson_id="lesson_id",
            lesson="lesson__title",
        ),
        "quiz_attempts": _rows(
            QuizAttempt.objects.filter(user=user).order_by("started_at"),
            "served",
            "answers",
            "results",
            "score",
            "passed",
            "started_at",
            "submitted_at",
            quiz="quiz__title",
            lesson="lesson__title",
        ),
    }


def _credentials(user) -> list[dict]:
    from curriculum.credentials.models import Award

    awards = Award.objects.filter(user=user).select_related("definition").order_by("issued_at")
    return [
        {
            "id": str(award.uuid),
            "credential": award.definition.name_ja,
            "credential_en": award.definition.name_en,
            "status": award.status,
            "method": award.method,
            "reason": award.reason,
            "evidence": award.evidence,
            "issued_at": award.issued_at,
            "expires_at": award.expires_at,
            "revoked_at": award.revoked_at,
            "public_page": award.is_public,
            "listed_by_search_engines": award.is_indexable,
            "signed_credential": award.credential,
        }
        for award in awards
    ]


def _case_studies(user) -> dict:
    from wagtail.models import Page, Revision, WorkflowState

    from casestudies.models import Replication
    from casestudies.submission import cases_of

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
        "we_did_this_too": _rows(
            Replication.objects.filter(user=user).order_by("created_at"),
            "created_at",
            case_study_id="page_id",
            case_study="page__title",
        ),
    }


def _knowledge(user) -> dict:
    from knowledge.models import (
        Answer,
        Comment,
        Flag,
        Member,
        Notification,
        Question,
        Revision,
        Subscription,
        Vote,
    )

    member = Member.objects.filter(user=user).values(
        "email", "approved_posts", "suspended_until", "suspension_reason", "last_digest_at"
    )
    return {
        "settings": next(iter(member), None),
        # Anonymous questions are the member's own data: they are included, marked as such.
        "questions": _rows(
            Question.objects.filter(author=user).order_by("created_at"),
            "id",
            "title",
            "body",
            "is_anonymous",
            "visibility",
            "status",
            "score",
            "created_at",
            "edited_at",
        ),
        "answers": _rows(
            Answer.objects.filter(author=user).order_by("created_at"),
            "id",
            "body",
            "visibility",
            "score",
            "created_at",
            "edited_at",
            question_id="question_id",
            question="question__title",
        ),
        "comments": _rows(
            Comment.objects.filter(author=user).order_by("created_at"),
            "id",
            "body",
            "visibility",
            "created_at",
            question_id="question_id",
            answer_id="answer_id",
        ),
        "revisions": _rows(
            Revision.objects.filter(author=user).order_by("created_at"),
            "number",
            "title",
            "body",
            "summary",
            "created_at",
            question_id="question_id",
            answer_id="answer_id",
        ),
        "votes": _rows(
            Vote.objects.filter(user=user).order_by("created_at"),
            "value",
            "created_at",
            question_id="question_id",
            answer_id="answer_id",
        ),
        "flags_raised": _rows(
            Flag.objects.filter(reporter=user).order_by("created_at"),
            "reason",
            "note",
            "status",
            "created_at",
            question_id="question_id",
            answer_id="answer_id",
            comment_id="comment_id",
        ),
        "subscriptions": _rows(
            Subscription.objects.filter(user=user).order_by("created_at"),
            "created_at",
            question_id="question_id",
            question="question__title",
            topic="topic__slug",
            person="person__profile__display_name",
        ),
        # What happened and where; not who else did it (that is their data).
        "notifications": _rows(
            Notification.objects.filter(recipient=user).order_by("created_at"),
            "kind",
            "created_at",
            "read_at",
            "emailed_at",
            question_id="question_id",
            question="question__title",
            answer_id="answer_id",
        ),
    }


def _history(user) -> list[dict]:
    """What the member did that Wagtail's history records (edits, moderation)."""
    from wagtail.models import ModelLogEntry, PageLogEntry

    entries = []
    for model in (ModelLogEntry, PageLogEntry):
        entries += _rows(model.objects.filter(user=user), "action", "label", "timestamp")
    return sorted(entries, key=lambda entry: entry["timestamp"])


def export_personal_data(user) -> dict:
    """Everything held about `user`, in a fixed number of queries whatever its size."""
    return {
        "format": FORMAT,
        "exported_at": timezone.now(),
        "site": settings.WAGTAIL_SITE_NAME,
        "account": _account(user),
        "profile": _profile(user),
        "security": _security(user),
        **_preferences(user),
        "learning": _learning(user),
        "credentials": _credentials(user),
        **_case_studies(user),
        "knowledge_base": _knowledge(user),
        "history": _history(user),
    }


# ---------------------------------------------------------------------------------------------
# Deletion


def can_delete_self(user) -> bool:
    """Administrators are removed by another administrator, so no site is left without one."""
    return not (user.is_staff or user.is_superuser)


def _release_case_studies(user) -> None:
    from wagtail.models import Page, Revision

    from casestudies.models import CaseStudyPage
    from casestudies.submission import cases_of

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


def _revoke_credentials(user) -> None:
    from curriculum.credentials import status
    from curriculum.credentials.models import Award

    now = timezone.now()
    for index in Award.objects.filter(user=user).values_list("status_index", flat=True):
        status.revoke(index, now)


def _personal_strings(user) -> tuple[list[str], list[str]]:
    """(e-mail addresses, names): what must leave the labels of Wagtail's history."""
    from allauth.account.models import EmailAddress

    emails = {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    profile = getattr(user, "profile", None)
    names = {user.username, user.get_full_name(), profile.display_name if profile else ""}
    return [e for e in emails if e], [n.strip() for n in names if n and n.strip()]


def _scrub_history(emails, names) -> None:
    """Labels are copies of an object's name taken when the entry was written (a profile's is the
    member's name, an award's names its holder): take the member out of them."""
    from wagtail.models import ModelLogEntry, PageLogEntry

    from curriculum.credentials.models import Award, OrganisationReporter
    from curriculum.models import Enrolment, LessonCompletion, QuizAttempt
    from knowledge.models import Member

    from .models import Profile

    about_people = ContentType.objects.get_for_models(
        get_user_model(),
        Profile,
        Member,
        Award,
        OrganisationReporter,
        Enrolment,
        LessonCompletion,
        QuizAttempt,
    ).values()
    with translation.override(settings.LANGUAGE_CODE):
        former = str(FORMER_MEMBER)
    anywhere = Q()
    for email in emails:
        anywhere |= Q(label__icontains=email)
    about = Q()
    for name in names:
        about |= Q(label__contains=name)
    wanted = anywhere | (Q(content_type__in=about_people) & about) if about else anywhere
    for model in (ModelLogEntry, PageLogEntry):
        for entry in model.objects.filter(wanted).only("pk", "label"):
            label = entry.label
            for text in sorted([*emails, *names], key=len, reverse=True):
                label = label.replace(text, former)
            model.objects.filter(pk=entry.pk).update(label=label)


def _log_deletion(user) -> None:
    from wagtail.log_actions import log

    with translation.override(settings.LANGUAGE_CODE):
        log(
            instance=user,
            action="people.delete_account",
            user=user,
            title=str(FORMER_MEMBER),
            data={},
        )


def log_export(user) -> None:
    from wagtail.log_actions import log

    with translation.override(settings.LANGUAGE_CODE):
        log(instance=user, action="people.export_personal_data", user=user, title=f"#{user.pk}")


@transaction.atomic
def delete_account(user) -> None:
    """Close `user`'s account as the module docstring describes."""
    if not can_delete_self(user):
        raise DeletionRefused
    emails, names = _personal_strings(user)
    _revoke_credentials(user)
    _release_case_studies(user)
    avatar = getattr(getattr(user, "wagtail_userprofile", None), "avatar", None)
    if avatar:
        avatar.delete(save=False)
    _log_deletion(user)
    user.delete()
    _scrub_history(emails, names)
