"""`/api/v1/hpas`: HorizontalPodAutoscalers as JSON, with their replica history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Query

from portal.api.fleet_schemas import ClusterOut, HpaDetail, HpaList, HpaOut, HpaSampleOut
from portal.deps import SessionDep, ViewDep
from portal.security.access import require_role
from portal.security.roles import Role
from portal.services import fleet, timeline

router = APIRouter(
    prefix="/api/v1", tags=["hpas"], dependencies=[Depends(require_role(Role.viewer))]
)


@router.get("/hpas", response_model=HpaList)
async def list_hpas(
    *, view: ViewDep, cluster: str | None = None, namespace: str | None = None
) -> HpaList:
    hpas = fleet.list_hpas(view, now=datetime.now(UTC), cluster=cluster, namespace=namespace)
    return HpaList(
        items=[HpaOut.of(h) for h in hpas],
        clusters=[ClusterOut.of(s) for s in fleet.fleet_status(view)],
    )


@router.get("/hpas/{cluster}/{namespace}/{name}", response_model=HpaDetail)
async def get_hpa(
    *,
    cluster: str,
    namespace: str,
    name: str,
    view: ViewDep,
    session: SessionDep,
    history_hours: int = Query(default=24, ge=1, le=24 * 90),
) -> HpaDetail:
    """One HPA and its replica samples of the last `history_hours` hours."""
    now = datetime.now(UTC)
    hpa = fleet.get_hpa(view, cluster=cluster, namespace=namespace, name=name, now=now)
    history = await timeline.hpa_history(
        session,
        since=now - timedelta(hours=history_hours),
        cluster=cluster,
        namespace=namespace,
        name=name,
    )
    samples = history.get((cluster, namespace, name), [])
    return HpaDetail(
        **HpaOut.of(hpa).model_dump(),
        cluster_status=ClusterOut.of(view.cluster_status(cluster)),
        history=[
            HpaSampleOut(
                at=s.at, current_replicas=s.current_replicas, desired_replicas=s.desired_replicas
            )
            for s in samples
        ],
    )
