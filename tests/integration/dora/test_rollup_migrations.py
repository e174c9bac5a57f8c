"""Migrations 0015 and 0016 recompute what they add to the rollups from the facts recorded
before them: each bucket's smallest and largest values and how many equal each, and the failure
rollup."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from portal import migrations
from portal.db import create_engine, create_sessionmaker
from portal.domain.dora_buckets import bucket_of
from portal.services.dora_facts import ChangeFact, DeploymentFact, record_change, record_deployment

DAY = datetime(2026, 11, 24, tzinfo=UTC)


async def test_existing_rollup_buckets_get_their_bounds(database_url: str) -> None:
    """Migration 0015 gives each bucket its bounds and their counts."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            for sha, lead in (("c1", 3600), ("c2", 3700), ("c3", 7200), ("c4", 3600)):
                await record_change(
                    session,
                    ChangeFact(
                        repo="org/api",
                        sha=sha,
                        committed_at=DAY.replace(hour=12) - timedelta(seconds=lead),
                        deployment_commit_sha="sha-ok",
                    ),
                )
            for key, hour, outcome, commit in (("a", 10, "failed", "sha-bad"),
                                               ("b", 12, "success", "sha-ok")):  # fmt: skip
                await record_deployment(
                    session,
                    DeploymentFact(
                        source="api",
                        external_key=key,
                        service="api",
                        finished_at=DAY.replace(hour=hour),
                        outcome=outcome,
                        commit_sha=commit,
                    ),
                )
            await session.commit()
        await asyncio.to_thread(migrations.downgrade, database_url, "0014")
        await asyncio.to_thread(migrations.upgrade, database_url, "head")
        async with engine.connect() as connection:
            leads = (
                await connection.execute(
                    text(
                        "SELECT bucket, count, low, low_count, high, high_count"
                        " FROM dora_rollup_lead_buckets"
                        " ORDER BY bucket"
                    )
                )
            ).all()
            recoveries = (
                await connection.execute(
                    text(
                        "SELECT bucket, count, low, low_count, high, high_count"
                        " FROM dora_rollup_recovery_buckets"
                    )
                )
            ).all()
        assert bucket_of(3600) == bucket_of(3700) != bucket_of(7200)
        assert [tuple(row) for row in leads] == [
            (bucket_of(3600), 3, 3600.0, 2, 3700.0, 1),
            (bucket_of(7200), 1, 7200.0, 1, 7200.0, 1),
        ]
        assert [tuple(row) for row in recoveries] == [(bucket_of(7200), 1, 7200.0, 1, 7200.0, 1)]
    finally:
        await engine.dispose()


async def test_existing_failures_get_their_rollup(database_url: str) -> None:
    """Migration 0016 rolls up the failures recorded before it, by canary rollback and peak."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            for key, source, peak, exposure, cause in (
                ("k10", "flagger", 10, 60.0, "threshold"),
                ("k10b", "flagger", 10, 40.0, "threshold"),
                ("kpf", "flagger", 100, 500.0, "promotion-failed: primary not ready"),
                ("ci", "api", None, None, None),
            ):
                await record_deployment(
                    session,
                    DeploymentFact(
                        source=source,
                        external_key=key,
                        service="api",
                        finished_at=DAY.replace(hour=10),
                        outcome="failed",
                        failure_cause=cause,
                        peak_weight=peak,
                        exposure_weight_seconds=exposure,
                    ),
                )
            await session.commit()
        await asyncio.to_thread(migrations.downgrade, database_url, "0015")
        await asyncio.to_thread(migrations.upgrade, database_url, "head")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT canary, weight, count, peak, exposure FROM dora_rollup_failures"
                        " ORDER BY canary, weight"
                    )
                )
            ).all()
        assert [tuple(row) for row in rows] == [(0, 0, 2, 100, 500.0), (1, 10, 2, 10, 100.0)]
    finally:
        await engine.dispose()
