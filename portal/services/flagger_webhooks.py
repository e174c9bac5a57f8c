"""Who may call the portal's Flagger endpoints, and for which cluster a call is.

Flagger's webhook requests carry no credentials of their own; the shared secret rides in the
hook's `metadata.token`. Without a configured token the endpoints refuse every call unless the
operator explicitly chose the NetworkPolicy-only mode: there is no silent open mode.
Flagger's payload does not name the cluster: a `cluster` query parameter or `metadata.cluster`
does, and a portal watching a single cluster assumes that one.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field, SecretStr

from portal.errors import Forbidden


class FlaggerPayload(BaseModel):
    """The body Flagger POSTs to every webhook (gates and events)."""

    name: str = Field(min_length=1, max_length=253)
    namespace: str = Field(min_length=1, max_length=253)
    phase: str = Field(default="", max_length=64)
    checksum: str = Field(default="", max_length=256)
    metadata: dict[str, str] = Field(default_factory=dict)


class WebhookRefused(Forbidden):
    """A Flagger webhook call that may not open gates or write the timeline."""


def check_webhook_token(
    *, metadata: Mapping[str, str], token: SecretStr | None, network_only: bool
) -> None:
    if token is None:
        if network_only:
            return
        raise WebhookRefused(
            "Flagger webhooks are disabled: set PORTAL_FLAGGER_WEBHOOK_TOKEN (and put it in the "
            "hook's metadata.token) or PORTAL_FLAGGER_NETWORK_ONLY=true"
        )
    given = metadata.get("token", "")
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise WebhookRefused("missing or wrong metadata.token on the Flagger webhook")


def resolve_cluster(
    *, query_cluster: str | None, metadata: Mapping[str, str], clusters: Sequence[str]
) -> str:
    named = query_cluster or metadata.get("cluster")
    if named:
        if named not in clusters:
            raise WebhookRefused(f"unknown cluster {named!r}: the portal does not watch it")
        return named
    if len(clusters) == 1:
        return clusters[0]
    raise WebhookRefused(
        "the webhook does not say which cluster it comes from: add ?cluster=<name> to its URL "
        "or metadata.cluster"
    )
