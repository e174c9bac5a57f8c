"""The compose stack brought up for real with podman-compose, for tests/compose.

`compose_stack()` checks that podman can run here, builds the Debian base image
(scripts/compose_base_image.sh, cached under var/compose), writes var/compose/compose.env, builds
every image FROM that base (tagged with the project name, IMAGE_TAG), starts docker-compose.yml
under a project name of its own with the published ports moved to free ones, waits from the host
until every container's health check passes (`podman healthcheck run`: podman cannot schedule
health checks itself without systemd), and always tears the project down (containers, network,
volumes, the run's image tags), even when a step failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "compose"
ENV_FILE = CACHE / "compose.env"
CONTAINERS_CONF = ROOT / "docker" / "compose" / "containers.conf"
BASE_IMAGE = "localhost/infra-fleet/base:bookworm"
SERVICES = ("postgres", "devcluster", "moto", "portal", "load-harness", "prometheus")
CLUSTERS = ("prod-eu", "prod-us", "staging")
"""devcluster's clusters in docker-compose.yml, on container ports 8001, 8002 and 8003."""
PUBLISHED = {
    "portal": "PORTAL_PUBLISH_PORT",
    "devcluster": "DEVCLUSTER_PUBLISH_PORT",
    "devcluster-prod-us": "DEVCLUSTER_PROD_US_PUBLISH_PORT",
    "devcluster-staging": "DEVCLUSTER_STAGING_PUBLISH_PORT",
    "load-harness": "LOAD_HARNESS_PUBLISH_PORT",
    "prometheus": "PROMETHEUS_PUBLISH_PORT",
}
HEALTH_SECONDS = 240.0
POLL_SECONDS = 1.0


class PodmanUnavailable(RuntimeError):
    """podman (or runc, debootstrap) cannot run on this machine; the message says why."""


@dataclass(frozen=True)
class Stack:
    project: str
    ports: dict[str, int]
    env: dict[str, str]

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def secret(self, name: str) -> str:
        return self.env[name]


def _run(
    argv: list[str], *, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _checked(argv: list[str], *, env: dict[str, str], timeout: float) -> str:
    result = _run(argv, env=env, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise AssertionError(f"{' '.join(argv[:4])} ... exited {result.returncode}:\n{tail}")
    return result.stdout


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF), "BUILDAH_FORMAT": "docker"}


def check_podman_runs() -> None:
    """Raise PodmanUnavailable with the reason when podman cannot run containers here."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        raise PodmanUnavailable(f"not installed: {', '.join(missing)} (make podman installs them)")
    result = _run(
        ["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"], env=podman_env(), timeout=60
    )
    if result.returncode != 0 or result.stdout.strip() != "runc":
        reason = (result.stderr.strip().splitlines() or ["no OCI runtime"])[-1]
        raise PodmanUnavailable(f"podman info failed: {reason}")


def crds_dir() -> Path:
    found = os.environ.get("DEVCLUSTER_CRDS_DIR") or str(ROOT.parent / "shared" / "crds")
    path = Path(found).resolve()
    if not path.is_dir():
        raise AssertionError(
            f"no CRD directory at {path}: run `make crds` and set DEVCLUSTER_CRDS_DIR"
        )
    return path


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, _, value in pairs}


def revision() -> str:
    result = _run(["git", "rev-parse", "HEAD"], env=dict(os.environ), timeout=30)
    return result.stdout.strip() or "unknown"


@contextmanager
def _phase(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        timings[name] = time.monotonic() - started


def _record(timings: dict[str, float]) -> None:
    """One line per run in var/compose/timings.log (what `make compose-test` prints at the end)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    phases = " ".join(f"{name}={seconds:.0f}s" for name, seconds in timings.items())
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with (CACHE / "timings.log").open("a") as log:
        log.write(f"{stamp} total={sum(timings.values()):.0f}s {phases}\n")


@contextmanager
def compose_stack() -> Iterator[Stack]:
    env = podman_env()
    timings: dict[str, float] = {}
    with _phase(timings, "base"):
        _checked(["scripts/compose_base_image.sh", BASE_IMAGE, str(CACHE)], env=env, timeout=900)
    _checked([sys.executable, "scripts/compose_env.py", str(ENV_FILE)], env=env, timeout=60)
    ports = {service: free_port() for service in PUBLISHED}
    project = f"infra-fleet-test-{os.getpid()}"
    # Images tagged for this run only, so a stack of another checkout (`:local`, or another
    # run's tag) never starts this run's images; the layers stay in podman's build cache.
    tag = project
    env.update(
        {variable: str(ports[service]) for service, variable in PUBLISHED.items()},
        IMAGE_TAG=tag,
        BASE_IMAGE=BASE_IMAGE,
        CRDS_DIR=str(crds_dir()),
        REVISION=revision(),
    )
    compose = [
        str(Path(sys.executable).with_name("podman-compose")),
        "--project-name", project,
        "--env-file", str(ENV_FILE),
        "--file", str(ROOT / "docker-compose.yml"),
    ]  # fmt: skip
    try:
        with _phase(timings, "build"):
            _checked([*compose, "build"], env=env, timeout=1200)
        with _phase(timings, "up"):
            _checked([*compose, "up", "--detach"], env=env, timeout=300)
        with _phase(timings, "healthy"):
            wait_for_health(project, env=env)
        with _phase(timings, "checks"):
            yield Stack(project=project, ports=ports, env=read_env_file(ENV_FILE))
    finally:
        with _phase(timings, "down"):
            down = _run([*compose, "down", "--volumes"], env=env, timeout=300)
            left = containers(project, env=env)
            images = [f"localhost/infra-fleet/{service}:{tag}" for service in SERVICES]
            _run(["podman", "rmi", "--ignore", *images], env=env, timeout=300)
        _record(timings)
        if down.returncode != 0 or left:
            raise AssertionError(f"teardown left {left}: {down.stdout}{down.stderr}")


def containers(project: str, *, env: dict[str, str]) -> dict[str, str]:
    """Service name to container name, for the project's containers (running or not)."""
    listing = _checked(
        [
            "podman",
            "ps",
            "--all",
            "--format",
            "json",
            "--filter",
            f"label=io.podman.compose.project={project}",
        ],
        env=env,
        timeout=60,
    )
    return {
        item["Labels"]["com.docker.compose.service"]: item["Names"][0]
        for item in json.loads(listing or "[]")
    }


def wait_for_health(project: str, *, env: dict[str, str]) -> None:
    """Poll each container's own health check from the host until all pass, or fail with logs."""
    deadline = time.monotonic() + HEALTH_SECONDS
    pending = set(SERVICES)
    while pending:
        names = containers(project, env=env)
        for service in sorted(pending):
            if service in names:
                result = _run(["podman", "healthcheck", "run", names[service]], env=env, timeout=30)
                if result.returncode == 0:
                    pending.discard(service)
        if pending and time.monotonic() > deadline:
            logs = {
                service: _run(
                    ["podman", "logs", "--tail", "30", names[service]], env=env, timeout=30
                )
                for service in pending
                if service in names
            }
            detail = "\n".join(f"--- {s}\n{r.stdout}{r.stderr}" for s, r in logs.items())
            raise AssertionError(
                f"not healthy after {HEALTH_SECONDS:g}s: {sorted(pending)}\n{detail}"
            )
        if pending:
            time.sleep(POLL_SECONDS)
