"""`POST /flagger/events`: Flagger's event webhook, answered 202 at once.

Flagger delivers events synchronously inside its control loop, so the portal only checks the
caller and enqueues; the timeline recorder writes the event afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.api.flagger_callers import flagger_cluster
from portal.deps import PortalState, SessionDep, StateDep
from portal.errors import Unprocessable
from portal.security.access import public
from portal.services.flagger_webhooks import (
    FlaggerPayload,
)
from portal.services.gate_call_writing import NotedCall, write_calls
from portal.services.gates import event_call_to_keep

CALLER_NOTE = "Flagger webhooks: a per-cluster caller token in metadata.token or ?token="
router = APIRouter(
    prefix="/flagger",
    tags=["flagger"],
    dependencies=[Depends(public(CALLER_NOTE))],
)

EVENT_TYPES = frozenset({"Normal", "Warning"})


class Accepted(BaseModel):
    status: str
    cluster: str


def event_time(metadata: dict[str, str]) -> datetime:
    """Flagger sends unix milliseconds as a string; a missing or bad value means now."""
    try:
        return datetime.fromtimestamp(int(metadata["timestamp"]) / 1000, tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


async def keep_event_call(state: PortalState, session: AsyncSession, call: NotedCall) -> None:
    """Noted for the next batch; without the gate book, written in the request's transaction."""
    if state.gate_calls is not None:
        state.gate_calls.note(call)
    else:
        await write_calls(await session.connection(), [call])


@router.post("/events", status_code=202, response_model=Accepted)
async def flagger_event(
    *,
    request: Request,
    payload: FlaggerPayload,
    state: StateDep,
    session: SessionDep,
    cluster: Annotated[str | None, Query(max_length=128)] = None,
    token: Annotated[str | None, Query(max_length=256)] = None,
) -> Accepted:
    named = await flagger_cluster(
        request,
        payload=payload,
        state=state,
        query_cluster=cluster,
        query_token=token,
        action="flagger-event",
    )
    message = payload.metadata.get("eventMessage", "").strip()
    if not message:
        raise Unprocessable("metadata.eventMessage is required on a Flagger event webhook")
    call = event_call_to_keep(
        view=state.view, cluster=named, payload=payload, now=datetime.now(UTC)
    )
    if call is not None:
        await keep_event_call(state, session, call)
    event_type = payload.metadata.get("eventType", "Normal")
    state.recorder.record_webhook_event(
        cluster=named,
        namespace=payload.namespace,
        name=payload.name,
        message=message,
        event_type=event_type if event_type in EVENT_TYPES else "Normal",
        at=event_time(payload.metadata),
    )
    return Accepted(status="accepted", cluster=named)
