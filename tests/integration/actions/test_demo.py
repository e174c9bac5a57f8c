"""`make run`'s demo fleet progresses by itself against the portal's gates with the default
policies: confirm gates open, rollback closed (releases promote; bad ones roll back on their
failed checks, not because the rollback gate said so). And `portal demo` itself, as `make run`
starts it: its Prometheus scrapes every cluster, the portal and the bounded load harness."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.demo import demo_settings
from tests.support.apps import running_app
from tests.support.servers import free_port, free_ports, serve_app
from tests.support.waiting import wait_until

TOKEN = "demo-gate-token-0123456789abcdefghijklmnopqrstuv"


async def test_the_demo_fleet_promotes_and_rolls_back_by_itself(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVCLUSTER_GATE_TOKEN", TOKEN)
    port = free_port()
    async with serve_devcluster(
        scenario="demo", time_scale=100.0, gate_base_url=f"http://127.0.0.1:{port}"
    ) as dc:
        base = Settings(
            database_url=database_url,
            watch_kinds=["canaries"],
            rate_limit_webhooks="100000/minute",  # time_scale=100 sends 100x the real traffic
            log_format="console",
        )
        # what `portal demo` runs: local mode on its port, the cluster's token as a hash
        settings = demo_settings(
            base, kubeconfig=dc.kubeconfig, tokens={"devcluster": TOKEN}, port=port
        )
        assert settings.flagger_webhook_token is None
        async with (
            running_app(settings) as running,
            serve_app(running.app, port=port, lifespan="off"),
        ):
            view = running.app.state.portal.view

            def phases() -> list[tuple[str, dict[str, Any]]]:
                return [
                    (str(obj["metadata"]["name"]), dict(obj.get("status") or {}))
                    for _, obj in view.objects("canaries")
                ]

            def promoted_release() -> bool:
                return any(
                    s.get("phase") == "Succeeded" and s.get("lastPromotedSpec") for _, s in phases()
                )

            await wait_until(promoted_release, within=60, what="a demo release promoted")
            await wait_until(
                lambda: any(s.get("phase") == "Failed" for _, s in phases()),
                within=90,
                what="a bad demo release rolled back",
            )
            assert [name for name, s in phases() if s.get("phase") == "Waiting"] == []


PORTAL = Path(sys.executable).with_name("portal")
CLUSTERS = ("prod-eu", "prod-us", "staging")


@dataclass(frozen=True)
class Demo:
    ports: dict[str, int]
    state_dir: Path
    log: Path

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


@asynccontextmanager
async def running_demo(tmp_path: Path, *, prometheus: str) -> AsyncIterator[Demo]:
    """`portal demo` as `make run` starts it, every port free, its own database and state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "LOAD_HARNESS_"))}
    env |= {"PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/portal.db"}
    upgrade = await asyncio.to_thread(
        subprocess.run, [PORTAL, "db", "upgrade"], env=env, capture_output=True, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr.decode()
    ports = {"devcluster": free_ports(len(CLUSTERS))} | {
        name: free_port() for name in ("portal", "prometheus", "moto", "receiver", "load-harness")
    }
    demo = Demo(ports=ports, state_dir=tmp_path / "var", log=tmp_path / "demo.log")
    with demo.log.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - starts the child, never waits on it
            [
                PORTAL, "demo",
                "--port", str(ports["portal"]),
                "--devcluster-port", str(ports["devcluster"]),
                "--prometheus-port", str(ports["prometheus"]),
                "--moto-port", str(ports["moto"]),
                "--receiver-port", str(ports["receiver"]),
                "--load-harness-port", str(ports["load-harness"]),
                "--prometheus-binary", prometheus,
                "--scrape-interval", "0.5",
                "--state-dir", str(demo.state_dir),
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield demo
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 30)


async def active_targets(client: httpx.AsyncClient, prometheus: str) -> list[dict[str, Any]]:
    try:
        response = await client.get(f"{prometheus}/api/v1/targets", params={"state": "active"})
    except httpx.TransportError:
        return []
    if response.status_code != 200:  # starting up: 503 "Service Unavailable", in plain text
        return []
    return list(response.json()["data"]["activeTargets"])


# Three devcluster clusters, the portal, the load harness, moto and Prometheus on two shared cores.
@pytest.mark.timeout(300)
async def test_make_runs_prometheus_scrapes_every_cluster_the_portal_and_the_load_harness(
    prometheus_binary: str, tmp_path: Path
) -> None:
    async with (
        running_demo(tmp_path, prometheus=prometheus_binary) as demo,
        httpx.AsyncClient(timeout=5) as client,
    ):
        targets: list[dict[str, Any]] = []

        async def all_up() -> bool:
            targets[:] = await active_targets(client, demo.url("prometheus"))
            # Prometheus lists every configured target from the start, health "unknown" until
            # its first scrape: all of them up means each one answered
            return bool(targets) and all(t["health"] == "up" for t in targets)

        try:
            await wait_until(all_up, within=240, what="every demo target up in Prometheus")
        except AssertionError:
            raise AssertionError(f"{targets}\n{demo.log.read_text()[-3000:]}") from None
        first = demo.ports["devcluster"]
        assert sorted(
            (t["labels"]["job"], t["labels"]["instance"], t["labels"].get("cluster"))
            for t in targets
        ) == [
            ("flagger", f"127.0.0.1:{first}", "prod-eu"),
            ("flagger", f"127.0.0.1:{first + 1}", "prod-us"),
            ("flagger", f"127.0.0.1:{first + 2}", "staging"),
            ("load-harness", f"127.0.0.1:{demo.ports['load-harness']}", None),
            ("portal", f"127.0.0.1:{demo.ports['portal']}", None),
        ]
        # the load harness is the bounded one the demo configured: its key, half its 256 MiB
        harness = demo.url("load-harness")
        request = {"megabytes": 129, "duration_seconds": 1}
        anonymous = await client.post(f"{harness}/api/v1/load/memory", json=request)
        key = (demo.state_dir / "load-harness" / "api-key").read_text().strip()
        too_big = await client.post(
            f"{harness}/api/v1/load/memory", json=request, headers={"X-API-Key": key}
        )
    assert anonymous.status_code == 401
    assert (too_big.status_code, too_big.json()["detail"]) == (
        422,
        "megabytes 129 exceeds the cap of 128 MiB (0.5 of this container's memory limit)",
    )
    assert oct((demo.state_dir / "load-harness" / "api-key").stat().st_mode & 0o777) == "0o600"
