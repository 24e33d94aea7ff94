"""Account security: sign-in throttling and lockout, MFA for staff and moderators, password
validators, no open redirects, no account enumeration."""

import re
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.core.internal.ratelimit import parse_rates
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core import mail
from django.utils import translation

from knowledge import posting
from people.adapters import AccountAdapter, MFAAdapter
from people.mfa import MFA_REQUIRED_MESSAGE
from tests.factories import MunicipalityFactory, UserFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def login(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def with_totp(user):
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    return secret


def current_code(secret):
    """The code of the current window. allauth accepts no other (MFA_TOTP_TOLERANCE is 0), so a
    code made in a window's last seconds may reach the server in the next one on a loaded
    machine: those seconds are waited out."""
    period = mfa_settings.TOTP_PERIOD
    while time.time() % period > period - 3:
        time.sleep(0.25)
    return totp_auth.format_hotp_value(
        totp_auth.hotp_value(secret, next(totp_auth.yield_hotp_counters_from_time()))
    )


def translated(message, language="ja"):
    """`message` (a message id or a lazy translation) as a reader of `language` sees it."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


# --- Throttling and lockout -------------------------------------------------------------------


def test_rate_limits_cover_failed_logins_per_address_and_account_reset_signup_and_confirmation():
    from allauth.account import app_settings

    limits = app_settings.RATE_LIMITS
    failed = {rate.per: rate for rate in parse_rates(limits["login_failed"])}
    assert failed["key"].amount == 5 and failed["key"].duration == 15 * 60
    assert failed["ip"].amount >= 10
    for action in ["login", "signup", "reset_password", "confirm_email"]:
        assert parse_rates(limits[action]), action
    assert {r.per for r in parse_rates(limits["reset_password"])} == {"ip", "key"}


def test_five_failures_lock_the_account_even_against_the_right_password(client):
    UserFactory(email="target@example.jp")
    UserFactory(email="bystander@example.jp")
    for _attempt in range(5):
        response = login(client, "target@example.jp", "wrong-password-123")
        assert response.status_code == 200
        assert not signed_in(client)

    response = login(client, "target@example.jp")
    assert response.status_code == 200
    assert not signed_in(client), "the correct password is refused during the lockout"
    expected = translated(AccountAdapter.error_messages["too_many_login_attempts"])
    assert expected in response.content.decode()

    # Another account from the same address is not locked.
    response = login(client, "bystander@example.jp")
    assert response.status_code == 302
    assert signed_in(client)


def test_the_lockout_message_is_translated_in_english_too(client):
    UserFactory(email="target@example.jp")
    for _attempt in range(6):
        response = client.post(
            "/en/accounts/login/", {"login": "target@example.jp", "password": "nope-nope-nope"}
        )
    assert "Sign-in to this account is paused" in response.content.decode()


def test_an_unknown_address_is_throttled_alike(client):
    """A lockout that only known accounts got would tell which addresses have one."""
    for email in ["target@example.jp", "nobody@example.jp"]:
        UserFactory(email="target@example.jp")
        for _attempt in range(6):
            response = login(client, email, "wrong-password-123")
        assert translated(AccountAdapter.error_messages["too_many_login_attempts"]) in (
            response.content.decode()
        ), email


def test_failures_from_one_address_do_not_lock_out_other_addresses(client):
    UserFactory(email="target@example.jp")
    here = {"REMOTE_ADDR": "192.0.2.10"}
    for n in range(30):
        login(client, f"guess{n}@example.jp", "wrong-password-123", **here)
    response = login(client, "target@example.jp", **here)
    assert not signed_in(client), "the address is throttled after 30 failures"
    response = login(client, "target@example.jp", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    assert signed_in(client)


def test_many_requests_get_a_translated_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    for _attempt in range(2):
        login(client, "x@example.jp", "wrong-password-123")
    response = login(client, "x@example.jp", "wrong-password-123")
    assert response.status_code == 429
    assert translated("Too many attempts") in response.content.decode()


# --- MFA for staff and moderators --------------------------------------------------------------


def moderators_only_group():
    group, _created = Group.objects.get_or_create(name="Q&A moderators without admin")
    group.permissions.add(Permission.objects.get(codename="moderate_posts"))
    return group


PRIVILEGED = {
    "staff": lambda: UserFactory(is_staff=True),
    "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    "wagtail editor": lambda: _in_group("Editors"),
    "moderator": lambda: _in_group("Moderators"),
}


def _in_group(name):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.mark.parametrize("kind", PRIVILEGED)
def test_privileged_users_without_totp_are_sent_to_set_it_up(client, mfa_required, kind):
    user = PRIVILEGED[kind]()
    client.force_login(user)
    for url in ["/admin/", "/admin/pages/", "/admin/knowledge/moderation/"]:
        response = client.get(url)
        assert response.status_code == 302, (kind, url)
        assert response["Location"] == "/accounts/2fa/totp/activate/", (kind, url)


@pytest.mark.parametrize("kind", PRIVILEGED)
def test_with_totp_they_pass(client, mfa_required, kind):
    user = PRIVILEGED[kind]()
    with_totp(user)
    client.force_login(user)
    response = client.get("/admin/")
    if kind == "staff":  # staff status alone does not open Wagtail's admin
        assert response["Location"] != "/accounts/2fa/totp/activate/"
    else:
        assert response.status_code == 200, kind


def test_the_activation_page_explains_why(client, mfa_required):
    user = _in_group("Moderators")
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    # allauth asks for the password before showing the secret; the reason is on both pages.
    assert translated(MFA_REQUIRED_MESSAGE) in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.request["PATH_INFO"] == "/accounts/2fa/totp/activate/"
    assert translated(MFA_REQUIRED_MESSAGE) in response.content.decode()

    secret = response.context["form"].secret
    client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert client.get("/admin/").status_code == 200
    assert translated(MFA_REQUIRED_MESSAGE) not in client.get("/accounts/2fa/").content.decode()


def test_enforcement_off_lets_them_in(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    client.force_login(_in_group("Moderators"))
    assert client.get("/admin/").status_code == 200


def test_a_learner_is_never_asked(client, mfa_required, settings):
    learner = UserFactory()
    client.force_login(learner)
    question = posting.ask(
        learner, title="庁内LANの更新時期は？", body="何年ごとが妥当でしょうか。"
    )
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")
    for url in [
        "/people/me/",
        f"/questions/{question.pk}/",
        f"/questions/question/{question.pk}/edit/",
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert all("/2fa/" not in hop for hop, _status in response.redirect_chain), url
    assert translated(MFA_REQUIRED_MESSAGE) not in client.get("/accounts/email/").content.decode()


def test_moderation_on_the_site_needs_mfa_but_their_own_posts_do_not(client, mfa_required):
    moderator = _in_group("Moderators")
    member = UserFactory()
    theirs = posting.ask(member, title="ガバクラ移行の費用は？", body="概算を知りたいです。")
    own = posting.ask(moderator, title="RPAの保守体制は？", body="外部委託ですか。")
    client.force_login(moderator)

    response = client.get(f"/questions/question/{theirs.pk}/edit/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    response = client.post(f"/questions/{theirs.pk}/reopen/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    response = client.get(f"/questions/{theirs.pk}/close/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"

    assert client.get(f"/questions/question/{own.pk}/edit/").status_code == 200
    assert client.get(f"/questions/{own.pk}/close/").status_code == 200

    with_totp(moderator)
    assert client.get(f"/questions/question/{theirs.pk}/edit/").status_code == 200


def test_previewing_someone_else_s_case_draft_is_moderation(client, mfa_required, home_page):
    from casestudies.models import CaseStudyIndexPage, CaseStudyPage

    index = CaseStudyIndexPage(title="事例ライブラリ", slug="cases", intro="事例です。")
    home_page.add_child(instance=index)
    moderator = _in_group("Moderators")
    author = UserFactory()
    drafts = {}
    for who in (author, moderator):
        draft = CaseStudyPage(
            title=f"下書き{who.pk}",
            slug=f"draft-{who.pk}",
            municipality=MunicipalityFactory(),
            summary="概要",
            live=False,
            owner=who,
        )
        draft.authors = [who]
        index.add_child(instance=draft)
        draft.save_revision(user=who)
        drafts[who] = draft
    client.force_login(moderator)
    response = client.get(f"/case-studies/{drafts[author].pk}/preview/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get(f"/case-studies/{drafts[moderator].pk}/preview/").status_code == 200
    client.force_login(author)
    assert client.get(f"/case-studies/{drafts[author].pk}/preview/").status_code == 200


def test_a_moderator_without_admin_access_is_asked_too(client, mfa_required):
    user = UserFactory()
    user.groups.add(moderators_only_group())
    question = posting.ask(UserFactory(), title="LGWANの二重化は？", body="必要でしょうか。")
    client.force_login(user)
    response = client.post(f"/questions/{question.pk}/reopen/")
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_privileged_users_cannot_turn_totp_off_while_it_is_required(client, mfa_required):
    user = _in_group("Moderators")
    with_totp(user)
    totp = Authenticator.objects.get(user=user, type="totp")
    assert not MFAAdapter().can_delete_authenticator(totp)
    learner = UserFactory()
    with_totp(learner)
    assert MFAAdapter().can_delete_authenticator(
        Authenticator.objects.get(user=learner, type="totp")
    )


def test_sign_in_with_totp_asks_for_the_code(client):
    user = _in_group("Moderators")
    secret = with_totp(user)
    response = login(client, user.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not signed_in(client)
    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert signed_in(client)


def test_the_wagtail_login_cannot_skip_the_mfa_stage(client):
    user = UserFactory(is_staff=True, is_superuser=True, email="admin@example.jp")
    with_totp(user)
    # Anonymous visitors to the admin are sent to allauth's sign-in.
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/accounts/login/"
    assert parse_qs(target.query)["next"] == ["/admin/pages/"]
    # Wagtail's own form answers a password alone; it is not reachable.
    response = client.post(
        "/admin/login/?next=/admin/pages/", {"username": "admin@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/pages/"
    assert not signed_in(client)
    # Nor are its password reset and password/e-mail settings.
    assert client.get("/admin/password_reset/").status_code == 404
    assert settings.WAGTAIL_PASSWORD_MANAGEMENT_ENABLED is False
    assert settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED is False


# --- Password validators -----------------------------------------------------------------------


WEAK_PASSWORDS = {
    "short": "a1b2c3d4",
    "common": "qwertyuiop",
    "numeric": "20262026202620",
    "similar": "tanaka.town",
}


def signup_data(password, **overrides):
    return {
        "email": "tanaka@town.example.jp",
        "password1": password,
        "password2": password,
        "display_name": "田中 一郎",
        "municipality": MunicipalityFactory().code,
        **overrides,
    }


@pytest.mark.parametrize("kind", WEAK_PASSWORDS)
def test_sign_up_refuses_weak_passwords_in_japanese(client, kind):
    response = client.post("/accounts/signup/", signup_data(WEAK_PASSWORDS[kind]))
    assert response.status_code == 200, kind
    errors = response.context["form"].errors["password1"]
    assert errors, kind
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", error) for error in errors), errors
    assert not get_user_model().objects.filter(email="tanaka@town.example.jp").exists()


def test_the_common_password_message_is_django_s_translated_one(client):
    response = client.post("/accounts/signup/", signup_data(WEAK_PASSWORDS["common"]))
    with translation.override("ja"):
        expected = CommonPasswordValidator().get_error_message()
    assert expected in response.context["form"].errors["password1"]


@pytest.mark.parametrize("kind", WEAK_PASSWORDS)
def test_password_change_refuses_weak_passwords(client, kind):
    user = UserFactory(email="tanaka@town.example.jp")
    client.force_login(user)
    password = WEAK_PASSWORDS[kind]
    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": password, "password2": password},
    )
    assert response.status_code == 200, kind
    assert response.context["form"].errors["password1"], kind
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_strong_password_is_accepted(client):
    response = client.post("/accounts/signup/", signup_data("kasumigaseki-2026-dx"))
    assert response.status_code == 302


# --- No open redirects -------------------------------------------------------------------------


PAYLOADS = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "http://testserver@evil.example",
    "/%09/evil.example",
    " //evil.example",
]


def assert_stays_here(response, base="http://testserver/"):
    assert response.status_code in (301, 302, 303), response.status_code
    location = response["Location"]
    # Read the address as a browser would: backslashes are slashes, tabs and newlines vanish.
    browser = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    target = urlsplit(urljoin(base, browser))
    assert target.scheme in ("http", ""), location
    assert target.netloc in ("testserver", ""), location
    assert "evil" not in target.netloc, location


@pytest.mark.parametrize("payload", PAYLOADS)
def test_login_next_stays_on_the_site(client, payload):
    UserFactory(email="member@example.jp")
    response = client.post(
        "/accounts/login/", {"login": "member@example.jp", "password": PASSWORD, "next": payload}
    )
    assert_stays_here(response)
    # Already signed in, the sign-in page forwards to `next`: still only here.
    response = client.get("/accounts/login/", {"next": payload})
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_raw_encoded_next_stays_on_the_site(client, payload):
    client.force_login(UserFactory())
    response = client.get(f"/accounts/login/?next={payload}")
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_logout_next_stays_on_the_site(client, payload):
    client.force_login(UserFactory())
    response = client.post("/accounts/logout/", {"next": payload})
    assert_stays_here(response)
    assert not signed_in(client)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_signup_next_stays_on_the_site(client, payload):
    response = client.post(
        "/accounts/signup/", {**signup_data("kasumigaseki-2026-dx"), "next": payload}
    )
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_language_switch_next_stays_on_the_site(client, payload):
    response = client.post("/i18n/setlang/", {"language": "en", "next": payload})
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reauthentication_next_stays_on_the_site(client, payload):
    client.force_login(UserFactory())
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": payload})
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_wagtail_login_next_stays_on_the_site(client, payload):
    response = client.get("/admin/login/", {"next": payload})
    target = urlsplit(response["Location"])
    assert target.path == "/accounts/login/"
    (forwarded,) = parse_qs(target.query)["next"]
    assert forwarded.startswith("/") and not forwarded.startswith(("//", "/\\"))
    UserFactory(email="member@example.jp")
    response = client.post(
        response["Location"], {"login": "member@example.jp", "password": PASSWORD}
    )
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_knowledge_follow_next_stays_on_the_site(client, payload):
    member = UserFactory()
    question = posting.ask(
        make_member("質問 者"), title="窓口DXの進め方は？", body="順番を知りたい。"
    )
    client.force_login(member)
    response = client.post(f"/questions/follow/question/{question.pk}/", {"next": payload})
    assert_stays_here(response)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_moderation_queue_next_stays_on_the_site(client, payload):
    moderator = _in_group("Moderators")
    question = posting.ask(UserFactory(), title="電子申請の導入順は？", body="優先度は？")
    client.force_login(moderator)
    response = client.post(
        f"/admin/knowledge/moderation/questions/{question.pk}/lock/",
        {"locked": "1", "next": payload},
    )
    assert_stays_here(response)


# --- No account enumeration --------------------------------------------------------------------


def outcome(response):
    return (
        response.status_code,
        response.get("Location"),
        [str(m) for m in response.wsgi_request._messages],
    )


def test_signup_with_a_taken_address_looks_like_a_new_sign_up(client):
    municipality = MunicipalityFactory()
    UserFactory(email="taken@example.jp")
    data = {
        "password1": "kasumigaseki-2026-dx",
        "password2": "kasumigaseki-2026-dx",
        "display_name": "田中 一郎",
        "municipality": municipality.code,
    }
    taken = client.post("/accounts/signup/", {**data, "email": "taken@example.jp"})
    client.logout()
    fresh = client.post("/accounts/signup/", {**data, "email": "fresh@example.jp"})
    taken_outcome, fresh_outcome = outcome(taken), outcome(fresh)
    assert taken_outcome[:2] == fresh_outcome[:2] == (302, "/accounts/confirm-email/")
    assert [m.replace("taken@", "X@") for m in taken_outcome[2]] == [
        m.replace("fresh@", "X@") for m in fresh_outcome[2]
    ]
    # Each address's owner hears about it; nobody else learns anything.
    assert [m.to for m in mail.outbox] == [["taken@example.jp"], ["fresh@example.jp"]]
    assert get_user_model().objects.filter(email="taken@example.jp").count() == 1
    assert not EmailAddress.objects.filter(
        email="taken@example.jp", user__profile__display_name="田中 一郎"
    ).exists()
    confirm = client.get("/accounts/confirm-email/")
    assert confirm.status_code == 200


def test_password_reset_for_an_unknown_address_looks_like_a_known_one(client):
    UserFactory(email="known@example.jp")
    known = client.post("/accounts/password/reset/", {"email": "known@example.jp"})
    unknown = client.post("/accounts/password/reset/", {"email": "unknown@example.jp"})
    assert outcome(known) == outcome(unknown)
    assert known["Location"] == "/accounts/password/reset/done/"
    done_known = client.get(known["Location"]).content
    assert done_known == client.get(unknown["Location"]).content
    # The known owner gets a reset link; the unknown address is told no account exists, so
    # an attacker who does not read that mailbox learns nothing.
    assert [m.to for m in mail.outbox] == [["known@example.jp"], ["unknown@example.jp"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


def test_prevent_enumeration_is_on():
    assert settings.ACCOUNT_PREVENT_ENUMERATION is True


def test_a_wrong_password_and_an_unknown_address_get_the_same_error(client):
    UserFactory(email="known@example.jp")
    wrong = client.post("/accounts/login/", {"login": "known@example.jp", "password": "x" * 12})
    unknown = client.post("/accounts/login/", {"login": "unknown@example.jp", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].errors == unknown.context["form"].errors
