"""The database holds at most one open run per canary (issue 10.14), on both backends."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from portal import migrations
from portal.db import create_engine, create_sessionmaker
from portal.domain.runs import decide_run
from portal.models import CanaryRun
from portal.services.run_writing import apply_decisions, load_state
from tests.unit.domain.run_fixtures import seen

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
KEY = ("prod", "test", "podinfo")


def run(*, started: datetime, ended: datetime | None = None) -> CanaryRun:
    return CanaryRun(
        cluster="prod", namespace="test", name="podinfo", started_at=started, ended_at=ended
    )


async def test_a_second_open_run_of_a_canary_is_refused(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            session.add_all(
                [
                    run(started=T0, ended=T0 + timedelta(minutes=1)),
                    run(started=T0 + timedelta(minutes=2)),
                ]
            )
            await session.commit()
        async with sessions() as session:
            session.add(run(started=T0 + timedelta(minutes=3)))
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await engine.dispose()


async def test_a_superseding_revision_closes_then_opens_in_one_transaction(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            state = await load_state(session, key=KEY)
            for observed in (seen("Progressing", 0), seen("Progressing", 5, revision="8d4f6b7c9x")):
                update = decide_run(state=state, observation=observed)
                await apply_decisions(session, key=KEY, decisions=update.decisions)
                state = update.state
            await session.commit()
        async with sessions() as session:
            rows = (await session.exec(select(CanaryRun).order_by(col(CanaryRun.id)))).all()
        assert [(r.revision, r.outcome) for r in rows] == [
            ("7c9d5f8b6d", "superseded"),
            ("8d4f6b7c9x", None),
        ]
    finally:
        await engine.dispose()


async def test_the_migration_closes_open_twins_left_by_earlier_versions(database_url: str) -> None:
    await asyncio.to_thread(migrations.downgrade, database_url, "0005")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for minute in (1, 2):
                await connection.execute(
                    text(
                        "INSERT INTO canary_runs (cluster, namespace, name, started_at) "
                        "VALUES ('prod', 'test', 'podinfo', :at)"
                    ),
                    {"at": T0 + timedelta(minutes=minute)},
                )
        await asyncio.to_thread(migrations.upgrade, database_url, "head")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT outcome, ended_at IS NULL FROM canary_runs ORDER BY id")
                )
            ).all()
        assert [tuple(row) for row in rows] == [("superseded", False), (None, True)]
    finally:
        await engine.dispose()
