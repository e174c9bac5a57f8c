"""CanaryView in every Flagger phase: phase, routed weight, progress and the step reached."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.canaries import CanaryView, TargetRef, build_canary_view
from portal.domain.canary_analysis import Strategy
from portal.domain.conditions import Condition
from tests.unit.domain.objects import PROMOTED, REVISION, canary, flagger_status

NOW = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)
PLAN = (10, 20, 30, 40, 50)


def view_of(obj: dict[str, object]) -> CanaryView:
    return build_canary_view(obj, cluster="staging", now=NOW)


def test_identity_target_and_autoscaler_come_from_metadata_and_spec() -> None:
    view = view_of(canary(status=flagger_status("Initialized")))
    assert (view.cluster, view.namespace, view.name) == ("staging", "test", "podinfo")
    assert view.uid == "0f3c9f7e-4c1b-4d7e-9a43-1c2b3d4e5f60"
    assert view.target == TargetRef(kind="Deployment", name="podinfo")
    assert view.target.primary_name == "podinfo-primary"
    assert view.autoscaler == "podinfo"
    assert view.progress_deadline_seconds == 60


def test_canary_without_autoscaler_has_none() -> None:
    obj = canary(status=flagger_status("Initialized"))
    del obj["spec"]["autoscalerRef"]
    assert view_of(obj).autoscaler is None


def test_canary_without_status_reads_as_initializing() -> None:
    view = view_of(canary(status=None))
    assert view.phase == "Initializing"
    assert (view.canary_weight, view.progress, view.current_step) == (0, 0.0, None)
    assert view.last_transition_time is None
    assert (view.last_applied_spec, view.last_promoted_spec) == (None, None)
    assert view.conditions == ()
    assert view.progressing is False
    assert view.needs_attention is False


def test_initializing_status_is_reported_as_written() -> None:
    status = flagger_status("Initializing", last_applied_spec="", last_promoted_spec="")
    view = view_of(canary(status=status))
    assert view.phase == "Initializing"
    assert view.conditions == (
        Condition(
            type="Promoted",
            status="Unknown",
            reason="Initializing",
            message="New Deployment detected, starting initialization.",
            last_transition_time=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
            last_update_time=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        ),
    )
    assert view.revision is None


def test_initialized_canary_routes_nothing_and_is_not_in_flight() -> None:
    view = view_of(canary(status=flagger_status("Initialized", last_promoted_spec=REVISION)))
    assert (view.phase, view.canary_weight, view.progress) == ("Initialized", 0, 0.0)
    assert view.progressing is False
    assert view.current_step is None
    assert view.needs_attention is False
    assert view.conditions[0].status == "True"


def test_waiting_canary_is_in_flight_with_nothing_routed_and_needs_approval() -> None:
    view = view_of(canary(status=flagger_status("Waiting")))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 0.0, None)
    assert view.progressing is True
    assert view.attention_reasons == ("waiting for rollout approval",)
    assert view.needs_attention is True


def test_progressing_at_first_step_routes_status_weight() -> None:
    view = view_of(canary(status=flagger_status("Progressing", canary_weight=10)))
    assert (view.canary_weight, view.raw_canary_weight) == (10, 10)
    assert view.progress == 0.2
    assert view.step_plan == PLAN
    assert view.current_step == 0
    assert view.progressing is True
    assert view.needs_attention is False


def test_progressing_at_thirty_percent_is_sixty_percent_of_a_fifty_percent_run() -> None:
    view = view_of(canary(status=flagger_status("Progressing", canary_weight=30)))
    assert (view.canary_weight, view.progress, view.current_step) == (30, 0.6, 2)


def test_progressing_at_max_weight_is_complete_and_at_last_step() -> None:
    view = view_of(canary(status=flagger_status("Progressing", canary_weight=50)))
    assert (view.canary_weight, view.progress, view.current_step) == (50, 1.0, 4)


def test_progressing_before_first_step_has_no_current_step() -> None:
    view = view_of(canary(status=flagger_status("Progressing")))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 0.0, None)
    assert view.last_applied_spec == REVISION
    assert view.revision == REVISION


def test_waiting_promotion_routes_max_weight_although_status_shows_zero() -> None:
    status = flagger_status("WaitingPromotion", canary_weight=0, iterations=-1)
    view = view_of(canary(status=status))
    assert (view.canary_weight, view.raw_canary_weight) == (50, 0)
    assert view.iterations == 0
    assert (view.progress, view.current_step) == (1.0, 4)
    assert view.progressing is True
    assert view.attention_reasons == ("waiting for promotion approval",)


def test_promoting_keeps_max_weight_on_the_canary() -> None:
    view = view_of(canary(status=flagger_status("Promoting", canary_weight=50)))
    assert (view.canary_weight, view.progress, view.current_step) == (50, 1.0, 4)
    assert view.progressing is True
    assert view.needs_attention is False


def test_promoting_with_a_reset_status_weight_still_routes_max_weight() -> None:
    view = view_of(canary(status=flagger_status("Promoting", canary_weight=0)))
    assert view.canary_weight == 50


def test_promoting_with_step_weight_promotion_routes_the_lowered_status_weight() -> None:
    obj = canary(status=flagger_status("Promoting", canary_weight=30))
    obj["spec"]["analysis"]["stepWeightPromotion"] = 20
    view = view_of(obj)
    assert (view.canary_weight, view.step_weight_promotion) == (30, 20)


def test_finalising_routes_all_traffic_to_primary_with_analysis_complete() -> None:
    view = view_of(canary(status=flagger_status("Finalising")))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 1.0, 4)
    assert view.progressing is True


def test_succeeded_is_complete_and_no_longer_in_flight() -> None:
    status = flagger_status("Succeeded", last_promoted_spec=REVISION)
    view = view_of(canary(status=status))
    assert (view.canary_weight, view.progress, view.current_step) == (0, 1.0, None)
    assert view.progressing is False
    assert view.last_promoted_spec == REVISION
    assert view.needs_attention is False


def test_failed_after_threshold_routes_nothing_and_needs_attention() -> None:
    view = view_of(canary(status=flagger_status("Failed")))
    assert (view.phase, view.canary_weight, view.progress, view.current_step) == (
        "Failed",
        0,
        0.0,
        None,
    )
    assert view.progressing is False
    assert view.attention_reasons == ("failed: rolled back to primary",)
    assert view.conditions[0].status == "False"


def test_last_change_of_a_failed_canary_is_when_it_failed_not_its_last_tick() -> None:
    """Flagger re-syncs a Failed status every tick (scheduler.go:861-867 at v1.44.0), moving
    `lastTransitionTime`; the Promoted condition's `lastUpdateTime` stays at the phase change."""
    status = flagger_status("Failed", last_transition_time="2026-11-25T10:00:00Z")
    status["lastTransitionTime"] = "2026-11-25T10:47:10Z"
    view = view_of(canary(status=status))
    assert view.last_transition_time == datetime(2026, 11, 25, 10, 47, 10, tzinfo=UTC)
    assert view.last_change == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_last_change_outside_failed_is_the_last_status_write() -> None:
    """A Progressing status is written only when a step or a check changes something."""
    status = flagger_status("Progressing", canary_weight=20)
    status["lastTransitionTime"] = "2026-11-25T10:02:00Z"
    view = view_of(canary(status=status))
    assert view.last_change == datetime(2026, 11, 25, 10, 2, tzinfo=UTC)


def test_last_change_of_a_failed_canary_without_its_condition_is_the_status_time() -> None:
    status = flagger_status("Failed")
    status["conditions"] = []
    view = view_of(canary(status=status))
    assert view.last_change == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_failed_promotion_routes_everything_to_the_canary() -> None:
    """scheduler.go:1000-1035 at v1.44.0: the canary keeps serving 100% (issue 10.2)."""
    view = view_of(canary(status=flagger_status("Failed", canary_weight=100)))
    assert (view.canary_weight, view.raw_canary_weight) == (100, 100)
    assert view.progress == 0.0
    assert view.attention_reasons == (
        "failed during promotion: primary not ready, all traffic on the canary; "
        "fix the primary before any new revision",
    )


def test_status_numbers_written_as_floats_read_as_ints() -> None:
    status = flagger_status("Progressing", canary_weight=20, failed_checks=1)
    status |= {"canaryWeight": 20.0, "failedChecks": 1.0}
    view = view_of(canary(status=status))
    assert (view.canary_weight, view.failed_checks) == (20, 1)


def test_tracked_configs_and_specs_are_exposed() -> None:
    view = view_of(canary(status=flagger_status("Progressing", canary_weight=10)))
    assert view.tracked_configs == (("configmap/podinfo-config", "5d8b6c7f4c"),)
    assert (view.last_applied_spec, view.last_promoted_spec) == (REVISION, PROMOTED)
    assert view.last_transition_time == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_canary_strategy_is_canary_with_weights() -> None:
    view = view_of(canary(status=flagger_status("Progressing", canary_weight=10)))
    assert view.strategy is Strategy.CANARY
    assert (view.max_weight, view.step_weight, view.step_weights) == (50, 10, ())
    assert (view.threshold, view.interval_seconds, view.max_iterations) == (5, 60.0, 0)
    assert view.mirror is False
