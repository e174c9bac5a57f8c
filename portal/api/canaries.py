"""`/api/v1/canaries`: the fleet's canaries as JSON, read from the watched copy."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends

from portal.api.fleet_schemas import (
    CanaryDetail,
    CanaryList,
    CanaryOut,
    ClusterOut,
    ConditionOut,
    GateHoldOut,
    MeasuredMetricOut,
    MetricOut,
    RunOut,
    TimelineEntryOut,
    WebhookOut,
)
from portal.deps import SessionDep, SettingsDep, StateDep, ViewDep
from portal.domain.canary_gates import gate_named_by_path
from portal.security.access import require_role
from portal.security.roles import Role
from portal.services import fleet
from portal.services.canary_details import CanaryDetails, canary_details, run_duration

router = APIRouter(
    prefix="/api/v1", tags=["canaries"], dependencies=[Depends(require_role(Role.viewer))]
)


@router.get("/canaries", response_model=CanaryList)
async def list_canaries(
    *,
    view: ViewDep,
    cluster: str | None = None,
    namespace: str | None = None,
    attention: bool | None = None,
) -> CanaryList:
    """Every canary of the fleet, optionally narrowed; `clusters` says how fresh each one is."""
    query = fleet.CanaryQuery(cluster=cluster, namespace=namespace, attention=attention)
    canaries = fleet.list_canaries(view, query=query, now=datetime.now(UTC))
    return CanaryList(
        items=[CanaryOut.of(c) for c in canaries],
        clusters=[ClusterOut.of(s) for s in fleet.fleet_status(view)],
    )


@router.get("/canaries/{cluster}/{namespace}/{name}", response_model=CanaryDetail)
async def get_canary(
    *,
    cluster: str,
    namespace: str,
    name: str,
    view: ViewDep,
    session: SessionDep,
    settings: SettingsDep,
    state: StateDep,
) -> CanaryDetail:
    """One canary: status, analysis, wired gates, timeline and past runs."""
    details = await canary_details(
        view,
        session,
        cluster=cluster,
        namespace=namespace,
        name=name,
        now=datetime.now(UTC),
        prometheus_url=settings.prometheus_url,
        unwritten=state.unwritten_gate_calls,  # last calls answered, not yet written
    )
    return detail_out(details)


def detail_out(details: CanaryDetails) -> CanaryDetail:
    canary = details.canary
    return CanaryDetail(
        **CanaryOut.of(canary).model_dump(),
        webhooks=[
            WebhookOut(
                name=h.name,
                type=h.type,
                url=h.url,
                timeout_seconds=h.timeout_seconds,
                retries=h.retries,
                portal_gate=_gate_name(h.url_path),
            )
            for h in canary.webhooks
        ],
        metrics=[
            MetricOut(
                name=m.name,
                interval_seconds=m.interval_seconds,
                threshold_min=m.threshold_min,
                threshold_max=m.threshold_max,
                template=f"{m.template_ref.namespace}/{m.template_ref.name}"
                if m.template_ref
                else None,
                last_value=details.metrics.values.get(m.name),
            )
            for m in canary.metrics
        ],
        conditions=[ConditionOut.of(c) for c in canary.conditions],
        image=details.image,
        cluster_status=ClusterOut.of(details.cluster),
        timeline=[
            TimelineEntryOut(
                at=e.at,
                category=e.category,
                event_type=e.event_type,
                message=e.message,
                source=e.source,
            )
            for e in details.timeline
        ],
        runs=[
            RunOut(
                id=r.id or 0,
                revision=r.revision,
                image=r.image,
                started_at=r.started_at,
                ended_at=r.ended_at,
                outcome=r.outcome,
                reason=r.reason,
                duration_seconds=run_duration(r),
                timeline_from_events_only=r.id in details.events_only_runs,
            )
            for r in details.runs
        ],
        measured_metrics=[
            MeasuredMetricOut(
                metric=m.metric,
                value=m.value,
                threshold=m.threshold,
                comparison=m.comparison,
                at=m.at,
                message=m.message,
            )
            for m in details.measured
        ],
        gate_holds=[
            GateHoldOut(
                gate=str(h.gate),
                reason=h.reason,
                held_since=h.held_since,
                last_asked_at=h.last_asked_at,
                frozen_by=h.frozen_by,
                frozen_since=h.frozen_since,
            )
            for h in details.holds
        ],
    )


def _gate_name(url_path: str) -> str | None:
    gate = gate_named_by_path(url_path)
    return str(gate) if gate is not None else None
