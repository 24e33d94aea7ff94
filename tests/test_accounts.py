"""Sign-up by e-mail with mandatory verification, then sign-in, in both languages."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail

from tests.factories import MunicipalityFactory, UserFactory
from tests.people.test_account_security import current_code

pytestmark = pytest.mark.django_db

PASSWORD = "kasumigaseki-2026-dx"


def signup_data(municipality, **overrides):
    return {
        "email": "tanaka@town.example.jp",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "display_name": "田中 一郎",
        "municipality": municipality.code,
        "job_title": "主任",
        **overrides,
    }


def confirmation_url(message):
    match = re.search(r"https?://[^/\s]+(/\S*confirm-email/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_page_offers_municipalities_grouped_by_prefecture(client):
    MunicipalityFactory(name="府中町", kana="ふちゅうちょう")
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<optgroup label="東京都">' in html
    assert "府中町（ふちゅうちょう）" in html
    assert "data-municipality-filter" in html


def test_signup_verification_email_then_login(client):
    municipality = MunicipalityFactory()
    response = client.post("/accounts/signup/", signup_data(municipality))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"

    user = get_user_model().objects.get(email="tanaka@town.example.jp")
    assert user.profile.display_name == "田中 一郎"
    assert user.profile.municipality == municipality
    assert user.profile.job_title == "主任"
    assert not EmailAddress.objects.get(user=user).verified

    # Mandatory verification: no sign-in before the address is confirmed.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "tanaka@town.example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) == 1  # allauth does not resend within its cool-down
    message = mail.outbox[0]
    assert message.to == ["tanaka@town.example.jp"]
    assert message.subject.startswith("[自治体CIOアカデミー] ")
    assert "自治体CIOアカデミー" in message.body.splitlines()[0]
    assert "田中 一郎" in message.body  # the display name, not the generated username
    assert re.search(r"[ぁ-んァ-ン]", message.body), "the e-mail is in Japanese"

    url = confirmation_url(message)
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "tanaka@town.example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/people/me/"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_english_signup_sends_the_email_in_english(client):
    municipality = MunicipalityFactory()
    response = client.post("/en/accounts/signup/", signup_data(municipality))
    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert mail.outbox[0].subject.startswith("[Municipal CIO Academy] ")
    body = mail.outbox[0].body
    assert body.startswith("Hello from Municipal CIO Academy!")
    assert "confirm" in body.lower()
    assert not re.search(r"[ぁ-ん]", body.replace("自治体CIOアカデミー", ""))
    assert "/en/accounts/confirm-email/" in body


def test_signup_rejects_an_unknown_municipality_and_keeps_the_input(client):
    municipality = MunicipalityFactory()
    response = client.post(
        "/accounts/signup/", {**signup_data(municipality), "municipality": "999999"}
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert "田中 一郎" in response.content.decode()  # nothing typed is lost
    assert not get_user_model().objects.filter(email="tanaka@town.example.jp").exists()
    assert mail.outbox == []


def test_signup_requires_a_display_name_and_municipality(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.jp", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert {"display_name", "municipality"} <= set(response.context["form"].errors)


def test_signed_in_users_can_reach_mfa_password_and_email_pages(client):
    user = UserFactory()
    client.force_login(user)
    for url in [
        "/accounts/2fa/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/en/accounts/2fa/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_password_reset_sends_an_email(client):
    UserFactory(email="reset@example.jp")
    response = client.post("/accounts/password/reset/", {"email": "reset@example.jp"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_any_user_can_turn_on_totp_and_then_needs_a_code_to_sign_in(client):
    user = UserFactory(email="mfa@example.jp")
    login = {"login": "mfa@example.jp", "password": "correct-horse-battery"}
    assert client.post("/accounts/login/", login).status_code == 302

    # Changing sign-in security asks for the password again, even right after signing in.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": "correct-horse-battery"})
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = response.context["form"].secret
    code = current_code(secret)
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()

    client.logout()
    response = client.post("/accounts/login/", login)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
