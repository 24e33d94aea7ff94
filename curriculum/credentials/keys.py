"""The issuer's Ed25519 keys. `manage.py credential_keys` creates the first one at setup and
`--rotate` replaces it; the private key is a PEM file (mode 0600) under CREDENTIALS_KEY_DIR, so
the database and the repository hold public keys only. The issuer is a did:web identifier for the
site's own address: its DID document and a JWKS list every key that still verifies."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import SigningKey

# Multicodec prefix of an Ed25519 public key, as used by Multikey's publicKeyMultibase.
ED25519_PUB = b"\xed\x01"


class KeyMissing(RuntimeError):
    pass


def base_url() -> str:
    return settings.CREDENTIALS_BASE_URL.rstrip("/")


def issuer_did() -> str:
    """did:web for the site's host (a port is percent-encoded, as did:web requires)."""
    host = urlsplit(base_url()).netloc
    return "did:web:" + quote(host, safe="")


def key_dir() -> Path:
    return Path(settings.CREDENTIALS_KEY_DIR)


def _private_path(kid: str) -> Path:
    return key_dir() / f"{kid}.pem"


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUB + raw).decode()


def decode_public_key(multibase: str) -> Ed25519PublicKey:
    if not multibase.startswith("z"):
        raise ValueError("not base58btc")
    raw = base58.b58decode(multibase[1:])
    if not raw.startswith(ED25519_PUB) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def create_key() -> SigningKey:
    """A new active key; the one it replaces is retired but keeps verifying."""
    private_key = Ed25519PrivateKey.generate()
    now = timezone.now()
    kid = f"key-{now:%Y%m%d%H%M%S}-{os.urandom(3).hex()}"
    directory = key_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = _private_path(kid)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    with transaction.atomic():
        SigningKey.objects.filter(is_active=True).update(is_active=False, retired_at=now)
        return SigningKey.objects.create(
            kid=kid,
            verification_method=f"{issuer_did()}#{kid}",
            public_key_multibase=encode_public_key(private_key.public_key()),
        )


def active_key() -> SigningKey:
    """The key that signs now, created on first use if setup has not made one."""
    key = SigningKey.objects.filter(is_active=True).first()
    if key is None:
        key = create_key()
    return key


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    path = _private_path(key.kid)
    try:
        data = path.read_bytes()
    except FileNotFoundError as missing:
        raise KeyMissing(
            f"The private key {key.kid} is not in {key_dir()}: restore it, or run "
            "`manage.py credential_keys --rotate` to sign with a new key."
        ) from missing
    return serialization.load_pem_private_key(data, password=None)


def verifying_keys():
    """Keys whose signatures still count: active and retired, not revoked."""
    return SigningKey.objects.filter(revoked_at__isnull=True)


def public_key_for(verification_method: str) -> Ed25519PublicKey | None:
    key = verifying_keys().filter(verification_method=verification_method).first()
    return decode_public_key(key.public_key_multibase) if key else None


def did_document() -> dict:
    did = issuer_did()
    methods = [
        {
            "id": key.verification_method,
            "type": "Multikey",
            "controller": key.verification_method.split("#")[0],
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in verifying_keys().order_by("created_at")
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }


def jwks() -> dict:
    keys = []
    for key in verifying_keys().order_by("created_at"):
        raw = base58.b58decode(key.public_key_multibase[1:])[2:]
        keys.append(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _b64url(raw),
                "kid": key.verification_method,
                "use": "sig",
                "alg": "EdDSA",
            }
        )
    return {"keys": keys}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
