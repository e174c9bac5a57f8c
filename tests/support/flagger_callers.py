"""Flagger caller tokens for tests: the token Canaries carry, and the setting that holds its
hash for one cluster (or namespace)."""

from __future__ import annotations

from portal.domain.flagger_tokens import hash_token

FLAGGER_TOKEN = "flagger-devcluster-0123456789abcdefghijklmnopqrstuvwxyz"
OTHER_TOKEN = "flagger-other-cluster-0123456789abcdefghijklmnopqrstuvwx"


def flagger_tokens(scope: str = "devcluster", token: str = FLAGGER_TOKEN) -> dict[str, list[str]]:
    """`PORTAL_FLAGGER_TOKENS` with one token for `scope` (`cluster` or `cluster/namespace`)."""
    return {scope: [hash_token(token)]}
