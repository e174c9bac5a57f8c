"""Unicode and injection strings in every writable field: stored exactly or refused with a
reason, and shown escaped on every page that shows them.

The fields: API tokens' names, notification channels' owners, DORA deployments' service,
environment and failure cause, and an action's cluster name and reason. Each value goes in
through the JSON API as an admin; an accepted one must come back from the API byte for byte
and appear in its page's HTML cell exactly as Jinja's autoescape writes it (`&lt;`, `&#34;`,
`&#39;`), never raw. A NUL is refused (422, a control character) and a 10,000-character string
is refused for its length (422) in every field, and neither shows anywhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from markupsafe import escape

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.fleet.conftest import seed
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.waiting import wait_until

STORED = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "sql": "x'); DROP TABLE audit_events; --",
    "rtl": "\u202egnp.exe",
    "unicode": "Zürich 東京 🚀",
}
REFUSED = {
    "nul": ("web\x00", "control character U+0000"),
    "long": ("a" * 10_000, "String should have at most"),
}
ALL = {**STORED, **{label: value for label, (value, _) in REFUSED.items()}}


@pytest.fixture
async def admin(portal: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(portal, Role.admin) as client:
        yield client


def cell(value: str) -> str:
    return f"<td>{escape(value)}</td>"


def assert_shown_escaped(page: httpx.Response, value: str, wanted: str) -> None:
    assert page.status_code == 200
    assert wanted in page.text
    if "<" in value or '"' in value:
        assert value not in page.text


def assert_refused(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 422, answer.text[:300]
    assert reason in str(answer.json()["detail"])


async def test_token_names_outside_their_pattern_are_refused(admin: httpx.AsyncClient) -> None:
    """Token names are identifiers (`[a-z0-9][a-z0-9._-]{0,63}`): every hostile one is refused
    with the rule, and the token page shows none of them."""
    answers = {
        label: await admin.post("/api/v1/tokens", json={"name": value, "role": "viewer"})
        for label, value in ALL.items()
    }
    page = await admin.get("/admin/tokens")
    rule = "token name must be 1-64 characters: lower-case letters, digits"
    for label, value in ALL.items():
        reason = {"nul": "control character U+0000", "long": "at most 64 characters"}.get(label)
        assert_refused(answers[label], reason or rule)
        assert escape(value)[:40] not in page.text
    listed = (await admin.get("/api/v1/tokens")).json()
    assert [token["role"] for token in listed] == ["admin"]  # the test's own


async def test_notification_channel_owners(admin: httpx.AsyncClient) -> None:
    answers = {}
    for index, (label, value) in enumerate(ALL.items()):
        body = {"name": f"c{index}", "kind": "slack", "url_env": "NOTIFY_SLACK", "owner": value}
        answers[label] = await admin.post("/api/v1/notifications/channels", json=body)
    listed = (await admin.get("/api/v1/notifications/channels")).json()
    page = await admin.get("/admin/notifications")
    for label, value in STORED.items():
        assert answers[label].status_code == 201, answers[label].text
        assert_shown_escaped(page, value, cell(value))
    for label, (value, reason) in REFUSED.items():
        assert_refused(answers[label], reason if label == "nul" else "at most 255 characters")
        assert value[:40] not in page.text
    assert sorted(c["owner"] for c in listed) == sorted(STORED.values())


async def test_a_channel_name_outside_its_pattern_is_refused(admin: httpx.AsyncClient) -> None:
    for value in ALL.values():
        body = {"name": value, "kind": "slack", "url_env": "NOTIFY_SLACK"}
        answer = await admin.post("/api/v1/notifications/channels", json=body)
        assert answer.status_code == 422
    assert (await admin.get("/api/v1/notifications/channels")).json() == []


async def test_dora_deployment_fields(admin: httpx.AsyncClient) -> None:
    finished = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    answers = {}
    for label, value in ALL.items():
        body = {
            "service": value,
            "environment": value,
            "started_at": (finished - timedelta(minutes=5)).isoformat(),
            "finished_at": finished.isoformat(),
            "outcome": "failed",
            "failure_cause": value,
        }
        answers[label] = await admin.post("/api/v1/dora/deployments", json=body)
    listed = (await admin.get("/api/v1/dora/deployments?limit=100")).json()
    page = await admin.get("/dora")
    for label, value in STORED.items():
        assert answers[label].status_code == 200, answers[label].text
        assert_shown_escaped(page, value, cell(value))  # the service and the cause cells
        assert f"<td>/ {escape(value)}</td>" in page.text  # no cluster/namespace, environment
    for label, (value, reason) in REFUSED.items():
        assert_refused(answers[label], reason if label == "nul" else "at most 128 characters")
        assert value[:40] not in page.text
    assert sorted(
        (d["service"], d["environment"], d["failure_cause"]) for d in listed["items"]
    ) == sorted((value, value, value) for value in STORED.values())


async def test_an_unknown_cluster_in_an_action_is_refused_and_shown_escaped(
    admin: httpx.AsyncClient,
) -> None:
    """The cluster is a path segment: a value with a slash matches no route (404 Not Found);
    the others (10,000 characters too) reach the action, which refuses an unknown cluster (404
    naming it, not audited: nothing about it exists). The canary page's 404 shows the name
    escaped."""
    for label, value in ALL.items():
        segment = quote(value, safe="")
        answer = await admin.post(
            f"/api/v1/canaries/{segment}/shop/web/pause", json={"reason": "r"}
        )
        page = await admin.get(f"/canaries/{segment}/shop/web")
        if label == "nul":
            assert_refused(answer, "control character U+0000")
            continue
        if "/" in value:
            assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})
            continue
        message = f"unknown cluster {value!r} (watched clusters: none)"
        assert (answer.status_code, answer.json()) == (404, {"detail": message})
        assert page.status_code == 404
        assert f"<p>{escape(message)}</p>" in page.text
        assert value not in page.text or "<" not in value


async def test_action_reasons(database_url: str) -> None:
    """A real action (pause, then its repeats) with each reason: stored exactly in the audit
    log and shown escaped on the audit page."""
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            watch_kinds=["canaries", "deployments"],
            rate_limit_actions="1000/minute",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            async with signed_in(running, Role.admin) as admin:
                answers = {
                    label: await admin.post(
                        "/api/v1/canaries/devcluster/shop/web/pause", json={"reason": value}
                    )
                    for label, value in ALL.items()
                }
                page = await admin.get("/audit")
                listed = (await admin.get("/api/v1/audit?action=pause")).json()
    for label, value in STORED.items():
        assert answers[label].status_code == 202, answers[label].text
        assert answers[label].json()["reason"] == value
        assert_shown_escaped(page, value, f"<td>{escape(value)}")
    for label, (value, reason) in REFUSED.items():
        assert_refused(answers[label], reason if label == "nul" else "at most 500 characters")
        assert value[:40] not in page.text
    assert sorted(row["reason"] for row in listed) == sorted(STORED.values())
