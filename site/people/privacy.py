"""A member's personal data: everything the platform holds about them, as one JSON document, and
the deletion of their account (Japan's APPI gives them both).

What deletion does, as mature communities (Stack Overflow, Discourse) do it: the account, its
e-mail addresses, profile, authenticators and sessions are erased (every session of it is signed
out), and with them what each app keeps only for the member (enrolments, progress, settings,
subscriptions, marks). What peers rely on stays without a name: each app says how in its
personal_data.py (the knowledge base's posts and votes, the case library's published cases,
the credentials revoked on the public status list). Wagtail's history keeps what happened but
not who: the member's name and e-mail address are taken out of the labels of its entries, and
the deletion itself is recorded without them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry, PageLogEntry
from wagtail.users.models import UserProfile

from .models import Profile

FORMAT = "cio-academy-personal-data/1"
FORMER_MEMBER = _("Former member")


class DeletionRefused(Exception):
    """The account cannot be closed from the member's own settings."""


# ---------------------------------------------------------------------------------------------
# What each app holds: every app that keeps data about members declares it in its own
# personal_data.py (loaded by its AppConfig.ready), so this module knows no feature app.


@dataclass(frozen=True)
class PersonalData:
    # user -> the app's part of the export, as top-level keys and their data.
    export: Callable[[Any], dict]
    # user -> None: what closing the account must do before the account row goes (revoking
    # credentials, releasing shared case studies); rows that point to the account by a
    # cascading key need nothing here.
    before_deletion: Callable[[Any], None] | None = None
    # Models whose entries in Wagtail's history are labelled with their member's name.
    about_people: tuple = ()


_holders: list[PersonalData] = []


def register(holder: PersonalData) -> PersonalData:
    _holders.append(holder)
    return holder


def rows(queryset, *fields, **renamed):
    """Plain dictionaries for the export: `fields` as they are, `renamed` as key=lookup."""
    lookups = {**{f: f for f in fields}, **renamed}
    return [
        {key: row[lookup] for key, lookup in lookups.items()}
        for row in queryset.values(*lookups.values())
    ]


# ---------------------------------------------------------------------------------------------
# Export


def _account(user) -> dict:
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
        "email_addresses": rows(
            EmailAddress.objects.filter(user=user).order_by("pk"), "email", "verified", "primary"
        ),
    }


def _profile(user) -> dict | None:
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
    return {
        # Type and dates only: the secrets and recovery codes never leave the server.
        "two_factor_authenticators": rows(
            Authenticator.objects.filter(user=user).order_by("pk"),
            "type",
            "created_at",
            "last_used_at",
        ),
        "sign_in_history": None,
        "sign_in_history_note": "The platform stores no sign-in history or IP addresses; "
        "only the date of the last sign-in (account.last_login).",
    }


def _admin_preferences(user) -> dict | None:
    admin = UserProfile.objects.filter(user=user).values(
        "preferred_language", "current_time_zone", "theme"
    )
    return next(iter(admin), None)


def _history(user) -> list[dict]:
    """What the member did that Wagtail's history records (edits, moderation)."""
    entries = []
    for model in (ModelLogEntry, PageLogEntry):
        entries += rows(model.objects.filter(user=user), "action", "label", "timestamp")
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
        "admin_preferences": _admin_preferences(user),
        **{key: value for holder in _holders for key, value in holder.export(user).items()},
        "history": _history(user),
    }


# ---------------------------------------------------------------------------------------------
# Deletion


def can_delete_self(user) -> bool:
    """Administrators are removed by another administrator, so no site is left without one."""
    return not (user.is_staff or user.is_superuser)


def _personal_strings(user) -> tuple[list[str], list[str]]:
    """(e-mail addresses, names): what must leave the labels of Wagtail's history."""
    emails = {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    profile = getattr(user, "profile", None)
    names = {user.username, user.get_full_name(), profile.display_name if profile else ""}
    return [e for e in emails if e], [n.strip() for n in names if n and n.strip()]


def _scrub_history(emails, names) -> None:
    """Labels are copies of an object's name taken when the entry was written (a profile's is the
    member's name, an award's names its holder): take the member out of them."""
    about_people = ContentType.objects.get_for_models(
        get_user_model(), Profile, *(model for holder in _holders for model in holder.about_people)
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
    with translation.override(settings.LANGUAGE_CODE):
        log(
            instance=user,
            action="people.delete_account",
            user=user,
            title=str(FORMER_MEMBER),
            data={},
        )


def log_export(user) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        log(instance=user, action="people.export_personal_data", user=user, title=f"#{user.pk}")


@transaction.atomic
def delete_account(user) -> None:
    """Close `user`'s account as the module docstring describes."""
    if not can_delete_self(user):
        raise DeletionRefused
    emails, names = _personal_strings(user)
    for holder in _holders:
        if holder.before_deletion is not None:
            holder.before_deletion(user)
    avatar = getattr(getattr(user, "wagtail_userprofile", None), "avatar", None)
    if avatar:
        avatar.delete(save=False)
    _log_deletion(user)
    user.delete()
    _scrub_history(emails, names)
