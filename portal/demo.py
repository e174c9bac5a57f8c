"""`portal demo`: the whole product on a laptop, no cloud account needed.

Starts devcluster's demo scenario (canaries releasing, some failing, HPAs moving) as a child
process whose Flagger webhooks call this portal, then serves the portal against it in local
mode. A random per-cluster caller token (its hash in the portal's settings, the token itself
in the demo Canaries' webhook metadata) guards the Flagger endpoints. Stopping the portal
stops devcluster.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.config import Settings
from portal.demo_prometheus import (
    DEFAULT_BINARY,
    INSTALL_HINT,
    ScrapeTarget,
    find_binary,
    running_prometheus,
)
from portal.domain.flagger_tokens import hash_token

STARTUP_SECONDS = 30.0
DEMO_CLUSTER = "devcluster"
"""The kubeconfig context devcluster writes: the demo's one cluster and its token's scope."""
PR_SET_PDEATHSIG = 1


def devcluster_command(
    *, port: int, portal_port: int, kubeconfig: Path, time_scale: float
) -> list[str]:
    return [
        str(Path(sys.executable).with_name("devcluster")),
        "serve",
        "--port", str(port),
        "--scenario", "demo",
        "--kubeconfig-out", str(kubeconfig),
        "--gate-base-url", f"http://127.0.0.1:{portal_port}",
        "--time-scale", str(time_scale),
    ]  # fmt: skip


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_devcluster(process: subprocess.Popen[bytes], *, port: int, kubeconfig: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not (kubeconfig.is_file() and _answers(port)):
        if process.poll() is not None:
            raise RuntimeError(f"devcluster exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"devcluster did not answer on port {port} in {STARTUP_SECONDS:g}s")
        time.sleep(0.1)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when this process dies, even by a signal that skips our
    cleanup (uvicorn re-raises SIGTERM once it has shut down)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def running_devcluster(args: argparse.Namespace, *, token: str) -> Iterator[Path]:
    kubeconfig = Path(args.state_dir) / "devcluster.kubeconfig"
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.unlink(missing_ok=True)
    command = devcluster_command(
        port=args.devcluster_port,
        portal_port=args.port,
        kubeconfig=kubeconfig,
        time_scale=args.time_scale,
    )
    env = {**os.environ, "DEVCLUSTER_GATE_TOKEN": token}
    process = subprocess.Popen(  # noqa: S603 - our own console script
        command,
        env=env,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - runs before any thread starts
    )
    try:
        wait_for_devcluster(process, port=args.devcluster_port, kubeconfig=kubeconfig)
        yield kubeconfig
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def demo_prometheus(args: argparse.Namespace, *, clusters: dict[str, int]) -> Iterator[str | None]:
    """A real Prometheus scraping each cluster's Flagger metrics and the portal; None (after
    saying how to install it) when the binary is absent."""
    binary = find_binary(args.prometheus_binary)
    if binary is None:
        sys.stderr.write(INSTALL_HINT.format(binary=args.prometheus_binary) + "\n")
        yield None
        return
    targets = [
        ScrapeTarget("flagger", f"127.0.0.1:{port}", (("cluster", name),))
        for name, port in clusters.items()
    ]
    targets.append(ScrapeTarget("portal", f"127.0.0.1:{args.port}"))
    with running_prometheus(
        binary=binary,
        state_dir=Path(args.state_dir),
        port=args.prometheus_port,
        targets=targets,
        scrape_interval_seconds=args.scrape_interval,
        preexec_fn=_die_with_parent,
    ) as url:
        yield url


def demo_settings(
    settings: Settings,
    *,
    kubeconfig: Path,
    token: str,
    port: int = 8000,
    prometheus_url: str | None = None,
) -> Settings:
    return settings.model_copy(
        update={
            "prometheus_url": prometheus_url or settings.prometheus_url,
            "port": port,
            "kubeconfig": kubeconfig,
            "kube_contexts": [DEMO_CLUSTER],
            "auth_mode": "local",
            "host": "127.0.0.1",
            "flagger_tokens": {DEMO_CLUSTER: [hash_token(token)]},
            "flagger_webhook_token": None,
        }
    )


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="portal port (default 8000)")
    parser.add_argument("--devcluster-port", type=int, default=8001, help="devcluster port")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=10.0,
        help="how much faster than real time the demo runs (default 10)",
    )
    parser.add_argument("--state-dir", default="var", help="where the kubeconfig is written")
    parser.add_argument(
        "--prometheus-binary",
        default=DEFAULT_BINARY,
        help=f"Prometheus to start for measured metric values (default {DEFAULT_BINARY})",
    )
    parser.add_argument("--prometheus-port", type=int, default=9090, help="Prometheus port")
    parser.add_argument(
        "--scrape-interval", type=float, default=5.0, help="Prometheus scrape interval, seconds"
    )
