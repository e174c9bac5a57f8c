"""`POST /webhooks/github`: signed deliveries become DORA facts, once; the rest are refused."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from portal.config import Settings
from portal.db import create_engine, create_sessionmaker
from portal.domain.github_signatures import sign
from portal.models import AuditEvent, Change, Deployment, GithubDelivery
from portal.security.roles import Role
from portal.services.github_deliveries import store_delivery
from tests.integration.dora.conftest import SECRET
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.github_examples import example
from tests.support.waiting import wait_until

REPO = "Codertocat/Hello-World"


async def deliver(
    running: RunningApp, event: str, payload: dict[str, Any], delivery: str, *, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(secret.encode(), body),
        "Content-Type": "application/json",
    }
    return await running.client.post("/webhooks/github", content=body, headers=headers)


async def count(running: RunningApp, model: type) -> int:
    async with running.app.state.portal.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def push(before: str, after: str, commits: list[tuple[str, str]]) -> dict[str, Any]:
    payload = example("push", 4)
    template = payload["commits"][0]
    payload |= {"before": before, "after": after}
    payload["commits"] = [template | {"id": sha, "timestamp": when} for sha, when in commits]
    payload["head_commit"] = payload["commits"][-1] if commits else None
    return payload


def deployment_status(
    sha: str, deployment_id: int, *, created: str, finished: str
) -> dict[str, Any]:
    payload = example("deployment_status", 0)
    payload["deployment"] |= {"id": deployment_id, "sha": sha, "created_at": created}
    payload["deployment_status"] |= {"created_at": finished}
    return payload


async def test_ping_is_answered(github: RunningApp) -> None:
    response = await deliver(github, "ping", example("ping", 0), "d-ping")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "pong", "delivery": "d-ping"},
    )


async def results(running: RunningApp) -> list[tuple[str, str | None]]:
    async with running.app.state.portal.sessionmaker() as session:
        connection = await session.connection()
        rows = await connection.execute(
            select(GithubDelivery.delivery_id, GithubDelivery.result).order_by(GithubDelivery.id)
        )
        return [(delivery, result) for delivery, result in rows.all()]


async def test_ping_and_a_created_deployment_are_stored_then_processed(
    github: RunningApp,
) -> None:
    for event, delivery in (("ping", "p1"), ("deployment", "c1")):
        await deliver(github, event, example(event, 0), delivery)

    async def processed() -> bool:
        return all(result is not None for _, result in await results(github))

    await wait_until(processed, within=10, what="the ping and the deployment processed")
    key = "Codertocat/Hello-World/deployments/145988746"
    assert await results(github) == [
        ("p1", "ping from hook 109948940"),
        (
            "c1",
            f"deployment {key} of f95f852bd8fca8fcc58a9a2d6c842781e32a215e started "
            "2019-05-15T15:20:53+00:00; its final deployment_status records it",
        ),
    ]
    assert await count(github, Deployment) == 0  # started, not finished: no fact yet
    response = await deliver(github, "deployment", example("deployment", 0), "c1")
    assert (response.status_code, response.json()["status"]) == (200, "duplicate")
    await deliver(github, "deployment_status", example("deployment_status", 0), "s1")

    async def finished() -> bool:
        return await count(github, Deployment) == 1

    await wait_until(finished, within=10, what="the deployment_status recorded")
    async with github.app.state.portal.sessionmaker() as session:
        connection = await session.connection()
        row = (await connection.execute(select(Deployment))).one()
    assert (row.external_key, row.outcome, row.started_at.isoformat()[:19]) == (
        key,
        "success",
        "2019-05-15T15:20:53",
    )


async def test_push_then_deployment_gives_lead_times_once_however_often_delivered(
    github: RunningApp,
) -> None:
    merged = push(
        "a" * 40, "b" * 40, [("c" * 40, "2026-11-24T08:00:00Z"), ("b" * 40, "2026-11-24T09:00:00Z")]
    )
    squashed = push("b" * 40, "d" * 40, [("d" * 40, "2026-11-24T11:00:00Z")])
    first = deployment_status(
        "b" * 40, 1, created="2026-11-24T09:50:00Z", finished="2026-11-24T10:00:00Z"
    )
    second = deployment_status(
        "d" * 40, 2, created="2026-11-24T11:50:00Z", finished="2026-11-24T12:00:00Z"
    )
    deliveries = [
        ("push", merged, "d1"),
        ("push", squashed, "d2"),
        ("deployment_status", first, "d3"),
        ("deployment_status", second, "d4"),
    ]
    for event, payload, delivery in deliveries:
        response = await deliver(github, event, payload, delivery)
        assert (response.status_code, response.json()["status"]) == (202, "accepted")
    for event, payload, delivery in deliveries:  # GitHub's redelivery
        response = await deliver(github, event, payload, delivery)
        assert (response.status_code, response.json()["status"]) == (200, "duplicate")
    assert [await count(github, m) for m in (GithubDelivery, Deployment, Change)] == [4, 2, 3]
    async with signed_in(github, Role.viewer) as client:
        params = {"window_days": 7, "until": "2026-11-30T00:00:00Z", "service": "Hello-World"}
        body = (await client.get("/api/v1/dora", params=params)).json()
    # first deployment (first seen: only its push): 2 h and 1 h; the squash merge: 1 h
    assert body["lead_time"] == {
        "median_seconds": 3600.0,
        "p90_seconds": 6480.0,
        "changes": 3,
        "level": "elite",
    }
    assert body["deployment_frequency"]["successful"] == 2


async def test_a_completed_deploy_workflow_run_is_a_deployment(github: RunningApp) -> None:
    response = await deliver(github, "workflow_run", example("workflow_run", 1), "w1")
    assert response.status_code == 202
    async with signed_in(github, Role.viewer) as client:
        params = {"window_days": 30, "until": "2020-10-10T00:00:00Z"}
        listed = (await client.get("/api/v1/dora/deployments", params=params)).json()
    assert [(d["service"], d["outcome"], d["commit_sha"]) for d in listed["items"]] == [
        ("octo-repo", "success", "3484a3fb816e0859fd6e1cea078d76385ff50625")
    ]


async def test_other_events_are_202_and_dropped(github: RunningApp) -> None:
    response = await deliver(github, "issues", {"action": "opened"}, "i1")
    assert (response.status_code, response.json()["status"]) == (202, "ignored")
    assert await count(github, GithubDelivery) == 0


async def test_a_missing_or_wrong_signature_is_401_and_audited(github: RunningApp) -> None:
    wrong = await deliver(github, "push", push("a" * 40, "b" * 40, []), "x1", secret="x" * 40)
    missing = await github.client.post(
        "/webhooks/github",
        content=b"{}",
        headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "x2"},
    )
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert "X-Hub-Signature-256" in wrong.json()["detail"]
    async with github.app.state.portal.sessionmaker() as session:
        rows = (await session.exec(select(AuditEvent.action, AuditEvent.outcome))).all()
    assert [tuple(row) for row in rows] == [("github-webhook", "denied")] * 2
    assert await count(github, GithubDelivery) == 0


async def test_without_a_configured_secret_every_delivery_is_refused(portal: RunningApp) -> None:
    response = await deliver(portal, "ping", example("ping", 0), "n1")
    assert response.status_code == 401
    assert "PORTAL_GITHUB_WEBHOOK_SECRET" in response.json()["detail"]


def test_a_short_secret_is_refused_at_start(database_url: str) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(database_url=database_url, github_webhook_secret="short")


async def test_a_delivery_stored_but_never_processed_is_processed_at_the_next_start(
    database_url: str,
) -> None:
    settings = Settings(
        database_url=database_url, log_format="console", github_webhook_secret=SECRET
    )
    payload = deployment_status(
        "b" * 40, 7, created="2026-11-24T09:50:00Z", finished="2026-11-24T10:00:00Z"
    )
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await store_delivery(
                session, delivery_id="lost", event="deployment_status", body=json.dumps(payload)
            )
            await session.commit()
    finally:
        await engine.dispose()
    async with running_app(settings) as running:

        async def recorded() -> bool:
            return await count(running, Deployment) == 1

        await wait_until(recorded, within=10, what="the stored delivery processed")
