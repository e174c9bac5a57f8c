"""The admission rules: 422 for what can never fit, 429 with Retry-After for what must wait."""

from __future__ import annotations

import pytest

from load_harness import admission
from load_harness.errors import CapacityExhausted, LimitExceeded

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("seconds", "expected"), [(None, 1), (0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (59.5, 60)]
)
def test_retry_after_rounds_up_to_whole_seconds(seconds: float | None, expected: int) -> None:
    assert admission.retry_after(seconds_until_first_end=seconds) == expected


def test_job_slot_is_refused_at_the_maximum() -> None:
    admission.admit_job_slot(running=2, max_jobs=3, retry_after_seconds=5)
    with pytest.raises(CapacityExhausted) as caught:
        admission.admit_job_slot(running=3, max_jobs=3, retry_after_seconds=5)
    assert caught.value.reason == "3 jobs are running and at most 3 may run at once"
    assert caught.value.retry_after_seconds == 5


@pytest.mark.parametrize(("quota", "cap"), [(0.5, 1), (1.0, 1), (1.9, 1), (2.0, 2), (3.5, 3)])
def test_cpu_cap_is_the_quota_rounded_down_but_at_least_one(quota: float, cap: int) -> None:
    assert admission.cpu_cap(quota_cores=quota) == cap


def test_cores_beyond_the_quota_can_never_fit() -> None:
    with pytest.raises(LimitExceeded) as caught:
        admission.admit_cores(cores=3, quota_cores=2.5, cores_in_use=0, retry_after_seconds=1)
    assert caught.value.reason == (
        "cores 3 exceeds this container's CPU quota of 2.5 cores (at most 2)"
    )


def test_cores_beyond_what_running_jobs_leave_must_wait() -> None:
    admission.admit_cores(cores=1, quota_cores=2.0, cores_in_use=1, retry_after_seconds=1)
    with pytest.raises(CapacityExhausted) as caught:
        admission.admit_cores(cores=2, quota_cores=2.0, cores_in_use=1, retry_after_seconds=7)
    assert caught.value.reason == (
        "cores 2 requested but running CPU jobs already use 1 of the 2 the CPU quota allows"
    )
    assert caught.value.retry_after_seconds == 7


def test_memory_cap_is_the_share_of_the_limit() -> None:
    assert admission.memory_cap_bytes(limit_bytes=512 * MIB, share=0.5) == 256 * MIB


def test_memory_beyond_the_cap_can_never_fit() -> None:
    with pytest.raises(LimitExceeded) as caught:
        admission.admit_memory(
            requested_bytes=257 * MIB,
            cap_bytes=256 * MIB,
            held_bytes=0,
            share=0.5,
            retry_after_seconds=1,
        )
    assert caught.value.reason == (
        "megabytes 257 exceeds the cap of 256 MiB (0.5 of this container's memory limit)"
    )


def test_memory_beyond_what_running_jobs_leave_must_wait() -> None:
    admission.admit_memory(
        requested_bytes=56 * MIB,
        cap_bytes=256 * MIB,
        held_bytes=200 * MIB,
        share=0.5,
        retry_after_seconds=1,
    )
    with pytest.raises(CapacityExhausted) as caught:
        admission.admit_memory(
            requested_bytes=57 * MIB,
            cap_bytes=256 * MIB,
            held_bytes=200 * MIB,
            share=0.5,
            retry_after_seconds=3,
        )
    assert caught.value.reason == (
        "megabytes 57 requested but only 56 MiB of the 256 MiB cap is free while running "
        "jobs hold 200 MiB"
    )
    assert caught.value.retry_after_seconds == 3
