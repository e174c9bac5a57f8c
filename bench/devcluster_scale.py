"""devcluster at scale: list latency over 10,000 canaries and watch fan-out to 20 watchers.

Run: .venv/bin/python bench/devcluster_scale.py [--objects 10000] [--watchers 20] [--writes 200]

The server runs in a child process (`--serve`), seeded through the store's own write path, so
the measuring client does not share its event loop. Baseline in the same run: encoding the
same list per request with json.dumps (what the cached per-object encoding avoids).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devcluster.harness import serve_devcluster

NAMESPACES = 50
CANARIES = "/apis/flagger.app/v1beta1/canaries"


def canary(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {
            "name": f"svc-{index:05d}",
            "namespace": f"team-{index % NAMESPACES:02d}",
            "labels": {"app": f"svc-{index:05d}", "tier": "web" if index % 100 else "edge"},
            "annotations": {"infra-fleet/owner": f"team-{index % NAMESPACES:02d}"},
        },
        "spec": {
            "provider": "nginx",
            "targetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"svc-{index:05d}",
            },
            "autoscalerRef": {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "name": f"svc-{index:05d}",
            },
            "service": {"port": 80, "targetPort": 8080},
            "analysis": {
                "interval": "1m",
                "threshold": 5,
                "maxWeight": 50,
                "stepWeight": 10,
                "metrics": [
                    {
                        "name": "request-success-rate",
                        "interval": "1m",
                        "thresholdRange": {"min": 99},
                    },
                    {"name": "request-duration", "interval": "1m", "thresholdRange": {"max": 500}},
                ],
                "webhooks": [
                    {
                        "name": "confirm-promotion",
                        "type": "confirm-promotion",
                        "url": "http://portal.infra-fleet/flagger/gates/confirm-promotion",
                    }
                ],
            },
        },
        "status": {
            "phase": "Succeeded",
            "canaryWeight": 0,
            "failedChecks": 0,
            "iterations": 0,
            "lastTransitionTime": "2026-01-01T00:00:00Z",
            "conditions": [
                {
                    "type": "Promoted",
                    "status": "True",
                    "reason": "Succeeded",
                    "message": "Canary analysis completed successfully, promotion finished.",
                }
            ],
        },
    }


async def serve(objects: int) -> None:
    async with serve_devcluster(simulate=False, history_size=10_000) as cluster:
        for ns in range(NAMESPACES):
            cluster.objects.put(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{ns:02d}"}}
            )
        for index in range(objects):
            cluster.objects.put(canary(index))
        sys.stdout.write(cluster.url + "\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


async def timed_gets(api: httpx.AsyncClient, path: str, runs: int, **kw: Any) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await api.get(path, **kw)
        response.raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def aiohttp_gets(url: str, path: str, runs: int) -> list[float]:
    """The transport kubernetes-asyncio (the portal's client) uses."""
    samples = []
    async with aiohttp.ClientSession() as session:
        for _ in range(runs):
            started = time.perf_counter()
            async with session.get(url + path) as response:
                await response.read()
                response.raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def initial_watch_ms(url: str, objects: int) -> float:
    """A watch without resourceVersion: time until every synthetic ADDED event arrived."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        params = {"watch": "true", "timeoutSeconds": "60"}
        async with session.get(url + CANARIES, params=params) as response:
            seen = 0
            while seen < objects:
                line = await response.content.readline()
                seen += bool(line.strip())
    return (time.perf_counter() - started) * 1000


async def full_paged_list(api: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    token = ""
    while True:
        params = {"limit": "500", **({"continue": token} if token else {})}
        body = (await api.get(CANARIES, params=params)).json()
        token = body["metadata"].get("continue", "")
        if not token:
            return (time.perf_counter() - started) * 1000


def naive_encode_ms(objects: int, runs: int) -> list[float]:
    items = [canary(i) for i in range(objects)]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        json.dumps({"kind": "CanaryList", "items": items}, separators=(",", ":")).encode()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def watcher(
    api: httpx.AsyncClient, rv: str, expected: int, latencies: list[float], ready: asyncio.Event
) -> None:
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"}
    async with api.stream("GET", CANARIES, params=params) as response:
        ready.set()
        seen = 0
        async for line in response.aiter_lines():
            if not line:
                continue
            event = json.loads(line)
            sent = int(event["object"]["metadata"]["annotations"]["bench/sent-ns"])
            latencies.append((time.time_ns() - sent) / 1e6)
            seen += 1
            if seen == expected:
                return


async def fan_out(api: httpx.AsyncClient, watchers: int, writes: int) -> tuple[list[float], float]:
    rv = (await api.get(CANARIES, params={"limit": "1"})).json()["metadata"]["resourceVersion"]
    latencies: list[float] = []
    readies = [asyncio.Event() for _ in range(watchers)]
    tasks = [asyncio.create_task(watcher(api, rv, writes, latencies, r)) for r in readies]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    started = time.perf_counter()
    for index in range(writes):
        patch = {"metadata": {"annotations": {"bench/sent-ns": str(time.time_ns())}}}
        ns, name = f"team-{index % NAMESPACES:02d}", f"svc-{index:05d}"
        response = await api.patch(
            f"/apis/flagger.app/v1beta1/namespaces/{ns}/canaries/{name}",
            content=json.dumps(patch),
            headers={"content-type": "application/merge-patch+json"},
        )
        response.raise_for_status()
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    return latencies, time.perf_counter() - started


async def measure(url: str, args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.watchers + 5)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as api:
        await timed_gets(api, CANARIES, 2)
        full = await aiohttp_gets(url, CANARIES, args.runs)
        full_httpx = await timed_gets(api, CANARIES, args.runs)
        one_ns = await timed_gets(
            api, "/apis/flagger.app/v1beta1/namespaces/team-07/canaries", args.runs
        )
        selected = await timed_gets(api, CANARIES, args.runs, params={"labelSelector": "tier=edge"})
        table_headers = {"accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
        table = await timed_gets(api, CANARIES, max(3, args.runs // 4), headers=table_headers)
        paged = [await full_paged_list(api) for _ in range(max(3, args.runs // 4))]
        naive = naive_encode_ms(args.objects, max(3, args.runs // 4))
        initial = [await initial_watch_ms(url, args.objects) for _ in range(3)]
        latencies, elapsed = await fan_out(api, args.watchers, args.writes)
    p50 = statistics.median
    rows = [
        (f"list all ({args.objects} items), aiohttp", full),
        (f"list all ({args.objects} items), httpx", full_httpx),
        (f"list one namespace ({args.objects // NAMESPACES} items)", one_ns),
        ("list labelSelector tier=edge (1%)", selected),
        ("list all as Table", table),
        ("list all in pages of 500 (httpx, parsed)", paged),
        ("watch from now: all initial ADDED (aiohttp)", initial),
        ("baseline: json.dumps of the same list", naive),
    ]
    print(f"objects={args.objects} namespaces={NAMESPACES} runs={args.runs}")
    for label, samples in rows:
        print(f"{label:45s} p50 {p50(samples):8.1f} ms  p95 {percentile(samples, 0.95):8.1f} ms")
    print(f"ratio list-all (aiohttp) p50 / baseline p50: {p50(full) / p50(naive):.2f}")
    delivered = len(latencies)
    rate = delivered / elapsed
    print(
        f"watch fan-out: {args.watchers} watchers x {args.writes} writes = {delivered} events "
        f"in {elapsed:.2f} s ({rate:.0f} events/s)"
    )
    lat50, lat99 = p50(latencies), percentile(latencies, 0.99)
    print(f"write-to-watcher latency p50 {lat50:.1f} ms  p99 {lat99:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.objects))
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--objects", str(args.objects)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        asyncio.run(measure(url, args))
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
