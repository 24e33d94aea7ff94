"""Issued credentials against the official Open Badges 3.0 schema, and the verifier's five checks
on valid, tampered, wrong-key, expired, revoked and foreign credentials, as JSON and as VC-JWT."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from jsonschema import Draft201909Validator

from curriculum.credentials import awarding, keys, proofs, status, verification
from curriculum.credentials.models import Award, SigningKey
from tests.factories import (
    CompetencyFactory,
    CredentialCompetencyFactory,
    CredentialDefinitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHARED = Path(settings.BASE_DIR).parent / "shared" / "data" / "openbadges" / "educredentials"
OFFICIAL_SCHEMA = SHARED / "ob_v3p0_achievementcredential_schema.json"
needs_shared = pytest.mark.skipif(
    not OFFICIAL_SCHEMA.exists(), reason="../shared/data/openbadges is not beside the project"
)


def statuses(report):
    return {check["name"]: check["status"] for check in report.checks}


@pytest.fixture
def award(learner):
    definition = CredentialDefinitionFactory(name_ja="情報セキュリティ実務", validity_days=730)
    CredentialCompetencyFactory(
        definition=definition, competency=CompetencyFactory(code="C5"), level=2
    )
    definition.alignments.create(
        framework="dss",
        target_name="サイバーセキュリティ",
        target_url="https://www.ipa.go.jp/jinzai/skill-standard/dss/",
    )
    return awarding.award_manually(learner, definition, awarded_by=None, reason="講師として登壇")


@needs_shared
def test_the_bundled_schema_is_the_official_one():
    assert verification.SCHEMA_PATH.read_bytes() == OFFICIAL_SCHEMA.read_bytes()


@needs_shared
def test_every_issued_credential_validates_against_the_official_schema(award, learner):
    validator = Draft201909Validator(json.loads(OFFICIAL_SCHEMA.read_text()))
    plain = awarding.award_manually(
        UserFactory(), CredentialDefinitionFactory(), awarded_by=None, reason="x"
    )
    for issued in (award, plain):
        assert list(validator.iter_errors(issued.credential)) == []
        assert list(validator.iter_errors(proofs.from_jwt(proofs.to_jwt(issued.credential)))) == []
    subject = award.credential["credentialSubject"]
    assert subject["achievement"]["alignment"][0]["targetCode"] == "C5-2"
    assert subject["identifier"][0]["hashed"] is True
    assert learner.email not in json.dumps(award.credential)  # only a salted hash


def test_a_genuine_credential_is_verified(award):
    report = verification.verify_credential(copy.deepcopy(award.credential))
    assert report.verified, report.errors
    assert [c["name"] for c in report.checks] == list(verification.CHECKS)
    assert report.as_json()["errors"] == []


@pytest.mark.parametrize(
    "path, value",
    [
        (("name",), "情報セキュリティ実務X"),
        (("credentialSubject", "achievement", "criteria", "narrative"), "何もしていない"),
        (("validFrom",), "2020-01-01T00:00:00+00:00"),
        (("issuer", "name"), "偽の発行者"),
    ],
)
def test_changing_any_field_breaks_the_signature(award, path, value):
    tampered = copy.deepcopy(award.credential)
    target = tampered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    report = verification.verify_credential(tampered)
    assert not report.verified
    assert statuses(report)["signature"] == "failed"
    assert any(e.startswith("signature: ") for e in report.errors)


def test_one_character_edited_in_the_downloaded_text_is_caught(award):
    text = json.dumps(award.credential, ensure_ascii=False, indent=2)
    edited = text.replace("情報セキュリティ実務", "情報セキュリティ実践", 1)
    assert edited != text
    report = verification.verify_text(edited)
    assert not report.verified and statuses(report)["signature"] == "failed"
    assert verification.verify_text(text).verified


def test_a_key_that_is_not_ours_fails(award):
    # Sign with a key this platform never published.
    stranger = keys.create_key()
    forged = proofs.sign(award.credential, created="2026-01-01T00:00:00+00:00", key=stranger)
    SigningKey.objects.filter(pk=stranger.pk).delete()
    report = verification.verify_credential(forged)
    assert statuses(report)["signature"] == "failed"
    assert stranger.kid in report.checks[1]["message"]


def test_a_proof_copied_onto_other_content_fails(award, learner):
    other = awarding.award_manually(
        UserFactory(), CredentialDefinitionFactory(), awarded_by=None, reason="x"
    )
    mixed = copy.deepcopy(other.credential)
    mixed["proof"] = award.credential["proof"]
    assert statuses(verification.verify_credential(mixed))["signature"] == "failed"


def test_rotated_keys_keep_verifying_and_revoked_keys_do_not(award):
    old = SigningKey.objects.get(is_active=True)
    keys.create_key()
    assert verification.verify_credential(award.credential).verified
    SigningKey.objects.filter(pk=old.pk).update(revoked_at=timezone.now())
    report = verification.verify_credential(award.credential)
    assert statuses(report)["signature"] == "failed"


def test_an_expired_credential_fails_on_its_dates(award):
    Award.objects.filter(pk=award.pk).update(expires_at=timezone.now() - timedelta(days=1))
    # Re-sign as if it had been issued long ago with a validUntil in the past.
    credential = {k: v for k, v in award.credential.items() if k != "proof"}
    credential["validFrom"] = "2023-04-01T00:00:00+00:00"
    credential["validUntil"] = "2025-03-31T00:00:00+00:00"
    signed = proofs.sign(credential, created="2023-04-01T00:00:00+00:00")
    report = verification.verify_credential(signed)
    assert statuses(report) == {
        "schema": "passed",
        "signature": "passed",
        "issuer": "passed",
        "validity": "failed",
        "revocation": "passed",
    }
    assert "2025-03-31" in report.errors[0]


def test_a_revoked_credential_fails_through_the_status_list(award):
    assert not status.is_revoked(award.status_index)
    awarding.revoke(award, by=None, reason="誤って発行")
    assert status.is_revoked(award.status_index)
    report = verification.verify_credential(award.credential)
    assert statuses(report)["revocation"] == "failed"
    assert statuses(report)["signature"] == "passed"


def test_the_jwt_form_verifies_and_fails_the_same_ways(award):
    token = proofs.to_jwt(award.credential)
    assert verification.verify_text(token).verified
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    report = verification.verify_text(forged)
    assert not report.verified
    assert verification.verify_text(json.dumps({"jwt": token})).verified
    awarding.revoke(award, by=None, reason="誤って発行")
    assert statuses(verification.verify_text(token))["revocation"] == "failed"


@needs_shared
@pytest.mark.parametrize(
    "example",
    [
        *sorted((SHARED / "credentials").glob("*.json")),
        SHARED / "full_ex.json",
        SHARED / "minimal_valid_obv3.json",
    ],
    ids=lambda p: p.name,
)
def test_examples_from_elsewhere_are_schema_valid_but_never_verified(example):
    report = verification.verify_text(example.read_text(encoding="utf-8"))
    result = statuses(report)
    assert result["schema"] == "passed", report.errors
    assert result["signature"] == "failed"
    assert not report.verified


@pytest.mark.parametrize(
    "text",
    ["", "   ", "{", "[1, 2]", "not a credential", "a.b.c", '{"credential": 5}', "{}"],
)
def test_malformed_input_is_reported_not_raised(text):
    try:
        report = verification.verify_text(text)
    except ValueError as error:
        assert str(error)
    else:
        assert not report.verified and report.errors


def test_duplicate_keys_and_deep_nesting_are_refused(award):
    text = json.dumps(award.credential, ensure_ascii=False)
    doubled = text.replace('"name": ', '"name": "偽物の資格", "name": ', 1)
    with pytest.raises(ValueError, match="name"):
        verification.verify_text(doubled)
    with pytest.raises(ValueError):
        verification.verify_text("{" + '"a": [' * 5000 + "]" * 5000 + "}")
    with pytest.raises(ValueError):
        verification.verify_text('{"a": ' + "[" * 40 + "]" * 40 + "}")


def test_a_proof_with_its_own_context_or_a_future_date_fails(award):
    foreign = copy.deepcopy(award.credential)
    foreign["proof"][0]["@context"] = ["https://evil.example/context"]
    assert statuses(verification.verify_credential(foreign))["signature"] == "failed"
    own = copy.deepcopy(award.credential)
    own["proof"][0]["@context"] = award.credential["@context"][:1]
    # A proof context that begins the document's is allowed: the document's is what is hashed.
    assert statuses(verification.verify_credential(own))["signature"] == "passed"
    future = {k: v for k, v in award.credential.items() if k != "proof"}
    signed = proofs.sign(future, created="2099-01-01T00:00:00+00:00")
    report = verification.verify_credential(signed)
    assert statuses(report)["signature"] == "failed" and "future" in report.checks[1]["message"]


def test_a_compromised_key_is_replaced_and_its_credentials_resigned(award):
    from io import StringIO

    from django.core.management import call_command

    old = SigningKey.objects.get(is_active=True)
    call_command("credential_keys", "--rotate", stdout=StringIO())
    call_command("credential_keys", "--revoke", old.kid, stdout=StringIO())
    assert not verification.verify_credential(award.credential).verified
    out = StringIO()
    call_command("credential_keys", "--resign", stdout=out)
    assert out.getvalue().startswith("1 ")
    award.refresh_from_db()
    assert verification.verify_credential(award.credential).verified
    assert award.credential["proof"][0]["verificationMethod"] != old.verification_method
