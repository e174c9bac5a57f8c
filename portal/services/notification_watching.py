"""Turn what the portal sees into notices: canary conditions (needs attention, waiting for
approval, stuck) compared with the last ones notified, stale clusters, and ended runs.

Conditions are checked for changed canaries on every tick and for every canary each scan (stuck
and stale depend on time passing, not on a status write). The new conditions and their outbox
rows commit in one transaction. Ended runs come from the timeline recorder, which calls
`runs_decided` inside its own transaction. One process runs this today (no leader election yet,
issue 18); the outbox it writes is safe for several deliverers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.domain.notification_conditions import Conditions, condition_notices, conditions_of
from portal.domain.notification_events import run_end_notices, stale_notice
from portal.domain.runs import RunDecision, RunState
from portal.kube.view import Change, ClusterView
from portal.models.notifications import NotificationState
from portal.services import fleet
from portal.services.loop_failures import LoopFailures
from portal.services.notification_outbox import enqueue_notices, labels_of
from portal.services.uninterrupted import uninterrupted

log = structlog.get_logger("portal.notifications")

CanaryKey = tuple[str, str, str]
FIRST_LIST_WAIT_SECONDS = 30.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def subject_key(key: CanaryKey) -> str:
    return "canary:" + "/".join(key)


class NotificationWatcher:
    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        view: ClusterView,
        tick_seconds: float = 1.0,
        scan_seconds: float = 15.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.view = view
        self.tick_seconds = tick_seconds
        self.scan_seconds = scan_seconds
        self.clock = clock
        self.dirty: set[CanaryKey] = set()
        self.known: dict[str, Conditions] | None = None

    def on_change(self, change: Change) -> None:
        if change.kind == "canaries" and change.type != "DELETED":
            self.dirty.add((change.cluster, change.namespace, change.name))

    async def runs_decided(
        self,
        session: AsyncSession,
        *,
        key: CanaryKey,
        decisions: Sequence[RunDecision],
        state: RunState,
        at: datetime,
    ) -> None:
        """Inside the timeline recorder's transaction: a FAILED notice per rolled back run."""
        cluster, namespace, name = key
        raw = self.view.get("canaries", cluster=cluster, namespace=namespace, name=name)
        notices = run_end_notices(
            key, decisions, labels=labels_of(raw), revision=state.revision, at=at
        )
        await enqueue_notices(session, notices, now=at)

    async def run(self) -> None:
        """Check until cancelled. Each start (a new leadership term) forgets what it knew:
        another replica may have stored newer conditions meanwhile."""
        self.known = None
        if self.view.clusters:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FIRST_LIST_WAIT_SECONDS):
                    await self.view.all_listed.wait()
        loop = asyncio.get_running_loop()
        next_scan = loop.time()
        failures = LoopFailures(log, "notification check failed")
        while True:
            full = loop.time() >= next_scan
            if full:
                next_scan = loop.time() + self.scan_seconds
            try:
                await uninterrupted(self.check(full=full))
            except Exception as error:
                failures.report(error)
            await asyncio.sleep(self.tick_seconds)

    async def check(self, *, full: bool) -> None:
        """Compare changed canaries (every canary when `full`) and, when full, the clusters."""
        keys = self._all_keys() if full else set(self.dirty)
        self.dirty -= keys
        for key in sorted(keys):
            try:
                await self.check_canary(key)
            except Exception:
                self.dirty.add(key)  # compared again on the next tick
                raise
        if full:
            await self.check_clusters()

    def _all_keys(self) -> set[CanaryKey]:
        keys = set()
        for cluster, obj in self.view.objects("canaries"):
            metadata = obj.get("metadata") or {}
            keys.add((cluster, str(metadata.get("namespace") or ""), str(metadata.get("name"))))
        return keys

    async def _known(self, session: AsyncSession) -> dict[str, Conditions]:
        if self.known is None:
            rows = await session.exec(select(NotificationState))
            self.known = {
                row.subject: Conditions.decode(row.active, revision=row.revision) for row in rows
            }
        return self.known

    async def check_canary(self, key: CanaryKey) -> None:
        cluster, namespace, name = key
        raw = self.view.get("canaries", cluster=cluster, namespace=namespace, name=name)
        if raw is None:
            return
        now = self.clock()
        canary = fleet.canary_view(self.view, raw, cluster=cluster, now=now)
        after = conditions_of(canary)
        subject = subject_key(key)
        async with self.sessionmaker() as session:
            known = await self._known(session)
            before = known.get(subject, Conditions())
            if after.active == before.active:
                return
            notices = condition_notices(
                canary, labels=labels_of(raw), before=before, after=after, at=now
            )
            await _store(session, subject, after, now=now)
            await enqueue_notices(session, notices, now=now)
            await session.commit()
        known[subject] = after

    async def check_clusters(self) -> None:
        now = self.clock()
        notices = []
        for cluster in self.view.clusters:
            status = self.view.cluster_status(cluster)
            if status.stale and status.last_sync is not None:
                error = "; ".join(status.errors) or None
                notices.append(
                    stale_notice(cluster=cluster, since=status.last_sync, now=now, error=error)
                )
        if not notices:
            return
        async with self.sessionmaker() as session:
            if await enqueue_notices(session, notices, now=now):
                await session.commit()


async def _store(session: AsyncSession, subject: str, after: Conditions, *, now: datetime) -> None:
    row = (
        await session.exec(select(NotificationState).where(NotificationState.subject == subject))
    ).first()
    if row is None:
        row = NotificationState(subject=subject)
    row.active, row.revision, row.updated_at = after.encode(), after.revision, now
    session.add(row)
