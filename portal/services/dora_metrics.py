"""The five DORA metrics for a window and filters, with their levels and a weekly trend.

Definitions: ../docs/dora.md. Rates are fractions 0..1, durations seconds, and `None` stands for
"no data" (a window without deployments), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_levels import (
    Level,
    LevelsTable,
    failure_rate_level,
    frequency_level,
    lead_time_level,
    recovery_level,
)
from portal.domain.dora_windows import Window, weekly_buckets
from portal.models.dora import DEPLOYMENTS, INCIDENTS
from portal.services.dora_queries import (
    Filters,
    finished_in,
    incident_linked,
    matching,
    scalar_row,
)
from portal.services.dora_rollup_reads import FailureGroup, Summary, failure_groups, summarize


@dataclass(frozen=True, slots=True)
class Frequency:
    per_day: float | None
    deployment_days_per_week: float | None
    successful: int
    level: Level | None


@dataclass(frozen=True, slots=True)
class LeadTime:
    median_seconds: float | None
    p90_seconds: float | None
    changes: int
    level: Level | None


@dataclass(frozen=True, slots=True)
class FailureRate:
    rate: float | None
    failed: int
    total: int
    level: Level | None


@dataclass(frozen=True, slots=True)
class Recovery:
    median_seconds: float | None
    recoveries: int
    level: Level | None


@dataclass(frozen=True, slots=True)
class Rework:
    rate: float | None
    unplanned: int
    total: int


@dataclass(frozen=True, slots=True)
class Counts:
    total: int
    successful: int
    failed: int
    unplanned: int
    deployment_days: int


@dataclass(frozen=True, slots=True)
class WeekTrend:
    week_start: Any
    week_end: Any
    deployments: int
    successful: int
    failed: int
    change_failure_rate: float | None
    lead_time_median_seconds: float | None
    recovery_median_seconds: float | None
    rework_rate: float | None


@dataclass(frozen=True, slots=True)
class CanaryCaught:
    """Failures a canary stopped before the primary took them, and those that got through."""

    caught: int
    caught_peak_weight: int | None
    caught_exposure_weight_seconds: float | None
    reached_production: int


DEFAULT_CAUGHT_MAX_WEIGHT = 50
"""A failure counts as caught when its canary never carried more than this share of traffic:
Flagger's documented canaries stop at `maxWeight: 50`, so the canary never served most users."""


@dataclass(frozen=True, slots=True)
class CaughtFailures:
    count: int
    max_weight: int | None
    exposure_weight_seconds: float | None


@dataclass(frozen=True, slots=True)
class ReachedFailures:
    count: int
    exposure_weight_seconds: float | None


@dataclass(frozen=True, slots=True)
class FailureSplit:
    """Change failure rate's failures split at `caught_max_weight` percent of routed traffic."""

    caught_max_weight: int
    caught: CaughtFailures
    reached_production: ReachedFailures


@dataclass(frozen=True, slots=True)
class DoraReport:
    window: Window
    filters: Filters
    levels_table: LevelsTable
    deployment_frequency: Frequency
    lead_time: LeadTime
    change_failure_rate: FailureRate
    recovery_time: Recovery
    rework_rate: Rework
    canary_failures: CanaryCaught
    failure_split: FailureSplit
    trend: list[WeekTrend] = field(default_factory=list)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def count_deployments(
    connection: AsyncConnection, window: Window, filters: Filters
) -> Counts:
    """Every count one pass over the window's deployments gives."""
    row = DEPLOYMENTS
    success = row.c.outcome == "success"
    statement = select(
        func.count(),
        _count_if(success),
        _count_if((row.c.outcome == "failed") | incident_linked(row)),
        _count_if(row.c.planned.is_(False) | row.c.follows_failure.is_(True)),
        func.count(func.distinct(case((success, row.c.finished_day)))),
    ).where(*finished_in(row, window), *matching(row, filters))
    total, successful, failed, unplanned, days = await scalar_row(connection, statement)
    return Counts(int(total), int(successful), int(failed), int(unplanned), int(days))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _frequency(counts: Counts, window: Window, table: LevelsTable) -> Frequency:
    if counts.total == 0 or window.days <= 0:
        return Frequency(None, None, counts.successful, None)
    per_day = counts.successful / window.days
    days_per_week = counts.deployment_days / (window.days / 7)
    return Frequency(per_day, days_per_week, counts.successful, frequency_level(per_day, table))


async def compute_report(
    session: AsyncSession,
    *,
    window: Window,
    filters: Filters,
    table: LevelsTable = "2023",
    with_trend: bool = True,
    caught_max_weight: int = DEFAULT_CAUGHT_MAX_WEIGHT,
) -> DoraReport:
    connection = await session.connection()
    weeks = weekly_buckets(window) if with_trend else []
    whole, *weekly = await summarize(
        connection,
        [window, *weeks],
        filters,
        lead_quantiles=[(0.5, 0.9)] + [(0.5,)] * len(weeks),
        recovery_quantiles=[(0.5,)] * (len(weeks) + 1),
    )
    counts = _counts(whole)
    median, p90 = whole.lead
    (recovery,) = whole.recovery
    rate = _ratio(counts.failed, counts.total)
    groups = await failure_groups(connection, window, filters)
    canary = canary_caught_of(groups, failed=counts.failed)
    split = failure_split_of(groups, caught_max_weight)
    return DoraReport(
        window=window,
        filters=filters,
        levels_table=table,
        deployment_frequency=_frequency(counts, window, table),
        lead_time=LeadTime(median, p90, whole.changes, lead_time_level(median, table)),
        change_failure_rate=FailureRate(
            rate, counts.failed, counts.total, failure_rate_level(rate, table)
        ),
        recovery_time=Recovery(recovery, whole.recoveries, recovery_level(recovery, table)),
        rework_rate=Rework(_ratio(counts.unplanned, counts.total), counts.unplanned, counts.total),
        canary_failures=canary,
        failure_split=split,
        trend=[_week(week, summary) for week, summary in zip(weeks, weekly, strict=True)],
    )


def _counts(summary: Summary) -> Counts:
    return Counts(
        summary.total,
        summary.successful,
        summary.failed,
        summary.unplanned,
        summary.deployment_days,
    )


def _week(week: Window, summary: Summary) -> WeekTrend:
    return WeekTrend(
        week_start=week.start,
        week_end=week.end,
        deployments=summary.total,
        successful=summary.successful,
        failed=summary.failed,
        change_failure_rate=_ratio(summary.failed, summary.total),
        lead_time_median_seconds=summary.lead[0],
        recovery_median_seconds=summary.recovery[0],
        rework_rate=_ratio(summary.unplanned, summary.total),
    )


async def canary_caught(
    connection: AsyncConnection, window: Window, filters: Filters, *, failed: int
) -> CanaryCaught:
    """Directly from the facts (the report reads `canary_caught_of` the failure rollup; the
    tests hold the two equal). A rolled-back Flagger run never replaced the primary (a failed
    promotion did: it had routed everything to the new version), so only its canary traffic met
    the failure."""
    row = DEPLOYMENTS
    statement = select(
        func.count(), func.max(row.c.peak_weight), func.sum(row.c.exposure_weight_seconds)
    ).where(
        row.c.source == "flagger",
        row.c.outcome == "failed",
        func.coalesce(row.c.failure_cause, "").not_like("promotion-failed%"),
        *finished_in(row, window),
        *matching(row, filters),
    )
    caught, peak, exposure = await scalar_row(connection, statement)
    return CanaryCaught(
        caught=int(caught),
        caught_peak_weight=int(peak) if peak is not None else None,
        caught_exposure_weight_seconds=float(exposure) if exposure is not None else None,
        reached_production=failed - int(caught),
    )


def _summed(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _highest(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def canary_caught_of(groups: list[FailureGroup], *, failed: int) -> CanaryCaught:
    """`canary_caught` from the window's failure groups (dora_rollup_reads.failure_groups)."""
    canaries = [group for group in groups if group.canary]
    caught = sum(group.count for group in canaries)
    return CanaryCaught(
        caught=caught,
        caught_peak_weight=_highest([group.peak for group in canaries]),
        caught_exposure_weight_seconds=_summed([group.exposure for group in canaries]),
        reached_production=failed - caught,
    )


def failure_split_of(groups: list[FailureGroup], caught_max_weight: int) -> FailureSplit:
    """`failure_split` from the window's failure groups: a canary rollback is caught at a peak
    weight of at most `caught_max_weight` (none recorded: 0)."""
    caught = [group for group in groups if group.canary and group.weight <= caught_max_weight]
    reached = [group for group in groups if group not in caught]
    return FailureSplit(
        caught_max_weight=caught_max_weight,
        caught=CaughtFailures(
            sum(group.count for group in caught),
            _highest([group.peak for group in caught]),
            _summed([group.exposure for group in caught]),
        ),
        reached_production=ReachedFailures(
            sum(group.count for group in reached), _summed([group.exposure for group in reached])
        ),
    )


def _float_or_none(value: Any) -> float | None:
    return float(value) if value is not None else None


async def failure_split(
    connection: AsyncConnection, window: Window, filters: Filters, caught_max_weight: int
) -> FailureSplit:
    """Directly from the facts (the report reads `failure_split_of` the failure rollup; the
    tests hold the two equal). The window's failures (as change failure rate counts them):
    caught when a rolled-back Flagger run routed at most `caught_max_weight` percent to the
    canary (no recorded step: it failed before any traffic moved), otherwise reached production;
    each side sums its failures' known exposure (weight share x seconds)."""
    row = DEPLOYMENTS
    columns = (row.c.source, row.c.outcome, row.c.failure_cause, row.c.peak_weight)
    window_rows = (*finished_in(row, window), *matching(row, filters))
    # The failed ones by their index, then the others an incident names (few): one OR of the
    # two would read every deployment of the window.
    linked = select(INCIDENTS.c.deployment_id).where(INCIDENTS.c.deployment_id.is_not(None))
    failures = union_all(
        select(*columns, row.c.exposure_weight_seconds).where(
            row.c.outcome == "failed", *window_rows
        ),
        select(*columns, row.c.exposure_weight_seconds).where(
            row.c.outcome != "failed", row.c.id.in_(linked), *window_rows
        ),
    ).subquery("failures")
    failure = failures.c
    caught = (
        (failure.source == "flagger")
        & (failure.outcome == "failed")
        & func.coalesce(failure.failure_cause, "").not_like("promotion-failed%")
        & (func.coalesce(failure.peak_weight, 0) <= caught_max_weight)
    )
    statement = select(
        _count_if(caught),
        func.max(case((caught, failure.peak_weight))),
        func.sum(case((caught, failure.exposure_weight_seconds))),
        _count_if(~caught),
        func.sum(case((~caught, failure.exposure_weight_seconds))),
    )
    count, peak, exposure, reached, reached_exposure = await scalar_row(connection, statement)
    return FailureSplit(
        caught_max_weight=caught_max_weight,
        caught=CaughtFailures(
            int(count), int(peak) if peak is not None else None, _float_or_none(exposure)
        ),
        reached_production=ReachedFailures(int(reached), _float_or_none(reached_exposure)),
    )
