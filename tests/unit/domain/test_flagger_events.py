"""Every Flagger v1.44 event message the portal meets, classified with its facts."""

from __future__ import annotations

import pytest

from portal.domain.flagger_events import (
    EventKind,
    FlaggerEvent,
    HaltReason,
    RollbackCause,
    classify_flagger_event,
)


def test_initialization_done() -> None:
    message = "Initialization done! podinfo.test"
    assert classify_flagger_event(message) == FlaggerEvent(
        kind=EventKind.INITIALIZED, message=message, subject="podinfo.test"
    )


def test_new_revision_scaling_up() -> None:
    message = "New revision detected! Scaling up podinfo.test"
    assert classify_flagger_event(message) == FlaggerEvent(
        kind=EventKind.NEW_REVISION, message=message, subject="podinfo.test"
    )


def test_new_revision_restarting_analysis() -> None:
    event = classify_flagger_event("New revision detected! Restarting analysis for podinfo.test")
    assert (event.kind, event.subject) == (EventKind.RESTARTING_ANALYSIS, "podinfo.test")


def test_starting_canary_analysis() -> None:
    event = classify_flagger_event("Starting canary analysis for podinfo.test")
    assert (event.kind, event.subject) == (EventKind.STARTING_ANALYSIS, "podinfo.test")


def test_advance_canary_weight() -> None:
    message = "Advance podinfo.test canary weight 20"
    assert classify_flagger_event(message) == FlaggerEvent(
        kind=EventKind.ADVANCE_WEIGHT, message=message, subject="podinfo.test", weight=20
    )


def test_advance_canary_iteration() -> None:
    event = classify_flagger_event("Advance podinfo.test canary iteration 3/10")
    assert (event.kind, event.subject, event.iteration, event.iterations) == (
        EventKind.ADVANCE_ITERATION,
        "podinfo.test",
        3,
        10,
    )


def test_advance_primary_weight_during_promotion() -> None:
    event = classify_flagger_event("Advance podinfo.test primary weight 70")
    assert (event.kind, event.weight) == (EventKind.ADVANCE_PRIMARY_WEIGHT, 70)


def test_halt_waiting_for_rollout_approval_names_the_hook() -> None:
    message = "Halt podinfo.test advancement waiting for approval portal-confirm-rollout"
    assert classify_flagger_event(message) == FlaggerEvent(
        kind=EventKind.HALT,
        message=message,
        subject="podinfo.test",
        hook="portal-confirm-rollout",
        halt_reason=HaltReason.ROLLOUT_APPROVAL,
    )


def test_halt_waiting_for_approval_keeps_the_gate_body() -> None:
    message = (
        "Halt podinfo.test advancement waiting for approval portal-confirm-rollout "
        "change freeze until Monday (ops)"
    )
    event = classify_flagger_event(message)
    assert (event.halt_reason, event.hook, event.detail) == (
        HaltReason.ROLLOUT_APPROVAL,
        "portal-confirm-rollout",
        "change freeze until Monday (ops)",
    )


def test_halt_waiting_for_traffic_increase_approval() -> None:
    event = classify_flagger_event(
        "Halt podinfo.test advancement waiting for traffic increase approval portal-more-traffic"
    )
    assert (event.kind, event.halt_reason, event.hook) == (
        EventKind.HALT,
        HaltReason.TRAFFIC_INCREASE_APPROVAL,
        "portal-more-traffic",
    )


def test_halt_waiting_for_traffic_increase_approval_without_hook() -> None:
    event = classify_flagger_event(
        "Halt podinfo.test advancement waiting for traffic increase approval"
    )
    assert (event.halt_reason, event.hook) == (HaltReason.TRAFFIC_INCREASE_APPROVAL, None)


def test_halt_waiting_for_promotion_approval() -> None:
    event = classify_flagger_event(
        "Halt podinfo.test advancement waiting for promotion approval portal-confirm-promotion"
    )
    assert (event.halt_reason, event.hook, event.subject) == (
        HaltReason.PROMOTION_APPROVAL,
        "portal-confirm-promotion",
        "podinfo.test",
    )


def test_halt_on_success_rate_carries_value_and_minimum_in_percent() -> None:
    message = "Halt podinfo.test advancement success rate 95.50% < 99%"
    assert classify_flagger_event(message) == FlaggerEvent(
        kind=EventKind.HALT,
        message=message,
        subject="podinfo.test",
        halt_reason=HaltReason.METRIC_FAILED,
        metric="request-success-rate",
        metric_value=95.5,
        metric_limit=99.0,
        comparison="<",
    )


def test_halt_on_request_duration_carries_milliseconds() -> None:
    event = classify_flagger_event("Halt podinfo.test advancement request duration 1.5s > 500ms")
    assert (event.metric, event.metric_value, event.metric_limit, event.comparison) == (
        "request-duration",
        1500.0,
        500.0,
        ">",
    )


def test_halt_on_request_duration_in_milliseconds() -> None:
    event = classify_flagger_event("Halt podinfo.test advancement request duration 750ms > 500ms")
    assert (event.metric_value, event.metric_limit) == (750.0, 500.0)


def test_halt_on_custom_metric_above_maximum() -> None:
    event = classify_flagger_event("Halt podinfo.test advancement error-rate 2.50 > 1")
    assert (event.halt_reason, event.metric, event.metric_value, event.metric_limit) == (
        HaltReason.METRIC_FAILED,
        "error-rate",
        2.5,
        1.0,
    )
    assert event.comparison == ">"


def test_halt_on_custom_metric_below_minimum() -> None:
    event = classify_flagger_event("Halt podinfo.test advancement throughput 0.90 < 1")
    assert (event.metric, event.metric_value, event.comparison, event.metric_limit) == (
        "throughput",
        0.9,
        "<",
        1.0,
    )


def test_halt_on_failed_pre_rollout_check_keeps_the_error() -> None:
    event = classify_flagger_event(
        "Halt podinfo.test advancement pre-rollout check smoke-test failed "
        "error response from smoke-test: 500"
    )
    assert (event.halt_reason, event.hook, event.detail) == (
        HaltReason.CHECK_FAILED,
        "smoke-test",
        "error response from smoke-test: 500",
    )


def test_halt_on_failed_external_check() -> None:
    event = classify_flagger_event(
        "Halt podinfo.test advancement external check load-test failed timeout"
    )
    assert (event.halt_reason, event.hook, event.detail) == (
        HaltReason.CHECK_FAILED,
        "load-test",
        "timeout",
    )


def test_halt_with_no_metric_values() -> None:
    event = classify_flagger_event(
        "Halt advancement no values found for prometheus metric error-rate probably "
        "podinfo.test is not receiving traffic: running query failed: no values found"
    )
    assert (event.kind, event.halt_reason, event.metric) == (
        EventKind.HALT,
        HaltReason.NO_METRIC_VALUES,
        "error-rate",
    )


def test_unrecognised_halt_keeps_its_text() -> None:
    event = classify_flagger_event("Halt podinfo.test advancement something new happened")
    assert (event.halt_reason, event.detail) == (HaltReason.OTHER, "something new happened")


@pytest.mark.parametrize(
    ("message", "gate", "hook"),
    [
        (
            "Confirm-rollout check portal-confirm-rollout passed",
            "confirm-rollout",
            "portal-confirm-rollout",
        ),
        ("Confirm-traffic-increase check more passed", "confirm-traffic-increase", "more"),
        (
            "Confirm-promotion check portal-confirm-promotion passed",
            "confirm-promotion",
            "portal-confirm-promotion",
        ),
    ],
)
def test_confirm_check_passed_names_gate_and_hook(message: str, gate: str, hook: str) -> None:
    event = classify_flagger_event(message)
    assert (event.kind, event.gate, event.hook) == (EventKind.GATE_PASSED, gate, hook)


def test_pre_rollout_check_passed() -> None:
    event = classify_flagger_event("Pre-rollout check smoke-test passed")
    assert (event.kind, event.hook) == (EventKind.PRE_ROLLOUT_PASSED, "smoke-test")


def test_rollback_check_passed() -> None:
    event = classify_flagger_event("Rollback check portal-rollback passed")
    assert (event.kind, event.hook) == (EventKind.ROLLBACK_CHECK_PASSED, "portal-rollback")


def test_rollback_hook_not_signalling() -> None:
    event = classify_flagger_event("Rollback hook portal-rollback not signaling a rollback")
    assert (event.kind, event.hook) == (EventKind.ROLLBACK_NOT_SIGNALLED, "portal-rollback")


def test_rolling_back_on_manual_webhook() -> None:
    message = "Rolling back podinfo.test manual webhook invoked"
    event = classify_flagger_event(message)
    assert event == FlaggerEvent(
        kind=EventKind.ROLLING_BACK,
        message=message,
        subject="podinfo.test",
        rollback_cause=RollbackCause.MANUAL_WEBHOOK,
        detail="manual webhook invoked",
    )
    assert event.rollback_reason == "manual webhook invoked"


def test_rolling_back_on_failed_checks_threshold() -> None:
    event = classify_flagger_event("Rolling back podinfo.test failed checks threshold reached 5")
    assert (event.rollback_cause, event.failed_checks, event.rollback_reason) == (
        RollbackCause.FAILED_CHECKS,
        5,
        "failed checks threshold reached 5",
    )


def test_rolling_back_on_progress_deadline_keeps_the_error() -> None:
    message = (
        "Rolling back podinfo.test progress deadline exceeded canary deployment podinfo.test "
        "not ready: waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated "
        "replicas are available"
    )
    event = classify_flagger_event(message)
    assert (event.kind, event.rollback_cause) == (
        EventKind.ROLLING_BACK,
        RollbackCause.PROGRESS_DEADLINE,
    )
    assert event.rollback_reason == message.removeprefix("Rolling back podinfo.test ")


def test_rolling_back_for_an_unknown_reason() -> None:
    event = classify_flagger_event("Rolling back podinfo.test primary gone")
    assert (event.rollback_cause, event.rollback_reason) == (RollbackCause.UNKNOWN, "primary gone")


def test_canary_failed() -> None:
    event = classify_flagger_event("Canary failed! Scaling down podinfo.test")
    assert (event.kind, event.subject) == (EventKind.CANARY_FAILED, "podinfo.test")


def test_copying_template_names_the_primary() -> None:
    event = classify_flagger_event("Copying podinfo.test template spec to podinfo-primary.test")
    assert (event.kind, event.subject, event.detail) == (
        EventKind.COPYING_TEMPLATE,
        "podinfo.test",
        "podinfo-primary.test",
    )


def test_routing_all_traffic_to_primary() -> None:
    event = classify_flagger_event("Routing all traffic to primary")
    assert event.kind is EventKind.ROUTING_TO_PRIMARY


def test_routing_all_traffic_to_canary() -> None:
    event = classify_flagger_event("Routing all traffic to canary")
    assert event.kind is EventKind.ROUTING_TO_CANARY


def test_promotion_completed_after_analysis() -> None:
    event = classify_flagger_event("Promotion completed! Scaling down podinfo.test")
    assert (event.kind, event.analysis_skipped, event.subject) == (
        EventKind.PROMOTION_COMPLETED,
        False,
        "podinfo.test",
    )


def test_promotion_completed_with_analysis_skipped() -> None:
    event = classify_flagger_event(
        "Promotion completed! Canary analysis was skipped for podinfo.test"
    )
    assert (event.kind, event.analysis_skipped, event.subject) == (
        EventKind.PROMOTION_COMPLETED,
        True,
        "podinfo.test",
    )


def test_skipping_suspended_canary() -> None:
    event = classify_flagger_event("skipping canary run as object is suspended")
    assert event.kind is EventKind.SKIPPED_SUSPENDED


def test_canary_not_ready_keeps_the_text() -> None:
    message = (
        "canary deployment podinfo.test not ready: waiting for rollout to finish: "
        "1 old replicas are pending termination"
    )
    event = classify_flagger_event(message)
    assert (event.kind, event.detail) == (EventKind.NOT_READY, message)


@pytest.mark.parametrize(
    "message",
    ["", "Scaling replica set podinfo-7d9f to 2", "Advance podinfo.test canary weight ten"],
)
def test_unknown_messages_are_other(message: str) -> None:
    assert classify_flagger_event(message) == FlaggerEvent(kind=EventKind.OTHER, message=message)


# Issue 10 point 10: every metric failure that counts as a failed check, with its facts
# (texts from fluxcd/flagger pkg/controller/scheduler_metrics.go at v1.44.0).
@pytest.mark.parametrize(
    ("message", "metric", "value", "limit", "comparison"),
    [
        (
            "Halt podinfo.test advancement success rate 99.50% > 99%",
            "request-success-rate",
            99.5,
            99.0,
            ">",
        ),
        (
            "Halt podinfo.test advancement success rate 87.25% < 99.5%",
            "request-success-rate",
            87.25,
            99.5,
            "<",
        ),
        (
            "Halt podinfo.test advancement request duration 50ms < 100ms",
            "request-duration",
            50.0,
            100.0,
            "<",
        ),
        (
            "Halt podinfo.test advancement request duration 1.5s > 500ms",
            "request-duration",
            1500.0,
            500.0,
            ">",
        ),
        ("Halt podinfo.test advancement error-ratio 3.00 > 2", "error-ratio", 3.0, 2.0, ">"),
    ],
)
def test_metric_out_of_range_carries_name_value_and_threshold(
    message: str, metric: str, value: float, limit: float, comparison: str
) -> None:
    event = classify_flagger_event(message)
    assert (event.halt_reason, event.metric, event.metric_value, event.metric_limit) == (
        HaltReason.METRIC_FAILED,
        metric,
        value,
        limit,
    )
    assert event.comparison == comparison
    assert event.counts_as_failed_check


@pytest.mark.parametrize(
    ("message", "reason", "metric", "detail"),
    [
        (
            "Halt advancement no values found for custom metric: error-ratio: no values found",
            HaltReason.NO_METRIC_VALUES,
            "error-ratio",
            "no values found",
        ),
        (
            "Halt advancement no values found for metric: inline-ratio",
            HaltReason.NO_METRIC_VALUES,
            "inline-ratio",
            None,
        ),
        (
            "Halt advancement no values found for istio metric request-duration probably "
            "podinfo.test is not receiving traffic",
            HaltReason.NO_METRIC_VALUES,
            "request-duration",
            "probably podinfo.test is not receiving traffic",
        ),
        (
            "Prometheus query failed: running query failed: connection refused",
            HaltReason.METRIC_QUERY_FAILED,
            None,
            "running query failed: connection refused",
        ),
        (
            "Prometheus query failed for inline-ratio: bad_data: parse error",
            HaltReason.METRIC_QUERY_FAILED,
            "inline-ratio",
            "bad_data: parse error",
        ),
        (
            "Metric query failed for error-ratio: running query failed: 503",
            HaltReason.METRIC_QUERY_FAILED,
            "error-ratio",
            "running query failed: 503",
        ),
        (
            'Metric template error-ratio.test error: metrictemplate.flagger.app "error-ratio" '
            "not found",
            HaltReason.METRIC_QUERY_FAILED,
            "error-ratio.test",
            'error: metrictemplate.flagger.app "error-ratio" not found',
        ),
    ],
)
def test_metric_errors_are_failed_checks(
    message: str, reason: HaltReason, metric: str | None, detail: str | None
) -> None:
    event = classify_flagger_event(message)
    assert (event.kind, event.halt_reason, event.metric, event.detail) == (
        EventKind.HALT,
        reason,
        metric,
        detail,
    )
    assert event.counts_as_failed_check


# Issue 10 point 5: v1.44's real deadline sequence names the cause before `Canary failed!`.
def test_progress_deadline_readiness_error_is_the_deadline_cause() -> None:
    message = (
        'canary deployment podinfo.test not ready: deployment "podinfo" exceeded its progress '
        "deadline"
    )
    event = classify_flagger_event(message)
    assert (event.kind, event.rollback_cause, event.rollback_reason) == (
        EventKind.NOT_READY,
        RollbackCause.PROGRESS_DEADLINE,
        message,
    )


def test_a_waiting_readiness_error_names_no_rollback_cause() -> None:
    event = classify_flagger_event(
        "canary deployment podinfo.test not ready: waiting for rollout to finish: "
        "0 of 1 (readyThreshold 100%) updated replicas are available"
    )
    assert (event.rollback_cause, event.rollback_reason) == (None, None)


# Issue 10 point 1: client-go's correlator prefix is stripped before classifying.
def test_combined_events_are_classified_by_the_message_they_carry() -> None:
    event = classify_flagger_event(
        "(combined from similar events): Advance podinfo.test canary weight 40"
    )
    assert (event.kind, event.weight, event.combined, event.message) == (
        EventKind.ADVANCE_WEIGHT,
        40,
        True,
        "Advance podinfo.test canary weight 40",
    )
