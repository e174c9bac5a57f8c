"""The timeline recorder never loses an observation silently: while the database cannot take a
write it retries with backoff and the queue holds what arrives meanwhile; what cannot be queued
or written is counted by reason in portal_timeline_writes_dropped_total.

The database is a real migrated SQLite file; its outage is a session factory that refuses the
first connections the way asyncpg does when PostgreSQL is down (the integration test
tests/integration/portal/test_database_outage.py stops a real PostgreSQL instead).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from portal.db import SessionMaker, create_engine, create_sessionmaker
from portal.kube.view import Change, ClusterView
from portal.models import HpaSample
from portal.services.timeline_metrics import TimelineCollector
from portal.services.timeline_recording import TimelineRecorder
from tests.support import databases
from tests.support.waiting import wait_until


class Refused:
    """A session whose connection is refused (PostgreSQL down)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __aenter__(self) -> Any:
        raise self.error

    async def __aexit__(self, *_: object) -> None:
        return None


def refused() -> OperationalError:
    try:
        raise OperationalError("connect", {}, ConnectionRefusedError(111, "Connect call failed"))
    except OperationalError as error:
        return error


class OutageSessions:
    """The real session factory once `failures` connections have been refused."""

    def __init__(self, real: SessionMaker, *, failures: int, error: Exception | None = None):
        self.real = real
        self.failures = failures
        self.error = error or refused()
        self.refused = 0

    def __call__(self) -> Any:
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return Refused(self.error)
        return self.real()


@pytest.fixture
async def sessionmaker(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[SessionMaker]:
    engine = create_engine(databases.clone_sqlite_database(sqlite_template, tmp_path))
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


def hpa_change(name: str, current: int) -> Change:
    obj = {
        "metadata": {"name": name, "namespace": "shop"},
        "status": {"currentReplicas": current, "desiredReplicas": current},
    }
    return Change(cluster="prod", kind="hpas", type="MODIFIED", obj=obj)


def recorder_on(sessions: Any, **extra: Any) -> TimelineRecorder:
    return TimelineRecorder(
        sessionmaker=sessions,
        view=ClusterView(clusters=[]),
        first_retry_seconds=0.01,
        max_retry_seconds=0.05,
        **extra,
    )


async def stored_samples(sessionmaker: SessionMaker) -> int:
    async with sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(HpaSample))).one())


def metrics(recorder: TimelineRecorder) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(TimelineCollector(recorder))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


async def test_writes_queued_during_an_outage_are_written_when_the_database_is_back(
    sessionmaker: SessionMaker,
) -> None:
    sessions = OutageSessions(sessionmaker, failures=4)
    recorder = recorder_on(sessions)
    for replicas in range(1, 6):
        recorder.on_change(hpa_change("web", replicas))
    task = asyncio.create_task(recorder.run(), name="recorder")
    try:
        await wait_until(lambda: recorder.tallies.written == 5, what="five samples written")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await stored_samples(sessionmaker) == 5
    assert (sessions.refused, recorder.tallies.retried, recorder.tallies.dropped) == (4, 4, {})
    assert metrics(recorder) == {
        ("portal_timeline_writes_total", ()): 5.0,
        ("portal_timeline_writes_retried_total", ()): 4.0,
        ("portal_timeline_writes_dropped_total", (("reason", "queue_full"),)): 0.0,
        ("portal_timeline_writes_dropped_total", (("reason", "stopped"),)): 0.0,
        ("portal_timeline_writes_dropped_total", (("reason", "write_failed"),)): 0.0,
        ("portal_timeline_queue_depth", ()): 0.0,
    }


async def test_observations_beyond_a_full_queue_are_counted_as_dropped(
    sessionmaker: SessionMaker,
) -> None:
    recorder = recorder_on(sessionmaker, capacity=2)
    for replicas in range(1, 6):
        recorder.on_change(hpa_change("web", replicas))
    counted = metrics(recorder)
    assert counted[("portal_timeline_writes_dropped_total", (("reason", "queue_full"),))] == 3.0
    assert counted[("portal_timeline_queue_depth", ())] == 2.0


async def test_a_write_retrying_cannot_fix_is_dropped_and_counted_and_the_next_is_written(
    sessionmaker: SessionMaker,
) -> None:
    sessions = OutageSessions(sessionmaker, failures=1, error=ValueError("bad row"))
    recorder = recorder_on(sessions)
    recorder.on_change(hpa_change("web", 1))
    recorder.on_change(hpa_change("web", 2))
    task = asyncio.create_task(recorder.run(), name="recorder")
    try:
        await wait_until(lambda: recorder.tallies.written == 1, what="the second sample written")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (recorder.tallies.retried, recorder.tallies.dropped) == (0, {"write_failed": 1})
    assert await stored_samples(sessionmaker) == 1


async def test_what_is_queued_or_retried_when_the_recorder_stops_is_counted(
    sessionmaker: SessionMaker,
) -> None:
    sessions = OutageSessions(sessionmaker, failures=10**6)
    recorder = recorder_on(sessions)
    for replicas in range(1, 4):
        recorder.on_change(hpa_change("web", replicas))
    task = asyncio.create_task(recorder.run(), name="recorder")
    await wait_until(lambda: recorder.tallies.retried >= 2, what="the first write retried")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # the write being retried and the two queued behind it
    assert recorder.tallies.dropped == {"stopped": 3}
    assert recorder.tallies.written == 0
