"""Fresh, migrated databases for each test, on SQLite and on PostgreSQL.

Migrations run once per session into a template (a SQLite file, a PostgreSQL template
database); each test gets its own copy, so no test sees another's rows.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg

from portal import migrations
from tests.support.postgres import PostgresServer


def _dsn(server: PostgresServer, database: str) -> str:
    return server.admin_url.set(drivername="postgresql", database=database).render_as_string(
        hide_password=False
    )


async def _admin(server: PostgresServer, sql: str) -> None:
    connection = await asyncpg.connect(
        _dsn(server, server.admin_url.database or "postgres"), timeout=10
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


T = TypeVar("T")


def _off_loop(work: Callable[[], T]) -> T:
    """Session fixtures may be first requested from inside a running event loop, where
    asyncio.run (ours and Alembic's) is not allowed: do the blocking work in a thread."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(work).result()


def create_postgres_template(server: PostgresServer) -> str:
    name = f"infra_fleet_tpl_{uuid.uuid4().hex[:12]}"

    def create() -> None:
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        migrations.upgrade(server.url_for(name))

    _off_loop(create)
    return name


def drop_postgres_database(server: PostgresServer, name: str) -> None:
    _off_loop(lambda: asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


async def clone_postgres_database(server: PostgresServer, template: str) -> str:
    name = f"infra_fleet_t_{uuid.uuid4().hex[:12]}"
    await _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def drop_postgres_database_async(server: PostgresServer, name: str) -> None:
    await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    _off_loop(lambda: migrations.upgrade(sqlite_url(path)))
    return path


def clone_sqlite_database(template: Path, directory: Path) -> str:
    target = directory / "portal.db"
    shutil.copyfile(template, target)
    return sqlite_url(target)
