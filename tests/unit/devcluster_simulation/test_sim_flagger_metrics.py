"""The values the simulated metric checks measure, and Flagger's recorder exposition."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from devcluster.flagger_metrics import FlaggerMetrics
from devcluster.simulation.canary_model import parse_canary
from devcluster.simulation.metric_checks import (
    FailureMode,
    MetricSignal,
    halt_message,
    measured_values,
)

METRICS = [
    {"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99}},
    {"name": "request-duration", "interval": "1m", "thresholdRange": {"max": 500}},
]


def canary(metrics: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return parse_canary(
        obj={
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-app"},
                "analysis": {"interval": "10s", "threshold": 2, "metrics": metrics},
            },
        }
    )


def test_a_passing_tick_measures_every_metric_inside_its_range() -> None:
    values = measured_values(canary=canary(METRICS), signal=MetricSignal(draw=0.25))
    assert sorted(values) == ["request-duration", "request-success-rate"]
    assert 99 < values["request-success-rate"] < 100
    assert 0 < values["request-duration"] < 500


def test_a_failing_tick_records_the_breach_its_warning_names_and_stops_there() -> None:
    subject = canary(METRICS)
    signal = MetricSignal(draw=0.1, failure_rate=0.5, success_rate=97.5)
    assert measured_values(canary=subject, signal=signal) == {"request-success-rate": 97.5}
    assert halt_message(canary=subject, signal=signal) == (
        "Halt web.shop advancement success rate 97.50% < 99%"
    )


def test_a_duration_breach_is_recorded_in_milliseconds() -> None:
    subject = canary(METRICS[1:])
    signal = MetricSignal(draw=0.1, failure_rate=0.5)
    assert measured_values(canary=subject, signal=signal) == {"request-duration": 750.0}
    assert halt_message(canary=subject, signal=signal) == (
        "Halt web.shop advancement request duration 750ms > 500ms"
    )


def test_a_query_that_found_no_values_records_nothing() -> None:
    signal = MetricSignal(draw=0.1, failure_rate=0.5, mode=FailureMode.NO_VALUES)
    assert measured_values(canary=canary(METRICS), signal=signal) == {}


def samples(metrics: FlaggerMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_the_recorder_exposes_flaggers_names_labels_and_values() -> None:
    metrics = FlaggerMetrics()
    metrics.set_status(target="web-app", namespace="shop", phase="Progressing")
    metrics.set_weight(target="web-app", namespace="shop", canary_weight=30)
    metrics.set_analysis(target="web-app", namespace="shop", metric="request-duration", value=42.5)
    metrics.set_total({"shop": 2})
    metrics.observe_duration(target="web-app", namespace="shop", seconds=0.02)
    found = samples(metrics)
    shop = ("namespace", "shop")
    assert found[("flagger_canary_status", (("name", "web-app"), shop))] == 0
    assert found[("flagger_canary_weight", (shop, ("workload", "web-app")))] == 30
    assert found[("flagger_canary_weight", (shop, ("workload", "web-app-primary")))] == 70
    assert (
        found[
            (
                "flagger_canary_metric_analysis",
                (("metric", "request-duration"), ("name", "web-app"), shop),
            )
        ]
        == 42.5
    )
    assert found[("flagger_canary_total", (shop,))] == 2
    assert found[("flagger_canary_duration_seconds_count", (("name", "web-app"), shop))] == 1
    metrics.set_status(target="web-app", namespace="shop", phase="Failed")
    metrics.set_status(target="api", namespace="shop", phase="WaitingPromotion")
    found = samples(metrics)
    assert found[("flagger_canary_status", (("name", "web-app"), shop))] == 2
    assert found[("flagger_canary_status", (("name", "api"), shop))] == 1
