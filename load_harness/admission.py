"""Whether a new job fits in this container now: the rules that keep the pod from hurting itself.

Pure functions over numbers, so each rule is tested without starting anything. A request that can
never fit is a `LimitExceeded` (422); one that would fit once running jobs end is a
`CapacityExhausted` (429) with a Retry-After of when the first running job ends.
"""

from __future__ import annotations

import math

from load_harness.errors import CapacityExhausted, LimitExceeded

MIB = 1024 * 1024


def retry_after(*, seconds_until_first_end: float | None) -> int:
    """Whole seconds until a running job ends and frees capacity (at least 1)."""
    if seconds_until_first_end is None:
        return 1
    return max(1, math.ceil(seconds_until_first_end))


def admit_job_slot(*, running: int, max_jobs: int, retry_after_seconds: int) -> None:
    """Refuse a job beyond the configured number of concurrent jobs."""
    if running >= max_jobs:
        raise CapacityExhausted(
            f"{running} jobs are running and at most {max_jobs} may run at once",
            retry_after_seconds=retry_after_seconds,
        )


def cpu_cap(*, quota_cores: float) -> int:
    """Busy cores the container can take: its CPU quota rounded down, at least one."""
    return max(1, math.floor(quota_cores))


def admit_cores(
    *, cores: int, quota_cores: float, cores_in_use: int, retry_after_seconds: int
) -> None:
    """Refuse more busy cores than the CPU quota, alone or together with running CPU jobs."""
    cap = cpu_cap(quota_cores=quota_cores)
    if cores > cap:
        raise LimitExceeded(
            f"cores {cores} exceeds this container's CPU quota of {quota_cores:g} "
            f"cores (at most {cap})"
        )
    if cores_in_use + cores > cap:
        raise CapacityExhausted(
            f"cores {cores} requested but running CPU jobs already use {cores_in_use} "
            f"of the {cap} the CPU quota allows",
            retry_after_seconds=retry_after_seconds,
        )


def memory_cap_bytes(*, limit_bytes: int, share: float) -> int:
    """Bytes all memory jobs together may hold: `share` of the container's memory limit."""
    return int(limit_bytes * share)


def admit_memory(
    *, requested_bytes: int, cap_bytes: int, held_bytes: int, share: float, retry_after_seconds: int
) -> None:
    """Refuse memory beyond the cap, alone or together with what running jobs hold."""
    if requested_bytes > cap_bytes:
        raise LimitExceeded(
            f"megabytes {requested_bytes // MIB} exceeds the cap of {cap_bytes // MIB} MiB "
            f"({share:g} of this container's memory limit)"
        )
    free = cap_bytes - held_bytes
    if requested_bytes > free:
        raise CapacityExhausted(
            f"megabytes {requested_bytes // MIB} requested but only {free // MIB} MiB of the "
            f"{cap_bytes // MIB} MiB cap is free while running jobs hold {held_bytes // MIB} MiB",
            retry_after_seconds=retry_after_seconds,
        )
