"""Cost Explorer refreshes: on a schedule and on an admin's demand, each one a snapshot row.

Page and API views only read snapshots; this is the only code that spends Cost Explorer
requests. Due times come from the rows themselves, so a restart neither refreshes early nor
forgets a failure: after a failure (throttled, access denied, timed out) the next attempt
waits 60 s (`first_backoff_seconds`), doubling per consecutive failure, never longer than the
refresh interval; views keep showing the last good snapshot, marked stale with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

import structlog
from sqlmodel import col, func, select

from portal.aws.cost_explorer import CostExplorer, CostExplorerUnavailable, describe_failure
from portal.aws.spot_prices import SpotPriceReader, SpotPricesUnavailable
from portal.db import SessionMaker
from portal.domain.burn_rates import SpotKey
from portal.domain.cost_reports import CostReport
from portal.domain.cost_requests import CostScope
from portal.errors import TooManyRequests
from portal.models.costs import CostSnapshot
from portal.services.audit import Actor, record_audit

Trigger = Literal["schedule", "manual"]
FIRST_BACKOFF_SECONDS = 60.0
FIRST_LIST_WAIT_SECONDS = 60.0
"""At start, the first refresh waits this long at most for the watched nodes' first lists, so
it knows which spot prices to read."""
log = structlog.get_logger("portal.costs")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class CostState:
    """What views show: the last good report, whether it is stale and why, and the spend."""

    report: CostReport | None
    fetched_at: datetime | None
    stale: bool
    error: str | None
    last_attempt_at: datetime | None
    requests_this_month: int
    month_start: datetime


async def cost_state(sessionmaker: SessionMaker, *, now: datetime) -> CostState:
    """Read-only: the newest good snapshot, the newest attempt, and this month's request count."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    async with sessionmaker() as session:
        good = (
            await session.exec(
                select(CostSnapshot)
                .where(col(CostSnapshot.ok))
                .order_by(col(CostSnapshot.fetched_at).desc(), col(CostSnapshot.id).desc())
                .limit(1)
            )
        ).first()
        last = (
            await session.exec(
                select(CostSnapshot)
                .order_by(col(CostSnapshot.fetched_at).desc(), col(CostSnapshot.id).desc())
                .limit(1)
            )
        ).first()
        spent = (
            await session.exec(
                select(func.coalesce(func.sum(CostSnapshot.requests), 0)).where(
                    col(CostSnapshot.fetched_at) >= month_start
                )
            )
        ).one()
    failed = last is not None and not last.ok
    return CostState(
        report=CostReport.from_json(json.loads(good.report)) if good and good.report else None,
        fetched_at=_aware(good.fetched_at) if good else None,
        stale=failed,
        error=last.error if last is not None and failed else None,
        last_attempt_at=_aware(last.fetched_at) if last else None,
        requests_this_month=int(spent),
        month_start=month_start,
    )


async def _consecutive_failures(sessionmaker: SessionMaker) -> tuple[int, datetime | None]:
    async with sessionmaker() as session:
        rows = (
            await session.exec(
                select(CostSnapshot)
                .order_by(col(CostSnapshot.fetched_at).desc(), col(CostSnapshot.id).desc())
                .limit(16)
            )
        ).all()
    failures = 0
    for row in rows:
        if row.ok:
            break
        failures += 1
    return failures, _aware(rows[0].fetched_at) if rows else None


def next_delay(
    *,
    failures: int,
    last_attempt: datetime | None,
    now: datetime,
    interval_seconds: float,
    first_backoff_seconds: float = FIRST_BACKOFF_SECONDS,
) -> float:
    """Seconds until the next scheduled attempt (0: now)."""
    if last_attempt is None:
        return 0.0
    wait = (
        interval_seconds
        if failures == 0
        else min(interval_seconds, first_backoff_seconds * 2 ** (failures - 1))
    )
    return max(0.0, wait - (now - last_attempt).total_seconds())


@dataclass(frozen=True, slots=True)
class SpotBook:
    """The spot prices the last refresh read (kept in memory; a restart reads them again once
    the nodes are listed)."""

    prices: dict[SpotKey, Decimal] = field(default_factory=dict)
    fetched_at: datetime | None = None
    error: str | None = None


class ManualRefreshTooSoon(TooManyRequests):
    """Each refresh costs money: an admin's waits PORTAL_COST_MANUAL_REFRESH_SECONDS after the
    previous one (whoever made it), across replicas (the time is read from the database)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"the last Cost Explorer refresh was too recent; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class CostRefresher:
    """The one writer of cost snapshots (per replica: leader election is a later step)."""

    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        explorer: CostExplorer,
        scope: CostScope,
        interval_seconds: float,
        manual_interval_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        spot: SpotPriceReader | None = None,
        spot_wanted: Callable[[], set[SpotKey]] = set,
        nodes_listed: Callable[[], Awaitable[object]] | None = None,
        first_backoff_seconds: float = FIRST_BACKOFF_SECONDS,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._explorer = explorer
        self._scope = scope
        self._interval = interval_seconds
        self._manual_interval = manual_interval_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        """One attempt at a time: a manual refresh checks its interval and refreshes under it."""
        self._spot = spot
        self._spot_wanted = spot_wanted
        self._nodes_listed = nodes_listed
        self._first_backoff = first_backoff_seconds
        self.spot = SpotBook()
        """What views price spot nodes with; only a refresh replaces it."""

    async def _refresh_spot(self, now: datetime) -> None:
        """The latest spot price of every watched spot node's type and zone (one free
        DescribeSpotPriceHistory request); a failure keeps the previous prices and says why."""
        if self._spot is None:
            return
        try:
            prices = await self._spot.latest(self._spot_wanted(), now=now)
        except SpotPricesUnavailable as error:
            self.spot = SpotBook(self.spot.prices, self.spot.fetched_at, error.reason[:2000])
        except Exception as error:  # spot prices are optional: the discount stands in
            self.spot = SpotBook(
                self.spot.prices, self.spot.fetched_at, describe_failure(error)[:2000]
            )
        else:
            self.spot = SpotBook(prices=prices, fetched_at=now)

    async def refresh(self, *, trigger: Trigger) -> CostSnapshot:
        """One attempt; its row is written whatever happens (figures, or the reason)."""
        async with self._lock:
            return await self._attempt(trigger)

    async def _attempt(self, trigger: Trigger) -> CostSnapshot:
        before = self._explorer.requests_sent
        now = self._clock()
        snapshot = CostSnapshot(fetched_at=now, trigger=trigger, ok=False)
        try:
            report = await self._explorer.report(today=now.date(), scope=self._scope)
        except CostExplorerUnavailable as error:
            snapshot.error = error.reason[:2000]
        except Exception as error:  # a refresh never takes the portal down; the page says why
            snapshot.error = describe_failure(error)[:2000]
        else:
            snapshot.ok = True
            snapshot.report = json.dumps(report.to_json(), separators=(",", ":"))
        snapshot.requests = self._explorer.requests_sent - before
        await self._refresh_spot(now)
        async with self._sessionmaker() as session:
            session.add(snapshot)
            await session.commit()
            await session.refresh(snapshot)
        return snapshot

    async def refresh_by(self, actor: Actor) -> CostSnapshot:
        """An admin's refresh: refused (ManualRefreshTooSoon) within the manual interval of the
        previous attempt, whoever made it; audited either way."""
        async with self._lock:
            _, last = await _consecutive_failures(self._sessionmaker)
            since = (self._clock() - last).total_seconds() if last is not None else math.inf
            if since < self._manual_interval:
                retry_after = max(1, math.ceil(self._manual_interval - since))
                await self._audit(actor, outcome="rejected", error=f"retry in {retry_after} s")
                raise ManualRefreshTooSoon(retry_after)
            snapshot = await self._attempt("manual")
        await self._audit(
            actor, outcome="applied" if snapshot.ok else "failed", error=snapshot.error
        )
        return snapshot

    async def _audit(self, actor: Actor, *, outcome: str, error: str | None) -> None:
        async with self._sessionmaker() as session:
            await record_audit(
                session,
                actor=actor.name,
                role=actor.role,
                action="cost-refresh",
                outcome=outcome,
                source_ip=actor.source_ip,
                error=error,
                request_id=actor.request_id,
            )
            await session.commit()

    async def due_in(self) -> float:
        """Seconds until the next scheduled refresh is due (0: now), from the stored attempts."""
        failures, last = await _consecutive_failures(self._sessionmaker)
        return next_delay(
            failures=failures,
            last_attempt=last,
            now=self._clock(),
            interval_seconds=self._interval,
            first_backoff_seconds=self._first_backoff,
        )

    async def _start_spot(self) -> None:
        """Wait (bounded) for the nodes' first lists; when the scheduled refresh is not due yet
        (a restart), read the spot prices once now (free) rather than use the discount until
        then."""
        if self._spot is None:
            return
        if self._nodes_listed is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FIRST_LIST_WAIT_SECONDS):
                    await self._nodes_listed()
        try:
            due = await self.due_in()
        except Exception:  # the loop reports an unreachable database
            return
        if due > 0:
            async with self._lock:
                await self._refresh_spot(self._clock())

    async def run(self) -> None:
        """Refresh whenever due, until cancelled; a database failure waits and tries again."""
        await self._start_spot()
        while True:
            try:
                delay = await self.due_in()
                if delay <= 0:
                    await self.refresh(trigger="schedule")
                    continue
            except Exception as error:  # the loop outlives an unreachable database
                log.warning("cost refresh loop failed", error=describe_failure(error))
                delay = self._first_backoff
            await asyncio.sleep(delay)
