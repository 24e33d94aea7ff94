"""Signing and checking credentials.

A credential carries a W3C Data Integrity proof with the `eddsa-jcs-2022` cryptosuite: the JSON is
canonicalised with JCS (RFC 8785), hashed with SHA-256 together with the proof options, and signed
with Ed25519. JCS rather than RDF canonicalisation (eddsa-rdfc-2022) because it covers every byte
of the JSON a verifier receives, needs no JSON-LD context loading (LGWAN terminals cannot fetch
contexts), and any change to any field breaks the signature. The same credential is also offered
as a VC-JWT (Open Badges 3.0 §8.2), signed with the same key, for wallets that want a JWT.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta

import base58
import jwt
import rfc8785
from cryptography.exceptions import InvalidSignature

from . import keys

CRYPTOSUITE = "eddsa-jcs-2022"


class ProofError(ValueError):
    """Why a proof does not verify (a short English reason; the caller translates the kind)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


def _hash_data(document: dict, options: dict) -> bytes:
    return (
        hashlib.sha256(rfc8785.dumps(options)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )


def sign(document: dict, created: str, key=None) -> dict:
    """The document with a DataIntegrityProof added (any earlier proof is replaced)."""
    key = key or keys.active_key()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "@context": unsecured["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = keys.private_key(key).sign(_hash_data(unsecured, options))
    proof = dict(options, proofValue="z" + base58.b58encode(signature).decode())
    del proof["@context"]
    return {**unsecured, "proof": [proof]}


def verify(document: dict) -> dict:
    """Check the document's proof; returns the proof checked, raises ProofError otherwise."""
    proofs = document.get("proof")
    if proofs is None:
        raise ProofError("unsigned", "the credential has no proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs:
        raise ProofError("malformed", "the proof is not an object")
    ours = [
        p
        for p in proofs
        if isinstance(p, dict)
        and p.get("type") == "DataIntegrityProof"
        and p.get("cryptosuite") == CRYPTOSUITE
    ]
    if not ours:
        kinds = ", ".join(str(p.get("type")) for p in proofs if isinstance(p, dict))
        raise ProofError("unsupported", f"proof type {kinds or '?'}")
    proof = ours[0]
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        raise ProofError("malformed", "the proof names no verification method")
    public_key = keys.public_key_for(method)
    if public_key is None:
        raise ProofError("unknown_key", method)
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("malformed", "proofPurpose is not assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("malformed", "proofValue is not base58btc")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("malformed", "proofValue is not base58btc") from error
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # eddsa-jcs-2022: a proof's own context must begin the document's.
        document_context = unsecured.get("@context")
        own = options["@context"]
        own = own if isinstance(own, list) else [own]
        if not isinstance(document_context, list) or document_context[: len(own)] != own:
            raise ProofError("malformed", "the proof's @context does not begin the document's")
    options["@context"] = unsecured.get("@context")
    created = _timestamp(proof.get("created"))
    if created is None:
        raise ProofError("malformed", "the proof's created is not a date-time")
    if created > datetime.now(UTC) + CLOCK_SKEW:
        raise ProofError("malformed", "the proof was created in the future")
    try:
        data = _hash_data(unsecured, options)
        public_key.verify(signature, data)
    except InvalidSignature as error:
        raise ProofError("mismatch", "the signature does not match the content") from error
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise ProofError("malformed", str(error)) from error
    return proof


CLOCK_SKEW = timedelta(minutes=5)


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


# VC-JWT --------------------------------------------------------------------------------------


def to_jwt(credential: dict, key=None) -> str:
    """The credential as a VC-JWT: the JSON (without its embedded proof) is the claim set, with
    iss, jti, sub, nbf and exp added as Open Badges 3.0 asks."""
    key = key or keys.active_key()
    claims = copy.deepcopy({k: v for k, v in credential.items() if k != "proof"})
    claims["iss"] = credential["issuer"]["id"]
    claims["jti"] = credential["id"]
    subject = credential["credentialSubject"]
    if subject.get("id"):
        claims["sub"] = subject["id"]
    claims["nbf"] = int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    if credential.get("validUntil"):
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return jwt.encode(
        claims,
        keys.private_key(key),
        algorithm="EdDSA",
        headers={"kid": key.verification_method, "typ": "JWT"},
    )


def from_jwt(token: str) -> dict:
    """The credential inside a VC-JWT whose signature is ours; raises ProofError otherwise.
    Dates are not checked here: the verifier reports them as their own check."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise ProofError("malformed", "not a JWT") from error
    if header.get("alg") != "EdDSA":
        raise ProofError("unsupported", f"algorithm {header.get('alg')}")
    public_key = keys.public_key_for(str(header.get("kid")))
    if public_key is None:
        raise ProofError("unknown_key", str(header.get("kid")))
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["EdDSA"],
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.InvalidSignatureError as error:
        raise ProofError("mismatch", "the signature does not match the content") from error
    except jwt.PyJWTError as error:
        raise ProofError("malformed", str(error)) from error
    credential = {k: v for k, v in claims.items() if k not in {"iss", "jti", "sub", "nbf", "exp"}}
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if claims.get("iss") != issuer_id or claims.get("jti") != credential.get("id"):
        raise ProofError("mismatch", "the JWT claims disagree with the credential")
    return credential


def unverified_jwt_payload(token: str) -> dict | None:
    """The claims of a JWT not signed by us, to report schema validity; None when unreadable."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
