"""docker-compose.yml under podman, for real: `make compose-test` (INFRA_FLEET_COMPOSE_TEST=1).

Skipped elsewhere in the suite. Under `make compose-test` it is skipped only when podman cannot
run here, and fails instead when CI=true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devcluster.scenarios import DEMO_SERVICES
from tests.compose.stack import PodmanUnavailable, Stack, check_podman_runs, compose_stack

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


def test_the_portal_serves_the_demo_fleet_from_devcluster(stack: Stack) -> None:
    expected = {("devcluster", s.namespace, s.name) for s in DEMO_SERVICES}
    body = poll(
        stack.url("portal", "/api/v1/canaries"),
        what="the demo canaries in the portal",
        until=lambda b: {(c["cluster"], c["namespace"], c["name"]) for c in b["items"]} == expected,
    )
    [cluster] = body["clusters"]
    assert (cluster["name"], cluster["ready"], cluster["stale"]) == ("devcluster", True, False)
    ready = httpx.get(stack.url("portal", "/readyz"), timeout=5)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "reasons": {}})


def test_the_portal_refuses_writes_without_a_token(stack: Stack) -> None:
    frontend = next(s for s in DEMO_SERVICES if s.name == "frontend")
    response = httpx.post(
        stack.url("portal", f"/api/v1/canaries/devcluster/{frontend.namespace}/frontend/pause"),
        json={"reason": "compose test"},
        timeout=5,
    )
    assert response.status_code == 403


def test_devcluster_answers_kubernetes_discovery_on_its_published_port(stack: Stack) -> None:
    response = httpx.get(stack.url("devcluster", "/apis/flagger.app/v1beta1"), timeout=5)
    assert response.status_code == 200
    assert {r["name"] for r in response.json()["resources"]} >= {"canaries"}


def test_load_harness_answers_and_checks_its_api_key(stack: Stack) -> None:
    assert httpx.get(stack.url("load-harness", "/healthz"), timeout=5).json() == {"status": "ok"}
    jobs = stack.url("load-harness", "/api/v1/jobs")
    assert httpx.get(jobs, timeout=5).status_code == 401
    keyed = httpx.get(jobs, headers={"X-API-Key": stack.secret("LOAD_HARNESS_API_KEY")}, timeout=5)
    assert (keyed.status_code, keyed.json()) == (200, [])


def test_prometheus_scrapes_the_portal_load_harness_and_devclusters_flagger(stack: Stack) -> None:
    def health(body: Any) -> dict[str, str]:
        return {t["labels"]["job"]: t["health"] for t in body["data"]["activeTargets"]}

    every = {"portal": "up", "load-harness": "up", "flagger": "up", "prometheus": "up"}
    poll(
        stack.url("prometheus", "/api/v1/targets"),
        what="the portal, load-harness and flagger targets up",
        until=lambda b: health(b) == every,
    )
    query = poll(
        stack.url("prometheus", "/api/v1/query?query=up%7Bjob%3D%22portal%22%7D"),
        what="up{job=portal} == 1",
        until=lambda b: [r["value"][1] for r in b["data"]["result"]] == ["1"],
    )
    assert query["data"]["result"][0]["metric"]["instance"] == "portal:8000"
