"""`POST /flagger/gates/{gate}`: the portal as Flagger's gate service; `/api/v1/freezes`: change
freezes that hold every new release of a namespace or cluster.

A gate answers 200 to pass and 403 to hold, with one line of plain text. Flagger drops a hold's
body (its `Halt ...` event names only the hook); the portal keeps it as the gate's last call.
Callers are checked exactly as on `/flagger/events` (token, cluster), and refusals are audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AfterValidator, BaseModel, Field

from portal.api.error_responses import ERROR_CONTENT
from portal.api.flagger_callers import flagger_cluster
from portal.deps import PortalState, SessionDep, StateDep
from portal.domain.canary_gates import Gate
from portal.domain.gate_rules import ALWAYS, DECISION_GATES, GateAnswer
from portal.models.gates import FreezePublic
from portal.security.access import AdminUser, ViewerUser, public
from portal.security.actors import CurrentActor
from portal.services.flagger_webhooks import (
    FlaggerPayload,
)
from portal.services.fleet import require_cluster
from portal.services.gates import answer_from_book, answer_gate, last_calls, openings_of
from portal.services.gates_freezes import (
    active_freeze_for,
    create_freeze,
    lift_freeze,
    list_freezes,
)

router = APIRouter(
    prefix="/flagger/gates",
    tags=["flagger"],
    dependencies=[Depends(public("Flagger gates: a per-cluster caller token in metadata.token"))],
)
freezes_router = APIRouter(prefix="/api/v1/freezes", tags=["freezes"])
state_router = APIRouter(prefix="/api/v1/gates", tags=["gates"])

GATE_NAMES = tuple(gate.value for gate in DECISION_GATES)
GatePath = Annotated[str, Path(pattern="^(" + "|".join(GATE_NAMES) + ")$")]

HOLD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/plain": {}}, "description": "the gate passes; one line says why"},
    403: {
        "content": {"text/plain": {"schema": {"type": "string"}}, **ERROR_CONTENT},
        "description": "the gate holds, one line of text says why; or the caller was refused "
        "(JSON ErrorDetail)",
    },
}


@router.post("/{gate}", response_class=PlainTextResponse, responses=HOLD_RESPONSES)
async def flagger_gate(
    *,
    request: Request,
    gate: GatePath,
    payload: FlaggerPayload,
    state: StateDep,
    cluster: Annotated[str | None, Query(max_length=128)] = None,
    token: Annotated[str | None, Query(max_length=256)] = None,
) -> PlainTextResponse:
    """Answer one Flagger gate call: 200 passes, 403 holds (the portal keeps the body). A gate
    whose state cannot be read within PORTAL_GATE_STATE_TIMEOUT_SECONDS holds (fail-safe)."""
    named = await flagger_cluster(
        request,
        payload=payload,
        state=state,
        query_cluster=cluster,
        query_token=token,
        action=f"gate-{gate}",
    )
    answer = await _answer(state, cluster=named, gate=Gate(gate), payload=payload)
    return PlainTextResponse(answer.reason + "\n", status_code=answer.status_code)


async def _answer(
    state: PortalState, *, cluster: str, gate: Gate, payload: FlaggerPayload
) -> GateAnswer:
    defaults, now = state.settings.gate_defaults, datetime.now(UTC)
    if state.gate_book is not None and state.gate_calls is not None:
        return await answer_from_book(
            book=state.gate_book,
            writer=state.gate_calls,
            view=state.view,
            cluster=cluster,
            gate=gate,
            payload=payload,
            defaults=defaults,
            now=now,
        )
    async with state.sessionmaker() as session:  # PORTAL_GATE_BOOK=false: the baseline
        answer = await answer_gate(
            session,
            view=state.view,
            cluster=cluster,
            gate=gate,
            payload=payload,
            defaults=defaults,
            now=now,
        )
        await session.commit()
    return answer


class FreezeIn(BaseModel):
    cluster: str = Field(min_length=1, max_length=128)
    namespace: str | None = Field(default=None, min_length=1, max_length=253)
    reason: str = Field(min_length=1, max_length=500)


class FreezeList(BaseModel):
    items: list[FreezePublic]


@freezes_router.post("", status_code=201, response_model=FreezePublic)
async def freeze(
    body: FreezeIn, _: AdminUser, actor: CurrentActor, state: StateDep, session: SessionDep
) -> FreezePublic:
    """Hold every new release of a namespace (or of a whole cluster) until lifted."""
    require_cluster(state.view, body.cluster)
    return await create_freeze(
        session,
        cluster=body.cluster,
        namespace=body.namespace,
        reason=body.reason.strip() or body.reason,
        actor=actor,
    )


@freezes_router.delete("/{freeze_id}", response_model=FreezePublic)
async def unfreeze(
    freeze_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    _: AdminUser,
    actor: CurrentActor,
    session: SessionDep,
) -> FreezePublic:
    """Lift a freeze (lifting one already lifted changes nothing)."""
    return await lift_freeze(
        session,
        freeze_id=freeze_id,
        actor=actor,
        now=datetime.now(UTC),
    )


@freezes_router.get("", response_model=FreezeList)
async def freezes(_: ViewerUser, session: SessionDep, active: bool = True) -> FreezeList:
    """Change freezes, newest first; `active=false` includes lifted ones."""
    return FreezeList(items=await list_freezes(session, active_only=active))


def _in_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they are stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(_in_utc)]


class GateCallOut(BaseModel):
    gate: str
    checksum: str
    revision: str | None
    phase: str
    passed: bool
    answer: str
    seen_at: UtcTime


class GateOpeningOut(BaseModel):
    gate: str
    scope: str
    checksum: str | None
    created_at: UtcTime


class GateState(BaseModel):
    calls: list[GateCallOut]
    openings: list[GateOpeningOut]
    freeze: str | None


@state_router.get("/{cluster}/{namespace}/{name}", response_model=GateState)
async def gate_state(
    *, cluster: str, namespace: str, name: str, _: ViewerUser, state: StateDep, session: SessionDep
) -> GateState:
    """One canary's portal gates: Flagger's last call to each (with the answer), the openings
    operators made, and the change freeze holding its releases, if any."""
    require_cluster(state.view, cluster)
    calls = await last_calls(
        session,
        cluster=cluster,
        namespace=namespace,
        name=name,
        unwritten=state.unwritten_gate_calls,  # last calls answered, not yet written
    )
    openings = await openings_of(session, cluster=cluster, namespace=namespace, name=name)
    freeze = await active_freeze_for(session, cluster=cluster, namespace=namespace)
    return GateState(
        calls=[
            GateCallOut.model_validate(call, from_attributes=True)
            for _, call in sorted(calls.items())
        ],
        openings=[
            GateOpeningOut(
                gate=o.gate,
                scope="always" if o.checksum == ALWAYS else "run",
                checksum=None if o.checksum == ALWAYS else o.checksum,
                created_at=o.created_at,
            )
            for o in openings
        ],
        freeze=f"#{freeze.id} on {freeze.scope}: {freeze.reason}" if freeze else None,
    )
