"""The PostgreSQL pool takes its limits from the settings (no connection is opened here)."""

from __future__ import annotations

from portal.config import Settings
from portal.db import PoolLimits, create_engine


async def test_the_pool_has_the_configured_size_overflow_and_wait() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://portal@127.0.0.1:5432/portal",
        database_pool_size=7,
        database_max_overflow=3,
        database_pool_timeout_seconds=2.5,
    )
    engine = create_engine(
        settings.database_url,
        pool=PoolLimits(
            size=settings.database_pool_size,
            overflow=settings.database_max_overflow,
            timeout_seconds=settings.database_pool_timeout_seconds,
        ),
    )
    try:
        pool = engine.sync_engine.pool
        assert (pool.size(), pool._max_overflow, pool.timeout()) == (7, 3, 2.5)  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


def test_the_defaults_are_the_ones_the_readme_documents() -> None:
    settings = Settings()
    limits = (
        settings.database_pool_size,
        settings.database_max_overflow,
        settings.database_pool_timeout_seconds,
    )
    assert limits == (10, 20, 5.0)  # two replicas: 60 of PostgreSQL's default 100 connections
