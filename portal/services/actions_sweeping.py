"""Finish what operator actions leave behind once their run ends.

- a promote that set `spec.skipAnalysis: true` must put it back to false, or every later
  revision would skip its analysis too (FLAGGER.md): as soon as the canary shows an ended phase;
- gate openings bound to a run and the run's idempotency keys are retired, so a decision never
  leaks into a later run, even one that happens to reuse the same checksum.

A run has ended when the watched canary is Succeeded, Failed or Initialized; openings and keys
created before its `lastTransitionTime` belong to the ended run. The state is in the database,
so after a restart the first sweep catches up; each canary change wakes the sweeper, and it
also sweeps on its own every `idle_seconds`. Replicas may sweep concurrently: every step is
idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import datetime, timedelta

import structlog
from kubernetes_asyncio.client import ApiClient
from sqlalchemy import ColumnElement
from sqlmodel import and_, col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.domain.action_rules import ENDED_PHASES
from portal.domain.gate_rules import ALWAYS
from portal.domain.raw_fields import mapping_at, str_at, time_at
from portal.kube.patching import KubeWriteFailed
from portal.kube.view import Change, ClusterView, RawObject
from portal.models.gates import CanaryAction, GateOpening
from portal.services.actions_patches import CanaryRef, reset_skip_analysis
from portal.services.loop_failures import LoopFailures

log = structlog.get_logger("portal.actions")

Target = tuple[str, str, str]
TIMESTAMP_PRECISION = timedelta(seconds=1)
"""Kubernetes writes lastTransitionTime in whole seconds: a row created within the second the
run ended still belongs to it (a newer run needs an active phase, so it cannot be that)."""


class RunEndSweeper:
    """Background job: reset skipAnalysis and retire run-bound rows of ended runs."""

    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        view: ClusterView,
        clients: Mapping[str, ApiClient],
        timeout_seconds: float,
        idle_seconds: float = 30.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._view = view
        self._clients = clients
        self._timeout = timeout_seconds
        self._idle = idle_seconds
        self._wake = asyncio.Event()

    def on_change(self, change: Change) -> None:
        if change.kind == "canaries":
            self._wake.set()

    async def run(self) -> None:
        failures = LoopFailures(log, "sweeping ended runs failed; trying again at the next change")
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.sweep_once()
            except Exception as error:
                failures.report(error)

    async def sweep_once(self) -> None:
        async with self._sessionmaker() as session:
            for target in await _pending_targets(session):
                raw = self._view.get(
                    "canaries", cluster=target[0], namespace=target[1], name=target[2]
                )
                ended_at = _run_ended_at(raw)
                if raw is not None and ended_at is not None:
                    await self._retire(session, target, before=ended_at)
            await session.commit()

    async def _retire(self, session: AsyncSession, target: Target, *, before: datetime) -> None:
        pending = await _pending_resets(session, target)
        if pending:
            if not await self._reset(target):
                return
            await session.exec(
                update(CanaryAction)
                .where(col(CanaryAction.id).in_(pending))
                .values(reset_pending=False)
            )
        await session.exec(
            delete(GateOpening).where(
                _of(GateOpening, target),
                col(GateOpening.checksum) != ALWAYS,
                col(GateOpening.created_at) < before,
            )
        )
        await session.exec(
            update(CanaryAction)
            .where(
                _of(CanaryAction, target),
                col(CanaryAction.idempotency_key).is_not(None),
                col(CanaryAction.created_at) < before,
            )
            .values(idempotency_key=None)
        )

    async def _reset(self, target: Target) -> bool:
        """Patch skipAnalysis to false (always: the watched copy may be older than the patch
        that set it)."""
        client = self._clients.get(target[0])
        if client is None:
            return False
        ref = CanaryRef(client=client, namespace=target[1], name=target[2], timeout=self._timeout)
        try:
            await reset_skip_analysis(ref)
        except KubeWriteFailed as failed:
            log.warning("could not reset skipAnalysis", target="/".join(target), error=str(failed))
            return False
        log.info("reset skipAnalysis after the run ended", target="/".join(target))
        return True


def _of(model: type[CanaryAction] | type[GateOpening], target: Target) -> ColumnElement[bool]:
    cluster, namespace, name = target
    return and_(
        col(model.cluster) == cluster, col(model.namespace) == namespace, col(model.name) == name
    )


def _run_ended_at(raw: RawObject | None) -> datetime | None:
    status = mapping_at(raw or {}, "status")
    if str_at(status, "phase") not in ENDED_PHASES:
        return None
    ended = time_at(status, "lastTransitionTime")
    return ended + TIMESTAMP_PRECISION if ended is not None else None


async def _pending_targets(session: AsyncSession) -> set[Target]:
    actions = await session.exec(
        select(CanaryAction.cluster, CanaryAction.namespace, CanaryAction.name).where(
            or_(col(CanaryAction.reset_pending), col(CanaryAction.idempotency_key).is_not(None))
        )
    )
    openings = await session.exec(
        select(GateOpening.cluster, GateOpening.namespace, GateOpening.name).where(
            col(GateOpening.checksum) != ALWAYS
        )
    )
    return {(c, ns, n) for c, ns, n in [*actions, *openings]}


async def _pending_resets(session: AsyncSession, target: Target) -> list[int]:
    """Promotes of this canary whose skipAnalysis still has to be put back.

    No time comparison here: the run of every pending promote has ended once the canary shows
    an ended phase (the promote needed an active one), and resetting too early only means the
    analysis runs after all, while never resetting would skip every later release's analysis.
    """
    rows = await session.exec(
        select(CanaryAction.id).where(_of(CanaryAction, target), col(CanaryAction.reset_pending))
    )
    return [row for row in rows if row is not None]
