"""History is kept for the retention period and no longer; HPA samples follow replica changes."""

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from portal.db import create_engine, create_sessionmaker
from portal.kube.view import Change
from portal.models import CanaryRun, HpaSample, TimelineEntry
from portal.services.retention import Purged, purge_before
from portal.services.timeline_recording import SampleWork, sample_work

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


async def test_purge_removes_only_rows_older_than_the_cutoff(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=1)
    async with sessions() as session:
        session.add_all(
            [
                CanaryRun(
                    cluster="c",
                    namespace="n",
                    name="a",
                    started_at=old,
                    ended_at=old,
                    outcome="promoted",
                ),
                CanaryRun(cluster="c", namespace="n", name="b", started_at=old),  # still open
                CanaryRun(cluster="c", namespace="n", name="c", started_at=recent, ended_at=recent),
                TimelineEntry(
                    cluster="c",
                    namespace="n",
                    name="a",
                    at=old,
                    category="event",
                    message="old",
                    source="watch",
                    dedupe_key="1",
                ),
                TimelineEntry(
                    cluster="c",
                    namespace="n",
                    name="a",
                    at=recent,
                    category="event",
                    message="new",
                    source="watch",
                    dedupe_key="2",
                ),
                HpaSample(
                    cluster="c",
                    namespace="n",
                    name="h",
                    at=old,
                    current_replicas=1,
                    desired_replicas=1,
                ),
            ]
        )
        await session.commit()
    async with sessions() as session:
        purged = await purge_before(session, cutoff=NOW - timedelta(days=90))
        await session.commit()
        runs = (await session.exec(select(CanaryRun.name).order_by(CanaryRun.name))).all()
        messages = (await session.exec(select(TimelineEntry.message))).all()
        samples = (await session.exec(select(func.count()).select_from(HpaSample))).one()
    await engine.dispose()
    assert purged == Purged(entries=1, runs=1, samples=1)
    assert (list(runs), list(messages), samples) == (["b", "c"], ["new"], 0)


def hpa(current: int, desired: int) -> dict[str, object]:
    return {
        "metadata": {"namespace": "shop", "name": "web"},
        "status": {"currentReplicas": current, "desiredReplicas": desired},
    }


def test_a_sample_is_taken_only_when_replicas_change() -> None:
    same = Change("c", "hpas", "MODIFIED", hpa(3, 3), hpa(3, 3))
    changed = Change("c", "hpas", "MODIFIED", hpa(4, 5), hpa(3, 3))
    first = Change("c", "hpas", "ADDED", hpa(2, 2))
    assert sample_work(same) is None
    work = sample_work(changed)
    assert isinstance(work, SampleWork)
    assert (work.cluster, work.namespace, work.name, work.current, work.desired) == (
        "c",
        "shop",
        "web",
        4,
        5,
    )
    assert isinstance(sample_work(first), SampleWork)
