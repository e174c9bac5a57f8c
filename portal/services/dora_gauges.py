"""The five DORA metrics per service over the last 30 days as Prometheus gauges on /metrics.

Computing them takes queries, which a scrape (a synchronous collector) cannot await: a
background task refreshes the figures every `interval` seconds and the collector reads the last
ones. A service without data in the window has no sample for that metric (never a 0).
The rows stay in the database; Prometheus' retention bounds only these gauges' history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.db import SessionMaker
from portal.domain.dora_windows import window_ending
from portal.services.dora_metrics import DoraReport, compute_report
from portal.services.dora_queries import Filters, services_in
from portal.services.loop_failures import LoopFailures

log = structlog.get_logger("portal.dora")
WINDOW_DAYS = 30
MAX_SERVICES = 500
REFRESH_SECONDS = 300.0

ValueOf = Callable[[DoraReport], float | None]
GAUGES: tuple[tuple[str, str, ValueOf], ...] = (
    ("portal_dora_deployments_per_day", "Successful deployments per day, last 30 days",
     lambda r: r.deployment_frequency.per_day),
    ("portal_dora_lead_time_median_seconds", "Median change lead time, last 30 days",
     lambda r: r.lead_time.median_seconds),
    ("portal_dora_lead_time_p90_seconds", "p90 change lead time, last 30 days",
     lambda r: r.lead_time.p90_seconds),
    ("portal_dora_change_failure_rate", "Failed / all deployments (0..1), last 30 days",
     lambda r: r.change_failure_rate.rate),
    ("portal_dora_recovery_median_seconds", "Median failed deployment recovery time, 30 days",
     lambda r: r.recovery_time.median_seconds),
    ("portal_dora_rework_rate", "Unplanned / all deployments (0..1), last 30 days",
     lambda r: r.rework_rate.rate),
)  # fmt: skip


class DoraGauges(Collector):
    def __init__(self, sessionmaker: SessionMaker, *, interval: float = REFRESH_SECONDS) -> None:
        self.sessionmaker = sessionmaker
        self.interval = interval
        self.reports: dict[str, DoraReport] = {}

    async def refresh(self) -> None:
        window = window_ending(until=datetime.now(UTC), days=WINDOW_DAYS)
        async with self.sessionmaker() as session:
            connection = await session.connection()
            names = await services_in(connection, window, Filters(), limit=MAX_SERVICES)
            reports = {
                name: await compute_report(
                    session, window=window, filters=Filters(service=name), with_trend=False
                )
                for name in names
            }
        self.reports = reports

    async def keep_refreshing(self) -> None:
        """Refresh forever (cancel to stop); a failed refresh keeps the last figures."""
        failures = LoopFailures(log, "DORA gauges not refreshed")
        while True:
            try:
                await self.refresh()
            except Exception as error:
                failures.report(error)
            await asyncio.sleep(self.interval)

    def collect(self) -> Iterator[Metric]:
        for name, documentation, value_of in GAUGES:
            family = GaugeMetricFamily(name, documentation, labels=["service"])
            for service, report in sorted(self.reports.items()):
                value = value_of(report)
                if value is not None:
                    family.add_metric([service], float(value))
            yield family
