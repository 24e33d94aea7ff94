"""Builds an award's OpenBadgeCredential (Open Badges 3.0 on the W3C VC data model 2.0)."""

from __future__ import annotations

import functools
import hashlib
import os

from django.urls import reverse
from django.utils import translation

from . import badges, keys, status
from .models import Award, CredentialDefinition, IssuerSettings

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def _in_japanese(function):
    """Credentials are issued in Japanese, with language-neutral addresses, whatever the language
    of the request that caused them."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override("ja"):
            return function(*args, **kwargs)

    return wrapper


def _absolute(path: str) -> str:
    return path if path.startswith("http") else keys.base_url() + path


def issuer_profile() -> dict:
    issuer = IssuerSettings.load()
    profile = {
        "id": keys.issuer_did(),
        "type": ["Profile"],
        "name": issuer.name_ja,
        "url": issuer.url or keys.base_url() + "/",
    }
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.description_ja:
        profile["description"] = issuer.description_ja
    return profile


def image_url(definition: CredentialDefinition) -> str:
    """The uploaded badge image, or else the badge drawn for the credential (badges.py). Awards
    keep the address they were signed with: those issued before drawn badges name the platform's
    single badge (static/credentials/badge.svg), which stays where it is."""
    if definition.image_id:
        return _absolute(definition.image.get_rendition("fill-400x400").url)
    return _absolute(badges.url(definition))


@_in_japanese
def achievement(definition: CredentialDefinition) -> dict:
    alignments = [
        {
            "type": ["Alignment"],
            "targetName": f"{area.competency.code} {area.competency.name_ja} レベル{area.level}",
            "targetUrl": _absolute(reverse("credentials:framework") + f"#{area.competency.code}"),
            "targetCode": f"{area.competency.code}-{area.level}",
            "targetFramework": "自治体CIOアカデミー コンピテンシー",
            "targetType": "ceasn:Competency",
        }
        for area in definition.competencies.select_related("competency")
    ]
    for external in definition.alignments.all():
        alignment = {
            "type": ["Alignment"],
            "targetName": external.target_name,
            "targetUrl": external.target_url,
            "targetFramework": str(external.get_framework_display()),
            "targetType": "ext:Role",
        }
        if external.target_code:
            alignment["targetCode"] = external.target_code
        if external.target_description:
            alignment["targetDescription"] = external.target_description
        alignments.append(alignment)
    result = {
        "id": _absolute(reverse("credential_achievement", args=[definition.slug])),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": definition.name_ja,
        "description": definition.description_ja,
        "criteria": {"narrative": definition.criteria_ja},
        "image": {"id": image_url(definition), "type": "Image", "caption": definition.name_ja},
        "inLanguage": "ja",
        "creator": {"id": keys.issuer_did(), "type": ["Profile"]},
    }
    if alignments:
        result["alignment"] = alignments
    return result


def _hashed_email(email: str) -> dict:
    salt = os.urandom(8).hex()
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def _timestamp(value) -> str:
    return value.replace(microsecond=0).isoformat()


@_in_japanese
def unsigned_credential(award: Award) -> dict:
    definition = award.definition
    credential = {
        "@context": CONTEXT,
        "id": _absolute(award.get_absolute_url()),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": definition.name_ja,
        "description": definition.description_ja,
        "issuer": issuer_profile(),
        "validFrom": _timestamp(award.issued_at),
        "awardedDate": _timestamp(award.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [_hashed_email(award.user.email)],
            "achievement": achievement(definition),
        },
        "credentialSchema": [SCHEMA],
        "credentialStatus": status.entry(award.status_index),
        "image": {"id": image_url(definition), "type": "Image"},
    }
    if award.expires_at:
        credential["validUntil"] = _timestamp(award.expires_at)
    evidence = [
        {
            "type": ["Evidence"],
            "name": item["name"],
            **({"description": item["description"]} if item.get("description") else {}),
            **({"id": _absolute(item["url"])} if item.get("url") else {}),
        }
        for item in award.evidence
    ]
    if award.reason:
        evidence.append({"type": ["Evidence"], "name": "認定理由", "narrative": award.reason})
    if evidence:
        credential["evidence"] = evidence
    return credential
