"""The demo's load harness: `load-harness serve` on a loopback port, bounded, for Prometheus.

`portal demo` runs the load harness (load_harness/, docs/load-harness.md) beside devcluster so
the demo's Prometheus scrapes its /metrics as it would in a cluster. It is bounded the way the
harness bounds itself in a pod: it reads its limits from a cgroup directory the demo writes
under the state directory (half a core, 256 MiB), runs at most one job at a time at nice 19,
and its load API asks for a random key written to `load-harness/api-key` (mode 0600); its
probes and /metrics need none.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.demo_processes import logged_process

READY_SECONDS = 30.0
CPU_MAX = "50000 100000"
"""cgroup v2 `cpu.max`: 50 ms of CPU per 100 ms, half a core."""
MEMORY_MAX_BYTES = 256 * 1024 * 1024
BOUNDS = {
    "LOAD_HARNESS_MAX_JOBS": "1",
    "LOAD_HARNESS_MEMORY_SHARE": "0.5",
    "LOAD_HARNESS_WORKER_NICE": "19",
}


def harness_command(*, port: int) -> list[str]:
    """`load-harness serve` next to this interpreter, on 127.0.0.1:`port`."""
    return [
        str(Path(sys.executable).with_name("load-harness")),
        "serve", "--host", "127.0.0.1", "--port", str(port), "--log-format", "console",
    ]  # fmt: skip


def harness_environment(home: Path, *, api_key: str) -> dict[str, str]:
    """This environment without other harness settings, plus the demo's bounds and key."""
    cgroup = home / "cgroup"
    cgroup.mkdir(parents=True, exist_ok=True)
    (cgroup / "cpu.max").write_text(f"{CPU_MAX}\n")
    (cgroup / "memory.max").write_text(f"{MEMORY_MAX_BYTES}\n")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOAD_HARNESS_")}
    return (
        inherited
        | BOUNDS
        | {
            "LOAD_HARNESS_CGROUP_ROOT": str(cgroup),
            "LOAD_HARNESS_API_KEY": api_key,
            "APP_VERSION": "demo",
        }
    )


def _write_key(path: Path) -> str:
    key = secrets.token_urlsafe(24)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


@contextmanager
def running_load_harness(
    *, state_dir: Path, port: int, preexec_fn: Callable[[], None] | None = None
) -> Iterator[str]:
    """Run the load harness on 127.0.0.1:`port` until the block ends; yields its base URL."""
    home = state_dir / "load-harness"
    home.mkdir(parents=True, exist_ok=True)
    env = harness_environment(home, api_key=_write_key(home / "api-key"))
    url = f"http://127.0.0.1:{port}"
    with logged_process(
        harness_command(port=port),
        name=f"load-harness on {url}",
        ready_url=f"{url}/readyz",
        within=READY_SECONDS,
        log=home / "load-harness.log",
        env=env,
        preexec_fn=preexec_fn,
    ):
        yield url
