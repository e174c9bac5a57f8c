"""The demo's helper processes (devcluster, Prometheus, moto, the load harness): waited for
until they answer, and stopped with them when the demo ends."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def logged_process(
    command: Sequence[str],
    *,
    name: str,
    ready_url: str,
    within: float,
    log: Path,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Start `command` with its output in `log`, wait until `ready_url` answers 200, run the
    block, then stop it."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the demo's own helpers
            list(command),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,  # noqa: PLW1509 - runs before any thread starts
        )
        with supervised(
            process, name=name, ready=lambda: answers_200(ready_url), within=within, log=str(log)
        ):
            yield


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 127.0.0.1 only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after STOP_SECONDS."""
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
