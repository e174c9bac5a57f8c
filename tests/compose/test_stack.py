"""docker-compose.yml under podman, for real: `make compose-test` (INFRA_FLEET_COMPOSE_TEST=1).

Skipped elsewhere in the suite. Under `make compose-test` it is skipped only when podman cannot
run here, and fails instead when CI=true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from devcluster.scenarios import scenario_objects
from portal.demo_costs import DEMO_SERVICES, demo_answers
from tests.compose.stack import (
    CLUSTERS,
    PodmanUnavailable,
    Stack,
    check_podman_runs,
    compose_stack,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
ANSWER_SECONDS = 120.0
POLL_SECONDS = 1.0


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if os.environ.get("INFRA_FLEET_COMPOSE_TEST") != "1":
        pytest.skip("the compose stack runs under `make compose-test` only")
    try:
        check_podman_runs()
    except PodmanUnavailable as reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and podman cannot run: {reason}")
        pytest.skip(f"podman cannot run here: {reason}")
    with compose_stack() as running:
        yield running


def poll(url: str, *, what: str, until: Any, headers: dict[str, str] | None = None) -> Any:
    """GET `url` until `until(json)` holds; the last answer is in the failure message."""
    deadline = time.monotonic() + ANSWER_SECONDS
    last: object = None
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=5)
            last = (response.status_code, response.text[:2000])
            if response.status_code == 200 and until(response.json()):
                return response.json()
        except httpx.HTTPError as error:
            last = repr(error)
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {ANSWER_SECONDS:g}s; last answer {last}")
        time.sleep(POLL_SECONDS)


def demo_canaries(cluster: str) -> set[tuple[str, str, str]]:
    """The canaries devcluster seeds for `cluster` (each cluster runs the scenario of its name)."""
    objects = scenario_objects(scenario=cluster, gate_base_url=None, gate_token=None)
    return {
        (cluster, o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objects
        if o["kind"] == "Canary"
    }


def test_the_portal_serves_the_canaries_of_all_three_demo_clusters(stack: Stack) -> None:
    expected = set().union(*(demo_canaries(cluster) for cluster in CLUSTERS))
    assert {cluster for cluster, _, _ in expected} == set(CLUSTERS)
    body = poll(
        stack.url("portal", "/api/v1/canaries"),
        what="every demo cluster's canaries in the portal",
        until=lambda b: {(c["cluster"], c["namespace"], c["name"]) for c in b["items"]} == expected,
    )
    clusters = {c["name"]: (c["ready"], c["stale"]) for c in body["clusters"]}
    assert clusters == dict.fromkeys(CLUSTERS, (True, False))
    ready = httpx.get(stack.url("portal", "/readyz"), timeout=5)
    body = ready.json()
    assert (ready.status_code, body["status"], body["reasons"]) == (200, "ready", {})
    assert body["leader"]["is_leader"] is True  # the one replica leads


def test_the_cost_panel_has_the_demo_accounts_figures_from_moto(stack: Stack) -> None:
    body = poll(
        stack.url("portal", "/api/v1/costs"),
        what="Cost Explorer figures in GET /api/v1/costs",
        until=lambda b: b["month_to_date"] is not None,
    )
    # The portal asked on the day it seeded moto (a run across midnight UTC could differ).
    [month, daily] = demo_answers(datetime.now(UTC).date())
    services = {
        g["Keys"][0]: Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
        for g in month["ResultsByTime"][0]["Groups"]
    }
    assert [name for name, _ in DEMO_SERVICES] == list(services)
    assert [(s["service"], Decimal(str(s["amount"]))) for s in body["by_service"]] == list(
        services.items()
    )
    assert Decimal(str(body["month_to_date"]["amount"])) == sum(services.values())
    assert body["month_to_date"]["currency"] == "USD"
    assert len(body["daily"]) == len(daily["ResultsByTime"])
    assert (body["demo"], body["cost_explorer_configured"], body["error"]) == (True, True, None)
    assert [c["cluster"] for c in body["savings"]["clusters"]] == ["staging"]


def test_the_portal_refuses_writes_without_a_token(stack: Stack) -> None:
    cluster, namespace, name = sorted(demo_canaries("prod-eu"))[0]
    response = httpx.post(
        stack.url("portal", f"/api/v1/canaries/{cluster}/{namespace}/{name}/pause"),
        json={"reason": "compose test"},
        timeout=5,
    )
    assert response.status_code == 403


@pytest.mark.parametrize("port", ["devcluster", "devcluster-prod-us", "devcluster-staging"])
def test_each_devcluster_cluster_answers_discovery_on_its_published_port(
    stack: Stack, port: str
) -> None:
    response = httpx.get(stack.url(port, "/apis/flagger.app/v1beta1"), timeout=5)
    assert response.status_code == 200
    assert {r["name"] for r in response.json()["resources"]} >= {"canaries"}


def test_load_harness_answers_and_checks_its_api_key(stack: Stack) -> None:
    assert httpx.get(stack.url("load-harness", "/healthz"), timeout=5).json() == {"status": "ok"}
    jobs = stack.url("load-harness", "/api/v1/jobs")
    assert httpx.get(jobs, timeout=5).status_code == 401
    keyed = httpx.get(jobs, headers={"X-API-Key": stack.secret("LOAD_HARNESS_API_KEY")}, timeout=5)
    assert (keyed.status_code, keyed.json()) == (200, [])


def test_prometheus_scrapes_the_portal_load_harness_and_every_clusters_flagger(
    stack: Stack,
) -> None:
    def health(body: Any) -> dict[tuple[str, str], str]:
        return {
            (t["labels"]["job"], t["labels"].get("cluster", "")): t["health"]
            for t in body["data"]["activeTargets"]
        }

    every = {
        ("portal", ""): "up",
        ("load-harness", ""): "up",
        ("prometheus", ""): "up",
        **{("flagger", cluster): "up" for cluster in CLUSTERS},
    }
    poll(
        stack.url("prometheus", "/api/v1/targets"),
        what="the portal, load-harness and each cluster's flagger targets up",
        until=lambda b: health(b) == every,
    )
    query = poll(
        stack.url("prometheus", "/api/v1/query?query=up%7Bjob%3D%22portal%22%7D"),
        what="up{job=portal} == 1",
        until=lambda b: [r["value"][1] for r in b["data"]["result"]] == ["1"],
    )
    assert query["data"]["result"][0]["metric"]["instance"] == "portal:8000"
    flagger = poll(
        stack.url("prometheus", "/api/v1/query?query=count+by+(cluster)(flagger_info)"),
        what="flagger_info from every cluster",
        until=lambda b: len(b["data"]["result"]) == len(CLUSTERS),
    )
    assert sorted(r["metric"]["cluster"] for r in flagger["data"]["result"]) == sorted(CLUSTERS)
