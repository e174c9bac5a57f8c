"""An action is audited before its effect and answered only after its transaction committed.

Two real barriers: devcluster holds the Kubernetes PATCH while the test reads the database over
its own connection, and an ASGI wrapper reads it at the instant the portal starts its answer.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.models.audit import AuditEvent
from portal.models.gates import GateOpening
from portal.security.roles import Role
from tests.integration.actions.support import (
    CLUSTER,
    NS,
    Stage,
    act,
    add_canary,
    gated_canary,
    release,
    wait_phase,
)
from tests.integration.actions.test_actions import gate_saw_this_run, slow_canary
from tests.support.apps import base_url_for, create_api_token

Committed = tuple[list[tuple[int, str]], int]


async def committed(stage: Stage, action: str) -> Committed:
    """(id, outcome) of the action's audit rows and the number of gate openings, as another
    connection sees them: only what was committed."""
    async with stage.portal.app.state.portal.sessionmaker() as session:
        rows = await session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        )
        audit = [(row.id or 0, row.outcome) for row in rows]
        openings = len((await session.exec(select(GateOpening))).all())
    return audit, openings


class AnswerObserver:
    """Wraps the portal: when it starts answering an action, records what is committed."""

    def __init__(self, app: ASGIApp, stage: Stage, action: str) -> None:
        self.app = app
        self.stage = stage
        self.action = action
        self.seen: list[Committed] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def observing(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(await committed(self.stage, self.action))
            await send(message)

        await self.app(scope, receive, observing)


async def test_the_audit_row_is_committed_as_requested_before_the_patch_reaches_the_cluster(
    stage: Stage,
) -> None:
    await add_canary(stage, gated_canary("idle", base_url=stage.base_url, gates={}))
    hold = stage.dc.faults.hold_next_request(
        method="PATCH", path_prefix=f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/idle"
    )
    secret = await create_api_token(stage.portal, Role.operator)
    async with stage.portal.client_from("127.0.0.1", {"Authorization": f"Bearer {secret}"}) as op:
        answer = asyncio.create_task(act(op, "idle", "pause"))
        try:
            async with asyncio.timeout(10):
                await hold.arrived.wait()
            during = await committed(stage, "pause")
            done = answer.done()
        finally:
            hold.release()
        response = await answer
    [(audit_id, outcome)], _ = during
    assert (outcome, done) == ("requested", False)
    assert response.status_code == 202, response.text
    assert (response.json()["outcome"], response.json()["audit_id"]) == ("applied", audit_id)
    assert await committed(stage, "pause") == ([(audit_id, "applied")], 0)


async def test_the_answer_starts_only_after_the_gate_opening_and_audit_row_committed(
    stage: Stage,
) -> None:
    await add_canary(stage, slow_canary(stage, interval="300s"))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing", within=30)
    await gate_saw_this_run(stage)
    observer = AnswerObserver(stage.portal.app, stage, "rollback")
    secret = await create_api_token(stage.portal, Role.operator)
    transport = httpx.ASGITransport(app=observer, client=("127.0.0.1", 50002))
    settings = stage.portal.app.state.portal.settings
    async with httpx.AsyncClient(
        transport=transport,
        base_url=base_url_for(settings),
        headers={"Authorization": f"Bearer {secret}"},
    ) as operator:
        response = await act(operator, "web", "rollback")
    assert response.status_code == 202, response.text
    record = response.json()
    assert (record["outcome"], record["gate"], record["cluster"]) == (
        "applied",
        "rollback",
        CLUSTER,
    )
    assert observer.seen == [([(record["audit_id"], "applied")], 1)]
