"""Suite-wide fixtures.

- every test must leave no asyncio task running behind it;
- `database_url` gives each test its own freshly migrated database, once on SQLite and once on
  PostgreSQL (a real server: see tests/support/postgres.py), so every test that touches the
  database runs against both.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from portal.config import Settings
from tests.support import databases
from tests.support.apps import RunningApp, running_app
from tests.support.postgres import PostgresServer, PostgresUnavailable, postgres_server

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail the test if it leaves asyncio tasks running on the loop it used."""
    before = asyncio.all_tasks()
    yield
    current = asyncio.current_task()
    leaked = [t for t in asyncio.all_tasks() - before if t is not current and not t.done()]
    if leaked:
        for task in leaked:
            task.cancel()
        await asyncio.gather(*leaked, return_exceptions=True)
        names = ", ".join(sorted(t.get_name() for t in leaked))
        pytest.fail(f"test leaked {len(leaked)} asyncio task(s): {names}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    """A PostgreSQL server, or None outside CI when none can be had (those tests then skip)."""
    try:
        context = postgres_server()
        server = context.__enter__()
    except PostgresUnavailable as error:
        if IN_CI:
            pytest.fail(f"CI requires PostgreSQL for the test suite: {error}", pytrace=False)
        yield None
        return
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer | None) -> Iterator[str | None]:
    if postgres is None:
        yield None
        return
    name = databases.create_postgres_template(postgres)
    yield name
    databases.drop_postgres_database(postgres, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.create_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """A fresh, migrated database of this test's own, on each backend in turn."""
    if request.param == "sqlite":
        yield databases.clone_sqlite_database(sqlite_template, tmp_path)
        return
    server: PostgresServer | None = request.getfixturevalue("postgres")
    template: str | None = request.getfixturevalue("postgres_template")
    async with _fresh_postgres(server, template) as url:
        yield url


@pytest.fixture
async def postgres_url(
    postgres: PostgresServer | None, postgres_template: str | None
) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own (replicas share one)."""
    async with _fresh_postgres(postgres, postgres_template) as url:
        yield url


@asynccontextmanager
async def _fresh_postgres(
    server: PostgresServer | None, template: str | None
) -> AsyncIterator[str]:
    if server is None or template is None:
        pytest.skip("no PostgreSQL server reachable and none could be started")
    name = await databases.clone_postgres_database(server, template)
    try:
        yield server.url_for(name)
    finally:
        await databases.drop_postgres_database_async(server, name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, log_format="console")


@pytest.fixture
async def portal(settings: Settings) -> AsyncIterator[RunningApp]:
    async with running_app(settings) as running:
        yield running
