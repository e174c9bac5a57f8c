"""Which changes a deployment shipped, without a clone of the repository.

A deployment of commit B links the commits pushed to the default branch between the stream's
previous successful deployment's commit A and B: the pushes form a chain (`before` → `after`),
walked back from B until A. A stream's first observed deployment links only the push that
produced B, so it does not adopt the repository's whole history (Apache DevLake issue 7193).
Changes named at ingest (`deployment_commit_sha`) are linked as named. A squash merge is one
commit in one push, linked like any other, so it keeps its lead time (DevLake issue 5909).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.models.dora import CHANGES, DEPLOYMENTS, LINKS, PUSHES, STREAM
from portal.services.dora_recoveries import record_recovery
from portal.services.dora_rollups import touch_days

MAX_PUSHES_WALKED = 200
"""A bound on the walks, for a previous commit that never appears in the chain."""


async def link_changes(connection: AsyncConnection, deployment_id: int) -> None:
    """Link the deployment's changes and record its recovery, then do both again for the
    stream's later deployments up to the next success: an older deployment recorded late moves
    the point they walk back to."""
    deployment = await _deployment(connection, deployment_id)
    await _relink(connection, deployment)
    await record_recovery(connection, deployment)
    for later in await _later_in_stream(connection, deployment):
        await _relink(connection, later)
        await record_recovery(connection, later)


async def _deployment(connection: AsyncConnection, deployment_id: int) -> Any:
    return (
        await connection.execute(select(DEPLOYMENTS).where(DEPLOYMENTS.c.id == deployment_id))
    ).one()


async def _relink(connection: AsyncConnection, deployment: Any) -> None:
    """Make the deployment's links exactly its changes (named, then pushed between)."""
    wanted: set[int] = set()
    if deployment.commit_sha:
        named = select(CHANGES.c.id).where(CHANGES.c.deployment_commit_sha == deployment.commit_sha)
        wanted = set((await connection.execute(named)).scalars())
        wanted |= await _pushed_between(connection, deployment)
    stale = delete(LINKS).where(LINKS.c.deployment_id == deployment.id)
    if wanted:
        stale = stale.where(LINKS.c.change_id.not_in(wanted))
    await connection.execute(stale)
    await _refresh_lead_times(connection, deployment)
    await _insert_links(connection, deployment, wanted)


async def _later_in_stream(connection: AsyncConnection, deployment: Any) -> list[Any]:
    row = DEPLOYMENTS
    statement = (
        select(row)
        .where(*_stream_of(deployment), row.c.finished_epoch > deployment.finished_epoch)
        .order_by(row.c.finished_epoch, row.c.id)
        .limit(MAX_PUSHES_WALKED)
    )
    later: list[Any] = []
    for found in (await connection.execute(statement)).all():
        later.append(found)
        if found.outcome == "success":
            break
    return later


def _stream_of(deployment: Any) -> list[Any]:
    return [DEPLOYMENTS.c[name] == getattr(deployment, name) for name in STREAM]


async def link_named_change(connection: AsyncConnection, change_id: int, commit_sha: str) -> None:
    deployments = select(DEPLOYMENTS).where(DEPLOYMENTS.c.commit_sha == commit_sha)
    for deployment in (await connection.execute(deployments)).all():
        await _insert_links(connection, deployment, {change_id})


async def relink_pushed(connection: AsyncConnection, *, repo: str, after: str) -> None:
    """A push that arrived after deployments it precedes: walk the chain forward from it and
    relink every deployment on the way, up to the first success of each stream met."""
    head: str | None = after
    for _ in range(MAX_PUSHES_WALKED):
        deployments = select(DEPLOYMENTS.c.id, DEPLOYMENTS.c.outcome).where(
            DEPLOYMENTS.c.commit_sha == head
        )
        found = (await connection.execute(deployments)).all()
        for deployment_id, _outcome in found:
            await link_changes(connection, deployment_id)
        if any(outcome == "success" for _id, outcome in found):
            return
        following = select(PUSHES.c.after).where(PUSHES.c.repo == repo, PUSHES.c.before == head)
        head = (await connection.execute(following.limit(1))).scalar_one_or_none()
        if head is None:
            return


async def _previous_commit(connection: AsyncConnection, deployment: Any) -> str | None:
    row = DEPLOYMENTS
    statement = (
        select(row.c.commit_sha)
        .where(
            *_stream_of(deployment),
            row.c.outcome == "success",
            row.c.commit_sha.is_not(None),
            row.c.finished_epoch < deployment.finished_epoch,
        )
        .order_by(row.c.finished_epoch.desc())
        .limit(1)
    )
    found = (await connection.execute(statement)).scalar_one_or_none()
    return str(found) if found is not None else None


async def _pushed_between(connection: AsyncConnection, deployment: Any) -> set[int]:
    previous = await _previous_commit(connection, deployment)
    if previous == deployment.commit_sha:
        return set()  # a redeployment ships nothing new
    found: set[int] = set()
    head = deployment.commit_sha
    for _ in range(MAX_PUSHES_WALKED):
        push = await _push_ending_at(connection, head, repo=deployment.repo)
        if push is None:
            break
        pushed = select(CHANGES.c.id).where(
            CHANGES.c.repo == push.repo, CHANGES.c.push_head == push.after
        )
        found |= set((await connection.execute(pushed)).scalars())
        head = push.before
        if previous is None or head == previous:
            break
    if not found:
        same = select(CHANGES.c.id).where(CHANGES.c.sha == deployment.commit_sha)
        if deployment.repo:
            same = same.where(CHANGES.c.repo == deployment.repo)
        found = set((await connection.execute(same)).scalars())
    return found


async def _push_ending_at(connection: AsyncConnection, head: str, *, repo: str | None) -> Any:
    statement = select(PUSHES).where(PUSHES.c.after == head)
    if repo:
        statement = statement.where(PUSHES.c.repo == repo)
    return (await connection.execute(statement.order_by(PUSHES.c.id).limit(1))).first()


async def _insert_links(connection: AsyncConnection, deployment: Any, change_ids: set[int]) -> None:
    touch_days(connection, [deployment.finished_day])
    if not change_ids:
        return
    changes = select(CHANGES.c.id, CHANGES.c.committed_epoch).where(CHANGES.c.id.in_(change_ids))
    rows = [
        {
            "deployment_id": deployment.id,
            "change_id": change.id,
            "lead_seconds": deployment.finished_epoch - change.committed_epoch,
        }
        for change in (await connection.execute(changes)).all()
    ]
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(LINKS).on_conflict_do_nothing(index_elements=["deployment_id", "change_id"])
    await connection.execute(statement, rows)


async def _refresh_lead_times(connection: AsyncConnection, deployment: Any) -> None:
    """A re-ingested deployment may have finished at another time than first recorded."""
    committed = (
        select(CHANGES.c.committed_epoch).where(CHANGES.c.id == LINKS.c.change_id).scalar_subquery()
    )
    await connection.execute(
        update(LINKS)
        .where(LINKS.c.deployment_id == deployment.id)
        .values(lead_seconds=deployment.finished_epoch - committed)
    )
