"""The cost maths with hand-computed values: burn rate, namespace allocation, month-end
projection and nightly-destroy savings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from portal.domain.burn_rates import NodeCost, cluster_burn
from portal.domain.cost_allocation import PodClaim, allocate, pod_claim
from portal.domain.cost_reports import DailyCost, projected_month_end
from portal.domain.downtime import BadSchedule, parse_schedule, savings

GI = Decimal(2**30)


def node(name: str, instance_type: str, capacity: str, *, cpu: str = "4", memory: str = "16Gi",
         kubelet: str | None = None) -> dict[str, Any]:  # fmt: skip
    labels = {
        "node.kubernetes.io/instance-type": instance_type,
        "eks.amazonaws.com/capacityType": capacity,
        "topology.kubernetes.io/region": "eu-west-1",
    }
    status: dict[str, Any] = {"capacity": {"cpu": cpu, "memory": memory}}
    if kubelet:
        status["nodeInfo"] = {"kubeletVersion": kubelet}
    return {"metadata": {"name": name, "labels": labels}, "status": status}


def test_burn_rate_prices_nodes_spot_and_the_control_plane() -> None:
    burn = cluster_burn(
        "prod",
        [
            node("a", "m5.xlarge", "ON_DEMAND", kubelet="v1.33.1-eks-1"),
            node("b", "t3.large", "SPOT", kubelet="v1.29.3-eks-2"),
            node("c", "r7g.large", "ON_DEMAND"),
        ],
        default_region="us-east-1",
        spot_discount=Decimal("0.5"),
        today=date(2026, 12, 2),
    )
    assert [n.usd_per_hour for n in burn.nodes] == [Decimal("0.214"), Decimal("0.0456"), None]
    assert burn.unpriced == ("c",)
    # kubelet 1.29 left standard support on 2025-03-23: extended support, USD 0.60 an hour.
    assert (burn.version, burn.extended_support) == ("1.29", True)
    assert burn.usd_per_hour == Decimal("0.8596")
    assert burn.month_projection == Decimal("627.508")


def test_control_plane_in_standard_support_costs_ten_cents() -> None:
    burn = cluster_burn(
        "dev",
        [node("a", "t3.micro", "ON_DEMAND", kubelet="v1.34.0")],
        default_region="us-east-1",
        spot_discount=Decimal("0.65"),
        today=date(2026, 12, 2),
    )
    assert (burn.extended_support, burn.usd_per_hour) == (False, Decimal("0.1114"))


def _priced(name: str, price: str, cpu: str, memory_gi: int) -> NodeCost:
    return NodeCost(
        name=name,
        instance_type="x",
        capacity_type="on_demand",
        region="r",
        zone="z",
        cpu=Decimal(cpu),
        memory=memory_gi * GI,
        usd_per_hour=Decimal(price),
    )


def test_allocation_splits_node_cost_nine_to_one_and_keeps_idle() -> None:
    nodes = [_priced("n1", "1.00", "4", 16), _priced("n2", "0.50", "2", 4)]
    claims = [
        PodClaim("a", "n1", Decimal(2), 4 * GI),  # 0.9*2/4 + 0.1*4/16 = 0.475
        PodClaim("b", "n1", Decimal(1), 8 * GI),  # 0.9*1/4 + 0.1*8/16 = 0.275
        # n2's CPU claims (4) exceed its 2 cores: scaled to 3/4 and 1/4 of it.
        PodClaim("a", "n2", Decimal(3), GI),  # 0.5*(0.9*3/4 + 0.1*1/4) = 0.35
        PodClaim("b", "n2", Decimal(1), GI),  # 0.5*(0.9*1/4 + 0.1*1/4) = 0.125
    ]
    rows = allocate(nodes, claims)
    assert [(r.namespace, r.usd_per_hour, round(r.share, 4), r.idle) for r in rows] == [
        ("a", Decimal("0.825"), Decimal("0.55"), False),
        ("b", Decimal("0.400"), Decimal("0.2667"), False),
        ("idle", Decimal("0.275"), Decimal("0.1833"), True),
    ]
    assert sum(r.usd_per_hour for r in rows) == Decimal("1.50")


def test_a_pod_claims_its_effective_requests_only_while_scheduled_and_unfinished() -> None:
    def pod(phase: str, node_name: str | None) -> dict[str, Any]:
        return {
            "metadata": {"namespace": "shop"},
            "spec": {
                "nodeName": node_name,
                "containers": [
                    {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
                    {"resources": {"requests": {"cpu": "250m"}}},
                ],
                "initContainers": [{"resources": {"requests": {"memory": "1Gi"}}}],
            },
            "status": {"phase": phase},
        }

    assert pod_claim(pod("Running", "n1")) == PodClaim("shop", "n1", Decimal("0.5"), GI)
    assert pod_claim(pod("Pending", None)) is None
    assert pod_claim(pod("Succeeded", "n1")) is None


def _days(*amounts: str, start: date) -> tuple[DailyCost, ...]:
    return tuple(
        DailyCost(day=start.replace(day=start.day + i), amount=Decimal(a), estimated=True)
        for i, a in enumerate(amounts)
    )


def test_projection_on_the_first_uses_the_last_complete_days() -> None:
    daily = _days("20", "30", start=date(2026, 11, 29)) + _days("3", start=date(2026, 12, 1))
    forecast = projected_month_end(daily, today=date(2026, 12, 1), reason="test")
    assert forecast is not None
    # No complete December day: 25 a day (Nov 29-30) over 31 days; cheapest 20, dearest 30.
    assert (forecast.amount, forecast.lower, forecast.upper) == (775, 620, 930)
    assert projected_month_end((), today=date(2026, 12, 1), reason="test") is None


def test_nightly_destroy_saves_108_of_168_hours() -> None:
    windows = ["Mon-Thu 20:00-08:00", "Fri 20:00-Mon 08:00"]
    tuesday_3am = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    found = savings(
        cluster="staging", windows=windows, usd_per_hour=Decimal("0.5"), nodes=3, now=tuesday_3am
    )
    assert found.down_hours_per_week == 108
    assert round(found.down_share, 4) == Decimal("0.6429")
    assert found.usd_per_week == Decimal(54)
    assert found.usd_per_month == Decimal(54) * 730 / 168
    assert (found.scheduled_down_now, found.up_while_scheduled_down) == (True, True)
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    later = savings(cluster="staging", windows=windows, usd_per_hour=None, nodes=0, now=noon)
    assert (later.scheduled_down_now, later.usd_per_week, later.usd_per_month) == (
        False,
        None,
        None,
    )


def test_overlapping_windows_count_once() -> None:
    # Friday night runs into Saturday, which is down all day: one interval to Sunday's end.
    assert parse_schedule(["Mon-Fri 20:00-08:00", "Sat-Sun 00:00-24:00"]) == [
        (1200, 1920), (2640, 3360), (4080, 4800), (5520, 6240), (6960, 10080),
    ]  # fmt: skip


@pytest.mark.parametrize("window", ["Mon 25:00-08:00", "Funday 20:00-08:00", "nightly"])
def test_bad_windows_are_refused(window: str) -> None:
    with pytest.raises(BadSchedule):
        parse_schedule([window])


def test_refresh_backoff_doubles_from_a_minute_up_to_the_interval() -> None:
    from portal.services.cost_refresh import next_delay

    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    ten_s_ago = datetime(2026, 12, 2, 11, 59, 50, tzinfo=UTC)
    delays = [
        next_delay(failures=f, last_attempt=ten_s_ago, now=now, interval_seconds=600)
        for f in range(6)
    ]
    # ok: the interval; then 60, 120, 240, 480 s, capped at the 600 s interval; 10 s already passed
    assert delays == [590, 50, 110, 230, 470, 590]
    assert next_delay(failures=0, last_attempt=None, now=now, interval_seconds=600) == 0
