"""Write DORA facts idempotently: deployments, changes, pushes and incidents are upserted by
their natural keys (INSERT ... ON CONFLICT on SQLite and PostgreSQL alike), so a replay, a
redelivery or a retry leaves the tables as they were. The caller commits.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_buckets import bucket_of
from portal.domain.dora_facts import ChangeFact, DeploymentFact, IncidentFact
from portal.domain.dora_windows import as_utc, day_number
from portal.models.audit import utcnow
from portal.models.dora import CHANGES, DEPLOYMENTS, INCIDENTS, PUSHES
from portal.services.dora_linking import link_changes, link_named_change, relink_pushed
from portal.services.dora_locking import dora_alone
from portal.services.dora_rollups import refresh_rollups, touch_days

__all__ = [
    "ChangeFact",
    "DeploymentFact",
    "IncidentFact",
    "amend_failure_cause",
    "deployment_of_commit",
    "record_change",
    "record_deployment",
    "record_incident",
    "record_push",
]


def upsert(connection: AsyncConnection, table: Any) -> Any:
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return insert(table)


async def record_deployment(session: AsyncSession, fact: DeploymentFact) -> int:
    """Insert or refresh the deployment `fact` names, link its changes; returns its id."""
    connection = await session.connection()
    await dora_alone(connection)
    finished = as_utc(fact.finished_at)
    values = asdict(fact) | {
        "finished_at": finished,
        "started_at": as_utc(fact.started_at) if fact.started_at else None,
        "finished_epoch": finished.timestamp(),
        "finished_day": day_number(finished),
        "failure_cause": (fact.failure_cause or "")[:1000] or None,
    }
    earlier = select(DEPLOYMENTS.c.finished_day).where(
        DEPLOYMENTS.c.source == fact.source, DEPLOYMENTS.c.external_key == fact.external_key
    )
    touch_days(connection, [(await connection.execute(earlier)).scalar_one_or_none()])
    touch_days(connection, [values["finished_day"]])
    statement = upsert(connection, DEPLOYMENTS).values(**values, received_at=utcnow())
    mutable = {
        key: statement.excluded[key] for key in values if key not in ("source", "external_key")
    }
    statement = statement.on_conflict_do_update(
        index_elements=["source", "external_key"], set_=mutable
    ).returning(DEPLOYMENTS.c.id)
    deployment_id = int((await connection.execute(statement)).scalar_one())
    await link_changes(connection, deployment_id)
    await refresh_rollups(connection)
    return deployment_id


async def record_change(session: AsyncSession, fact: ChangeFact) -> int:
    """A commit keeps the time first recorded; a later push or ingest only fills what was
    missing (the push that brought it, the deployment it was named part of)."""
    connection = await session.connection()
    committed = as_utc(fact.committed_at)
    statement = upsert(connection, CHANGES).values(
        **asdict(fact) | {"committed_at": committed, "committed_epoch": committed.timestamp()}
    )
    statement = statement.on_conflict_do_update(
        index_elements=["repo", "sha"],
        set_={
            "push_head": func.coalesce(CHANGES.c.push_head, statement.excluded.push_head),
            "deployment_commit_sha": func.coalesce(
                CHANGES.c.deployment_commit_sha, statement.excluded.deployment_commit_sha
            ),
        },
    ).returning(CHANGES.c.id)
    change_id = int((await connection.execute(statement)).scalar_one())
    if fact.deployment_commit_sha:
        await link_named_change(connection, change_id, fact.deployment_commit_sha)
        await refresh_rollups(connection)
    return change_id


async def record_push(
    session: AsyncSession, *, repo: str, before: str, after: str, commits: list[ChangeFact]
) -> None:
    """A push to the default branch and its commits; deployments of `after` that were recorded
    before the push arrived get their changes now."""
    connection = await session.connection()
    await dora_alone(connection)
    statement = upsert(connection, PUSHES).values(repo=repo, before=before, after=after)
    await connection.execute(statement.on_conflict_do_nothing(index_elements=["repo", "after"]))
    for commit in commits:
        await record_change(session, commit)
    await relink_pushed(connection, repo=repo, after=after)
    await refresh_rollups(connection)


async def record_incident(session: AsyncSession, fact: IncidentFact) -> int:
    connection = await session.connection()
    opened = as_utc(fact.opened_at)
    resolved = as_utc(fact.resolved_at) if fact.resolved_at else None
    values = {
        "service": fact.service,
        "opened_at": opened,
        "opened_epoch": opened.timestamp(),
        "resolved_at": resolved,
        "resolved_epoch": resolved.timestamp() if resolved else None,
        "deployment_id": fact.deployment_id,
        "recovery_bucket": _recovery_bucket(opened.timestamp(), resolved),
    }
    earlier = select(INCIDENTS.c.deployment_id).where(
        INCIDENTS.c.service == fact.service, INCIDENTS.c.opened_at == opened
    )
    linked = [(await connection.execute(earlier)).scalar_one_or_none(), fact.deployment_id]
    days = select(DEPLOYMENTS.c.finished_day).where(
        DEPLOYMENTS.c.id.in_([found for found in linked if found is not None])
    )
    touch_days(connection, (await connection.execute(days)).scalars())
    statement = upsert(connection, INCIDENTS).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["service", "opened_at"],
        set_={
            key: statement.excluded[key]
            for key in ("resolved_at", "resolved_epoch", "deployment_id", "recovery_bucket")
        },
    ).returning(INCIDENTS.c.id)
    incident_id = int((await connection.execute(statement)).scalar_one())
    await refresh_rollups(connection)
    return incident_id


def _recovery_bucket(opened_epoch: float, resolved: datetime | None) -> int | None:
    """The rank bucket of the incident's recovery time, when it counts as one."""
    if resolved is None or resolved.timestamp() < opened_epoch:
        return None
    return bucket_of(resolved.timestamp() - opened_epoch)


async def deployment_of_commit(
    session: AsyncSession, *, service: str, commit_sha: str
) -> int | None:
    """The latest deployment of `service` that shipped `commit_sha` (an incident's cause)."""
    connection = await session.connection()
    statement = (
        select(DEPLOYMENTS.c.id)
        .where(DEPLOYMENTS.c.service == service, DEPLOYMENTS.c.commit_sha == commit_sha)
        .order_by(DEPLOYMENTS.c.finished_epoch.desc())
        .limit(1)
    )
    found = (await connection.execute(statement)).scalar_one_or_none()
    return int(found) if found is not None else None


async def amend_failure_cause(
    session: AsyncSession, *, source: str, external_key: str, cause: str
) -> None:
    connection = await session.connection()
    await connection.execute(
        update(DEPLOYMENTS)
        .where(DEPLOYMENTS.c.source == source, DEPLOYMENTS.c.external_key == external_key)
        .values(failure_cause=cause[:1000])
    )
