"""API token secrets: minting, hashing and checking, with the standard library only.

A token reads `ifp_<lookup>_<secret>`: `lookup` (12 hex characters) is stored in clear and finds
the row; `secret` (`secrets.token_urlsafe(32)`, 256 bits) is stored only as SHA-256 over a
random per-token salt and the secret, and checked with `hmac.compare_digest`. A fast hash is
enough because the secret is random and long, not a password; the salt keeps equal hashes from
ever revealing anything across rows or databases.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "ifp_"
LOOKUP_LENGTH = 12
_DUMMY_SALT = "0" * 32


@dataclass(frozen=True)
class MintedSecret:
    token: str
    lookup_id: str
    salt: str
    secret_hash: str


@dataclass(frozen=True)
class PresentedToken:
    lookup_id: str
    secret: str


def hash_secret(*, salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def mint_secret() -> MintedSecret:
    lookup_id = secrets.token_hex(LOOKUP_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return MintedSecret(
        token=f"{PREFIX}{lookup_id}_{secret}",
        lookup_id=lookup_id,
        salt=salt,
        secret_hash=hash_secret(salt=salt, secret=secret),
    )


def parse_token(token: str) -> PresentedToken | None:
    """Split a presented token, or None when it cannot be one of ours."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    body = token[len(PREFIX) :]
    lookup_id, separator, secret = (
        body[:LOOKUP_LENGTH],
        body[LOOKUP_LENGTH : LOOKUP_LENGTH + 1],
        body[LOOKUP_LENGTH + 1 :],
    )
    if separator != "_" or not secret or not all(c in "0123456789abcdef" for c in lookup_id):
        return None
    return PresentedToken(lookup_id=lookup_id, secret=secret)


def secret_matches(*, presented: str, salt: str | None, secret_hash: str | None) -> bool:
    """Constant-time check; an unknown token is hashed too so both paths cost the same."""
    actual = hash_secret(salt=salt or _DUMMY_SALT, secret=presented)
    expected = secret_hash or "0" * 64
    return hmac.compare_digest(actual, expected) and secret_hash is not None


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header, else None."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()
