"""Two deployments of different services on the same day written at the same time, in two
transactions: the day's rollup counts both. Each transaction recomputes the day from the facts;
under PostgreSQL's READ COMMITTED the second alone would miss the first's uncommitted row and
overwrite the day with its own count. DORA's advisory lock makes it wait and read it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from portal.db import create_engine, create_sessionmaker
from portal.domain.dora_windows import day_number
from portal.models.dora import ROLLUP_DAYS, ROLLUP_LEADS
from portal.services.dora_facts import ChangeFact, DeploymentFact, record_change, record_deployment
from tests.support.waiting import wait_until

DAY = datetime(2026, 11, 24, tzinfo=UTC)
_WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _deployment(service: str, hour: int, outcome: str) -> DeploymentFact:
    return DeploymentFact(
        source="api",
        external_key=f"{service}-{hour}",
        service=service,
        finished_at=DAY.replace(hour=hour),
        outcome=outcome,
        commit_sha=f"{service}-sha",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_deployments_of_one_day_written_at_once_are_both_in_its_rollup(
    database_url: str,
) -> None:
    engines = [create_engine(database_url) for _ in range(3)]
    first, second, watching = (create_sessionmaker(engine)() for engine in engines)
    try:
        await record_change(
            first,
            ChangeFact(
                repo="org/web",
                sha="c1",
                committed_at=DAY.replace(hour=1),
                deployment_commit_sha="web-sha",
            ),
        )
        await first.commit()
        await record_deployment(first, _deployment("api", 10, "failed"))

        async def deploy() -> None:
            await record_deployment(second, _deployment("web", 12, "success"))
            await second.commit()

        deployed = asyncio.create_task(deploy())

        async def done_or_waiting() -> bool:
            if deployed.done():
                return True
            async with engines[2].connect() as connection:
                return bool((await connection.execute(_WAITING_ON_A_LOCK)).scalar_one())

        await wait_until(done_or_waiting, what="the second deployment written or waiting")
        await first.commit()
        await deployed
        connection = await watching.connection()
        day = (
            await connection.execute(
                select(ROLLUP_DAYS).where(ROLLUP_DAYS.c.day == day_number(DAY))
            )
        ).one()
        assert (day.total, day.successful, day.failed, day.unplanned) == (2, 1, 1, 0)
        leads = (await connection.execute(select(ROLLUP_LEADS.c.count))).scalars().all()
        assert leads == [1]
    finally:
        for session in (first, second, watching):
            await session.close()
        for engine in engines:
            await engine.dispose()
