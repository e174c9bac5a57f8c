"""Migrations go up, down and up again on both databases, and match the models exactly."""

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import portal.models  # noqa: F401
from portal import migrations
from portal.db import create_engine


def _diff(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def inspect_database(url: str) -> tuple[set[str], list[Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            diff = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    return tables, diff


async def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    await asyncio.to_thread(migrations.downgrade, database_url, "base")
    tables, _ = await inspect_database(database_url)
    assert tables == set()
    await asyncio.to_thread(migrations.upgrade, database_url, "head")
    tables, _ = await inspect_database(database_url)
    assert tables == set(SQLModel.metadata.tables)


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    _, diff = await inspect_database(database_url)
    assert diff == []
