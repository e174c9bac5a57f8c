"""Flagger's last call to each gate, written in batches after the answer went out.

A gate call's answer never waits for this write: the call is noted in memory (one entry per
canary and gate, the newest winning, the start of a hold kept) and a writer task upserts what
is pending every `flush_seconds`, in one transaction. Readers that show last-call data (the
canary page and API, the gate state API) overlay `unwritten()` on what they read, so what they
show includes every call this replica answered before without waiting for a write; an
operator's action calls `flush()` first, as it acts on the stored calls. A failed write keeps its
rows pending and is tried again; shutdown writes what is left (`close`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import and_, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from portal.domain.canary_gates import Gate
from portal.domain.gate_rules import GateAnswer
from portal.models.gates import GateCall

log = logging.getLogger(__name__)

ANSWER_LIMIT = 1000
RETRY_SECONDS = 1.0
CLOSE_SECONDS = 10.0
"""How long shutdown waits for the last batch before saying how many calls it drops."""

Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class NotedCall:
    """One gate call as it will be stored (`held_since`: the start of the hold it continues)."""

    cluster: str
    namespace: str
    name: str
    gate: str
    checksum: str
    revision: str | None
    phase: str
    passed: bool
    answer: str
    seen_at: datetime
    held_since: datetime | None

    @property
    def key(self) -> Key:
        return (self.cluster, self.namespace, self.name, self.gate)

    def row(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.__slots__}


class UnwrittenCalls(Protocol):
    """`GateCallWriter.unwritten`, as readers take it."""

    def __call__(self, *, cluster: str, namespace: str, name: str) -> list[NotedCall]: ...


def noted_call(
    *,
    cluster: str,
    namespace: str,
    name: str,
    gate: Gate,
    checksum: str,
    phase: str,
    revision: str | None,
    answer: GateAnswer,
    now: datetime,
) -> NotedCall:
    return NotedCall(
        cluster=cluster,
        namespace=namespace,
        name=name,
        gate=gate.value,
        checksum=checksum,
        revision=revision,
        phase=phase,
        passed=answer.passed,
        answer=answer.reason[:ANSWER_LIMIT],
        seen_at=now,
        held_since=None if answer.passed else now,
    )


def merged(older: NotedCall | None, newer: NotedCall) -> NotedCall:
    """`newer` replaces `older`, keeping the start of a hold on the same run."""
    if older is None or newer.passed:
        return newer
    if not older.passed and older.checksum == newer.checksum and older.held_since is not None:
        return replace(newer, held_since=older.held_since)
    return newer


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def upsert_statement(dialect: str) -> Any:
    """One row per (canary, gate): a new call replaces it; a hold on the same run that goes on
    keeps the stored start of the hold; a pass clears it."""
    table = GateCall.metadata.tables[GateCall.__tablename__]
    insert = _insert(dialect)(table)
    new = insert.excluded
    still_holding = and_(
        table.c.passed.is_(False),
        table.c.held_since.is_not(None),
        table.c.checksum == new.checksum,
        new.passed.is_(False),
    )
    held_since = case((still_holding, table.c.held_since), else_=new.held_since)
    columns = ("checksum", "revision", "phase", "passed", "answer", "seen_at")
    return insert.on_conflict_do_update(
        index_elements=["cluster", "namespace", "name", "gate"],
        set_={column: new[column] for column in columns} | {"held_since": held_since},
    )


async def write_calls(connection: AsyncConnection, calls: list[NotedCall]) -> None:
    """Upsert these calls (distinct keys) in the caller's transaction."""
    if calls:
        statement = upsert_statement(connection.dialect.name)
        await connection.execute(statement, [call.row() for call in calls])


class GateCallWriter:
    """Pending last calls of this replica, and the task that writes them."""

    def __init__(self, engine: AsyncEngine, *, flush_seconds: float) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        self._pending: dict[Key, NotedCall] = {}
        self._in_flight: dict[Key, NotedCall] = {}
        """The batch being written now: no longer pending, not yet committed."""
        self._noted = asyncio.Event()
        self._writing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._noted_count = 0
        self._written_through = 0
        """Every call noted up to this count is written (or was replaced by a later one)."""
        self.written = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def unwritten(self, *, cluster: str, namespace: str, name: str) -> list[NotedCall]:
        """One canary's calls noted and not yet committed (pending, or in the batch being
        written), newest state of each gate. A reader that shows last calls overlays these
        on what it read, so it never has to wait for a write."""
        found: dict[str, NotedCall] = {}
        for calls in (self._in_flight, self._pending):  # pending is the newer
            for (c, ns, n, gate), call in calls.items():
                if (c, ns, n) == (cluster, namespace, name):
                    found[gate] = merged(found.get(gate), call)
        return list(found.values())

    def note(self, call: NotedCall) -> None:
        """Keep a call for the next batch (never waits)."""
        self._pending[call.key] = merged(self._pending.get(call.key), call)
        self._noted_count += 1
        self._noted.set()

    async def flush(self) -> None:
        """Write every call noted so far (raises when the database refuses; they stay pending).

        Callers that arrive while a batch is being written share the next one: once a batch
        that holds everything noted before a caller arrived is written, that caller returns
        without writing again (fifty readers a second make one write, not fifty in a queue)."""
        wanted = self._noted_count
        async with self._writing:
            if self._written_through >= wanted:
                return
            batch, self._pending = self._pending, {}
            through = self._noted_count
            if batch:
                self._in_flight = batch
                try:
                    async with self._engine.begin() as connection:
                        # one order for every replica: two replicas writing the same rows
                        # lock them in the same order, so they never deadlock
                        await write_calls(connection, [batch[key] for key in sorted(batch)])
                except BaseException:
                    self._restore(batch)
                    raise
                finally:
                    self._in_flight = {}
                self.written += len(batch)
            self._written_through = through

    def _restore(self, batch: Mapping[Key, NotedCall]) -> None:
        """Put a failed batch back under anything noted since (which is newer)."""
        newer, self._pending = self._pending, dict(batch)
        for call in newer.values():
            self._pending[call.key] = merged(self._pending.get(call.key), call)
        self._noted.set()

    async def _keep_writing(self) -> None:
        while True:
            await self._noted.wait()
            await asyncio.sleep(self._flush_seconds)  # gather a batch
            self._noted.clear()
            try:
                await self.flush()
            except (SQLAlchemyError, OSError) as error:
                self.failures += 1
                self._noted.set()
                log.warning("gate calls not written yet (%d pending): %s", self.pending, error)
                await asyncio.sleep(RETRY_SECONDS)

    async def __aenter__(self) -> GateCallWriter:
        self._task = asyncio.create_task(self._keep_writing(), name="gate-call-writer")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the task and write what is pending (bounded: a dead database cannot hold
        shutdown; what could not be written is logged with its count)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.flush()
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            log.error("shutdown: %d gate calls not written: %s", self.pending, error)
