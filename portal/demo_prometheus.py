"""A real Prometheus for the demo: Debian's `prometheus` binary scraping devcluster and the portal.

`portal demo` writes a scrape config under the state directory (`var/prometheus/`), starts the
binary on a loopback port and points `PORTAL_PROMETHEUS_URL` at it, so canary pages show the
last value each Flagger metric check measured (`flagger_canary_metric_analysis`). Each cluster's
Flagger metrics are one target carrying a `cluster` label, which the portal's query honours.
When the binary is absent the demo says how to install it and runs without measured values.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.demo_processes import logged_process

DEFAULT_BINARY = "/usr/bin/prometheus"
INSTALL_HINT = (
    "Prometheus not found at {binary}: measured metric values stay empty. "
    "Install Debian's package (`sudo apt-get install prometheus`, or `make promtool` as root) "
    "and run `make run` again."
)
READY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    """One `host:port` scraped at `/metrics` under `job`, with extra target labels."""

    job: str
    address: str
    labels: tuple[tuple[str, str], ...] = ()


def scrape_config(targets: list[ScrapeTarget], *, interval_seconds: float) -> str:
    """prometheus.yml for `targets`: one scrape job per job name, one static config per target."""
    interval = f"{max(interval_seconds, 0.1) * 1000:.0f}ms"
    jobs: dict[str, list[dict[str, object]]] = {}
    for target in targets:
        static: dict[str, object] = {"targets": [target.address]}
        if target.labels:
            static["labels"] = dict(target.labels)
        jobs.setdefault(target.job, []).append(static)
    document = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {
                "job_name": job,
                "scrape_interval": interval,
                "scrape_timeout": interval,
                "metrics_path": "/metrics",
                "static_configs": statics,
            }
            for job, statics in jobs.items()
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def find_binary(binary: str) -> str | None:
    """The executable path, or None when it is not installed."""
    found = shutil.which(binary)
    return found if found else None


@contextmanager
def running_prometheus(
    *,
    binary: str,
    state_dir: Path,
    port: int,
    targets: list[ScrapeTarget],
    scrape_interval_seconds: float,
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[str]:
    """Run Prometheus on 127.0.0.1:`port` until the block ends; yields its base URL."""
    home = state_dir / "prometheus"
    data = home / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True, exist_ok=True)
    config = home / "prometheus.yml"
    config.write_text(scrape_config(targets, interval_seconds=scrape_interval_seconds))
    url = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
        "--log.level=warn",
    ]
    with logged_process(
        command,
        name=f"prometheus on {url}",
        ready_url=f"{url}/-/ready",
        within=READY_SECONDS,
        log=home / "prometheus.log",
        preexec_fn=preexec_fn,
    ):
        yield url
