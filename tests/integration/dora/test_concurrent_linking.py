"""A push and the deployment of its commit written at the same time, in two transactions (GitHub
delivers them together; two replicas; a Flagger run ending during a push): the deployment still
gets the push's changes. Under PostgreSQL's READ COMMITTED each transaction alone misses the
other's uncommitted rows; the facts writer makes the second wait for the first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from portal.db import create_engine, create_sessionmaker
from portal.models.dora import LINKS
from portal.services.dora_facts import ChangeFact, DeploymentFact, record_deployment, record_push
from tests.support.waiting import wait_until

REPO = "octo/shop"
BEFORE, HEAD = "a" * 40, "b" * 40
_WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _commits() -> list[ChangeFact]:
    return [
        ChangeFact(
            repo=REPO,
            sha="c" * 40,
            committed_at=datetime(2026, 11, 24, 8, tzinfo=UTC),
            push_head=HEAD,
        ),
        ChangeFact(
            repo=REPO, sha=HEAD, committed_at=datetime(2026, 11, 24, 9, tzinfo=UTC), push_head=HEAD
        ),
    ]


def _deployment() -> DeploymentFact:
    return DeploymentFact(
        source="api",
        external_key="shop-1",
        service="shop",
        finished_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        outcome="success",
        repo=REPO,
        commit_sha=HEAD,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_deployment_written_while_its_push_is_uncommitted_gets_the_push_changes(
    database_url: str,
) -> None:
    engines = [create_engine(database_url) for _ in range(3)]  # three connections, surely
    pushing, deploying, watching = (create_sessionmaker(engine)() for engine in engines)
    try:
        await record_push(pushing, repo=REPO, before=BEFORE, after=HEAD, commits=_commits())

        async def deploy() -> None:
            await record_deployment(deploying, _deployment())
            await deploying.commit()

        deployed = asyncio.create_task(deploy())

        async def deploy_done_or_waiting() -> bool:
            if deployed.done():
                return True
            async with engines[2].connect() as connection:
                return bool((await connection.execute(_WAITING_ON_A_LOCK)).scalar_one())

        await wait_until(deploy_done_or_waiting, what="the deployment written or waiting")
        await pushing.commit()
        await deployed
        connection = await watching.connection()
        links = await connection.execute(select(func.count()).select_from(LINKS))
        assert links.scalar_one() == 2
    finally:
        for session in (pushing, deploying, watching):
            await session.close()
        for engine in engines:
            await engine.dispose()
