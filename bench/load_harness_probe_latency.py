"""Benchmark: /healthz latency of `load-harness serve` idle vs under full CPU load.

Starts the real server (a subprocess, like the pod), probes /healthz the way the kubelet does
(a fresh TCP connection per probe), first idle, then while a CPU job burns every core the
machine has (`--cores`, default os.cpu_count()) at intensity 10, once with the workers at the
default nice 10 and once at nice 0 (the baseline the nice setting is measured against).
Prints medians, p99 and ratios against idle.

    .venv/bin/python bench/load_harness_probe_latency.py [--probes 1000] [--seconds 3] [--cores N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

COMMAND = str(Path(sys.executable).with_name("load-harness"))
KEY = "bench-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(port: int, method: str, path: str, body: dict[str, int] | None = None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
        connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        return connection.getresponse().read()
    finally:
        connection.close()


def probe(port: int, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        request(port, "GET", "/healthz")
        latencies.append(time.perf_counter() - started)
    return latencies


def start_server(port: int, nice: int, log: Path) -> subprocess.Popen[bytes]:
    environment = os.environ | {"LOAD_HARNESS_API_KEY": KEY, "LOAD_HARNESS_WORKER_NICE": str(nice)}
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port)], env=environment, stdout=sink, stderr=sink
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            request(port, "GET", "/readyz")
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("server did not start")


def under_load(port: int, *, cores: int, seconds: int, probes: int) -> list[float]:
    job = json.loads(
        request(port, "POST", "/api/v1/load/cpu", {"cores": cores, "duration_seconds": seconds})
    )
    workers = [psutil.Process(pid) for pid in job["pids"]]
    deadline = time.monotonic() + 10
    while min(w.cpu_times().user for w in workers) < 0.2 and time.monotonic() < deadline:
        time.sleep(0.01)
    latencies = probe(port, probes)
    request(port, "DELETE", f"/api/v1/jobs/{job['id']}")
    return latencies


def summary(name: str, latencies: list[float], baseline: list[float] | None) -> str:
    ordered = sorted(latencies)
    median = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
    line = f"{name:<28} n={len(ordered):<4} median {median:7.2f} ms   p99 {p99:7.2f} ms"
    if baseline is not None:
        base = sorted(baseline)
        base_median = statistics.median(base) * 1000
        base_p99 = base[min(len(base) - 1, int(0.99 * len(base)))] * 1000
        line += f"   x{median / base_median:5.2f} median, x{p99 / base_p99:5.2f} p99 vs idle"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for nice in (10, 0):
            port = free_port()
            server = start_server(port, nice, Path(scratch) / "server.log")
            try:
                cores = args.cores
                if nice == 10:
                    probe(port, 20)
                    results["idle"] = probe(port, args.probes)
                results[f"{cores} cores busy, nice {nice}"] = under_load(
                    port, cores=cores, seconds=args.seconds, probes=args.probes
                )
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(15)
    print(f"cpu count {os.cpu_count()}, python {sys.version.split()[0]}")
    for name, latencies in results.items():
        print(summary(name, latencies, None if name == "idle" else results["idle"]))


if __name__ == "__main__":
    main()
