"""The Wagtail admin is for people whose powers need two-factor authentication (people.mfa):
with `MFA_REQUIRED_FOR_STAFF` on, a privileged member without an authenticator app is sent to
set one up before any admin view. Site views that use such powers guard themselves with
people.mfa.acting_for_others.

Whatever the setting, the admin has one way in: Wagtail's own sign-in form would accept a password
alone, skipping allauth's rate limits and its MFA stage, so it sends people to allauth's."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse

from core.redirects import is_safe_target

from .mfa import mfa_setup_required, setup_required_response


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == reverse("wagtailadmin_login"):
            return self._to_allauth_login(request)
        return self.get_response(request)

    def _to_allauth_login(self, request):
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        # Only a path on this site; allauth checks it again when it redirects.
        if not target.startswith("/") or not is_safe_target(request, target):
            target = reverse("wagtailadmin_home")
        query = QueryDict(mutable=True)
        query[REDIRECT_FIELD_NAME] = target
        return redirect(f"{reverse('account_login')}?{query.urlencode(safe='/')}")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.MFA_REQUIRED_FOR_STAFF or not request.user.is_authenticated:
            return None
        if not request.path.startswith(reverse("wagtailadmin_home")):
            return None
        if request.path == reverse("wagtailadmin_logout"):
            return None
        if not mfa_setup_required(request.user):
            return None
        return setup_required_response(request)
