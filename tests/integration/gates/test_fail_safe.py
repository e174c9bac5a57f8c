"""Fail-safe: when the gate state version cannot be read within the timeout (database down,
stalled or broken), every gate holds (403) with the reason, whatever it would have answered,
and answers from the database again once it can be read, without a restart."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .conftest import GateStage, call_gate, gate_body

OPEN = (200, "confirm-rollout of web.shop is open by policy\n")


async def test_gates_hold_while_the_version_row_is_unreadable(gate_stage: GateStage) -> None:
    engine = create_async_engine(gate_stage.database_url)
    try:
        async with gate_stage.portal() as portal:
            assert await call_gate(portal, "confirm-rollout", gate_body("c-1")) == OPEN
            async with engine.begin() as connection:
                await connection.execute(
                    text("ALTER TABLE gate_state_version RENAME TO gate_state_version_gone")
                )
            status, answer = await call_gate(portal, "confirm-rollout", gate_body("c-1"))
            assert status == 403
            assert answer.startswith("hold: the portal cannot read its gates (")
            assert answer.endswith(
                "); a gate it cannot decide never passes, so Flagger waits and asks again at "
                "its next tick\n"
            )
            async with engine.begin() as connection:
                await connection.execute(
                    text("ALTER TABLE gate_state_version_gone RENAME TO gate_state_version")
                )
            assert await call_gate(portal, "confirm-rollout", gate_body("c-1")) == OPEN
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_stalled_version_read_holds_within_two_seconds(
    gate_stage: GateStage, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a lock that stalls readers is PostgreSQL's (SQLite readers never wait)")
    engine = create_async_engine(gate_stage.database_url)
    try:
        async with gate_stage.portal() as portal:
            assert await call_gate(portal, "confirm-rollout", gate_body("c-1")) == OPEN
            async with engine.connect() as locker:
                transaction = await locker.begin()
                await locker.execute(text("LOCK TABLE gate_state_version IN ACCESS EXCLUSIVE MODE"))
                started = time.monotonic()
                answers = await asyncio.gather(
                    *(call_gate(portal, "confirm-rollout", gate_body("c-1")) for _ in range(3))
                )
                took = time.monotonic() - started
                await transaction.rollback()
            assert {a[0] for a in answers} == {403}
            assert all("was not readable within 2 s" in a[1] for a in answers), answers
            assert 2.0 <= took < 3.5, took
            assert await call_gate(portal, "confirm-rollout", gate_body("c-1")) == OPEN
    finally:
        await engine.dispose()
