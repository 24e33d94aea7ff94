"""core.redirects: a form's "next" is followed only to this site."""

import pytest
from django.test import RequestFactory

from core.redirects import is_safe_target, redirect_back


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/questions/12/", True),
        ("/en/case-studies/?topic=rpa", True),
        ("http://testserver/questions/", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_only_addresses_on_this_site_are_safe(target, safe):
    request = RequestFactory().get("/")
    assert is_safe_target(request, target) is safe


def test_a_plain_http_address_is_refused_on_a_secure_request():
    request = RequestFactory().get("/", secure=True)
    assert not is_safe_target(request, "http://testserver/questions/")
    assert is_safe_target(request, "https://testserver/questions/")


@pytest.mark.parametrize(
    "posted, location",
    [
        ({"next": "/questions/7/"}, "/questions/7/"),
        ({"next": "https://evil.example/"}, "/fallback/"),
        ({}, "/fallback/"),
    ],
)
def test_redirect_back_follows_next_or_falls_back(posted, location):
    request = RequestFactory().post("/", posted)
    assert redirect_back(request, "/fallback/")["Location"] == location
