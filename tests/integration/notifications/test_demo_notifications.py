"""`make run`'s notifications: the demo receiver gets a message when a demo canary fails (the
demo opens with failed canaries: their needs-attention notice names the failure), and a canary
that fails while the portal watches is told within seconds (the delay is measured and printed)."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.demo import demo_settings
from portal.demo_notifications import SECRET_ENV, URL_ENV, demo_receiver, ensure_demo_channel
from portal.demo_receiver import Receiver
from tests.integration.actions.test_demo import TOKEN
from tests.support.apps import RunningApp, running_app
from tests.support.servers import free_port, serve_app
from tests.support.waiting import wait_until

CANARIES = "/apis/flagger.app/v1beta1/canaries"
TOLD = ("failed", "attention_began")
IDLE = ("Initialized", "Succeeded", "Failed")
MEASURED = 3
MOST_SECONDS = 30.0
"""A failure waits PORTAL_NOTIFY_GROUP_SECONDS (5) for the rest of its burst, then one tick;
devcluster, its simulation, the portal and the receiver share this test's one event loop on a
shared 2-core machine, so the bound leaves room for load (the measured figures are printed)."""


@dataclass
class Demo:
    receiver: Receiver
    cluster: DevCluster
    portal: RunningApp


@asynccontextmanager
async def running_demo(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Demo]:
    """The receiver, devcluster's demo and the portal as `portal demo` wires them."""
    monkeypatch.setenv("DEVCLUSTER_GATE_TOKEN", TOKEN)
    for name in (URL_ENV, SECRET_ENV):
        monkeypatch.delenv(name, raising=False)  # restored (unset) after the test
    port = free_port()
    with demo_receiver(port=free_port()) as receiver:
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
                yield Demo(receiver=receiver, cluster=dc, portal=running)


async def test_a_failing_demo_canary_reaches_the_demo_receiver(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_demo(database_url, monkeypatch) as demo:
        async with demo.portal.client_from("127.0.0.1") as client:
            channels = (await client.get("/api/v1/notifications/channels")).json()
        assert [(c["name"], c["url_source"]) for c in channels] == [
            ("demo receiver", "env:NOTIFY_DEMO_URL")
        ]

        async def failure_received() -> bool:
            async with httpx.AsyncClient() as client:  # the receiver, over real HTTP
                page = await client.get(demo.receiver.url + "/messages.json")
            return any(  # a run that rolled back, or a canary found failed
                event["transition"] == "failed" or (event["cause"] or "").startswith("failed")
                for message in page.json()
                for event in message["events"]
            )

        await wait_until(failure_received, within=60, what="a failed canary's message")


class FailureClock:
    """When each canary turned Failed while the portal watched, by the `lastTransitionTime` of
    the status write that made it Failed (whole seconds, so a delay reads up to 1 s long; the
    test's own polling lags under load, the cluster's write time does not), and when the
    receiver first got a message about that canary's failing release: one that arrived after
    the test saw the release start. Failing checks draw attention before the Failed write, so a
    delay can be negative (told before the canary had finished failing)."""

    def __init__(self, demo: Demo, client: httpx.AsyncClient) -> None:
        self.demo = demo
        self.client = client
        self.phases: dict[str, str] = {}
        self.started_at: dict[str, float] = {}
        self.failed_at: dict[str, float] = {}
        self.delays: dict[str, float] = {}

    async def measured(self) -> bool:
        listing = (await self.client.get(self.demo.cluster.url + CANARIES)).json()
        now = time.time()
        for item in listing["items"]:
            key = f"{item['metadata']['namespace']}/{item['metadata']['name']}"
            status = item.get("status") or {}
            phase = status.get("phase", "")
            before = self.phases.get(key)
            if before in IDLE and phase not in IDLE and key not in self.failed_at:
                self.started_at[key] = now  # a release began while the portal watched
            if phase == "Failed" and before != "Failed" and key in self.started_at:
                written = datetime.strptime(status["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ")
                self.failed_at.setdefault(key, written.replace(tzinfo=UTC).timestamp())
            self.phases[key] = phase
        for key, failed in self.failed_at.items():
            told = self._told(key, after=self.started_at[key])
            if told is not None and key not in self.delays:
                self.delays[key] = told - failed
        return len(self.delays) >= MEASURED

    def _told(self, key: str, *, after: float) -> float | None:
        namespace, name = key.split("/")
        for message in self.demo.receiver.delivered():
            if message.at >= after and any(
                event["transition"] in TOLD
                and (event["subject"]["namespace"], event["subject"]["name"]) == (namespace, name)
                for event in message.json()["events"]
            ):
                return message.at
        return None


@pytest.mark.timeout(400)
async def test_a_canary_failing_in_the_demo_is_told_within_seconds(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_demo(database_url, monkeypatch) as demo, httpx.AsyncClient() as client:
        clock = FailureClock(demo, client)
        try:
            await wait_until(clock.measured, within=300, what=f"{MEASURED} failures told")
        except AssertionError as error:
            told = [
                (
                    round(m.at, 1),
                    [(e["transition"], e["subject"]["name"]) for e in m.json()["events"]],
                )
                for m in demo.receiver.delivered()
            ]
            raise AssertionError(f"{error}: failed {clock.failed_at}, told {told}") from None
    delays = sorted(clock.delays.values())
    print(f"failure → receiver: median {statistics.median(delays):.2f}s of {clock.delays}")
    assert max(delays) < MOST_SECONDS, clock.delays
