"""Two portals on one PostgreSQL database answer every gate alike, and a change written through
one (or by any other writer of the database) is what the other answers on its very next call:
no window where a warmed-up gate book answers from older state."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from portal.security.roles import Role
from tests.support.apps import signed_in

from .conftest import NS, GateStage, call_gate, gate_body

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: the replicas of production share one."""
    return postgres_url


async def test_a_freeze_through_one_replica_holds_the_others_next_call(
    gate_stage: GateStage,
) -> None:
    body = gate_body("c-1")
    async with gate_stage.portal() as a, gate_stage.portal() as b:
        opened = (200, "confirm-rollout of web.shop is open by policy\n")
        assert [await call_gate(r, "confirm-rollout", body) for r in (a, b)] == [opened] * 2
        async with signed_in(a, Role.admin) as admin:
            made = await admin.post(
                "/api/v1/freezes", json={"cluster": "devcluster", "namespace": NS, "reason": "r1"}
            )
        assert made.status_code == 201
        frozen_id = made.json()["id"]
        held = await call_gate(b, "confirm-rollout", body)  # at once: no wait, no poll
        assert held[0] == 403
        assert held[1].startswith(f"change freeze #{frozen_id} ")
        assert await call_gate(a, "confirm-rollout", body) == held
        async with signed_in(b, Role.admin) as admin:
            lifted = await admin.delete(f"/api/v1/freezes/{frozen_id}")
        assert lifted.status_code == 200
        assert [await call_gate(r, "confirm-rollout", body) for r in (a, b)] == [opened] * 2


async def test_an_opening_written_by_another_tool_is_answered_at_once(
    gate_stage: GateStage,
) -> None:
    body = gate_body("c-7", policy="closed")
    async with gate_stage.portal() as a, gate_stage.portal() as b:
        closed = await call_gate(a, "confirm-promotion", body)
        assert closed[0] == 403
        assert await call_gate(b, "confirm-promotion", body) == closed
        engine = create_async_engine(gate_stage.database_url)
        try:
            async with engine.begin() as connection:  # neither replica wrote it
                await connection.execute(
                    text(
                        "INSERT INTO gate_openings (cluster, namespace, name, gate, checksum, "
                        "created_at) VALUES ('devcluster', 'shop', 'web', 'confirm-promotion', "
                        "'c-7', now())"
                    )
                )
        finally:
            await engine.dispose()
        answers = [await call_gate(r, "confirm-promotion", body) for r in (b, a)]
        assert [status for status, _ in answers] == [200, 200]
        assert answers[0] == answers[1]
        other_run = await call_gate(a, "confirm-promotion", gate_body("c-8", policy="closed"))
        assert other_run == closed  # bound to run c-7: the next run is still held
