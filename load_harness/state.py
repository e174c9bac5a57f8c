"""The objects one running app shares between its lifespan, middleware and routers."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.templating import Jinja2Templates

from load_harness.chaos import Chaos, ChaosConfig
from load_harness.config import Settings
from load_harness.jobs import JobManager
from load_harness.metrics import HarnessMetrics


@dataclass(kw_only=True)
class HarnessState:
    """Everything request handlers need, built once per app by `create_app`."""

    settings: Settings
    metrics: HarnessMetrics
    chaos: Chaos
    jobs: JobManager
    templates: Jinja2Templates
    ready: bool = field(default=False)

    def set_chaos(self, *, config: ChaosConfig) -> None:
        """Put new fault settings in force and publish them as metrics."""
        self.chaos.config = config
        self.metrics.chaos_error_rate.set(config.error_rate)
        self.metrics.chaos_latency.set(config.latency_ms / 1000)
