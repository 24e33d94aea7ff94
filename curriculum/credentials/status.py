"""Revocation through a W3C Bitstring Status List: every award has a position in a list of at
least 131,072 bits (16 KiB, so that one position says little about who holds it); a set bit means
revoked. The list is published as a signed BitstringStatusListCredential."""

from __future__ import annotations

import base64
import gzip
import secrets

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import keys, proofs
from .models import StatusPosition

LIST_SIZE = 131_072


def allocate() -> int:
    """A new position, at random among the free ones (so a position says nothing about when or in
    what order a credential was issued), in lists kept at most half full. Never reused."""
    lists = StatusPosition.objects.count() // (LIST_SIZE // 2) + 1
    for _attempt in range(32):
        index = secrets.randbelow(lists * LIST_SIZE)
        try:
            with transaction.atomic():
                StatusPosition.objects.create(index=index)
        except IntegrityError:
            continue
        return index
    raise RuntimeError("no free status list position")


def list_count() -> int:
    highest = StatusPosition.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if highest is None else list_number(highest)


def revoke(index: int, when=None) -> None:
    StatusPosition.objects.filter(index=index, revoked_at__isnull=True).update(
        revoked_at=when or timezone.now()
    )


def list_number(index: int) -> int:
    return index // LIST_SIZE + 1


def list_url(number: int) -> str:
    return keys.base_url() + reverse("credential_status_list", args=[number])


def entry(index: int) -> dict:
    number = list_number(index)
    return {
        "id": f"{list_url(number)}#{index % LIST_SIZE}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index % LIST_SIZE),
        "statusListCredential": list_url(number),
    }


def revoked_positions(number: int) -> list[int]:
    start = (number - 1) * LIST_SIZE
    return [
        index - start
        for index in StatusPosition.objects.filter(
            index__gte=start, index__lt=start + LIST_SIZE, revoked_at__isnull=False
        ).values_list("index", flat=True)
    ]


def encode(positions) -> str:
    bits = bytearray(LIST_SIZE // 8)
    for position in positions:
        # Bit 0 is the left-most bit of the first byte (Bitstring Status List §4.2).
        bits[position // 8] |= 0x80 >> (position % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()


def is_set(encoded: str, position: int) -> bool:
    data = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    bits = gzip.decompress(base64.urlsafe_b64decode(data))
    return bool(bits[position // 8] & (0x80 >> (position % 8)))


def status_list_credential(number: int) -> dict:
    now = timezone.now().replace(microsecond=0).isoformat()
    url = list_url(number)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.issuer_did(),
        "validFrom": now,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked_positions(number)),
        },
    }
    return proofs.sign(credential, created=now)


def is_revoked(status_index: int) -> bool:
    """Read through the published list, so the verifier and the public list cannot disagree."""
    number = list_number(status_index)
    return is_set(encode(revoked_positions(number)), status_index % LIST_SIZE)
