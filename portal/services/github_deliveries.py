"""GitHub webhook deliveries: stored first (so the answer goes out within GitHub's time limit
and a redelivery is recognised by its delivery id), then turned into DORA facts."""

from __future__ import annotations

import json
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.domain.github_events import (
    parse_deployment,
    parse_deployment_status,
    parse_push,
    parse_workflow_run,
)
from portal.models import GithubDelivery
from portal.models.audit import utcnow
from portal.services.dora_facts import record_change, record_deployment, record_push
from portal.services.loop_failures import LoopFailures

log = structlog.get_logger("portal.github")
DELIVERIES: Any = GithubDelivery.metadata.tables["github_deliveries"]


async def store_delivery(
    session: AsyncSession, *, delivery_id: str, event: str, body: str
) -> int | None:
    """The new delivery's row id, or None when this delivery id was stored before."""
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(DELIVERIES)
        .values(delivery_id=delivery_id, event=event, body=body, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["delivery_id"])
        .returning(DELIVERIES.c.id)
    )
    found = (await connection.execute(statement)).scalar_one_or_none()
    return int(found) if found is not None else None


async def _apply(
    session: AsyncSession, event: str, payload: dict[str, Any], workflows: frozenset[str]
) -> str:
    """Record what the event says; returns a short account for the delivery row."""
    if event == "push":
        push = parse_push(payload)
        if push is None:
            return "ignored: not a push to the default branch"
        await record_push(
            session, repo=push.repo, before=push.before, after=push.after, commits=push.commits
        )
        return f"push of {len(push.commits)} commit(s) to {push.after}"
    if event == "deployment_status":
        fact = parse_deployment_status(payload)
        if fact is None:
            return "ignored: deployment not finished"
        await record_deployment(session, fact)
        return f"deployment {fact.external_key} {fact.outcome}"
    if event == "deployment":
        started = parse_deployment(payload)
        return (
            f"deployment {started.external_key} of {started.commit_sha} started "
            f"{started.started_at.isoformat()}; its final deployment_status records it"
        )
    if event == "ping":
        return f"ping from hook {payload.get('hook_id')}"
    if event == "workflow_run":
        found = parse_workflow_run(payload, workflows=workflows)
        if found is None:
            return "ignored: not a completed run of a deploy workflow"
        deployment, change = found
        if change is not None:
            await record_change(session, change)
        await record_deployment(session, deployment)
        return f"deployment {deployment.external_key} {deployment.outcome}"
    return f"no fact in {event}"


async def process_delivery(
    sessionmaker: SessionMaker, *, row_id: int, workflows: frozenset[str]
) -> None:
    """Turn a stored delivery into facts and mark it processed (with why, when it held none)."""
    async with sessionmaker() as session:
        connection = await session.connection()
        statement = select(DELIVERIES).where(DELIVERIES.c.id == row_id)
        delivery = (await connection.execute(statement)).one()
        try:
            result = await _apply(session, delivery.event, json.loads(delivery.body), workflows)
        except (ValueError, TypeError) as error:  # PayloadInvalid, bad JSON, odd types
            await session.rollback()
            result = f"refused: {error}"
            log.warning("github delivery refused", delivery=delivery.delivery_id, reason=str(error))
        connection = await session.connection()
        await connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == row_id)
            .values(processed_at=utcnow(), result=result[:1000])
        )
        await session.commit()


async def process_backlog(sessionmaker: SessionMaker, *, workflows: frozenset[str]) -> None:
    """Deliveries stored but never processed (the portal stopped between its answer and the
    facts), oldest first; facts are idempotent, so a delivery another replica is processing at
    the same moment comes out once."""
    try:
        async with sessionmaker() as session:
            connection = await session.connection()
            statement = (
                select(DELIVERIES.c.id)
                .where(DELIVERIES.c.processed_at.is_(None))
                .order_by(DELIVERIES.c.id)
            )
            pending = list((await connection.execute(statement)).scalars())
        for row_id in pending:
            await process_delivery(sessionmaker, row_id=int(row_id), workflows=workflows)
    except Exception as error:  # the database may be down at start; the next start tries again
        LoopFailures(log, "github delivery backlog not processed").report(error)
