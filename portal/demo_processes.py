"""The demo's helper processes (devcluster, Prometheus, moto, the load harness): waited for
until they answer, and stopped with them when the demo ends."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SECONDS = 10.0


@contextmanager
def supervised(
    process: subprocess.Popen[bytes],
    *,
    name: str,
    ready: Callable[[], bool],
    within: float,
    log: str | None = None,
) -> Iterator[None]:
    """Wait until `ready()` (failing when `process` exits first or `within` seconds pass),
    run the block, then stop `process`, whatever happened."""
    try:
        deadline = time.monotonic() + within
        while not ready():
            if process.poll() is not None:
                see = f"; see {log}" if log else ""
                raise RuntimeError(f"{name} exited with code {process.returncode}{see}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} was not ready in {within:g}s")
            time.sleep(0.1)
        yield
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after STOP_SECONDS."""
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
