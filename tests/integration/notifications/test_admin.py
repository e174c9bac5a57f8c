"""/api/v1/notifications/* and the admin page: admin only, audited, CSRF on forms, secrets never
shown, bad input refused with its reason, a test message per channel, and "notify me"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from portal.config import Settings
from portal.demo_receiver import Receiver
from portal.models import AuditEvent
from portal.models.notifications import NotificationChannel, NotificationRule
from portal.security.roles import Role
from tests.integration.notifications.conftest import KEY, SECRET
from tests.support.apps import RunningApp, csrf_headers, running_app, signed_in

SLACK_URL_PATH = "/hooks/T000/B000/XXXXXXXX"


@pytest.fixture
async def running(database_url: str) -> AsyncIterator[RunningApp]:
    settings = Settings(
        database_url=database_url,
        log_format="console",
        notify_secret_key=KEY,
        auth_mode="local",
    )
    async with running_app(settings) as app:
        yield app


async def audit_actions(running: RunningApp) -> list[tuple[str, str]]:
    async with running.app.state.portal.sessionmaker() as session:
        rows = await session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
        return [(row.action, row.outcome) for row in rows if row.action.startswith("notification")]


async def test_channels_keep_their_url_sealed_and_never_show_it(
    running: RunningApp, receiver: Receiver
) -> None:
    url = receiver.url + SLACK_URL_PATH
    headers = await csrf_headers(running.client)
    created = await running.client.post(
        "/api/v1/notifications/channels",
        json={"name": "ops", "kind": "slack", "url": url},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert url not in created.text
    listed = await running.client.get("/api/v1/notifications/channels")
    [channel] = listed.json()
    assert (channel["url_source"], channel["secret_source"], channel["pending"]) == (
        "sealed",
        None,
        0,
    )
    page = await running.client.get("/admin/notifications")
    assert page.status_code == 200
    assert SLACK_URL_PATH not in page.text
    async with running.app.state.portal.sessionmaker() as session:
        [row] = list(await session.exec(select(NotificationChannel)))
    assert row.url_encrypted is not None
    assert SLACK_URL_PATH not in row.url_encrypted

    tested = await running.client.post(
        f"/api/v1/notifications/channels/{channel['id']}/test", headers=headers
    )
    assert tested.json() == {"channel_id": channel["id"], "result": "HTTP 200"}
    [message] = receiver.delivered()
    assert message.path == SLACK_URL_PATH
    assert message.json()["text"] == "the fleet: needs attention"
    assert await audit_actions(running) == [
        ("notification-channel-create", "applied"),
        ("notification-test", "applied"),
    ]


async def test_bad_input_is_refused_with_its_reason_and_writes_nothing(
    running: RunningApp,
) -> None:
    headers = await csrf_headers(running.client)
    bad_channels = [
        ({"name": "x", "kind": "webhook", "url": "https://h.example/x"}, "signed"),
        ({"name": "x", "kind": "slack", "url": "ftp://h.example"}, "https://"),
        ({"name": "x", "kind": "slack", "url_env": "PORTAL_DATABASE_URL"}, "NOTIFY_"),
        ({"name": "x", "kind": "slack"}, "either url or url_env"),
    ]
    for body, reason in bad_channels:
        answer = await running.client.post(
            "/api/v1/notifications/channels", json=body, headers=headers
        )
        assert answer.status_code == 422, body
        assert reason in answer.text
    channel = await running.client.post(
        "/api/v1/notifications/channels",
        json={"name": "hook", "kind": "webhook", "url_env": "NOTIFY_HOOK", "secret": SECRET},
        headers=headers,
    )
    rule = {"channel_id": channel.json()["id"], "transitions": ["failed"], "selector": "a b"}
    refused = await running.client.post("/api/v1/notifications/rules", json=rule, headers=headers)
    assert refused.status_code == 422
    assert "is not a label key" in refused.text
    unknown = {**rule, "selector": "", "transitions": ["exploded"]}
    answer = await running.client.post("/api/v1/notifications/rules", json=unknown, headers=headers)
    assert answer.status_code == 422
    missing = await running.client.post("/api/v1/notifications/channels/99/test", headers=headers)
    assert missing.status_code == 404
    unset = await running.client.post(
        f"/api/v1/notifications/channels/{channel.json()['id']}/test", headers=headers
    )
    assert unset.status_code == 409
    assert "NOTIFY_HOOK is not set" in unset.text
    async with running.app.state.portal.sessionmaker() as session:
        assert list(await session.exec(select(NotificationRule))) == []


async def test_only_admins_manage_notifications(running: RunningApp) -> None:
    async with signed_in(running, Role.operator) as operator:
        assert (await operator.get("/api/v1/notifications/channels")).status_code == 403
        assert (await operator.get("/api/v1/notifications/outbox")).status_code == 403
        answer = await operator.post(
            "/api/v1/notifications/rules", json={"channel_id": 1, "transitions": ["failed"]}
        )
        assert answer.status_code == 403


async def test_forms_need_the_csrf_token(running: RunningApp) -> None:
    answer = await running.client.post(
        "/admin/notifications/channels",
        data={"name": "evil", "kind": "slack", "url": "https://evil.example/x"},
    )
    assert answer.status_code == 403
    headers = await csrf_headers(running.client)
    form = {
        "name": "ops",
        "kind": "slack",
        "url_env": "NOTIFY_OPS",
        "csrf_token": headers["X-CSRF-Token"],
    }
    created = await running.client.post("/admin/notifications/channels", data=form)
    assert created.status_code == 303
    names = [
        channel["name"]
        for channel in (await running.client.get("/api/v1/notifications/channels")).json()
    ]
    assert names == ["ops"]


async def test_notify_me_needs_a_channel_of_ones_own(running: RunningApp) -> None:
    headers = await csrf_headers(running.client)
    path = "/api/v1/notifications/notify-me/prod/payments/ledger"
    refused = await running.client.post(path, headers=headers)
    assert refused.status_code == 409
    await running.client.post(
        "/api/v1/notifications/channels",
        json={"name": "mine", "kind": "slack", "url_env": "NOTIFY_MINE", "owner": "local-admin"},
        headers=headers,
    )
    first = await running.client.post(path, headers=headers)
    again = await running.client.post(path, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["cluster"], first.json()["namespace"], first.json()["canary"]) == (
        "prod",
        "payments",
        "ledger",
    )
    assert first.json()["transitions"] == [
        "failed",
        "operator_rollback",
        "waiting_approval",
        "attention_began",
        "attention_ended",
        "stuck",
    ]


async def test_a_rule_can_name_a_dora_service_on_the_form_and_the_api(
    running: RunningApp,
) -> None:
    headers = await csrf_headers(running.client)
    channel = await running.client.post(
        "/api/v1/notifications/channels",
        json={"name": "dora", "kind": "slack", "url_env": "NOTIFY_DORA"},
        headers=headers,
    )
    form = {
        "channel_id": str(channel.json()["id"]),
        "transitions": "dora_level_dropped",
        "cluster": "prod",
        "service": "checkout",
        "csrf_token": headers["X-CSRF-Token"],
    }
    created = await running.client.post("/admin/notifications/rules", data=form)
    assert created.status_code == 303
    [rule] = (await running.client.get("/api/v1/notifications/rules")).json()
    assert (rule["transitions"], rule["cluster"], rule["service"]) == (
        ["dora_level_dropped"],
        "prod",
        "checkout",
    )
    page = (await running.client.get("/admin/notifications")).text
    assert "<td>checkout</td>" in page
    too_long = {"channel_id": rule["channel_id"], "transitions": ["failed"], "service": "x" * 254}
    refused = await running.client.post(
        "/api/v1/notifications/rules", json=too_long, headers=headers
    )
    assert refused.status_code == 422
