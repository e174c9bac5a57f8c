"""Record the canary timeline and HPA history from what the watches and Flagger report.

Watch listeners must return at once, so they only enqueue; one named task drains the queue and
writes: runs (through the pure bookkeeping in `portal.domain.runs`), timeline entries (Flagger
events from the watch or the event webhook, and the steps a run passes through) and HPA replica
samples. Each observation is one short transaction; duplicates (an event seen by the watch and
by the webhook, a relist replaying objects) are absorbed by unique keys.

Nothing is lost silently: a write the database cannot take (down, locked) is retried with
backoff (0.5 s doubling to 30 s) until it can, while new observations queue (10,000 at most);
an observation that cannot be queued or written is counted by reason in `tallies`
(`portal_timeline_writes_dropped_total{reason}`) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker, unavailable_cause
from portal.domain.canaries import build_canary_view
from portal.domain.flagger_events import classify_flagger_event, strip_combined_prefix
from portal.domain.runs import (
    CanaryObserved,
    EndRun,
    EventObserved,
    Observation,
    RunDecision,
    RunState,
    decide_run,
)
from portal.kube.view import Change, ClusterView
from portal.services import fleet
from portal.services.dora_flagger import run_target
from portal.services.loop_failures import LoopFailures
from portal.services.run_writing import apply_decisions, load_state
from portal.services.timeline_rows import TimelineWrite, insert_entry, insert_sample
from portal.services.uninterrupted import uninterrupted

log = structlog.get_logger("portal.timeline")

QUEUE_CAPACITY = 10_000
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
FIRST_LIST_WAIT_SECONDS = 30.0
CanaryKey = tuple[str, str, str]
Committed = Callable[[str, str, str], None]


class RunsDecided(Protocol):
    """Called inside the transaction that writes a canary's run decisions (notifications)."""

    def __call__(
        self,
        session: AsyncSession,
        *,
        key: CanaryKey,
        decisions: tuple[RunDecision, ...],
        state: RunState,
        at: datetime,
    ) -> Awaitable[None]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_time(event: dict[str, Any]) -> datetime | None:
    for name in ("lastTimestamp", "eventTime", "firstTimestamp"):
        if (found := parse_time(event.get(name))) is not None:
            return found
    return parse_time((event.get("metadata") or {}).get("creationTimestamp"))


def event_dedupe_key(key: CanaryKey, *, at: datetime, message: str) -> str:
    """The same Flagger event reaches us twice (watch and webhook): one key for both, to the
    second, as Kubernetes events carry no finer time."""
    digest = hashlib.sha1(message.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"event:{':'.join(key)}:{int(at.timestamp())}:{digest}"


@dataclass(frozen=True, slots=True)
class CanaryWork:
    key: CanaryKey
    observation: Observation
    entry: TimelineWrite | None = None


@dataclass(frozen=True, slots=True)
class SampleWork:
    cluster: str
    namespace: str
    name: str
    at: datetime
    current: int
    desired: int


Work = CanaryWork | SampleWork


@dataclass
class TimelineTallies:
    """What the recorder wrote, retried and dropped (the metrics read these)."""

    written: int = 0
    retried: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    """By reason: `queue_full`, `write_failed` (an error retrying cannot fix),
    `stopped` (queued or being retried when this replica stopped leading or shut down; the next
    leader replays the canaries and their events from its view, HPA samples are not replayed)."""

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + count


class TimelineRecorder:
    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        view: ClusterView,
        on_committed: Committed | None = None,
        on_run_ended: Committed | None = None,
        on_decided: RunsDecided | None = None,
        clock: Callable[[], datetime] = _utcnow,
        capacity: int = QUEUE_CAPACITY,
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        max_retry_seconds: float = MAX_RETRY_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.view = view
        self.on_committed = on_committed
        self.on_run_ended = on_run_ended
        self.on_decided = on_decided
        self.clock = clock
        self.queue: asyncio.Queue[Work] = asyncio.Queue(maxsize=capacity)
        self.states: dict[CanaryKey, RunState] = {}
        self.tallies = TimelineTallies()
        self.first_retry_seconds = first_retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self._failures = LoopFailures(log, "timeline write failed")
        self.left_to_leader = 0
        """Webhook events that reached this replica while another leads (its watch records
        the same Flagger event)."""
        self._unsubscribe: Callable[[], None] | None = None

    # -- producers (never block) ------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            return
        if change.kind == "canaries":
            self._offer(self._canary_work(change))
        elif change.kind == "canary-events":
            work = self._event_work(change.cluster, change.obj)
            if work is not None:
                self._offer(work)
        elif change.kind == "hpas":
            sample = sample_work(change)
            if sample is not None:
                self._offer(sample)

    def record_webhook_event(
        self,
        *,
        cluster: str,
        namespace: str,
        name: str,
        message: str,
        event_type: str,
        at: datetime,
    ) -> None:
        """A Flagger event webhook payload (answered 202 before this is written). Another
        replica leading, the event is left to the leader, which records the same Kubernetes
        Event from its watch (same dedupe key)."""
        if self._unsubscribe is None:
            self.left_to_leader += 1
            return
        entry = TimelineWrite(
            at=at,
            category="event",
            event_type=event_type,
            message=message,
            source="webhook",
            dedupe_key=event_dedupe_key((cluster, namespace, name), at=at, message=message),
        )
        observation = EventObserved(event=classify_flagger_event(message), at=at)
        self._offer(CanaryWork((cluster, namespace, name), observation, entry))

    def _offer(self, work: Work) -> None:
        try:
            self.queue.put_nowait(work)
        except asyncio.QueueFull:
            self.tallies.drop("queue_full")
            log.warning(
                "timeline queue full; observation dropped",
                dropped=self.tallies.dropped["queue_full"],
            )

    def _canary_work(self, change: Change) -> CanaryWork:
        canary = build_canary_view(
            change.obj,
            cluster=change.cluster,
            now=self.clock(),
            mesh_provider=self.view.mesh_provider(change.cluster),
        )
        observed = CanaryObserved(view=canary, at=self.clock())
        return CanaryWork((change.cluster, canary.namespace, canary.name), observed)

    def _event_work(self, cluster: str, event: dict[str, Any]) -> CanaryWork | None:
        involved = event.get("involvedObject") or {}
        at = event_time(event)
        # a merged Event carries the correlator's prefix: stored as Flagger said it, so the
        # webhook's copy of the same event is the same row
        message, _ = strip_combined_prefix(str(event.get("message") or ""))
        if involved.get("kind") != "Canary" or at is None or not message:
            return None
        key = (cluster, str(involved.get("namespace") or ""), str(involved.get("name") or ""))
        entry = TimelineWrite(
            at=at,
            category="event",
            event_type=str(event.get("type") or "Normal"),
            message=message,
            source="watch",
            dedupe_key=event_dedupe_key(key, at=at, message=message),
        )
        return CanaryWork(key, EventObserved(event=classify_flagger_event(message), at=at), entry)

    # -- the consumer --------------------------------------------------------------------------

    async def run(self) -> None:
        """Record the view's changes until cancelled; one failed write never stops the rest.

        Runs on the leader only (portal.services.leadership): it listens to the view while it
        runs, and starts by replaying what the view holds, as a relist would, since the changes
        before it started were another replica's to record (replays are absorbed by the run
        bookkeeping and the entries' unique keys). The queue is written once every watch has
        listed, so a run's image (from the target Deployment) is known even when the canary's
        list arrived before the Deployments'."""
        self.states.clear()  # another replica may have written runs since the last term
        self._unsubscribe = self.view.subscribe(self.on_change)
        try:
            if self.view.clusters:
                with contextlib.suppress(TimeoutError):  # a cluster down must not stop us
                    async with asyncio.timeout(FIRST_LIST_WAIT_SECONDS):
                        await self.view.all_listed.wait()
            self._replay()
            while True:
                await self._write_next()
        finally:
            self._unsubscribe()
            self._unsubscribe = None
            self._forget_queued()

    def _replay(self) -> None:
        for kind in ("canaries", "canary-events"):
            for cluster, obj in self.view.objects(kind):
                self.on_change(Change(cluster=cluster, kind=kind, type="ADDED", obj=obj))

    async def _write_next(self) -> None:
        work = await self.queue.get()
        written = self.tallies.written
        try:
            await self._write_retrying(work)
        except asyncio.CancelledError:
            if self.tallies.written == written:  # stopped while retrying it
                self.tallies.drop("stopped")
            raise
        finally:
            self.queue.task_done()

    async def _write_retrying(self, work: Work) -> None:
        """Write `work`, waiting out a database outage with backoff; drop it (counted) only on
        an error that retrying cannot fix."""
        delay = self.first_retry_seconds
        while True:
            try:
                await uninterrupted(self.process(work))
                return
            except Exception as error:
                self._failures.report(error, queued=self.queue.qsize())
                if unavailable_cause(error) is None:
                    self.tallies.drop("write_failed")
                    log.warning("timeline observation dropped", work=repr(work)[:300])
                    return
            self.tallies.retried += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_seconds)

    def _forget_queued(self) -> None:
        """Leadership ended: the next leader replays the view's canaries and events; what was
        queued is counted as dropped (`stopped`)."""
        forgotten = 0
        while not self.queue.empty():
            self.queue.get_nowait()
            self.queue.task_done()
            forgotten += 1
        if forgotten:
            self.tallies.drop("stopped", forgotten)

    async def process(self, work: Work) -> None:
        if isinstance(work, SampleWork):
            await self._write_sample(work)
            return
        observation = work.observation
        if isinstance(observation, CanaryObserved) and observation.image is None:
            image = fleet.target_image(self.view, observation.view)
            observation = replace(observation, image=image)
        async with self.sessionmaker() as session:
            state = self.states.get(work.key) or await load_state(session, key=work.key)
            update = decide_run(state=state, observation=observation)
            run_id = await apply_decisions(
                session,
                key=work.key,
                decisions=update.decisions,
                target=run_target(self.view, work.key),
            )
            if work.entry is not None:
                await insert_entry(session, key=work.key, entry=work.entry, run_id=run_id)
            if self.on_decided is not None and update.decisions:
                await self.on_decided(
                    session,
                    key=work.key,
                    decisions=update.decisions,
                    state=update.state,
                    at=self.clock(),
                )
            await session.commit()
        self.states[work.key] = update.state
        self.tallies.written += 1
        if self.on_committed is not None and (update.decisions or work.entry is not None):
            self.on_committed(*work.key)
        if self.on_run_ended is not None and any(isinstance(d, EndRun) for d in update.decisions):
            self.on_run_ended(*work.key)

    async def _write_sample(self, work: SampleWork) -> None:
        async with self.sessionmaker() as session:
            await insert_sample(
                session,
                cluster=work.cluster,
                namespace=work.namespace,
                name=work.name,
                at=work.at,
                current=work.current,
                desired=work.desired,
            )
            await session.commit()
        self.tallies.written += 1


def _replicas(obj: dict[str, Any] | None) -> tuple[int, int] | None:
    status = (obj or {}).get("status") or {}
    if "currentReplicas" not in status:
        return None
    return int(status.get("currentReplicas") or 0), int(status.get("desiredReplicas") or 0)


def sample_work(change: Change) -> SampleWork | None:
    now_counts = _replicas(change.obj)
    if now_counts is None or now_counts == _replicas(change.old):
        return None
    return SampleWork(
        change.cluster, change.namespace, change.name, _utcnow(), now_counts[0], now_counts[1]
    )
