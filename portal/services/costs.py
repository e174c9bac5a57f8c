"""The cost picture a page or API view shows: the stored Cost Explorer snapshot plus the live
burn rate, namespace estimate and nightly-destroy savings computed from the ClusterView.

Reads only the database and the in-memory view: no AWS or Kubernetes call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from portal.config import Settings, SettingsError
from portal.db import SessionMaker
from portal.domain.burn_rates import ClusterBurn, SpotKey, cluster_burn
from portal.domain.cost_allocation import NamespaceCost, allocate, pod_claim
from portal.domain.cost_requests import USD_PER_REQUEST, CostScope
from portal.domain.downtime import BadSchedule, Savings, parse_schedule, savings
from portal.domain.spot_prices import spot_targets
from portal.kube.view import ClusterView
from portal.services.cost_refresh import CostState, SpotBook, cost_state

DEFAULT_PRICE_REGION = "us-east-1"


def cost_scope(settings: Settings) -> CostScope:
    return CostScope(
        metric=settings.cost_metric,
        tag_key=settings.cost_tag_key,
        tag_value=settings.cost_tag_value,
    )


def check_downtime(settings: Settings) -> None:
    """Refuse to start with a schedule that does not parse (PORTAL_COST_DOWNTIME)."""
    for cluster, windows in settings.cost_downtime.items():
        try:
            parse_schedule(windows)
        except BadSchedule as error:
            raise SettingsError(f"PORTAL_COST_DOWNTIME: cluster {cluster!r}: {error}") from error


@dataclass(frozen=True, slots=True)
class ClusterNamespaceCost:
    cluster: str
    cost: NamespaceCost


@dataclass(frozen=True, slots=True)
class CostsView:
    now: datetime
    cost_explorer_configured: bool
    demo: bool
    metric: str
    tag: str | None
    state: CostState
    clusters: tuple[ClusterBurn, ...]
    namespaces: tuple[ClusterNamespaceCost, ...]
    savings: tuple[Savings, ...]
    spot: SpotBook

    @property
    def ce_requests_usd(self) -> Decimal:
        return self.state.requests_this_month * USD_PER_REQUEST

    @property
    def savings_usd_per_month(self) -> Decimal:
        return sum((s.usd_per_month for s in self.savings if s.usd_per_month), Decimal(0))


def watched_spot_targets(view: ClusterView, *, region: str) -> set[SpotKey]:
    """(instance type, zone) of the watched spot nodes in `region`: what a refresh prices."""
    return spot_targets(
        (obj for cluster in view.clusters for _, obj in view.objects("nodes", cluster=cluster)),
        region=region,
    )


def live_costs(
    view: ClusterView, settings: Settings, *, now: datetime, spot: SpotBook | None = None
) -> tuple[tuple[ClusterBurn, ...], tuple[ClusterNamespaceCost, ...], tuple[Savings, ...]]:
    """Burn rate per cluster, the namespace estimate and the savings, from the watched nodes
    and pods; spot nodes at the refreshed spot prices where known, else the discount."""
    region = settings.aws_region or DEFAULT_PRICE_REGION
    discount = Decimal(str(settings.cost_spot_discount))
    burns: list[ClusterBurn] = []
    namespaces: list[ClusterNamespaceCost] = []
    found: list[Savings] = []
    for cluster in view.clusters:
        nodes = [obj for _, obj in view.objects("nodes", cluster=cluster)]
        burn = cluster_burn(
            cluster,
            nodes,
            default_region=region,
            spot_discount=discount,
            today=now.date(),
            spot_prices=spot.prices if spot else None,
        )
        burns.append(burn)
        claims = [pod_claim(obj) for _, obj in view.objects("pods", cluster=cluster)]
        for row in allocate(burn.nodes, [c for c in claims if c is not None]):
            namespaces.append(ClusterNamespaceCost(cluster=cluster, cost=row))
    for cluster, windows in sorted(settings.cost_downtime.items()):
        burn_of = next((b for b in burns if b.cluster == cluster), None)
        has_nodes = burn_of is not None and bool(burn_of.nodes)
        found.append(
            savings(
                cluster=cluster,
                windows=windows,
                usd_per_hour=burn_of.usd_per_hour if burn_of and has_nodes else None,
                nodes=len(burn_of.nodes) if burn_of else 0,
                now=now,
            )
        )
    return tuple(burns), tuple(namespaces), tuple(found)


async def costs_view(
    sessionmaker: SessionMaker,
    view: ClusterView,
    settings: Settings,
    *,
    now: datetime,
    spot: SpotBook | None = None,
) -> CostsView:
    """`spot`: the refresher's last spot prices (None: no refresher, the discount for all)."""
    state = await cost_state(sessionmaker, now=now)
    clusters, namespaces, saved = live_costs(view, settings, now=now, spot=spot)
    tag = (
        f"{settings.cost_tag_key}={settings.cost_tag_value or ''}"
        if settings.cost_tag_key
        else None
    )
    return CostsView(
        now=now,
        cost_explorer_configured=settings.aws_region is not None,
        demo=settings.cost_demo,
        metric=settings.cost_metric,
        tag=tag,
        state=state,
        clusters=clusters,
        namespaces=namespaces,
        savings=saved,
        spot=spot or SpotBook(),
    )
