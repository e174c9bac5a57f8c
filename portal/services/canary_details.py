"""Everything one canary's page and its JSON show, gathered in one place for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canaries import CanaryView
from portal.kube.view import ClusterStatus, ClusterView
from portal.models import CanaryRun, TimelineEntry
from portal.services import fleet, timeline
from portal.services.prometheus import MetricValues, last_metric_values


@dataclass(frozen=True, slots=True)
class CanaryDetails:
    canary: CanaryView
    image: str | None
    cluster: ClusterStatus
    timeline: list[TimelineEntry]
    runs: list[CanaryRun]
    metrics: MetricValues


async def canary_details(
    view: ClusterView,
    session: AsyncSession,
    *,
    cluster: str,
    namespace: str,
    name: str,
    now: datetime,
    prometheus_url: str | None,
) -> CanaryDetails:
    canary = fleet.get_canary(view, cluster=cluster, namespace=namespace, name=name, now=now)
    return CanaryDetails(
        canary=canary,
        image=fleet.target_image(view, canary),
        cluster=view.cluster_status(cluster),
        timeline=await timeline.canary_timeline(
            session, cluster=cluster, namespace=namespace, name=name
        ),
        runs=await timeline.canary_runs(session, cluster=cluster, namespace=namespace, name=name),
        metrics=await last_metric_values(base_url=prometheus_url, namespace=namespace, name=name),
    )


def run_duration(run: CanaryRun) -> float | None:
    if run.ended_at is None:
        return None
    return (run.ended_at - run.started_at).total_seconds()
