"""What operators decided about gates (openings) and which change freezes are active, held in
memory and reloaded only when the database says they changed.

Every write to `gate_openings` or `freezes`, from any replica or any tool, moves the one row of
`gate_state_version` in the same transaction (database triggers, migration 0014). Each gate call
reads that version first (a primary-key read on one held connection; calls that arrive while a
read is in flight share the next one), and reloads the rows only when it moved. The version is
read after the call arrived and the rows after the version, so a call sees every change
committed before it, on whichever replica: there is no window where a replica answers from
older state. When the version cannot be read within `timeout` (database down or stalled),
`snapshot()` raises `GateStateUnreadable` and the gate holds (fail-safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col

from portal.db import unavailable_cause
from portal.domain.gate_rules import ALWAYS, FreezeFact
from portal.models.gates import Freeze, GateOpening, GateStateVersion
from portal.services.gates_freezes import freeze_scope, in_utc

log = logging.getLogger(__name__)

OpeningKey = tuple[str, str, str, str]
WARM_SECONDS = 10.0


class GateStateUnreadable(Exception):
    """The gate state version could not be read in time: gates hold."""


@dataclass(frozen=True, slots=True)
class OpeningFact:
    """An operator's opening as a gate reads it."""

    checksum: str
    template_hash: str | None


@dataclass(frozen=True, slots=True)
class ActiveFreeze:
    cluster: str
    namespace: str | None
    fact: FreezeFact


@dataclass(frozen=True)
class GateSnapshot:
    """Openings and active freezes as of one version of the gate state."""

    version: int
    openings: dict[OpeningKey, tuple[OpeningFact, ...]] = field(default_factory=dict)
    freezes: tuple[ActiveFreeze, ...] = ()

    def openings_for(
        self, *, cluster: str, namespace: str, name: str, gate: str, checksum: str
    ) -> list[OpeningFact]:
        """This run's openings (its checksum, or `*`) of one gate."""
        found = self.openings.get((cluster, namespace, name, gate), ())
        return [o for o in found if o.checksum in (checksum, ALWAYS)]

    def freeze_for(self, *, cluster: str, namespace: str) -> FreezeFact | None:
        """The oldest active freeze covering this namespace (its own, or its cluster's)."""
        for freeze in self.freezes:
            if freeze.cluster == cluster and freeze.namespace in (None, namespace):
                return freeze.fact
        return None


def build_snapshot(
    version: int, openings: Iterable[GateOpening], freezes: Iterable[Freeze]
) -> GateSnapshot:
    grouped: dict[OpeningKey, list[OpeningFact]] = {}
    for o in openings:
        key = (o.cluster, o.namespace, o.name, o.gate)
        grouped.setdefault(key, []).append(OpeningFact(o.checksum, o.template_hash))
    active = tuple(
        ActiveFreeze(
            cluster=f.cluster,
            namespace=f.namespace,
            fact=FreezeFact(
                id=f.id,
                scope=freeze_scope(f),
                reason=f.reason,
                created_by=f.created_by,
                created_at=in_utc(f.created_at),
            ),
        )
        for f in sorted(freezes, key=lambda f: f.id or 0)
        if f.id is not None
    )
    return GateSnapshot(
        version=version, openings={k: tuple(v) for k, v in grouped.items()}, freezes=active
    )


class VersionReader:
    """Reads `gate_state_version` on one held connection, one read at a time: a call joins the
    next read that starts after it arrived (never one already in flight, which could miss a
    change committed just before the call)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._next: asyncio.Future[int] | None = None
        self._running: asyncio.Task[None] | None = None

    async def read(self) -> int:
        future = self._next
        if future is None:
            future = self._next = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieved)
            if self._running is None:
                self._start()
        return await asyncio.shield(future)

    def _start(self) -> None:
        future, self._next = self._next, None
        if future is not None:
            self._running = asyncio.create_task(self._read_into(future), name="gate-version")

    async def _read_into(self, future: asyncio.Future[int]) -> None:
        try:
            version = await self._read_once()
        except (SQLAlchemyError, OSError) as error:
            await self._drop_connection()
            cause = unavailable_cause(error) or str(error) or type(error).__name__
            future.set_exception(GateStateUnreadable(cause))
        except BaseException as error:  # cancelled (shutdown or a stalled read): drop it
            with contextlib.suppress(Exception):
                await asyncio.shield(self._drop_connection())
            future.set_exception(GateStateUnreadable("the version read was abandoned"))
            if isinstance(error, asyncio.CancelledError):
                raise
        else:
            future.set_result(version)
        finally:
            self._running = None
            if self._next is not None:
                self._start()

    async def _read_once(self) -> int:
        """On the held connection; one that broke (the database restarted) is replaced once at
        once, so the answer reflects the database now, not the old connection."""
        if self._connection is not None:
            try:
                return await self._read_on_connection()
            except (SQLAlchemyError, OSError):
                await self._drop_connection()
        return await self._read_on_connection()

    async def _read_on_connection(self) -> int:
        if self._connection is None:
            connection = await self._engine.connect()
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        result = await self._connection.execute(
            select(col(GateStateVersion.version)).where(col(GateStateVersion.id) == 1)
        )
        return int(result.scalar_one())

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
                await connection.close()

    async def close(self) -> None:
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError, GateStateUnreadable):
                await self._running
        await self._drop_connection()


def _retrieved(future: asyncio.Future[int]) -> None:
    """Mark the outcome seen even when every waiter gave up (no 'never retrieved' noise)."""
    if not future.cancelled():
        future.exception()


class GateBook:
    """The gate state this replica answers from; `snapshot()` is current as of the call."""

    def __init__(self, engine: AsyncEngine, *, timeout: float) -> None:
        self._engine = engine
        self._timeout = timeout
        self._versions = VersionReader(engine)
        self._reloading = asyncio.Lock()
        self._snapshot: GateSnapshot | None = None
        self.reloads = 0

    async def snapshot(self) -> GateSnapshot:
        """Openings and freezes as committed when this call arrived, or GateStateUnreadable."""
        try:
            async with asyncio.timeout(self._timeout):
                version = await self._versions.read()
                return await self._current(version)
        except TimeoutError:
            raise GateStateUnreadable(
                f"the gate state was not readable within {self._timeout:g} s"
            ) from None
        except (SQLAlchemyError, OSError) as error:
            cause = unavailable_cause(error) or str(error) or type(error).__name__
            raise GateStateUnreadable(cause) from error

    async def _current(self, version: int) -> GateSnapshot:
        held = self._snapshot
        if held is not None and held.version >= version:
            return held
        async with self._reloading:
            held = self._snapshot
            if held is None or held.version < version:
                held = self._snapshot = await self._load(version)
                self.reloads += 1
            return held

    async def _load(self, version: int) -> GateSnapshot:
        """Rows read after `version` was: as new as it, or newer (a later call reloads)."""
        openings_table = GateOpening.metadata.tables[GateOpening.__tablename__]
        freezes_table = Freeze.metadata.tables[Freeze.__tablename__]
        async with self._engine.connect() as connection:
            openings = (await connection.execute(openings_table.select())).all()
            active = freezes_table.select().where(freezes_table.c.lifted_at.is_(None))
            freezes = (await connection.execute(active)).all()
        return build_snapshot(
            version,
            (GateOpening.model_validate(row._mapping) for row in openings),
            (Freeze.model_validate(row._mapping) for row in freezes),
        )

    async def warm(self) -> None:
        """Open the version connection and load the state before the first call (startup): a
        cold connection on a loaded machine can take longer than the fail-safe timeout. A
        database that is down now is no reason not to start: calls hold until it is back."""
        try:
            async with asyncio.timeout(WARM_SECONDS):
                await self._current(await self._versions.read())
        except (GateStateUnreadable, SQLAlchemyError, OSError, TimeoutError) as error:
            log.warning("gate book not loaded at startup (gates hold until it is): %s", error)

    async def close(self) -> None:
        await self._versions.close()
