"""Deliver the notification outbox: claim due rows, send each burst as one message, record the
outcome (delivered, retry later, or failed with the last error).

At-least-once: a row stays pending until a receiver answered 2xx, and every try of a message
carries the same Idempotency-Key (its group's first row). Claims are atomic conditional updates
(FOR UPDATE SKIP LOCKED on PostgreSQL) that expire, so a deliverer that dies mid-send leaves the
row to the next one; rows pending at shutdown are there after a restart. Today the single
portal process delivers (leader election, issue 18, is not built).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from limits import parse as parse_rate_limit
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.config import Settings
from portal.db import SessionMaker
from portal.domain.notification_delivery import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    Backoff,
    Verdict,
    judge_answer,
    sign_body,
)
from portal.domain.notification_messages import render_message
from portal.models.notifications import NotificationChannel, NotificationOutbox
from portal.services.loop_failures import LoopFailures
from portal.services.notification_secrets import ChannelTarget, SecretBox, SecretUnavailable
from portal.services.uninterrupted import uninterrupted

log = structlog.get_logger("portal.notifications")

CLAIM_BATCH = 50
USER_AGENT = "infra-fleet-portal/notifications"


def _update() -> Any:
    """An UPDATE of outbox rows that leaves objects in the session alone (rows are re-read)."""
    return update(NotificationOutbox).execution_options(synchronize_session=False)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    portal_url: str = "http://127.0.0.1:8000"
    group_seconds: float = 5.0
    timeout_seconds: float = 10.0
    claim_seconds: float = 60.0
    rate_limit: str = "20/minute"
    tick_seconds: float = 1.0
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    retry_after: str | None
    error: str | None


async def post_message(
    client: httpx.AsyncClient,
    target: ChannelTarget,
    *,
    kind: str,
    message: dict[str, Any],
    message_key: str,
    timeout_seconds: float,
) -> Answer:
    """POST one rendered message; the generic kind is signed over the exact bytes sent."""
    body = json.dumps(message, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        IDEMPOTENCY_HEADER: message_key,
    }
    if kind == "webhook" and target.secret:
        headers[SIGNATURE_HEADER] = sign_body(target.secret, body)
    try:
        response = await client.post(
            target.url, content=body, headers=headers, timeout=timeout_seconds
        )
    except httpx.TimeoutException:
        return Answer(None, None, "timed out")
    except httpx.HTTPError as error:  # the message never names the URL: it is a secret
        return Answer(None, None, f"{type(error).__name__}: no answer")
    return Answer(response.status_code, response.headers.get("Retry-After"), None)


class NotificationSender:
    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        secrets: SecretBox,
        config: DeliveryConfig,
        client: httpx.AsyncClient,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.secrets = secrets
        self.config = config
        self.client = client
        self.clock = clock
        self.worker = f"portal-{uuid.uuid4().hex[:12]}"
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.limit = parse_rate_limit(config.rate_limit)

    async def run(self) -> None:
        """Deliver forever (cancel to stop); claims of an interrupted send simply expire."""
        failures = LoopFailures(log, "notification delivery failed")
        while True:
            try:
                await uninterrupted(self.deliver_due())
            except Exception as error:
                failures.report(error)
            await asyncio.sleep(self.config.tick_seconds)

    async def deliver_due(self) -> int:
        """Send every due burst once; returns how many messages were tried."""
        rows = await self._claim()
        groups: dict[tuple[int, str], list[NotificationOutbox]] = defaultdict(list)
        for row in rows:
            groups[(row.channel_id, row.group_key)].append(row)
        for members in groups.values():
            await self._send(sorted(members, key=lambda row: row.id or 0))
        return len(groups)

    async def _claim(self) -> list[NotificationOutbox]:
        now = self.clock()
        until = now + timedelta(seconds=self.config.claim_seconds)
        grouped_before = now - timedelta(seconds=self.config.group_seconds)
        free = or_(
            col(NotificationOutbox.claimed_until).is_(None),
            col(NotificationOutbox.claimed_until) < now,
        )
        due = (
            select(NotificationOutbox.id)
            .where(col(NotificationOutbox.status) == "pending", free)
            .where(NotificationOutbox.next_attempt_at <= now)
            .where(NotificationOutbox.created_at <= grouped_before)
            .order_by(col(NotificationOutbox.id))
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True)
        )
        async with self.sessionmaker() as session:
            if (await session.exec(due.limit(1))).first() is None:
                return []  # the usual case: no write, so no write lock taken each tick
        # a new transaction that writes first: SQLite cannot turn a read snapshot into a write
        async with self.sessionmaker() as session:
            batch = due.limit(CLAIM_BATCH).with_for_update(skip_locked=True)
            await session.exec(
                _update()
                .where(col(NotificationOutbox.id).in_(batch.scalar_subquery()), free)
                .values(claimed_by=self.worker, claimed_until=until)
            )
            claimed = list(await session.exec(self._mine(until)))
            for channel_id, group_key in {(row.channel_id, row.group_key) for row in claimed}:
                await session.exec(
                    _update()
                    .where(col(NotificationOutbox.channel_id) == channel_id)
                    .where(col(NotificationOutbox.group_key) == group_key)
                    .where(col(NotificationOutbox.status) == "pending", free)
                    .values(claimed_by=self.worker, claimed_until=until)
                )
            rows = list(await session.exec(self._mine(until)))
            await session.commit()
        return rows

    def _mine(self, until: datetime) -> Any:
        return (
            select(NotificationOutbox)
            .where(col(NotificationOutbox.claimed_by) == self.worker)
            .where(NotificationOutbox.claimed_until == until)
            .where(col(NotificationOutbox.status) == "pending")
        )

    async def _send(self, rows: Sequence[NotificationOutbox]) -> None:
        head = rows[0]
        now = self.clock()
        async with self.sessionmaker() as session:
            channel = await session.get(NotificationChannel, head.channel_id)
        if channel is None:
            await self._finish(rows, Verdict(False, None, "channel deleted"), attempts=0)
            return
        if not await self.limiter.hit(self.limit, "notify-channel", str(channel.id)):
            await self._wait_for_rate(rows, channel_id=channel.id or 0, now=now)
            return
        attempts = head.attempts + 1
        try:
            target = self.secrets.target(channel)
        except SecretUnavailable as error:
            answer = Answer(None, None, error.detail)
        else:
            events = [json.loads(row.payload) for row in rows]
            message = render_message(
                channel.kind,
                events,
                portal_url=self.config.portal_url,
                message_id=head.idempotency_key,
            )
            answer = await post_message(
                self.client,
                target,
                kind=channel.kind,
                message=message,
                message_key=head.idempotency_key,
                timeout_seconds=self.config.timeout_seconds,
            )
        verdict = judge_answer(
            answer.status,
            error=answer.error,
            retry_after=answer.retry_after,
            attempts=attempts,
            backoff=self.config.backoff,
            now=self.clock(),
        )
        log.info(
            "notification tried",
            channel=channel.name,
            message_key=head.idempotency_key,
            events=len(rows),
            status=answer.status,
            delivered=verdict.delivered,
            error=verdict.error,
        )
        await self._finish(rows, verdict, attempts=attempts)

    async def _wait_for_rate(
        self, rows: Sequence[NotificationOutbox], *, channel_id: int, now: datetime
    ) -> None:
        reset, _remaining = await self.limiter.get_window_stats(
            self.limit, "notify-channel", str(channel_id)
        )
        retry_at = now + timedelta(seconds=max(reset - time.time(), 0.1))
        async with self.sessionmaker() as session:
            await session.exec(
                _update()
                .where(col(NotificationOutbox.id).in_([row.id for row in rows]))
                .values(
                    next_attempt_at=retry_at,
                    claimed_by=None,
                    claimed_until=None,
                    last_error="channel rate limit reached; waiting",
                )
            )
            await session.commit()

    async def _finish(
        self, rows: Sequence[NotificationOutbox], verdict: Verdict, *, attempts: int
    ) -> None:
        now = self.clock()
        status = "delivered" if verdict.delivered else ("failed" if verdict.gave_up else "pending")
        values: dict[str, Any] = {
            "status": status,
            "attempts": attempts,
            "claimed_by": None,
            "claimed_until": None,
            "last_error": verdict.error[:1000] if verdict.error else None,
            "message_key": rows[0].idempotency_key,
        }
        if verdict.retry_at is not None:
            values["next_attempt_at"] = verdict.retry_at
        if verdict.delivered:
            values["delivered_at"] = now
        async with self.sessionmaker() as session:
            await session.exec(
                _update()
                .where(col(NotificationOutbox.id).in_([row.id for row in rows]))
                .where(col(NotificationOutbox.claimed_by) == self.worker)
                .values(**values)
            )
            await session.commit()

    async def release(self) -> None:
        """Give back every claim of this deliverer (at shutdown), so a restart sends at once.

        Never raises: with the database down at shutdown the claims simply expire at their
        `claimed_until`, and the shutdown must go on."""
        try:
            async with self.sessionmaker() as session:
                await _release(session, self.worker)
                await session.commit()
        except Exception as error:
            log.warning(
                "notification claims not released; they expire on their own",
                error_type=type(error).__name__,
            )


async def _release(session: AsyncSession, worker: str) -> None:
    await session.exec(
        _update()
        .where(col(NotificationOutbox.claimed_by) == worker)
        .where(col(NotificationOutbox.status) == "pending")
        .values(claimed_by=None, claimed_until=None)
    )


def delivery_config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig(
        portal_url=settings.notify_portal_url,
        group_seconds=settings.notify_group_seconds,
        timeout_seconds=settings.notify_timeout_seconds,
        rate_limit=settings.notify_channel_rate_limit,
        tick_seconds=settings.notify_tick_seconds,
        backoff=Backoff(
            base_seconds=settings.notify_backoff_seconds,
            max_seconds=settings.notify_backoff_max_seconds,
            max_attempts=settings.notify_max_attempts,
        ),
    )
