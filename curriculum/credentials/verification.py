"""Verifying a credential someone shows us: pasted JSON, an uploaded file or a VC-JWT.

Five named checks, each passed, failed or skipped with a reason: the official Open Badges 3.0
schema, the signature (ours, by a key that still verifies), the issuer (this platform), the
validity dates, and revocation (our status list). `verified` is true only when all five pass, so
a schema-valid credential from another issuer is reported as such but never as verified."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft201909Validator

from core.dates import local_date, local_minute

from . import keys, proofs, status
from .models import Award

SCHEMA_PATH = Path(__file__).parent / "schema" / "ob_v3p0_achievementcredential_schema.json"
CHECKS = ("schema", "signature", "issuer", "validity", "revocation")
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@cache
def _validator() -> Draft201909Validator:
    return Draft201909Validator(json.loads(SCHEMA_PATH.read_text()))


@dataclass
class Report:
    checks: list[dict] = field(default_factory=list)
    credential: dict | None = None
    award: Award | None = None

    def add(self, name: str, outcome: str, message: str) -> None:
        self.checks.append({"name": name, "status": outcome, "message": message})

    @property
    def errors(self) -> list[str]:
        return [f"{c['name']}: {c['message']}" for c in self.checks if c["status"] == FAILED]

    @property
    def verified(self) -> bool:
        return len(self.checks) == len(CHECKS) and all(c["status"] == PASSED for c in self.checks)

    def as_json(self) -> dict:
        return {"verified": self.verified, "checks": self.checks, "errors": self.errors}


def schema_errors(credential) -> list[str]:
    """Human-readable schema violations, first few, with where they are."""
    found = sorted(_validator().iter_errors(credential), key=lambda e: list(e.path))
    return [
        f"{'/'.join(str(p) for p in error.path) or '(root)'}: {error.message[:200]}"
        for error in found[:5]
    ]


def parse(text: str) -> tuple[dict | None, str | None]:
    """(credential JSON, None) or (None, jwt) from what the user pasted; ValueError if neither."""
    text = (text or "").strip().lstrip("\ufeff")
    if not text:
        raise ValueError(_("Paste a credential, or choose a file."))
    if text.startswith("{"):
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as error:
            raise ValueError(
                _("This is not valid JSON (line %(line)s, column %(column)s).")
                % {"line": error.lineno, "column": error.colno}
            ) from error
        except DuplicateKey as duplicate:
            # Readers disagree on which of two equal keys counts: a credential must not have any.
            raise ValueError(
                _("The key “%(key)s” appears twice in one object.") % {"key": duplicate.key}
            ) from duplicate
        except RecursionError as error:
            raise ValueError(_("The JSON is nested too deeply.")) from error
        except ValueError as error:
            # Python refuses to read integers of more than 4,300 digits (int_max_str_digits).
            raise ValueError(_("A number in the JSON has too many digits.")) from error
        if _depth(data) > MAX_DEPTH:
            raise ValueError(_("The JSON is nested too deeply."))
        if isinstance(data, dict) and isinstance(data.get("jwt"), str):
            return None, data["jwt"].strip()
        if isinstance(data, dict) and isinstance(data.get("credential"), dict | str):
            inner = data["credential"]
            return (inner, None) if isinstance(inner, dict) else (None, inner.strip())
        if not isinstance(data, dict):
            raise ValueError(_("A credential is a JSON object."))
        return data, None
    if text.count(".") == 2 and " " not in text:
        return None, text
    raise ValueError(_("This is neither a JSON credential nor a JWT."))


MAX_DEPTH = 32


class DuplicateKey(ValueError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def _depth(value, level=1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def verify_text(text: str) -> Report:
    credential, token = parse(text)
    return verify_jwt(token) if token is not None else verify_credential(credential)


def verify_jwt(token: str) -> Report:
    report = Report()
    try:
        credential = proofs.from_jwt(token)
    except proofs.ProofError as error:
        payload = proofs.unverified_jwt_payload(token)
        inner = payload.get("vc", payload) if isinstance(payload, dict) else None
        _check_schema(report, inner if isinstance(inner, dict) else None)
        report.add("signature", FAILED, _signature_message(error))
        _finish_unsigned(report, inner if isinstance(inner, dict) else None)
        return report
    report.credential = credential
    _check_schema(report, credential)
    report.add("signature", PASSED, _("Signed with the platform's key (VC-JWT, EdDSA)."))
    _check_rest(report, credential)
    return report


def verify_credential(credential: dict) -> Report:
    if _depth(credential) > MAX_DEPTH:
        raise ValueError(_("The JSON is nested too deeply."))
    report = Report(credential=credential)
    _check_schema(report, credential)
    try:
        proof = proofs.verify(credential)
    except proofs.ProofError as error:
        report.add("signature", FAILED, _signature_message(error))
        _finish_unsigned(report, credential)
        return report
    report.add(
        "signature",
        PASSED,
        _("Signed with the platform's key %(key)s (Data Integrity, eddsa-jcs-2022).")
        % {"key": proof["verificationMethod"].split("#")[-1]},
    )
    _check_rest(report, credential)
    return report


def _check_schema(report: Report, credential) -> None:
    if credential is None:
        report.add("schema", FAILED, _("The credential could not be read."))
        return
    errors = schema_errors(credential)
    if errors:
        report.add(
            "schema",
            FAILED,
            _("Not a valid Open Badges 3.0 credential: %(errors)s") % {"errors": "; ".join(errors)},
        )
    else:
        report.add("schema", PASSED, _("Valid against the Open Badges 3.0 JSON schema."))


def _signature_message(error: proofs.ProofError) -> str:
    messages = {
        "unsigned": _("The credential carries no proof: it was not signed by this platform."),
        "unsupported": _("Its proof (%(detail)s) is not one this platform issues."),
        "unknown_key": _("It was not signed by a key of this platform (%(detail)s)."),
        "mismatch": _(
            "The signature does not match the content: the credential was changed after it was "
            "signed, or signed by another key."
        ),
        "malformed": _("The proof cannot be read (%(detail)s)."),
    }
    return messages.get(error.code, messages["malformed"]) % {"detail": error.detail[:200]}


def _finish_unsigned(report: Report, credential) -> None:
    """After a failed signature nothing in the credential can be trusted: the other checks are
    reported as skipped, except a foreign issuer, which is worth saying."""
    issuer = _issuer_id(credential) if credential else None
    if issuer and issuer != keys.issuer_did():
        report.add(
            "issuer", FAILED, _("Issued by %(issuer)s, not by this platform.") % {"issuer": issuer}
        )
    else:
        report.add("issuer", SKIPPED, _("Not checked: the signature is not valid."))
    report.add("validity", SKIPPED, _("Not checked: the signature is not valid."))
    report.add("revocation", SKIPPED, _("Not checked: the signature is not valid."))


def _issuer_id(credential: dict):
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_rest(report: Report, credential: dict) -> None:
    issuer = _issuer_id(credential)
    if issuer == keys.issuer_did():
        report.add(
            "issuer", PASSED, _("Issued by this platform (%(issuer)s).") % {"issuer": issuer}
        )
    else:
        report.add(
            "issuer",
            FAILED,
            _("Issued by %(issuer)s, not by this platform.") % {"issuer": issuer},
        )

    now = timezone.now()
    valid_from = _parse_time(credential.get("validFrom"))
    valid_until = _parse_time(credential.get("validUntil"))
    if valid_from is None:
        report.add("validity", FAILED, _("validFrom is missing or not a date."))
    elif valid_from > now:
        report.add(
            "validity",
            FAILED,
            _("Not valid before %(date)s.") % {"date": local_minute(valid_from)},
        )
    elif credential.get("validUntil") is not None and valid_until is None:
        report.add("validity", FAILED, _("validUntil is not a date."))
    elif valid_until is not None and valid_until <= now:
        report.add(
            "validity",
            FAILED,
            _("Expired on %(date)s.") % {"date": local_date(valid_until)},
        )
    elif valid_until is not None:
        report.add(
            "validity", PASSED, _("Valid until %(date)s.") % {"date": local_date(valid_until)}
        )
    else:
        report.add("validity", PASSED, _("Valid, with no expiry date."))

    _check_revocation(report, credential)


def _check_revocation(report: Report, credential: dict) -> None:
    entry = credential.get("credentialStatus")
    award = _award_for(credential)
    report.award = award
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        report.add("revocation", FAILED, _("The credential has no status entry of this platform."))
        return
    try:
        position = int(entry.get("statusListIndex"))
        number = int(str(entry.get("statusListCredential", "")).rstrip("/").rsplit("/", 1)[-1])
    except (TypeError, ValueError):
        report.add("revocation", FAILED, _("The status entry cannot be read."))
        return
    if award is None or award.status_index != (number - 1) * status.LIST_SIZE + position:
        report.add("revocation", FAILED, _("This platform has no record of the credential."))
        return
    if status.is_revoked(award.status_index):
        report.add(
            "revocation",
            FAILED,
            _("Revoked on %(date)s.") % {"date": local_date(award.revoked_at)},
        )
    else:
        report.add("revocation", PASSED, _("Not revoked (checked against the status list)."))


def _award_for(credential: dict) -> Award | None:
    """Our award for a credential id of the form <base>/credentials/<uuid>/."""
    identifier = str(credential.get("id", "")).rstrip("/")
    try:
        candidate = uuid.UUID(identifier.rsplit("/", 1)[-1])
    except ValueError:
        return None
    return Award.objects.filter(uuid=candidate).first()
