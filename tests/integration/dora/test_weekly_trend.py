"""Every week of the weekly trend gives exactly what the figures of that week alone give: the
invariant any faster way of computing the trend (grouped queries, rollups) must keep."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_windows import Window, weekly_buckets, window_ending
from portal.services.dora_facts import ChangeFact, record_change
from portal.services.dora_metrics import WeekTrend, compute_report
from portal.services.dora_queries import Filters
from tests.integration.dora import golden


async def week_alone(session: AsyncSession, week: Window, filters: Filters) -> WeekTrend:
    found = await compute_report(session, window=week, filters=filters, with_trend=False)
    return WeekTrend(
        week_start=week.start,
        week_end=week.end,
        deployments=found.change_failure_rate.total,
        successful=found.deployment_frequency.successful,
        failed=found.change_failure_rate.failed,
        change_failure_rate=found.change_failure_rate.rate,
        lead_time_median_seconds=found.lead_time.median_seconds,
        recovery_median_seconds=found.recovery_time.median_seconds,
        rework_rate=found.rework_rate.rate,
    )


async def load_with_even_weeks(session: AsyncSession) -> None:
    """The golden dataset, plus changes that give some weeks an even number of lead times (the
    median interpolates between two ranked values) and others an odd one."""
    await golden.load(session)
    for hours in (3, 5, 11):
        await record_change(
            session,
            ChangeFact(
                repo="org/api",
                sha=f"e{hours}",
                committed_at=golden.at(20) - timedelta(hours=hours),
                deployment_commit_sha="s0",
            ),
        )
    await session.commit()


@pytest.mark.parametrize(
    ("days", "until", "filters"),
    [
        (28, golden.UNTIL, Filters()),
        (14, golden.UNTIL, Filters(service="api")),
        (30, golden.UNTIL, Filters(cluster="c1")),
        (10, golden.at(27, 13), Filters()),  # weeks cut mid-day
        (3, golden.UNTIL, Filters()),
        (200, golden.at(30, 5), Filters()),  # longer than the trend's 26 weeks: its last 26
    ],
)
async def test_every_week_of_the_trend_equals_that_week_alone(
    session: AsyncSession, days: int, until: datetime, filters: Filters
) -> None:
    await load_with_even_weeks(session)
    window = window_ending(until=until, days=days)
    weeks = weekly_buckets(window)
    found = await compute_report(session, window=window, filters=filters)
    trend = found.trend
    expected = [await week_alone(session, week, filters) for week in weeks]
    assert trend == expected
    assert sum(week.deployments for week in trend) > 0
