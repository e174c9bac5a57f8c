"""A session on each test's own migrated database (SQLite and PostgreSQL), and a portal with
a GitHub webhook secret and deploy workflow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.config import Settings
from portal.db import create_engine, create_sessionmaker
from tests.support.apps import RunningApp, running_app

SECRET = "a-github-webhook-secret-of-32-characters-or-more"


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
async def github(database_url: str) -> AsyncIterator[RunningApp]:
    settings = Settings(
        database_url=database_url,
        log_format="console",
        github_webhook_secret=SECRET,
        github_deploy_workflows=[".github/workflows/test.yml"],
    )
    async with running_app(settings) as running:
        yield running
