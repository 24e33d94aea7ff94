"""Redirects to an address a request names (a form's "next", the admin's sign-in target): only
to this site, never elsewhere (no open redirects)."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def is_safe_target(request, target: str) -> bool:
    """A path or URL on this site, over HTTPS when the request came over HTTPS."""
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def redirect_back(request, fallback, *, field: str = "next"):
    """To the form's `field` (POST) when it is on this site; to `fallback` (a URL name, a path or
    an object with get_absolute_url) otherwise."""
    target = request.POST.get(field, "")
    return redirect(target if is_safe_target(request, target) else fallback)
