"""Flagger gate calls against a real portal: served rate, p50 and p99 at 50/s and 200/s offered.

Run: .venv/bin/python bench/gate_calls.py [--seconds 20] [--rates 50,200] [--profile DIR]

A real PostgreSQL (a fresh migrated database), devcluster's demo (`devcluster serve --scenario
demo` as a subprocess, its releases running), and `portal serve` as a uvicorn subprocess,
watching it. The client is open-loop on the same machine: call i is due at start + i/rate
whatever the earlier ones are doing, its latency counts from that due time (so a slow portal
cannot hide behind a waiting client), and it gives up after Flagger's 10 s webhook timeout.
Calls go round the demo's canaries and the four decision gates with each canary's observed
checksum, as Flagger sends them (so each call is also a "last call" to keep).

Two portals are measured in the same run: the baseline (PORTAL_GATE_BOOK=false, the database
read on every call and the last call written before answering) and the gate book (the
default). `--profile DIR` records py-spy (raw collapsed stacks) of the portal during the last
rate of each mode. Prints a Markdown table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import psutil
from kubernetes_asyncio.config import new_client_from_config

from portal.domain.flagger_checksum import observed_checksum
from portal.domain.flagger_tokens import hash_token
from portal.kube.kinds import CANARIES
from portal.kube.watching import WatchTarget, WatchTiming, list_objects
from tests.support import databases
from tests.support.postgres import postgres_server
from tests.support.servers import free_port

GATES = ("confirm-rollout", "confirm-traffic-increase", "confirm-promotion", "rollback")
TOKEN = "flagger-bench-0123456789abcdefghijklmnopqrstuvwxyz0123"
FLAGGER_TIMEOUT = 10.0
IDLE_SECONDS = 5.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Level:
    mode: str
    offered: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    cpu_ms_per_call: float = 0.0

    def row(self) -> str:
        served = len(self.latencies) / self.elapsed if self.elapsed else 0.0
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) if ordered else float("nan")
        p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else float("nan")
        return (
            f"| {self.mode} | {self.offered}/s | {served:.0f}/s | {p50:.1f} | {p99:.1f} | "
            f"{max(ordered, default=float('nan')):.1f} | {self.errors} | "
            f"{self.cpu_ms_per_call:.2f} |"
        )


@contextlib.contextmanager
def process(
    argv: list[str], *, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        child = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=out)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def wait_for(url: str, *, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{url} not ready within {within} s")


async def gate_payloads(kubeconfig: Path) -> list[tuple[str, dict[str, Any]]]:
    """(gate, body) for every demo canary and gate, with the canary's observed checksum."""
    client = await new_client_from_config(config_file=str(kubeconfig), persist_config=False)
    try:
        target = WatchTarget("devcluster", CANARIES, None)
        listed = await list_objects(client, target, WatchTiming())
    finally:
        await client.close()
    canaries, _ = listed
    calls = []
    for canary in canaries:
        meta = canary["metadata"]
        body = {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "phase": str((canary.get("status") or {}).get("phase") or "Progressing"),
            "checksum": observed_checksum(canary) or "",
            "metadata": {"token": TOKEN},
        }
        calls.extend((gate, body) for gate in GATES)
    return calls


async def offer(
    url: str, level: Level, calls: list[tuple[str, dict[str, Any]]], seconds: float
) -> None:
    """Open loop: call i is due at start + i/rate; its latency counts from then."""
    timeout = aiohttp.ClientTimeout(total=FLAGGER_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(due: float, gate: str, body: dict[str, Any]) -> None:
            try:
                async with session.post(f"{url}/flagger/gates/{gate}", json=body) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError, OSError):
                level.errors += 1
                return
            level.statuses[status] = level.statuses.get(status, 0) + 1
            if status not in (200, 403):
                level.errors += 1
                return
            level.latencies.append((time.perf_counter() - due) * 1000)

        total = int(seconds * level.offered)
        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(total):
            due = start + i / level.offered
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            gate, body = calls[i % len(calls)]
            tasks.append(asyncio.create_task(one(due, gate, body)))
        await asyncio.gather(*tasks)
        level.elapsed = time.perf_counter() - start


@contextlib.asynccontextmanager
async def portal(
    *, mode: str, database_url: str, kubeconfig: Path, logs: Path
) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    env = {
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_KUBECONFIG": str(kubeconfig),
        "PORTAL_WATCH_KINDS": "canaries,canary-events,deployments,hpas",
        "PORTAL_FLAGGER_TOKENS": '{"devcluster": ["' + hash_token(TOKEN) + '"]}',
        "PORTAL_GATE_BOOK": "true" if mode == "gate book" else "false",
        "PORTAL_LOG_FORMAT": "json",
    }
    argv = [sys.executable, "-m", "portal.cli", "serve", "--port", str(port)]
    with process(argv, env=env, log=logs / f"portal-{mode.replace(' ', '-')}.log") as child:
        print(f"{mode}: portal pid {child.pid} on {port}", flush=True)
        await wait_for(f"http://127.0.0.1:{port}/readyz")
        yield f"http://127.0.0.1:{port}", child.pid


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    argv = [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-d"]
    argv += [str(int(seconds)), "-f", "raw", "-o", str(out), "-r", "200"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def measure(
    mode: str, args: argparse.Namespace, database_url: str, kubeconfig: Path, logs: Path
) -> list[Level]:
    levels = []
    serving = portal(mode=mode, database_url=database_url, kubeconfig=kubeconfig, logs=logs)
    async with serving as (url, pid):
        calls = await gate_payloads(kubeconfig)
        await offer(url, Level(mode, 20), calls, 2.0)  # warm-up: connections, caches
        before = psutil.Process(pid).cpu_times()
        await asyncio.sleep(IDLE_SECONDS)  # the portal's own work without calls (watches, ...)
        after = psutil.Process(pid).cpu_times()
        idle = ((after.user + after.system) - (before.user + before.system)) / IDLE_SECONDS
        rates = [int(r) for r in args.rates.split(",")]
        for rate in rates:
            level = Level(mode, rate)
            spy = None
            if args.profile and rate == rates[-1]:
                out = Path(args.profile) / f"{mode.replace(' ', '-')}-{rate}.txt"
                spy = profile(pid, args.seconds, out)
            cpu = psutil.Process(pid).cpu_times()
            await offer(url, level, calls, args.seconds)
            after = psutil.Process(pid).cpu_times()
            used = (after.user + after.system) - (cpu.user + cpu.system) - idle * level.elapsed
            level.cpu_ms_per_call = used * 1000 / max(1, len(level.latencies) + level.errors)
            if spy is not None:
                spy.wait()
            levels.append(level)
            print(level.row(), level.statuses, flush=True)
    return levels


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        logs = Path(args.logs or tmp)
        logs.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        kubeconfig = logs / "kubeconfig"
        dc_port = free_port()
        dc = [str(Path(sys.executable).parent / "devcluster"), "serve", "--port", str(dc_port)]
        dc += ["--scenario", "demo", "--kubeconfig-out", str(kubeconfig)]
        with process(dc, env={}, log=logs / "devcluster.log"):
            while not kubeconfig.exists():  # noqa: ASYNC110 (another process writes it)
                await asyncio.sleep(0.2)
            levels = []
            for mode in args.modes.split(","):
                name = await asyncio.to_thread(databases.create_postgres_template, server)
                try:
                    levels += await measure(mode, args, server.url_for(name), kubeconfig, logs)
                finally:
                    await asyncio.to_thread(databases.drop_postgres_database, server, name)
    print(f"\n{args.seconds:.0f} s per rate; load average {os.getloadavg()[0]:.1f}")
    print(
        "| portal | offered | served | p50 (ms) | p99 (ms) | max (ms) | errors "
        "| CPU ms/call (net of idle) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for level in levels:
        print(level.row())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rates", default="50,200")
    parser.add_argument("--modes", default="baseline,gate book")
    parser.add_argument("--profile", default="")
    parser.add_argument("--logs", default="", help="keep the processes' logs here")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
