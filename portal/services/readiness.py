"""Readiness: the portal answers traffic only when its database answers (and, later, every
watched cluster has finished its first list)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from portal.db import root_cause_name, unavailable_cause
from portal.kube.view import ClusterView

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns None when ready, else a one-line reason why not."""

DB_CHECK_TIMEOUT_SECONDS = 2.0


def database_check(engine: AsyncEngine) -> ReadinessCheck:
    async def check() -> str | None:
        try:
            async with asyncio.timeout(DB_CHECK_TIMEOUT_SECONDS):
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except TimeoutError:
            return f"database did not answer within {DB_CHECK_TIMEOUT_SECONDS:g}s"
        except Exception as error:
            cause = unavailable_cause(error) or "database check failed"
            return f"{cause}: {root_cause_name(error)}"
        return None

    return check


def clusters_check(view: ClusterView) -> ReadinessCheck:
    """Ready once every watched cluster has finished its first list of every kind."""

    async def check() -> str | None:
        pending = view.unready_clusters()
        if not pending:
            return None
        return "; ".join(f"{cluster}: {reason}" for cluster, reason in sorted(pending.items()))

    return check


async def collect_reasons(checks: Mapping[str, ReadinessCheck]) -> dict[str, str]:
    """Run every check concurrently; return the reasons of those that are not ready."""
    names = list(checks)
    results = await asyncio.gather(*(checks[name]() for name in names))
    return {name: reason for name, reason in zip(names, results, strict=True) if reason}
