"""The five DORA metrics over the golden dataset (tests/integration/dora/golden.py), exact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_levels import Level
from portal.domain.dora_windows import window_ending
from portal.models import Change, Deployment, DeploymentChange, Incident, Push
from portal.services.dora_facts import (
    DeploymentFact,
    IncidentFact,
    record_deployment,
    record_incident,
)
from portal.services.dora_metrics import (
    CaughtFailures,
    DoraReport,
    FailureRate,
    FailureSplit,
    Frequency,
    LeadTime,
    ReachedFailures,
    Recovery,
    Rework,
    compute_report,
)
from portal.services.dora_queries import Filters
from tests.integration.dora import golden


async def report(
    session: AsyncSession, filters: Filters | None = None, *, days: int = 7, until=golden.UNTIL
) -> DoraReport:
    window = window_ending(until=until, days=days)
    return await compute_report(session, window=window, filters=filters or Filters())


async def test_no_deployments_means_no_data_not_zero(session: AsyncSession) -> None:
    found = await report(session)
    assert found.deployment_frequency == Frequency(None, None, 0, None)
    assert found.lead_time == LeadTime(None, None, 0, None)
    assert found.change_failure_rate == FailureRate(None, 0, 0, None)
    assert found.recovery_time == Recovery(None, 0, None)
    assert found.rework_rate == Rework(None, 0, 0)
    assert len(found.trend) == 1


async def test_one_failure(session: AsyncSession) -> None:
    await golden.record_deployment(session, golden.DEPLOYMENTS[9])  # db f1, failed
    await session.commit()
    found = await report(session)
    assert found.deployment_frequency == Frequency(0.0, 0.0, 0, Level.LOW)
    assert found.change_failure_rate == FailureRate(1.0, 1, 1, Level.LOW)
    assert found.recovery_time == Recovery(None, 0, None)
    assert found.rework_rate == Rework(0.0, 0, 1)


async def test_golden_fleet(session: AsyncSession) -> None:
    await golden.load(session)
    found = await report(session)
    assert found.deployment_frequency == Frequency(5 / 7, 5.0, 5, Level.HIGH)
    assert found.lead_time == LeadTime(43200.0, 146880.0, 9, Level.ELITE)
    assert found.change_failure_rate == FailureRate(3 / 8, 3, 8, Level.LOW)
    assert found.recovery_time == Recovery(61200.0, 2, Level.HIGH)
    assert found.rework_rate == Rework(3 / 8, 3, 8)


async def test_out_of_order_delivery_gives_the_same_figures(session: AsyncSession) -> None:
    await golden.load(session, reverse=True)
    found = await report(session)
    assert found.lead_time == LeadTime(43200.0, 146880.0, 9, Level.ELITE)
    assert found.change_failure_rate == FailureRate(3 / 8, 3, 8, Level.LOW)
    assert found.recovery_time == Recovery(61200.0, 2, Level.HIGH)
    assert found.rework_rate == Rework(3 / 8, 3, 8)


async def _row_counts(session: AsyncSession) -> list[int]:
    counts = []
    for model in (Deployment, Change, Push, DeploymentChange, Incident):
        counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return counts


async def test_replaying_every_fact_changes_nothing(session: AsyncSession) -> None:
    await golden.load(session)
    before = await _row_counts(session)
    await golden.load(session)
    await golden.load(session, reverse=True)
    assert await _row_counts(session) == before == [11, 11, 8, 15, 0]
    found = await report(session)
    assert found.lead_time == LeadTime(43200.0, 146880.0, 9, Level.ELITE)


async def test_one_service_and_its_squash_merge(session: AsyncSession) -> None:
    await golden.load(session)
    found = await report(session, Filters(service="web"))
    assert found.deployment_frequency == Frequency(2 / 7, 2.0, 2, Level.HIGH)
    assert found.lead_time == LeadTime(43200.0, 77760.0, 3, Level.ELITE)
    assert found.change_failure_rate == FailureRate(0.0, 0, 2, Level.ELITE)
    assert found.recovery_time == Recovery(None, 0, None)
    assert found.rework_rate == Rework(0.5, 1, 2)


async def test_recovery_after_the_window_counts_in_the_next(session: AsyncSession) -> None:
    await golden.load(session)
    db = Filters(service="db", cluster="c1")
    inside = await report(session, db)
    assert inside.recovery_time == Recovery(None, 0, None)
    assert inside.change_failure_rate == FailureRate(1.0, 1, 1, Level.LOW)
    after = await report(session, db, until=golden.UNTIL + timedelta(days=7))
    assert after.recovery_time == Recovery(21600.0, 1, Level.HIGH)
    assert after.rework_rate == Rework(1.0, 1, 1)


async def test_incident_counts_as_failure_and_recovery(session: AsyncSession) -> None:
    await golden.load(session)
    w1 = await golden.deployment_id(session, "w1")
    opened = golden.at(27)
    incident = IncidentFact(
        service="web", opened_at=opened, resolved_at=golden.at(27, 2), deployment_id=w1
    )
    await record_incident(session, incident)
    await record_incident(session, incident)
    await session.commit()
    found = await report(session)
    assert found.change_failure_rate == FailureRate(0.5, 4, 8, Level.LOW)
    assert found.recovery_time == Recovery(36000.0, 3, Level.HIGH)


async def test_weekly_trend_buckets(session: AsyncSession) -> None:
    await golden.load(session)
    found = await report(session, Filters(service="api"), days=14)
    assert [(week.week_start, week.deployments, week.failed) for week in found.trend] == [
        (golden.at(16), 2, 1),
        (golden.at(23), 5, 2),
    ]
    assert found.trend[1].recovery_median_seconds == 61200.0
    assert found.trend[0].lead_time_median_seconds == 86400.0  # d0 shipped s0 a day after


def _canary_failure(
    key: str, hour: int, peak: int | None, exposure: float | None, **extra: object
) -> DeploymentFact:
    fields: dict[str, object] = {
        "source": "flagger",
        "outcome": "failed",
        "failure_cause": "threshold: canary analysis failed",
    }
    fields.update(extra)
    return DeploymentFact(
        external_key=key,
        service="cart",
        cluster="c1",
        namespace="shop",
        finished_at=golden.at(28, hour),
        peak_weight=peak,
        exposure_weight_seconds=exposure,
        **fields,  # type: ignore[arg-type]
    )


CANARY_FAILURES = [
    _canary_failure("k10", 1, 10, 60.0),  # 10% for 600 s
    _canary_failure("k50", 2, 50, 300.0),  # at the threshold: caught
    _canary_failure("k60", 3, 60, 1200.0),  # rolled back above the threshold
    _canary_failure("kpf", 4, 100, 500.0, failure_cause="promotion-failed: primary not ready"),
    _canary_failure("k00", 5, None, None),  # failed before any traffic moved
    _canary_failure("ci", 6, None, None, source="api"),  # a CI failure: no canary
    _canary_failure("ok", 7, 50, 900.0, outcome="success", failure_cause=None),
]


async def test_failures_split_at_the_caught_weight(session: AsyncSession) -> None:
    for fact in CANARY_FAILURES:
        await record_deployment(session, fact)
    await session.commit()
    window = window_ending(until=golden.UNTIL, days=7)
    found = await compute_report(session, window=window, filters=Filters())
    assert found.change_failure_rate == FailureRate(6 / 7, 6, 7, Level.LOW)
    # caught at <= 50%: k10, k50, k00; reached production: k60, kpf, ci
    assert found.failure_split == FailureSplit(
        caught_max_weight=50,
        caught=CaughtFailures(count=3, max_weight=50, exposure_weight_seconds=360.0),
        reached_production=ReachedFailures(count=3, exposure_weight_seconds=1700.0),
    )
    narrow = await compute_report(
        session, window=window, filters=Filters(), with_trend=False, caught_max_weight=10
    )
    # caught at <= 10%: k10, k00; k50 joins those that reached production
    assert narrow.failure_split == FailureSplit(
        caught_max_weight=10,
        caught=CaughtFailures(count=2, max_weight=10, exposure_weight_seconds=60.0),
        reached_production=ReachedFailures(count=4, exposure_weight_seconds=2000.0),
    )
