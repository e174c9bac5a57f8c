"""`GET /api/v1/costs`: the stored Cost Explorer snapshot and the live cluster estimate;
`POST /api/v1/costs/refresh`: an admin's refresh (rate-limited, audited)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from portal.deps import StateDep
from portal.errors import Conflict
from portal.security.access import AdminUser, ViewerUser
from portal.security.actors import CurrentActor
from portal.services.cost_refresh import CostRefresher
from portal.services.costs import CostsView

router = APIRouter(prefix="/api/v1/costs", tags=["costs"])


def cents(value: Decimal) -> float:
    return float(round(value, 2))


def fine(value: Decimal) -> float:
    return float(round(value, 4))


class MonthToDateOut(BaseModel):
    amount: float
    currency: str
    estimated: bool = Field(description="Cost Explorer marks the current month as estimated.")


class ForecastOut(BaseModel):
    amount: float = Field(description="The whole month's expected cost.")
    method: Literal["cost_explorer", "projection"]
    lower: float | None
    upper: float | None
    note: str


class DayOut(BaseModel):
    date: date
    amount: float
    estimated: bool


class ServiceOut(BaseModel):
    service: str
    amount: float


class NodeOut(BaseModel):
    name: str
    instance_type: str
    capacity_type: Literal["on_demand", "spot"]
    zone: str
    usd_per_hour: float | None = Field(description="None: not in the shipped price table.")
    price_source: Literal["on_demand_table", "spot_price_history", "spot_discount", "unpriced"]


class ClusterBurnOut(BaseModel):
    cluster: str
    usd_per_hour: float
    month_projection: float = Field(description="usd_per_hour x 730 hours.")
    nodes: list[NodeOut]
    control_plane_usd_per_hour: float
    kubernetes_version: str | None
    extended_support: bool
    unpriced: list[str]
    spot_price_source: Literal["spot_price_history", "spot_discount", "mixed"] | None = Field(
        description="Where the spot nodes' prices came from (None: no priced spot node)."
    )


class NamespaceOut(BaseModel):
    cluster: str
    namespace: str
    usd_per_hour: float
    share: float = Field(description="Fraction of the cluster's priced node cost, 0..1.")
    idle: bool


class ClusterSavingsOut(BaseModel):
    cluster: str
    windows: list[str]
    down_hours_per_week: float
    down_share: float
    usd_per_hour: float | None
    usd_per_week: float | None
    usd_per_month: float | None
    scheduled_down_now: bool
    up_while_scheduled_down: bool


class SavingsOut(BaseModel):
    usd_per_month: float
    clusters: list[ClusterSavingsOut]


class RequestsOut(BaseModel):
    count: int = Field(description="Cost Explorer requests the portal made this month (UTC).")
    usd: float = Field(description="Their price at USD 0.01 each.")
    since: datetime


class SpotPricesOut(BaseModel):
    fetched_at: datetime | None = Field(description="When the last refresh read spot prices.")
    error: str | None = Field(description="Why the last spot price read failed.")
    prices: int = Field(description="(instance type, zone) pairs with a known spot price.")


class CostsOut(BaseModel):
    month_to_date: MonthToDateOut | None
    forecast: ForecastOut | None
    daily: list[DayOut]
    by_service: list[ServiceOut]
    clusters: list[ClusterBurnOut]
    namespaces: list[NamespaceOut]
    savings: SavingsOut
    ce_requests: RequestsOut
    fetched_at: datetime | None = Field(description="When the Cost Explorer figures were read.")
    stale: bool = Field(description="The last refresh failed; the figures are older.")
    error: str | None = Field(description="Why the last refresh failed.")
    cost_explorer_configured: bool
    demo: bool = Field(description="The Cost Explorer figures are demo data (portal demo).")
    metric: str
    tag: str | None
    spot_prices: SpotPricesOut


class RefreshOut(BaseModel):
    ok: bool
    fetched_at: datetime
    requests: int
    error: str | None


def costs_out(found: CostsView) -> CostsOut:
    report = found.state.report
    forecast = report.forecast if report else None
    return CostsOut(
        month_to_date=None
        if report is None
        else MonthToDateOut(
            amount=cents(report.month.amount),
            currency=report.month.currency,
            estimated=report.month.estimated,
        ),
        forecast=None
        if forecast is None
        else ForecastOut(
            amount=cents(forecast.amount),
            method=forecast.method,
            lower=None if forecast.lower is None else cents(forecast.lower),
            upper=None if forecast.upper is None else cents(forecast.upper),
            note=forecast.note,
        ),
        daily=[
            DayOut(date=d.day, amount=cents(d.amount), estimated=d.estimated)
            for d in (report.daily if report else ())
        ],
        by_service=[
            ServiceOut(service=s.service, amount=cents(s.amount))
            for s in (report.month.by_service if report else ())
        ],
        clusters=[
            ClusterBurnOut(
                cluster=b.cluster,
                usd_per_hour=fine(b.usd_per_hour),
                month_projection=cents(b.month_projection),
                nodes=[
                    NodeOut(
                        name=n.name,
                        instance_type=n.instance_type,
                        capacity_type=n.capacity_type,
                        zone=n.zone,
                        usd_per_hour=None if n.usd_per_hour is None else fine(n.usd_per_hour),
                        price_source=n.price_source,
                    )
                    for n in b.nodes
                ],
                control_plane_usd_per_hour=fine(b.control_plane_usd_per_hour),
                kubernetes_version=b.version,
                extended_support=b.extended_support,
                unpriced=list(b.unpriced),
                spot_price_source=b.spot_source,
            )
            for b in found.clusters
        ],
        namespaces=[
            NamespaceOut(
                cluster=row.cluster,
                namespace=row.cost.namespace,
                usd_per_hour=fine(row.cost.usd_per_hour),
                share=fine(row.cost.share),
                idle=row.cost.idle,
            )
            for row in found.namespaces
        ],
        savings=SavingsOut(
            usd_per_month=cents(found.savings_usd_per_month),
            clusters=[
                ClusterSavingsOut(
                    cluster=s.cluster,
                    windows=list(s.windows),
                    down_hours_per_week=float(s.down_hours_per_week),
                    down_share=fine(s.down_share),
                    usd_per_hour=None if s.usd_per_hour is None else fine(s.usd_per_hour),
                    usd_per_week=None if s.usd_per_week is None else cents(s.usd_per_week),
                    usd_per_month=None if s.usd_per_month is None else cents(s.usd_per_month),
                    scheduled_down_now=s.scheduled_down_now,
                    up_while_scheduled_down=s.up_while_scheduled_down,
                )
                for s in found.savings
            ],
        ),
        ce_requests=RequestsOut(
            count=found.state.requests_this_month,
            usd=cents(found.ce_requests_usd),
            since=found.state.month_start,
        ),
        fetched_at=found.state.fetched_at,
        stale=found.state.stale,
        error=found.state.error,
        cost_explorer_configured=found.cost_explorer_configured,
        demo=found.demo,
        metric=found.metric,
        tag=found.tag,
        spot_prices=SpotPricesOut(
            fetched_at=found.spot.fetched_at,
            error=found.spot.error,
            prices=len(found.spot.prices),
        ),
    )


@router.get("", response_model=CostsOut)
async def get_costs(state: StateDep, _viewer: ViewerUser) -> CostsOut:
    """Month to date, forecast, daily trend and services from the last Cost Explorer snapshot;
    burn rate, namespace estimate and savings live from the watched nodes and pods. Never calls
    AWS."""
    found = await state.costs_now()
    return costs_out(found)


def require_refresher(state: StateDep) -> CostRefresher:
    found = state.cost_refresher
    if found is None:
        raise Conflict("Cost Explorer is not configured: set PORTAL_AWS_REGION")
    return found


@router.post("/refresh", response_model=RefreshOut)
async def refresh_costs(
    _admin: AdminUser,
    actor: CurrentActor,
    refresher: Annotated[CostRefresher, Depends(require_refresher)],
) -> RefreshOut:
    """Refresh from Cost Explorer now (3 billed requests, USD 0.03). 429 with Retry-After
    within PORTAL_COST_MANUAL_REFRESH_SECONDS of the previous refresh; 409 without
    PORTAL_AWS_REGION. Audited as `cost-refresh`."""
    snapshot = await refresher.refresh_by(actor)
    return RefreshOut(
        ok=snapshot.ok,
        fetched_at=snapshot.fetched_at,
        requests=snapshot.requests,
        error=snapshot.error,
    )
