"""The demo scenario end to end: seeding, initialisation, the release train and re-seeding."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from devcluster.harness import DevCluster, serve_devcluster
from devcluster.scenarios import DEMO_SERVICES, scenario_objects
from devcluster.simulation import run_simulation
from devcluster.simulation.event_correlation import COMBINED_PREFIX
from tests.integration.devcluster_simulation.support import Api, wait_for

DEMO_TIME_SCALE = 400.0


@pytest.fixture
async def demo() -> AsyncIterator[tuple[DevCluster, Api]]:
    async with (
        serve_devcluster(scenario="demo", time_scale=DEMO_TIME_SCALE) as cluster,
        httpx.AsyncClient(base_url=cluster.url, timeout=10.0) as http,
    ):
        yield cluster, Api(http=http)


async def phases(api: Api) -> dict[str, str]:
    items = (await api.get("/apis/flagger.app/v1beta1/canaries"))["items"]
    return {c["metadata"]["name"]: c.get("status", {}).get("phase", "") for c in items}


async def all_initialised(api: Api) -> bool:
    found = await phases(api)
    return len(found) == len(DEMO_SERVICES) and "" not in found.values()


async def messages(api: Api) -> list[str]:
    """Event messages as Flagger said them: client-go's correlator prefixes merged ones."""
    events = (await api.get("/api/v1/events"))["items"]
    return [event["message"].removeprefix(COMBINED_PREFIX) for event in events]


@dataclass
class PhaseLog:
    """Every (namespace, name, phase, canaryWeight) a watch on the canaries delivered: phases a
    release train passes through quickly are caught, where Events may be dropped (client-go's
    spam filter) and a poll may miss them."""

    seen: set[tuple[str, str, str, int]] = field(default_factory=set)

    async def follow(self, http: httpx.AsyncClient) -> None:
        path = "/apis/flagger.app/v1beta1/canaries"
        async with http.stream("GET", path, params={"watch": "true"}, timeout=None) as stream:
            async for line in stream.aiter_lines():
                if not line.strip():
                    continue
                obj = json.loads(line)["object"]
                status = obj.get("status") or {}
                meta = obj["metadata"]
                self.seen.add(
                    (
                        meta["namespace"],
                        meta["name"],
                        str(status.get("phase", "")),
                        int(status.get("canaryWeight") or 0),
                    )
                )

    async def reached(self, *wanted: tuple[str | None, str | None, str, int | None]) -> bool:
        """Whether each (namespace, name, phase, weight) was seen; None matches anything."""
        return all(
            any(
                all(w is None or w == got for w, got in zip(want, entry, strict=True))
                for entry in self.seen
            )
            for want in wanted
        )


@pytest.fixture
async def phase_log(demo: tuple[DevCluster, Api]) -> AsyncIterator[PhaseLog]:
    cluster, _ = demo
    log = PhaseLog()
    async with httpx.AsyncClient(base_url=cluster.url) as http:
        task = asyncio.create_task(log.follow(http), name="canary-phase-watch")
        try:
            yield log
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def has_message(api: Api, prefix: str) -> bool:
    return any(message.startswith(prefix) for message in await messages(api))


async def test_demo_seeds_teams_nodes_and_initialises_every_canary(
    demo: tuple[DevCluster, Api],
) -> None:
    _, api = demo
    await wait_for(lambda: all_initialised(api))
    namespaces = {n["metadata"]["name"] for n in (await api.get("/api/v1/namespaces"))["items"]}
    assert namespaces >= {"shop", "payments", "search"}
    deployments = {
        d["metadata"]["name"] for d in (await api.get("/apis/apps/v1/deployments"))["items"]
    }
    assert {f"{s.name}-primary" for s in DEMO_SERVICES} <= deployments
    hpas = (await api.get("/apis/autoscaling/v2/horizontalpodautoscalers"))["items"]
    expected = {f"{s.name}-primary" for s in DEMO_SERVICES if s.hpa}
    assert expected <= {h["metadata"]["name"] for h in hpas}
    nodes = {n["metadata"]["name"] for n in (await api.get("/api/v1/nodes"))["items"]}
    pods = (await api.get("/api/v1/pods"))["items"]
    assert pods
    assert {pod["spec"]["nodeName"] for pod in pods} <= nodes


@pytest.mark.slow
async def test_demo_release_train_promotes_good_and_rolls_back_bad_releases(
    demo: tuple[DevCluster, Api], phase_log: PhaseLog
) -> None:
    """Follows the canaries' phases: a chatty canary's later Events are dropped by client-go's
    spam filter (burst 25 per canary), as in a real cluster."""
    _, api = demo
    await wait_for(lambda: has_message(api, "New revision detected! Scaling up"), within=30.0)
    await wait_for(lambda: phase_log.reached((None, None, "Succeeded", None)), within=30.0)
    await wait_for(lambda: phase_log.reached((None, None, "Failed", 0)), within=30.0)


async def test_demo_hpas_rescale_with_the_load_wave(demo: tuple[DevCluster, Api]) -> None:
    _, api = demo
    await wait_for(lambda: has_message(api, "New size: "), within=30.0)


async def test_seeding_again_tolerates_existing_objects(demo: tuple[DevCluster, Api]) -> None:
    cluster, api = demo
    await wait_for(lambda: all_initialised(api))
    seeded = len(scenario_objects(scenario="demo", gate_base_url=None, gate_token=None))
    conflicts_before = cluster.requests.count(method="POST", status=409)
    again = asyncio.create_task(
        run_simulation(
            api_url=cluster.url, token=None, scenario="demo", time_scale=1.0, gate_base_url=None
        ),
        name="second-simulation",
    )
    try:
        await wait_for(lambda: _conflicts_at_least(cluster, conflicts_before + seeded))
        assert not again.done()
    finally:
        again.cancel()
        await asyncio.gather(again, return_exceptions=True)
    assert again.cancelled()


async def _conflicts_at_least(cluster: DevCluster, count: int) -> bool:
    return cluster.requests.count(method="POST", status=409) >= count


async def test_demo_opens_with_a_failed_promotion_and_a_canary_past_its_deadline(
    demo: tuple[DevCluster, Api], phase_log: PhaseLog
) -> None:
    """Issue 10: the demo shows both incident shapes the portal must explain.

    Follows the canaries' phases: their late Events may be dropped by client-go's spam filter
    (burst 25 per canary), as in a real cluster; the portal hears them on the event webhook."""
    _, api = demo
    await wait_for(
        lambda: has_message(api, "canary deployment query-api.search not ready: "), within=30.0
    )
    failed_promotion = ("payments", "ledger", "Failed", 100)
    past_deadline = ("search", "query-api", "Failed", 0)
    await wait_for(lambda: phase_log.reached(failed_promotion, past_deadline), within=30.0)
