"""The rollups answer exactly what the facts say: random deployments, changes and incidents,
delivered in any order, replayed, and re-ingested with another finish time (moving a deployment
to another day), then every window (midnight-aligned or not), its weekly trend and filters give
the same counts, lead times and recoveries from `summarize` as from the direct queries, with the
percentiles the buckets' smallest and largest values give and with every bucket read; and the
same failures caught by canaries and split at several caught weights from the failure rollup as
from the facts (exposures are whole numbers, so their sums are exact in any order)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_windows import Window, weekly_buckets, window_ending
from portal.models.dora import (
    CHANGES,
    DEPLOYMENTS,
    INCIDENTS,
    LINKS,
    PUSHES,
    ROLLUP_DAYS,
    ROLLUP_FAILURES,
    ROLLUP_LEADS,
    ROLLUP_RECOVERIES,
)
from portal.services.dora_facts import (
    ChangeFact,
    DeploymentFact,
    IncidentFact,
    deployment_of_commit,
    record_change,
    record_deployment,
    record_incident,
)
from portal.services.dora_metrics import (
    canary_caught,
    canary_caught_of,
    count_deployments,
    failure_split,
    failure_split_of,
)
from portal.services.dora_queries import Filters, lead_times, percentiles, recovery_times
from portal.services.dora_rollup_reads import Summary, failure_groups, summarize

BASE = datetime(2026, 11, 1, tzinfo=UTC)
SERVICES = ("api", "web")

minutes = st.integers(min_value=0, max_value=20 * 24 * 60)
deploys = st.tuples(
    st.just("deploy"),
    st.integers(0, 9),  # key: the same key again is a replay, maybe at another time
    st.sampled_from(SERVICES),
    st.sampled_from(("c1", "c2")),
    minutes,
    st.sampled_from(("success", "success", "failed")),
    st.booleans(),  # planned
    st.integers(0, 4),  # commit
    st.sampled_from(("api", "flagger")),
    st.one_of(st.none(), st.integers(0, 100)),  # peak weight
    st.sampled_from((None, "threshold", "promotion-failed: primary not ready")),
    st.one_of(st.none(), st.integers(0, 5000).map(float)),  # exposure
)
changes = st.tuples(
    st.just("change"), st.integers(0, 30), st.integers(0, 4), minutes, st.integers(0, 4)
)
incidents = st.tuples(
    st.just("incident"),
    st.sampled_from(SERVICES),
    minutes,
    st.one_of(st.none(), st.integers(0, 3000)),
    st.one_of(st.none(), st.integers(0, 4)),
)
histories = st.lists(st.one_of(deploys, changes, incidents), min_size=1, max_size=30)
windows = st.tuples(st.integers(0, 22 * 24 * 60), st.sampled_from((1, 3, 7, 15)))


async def _clear(session: AsyncSession) -> None:
    for table in (
        INCIDENTS, LINKS, CHANGES, PUSHES, DEPLOYMENTS, ROLLUP_DAYS, ROLLUP_LEADS,
        ROLLUP_RECOVERIES, ROLLUP_FAILURES,
    ):  # fmt: skip
        await session.exec(delete(table))  # type: ignore[call-overload]
    await session.commit()


async def _ingest(session: AsyncSession, event: tuple[object, ...]) -> None:
    kind = event[0]
    if kind == "deploy":
        _, key, service, cluster, at, outcome, planned, commit, source, peak, cause, exposure = (
            event
        )
        await record_deployment(
            session,
            DeploymentFact(
                source=str(source),
                peak_weight=peak,  # type: ignore[arg-type]
                failure_cause=cause,  # type: ignore[arg-type]
                exposure_weight_seconds=exposure,  # type: ignore[arg-type]
                external_key=f"k{key}",
                service=str(service),
                cluster=str(cluster),
                finished_at=BASE + timedelta(minutes=int(at)),  # type: ignore[call-overload]
                outcome=str(outcome),
                planned=bool(planned),
                commit_sha=f"sha{commit}",
            ),
        )
    elif kind == "change":
        _, number, commit, at, _unused = event
        await record_change(
            session,
            ChangeFact(
                repo="org/app",
                sha=f"c{number}",
                committed_at=BASE + timedelta(minutes=int(at) - 600),  # type: ignore[call-overload]
                deployment_commit_sha=f"sha{commit}",
            ),
        )
    else:
        _, service, at, lasting, commit = event
        opened = BASE + timedelta(minutes=int(at))  # type: ignore[call-overload]
        linked = None
        if commit is not None:
            linked = await deployment_of_commit(
                session, service=str(service), commit_sha=f"sha{commit}"
            )
        resolved = opened + timedelta(minutes=int(lasting)) if lasting is not None else None  # type: ignore[call-overload]
        await record_incident(
            session,
            IncidentFact(
                service=str(service), opened_at=opened, resolved_at=resolved, deployment_id=linked
            ),
        )
    await session.commit()


async def _direct(session: AsyncSession, window: Window, filters: Filters) -> Summary:
    connection = await session.connection()
    counts = await count_deployments(connection, window, filters)
    changes_, lead = await percentiles(connection, lead_times(window, filters), (0.5, 0.9))
    recoveries, recovery = await percentiles(connection, recovery_times(window, filters), (0.5,))
    return Summary(
        total=counts.total,
        successful=counts.successful,
        failed=counts.failed,
        unplanned=counts.unplanned,
        deployment_days=counts.deployment_days,
        changes=changes_,
        lead=tuple(lead),
        recoveries=recoveries,
        recovery=tuple(recovery),
    )


@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=histories,
    replayed=st.lists(st.integers(0, 29), max_size=8),
    moved=st.lists(st.tuples(st.integers(0, 29), minutes), max_size=4),
    asked=st.lists(windows, min_size=1, max_size=3),
)
async def test_rollup_answers_equal_the_direct_queries(
    session: AsyncSession,
    history: list[tuple[object, ...]],
    replayed: list[int],
    moved: list[tuple[int, int]],
    asked: list[tuple[int, int]],
) -> None:
    await _clear(session)
    again = [history[i] for i in replayed if i < len(history)]
    elsewhen = [
        (*history[i][:4], at, *history[i][5:])
        for i, at in moved
        if i < len(history) and history[i][0] == "deploy"
    ]
    for event in history + again + elsewhen:
        await _ingest(session, event)
    connection = await session.connection()
    for at, days in [*asked, (22 * 24 * 60, 30)]:
        until = BASE + timedelta(minutes=at)
        for midnight in (False, True):
            end = until.replace(hour=0, minute=0) if midnight else until
            window = window_ending(until=end, days=days)
            weeks = weekly_buckets(window)
            for filters in (Filters(), Filters(service="api"), Filters(cluster="c2")):
                everything = [window, *weeks]
                found = await summarize(
                    connection,
                    everything,
                    filters,
                    lead_quantiles=[(0.5, 0.9)] * len(everything),
                    recovery_quantiles=[(0.5,)] * len(everything),
                )
                read = await summarize(
                    connection,
                    everything,
                    filters,
                    lead_quantiles=[(0.5, 0.9)] * len(everything),
                    recovery_quantiles=[(0.5,)] * len(everything),
                    from_bounds=False,
                )
                expected = [await _direct(session, part, filters) for part in everything]
                assert found == expected, (window, filters)
                assert read == expected, (window, filters)
                groups = await failure_groups(connection, window, filters)
                failed = expected[0].failed
                assert canary_caught_of(groups, failed=failed) == await canary_caught(
                    connection, window, filters, failed=failed
                ), (window, filters)
                for weight in (0, 10, 50, 100):
                    assert failure_split_of(groups, weight) == await failure_split(
                        connection, window, filters, weight
                    ), (window, filters, weight)


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
