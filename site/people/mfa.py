"""Two-factor authentication for the people who can change what others see.

With `MFA_REQUIRED_FOR_STAFF` on, staff, superusers and anyone holding one of the
`MFA_PRIVILEGED_PERMISSIONS` (entering the Wagtail admin, moderating the knowledge base) need an
active authenticator app (allauth's TOTP) before their powers count; until then they are sent to
set one up. Members who hold no such power are never asked.

The admin is guarded as a whole by people.middleware; a site view that uses powers over other
members' posts or cases says so with the `acting_for_others` decorator, so this module knows no
feature app."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

MFA_REQUIRED_MESSAGE = _(
    "Your role lets you change what other members see, so your account needs two-factor "
    "authentication. Set up an authenticator app to continue to the admin and moderation tools."
)


def holds_privileges(user) -> bool:
    """Staff, superusers and holders of a permission that acts on other members' content."""
    return bool(
        user.is_authenticated
        and (
            user.is_staff
            or user.is_superuser
            or any(user.has_perm(perm) for perm in settings.MFA_PRIVILEGED_PERMISSIONS)
        )
    )


def has_active_totp(user) -> bool:
    # Asked several times per page (every moderator-only field): once per request's user.
    cached = getattr(user, "_has_active_totp", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._has_active_totp = cached
    return cached


def mfa_setup_required(user) -> bool:
    """True for a privileged member who must still set up an authenticator app."""
    return bool(
        settings.MFA_REQUIRED_FOR_STAFF and holds_privileges(user) and not has_active_totp(user)
    )


def privileges_in_force(user) -> bool:
    """Whether a privileged member's powers count now. With MFA_REQUIRED_FOR_STAFF, staff and
    moderators without an active authenticator app are members like any other outside the
    admin too: every moderator-only view and field (who asked anonymously, hidden posts,
    private profiles, drafts and their files, everyone's learning records) asks this, so no
    power is usable on a password alone."""
    return not mfa_setup_required(user)


def setup_required_response(request):
    """Where a privileged member without an authenticator app goes instead of the view."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return HttpResponseForbidden(MFA_REQUIRED_MESSAGE)
    return redirect("mfa_activate_totp")


def always(request, **kwargs) -> bool:
    return True


def acting_for_others(acts_for_others: Callable[..., bool] = always):
    """A site view that uses moderator powers when `acts_for_others(request, **view_kwargs)` is
    true (acting on someone else's post or case; on their own, moderators are members like any
    other). Used that way by a privileged member without an authenticator app, it sends them to
    set one up instead, before the view does anything."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if (
                settings.MFA_REQUIRED_FOR_STAFF
                and request.user.is_authenticated
                and mfa_setup_required(request.user)
                and acts_for_others(request, **kwargs)
            ):
                return setup_required_response(request)
            return view(request, *args, **kwargs)

        return guarded

    return decorator
