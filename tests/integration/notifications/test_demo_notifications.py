"""`make run`'s notifications: the demo receiver gets a message when a demo canary fails (the
demo opens with failed canaries: their needs-attention notice names the failure)."""

from __future__ import annotations

import httpx
import pytest

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.demo import demo_settings
from portal.demo_notifications import SECRET_ENV, URL_ENV, demo_receiver, ensure_demo_channel
from tests.integration.actions.test_demo import TOKEN
from tests.support.apps import running_app
from tests.support.servers import free_port, serve_app
from tests.support.waiting import wait_until


async def test_a_failing_demo_canary_reaches_the_demo_receiver(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVCLUSTER_GATE_TOKEN", TOKEN)
    for name in (URL_ENV, SECRET_ENV):
        monkeypatch.delenv(name, raising=False)  # restored (unset) after the test
    port = free_port()
    with demo_receiver(port=free_port()) as page_url:
        await ensure_demo_channel(database_url)
        await ensure_demo_channel(database_url)  # a second `make run`: still one channel
        async with serve_devcluster(
            scenario="demo", time_scale=100.0, gate_base_url=f"http://127.0.0.1:{port}"
        ) as dc:
            base = Settings(
                database_url=database_url,
                watch_kinds=["canaries", "canary-events"],
                rate_limit_webhooks="100000/minute",
                log_format="console",
            )
            settings = demo_settings(
                base, kubeconfig=dc.kubeconfig, tokens={"devcluster": TOKEN}, port=port
            )
            async with (
                running_app(settings) as running,
                serve_app(running.app, port=port, lifespan="off"),
            ):
                async with running.client_from("127.0.0.1") as client:
                    channels = (await client.get("/api/v1/notifications/channels")).json()
                assert [(c["name"], c["url_source"]) for c in channels] == [
                    ("demo receiver", "env:NOTIFY_DEMO_URL")
                ]

                async def failure_received() -> bool:
                    async with httpx.AsyncClient() as client:  # the receiver, over real HTTP
                        page = await client.get(page_url + "/messages.json")
                    return any(  # a run that rolled back, or a canary found failed
                        event["transition"] == "failed"
                        or (event["cause"] or "").startswith("failed")
                        for message in page.json()
                        for event in message["events"]
                    )

                await wait_until(failure_received, within=60, what="a failed canary's message")
