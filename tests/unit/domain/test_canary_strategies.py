"""Strategy selection, Blue/Green and A/B progress by iterations, and step plans."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.canaries import CanaryView, build_canary_view
from portal.domain.canary_analysis import Strategy
from tests.unit.domain.objects import (
    ab_testing_analysis,
    blue_green_analysis,
    canary,
    canary_analysis,
    flagger_status,
)

NOW = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)


def view_of(obj: dict[str, object]) -> CanaryView:
    return build_canary_view(obj, cluster="prod", now=NOW)


def blue_green(status: dict[str, object]) -> CanaryView:
    return view_of(canary(analysis=blue_green_analysis(), status=status))


def ab_testing(status: dict[str, object]) -> CanaryView:
    return view_of(canary(analysis=ab_testing_analysis(), status=status))


def test_iterations_without_match_select_blue_green() -> None:
    view = blue_green(flagger_status("Initialized"))
    assert (view.strategy, view.strategy.value) == (Strategy.BLUE_GREEN, "blue-green")
    assert (view.max_iterations, view.step_plan) == (10, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10))


def test_iterations_with_match_select_ab_testing() -> None:
    view = ab_testing(flagger_status("Initialized"))
    assert (view.strategy, view.strategy.value) == (Strategy.AB_TESTING, "ab-testing")


def test_mirror_flag_is_noted_on_blue_green() -> None:
    obj = canary(analysis=blue_green_analysis(mirror=True), status=flagger_status("Initialized"))
    view = view_of(obj)
    assert (view.strategy, view.mirror) == (Strategy.BLUE_GREEN, True)


def test_blue_green_during_analysis_routes_nothing_and_progresses_by_iterations() -> None:
    view = blue_green(flagger_status("Progressing", iterations=4))
    assert (view.canary_weight, view.raw_canary_weight) == (0, 0)
    assert (view.iterations, view.progress, view.current_step) == (4, 0.4, 3)


def test_blue_green_before_first_iteration_has_no_step() -> None:
    view = blue_green(flagger_status("Progressing", iterations=0))
    assert (view.progress, view.current_step) == (0.0, None)


def test_blue_green_routes_all_traffic_to_canary_after_the_last_iteration() -> None:
    view = blue_green(flagger_status("Progressing", iterations=11))
    assert (view.canary_weight, view.progress, view.current_step) == (100, 1.0, 9)


def test_blue_green_waiting_promotion_routes_nothing_yet_and_is_complete() -> None:
    view = blue_green(flagger_status("WaitingPromotion", iterations=9))
    assert (view.canary_weight, view.iterations, view.progress) == (0, 9, 1.0)
    assert view.current_step == 9


def test_blue_green_promoting_routes_all_traffic_to_canary() -> None:
    view = blue_green(flagger_status("Promoting", iterations=11))
    assert (view.canary_weight, view.progress) == (100, 1.0)


def test_blue_green_finalising_routes_all_traffic_to_primary() -> None:
    view = blue_green(flagger_status("Finalising"))
    assert (view.canary_weight, view.progress) == (0, 1.0)


def test_ab_testing_reports_no_weight_and_progresses_by_iterations() -> None:
    view = ab_testing(flagger_status("Progressing", iterations=3))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 0.3, 2)


def test_ab_testing_promoting_reports_no_weight() -> None:
    view = ab_testing(flagger_status("Promoting", iterations=10))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 1.0, 9)


def test_step_weights_plan_is_the_list_and_max_is_the_last_entry() -> None:
    analysis = canary_analysis(maxWeight=None, stepWeight=None, stepWeights=[1, 2, 10, 80])
    view = view_of(
        canary(analysis=analysis, status=flagger_status("Progressing", canary_weight=10))
    )
    assert (view.step_weights, view.step_weight, view.max_weight) == ((1, 2, 10, 80), 0, 80)
    assert view.step_plan == (1, 2, 10, 80)
    assert (view.current_step, view.progress) == (2, 0.125)


def test_step_weights_above_100_are_capped() -> None:
    analysis = canary_analysis(maxWeight=None, stepWeight=None, stepWeights=[20, 60, 120])
    view = view_of(canary(analysis=analysis, status=flagger_status("Initialized")))
    assert (view.max_weight, view.step_plan) == (100, (20, 60, 100))


def test_step_weight_that_does_not_divide_max_weight_overshoots_like_flagger() -> None:
    analysis = canary_analysis(maxWeight=50, stepWeight=30)
    view = view_of(
        canary(analysis=analysis, status=flagger_status("Progressing", canary_weight=60))
    )
    assert view.step_plan == (30, 60)
    assert (view.current_step, view.progress) == (1, 1.0)


def test_max_weight_zero_means_one_hundred() -> None:
    analysis = canary_analysis(maxWeight=0, stepWeight=25)
    view = view_of(
        canary(analysis=analysis, status=flagger_status("Progressing", canary_weight=25))
    )
    assert (view.max_weight, view.step_plan, view.progress) == (100, (25, 50, 75, 100), 0.25)


def test_absent_max_weight_means_one_hundred() -> None:
    analysis = canary_analysis(maxWeight=None, stepWeight=50)
    view = view_of(canary(analysis=analysis, status=flagger_status("Initialized")))
    assert (view.max_weight, view.step_plan) == (100, (50, 100))


def test_waiting_promotion_with_step_weights_routes_the_last_step() -> None:
    analysis = canary_analysis(maxWeight=None, stepWeight=None, stepWeights=[5, 25, 60])
    status = flagger_status("WaitingPromotion", iterations=-1)
    view = view_of(canary(analysis=analysis, status=status))
    assert (view.canary_weight, view.current_step) == (60, 2)


def test_threshold_zero_means_one() -> None:
    view = view_of(canary(analysis=canary_analysis(threshold=0), status=None))
    assert view.threshold == 1


def test_negative_threshold_means_one() -> None:
    view = view_of(canary(analysis=canary_analysis(threshold=-3), status=None))
    assert view.threshold == 1


def test_no_step_settings_give_an_empty_plan() -> None:
    analysis = canary_analysis(maxWeight=None, stepWeight=None)
    view = view_of(canary(analysis=analysis, status=flagger_status("Progressing")))
    assert (view.step_plan, view.current_step) == ((), None)


def test_waiting_promotion_after_an_overshooting_step_routes_the_weight_reached() -> None:
    analysis = canary_analysis(maxWeight=50, stepWeight=30)
    status = flagger_status("WaitingPromotion", iterations=-1)
    view = view_of(canary(analysis=analysis, status=status))
    assert (view.canary_weight, view.max_weight, view.current_step) == (60, 50, 1)


def test_blue_green_on_the_kubernetes_provider_never_routes_to_the_canary() -> None:
    obj = canary(
        analysis=blue_green_analysis(), status=flagger_status("Promoting"), provider="kubernetes"
    )
    view = view_of(obj)
    assert (view.provider, view.strategy, view.canary_weight, view.progress) == (
        "kubernetes",
        Strategy.BLUE_GREEN,
        0,
        1.0,
    )


def test_provider_is_reported() -> None:
    assert view_of(canary(status=None)).provider == "nginx"
