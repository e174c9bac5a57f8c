"""Who may call the portal's Flagger endpoints, and for which cluster a call is.

Flagger's webhook requests carry no credentials of their own; a caller token rides in the
hook's `metadata.token` (or the URL). Each token belongs to one cluster, optionally one
namespace (`portal.domain.flagger_tokens`), and the cluster of a call is its token's. Without
tokens the endpoints refuse every call unless the operator explicitly chose the
NetworkPolicy-only mode, where the call names its cluster: there is no silent open mode.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from portal.config import Settings
from portal.domain.flagger_tokens import CallerTokens
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


def caller_tokens(*, settings: Settings, clusters: Sequence[str]) -> CallerTokens:
    """The configured caller tokens; the deprecated plain token counts for the one cluster."""
    plain = []
    legacy = settings.flagger_webhook_token
    if legacy is not None and len(clusters) == 1:
        plain.append((legacy.get_secret_value(), clusters[0]))
    return CallerTokens.from_config(settings.flagger_tokens, plain=plain)


def identify_caller(
    *,
    payload: FlaggerPayload,
    query_token: str | None,
    query_cluster: str | None,
    tokens: CallerTokens,
    network_only: bool,
    clusters: Sequence[str],
) -> str:
    """The cluster a Flagger call is for: its token's. The token rides in `metadata.token`
    (a hook's metadata) or in the URL's `token` parameter (Flagger's global event webhook has no
    metadata). A cluster named in the query or metadata must be the token's own."""
    named = query_cluster or payload.metadata.get("cluster")
    if not tokens.configured:
        if network_only:
            return _network_only_cluster(named=named, clusters=clusters)
        raise WebhookRefused(
            "Flagger webhooks are disabled: set PORTAL_FLAGGER_TOKENS (a token per cluster, in "
            "the hook's metadata.token) or PORTAL_FLAGGER_NETWORK_ONLY=true"
        )
    presented = payload.metadata.get("token") or query_token or ""
    scope = tokens.identify(presented) if presented else None
    if scope is None:
        raise WebhookRefused("missing or wrong token on the Flagger webhook")
    if named and named != scope.cluster:
        raise WebhookRefused(
            f"the token belongs to cluster {scope.cluster!r}, the call names {named!r}"
        )
    if not scope.covers(payload.namespace):
        raise WebhookRefused(f"the token is for namespace {scope.label}, not {payload.namespace!r}")
    if scope.cluster not in clusters:
        raise WebhookRefused(f"the token's cluster {scope.cluster!r} is not watched here")
    return scope.cluster


def _network_only_cluster(*, named: str | None, clusters: Sequence[str]) -> str:
    """Without tokens (PORTAL_FLAGGER_NETWORK_ONLY) the call names its cluster itself."""
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
