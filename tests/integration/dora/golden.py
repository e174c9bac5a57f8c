"""Golden DORA dataset with hand-computed expectations (docs/dora.md walks through them).

Window: the 7 days before 2026-11-30T00:00Z. Streams (cluster c1, namespace shop, production):
- api: d0 ok 11-20 00:00 (s0); d1 failed 11-22 12:00 (s1); d2 ok 11-23 12:00 (s2, recovers d1
  after 86400 s across the window's start); d3 ok 11-24 06:00 (s3); d4 failed 11-26 00:00 (s4);
  d5 failed 11-26 06:00 (s4 again); d6 ok 11-26 10:00 (s5, recovers from d4 after 36000 s).
- web: w1 ok hotfix 11-25 00:00 (h1, first deployment); w2 ok 11-29 23:00 (h2, a squash merge).
- db: f1 failed 11-29 20:00; r1 ok 11-30 02:00, after the window's end (recovers after 21600 s).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models import Deployment
from portal.services.dora_facts import (
    ChangeFact,
    DeploymentFact,
    record_change,
    record_deployment,
    record_push,
)

UNTIL = datetime(2026, 11, 30, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _deployment(
    key: str, service: str, finished: datetime, outcome: str, sha: str, **extra: object
) -> DeploymentFact:
    repo = {"api": "org/api", "web": "org/web"}.get(service)
    return DeploymentFact(
        source="api",
        external_key=key,
        service=service,
        cluster="c1",
        namespace="shop",
        finished_at=finished,
        outcome=outcome,
        commit_sha=sha,
        repo=repo,
        **extra,  # type: ignore[arg-type]
    )


DEPLOYMENTS = [
    _deployment("d0", "api", at(20), "success", "s0"),
    _deployment("d1", "api", at(22, 12), "failed", "s1", failure_cause="threshold"),
    _deployment("d2", "api", at(23, 12), "success", "s2"),
    _deployment("d3", "api", at(24, 6), "success", "s3"),
    _deployment("d4", "api", at(26), "failed", "s4"),
    _deployment("d5", "api", at(26, 6), "failed", "s4"),
    _deployment("d6", "api", at(26, 10), "success", "s5"),
    _deployment("w1", "web", at(25), "success", "h1", planned=False),
    _deployment("w2", "web", at(29, 23), "success", "h2"),
    _deployment("f1", "db", at(29, 20), "failed", "b1"),
    _deployment("r1", "db", at(30, 2), "success", "b2"),
]

PUSHES = [
    ("org/api", "z", "s0", [("s0", at(19))]),
    ("org/api", "s0", "s1", [("c1a", at(21)), ("s1", at(22))]),
    ("org/api", "s1", "s2", [("s2", at(23))]),
    ("org/api", "s2", "s3", [("s3", at(24))]),
    ("org/api", "s3", "s4", [("s4", at(25, 12))]),
    ("org/api", "s4", "s5", [("s5", at(26, 9))]),
    ("org/web", "x", "h1", [("h0", at(24)), ("h1", at(24, 12))]),
    ("org/web", "h1", "h2", [("h2", at(29, 22))]),
]
LATE_CHANGE = ChangeFact(
    repo="org/web", sha="late", committed_at=at(30, 1), deployment_commit_sha="h2"
)
"""Named part of w2 but committed after it finished: a non-positive lead time, ignored."""


async def record_push_facts(
    session: AsyncSession, push: tuple[str, str, str, list[tuple[str, datetime]]]
) -> None:
    repo, before, after, commits = push
    changes = [
        ChangeFact(repo=repo, sha=sha, committed_at=when, push_head=after) for sha, when in commits
    ]
    await record_push(session, repo=repo, before=before, after=after, commits=changes)


async def load(session: AsyncSession, *, reverse: bool = False) -> None:
    """Pushes first, then deployments in order (or everything in reverse order)."""
    order = -1 if reverse else 1
    if reverse:
        for fact in DEPLOYMENTS[::order]:
            await record_deployment(session, fact)
    for push in PUSHES[::order]:
        await record_push_facts(session, push)
    await record_change(session, LATE_CHANGE)
    if not reverse:
        for fact in DEPLOYMENTS:
            await record_deployment(session, fact)
    await session.commit()


async def deployment_id(session: AsyncSession, key: str) -> int:
    statement = select(Deployment.id).where(Deployment.external_key == key)
    found = (await session.exec(statement)).one()
    assert found is not None
    return found
