"""Who is calling a Flagger endpoint, and for which cluster: shared by the gates and the event
webhook. A refused caller is audited (within the denial budget) before the 403 goes out, and a
call about a canary the portal does not watch is dropped with an audited 404: it can neither
create a run nor write a timeline."""

from __future__ import annotations

from fastapi import Request

from portal.deps import PortalState
from portal.errors import NotFound
from portal.security.denials import record_denial
from portal.services.flagger_webhooks import (
    FlaggerPayload,
    WebhookRefused,
    caller_tokens,
    identify_caller,
)


class CanaryNotWatched(NotFound):
    """A Flagger call about a canary that is not in the portal's view."""


async def flagger_cluster(
    request: Request,
    *,
    payload: FlaggerPayload,
    state: PortalState,
    query_cluster: str | None,
    query_token: str | None = None,
    action: str,
) -> str:
    """The cluster the call is for (its token's) when the canary is watched there; else an
    audited 403 (bad caller) or 404 (unknown canary)."""
    clusters = state.view.clusters
    try:
        cluster = identify_caller(
            payload=payload,
            query_token=query_token,
            query_cluster=query_cluster,
            tokens=caller_tokens(settings=state.settings, clusters=clusters),
            network_only=state.settings.flagger_network_only,
            clusters=clusters,
        )
    except WebhookRefused as refused:
        await record_denial(
            request, identity=None, status=403, detail=refused.detail, action=action
        )
        raise
    target = f"{payload.namespace}/{payload.name}"
    if state.view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name):
        return cluster
    detail = f"unknown canary {target} in cluster {cluster}: the portal does not watch it"
    await record_denial(request, identity=None, status=404, detail=detail, action=action)
    raise CanaryNotWatched(detail)
