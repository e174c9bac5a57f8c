"""Fault planning and Table cell rendering."""

from __future__ import annotations

import pytest

from devcluster.builtin_kinds import builtin_types
from devcluster.faults import Faults
from devcluster.resources import Registry
from devcluster.store import ObjectStore
from devcluster.tables import human_duration, json_path


def _faults() -> Faults:
    registry = Registry()
    registry.add(builtin_types())
    return Faults(store=ObjectStore(registry=registry))


def test_request_faults_are_consumed_in_order_per_prefix() -> None:
    faults = _faults()
    faults.fail_next_requests(count=1, status=500, path_prefix="/apis/")
    faults.slow_next_requests(count=2, delay_seconds=0.5)
    first, second, third = faults.plan("/apis/x"), faults.plan("/api/v1"), faults.plan("/apis/x")
    assert (first.delay_seconds, first.error.code if first.error else None) == (0.5, 500)
    assert (second.delay_seconds, second.error) == (0.5, None)
    assert (third.delay_seconds, third.error) == (0.0, None)


def test_unsupported_fault_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported fault status 404"):
        _faults().fail_next_requests(count=1, status=404)


def test_watch_expiry_counts_down() -> None:
    faults = _faults()
    faults.expire_next_watches(2)
    assert [faults.take_watch_expiry() for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (30 * 3600, "30h"),
        (3 * 86400, "3d"),
        (400 * 86400, "400d"),
    ],
)
def test_human_duration_matches_kubernetes(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_json_path_reads_nested_fields_and_indexes() -> None:
    obj = {"status": {"conditions": [{"type": "Promoted", "reason": "Succeeded"}]}}
    assert json_path(obj, ".status.conditions[0].reason") == "Succeeded"
    assert json_path(obj, ".status.missing.deeper") is None


def test_watch_expiry_can_target_one_resource() -> None:
    faults = _faults()
    faults.expire_next_watches(1, path_prefix="/apis/flagger.app/")
    hpa = "/apis/autoscaling/v2/horizontalpodautoscalers"
    canaries = "/apis/flagger.app/v1beta1/canaries"
    assert [faults.take_watch_expiry(p) for p in (hpa, canaries, canaries)] == [False, True, False]
    assert faults.expire_watches == 0
