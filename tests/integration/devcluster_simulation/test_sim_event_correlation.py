"""Flagger's Kubernetes Events in devcluster look like a real cluster's: client-go's correlator
merges and drops them, while the event webhook hears every one (controller/events.go at v1.44.0
does not throttle it). Read back over HTTP with kubectl, as an operator would."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from devcluster.harness import DevCluster
from devcluster.simulation.event_correlation import COMBINED_PREFIX
from tests.integration.devcluster_simulation.support import Api, GateServer, wait_for
from tests.integration.devcluster_simulation.test_sim_canary_runs import (
    canary,
    hook,
    initialised,
    phase,
    release,
)

KUBECTL = "/usr/bin/kubectl"
pytestmark = pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed")
CANARY_WEB = {"kind": "Canary", "name": "web", "namespace": "shop"}
NOT_SIGNALING = "Rollback hook gate-rollback not signaling a rollback"


async def kubectl_events(cluster: DevCluster, cache: Path) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        KUBECTL,
        f"--kubeconfig={cluster.kubeconfig}",
        f"--cache-dir={cache}",
        "get",
        "events",
        "-n",
        "shop",
        "-o",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(cache)},
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return [e for e in items if e["involvedObject"] == e["involvedObject"] | CANARY_WEB]


async def test_a_chatty_canary_has_its_events_merged_and_dropped_but_not_its_webhook_calls(
    api: Api, gates: GateServer, cluster: DevCluster, tmp_path: Path
) -> None:
    gates.answer("/rollback", 403, "no rollback requested")
    hooks = [hook(gates, "event"), hook(gates, "rollback")]
    await initialised(api, canary(hooks, stepWeight=2, maxWeight=50, threshold=5))
    await release(api, "1.1.0")

    async def succeeded() -> bool:
        return await phase(api) == "Succeeded"

    await wait_for(succeeded, within=60)
    heard = gates.event_messages()
    advances = [m for m in heard if m.startswith("Advance web.shop canary weight")]
    assert advances == [f"Advance web.shop canary weight {w}" for w in range(2, 51, 2)]
    # the closed rollback gate is asked every Progressing tick, the promoting one included
    assert heard.count(NOT_SIGNALING) == len(advances) + 1

    events = await kubectl_events(cluster, tmp_path / "kubectl")
    plain = [e["message"] for e in events if not e["message"].startswith(COMBINED_PREFIX)]
    combined = [e for e in events if e["message"].startswith(COMBINED_PREFIX)]
    # reason Synced, type Normal: the first nine distinct messages stay as they are ...
    assert sorted(plain) == sorted(
        [
            "Initialization done! web.shop",
            "New revision detected! Scaling up web-app.shop",
            NOT_SIGNALING,
            "Starting canary analysis for web-app.shop",
            *(f"Advance web.shop canary weight {w}" for w in (2, 4, 6, 8, 10)),
        ]
    )
    # ... the repeating one is a single Event whose count goes up ...
    [repeating] = [e for e in events if e["message"] == NOT_SIGNALING]
    assert int(repeating["count"]) > 1
    # ... and every later message goes into one combined Event that keeps only the latest
    [merged] = combined
    assert (merged["type"], merged["reason"], merged["source"]["component"]) == (
        "Normal",
        "Synced",
        "flagger",
    )
    shown = {*plain, merged["message"].removeprefix(COMBINED_PREFIX)}
    assert len(set(heard) - shown) == len(set(heard)) - 10
