"""needs_attention and attention_reasons: gates, failures, suspension, skipAnalysis, stuck runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.domain.canaries import CanaryView, build_canary_view
from tests.unit.domain.objects import canary, canary_analysis, flagger_status

TRANSITION = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def view_at(obj: dict[str, object], *, after: timedelta) -> CanaryView:
    return build_canary_view(obj, cluster="c", now=TRANSITION + after)


def test_progressing_run_with_recent_write_needs_nobody() -> None:
    view = view_at(
        canary(status=flagger_status("Progressing", canary_weight=20)), after=timedelta(minutes=2)
    )
    assert (view.stuck, view.needs_attention, view.attention_reasons) == (False, False, ())


def test_progressing_without_a_write_for_three_intervals_is_stuck() -> None:
    obj = canary(status=flagger_status("Progressing", canary_weight=20))
    view = view_at(obj, after=timedelta(minutes=3))
    assert view.stuck is True
    assert view.attention_reasons == ("no status change for 3m",)
    assert view.needs_attention is True


def test_stuck_uses_the_canary_interval() -> None:
    obj = canary(analysis=canary_analysis(interval="30s"), status=flagger_status("Progressing"))
    assert view_at(obj, after=timedelta(seconds=89)).stuck is False
    view = view_at(obj, after=timedelta(seconds=95))
    assert view.stuck is True
    assert view.attention_reasons == ("no status change for 1m35s",)


def test_only_progressing_runs_can_be_stuck() -> None:
    for phase in ("Waiting", "WaitingPromotion", "Succeeded", "Initialized"):
        obj = canary(status=flagger_status(phase))
        assert view_at(obj, after=timedelta(hours=2)).stuck is False


def test_failed_checks_are_reported_against_the_threshold() -> None:
    obj = canary(status=flagger_status("Progressing", canary_weight=20, failed_checks=2))
    view = view_at(obj, after=timedelta(seconds=10))
    assert (view.failed_checks, view.threshold) == (2, 5)
    assert view.attention_reasons == ("2 of 5 failed checks",)


def test_suspended_mid_run_keeps_its_weight_and_is_not_called_stuck() -> None:
    status = flagger_status("Progressing", canary_weight=30, failed_checks=1)
    view = view_at(canary(status=status, suspend=True), after=timedelta(hours=1))
    assert (view.suspended, view.canary_weight, view.progress, view.current_step) == (
        True,
        30,
        0.6,
        2,
    )
    assert view.stuck is False
    assert view.attention_reasons == ("suspended", "1 of 5 failed checks")


def test_reasons_are_ordered_most_urgent_first() -> None:
    status = flagger_status("WaitingPromotion", failed_checks=1, iterations=-1)
    view = view_at(canary(status=status, suspend=True), after=timedelta(seconds=1))
    assert view.attention_reasons == (
        "waiting for promotion approval",
        "suspended",
        "1 of 5 failed checks",
    )


def test_skip_analysis_during_a_run_is_the_promote_action_at_work() -> None:
    obj = canary(status=flagger_status("Progressing", canary_weight=10), skipAnalysis=True)
    view = view_at(obj, after=timedelta(seconds=5))
    assert (view.skip_analysis, view.needs_attention) == (True, False)


def test_skip_analysis_left_on_after_a_run_needs_attention() -> None:
    obj = canary(status=flagger_status("Succeeded"), skipAnalysis=True)
    view = view_at(obj, after=timedelta(seconds=5))
    assert view.attention_reasons == ("skipAnalysis still set: the next revision skips analysis",)


def test_suspend_false_and_absent_read_as_not_suspended() -> None:
    obj = canary(status=flagger_status("Succeeded"), suspend=False)
    assert view_at(obj, after=timedelta(0)).suspended is False
    assert (
        view_at(canary(status=flagger_status("Succeeded")), after=timedelta(0)).suspended is False
    )
