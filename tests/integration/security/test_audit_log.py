"""The audit log over JSON and as a page: filters, newest first, bounded answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.services.audit import record_audit
from tests.integration.security.conftest import MakeSettings
from tests.support.apps import RunningApp, running_app

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def seed(running: RunningApp) -> None:
    events = [
        ("alice", "pause", "prod", "shop", "web", "applied"),
        ("bob", "resume", "prod", "shop", "web", "applied"),
        ("alice", "rollback", "staging", "shop", "api", "rejected"),
        ("mallory", "pause", "prod", "pay", "gw", "denied"),
    ]
    async with running.app.state.portal.sessionmaker() as session:
        for hour, (actor, action, cluster, namespace, name, outcome) in enumerate(events):
            await record_audit(
                session,
                actor=actor,
                role="operator",
                action=action,
                outcome=outcome,
                cluster=cluster,
                namespace=namespace,
                name=name,
                reason=f"reason {hour}",
                at=START + timedelta(hours=hour),
            )
        await session.commit()


@pytest.fixture
async def viewer_client(make_settings: MakeSettings):  # type: ignore[no-untyped-def]
    """The local admin (no token, so no token.create event among the seeded ones)."""
    async with running_app(make_settings(auth_mode="local")) as running:
        await seed(running)
        yield running.client


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["reason 3", "reason 2", "reason 1", "reason 0"]),
        ({"actor": "alice"}, ["reason 2", "reason 0"]),
        ({"action": "pause"}, ["reason 3", "reason 0"]),
        ({"cluster": "prod", "namespace": "shop", "name": "web"}, ["reason 1", "reason 0"]),
        ({"outcome": "denied"}, ["reason 3"]),
        (
            {"since": "2026-11-01T13:00:00Z", "until": "2026-11-01T14:00:00Z"},
            ["reason 2", "reason 1"],
        ),
        ({"since": "2026-11-01T14:30:00+01:00"}, ["reason 3", "reason 2"]),
        ({"limit": 2}, ["reason 3", "reason 2"]),
    ],
)
async def test_filters_select_exactly_the_matching_events_newest_first(
    viewer_client,
    params: dict[str, object],
    expected: list[str],  # type: ignore[no-untyped-def]
) -> None:
    response = await viewer_client.get("/api/v1/audit", params=params)
    assert response.status_code == 200
    assert [event["reason"] for event in response.json()] == expected


async def test_bad_filters_are_422_with_the_reason(viewer_client) -> None:  # type: ignore[no-untyped-def]
    too_many = await viewer_client.get("/api/v1/audit", params={"limit": 501})
    backwards = await viewer_client.get(
        "/api/v1/audit", params={"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    )
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]
    assert backwards.status_code == 422
    assert "since must not be after until" in backwards.json()["detail"][0]["msg"]


async def test_the_audit_page_lists_and_filters(viewer_client) -> None:  # type: ignore[no-untyped-def]
    page = await viewer_client.get(
        "/audit", params={"actor": "mallory", "since": "", "limit": "50"}
    )
    assert page.status_code == 200
    assert page.text.count("<tr>") == 2  # header + one event
    assert "prod/pay/gw" in page.text
    assert 'value="mallory"' in page.text


async def test_the_audit_page_explains_a_bad_filter(viewer_client) -> None:  # type: ignore[no-untyped-def]
    page = await viewer_client.get(
        "/audit", params={"since": "yesterday"}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 422
    assert "since: Input should be a valid datetime" in page.text
