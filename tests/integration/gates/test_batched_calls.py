"""Last calls are written in batches after the answer, never on its path: a reader that shows
them (the gate state API, the canary page) overlays what is not written yet, an action writes
what is pending first, and shutdown writes what is left."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from portal.db import create_sessionmaker
from portal.domain.canary_gates import Gate
from portal.domain.gate_rules import GateAnswer
from portal.security.roles import Role
from portal.services.gate_call_writing import GateCallWriter, noted_call
from portal.services.gates import last_calls
from portal.services.gates_freezes import in_utc
from tests.support.apps import signed_in

from .conftest import NS, GateStage, call_gate, gate_body

NEVER = 3600.0  # the writer's own timer never fires within a test


async def stored_calls(database_url: str) -> list[tuple[Any, ...]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT gate, checksum, passed FROM gate_calls ORDER BY gate")
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


async def test_the_gate_state_shows_calls_answered_and_not_yet_written(
    gate_stage: GateStage,
) -> None:
    """A reader overlays the calls this replica answered on what is stored: it shows them at
    once and never waits for (or makes) a write."""
    checksum = gate_stage.checksum()
    async with gate_stage.portal(gate_call_flush_seconds=NEVER) as portal:
        assert (await call_gate(portal, "confirm-rollout", gate_body(checksum)))[0] == 200
        assert (await call_gate(portal, "rollback", gate_body(checksum)))[0] == 403
        assert await stored_calls(gate_stage.database_url) == []  # not on the answer's path
        async with signed_in(portal, Role.viewer) as viewer:
            state = (await viewer.get(f"/api/v1/gates/devcluster/{NS}/web")).json()
            detail = await viewer.get(f"/api/v1/canaries/devcluster/{NS}/web")
        assert [(c["gate"], c["checksum"], c["passed"]) for c in state["calls"]] == [
            ("confirm-rollout", checksum, True),
            ("rollback", checksum, False),
        ]
        assert detail.status_code == 200
        assert await stored_calls(gate_stage.database_url) == []  # reading wrote nothing
    assert await stored_calls(gate_stage.database_url) == [
        ("confirm-rollout", checksum, True),
        ("rollback", checksum, False),
    ]


async def test_an_unwritten_hold_keeps_the_stored_start_of_the_hold(database_url: str) -> None:
    """The overlay follows the upsert's rule: a hold that goes on for the same checksum keeps
    the start stored by an earlier batch; a pass, or another checksum, starts afresh."""
    engine = create_async_engine(database_url)
    writer = GateCallWriter(engine, flush_seconds=NEVER)
    started = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def hold(gate: str, checksum: str, at: datetime, *, passed: bool = False) -> None:
        writer.note(
            noted_call(
                cluster="devcluster",
                namespace=NS,
                name="web",
                gate=Gate(gate),
                checksum=checksum,
                phase="Progressing",
                revision="r1",
                answer=GateAnswer(passed=passed, reason="held" if not passed else "open"),
                now=at,
            )
        )

    try:
        hold("rollback", "c1", started)
        hold("confirm-rollout", "c1", started)
        hold("confirm-promotion", "c1", started)
        await writer.flush()
        later = started.replace(minute=5)
        hold("rollback", "c1", later)  # the same hold goes on
        hold("confirm-rollout", "c2", later)  # a new run: a new hold
        hold("confirm-promotion", "c1", later, passed=True)  # passes: no hold
        sessions = create_sessionmaker(engine)
        async with sessions() as session:
            calls = await last_calls(
                session, cluster="devcluster", namespace=NS, name="web", unwritten=writer.unwritten
            )
        shown = {
            gate.value: (call.checksum, call.passed, in_utc(call.held_since), in_utc(call.seen_at))
            for gate, call in calls.items()
        }
        assert shown == {
            "rollback": ("c1", False, started, later),
            "confirm-rollout": ("c2", False, later, later),
            "confirm-promotion": ("c1", True, None, later),
        }
        assert writer.pending == 3  # reading wrote nothing
    finally:
        await engine.dispose()


async def test_pending_calls_are_written_on_shutdown(gate_stage: GateStage) -> None:
    checksum = gate_stage.checksum()
    gates = ("confirm-promotion", "confirm-rollout", "confirm-traffic-increase", "rollback")
    async with gate_stage.portal(gate_call_flush_seconds=NEVER) as portal:
        for gate in gates:
            await call_gate(portal, gate, gate_body(checksum))
        assert portal.app.state.portal.gate_calls.pending == len(gates)
    stored = await stored_calls(gate_stage.database_url)
    assert stored == [(gate, checksum, gate != "rollback") for gate in gates]


def as_datetime(value: datetime | str) -> datetime:
    """SQLite's raw rows carry the stored text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def test_a_hold_kept_across_a_batch_keeps_its_start(gate_stage: GateStage) -> None:
    checksum = gate_stage.checksum()
    async with gate_stage.portal(gate_call_flush_seconds=NEVER) as portal:
        assert (await call_gate(portal, "rollback", gate_body(checksum)))[0] == 403
        after_first = datetime.now(UTC)
        for _ in range(2):
            assert (await call_gate(portal, "rollback", gate_body(checksum)))[0] == 403
        first = portal.app.state.portal.gate_calls
        await first.flush()
        await call_gate(portal, "rollback", gate_body(checksum))
        await first.flush()
    engine = create_async_engine(gate_stage.database_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT held_since, seen_at FROM gate_calls WHERE gate = 'rollback'")
                )
            ).one()
    finally:
        await engine.dispose()
    held_since, seen_at = (in_utc(as_datetime(value)) for value in row)
    assert held_since < after_first < seen_at  # the first hold's start, kept through both batches


async def test_readers_arriving_together_share_one_write_in_key_order(database_url: str) -> None:
    """Fifty readers flushing at once make one transaction, not fifty in a queue; the rows go
    out sorted by key, the order every replica uses, so two replicas never deadlock."""
    engine = create_async_engine(database_url)
    transactions: list[list[tuple[str, ...]]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO GATE_CALLS"):
            rows = parameters if isinstance(parameters, list) else [parameters]
            transactions.append([tuple(str(v) for v in row[:4]) for row in rows])

    now = datetime.now(UTC)
    writer = GateCallWriter(engine, flush_seconds=NEVER)
    try:
        for name, gate in (
            ("web", "rollback"),
            ("api", "confirm-rollout"),
            ("web", "confirm-rollout"),
        ):
            writer.note(
                noted_call(
                    cluster="devcluster",
                    namespace=NS,
                    name=name,
                    gate=Gate(gate),
                    checksum="c1",
                    phase="Progressing",
                    revision="r1",
                    answer=GateAnswer(passed=False, reason="held"),
                    now=now,
                )
            )
        await asyncio.gather(*(writer.flush() for _ in range(50)))
        assert transactions == [
            [
                ("devcluster", NS, "api", "confirm-rollout"),
                ("devcluster", NS, "web", "confirm-rollout"),
                ("devcluster", NS, "web", "rollback"),
            ]
        ]
        assert (writer.written, writer.pending) == (3, 0)
        await writer.flush()  # nothing new noted: nothing written
        assert len(transactions) == 1
    finally:
        await engine.dispose()
