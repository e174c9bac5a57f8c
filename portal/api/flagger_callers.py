"""Who is calling a Flagger endpoint, and for which cluster: shared by the gates and the event
webhook. A refused caller is audited (within the denial budget) before the 403 goes out."""

from __future__ import annotations

from fastapi import Request

from portal.deps import PortalState
from portal.security.denials import record_denial
from portal.services.flagger_webhooks import (
    FlaggerPayload,
    WebhookRefused,
    check_webhook_token,
    resolve_cluster,
)


async def flagger_cluster(
    request: Request,
    *,
    payload: FlaggerPayload,
    state: PortalState,
    query_cluster: str | None,
    action: str,
) -> str:
    """The cluster the call is for, once its token checks out; else an audited 403."""
    try:
        check_webhook_token(
            metadata=payload.metadata,
            token=state.settings.flagger_webhook_token,
            network_only=state.settings.flagger_network_only,
        )
        return resolve_cluster(
            query_cluster=query_cluster, metadata=payload.metadata, clusters=state.view.clusters
        )
    except WebhookRefused as refused:
        await record_denial(
            request, identity=None, status=403, detail=refused.detail, action=action
        )
        raise
