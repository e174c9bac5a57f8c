"""Flagger's metrics from devcluster, scraped by a real Prometheus, beside each threshold."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.demo import demo_prometheus
from portal.demo_prometheus import ScrapeTarget, running_prometheus
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.servers import free_port
from tests.support.waiting import wait_until

SCRAPE_SECONDS = 0.2
METRIC = "request-success-rate"


def analysis_values(exposition: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for family in text_string_to_metric_families(exposition):
        if family.name == "flagger_canary_metric_analysis":
            for s in family.samples:
                key = (s.labels["namespace"], s.labels["name"], s.labels["metric"])
                found[key] = s.value
    return found


async def promoted_release(dc: DevCluster) -> None:
    """One canary (target `web-app`) released and promoted with every check passing."""
    dc.objects.put(objects.namespace("shop"))
    dc.objects.put(objects.deployment("web-app", "shop"))
    canary = objects.canary("web", "shop")
    canary["spec"]["targetRef"]["name"] = "web-app"
    dc.objects.put(canary)

    def phase() -> str:
        found = dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
        return str(((found or {}).get("status") or {}).get("phase", ""))

    await wait_until(lambda: phase() == "Initialized", within=20, what="canary initialized")
    dc.objects.put(objects.deployment("web-app", "shop", image="ghcr.io/infra-fleet/web:1.1.0"))
    await wait_until(lambda: phase() == "Succeeded", within=30, what="release promoted")


async def prometheus_value(url: str, query: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=2) as client:
        body = (await client.get(f"{url}/api/v1/query", params={"query": query})).json()
    return list(body["data"]["result"])


async def test_canary_pages_show_what_flaggers_checks_measured_via_real_prometheus(
    database_url: str, prometheus_binary: str, tmp_path: Path
) -> None:
    async with serve_devcluster(scenario="empty", time_scale=50.0) as dc:
        await promoted_release(dc)
        async with httpx.AsyncClient() as client:
            exposition = (await client.get(f"{dc.url}/metrics")).text
        measured = analysis_values(exposition)[("shop", "web-app", METRIC)]
        assert 99 < measured < 100
        assert 'flagger_canary_status{name="web-app",namespace="shop"} 1.0' in exposition
        assert 'flagger_canary_weight{namespace="shop",workload="web-app"} 0.0' in exposition
        assert 'flagger_canary_weight{namespace="shop",workload="web-app-primary"} 100.0' in (
            exposition
        )
        assert 'flagger_canary_total{namespace="shop"} 1.0' in exposition
        target = ScrapeTarget(
            "flagger", dc.url.removeprefix("http://"), (("cluster", "devcluster"),)
        )
        with running_prometheus(
            binary=prometheus_binary,
            state_dir=tmp_path,
            port=free_port(),
            targets=[target],
            scrape_interval_seconds=SCRAPE_SECONDS,
        ) as url:
            query = 'flagger_canary_metric_analysis{namespace="shop",name="web-app"}'

            async def scraped() -> bool:
                return bool(await prometheus_value(url, query))

            await wait_until(scraped, within=15, what="Prometheus scraped devcluster")
            [series] = await prometheus_value(url, query)
            assert series["metric"]["cluster"] == "devcluster"
            assert series["metric"]["job"] == "flagger"
            assert float(series["value"][1]) == measured
            settings = Settings(
                database_url=database_url,
                kubeconfig=dc.kubeconfig,
                kube_contexts=["devcluster"],
                log_format="console",
                prometheus_url=url,
                watch_kinds=["canaries"],
            )
            async with running_app(settings) as running:
                view = running.app.state.portal.view
                await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
                async with signed_in(running, Role.viewer) as client:
                    body = (await client.get("/api/v1/canaries/devcluster/shop/web")).json()
                    page = (await client.get("/canaries/devcluster/shop/web")).text
    assert [(m["name"], m["last_value"]) for m in body["metrics"]] == [(METRIC, measured)]
    assert f"<td>{round(measured, 3)}</td>" in page


def test_without_the_binary_the_demo_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = argparse.Namespace(
        prometheus_binary=str(tmp_path / "no-prometheus"),
        prometheus_port=free_port(),
        scrape_interval=1.0,
        state_dir=str(tmp_path),
        port=8000,
    )
    with demo_prometheus(args, clusters={"devcluster": 8001}) as url:
        assert url is None
    assert capsys.readouterr().err == (
        f"Prometheus not found at {tmp_path}/no-prometheus: measured metric values stay empty. "
        "Install Debian's package (`sudo apt-get install prometheus`, or `make promtool` as "
        "root) and run `make run` again.\n"
    )
