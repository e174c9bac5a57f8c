"""Each metric's last failed measurement, read from Flagger's Halt events (scheduler_metrics.go
at v1.44.0); other halts and events carry no measurement."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.measured_metrics import MeasuredMetric, measured_metrics

T1 = datetime(2026, 12, 2, 10, 0, 1, tzinfo=UTC)
T2 = datetime(2026, 12, 2, 10, 0, 2, tzinfo=UTC)
T3 = datetime(2026, 12, 2, 10, 0, 3, tzinfo=UTC)


def test_the_latest_failed_measurement_of_each_metric_in_name_order() -> None:
    events = [
        (T3, "Halt web.shop advancement success rate 91.20% < 99%"),
        (T1, "Halt web.shop advancement success rate 87.50% < 99%"),
        (T2, "Halt web.shop advancement request duration 750ms > 500ms"),
        (T2, "Halt web.shop advancement waiting for approval portal-confirm-promotion"),
        (T2, "Advance web.shop canary weight 20"),
        (T3, "Halt advancement no values found for istio metric request-success-rate probably"),
    ]
    assert measured_metrics(events) == (
        MeasuredMetric(
            metric="request-duration",
            value=750.0,
            threshold=500.0,
            comparison=">",
            at=T2,
            message="Halt web.shop advancement request duration 750ms > 500ms",
        ),
        MeasuredMetric(
            metric="request-success-rate",
            value=91.2,
            threshold=99.0,
            comparison="<",
            at=T3,
            message="Halt web.shop advancement success rate 91.20% < 99%",
        ),
    )


def test_a_combined_kubernetes_event_still_carries_its_measurement() -> None:
    events = [(T1, "(combined from similar events): Halt web.shop advancement error-rate 5.2 > 1")]
    [measured] = measured_metrics(events)
    assert (measured.metric, measured.value, measured.threshold) == ("error-rate", 5.2, 1.0)
