"""Follow a retry until Flagger shows whether it started a new run; never call it applied on faith.

A retry bumps a pod-template annotation. Flagger starts a new run only if a tick sees the new
template as a change, and it can miss it: a Failed canary's status is synced every tick before
the change check (scheduler.go:861-867 at v1.44.0), so a tick that then stops early (primary not
ready) stores the new hash as `lastAppliedSpec` and no later tick sees a change; a template equal
to `lastPromotedSpec` is never a new revision (spec.go:32-49). The follower watches each pending
retry (a `retry` action whose `detail` is still empty) and, once the canary left Failed with a new
revision or two analysis intervals passed, writes the verdict into the action and the audit log:
`applied` or `not started` with why. State is in the database; every step is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import structlog
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.domain.retry_verdicts import NOT_STARTED, retry_verdict
from portal.errors import PortalError
from portal.kube.view import Change, ClusterView, utcnow
from portal.models.gates import CanaryAction
from portal.services import fleet
from portal.services.audit import record_audit
from portal.services.loop_failures import LoopFailures

log = structlog.get_logger("portal.actions")


class RetryFollower:
    """Background job: decide pending retries, on canary changes and every `idle_seconds`."""

    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        view: ClusterView,
        window_seconds: float | None = None,
        idle_seconds: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._view = view
        self._window = window_seconds
        self._idle = idle_seconds
        self._wake = asyncio.Event()

    def on_change(self, change: Change) -> None:
        if change.kind == "canaries":
            self._wake.set()

    async def run(self) -> None:
        failures = LoopFailures(log, "following retries failed; trying again at the next change")
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.follow_once()
            except Exception as error:
                failures.report(error)

    async def follow_once(self) -> None:
        async with self._sessionmaker() as session:
            rows = await session.exec(
                select(CanaryAction).where(
                    col(CanaryAction.action) == "retry", col(CanaryAction.detail) == ""
                )
            )
            for action in rows.all():
                await self._decide(session, action)
            await session.commit()

    async def _decide(self, session: AsyncSession, action: CanaryAction) -> None:
        now = utcnow()
        try:
            canary = fleet.get_canary(
                self._view,
                cluster=action.cluster,
                namespace=action.namespace,
                name=action.name,
                now=now,
            )
        except PortalError:  # the canary or its cluster is gone: nothing will ever start
            canary = None
        verdict = (
            ("not started", f"{NOT_STARTED}: the canary is gone")
            if canary is None
            else retry_verdict(
                canary,
                failed_revision=action.revision,
                requested_at=_aware(action.created_at),
                now=now,
                window_seconds=self._window,
            )
        )
        if verdict is None:
            return
        outcome, detail = verdict
        claimed = await session.exec(
            update(CanaryAction)
            .where(col(CanaryAction.id) == action.id, col(CanaryAction.detail) == "")
            .values(detail=detail[:1000])
        )
        if claimed.rowcount != 1:  # another replica decided it meanwhile
            return
        await record_audit(
            session,
            actor=action.actor,
            role="portal",
            action="retry",
            outcome=outcome,
            cluster=action.cluster,
            namespace=action.namespace,
            name=action.name,
            reason=f"follow-up of retry #{action.id}: {action.reason}",
            phase_before="Failed",
            error=detail if outcome != "applied" else None,
        )
        log.info("retry followed", action_id=action.id, outcome=outcome, detail=detail)


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
