"""The effective provider (spec.provider, else Flagger's -mesh-provider flag) and the weight it
routes; Blue/Green's WaitingPromotion and Promoting weights (issue 10.12)."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.canaries import CanaryView, build_canary_view
from portal.domain.canary_analysis import Strategy
from portal.kube.view import ClusterView
from tests.unit.domain.objects import blue_green_analysis, canary, flagger_status

NOW = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)


def view_of(obj: dict[str, object], *, mesh_provider: str) -> CanaryView:
    return build_canary_view(obj, cluster="prod", now=NOW, mesh_provider=mesh_provider)


def without_provider(status: dict[str, object]) -> dict[str, object]:
    obj = canary(status=status)
    del obj["spec"]["provider"]  # type: ignore[attr-defined]
    return obj


def test_kubernetes_mesh_provider_runs_a_weighted_canary_as_blue_green_of_ten() -> None:
    """scheduler.go:176-180 and 470-480: no spec.provider, the flag says kubernetes."""
    obj = without_provider(flagger_status("Progressing", iterations=4))
    view = view_of(obj, mesh_provider="kubernetes")
    assert (view.strategy, view.max_iterations) == (Strategy.BLUE_GREEN, 10)
    assert (view.canary_weight, view.progress, view.current_step) == (0, 0.4, 3)


def test_kubernetes_mesh_provider_never_routes_even_after_the_last_iteration() -> None:
    obj = without_provider(flagger_status("Progressing", iterations=11))
    assert view_of(obj, mesh_provider="kubernetes").canary_weight == 0


def test_spec_provider_wins_over_the_mesh_provider_flag() -> None:
    obj = canary(status=flagger_status("Progressing", canary_weight=20))
    view = view_of(obj, mesh_provider="kubernetes")
    assert (view.provider, view.strategy, view.canary_weight) == ("nginx", Strategy.CANARY, 20)


def test_a_routing_mesh_provider_keeps_the_weighted_canary() -> None:
    obj = without_provider(flagger_status("Progressing", canary_weight=20))
    view = view_of(obj, mesh_provider="istio")
    assert (view.strategy, view.canary_weight, view.progress) == (Strategy.CANARY, 20, 0.4)


def test_blue_green_waiting_promotion_tick_already_routes_everything() -> None:
    """scheduler.go:533-557: the gate opened while WaitingPromotion, iterations now 11 of 10."""
    obj = canary(analysis=blue_green_analysis(), status=flagger_status("WaitingPromotion"))
    obj["status"]["iterations"] = 11  # type: ignore[index]
    assert view_of(obj, mesh_provider="istio").canary_weight == 100


def test_blue_green_waiting_promotion_before_the_switch_routes_nothing() -> None:
    status = flagger_status("WaitingPromotion", iterations=9)
    obj = canary(analysis=blue_green_analysis(), status=status)
    assert view_of(obj, mesh_provider="istio").canary_weight == 0


def test_blue_green_promotion_steps_lower_the_routed_weight() -> None:
    """scheduler.go:711-731: stepWeightPromotion writes the lowered canary weight."""
    analysis = blue_green_analysis() | {"stepWeightPromotion": 20}
    first = canary(analysis=analysis, status=flagger_status("Promoting"))
    later = canary(analysis=analysis, status=flagger_status("Promoting", canary_weight=60))
    assert view_of(first, mesh_provider="istio").canary_weight == 100
    assert view_of(later, mesh_provider="istio").canary_weight == 60


def test_cluster_view_knows_each_clusters_mesh_provider() -> None:
    view = ClusterView(
        clusters=["prod", "edge", "lab"], mesh_providers={"edge": "kubernetes", "*": "nginx"}
    )
    assert [view.mesh_provider(c) for c in view.clusters] == ["nginx", "kubernetes", "nginx"]
    assert ClusterView(clusters=["prod"]).mesh_provider("prod") == "istio"
