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
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from portal.config import Settings
from portal.demo_costs import running_moto
from portal.demo_load_harness import running_load_harness
from portal.demo_processes import stop
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
"""The context of devcluster's single-cluster `demo` (`--clusters devcluster=demo`)."""
FLEET_CLUSTERS = "prod-eu,prod-us,staging"
"""The multi-cluster demo `make run` starts: each cluster runs the scenario of its name."""
PR_SET_PDEATHSIG = 1
DEMO_DOWNTIME = ["Mon-Thu 20:00-08:00", "Fri 20:00-Mon 08:00"]
"""The nightly-destroy schedule (UTC) of the demo's ephemeral cluster (staging when there is
one), so the cost page shows the savings."""
DEMO_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""Credentials the demo's moto server accepts; the demo's portal never reaches AWS."""


def parse_clusters(text: str) -> dict[str, str]:
    """`NAME[=SCENARIO],...` as {name: scenario} (the scenario defaults to the name)."""
    clusters: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, scenario = item.partition("=")
        clusters[name] = scenario or name
    if not clusters:
        raise ValueError("--clusters names no cluster")
    return clusters


def cluster_ports(args: argparse.Namespace) -> dict[str, int]:
    """Each demo cluster's port: --devcluster-port, then the next ones, in order."""
    names = parse_clusters(args.clusters)
    return {name: args.devcluster_port + index for index, name in enumerate(names)}


def gate_token_variable(cluster: str) -> str:
    """The variable devcluster reads a cluster's gate token from."""
    return "DEVCLUSTER_GATE_TOKEN_" + cluster.upper().replace("-", "_")


def devcluster_command(
    *, port: int, portal_port: int, kubeconfig: Path, time_scale: float, clusters: dict[str, str]
) -> list[str]:
    command = [
        str(Path(sys.executable).with_name("devcluster")),
        "serve",
        "--port", str(port),
        "--kubeconfig-out", str(kubeconfig),
        "--gate-base-url", f"http://127.0.0.1:{portal_port}",
        "--time-scale", str(time_scale),
    ]  # fmt: skip
    for name, scenario in clusters.items():
        command += ["--cluster", f"{name}={scenario}"]
    return command


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_devcluster(
    process: subprocess.Popen[bytes], *, ports: list[int], kubeconfig: Path
) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not (kubeconfig.is_file() and all(_answers(port) for port in ports)):
        if process.poll() is not None:
            raise RuntimeError(f"devcluster exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"devcluster did not answer on {ports} in {STARTUP_SECONDS:g}s")
        time.sleep(0.1)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when this process dies, even by a signal that skips our
    cleanup (uvicorn re-raises SIGTERM once it has shut down)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def running_devcluster(args: argparse.Namespace, *, tokens: dict[str, str]) -> Iterator[Path]:
    """devcluster serving every demo cluster; `tokens` holds each cluster's gate token."""
    kubeconfig = Path(args.state_dir) / "devcluster.kubeconfig"
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.unlink(missing_ok=True)
    command = devcluster_command(
        port=args.devcluster_port,
        portal_port=args.port,
        kubeconfig=kubeconfig,
        time_scale=args.time_scale,
        clusters=parse_clusters(args.clusters),
    )
    env = {**os.environ} | {gate_token_variable(c): token for c, token in tokens.items()}
    process = subprocess.Popen(  # noqa: S603 - our own console script
        command,
        env=env,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - runs before any thread starts
    )
    try:
        ports = list(cluster_ports(args).values())
        wait_for_devcluster(process, ports=ports, kubeconfig=kubeconfig)
        yield kubeconfig
    finally:
        stop(process)


@contextmanager
def demo_cost_explorer(args: argparse.Namespace) -> Iterator[str | None]:
    """A local moto server with the demo account's Cost Explorer figures (None without moto)."""
    os.environ.update(DEMO_AWS_ENVIRONMENT)
    with running_moto(
        port=args.moto_port, today=datetime.now(UTC).date(), preexec_fn=_die_with_parent
    ) as url:
        yield url


@contextmanager
def demo_load_harness(args: argparse.Namespace) -> Iterator[str]:
    """The load harness on --load-harness-port, bounded (portal/demo_load_harness.py)."""
    with running_load_harness(
        state_dir=Path(args.state_dir), port=args.load_harness_port, preexec_fn=_die_with_parent
    ) as url:
        yield url


def scrape_targets(args: argparse.Namespace, *, clusters: dict[str, int]) -> list[ScrapeTarget]:
    """What the demo's Prometheus scrapes: each cluster's Flagger metrics (labelled with its
    cluster), the portal's and the load harness's /metrics."""
    targets = [
        ScrapeTarget("flagger", f"127.0.0.1:{port}", (("cluster", name),))
        for name, port in clusters.items()
    ]
    targets.append(ScrapeTarget("portal", f"127.0.0.1:{args.port}"))
    targets.append(ScrapeTarget("load-harness", f"127.0.0.1:{args.load_harness_port}"))
    return targets


@contextmanager
def demo_prometheus(args: argparse.Namespace, *, clusters: dict[str, int]) -> Iterator[str | None]:
    """A real Prometheus scraping each cluster's Flagger metrics, the portal and the load
    harness; None (after saying how to install it) when the binary is absent."""
    binary = find_binary(args.prometheus_binary)
    if binary is None:
        sys.stderr.write(INSTALL_HINT.format(binary=args.prometheus_binary) + "\n")
        yield None
        return
    with running_prometheus(
        binary=binary,
        state_dir=Path(args.state_dir),
        port=args.prometheus_port,
        targets=scrape_targets(args, clusters=clusters),
        scrape_interval_seconds=args.scrape_interval,
        preexec_fn=_die_with_parent,
    ) as url:
        yield url


def _ephemeral(clusters: dict[str, str]) -> str:
    return "staging" if "staging" in clusters else next(iter(clusters))


def demo_settings(
    settings: Settings,
    *,
    kubeconfig: Path,
    tokens: dict[str, str],
    port: int = 8000,
    prometheus_url: str | None = None,
    cost_explorer_url: str | None = None,
    github_secret: str | None = None,
) -> Settings:
    """Local mode watching every demo cluster; each cluster's gate token as its hash."""
    costs = (
        {
            "aws_region": "us-east-1",
            "aws_endpoint_url": cost_explorer_url,
            "cost_demo": True,
            "cost_downtime": settings.cost_downtime or {_ephemeral(tokens): DEMO_DOWNTIME},
        }
        if cost_explorer_url
        else {}
    )
    return settings.model_copy(
        update={
            **costs,
            "prometheus_url": prometheus_url or settings.prometheus_url,
            "port": port,
            "kubeconfig": kubeconfig,
            "kube_contexts": list(tokens),
            "auth_mode": "local",
            "host": "127.0.0.1",
            "flagger_tokens": {cluster: [hash_token(t)] for cluster, t in tokens.items()},
            "flagger_webhook_token": None,
            "github_webhook_secret": SecretStr(github_secret) if github_secret else None,
        }
    )


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="portal port (default 8000)")
    parser.add_argument(
        "--devcluster-port", type=int, default=8001, help="first devcluster port (one per cluster)"
    )
    parser.add_argument(
        "--clusters",
        default=FLEET_CLUSTERS,
        help=f"NAME[=SCENARIO],... (default {FLEET_CLUSTERS}; "
        f"'{DEMO_CLUSTER}=demo' is the one-cluster demo)",
    )
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
        "--moto-port", type=int, default=8010, help="port of the demo's Cost Explorer (moto)"
    )
    parser.add_argument(
        "--receiver-port",
        type=int,
        default=8020,
        help="port of the demo's notification receiver (its page lists what arrived)",
    )
    parser.add_argument(
        "--load-harness-port",
        type=int,
        default=8030,
        help="port of the demo's load harness (Prometheus scrapes its /metrics)",
    )
    parser.add_argument(
        "--scrape-interval", type=float, default=5.0, help="Prometheus scrape interval, seconds"
    )
