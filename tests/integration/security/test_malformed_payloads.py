"""Malformed Flagger and GitHub payloads are refused with a 4xx and a reason, and store nothing.

Each Flagger call carries the right caller token (in the URL), so the payload is the only thing
wrong with it; each GitHub delivery is correctly signed. After the refusals one valid call goes
through and its row is awaited: the rows counted afterwards are exactly the valid call's, so a
malformed call that had slipped into the timeline recorder's queue or the delivery table would
show.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import SQLModel, func, select

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.domain.github_signatures import sign
from portal.models import GithubDelivery
from portal.models.dora import Change, Deployment, Push
from portal.models.gates import GateCall, GateOpening
from portal.models.timeline import TimelineEntry
from portal.security.roles import Role
from tests.integration.fleet.conftest import seed
from tests.integration.security.conftest import audit_rows
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.waiting import wait_until

SECRET = "a-github-webhook-secret-of-32-characters-or-more"
WORKFLOW = ".github/workflows/deploy.yml"


@pytest.fixture
async def portal(database_url: str) -> AsyncIterator[RunningApp]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            watch_kinds=["canaries", "deployments"],
            flagger_tokens=flagger_tokens(),
            github_webhook_secret=SECRET,
            github_deploy_workflows=[WORKFLOW],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield running


async def count(running: RunningApp, model: type[SQLModel]) -> int:
    async with running.app.state.portal.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def counts(running: RunningApp, *models: type[SQLModel]) -> dict[str, int]:
    return {model.__name__: await count(running, model) for model in models}


VALID = {"name": "web", "namespace": "shop", "checksum": "c", "metadata": {"eventMessage": "m"}}
FLAGGER_MALFORMED: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"{name: web", 422, "JSON decode error"),
    ("a list", b"[]", 422, "Input should be a valid dictionary"),
    ("empty object", b"{}", 422, "Field required"),
    ("name a number", json.dumps({**VALID, "name": 5}).encode(), 422, "valid string"),
    ("metadata a string", json.dumps({**VALID, "metadata": "x"}).encode(), 422, "dictionary"),
    (
        "metadata value a list",
        json.dumps({**VALID, "metadata": {"eventMessage": ["m"]}}).encode(),
        422,
        "valid string",
    ),
    ("name too long", json.dumps({**VALID, "name": "w" * 254}).encode(), 422, "at most 253"),
    ("empty namespace", json.dumps({**VALID, "namespace": ""}).encode(), 422, "at least 1"),
    (
        "NUL in the name",
        json.dumps({**VALID, "name": "web\x00"}).encode(),
        422,
        "control character U+0000",
    ),
    (
        "lone surrogate in the message",
        b'{"name": "web", "namespace": "shop", "metadata": {"eventMessage": "\\ud800"}}',
        422,
        "lone surrogate U+D800",
    ),
    ("2 MB of padding", json.dumps({**VALID, "phase": "x" * 2_000_000}).encode(), 413, ""),
]


@pytest.mark.parametrize("path", ["/flagger/events", "/flagger/gates/confirm-rollout"])
async def test_malformed_flagger_payloads_are_refused_and_store_nothing(
    portal: RunningApp, path: str
) -> None:
    answers = []
    for label, body, _, _ in FLAGGER_MALFORMED:
        answer = await portal.client.post(
            f"{path}?token={FLAGGER_TOKEN}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        answers.append((label, answer.status_code, answer.text))
    for (label, status, text), (_, _, wanted_status, reason) in zip(
        answers, FLAGGER_MALFORMED, strict=True
    ):
        assert status == wanted_status, f"{label}: {status} {text[:200]}"
        assert json.loads(text)["detail"], label  # always a reason
        assert reason in text, f"{label}: {text[:300]}"
    tables = (GateCall, GateOpening)
    assert await counts(portal, *tables) == {"GateCall": 0, "GateOpening": 0}
    assert not await _webhook_rows(portal)  # (the watch records the canary's own status)

    sentinel = {**VALID, "metadata": {"eventMessage": "the valid event"}}
    valid = await portal.client.post(f"{path}?token={FLAGGER_TOKEN}", json=sentinel)
    assert valid.status_code in (200, 202, 403)  # an event is accepted; a gate passes or holds
    if path == "/flagger/events":  # recorded after the answer: the queue must hold only it
        await wait_until(lambda: _webhook_rows(portal), what="the valid event's timeline row")
        async with portal.app.state.portal.sessionmaker() as session:
            query = select(TimelineEntry.message).where(TimelineEntry.source == "webhook")
            rows = (await session.exec(query)).all()
        assert rows == ["the valid event"]


async def _webhook_rows(running: RunningApp) -> bool:
    async with running.app.state.portal.sessionmaker() as session:
        query = select(func.count()).where(TimelineEntry.source == "webhook")
        return int((await session.exec(query)).one()) > 0


async def _has_rows(running: RunningApp, model: type[SQLModel]) -> bool:
    return await count(running, model) > 0


def delivery(event: str, body: bytes, delivery_id: str) -> tuple[str, dict[str, str], bytes]:
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign(SECRET.encode(), body),
        "Content-Type": "application/json",
    }
    return "/webhooks/github", headers, body


REPO = {"full_name": "acme/shop", "name": "shop", "default_branch": "main"}
COMMIT = {"id": "a" * 40, "timestamp": "2026-12-01T10:00:00Z"}
PUSH = {
    "ref": "refs/heads/main",
    "before": "0" * 40,
    "after": "a" * 40,
    "repository": REPO,
    "commits": [COMMIT],
    "head_commit": COMMIT,
}
DEPLOYMENT = {"id": 7, "sha": "a" * 40, "created_at": "2026-12-01T10:05:00Z", "payload": {}}
STATUS = {
    "deployment": DEPLOYMENT,
    "deployment_status": {"state": "success", "created_at": "2026-12-01T10:09:00Z"},
    "repository": REPO,
}
RUN = {
    "action": "completed",
    "repository": REPO,
    "workflow_run": {
        "id": 99,
        "path": WORKFLOW,
        "conclusion": "success",
        "head_sha": "a" * 40,
        "run_started_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:06:00Z",
    },
}


def _with(payload: dict[str, Any], *path: str | int, value: object) -> bytes:
    copy: dict[str, Any] = json.loads(json.dumps(payload))
    target: Any = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return json.dumps(copy).encode()


GITHUB_MALFORMED: list[tuple[str, str, bytes, str]] = [
    ("push", "not JSON", b"{not json", "the body is not JSON"),
    ("push", "a list", b"[1, 2]", "the body is not a JSON object"),
    ("push", "not UTF-8", b'{"ref": "\xff\xfe"}', "the body is not JSON"),
    ("push", "no repository", _with(PUSH, "repository", value=None), "repository.full_name is"),
    ("push", "commits a number", _with(PUSH, "commits", value=5), "push payload:"),
    ("push", "commit time not ISO", _with(PUSH, "commits", 0, "timestamp", value="noon"), "ISO"),
    (
        "push",
        "NUL in the repository",
        _with(PUSH, "repository", "full_name", value="acme/\x00shop"),
        "repo: control character U+0000",
    ),
    ("deployment", "no deployment", _with(STATUS, "deployment", value=None), "deployment.id is"),
    (
        "deployment_status",
        "finish without offset",
        _with(STATUS, "deployment_status", "created_at", value="2026-12-01T10:09:00"),
        "deployment_status.created_at has no UTC offset",
    ),
    (
        "deployment_status",
        "state an object",
        _with(STATUS, "deployment_status", "state", value={"x": 1}),
        "deployment_status.state is missing",
    ),
    (
        "workflow_run",
        "no head sha",
        _with(RUN, "workflow_run", "head_sha", value=""),
        "head_sha is missing",
    ),
    (
        "workflow_run",
        "RTL override in the sha",
        _with(RUN, "workflow_run", "head_sha", value="\u202e" + "a" * 39),
        "",
    ),
]


async def test_malformed_signed_github_deliveries_are_refused_and_store_nothing(
    portal: RunningApp,
) -> None:
    tables = (GithubDelivery, Deployment, Change, Push)
    outcomes = []
    for index, (event, label, body, reason) in enumerate(GITHUB_MALFORMED):
        path, headers, content = delivery(event, body, f"bad-{index}")
        answer = await portal.client.post(path, content=content, headers=headers)
        outcomes.append(
            (label, answer.status_code, answer.json().get("detail", answer.text), reason)
        )
    for label, status, detail, reason in outcomes:
        if label == "RTL override in the sha":
            continue  # printable (category Cf): not malformed, checked below
        assert status == 422, f"{label}: {status} {detail}"
        assert reason in detail, f"{label}: {detail}"
    rtl = next(o for o in outcomes if o[0] == "RTL override in the sha")
    assert rtl[1] == 202  # stored as sent: the sha is text, shown escaped
    assert await count(portal, GithubDelivery) == 1

    path, headers, content = delivery("push", json.dumps(PUSH).encode(), "good")
    good = await portal.client.post(path, content=content, headers=headers)
    assert (good.status_code, good.json()) == (202, {"status": "accepted", "delivery": "good"})
    await wait_until(lambda: _has_rows(portal, Push), what="the valid push's facts")
    await wait_until(lambda: _has_rows(portal, Deployment), what="the RTL run's deployment")
    assert await counts(portal, *tables) == {
        "GithubDelivery": 2,
        "Deployment": 1,
        "Change": 1,
        "Push": 1,
    }


async def test_an_unsigned_malformed_delivery_is_refused_before_it_is_read(
    portal: RunningApp,
) -> None:
    answer = await portal.client.post(
        "/webhooks/github",
        content=b"{not json",
        headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "x", "X-Hub-Signature-256": "x"},
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "detail": "X-Hub-Signature-256 is missing or does not match the webhook secret"
    }
    assert await count(portal, GithubDelivery) == 0


async def test_a_denied_call_naming_overlong_objects_is_still_audited(portal: RunningApp) -> None:
    """Attack: a viewer's action on a 300-character cluster name was refused (403) but its
    audit row failed on PostgreSQL (the column holds 128), so the denial went unrecorded."""
    cluster, namespace, name = "c" * 300, "n" * 300, "w" * 300
    async with signed_in(portal, Role.viewer) as viewer:
        answer = await viewer.post(
            f"/api/v1/canaries/{cluster}/{namespace}/{name}/pause", json={"reason": "x"}
        )
    assert answer.status_code == 403
    rows = await audit_rows(portal, outcome="denied")
    assert [(row.cluster, row.namespace, row.name) for row in rows] == [
        ("c" * 128, "n" * 253, "w" * 253)
    ]
