"""The `devcluster` command: `devcluster serve --port P --scenario demo|empty ...`.

Serves the emulated Kubernetes API on 127.0.0.1 until interrupted, writes a kubeconfig for it,
and runs the Flagger/HPA simulation for the chosen scenario when that package is installed.
`--cluster NAME[=SCENARIO]` (repeated) serves several named clusters from one process, one port
each from `--port` up, with one kubeconfig holding a context per cluster; each cluster's demo
webhooks carry `$DEVCLUSTER_GATE_TOKEN_<NAME>` (upper case, `-` as `_`) when set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from devcluster.harness import DEFAULT_MESH_PROVIDER, DevCluster, serve_devcluster
from devcluster.kubeconfig import fleet_kubeconfig_document, write_document
from devcluster.scenarios import SCENARIOS

GATE_TOKEN_ENV = "DEVCLUSTER_GATE_TOKEN"  # noqa: S105 - the variable name, not a secret


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devcluster", description="Local Kubernetes API emulator")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API until interrupted")
    serve.add_argument(
        "--port", type=int, default=6443, help="port to listen on (0: any free port)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--scenario", choices=SCENARIOS, default="empty")
    serve.add_argument(
        "--cluster",
        action="append",
        default=[],
        metavar="NAME[=SCENARIO]",
        help="serve a named cluster (repeat for several; ports from --port up); "
        "its scenario defaults to --scenario",
    )
    serve.add_argument(
        "--kubeconfig-out", type=Path, help="write a kubeconfig for this cluster here"
    )
    serve.add_argument("--time-scale", type=float, default=1.0, help="simulation speed-up factor")
    serve.add_argument("--token", help="turn auth on with this all-powerful admin token")
    serve.add_argument("--gate-base-url", help="base URL of the portal's Flagger gates")
    serve.add_argument(
        "--mesh-provider",
        default=DEFAULT_MESH_PROVIDER,
        help="Flagger's -mesh-provider flag: the provider of canaries without spec.provider "
        f"(default {DEFAULT_MESH_PROVIDER}; kubernetes never routes traffic)",
    )
    serve.add_argument("--crds-dir", type=Path, help="CRD directory (default: ../shared/crds)")
    serve.add_argument(
        "--event-ttl", type=float, default=3600.0, help="seconds before events expire"
    )
    serve.add_argument(
        "--history-size", type=int, default=1000, help="watch history kept per resource"
    )
    return parser


def parse_clusters(values: list[str], *, default_scenario: str) -> dict[str, str]:
    """`NAME[=SCENARIO]` values as {name: scenario}; ValueError on a bad or repeated one."""
    clusters: dict[str, str] = {}
    for value in values:
        name, _, scenario = value.partition("=")
        scenario = scenario or default_scenario
        if not name or name in clusters:
            raise ValueError(f"--cluster {value!r}: empty or repeated name")
        if scenario not in SCENARIOS:
            raise ValueError(f"--cluster {value!r}: unknown scenario {scenario!r}")
        clusters[name] = scenario
    return clusters


def gate_token_for(name: str) -> str | None:
    """`$DEVCLUSTER_GATE_TOKEN_<NAME>`, else `$DEVCLUSTER_GATE_TOKEN`."""
    specific = f"{GATE_TOKEN_ENV}_{name.upper().replace('-', '_')}"
    return os.environ.get(specific) or os.environ.get(GATE_TOKEN_ENV)


async def serve_fleet(args: argparse.Namespace, clusters: dict[str, str]) -> None:
    stop = _stop_on_signals()
    async with contextlib.AsyncExitStack() as stack:
        running: dict[str, DevCluster] = {}
        for index, (name, scenario) in enumerate(clusters.items()):
            running[name] = await stack.enter_async_context(
                serve_devcluster(
                    scenario=scenario,
                    time_scale=args.time_scale,
                    admin_token=args.token,
                    gate_base_url=args.gate_base_url,
                    mesh_provider=args.mesh_provider,
                    crds_dir=args.crds_dir,
                    host=args.host,
                    port=args.port + index if args.port else 0,
                    event_ttl_seconds=args.event_ttl,
                    history_size=args.history_size,
                    context=name,
                    gate_token=gate_token_for(name),
                )
            )
        if args.kubeconfig_out:
            servers = {name: cluster.url for name, cluster in running.items()}
            write_document(
                args.kubeconfig_out, fleet_kubeconfig_document(servers=servers, token=args.token)
            )
        for name, cluster in running.items():
            sys.stdout.write(f"devcluster {name} serving {cluster.url}\n")
        sys.stdout.write(f"kubeconfig {args.kubeconfig_out}\n")
        sys.stdout.flush()
        await stop.wait()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(args: argparse.Namespace) -> None:
    stop = _stop_on_signals()
    async with serve_devcluster(
        scenario=args.scenario,
        time_scale=args.time_scale,
        admin_token=args.token,
        gate_base_url=args.gate_base_url,
        mesh_provider=args.mesh_provider,
        kubeconfig_out=args.kubeconfig_out,
        crds_dir=args.crds_dir,
        host=args.host,
        port=args.port,
        event_ttl_seconds=args.event_ttl,
        history_size=args.history_size,
    ) as cluster:
        sys.stdout.write(f"devcluster serving {cluster.url} (kubeconfig {cluster.kubeconfig})\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per simulator request
    if args.time_scale <= 0:
        sys.stderr.write("devcluster: --time-scale must be positive\n")
        return 2
    if args.event_ttl <= 0 or args.history_size <= 0:
        sys.stderr.write("devcluster: --event-ttl and --history-size must be positive\n")
        return 2
    try:
        clusters = parse_clusters(args.cluster, default_scenario=args.scenario)
    except ValueError as exc:
        sys.stderr.write(f"devcluster: {exc}\n")
        return 2
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_fleet(args, clusters) if clusters else serve(args))
    except (RuntimeError, OSError) as exc:
        sys.stderr.write(f"devcluster: {exc}\n")
        return 1
    return 0
