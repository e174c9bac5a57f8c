"""Migration 0011 fills the recovery columns of deployments recorded before it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from portal import migrations
from portal.db import create_engine

ROWS = [("d1", 1000.0, "success"), ("d2", 2000.0, "failed"), ("d3", 2500.0, "failed"),
        ("d4", 9200.0, "success")]  # fmt: skip


async def test_existing_deployments_get_their_recoveries(database_url: str) -> None:
    await asyncio.to_thread(migrations.downgrade, database_url, "0010")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for key, epoch, outcome in ROWS:
                await connection.execute(
                    text(
                        "INSERT INTO dora_deployments (source, external_key, service, environment,"
                        " cluster, namespace, finished_at, finished_epoch, finished_day, outcome,"
                        " planned, received_at) VALUES ('api', :key, 'svc', 'production', 'c',"
                        " 'n', :at, :epoch, 0, :outcome, true, :at)"
                    ),
                    {
                        "key": key,
                        "epoch": epoch,
                        "outcome": outcome,
                        "at": datetime(2026, 11, 1, tzinfo=UTC),
                    },
                )
        await asyncio.to_thread(migrations.upgrade, database_url, "head")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT external_key, follows_failure, recovery_seconds"
                        " FROM dora_deployments ORDER BY finished_epoch"
                    )
                )
            ).all()
        assert [(key, bool(follows), seconds) for key, follows, seconds in rows] == [
            ("d1", False, None),
            ("d2", False, None),
            ("d3", False, None),
            ("d4", True, 7200.0),
        ]
    finally:
        await engine.dispose()
