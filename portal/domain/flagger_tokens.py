"""Flagger callers identified by token: each token belongs to one cluster (optionally one
namespace), and the cluster a call is for comes from its token, never from the query string.

Tokens are configured as SHA-256 hashes (`PORTAL_FLAGGER_TOKENS`), so the portal's settings
never hold a usable secret; each scope takes up to two hashes at once for rotation (add the new
one, move the Canaries over, drop the old one). A presented token is hashed and compared with
every configured hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_PREFIX = "sha256:"
HASH_RE = re.compile(r"sha256:[0-9a-f]{64}")
MAX_TOKENS_PER_SCOPE = 2


@dataclass(frozen=True, slots=True)
class CallerScope:
    """What a token may speak for: one cluster, or one namespace of it."""

    cluster: str
    namespace: str | None = None

    def covers(self, namespace: str) -> bool:
        return self.namespace is None or self.namespace == namespace

    @property
    def label(self) -> str:
        return self.cluster if self.namespace is None else f"{self.cluster}/{self.namespace}"


def hash_token(token: str) -> str:
    """`sha256:<hex>` of a token: the form `PORTAL_FLAGGER_TOKENS` stores."""
    return HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh caller token: 256 random bits, URL-safe (it may ride in a webhook URL)."""
    return secrets.token_urlsafe(32)


def parse_scope(key: str) -> CallerScope:
    """`cluster` or `cluster/namespace`."""
    cluster, _, namespace = key.partition("/")
    return CallerScope(cluster=cluster, namespace=namespace or None)


@dataclass(frozen=True)
class CallerTokens:
    """Configured token hashes and the scope each one speaks for."""

    entries: tuple[tuple[str, CallerScope], ...]

    @classmethod
    def from_config(
        cls, hashed: Mapping[str, Sequence[str]], *, plain: Iterable[tuple[str, str]] = ()
    ) -> CallerTokens:
        """From `PORTAL_FLAGGER_TOKENS` (scope -> hashes) and plain (token, cluster) pairs."""
        entries = [
            (digest, parse_scope(key)) for key, digests in hashed.items() for digest in digests
        ]
        entries += [(hash_token(token), CallerScope(cluster)) for token, cluster in plain]
        return cls(entries=tuple(entries))

    @property
    def configured(self) -> bool:
        return bool(self.entries)

    def identify(self, presented: str) -> CallerScope | None:
        """The scope of `presented`, or None; every hash is compared (constant time)."""
        digest = hash_token(presented).encode()
        found = None
        for configured, scope in self.entries:
            if hmac.compare_digest(configured.encode(), digest):
                found = scope
        return found
