"""A devcluster inside a test: `async with serve_devcluster() as cluster:`.

Interface (other packages' tests rely on it):

    serve_devcluster(*, scenario="empty", time_scale=1.0, admin_token=None, policies=None,
                     gate_base_url=None, simulate=True, kubeconfig_out=None, crds_dir=None)
        -> AsyncIterator[DevCluster]

Starts uvicorn in-process on 127.0.0.1 with a free port, waits until it answers, optionally
runs the Flagger/HPA simulation (`devcluster.simulation.run_simulation`) against the HTTP API,
and on exit cancels and awaits everything it started.

`DevCluster` exposes:
    .url          http://127.0.0.1:<port>
    .token        the admin token (None when auth is off)
    .kubeconfig   Path of a kubeconfig for this cluster (context "devcluster"; a temp file
                  unless kubeconfig_out was given)
    .store        the ObjectStore (the only source of truth);
                  `await .store.wait_for_watchers(count=1, resource="canaries.flagger.app")`
                  waits until a client's watch is open (no sleeping in tests)
    .objects      DirectAccess: sync put(obj)/get(api_version, kind, name=, namespace=)/delete
                  through the store's single write path, for test setup
    .faults       Faults: close_watches(), expire_next_watches(n, path_prefix=),
                  fail_next_requests(count=, status=500|429|503, path_prefix=, retry_after=),
                  slow_next_requests(count=, delay_seconds=, path_prefix=), clear()
    .requests     RequestLog: iterate RequestRecord(method, path, query, status, user, user_agent),
                  matching(...)/count(method=, path=, path_prefix=, watch=, status=), clear()
    .stop()/.start()  go down (watches end, connections refused) and come back on the same port
    .authorizer   add(token, Policy) to grant more tokens while running

Auth is on when admin_token or policies are given: admin_token is an all-powerful token,
`policies` maps more tokens to `devcluster.auth.Policy` objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from devcluster.auth import Authorizer, Policy
from devcluster.crds import default_crds_dir
from devcluster.direct_access import DirectAccess
from devcluster.faults import Faults
from devcluster.flagger_metrics import FlaggerMetrics
from devcluster.kubeconfig import CONTEXT, write_kubeconfig
from devcluster.request_log import RequestLog
from devcluster.server import ApiServer
from devcluster.state import ClusterState, build_state
from devcluster.store import ObjectStore

log = logging.getLogger(__name__)
Simulation = Callable[..., Awaitable[None]]
DEFAULT_MESH_PROVIDER = "istio"
"""Flagger's `-mesh-provider` flag default (cmd/flagger/main.go at v1.44.0)."""


@dataclass
class DevCluster:
    """A running devcluster, as seen by a test."""

    state: ClusterState
    server: ApiServer
    kubeconfig: Path
    token: str | None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def store(self) -> ObjectStore:
        return self.state.store

    @property
    def objects(self) -> DirectAccess:
        return self.state.direct

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def requests(self) -> RequestLog:
        return self.state.requests

    @property
    def authorizer(self) -> Authorizer:
        return self.state.authorizer

    async def stop(self) -> None:
        await self.server.stop()

    async def start(self) -> None:
        await self.server.start()


def load_simulation() -> Simulation | None:
    """`devcluster.simulation.run_simulation`, when that package is present."""
    try:
        module = importlib.import_module("devcluster.simulation")
    except ModuleNotFoundError as exc:
        if exc.name not in ("devcluster.simulation",):
            raise
        return None
    found: Simulation | None = getattr(module, "run_simulation", None)
    return found


async def _run_simulation(
    simulation: Simulation,
    *,
    url: str,
    token: str | None,
    scenario: str,
    time_scale: float,
    gate_base_url: str | None,
    mesh_provider: str,
    metrics: FlaggerMetrics,
    gate_token: str | None,
) -> None:
    await simulation(
        api_url=url,
        token=token,
        scenario=scenario,
        time_scale=time_scale,
        gate_base_url=gate_base_url,
        mesh_provider=mesh_provider,
        metrics=metrics,
        gate_token=gate_token,
    )


@contextlib.asynccontextmanager
async def serve_devcluster(
    *,
    scenario: str = "empty",
    time_scale: float = 1.0,
    admin_token: str | None = None,
    policies: dict[str, Policy] | None = None,
    gate_base_url: str | None = None,
    mesh_provider: str = DEFAULT_MESH_PROVIDER,
    simulate: bool = True,
    kubeconfig_out: Path | None = None,
    crds_dir: Path | None = None,
    history_size: int = 1000,
    bookmark_interval: float = 60.0,
    event_ttl_seconds: float = 3600.0,
    host: str = "127.0.0.1",
    port: int = 0,
    context: str = CONTEXT,
    gate_token: str | None = None,
) -> AsyncIterator[DevCluster]:
    """Run a devcluster on 127.0.0.1 (free port) for the duration of the block."""
    all_policies = dict(policies or {})
    if admin_token:
        all_policies[admin_token] = Policy.admin()
    state = build_state(
        crds_dir=crds_dir or default_crds_dir(),
        policies=all_policies,
        history_size=history_size,
        bookmark_interval=bookmark_interval,
        event_ttl_seconds=event_ttl_seconds,
    )
    server = ApiServer(state, host=host, port=port)
    simulation_task: asyncio.Task[None] | None = None
    with tempfile.TemporaryDirectory(prefix="devcluster-") as tmp:
        await server.start()
        try:
            path = write_kubeconfig(
                kubeconfig_out or Path(tmp) / "kubeconfig",
                server_url=server.url,
                token=admin_token,
                context=context,
            )
            cluster = DevCluster(state=state, server=server, kubeconfig=path, token=admin_token)
            simulation_task = _start_simulation(
                cluster,
                scenario=scenario,
                time_scale=time_scale,
                gate_base_url=gate_base_url,
                mesh_provider=mesh_provider,
                simulate=simulate,
                gate_token=gate_token,
            )
            yield cluster
        finally:
            if simulation_task is not None:
                simulation_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await simulation_task
            await server.close()


def _start_simulation(
    cluster: DevCluster,
    *,
    scenario: str,
    time_scale: float,
    gate_base_url: str | None,
    mesh_provider: str,
    simulate: bool,
    gate_token: str | None,
) -> asyncio.Task[None] | None:
    if not simulate:
        return None
    simulation = load_simulation()
    if simulation is None:
        if scenario != "empty":
            raise RuntimeError(
                f"scenario {scenario!r} needs devcluster.simulation, which is not installed"
            )
        return None
    log.info("starting simulation: scenario=%s time_scale=%s", scenario, time_scale)
    task = asyncio.create_task(
        _run_simulation(
            simulation,
            url=cluster.url,
            token=cluster.token,
            scenario=scenario,
            time_scale=time_scale,
            gate_base_url=gate_base_url,
            mesh_provider=mesh_provider,
            metrics=cluster.state.flagger_metrics,
            gate_token=gate_token,
        ),
        name="devcluster-simulation",
    )
    task.add_done_callback(_report_simulation_end)
    return task


def _report_simulation_end(task: asyncio.Task[None]) -> None:
    """Say at once when the simulation dies (the exception is raised again on exit)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("devcluster simulation stopped: %r", task.exception())
