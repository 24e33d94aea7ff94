"""The headers browsers enforce: a strict Content Security Policy on every public page (no inline
script or style, no other origin), the admin's narrower exception, and the other hardening
headers."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from tests.factories import UserFactory

PUBLIC_PATHS = [
    "/",
    "/en/",
    "/learn/",
    "/questions/",
    "/questions/ask/",
    "/search/?q=RPA",
    "/credentials/verify/",
    "/accounts/login/",
    "/accounts/signup/",
]


def directives(response):
    header = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_allow_only_the_sites_own_scripts_and_styles(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_hold_nothing_the_policy_would_block(client, path):
    """The policy is only bearable because the templates keep to it: no inline script that would
    run, no inline style, no event-handler attribute, no asset from another origin."""
    response = client.get(path, follow=True)
    soup = BeautifulSoup(response.content, "html.parser")
    for script in soup.find_all("script"):
        if not script.get("src"):
            assert script.get("type") in {"application/ld+json", "application/json"}, script
        else:
            assert script["src"].startswith("/"), script
    assert not soup.find_all("style")
    for element in soup.find_all(True):
        assert "style" not in element.attrs, element
        assert not [name for name in element.attrs if name.startswith("on")], element
    for link in soup.find_all("link", href=True):
        assert link["href"].startswith("/"), link


@pytest.mark.django_db
def test_the_admin_alone_admits_wagtails_inline_scripts(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    policy = directives(client.get(reverse("wagtailadmin_home")))
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    # The exception does not leak out of the admin, even for the same signed-in editor.
    assert directives(client.get("/"))["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_every_response_carries_the_hardening_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions
    assert "Content-Security-Policy" in client.get("/healthz").headers
