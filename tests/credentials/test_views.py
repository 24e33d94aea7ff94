"""The wallet, each award's page and its privacy, downloads, the certificate, the verify page and
API, the issuer's published keys and status list, and the staff views."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from curriculum.credentials import awarding, status
from curriculum.credentials.models import Award
from tests.factories import CredentialDefinitionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def award(learner, home_page):
    definition = CredentialDefinitionFactory(name_ja="自治体DX基礎", name_en="Municipal DX basics")
    return awarding.award_manually(learner, definition, awarded_by=None, reason="テスト")


def award_url(award, name="award"):
    return reverse(f"credentials:{name}", args=[award.uuid])


def test_the_wallet_lists_the_learners_awards_only(client, award, learner):
    assert client.get(reverse("credentials:wallet")).status_code == 302  # sign in first
    awarding.award_manually(UserFactory(), award.definition, awarded_by=None, reason="他人")
    client.force_login(learner)
    response = client.get(reverse("credentials:wallet"))
    assert response.status_code == 200
    assert list(response.context["awards"]) == [award]
    assert award_url(award, "download_json") in response.content.decode()


def test_an_award_not_opted_in_is_404_to_everyone_but_its_holder(client, award, learner):
    for name in ("award", "download_json", "download_jwt", "certificate"):
        assert client.get(award_url(award, name)).status_code == 404, name
    client.force_login(UserFactory())
    assert client.get(award_url(award)).status_code == 404
    client.force_login(learner)
    page = client.get(award_url(award))
    assert page.status_code == 200
    assert '<meta name="robots" content="noindex, nofollow">' in page.content.decode()


def test_the_holder_opts_in_and_the_page_stays_noindex_unless_chosen(client, award, learner):
    stranger = Client()
    client.force_login(learner)
    client.post(award_url(award, "sharing"), {"is_public": "on"})
    html = stranger.get(award_url(award)).content.decode()
    assert "自治体DX基礎" in html and 'content="noindex, nofollow"' in html
    client.post(award_url(award, "sharing"), {"is_public": "on", "is_indexable": "on"})
    assert 'name="robots"' not in stranger.get(award_url(award)).content.decode()
    # Private again: search-engine listing goes with it.
    client.post(award_url(award, "sharing"), {"is_indexable": "on"})
    award.refresh_from_db()
    assert (award.is_public, award.is_indexable) == (False, False)
    assert stranger.get(award_url(award)).status_code == 404


def test_only_the_holder_changes_sharing(client, award):
    client.force_login(UserFactory())
    assert client.post(award_url(award, "sharing"), {"is_public": "on"}).status_code == 404
    award.refresh_from_db()
    assert not award.is_public


def test_download_then_paste_into_the_verify_page(client, award, learner):
    client.force_login(learner)
    download = client.get(award_url(award, "download_json"))
    assert download["Content-Disposition"].startswith("attachment;")
    text = download.content.decode()
    assert json.loads(text) == award.credential

    verified = client.post(reverse("credentials:verify"), {"text": text})
    assert verified.status_code == 200
    assert verified.context["report"].verified

    edited = text.replace("自治体DX基礎", "自治体DX応用", 1)
    refused = client.post(reverse("credentials:verify"), {"text": edited})
    report = refused.context["report"]
    assert not report.verified
    assert report.checks[1] == {
        "name": "signature",
        "status": "failed",
        "message": report.checks[1]["message"],
    }
    assert report.checks[1]["message"] in refused.content.decode()


def test_the_verify_page_takes_a_file_and_a_jwt(client, award, learner):
    client.force_login(learner)
    token = client.get(award_url(award, "download_jwt")).content
    upload = SimpleUploadedFile("credential.jwt", token, content_type="application/jwt")
    response = Client().post(reverse("credentials:verify"), {"file": upload})
    assert response.context["report"].verified


@pytest.mark.parametrize(
    "data",
    [
        {"text": ""},
        {"text": "{not json"},
        {"file": SimpleUploadedFile("x.json", b"\xff\xfe\x00garbage")},
    ],
)
def test_the_verify_page_explains_bad_input(client, data, home_page):
    response = client.post(reverse("credentials:verify"), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_api_needs_no_login_or_csrf_and_answers_in_its_shape(award):
    client = Client(enforce_csrf_checks=True)
    url = reverse("credential_verify_api")
    assert url == "/api/credentials/verify"
    ok = client.post(url, json.dumps(award.credential), content_type="application/json")
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {"verified", "checks", "errors"}
    assert body["verified"] is True and body["errors"] == []
    assert [c["name"] for c in body["checks"]] == [
        "schema",
        "signature",
        "issuer",
        "validity",
        "revocation",
    ]
    assert all(set(c) == {"name", "status", "message"} for c in body["checks"])

    from curriculum.credentials import proofs

    token = proofs.to_jwt(award.credential)
    assert client.post(url, token, content_type="application/jwt").json()["verified"]
    wrapped = json.dumps({"jwt": token})
    assert client.post(url, wrapped, content_type="application/json").json()["verified"]

    tampered = dict(award.credential, name="別の認定")
    body = client.post(url, json.dumps(tampered), content_type="application/json").json()
    assert body["verified"] is False
    assert any(e.startswith("signature: ") for e in body["errors"])


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[]", b"hello"])
def test_the_api_refuses_unreadable_bodies_with_its_shape(client, body, db):
    response = client.post(reverse("credential_verify_api"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["verified"] is False and response.json()["errors"]


def test_the_api_is_post_only_and_bounded(client, db):
    url = reverse("credential_verify_api")
    assert client.get(url).status_code == 405
    huge = b'{"a": "' + b"x" * 1_000_001 + b'"}'
    assert client.post(url, huge, content_type="application/json").status_code == 413
    larger_than_django_reads = b"x" * 3_000_000
    response = client.post(url, larger_than_django_reads, content_type="application/json")
    assert response.status_code == 413 and response.json()["verified"] is False
    deep = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post(url, deep, content_type="application/json")
    assert response.status_code == 400 and response.json()["verified"] is False


def test_the_issuer_publishes_its_keys_and_status_list(client, award):
    did = client.get("/.well-known/did.json").json()
    method = award.credential["proof"][0]["verificationMethod"]
    assert did["id"] == "did:web:testserver" and method.startswith(did["id"] + "#")
    assert [m["id"] for m in did["verificationMethod"]] == [method]
    assert did["assertionMethod"] == [method]
    jwks = client.get("/.well-known/jwks.json").json()
    assert jwks["keys"][0]["kid"] == method and jwks["keys"][0]["crv"] == "Ed25519"

    entry = award.credential["credentialStatus"]
    list_url = entry["statusListCredential"].removeprefix("http://testserver")
    encoded = client.get(list_url).json()["credentialSubject"]["encodedList"]
    assert not status.is_set(encoded, int(entry["statusListIndex"]))
    awarding.revoke(award, by=None, reason="誤発行")
    encoded = client.get(list_url).json()["credentialSubject"]["encodedList"]
    assert status.is_set(encoded, int(entry["statusListIndex"]))
    assert client.get("/credentials/status/9").status_code == 404

    achievement_url = award.credential["credentialSubject"]["achievement"]["id"]
    achievement = client.get(achievement_url.removeprefix("http://testserver")).json()
    assert achievement["name"] == "自治体DX基礎"


def test_the_certificate_prints_on_a4(client, award, learner):
    client.force_login(learner)
    html = client.get(award_url(award, "certificate")).content.decode()
    assert "修了証明書" in html and "自治体DX基礎" in html and str(award.uuid) in html
    css = finders.find("credentials/certificate.css")
    assert css, "the stylesheet is not among the static files"
    css = Path(css).read_text()
    assert "size: A4 portrait" in css


def test_pages_render_in_english(client, award, learner):
    client.force_login(learner)
    assert client.get(f"/en/credentials/{award.uuid}/").status_code == 200
    assert client.get("/en/credentials/").status_code == 200
    assert client.get("/en/credentials/verify/").status_code == 200
    assert client.get("/en/credentials/framework/").status_code == 200


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="credentials", codename__in=codenames),
    )
    return user


def test_manual_award_and_revocation_need_their_permissions(client, learner, home_page):
    definition = CredentialDefinitionFactory()
    create = reverse("credential_award_create")
    data = {"definition": definition.pk, "email": learner.email, "reason": "講師を務めた"}

    client.force_login(staff_with("view_award"))
    assert client.get(reverse("credential_awards")).status_code == 200
    assert client.post(create, data).status_code in (302, 403)  # Wagtail: back to the dashboard
    assert not Award.objects.exists()

    client.force_login(staff_with("view_award", "add_award"))
    assert client.post(create, data).status_code == 302
    award = Award.objects.get()
    assert (award.user, award.method, award.reason) == (learner, "manual", "講師を務めた")
    again = client.post(create, data)
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    unknown = client.post(create, dict(data, email="nobody@example.jp"))
    assert "email" in unknown.context["form"].errors

    revoke = reverse("credential_revoke", args=[award.pk])
    assert client.post(revoke, {"reason": "誤り"}).status_code in (302, 403)
    award.refresh_from_db()
    assert award.revoked_at is None
    client.force_login(staff_with("view_award", "revoke_award"))
    assert client.post(revoke, {"reason": ""}).status_code == 200  # a reason is required
    assert client.post(revoke, {"reason": "誤って付与"}).status_code == 302
    award.refresh_from_db()
    assert award.revocation_reason == "誤って付与" and award.revoked_by is not None


def test_the_award_list_is_staff_only(client, learner, home_page):
    client.force_login(learner)
    assert client.get(reverse("credential_awards")).status_code in (302, 403)


def test_query_counts_do_not_grow_with_awards(client, learner, home_page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from wagtail_factories import ImageFactory

    def add_awards(n):
        for _ in range(n):
            definition = CredentialDefinitionFactory(image=ImageFactory())
            awarding.award_manually(learner, definition, awarded_by=None, reason="x")

    def queries(url):
        client.get(url)  # renditions of new badge images are made on first sight
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    add_awards(2)
    client.force_login(learner)
    first = Award.objects.filter(user=learner).first()
    urls = [reverse("credentials:wallet"), award_url(first), reverse("credentials:framework")]
    before = [queries(url) for url in urls]
    add_awards(8)
    assert [queries(url) for url in urls] == before
    assert max(before) <= 20


def test_what_credentials_depend_on_cannot_be_deleted_from_the_admin(client, course, learner):
    from curriculum.credentials.models import CredentialRule

    definition = CredentialDefinitionFactory(name_ja="DX修了")
    CredentialRule.objects.create(definition=definition, kind="course", course=course)
    awarding.award_manually(learner, definition, awarded_by=None, reason="x")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(reverse("wagtailadmin_pages:delete", args=[course.pk]), follow=True)
    assert "DX修了" in response.content.decode()
    assert type(course).objects.filter(pk=course.pk).exists()
    url = reverse("wagtailsnippets_credentials_credentialdefinition:delete", args=[definition.pk])
    client.post(url)
    assert type(definition).objects.filter(pk=definition.pk).exists()
