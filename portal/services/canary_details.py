"""Everything one canary's page and its JSON show, gathered in one place for both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canaries import CanaryView
from portal.domain.flagger_checksum import observed_checksum
from portal.domain.gate_holds import GateHold, LastCall, gate_holds
from portal.domain.measured_metrics import MeasuredMetric, measured_metrics
from portal.kube.view import ClusterStatus, ClusterView
from portal.models import CanaryRun, TimelineEntry
from portal.services import fleet, timeline
from portal.services.gate_call_writing import UnwrittenCalls
from portal.services.gates import last_calls
from portal.services.gates_freezes import active_freeze_for, in_utc
from portal.services.prometheus import MetricValues, last_metric_values


@dataclass(frozen=True, slots=True)
class CanaryDetails:
    canary: CanaryView
    image: str | None
    cluster: ClusterStatus
    timeline: list[TimelineEntry]
    runs: list[CanaryRun]
    metrics: MetricValues
    events_only_runs: frozenset[int]
    """Runs whose timeline was rebuilt from Kubernetes Events only (some may be missing)."""
    holds: tuple[GateHold, ...]
    measured: tuple[MeasuredMetric, ...]
    """Each metric's last failed measurement in the latest run (from Flagger's events)."""
    """Why the portal's gates hold the run now (Flagger's events never carry the reason)."""


async def canary_details(
    view: ClusterView,
    session: AsyncSession,
    *,
    cluster: str,
    namespace: str,
    name: str,
    now: datetime,
    prometheus_url: str | None,
    unwritten: UnwrittenCalls | None = None,
) -> CanaryDetails:
    canary = fleet.get_canary(view, cluster=cluster, namespace=namespace, name=name, now=now)
    runs = await timeline.canary_runs(session, cluster=cluster, namespace=namespace, name=name)
    entries = await timeline.canary_timeline(
        session, cluster=cluster, namespace=namespace, name=name
    )
    return CanaryDetails(
        canary=canary,
        image=fleet.target_image(view, canary),
        cluster=view.cluster_status(cluster),
        timeline=entries,
        runs=runs,
        events_only_runs=await timeline.runs_from_events_only(
            session, run_ids=[run.id for run in runs if run.id is not None]
        ),
        metrics=await last_metric_values(
            base_url=prometheus_url, cluster=cluster, namespace=namespace, target=canary.target.name
        ),
        holds=await _holds(view, session, canary=canary, unwritten=unwritten),
        measured=_measured(entries, latest_run=runs[0].id if runs else None),
    )


def _measured(
    entries: list[TimelineEntry], *, latest_run: int | None
) -> tuple[MeasuredMetric, ...]:
    if latest_run is None:
        return ()
    return measured_metrics(
        (in_utc(e.at), e.message)
        for e in entries
        if e.category == "event" and e.run_id == latest_run
    )


async def _holds(
    view: ClusterView,
    session: AsyncSession,
    *,
    canary: CanaryView,
    unwritten: UnwrittenCalls | None,
) -> tuple[GateHold, ...]:
    if not canary.progressing:
        return ()
    key = {"cluster": canary.cluster, "namespace": canary.namespace, "name": canary.name}
    raw = view.get("canaries", **key)
    calls = await last_calls(session, **key, unwritten=unwritten)
    return gate_holds(
        (
            LastCall(
                gate=gate,
                checksum=call.checksum,
                passed=call.passed,
                answer=call.answer,
                seen_at=in_utc(call.seen_at),
                held_since=in_utc(call.held_since),
            )
            for gate, call in calls.items()
        ),
        checksum=observed_checksum(raw) if raw is not None else None,
        in_flight=canary.progressing,
        freeze=await active_freeze_for(session, cluster=canary.cluster, namespace=canary.namespace),
    )


def run_duration(run: CanaryRun) -> float | None:
    if run.ended_at is None:
        return None
    return (run.ended_at - run.started_at).total_seconds()
