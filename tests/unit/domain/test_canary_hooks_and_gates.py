"""Webhooks without secrets, metric thresholds, and which portal gates a canary is wired to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.domain.canaries import CanaryView, build_canary_view
from portal.domain.canary_gates import Gate, gate_named_by_path
from portal.domain.canary_metrics import MetricView, TemplateRef
from portal.domain.canary_webhooks import WebhookView, mask_url_credentials
from tests.unit.domain.objects import PORTAL, canary, canary_analysis, flagger_status

NOW = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)


def view_with(**analysis: Any) -> CanaryView:
    obj = canary(analysis=canary_analysis(**analysis), status=flagger_status("Initialized"))
    return build_canary_view(obj, cluster="c", now=NOW)


def test_webhooks_show_metadata_keys_but_never_the_token() -> None:
    view = view_with()
    rollback = view.webhooks[2]
    assert rollback == WebhookView(
        name="portal-rollback",
        type="rollback",
        url=f"{PORTAL}/flagger/gates/rollback",
        url_path="/flagger/gates/rollback",
        timeout_seconds=5.0,
        retries=0,
        mute_alert=False,
        metadata_keys=("token",),
    )
    assert "s3cr3t-flagger-token" not in repr(view)


def test_webhook_without_type_is_a_rollout_hook_with_default_timeout() -> None:
    hook = view_with(webhooks=[{"name": "smoke", "url": "http://tester.test/"}]).webhooks[0]
    assert (hook.type, hook.timeout_seconds, hook.metadata_keys) == ("rollout", 10.0, ())


def test_webhook_retries_and_mute_alert_are_read() -> None:
    raw = {"name": "h", "url": "http://t/", "retries": 3, "muteAlert": True, "timeout": "1m"}
    hook = view_with(webhooks=[raw]).webhooks[0]
    assert (hook.retries, hook.mute_alert, hook.timeout_seconds) == (3, True, 60.0)


def test_webhook_url_credentials_and_query_values_are_masked() -> None:
    url = "https://flagger:hunter2@gates.example.com/check?token=abc&canary=podinfo#x"
    assert mask_url_credentials(url) == (
        "https://flagger:***@gates.example.com/check?token=***&canary=***#x"
    )


def test_webhook_url_with_bare_userinfo_masks_it_whole() -> None:
    assert mask_url_credentials("https://tok123@h.example/p") == "https://***@h.example/p"


def test_plain_urls_are_unchanged() -> None:
    assert mask_url_credentials(f"{PORTAL}/flagger/events") == f"{PORTAL}/flagger/events"


def test_metrics_carry_thresholds_intervals_and_template_refs() -> None:
    metrics = [
        {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
        {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "30s"},
        {
            "name": "error-rate",
            "templateRef": {"name": "error-rate", "namespace": "flagger-system"},
            "thresholdRange": {"min": 0, "max": 1.5},
        },
        {"name": "latency-p99", "templateRef": {"name": "latency"}, "thresholdRange": {"max": 2}},
    ]
    assert view_with(metrics=metrics).metrics == (
        MetricView("request-success-rate", 60.0, 99.0, None, None),
        MetricView("request-duration", 30.0, None, 500.0, None),
        MetricView("error-rate", None, 0.0, 1.5, TemplateRef("flagger-system", "error-rate")),
        MetricView("latency-p99", None, None, 2.0, TemplateRef("test", "latency")),
    )


def test_deprecated_threshold_is_a_minimum_for_success_rate_and_a_maximum_otherwise() -> None:
    metrics = [
        {"name": "request-success-rate", "threshold": 99},
        {"name": "request-duration", "threshold": 500},
    ]
    view = view_with(metrics=metrics)
    assert [(m.threshold_min, m.threshold_max) for m in view.metrics] == [
        (99.0, None),
        (None, 500.0),
    ]


def test_gates_list_the_portal_gates_wired_sorted() -> None:
    view = view_with()
    assert view.gates == (Gate.CONFIRM_PROMOTION, Gate.CONFIRM_ROLLOUT, Gate.EVENT, Gate.ROLLBACK)
    assert view.gates == ("confirm-promotion", "confirm-rollout", "event", "rollback")
    assert view.is_wired_to(Gate.ROLLBACK) is True
    assert view.is_wired_to(Gate.CONFIRM_TRAFFIC_INCREASE) is False


def test_traffic_increase_gate_behind_an_ingress_prefix_is_wired() -> None:
    hook = {
        "name": "more-traffic",
        "type": "confirm-traffic-increase",
        "url": "https://portal.example.com/fleet/flagger/gates/confirm-traffic-increase/",
    }
    view = view_with(webhooks=[hook])
    assert view.gates == (Gate.CONFIRM_TRAFFIC_INCREASE,)
    assert view.is_wired_to(Gate.CONFIRM_TRAFFIC_INCREASE) is True


def test_loadtester_gates_are_not_portal_gates() -> None:
    hooks = [
        {"name": "gate", "type": "confirm-rollout", "url": "http://loadtester/gate/check"},
        {"name": "rb", "type": "rollback", "url": "http://loadtester/rollback/check"},
    ]
    view = view_with(webhooks=hooks)
    assert view.gates == ()
    assert view.needs_attention is False


def test_hook_pointed_at_another_gate_is_miswired_not_wired() -> None:
    hook = {
        "name": "promote",
        "type": "confirm-promotion",
        "url": f"{PORTAL}/flagger/gates/rollback",
    }
    view = view_with(webhooks=[hook])
    assert view.gates == ()
    assert view.attention_reasons == ("webhook promote points at another portal gate",)


def test_event_path_needs_event_type() -> None:
    hook = {"name": "ev", "type": "post-rollout", "url": f"{PORTAL}/flagger/events"}
    assert view_with(webhooks=[hook]).gates == ()


def test_gate_names_by_path() -> None:
    assert gate_named_by_path("/flagger/gates/rollback") is Gate.ROLLBACK
    assert gate_named_by_path("/flagger/gates/confirm-rollout") is Gate.CONFIRM_ROLLOUT
    assert gate_named_by_path("/flagger/events") is Gate.EVENT
    assert gate_named_by_path("/flagger/gates/event") is None
    assert gate_named_by_path("/flagger/gates/approve") is None
    assert gate_named_by_path("/gates/rollback") is None
    assert gate_named_by_path("/x/flagger/gatesX/rollback") is None
