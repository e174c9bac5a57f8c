"""Windows that do not start or end at midnight (the API's default `until` is now): a day the
report's windows cut reads its rollup less the facts of its shorter pieces, and the figures
still equal the direct queries', also when the pieces read from the facts hold the day's
smallest or largest value of a bucket (the derived piece's bounds are then unknown and its
bucket is read)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_windows import DAY_SECONDS, Window, weekly_buckets, window_ending
from portal.services import dora_rollup_reads
from portal.services.dora_facts import ChangeFact, DeploymentFact, record_change, record_deployment
from portal.services.dora_metrics import count_deployments
from portal.services.dora_queries import Filters, lead_times, percentiles, recovery_times
from portal.services.dora_rollup_reads import (
    Segment,
    Split,
    Summary,
    Tally,
    rest_of_day,
    segments,
    splits,
    summarize,
)

CUT_DAY = datetime(2026, 11, 10, tzinfo=UTC)
"""The day the window's two weeks meet at 07:00."""
UNTIL = CUT_DAY + timedelta(days=7, hours=7)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def test_the_longest_piece_of_a_cut_day_is_derived_from_the_days_rollup() -> None:
    window = window_ending(until=UNTIL, days=14)
    cut = segments([window, *weekly_buckets(window)], rolled=True)
    day = int(_epoch(CUT_DAY) // DAY_SECONDS)
    seven = _epoch(CUT_DAY + timedelta(hours=7))
    at = {(segment.start, segment.end): index for index, segment in enumerate(cut)}
    morning = at[(_epoch(CUT_DAY), seven)]
    rest_of_day = at[(seven, _epoch(CUT_DAY + timedelta(days=1)))]
    first, last = _epoch(window.start), _epoch(UNTIL)
    start_day, end_day = int(first // DAY_SECONDS), int(last // DAY_SECONDS)
    start_piece = at[(first, (start_day + 1) * DAY_SECONDS)]
    end_piece = at[(end_day * DAY_SECONDS, last)]
    before_start = Segment(start_day * DAY_SECONDS, first, rolled=False)
    after_end = Segment(last, (end_day + 1) * DAY_SECONDS, rolled=False)
    # Asked at `until`: the hours after it hold nothing yet, so the end day's morning (7 h) is
    # its rollup less those hours; the start day's 17 h are its rollup less its first 7 h.
    assert splits(cut, now=last) == [
        Split(start_day, start_piece, (start_piece,), (before_start,)),
        Split(day, rest_of_day, (morning, rest_of_day), ()),
        Split(end_day, end_piece, (end_piece,), (after_end,)),
    ]
    # Asked a day later: the end day's 17 h after `until` are longer than its 7 h: facts.
    assert splits(cut, now=last + DAY_SECONDS) == [
        Split(start_day, start_piece, (start_piece,), (before_start,)),
        Split(day, rest_of_day, (morning, rest_of_day), ()),
    ]


async def _deploy(
    session: AsyncSession, key: str, at: datetime, outcome: str, leads: list[int]
) -> None:
    for number, lead in enumerate(leads):
        await record_change(
            session,
            ChangeFact(
                repo="org/api",
                sha=f"{key}-c{number}",
                committed_at=at - timedelta(seconds=lead),
                deployment_commit_sha=f"{key}-sha",
            ),
        )
    await record_deployment(
        session,
        DeploymentFact(
            source="api",
            external_key=key,
            service="api",
            finished_at=at,
            outcome=outcome,
            commit_sha=f"{key}-sha",
        ),
    )
    await session.commit()


async def _direct(session: AsyncSession, window: Window) -> Summary:
    connection = await session.connection()
    counts = await count_deployments(connection, window, Filters())
    changes, lead = await percentiles(connection, lead_times(window, Filters()), (0.5, 0.9))
    recoveries, recovery = await percentiles(connection, recovery_times(window, Filters()), (0.5,))
    return Summary(
        counts.total, counts.successful, counts.failed, counts.unplanned,
        counts.deployment_days, changes, tuple(lead), recoveries, tuple(recovery),
    )  # fmt: skip


async def test_a_cut_days_derived_piece_equals_its_facts(session: AsyncSession) -> None:
    """The cut day's smallest and largest lead times of one bucket (3600 and 3700 s) are in its
    morning, read from the facts: the rest of the day, its rollup less the morning, knows neither
    bound and reads the bucket; the window, holding the whole day, reads its rollup with the
    bounds."""
    await _answers_equal_the_facts(session)


async def test_a_refused_piece_is_read_from_the_facts(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the day's rollup and its pieces disagree (a write committed between the two
    statements), the derived piece is read from the facts, with the same figures."""
    refused: list[int] = []

    def disagreeing(whole: Tally, parts: list[Tally], day: int) -> None:
        refused.append(day)

    monkeypatch.setattr(dora_rollup_reads, "rest_of_day", disagreeing)
    await _answers_equal_the_facts(session)
    assert refused


async def _answers_equal_the_facts(session: AsyncSession) -> None:
    day = CUT_DAY
    history = [
        ("a", day - timedelta(days=3, hours=2), "success", [3650, 90_000]),
        ("b", day + timedelta(hours=2), "failed", [3600]),
        ("c", day + timedelta(hours=5), "success", [3600, 3700]),
        ("d", day + timedelta(hours=9), "failed", [3620]),
        ("e", day + timedelta(hours=15), "success", [3610, 3640]),
        ("f", day + timedelta(hours=20), "success", [3690]),
        ("g", day + timedelta(days=4, hours=1), "success", [3650]),
        ("h", UNTIL - timedelta(hours=3), "failed", [3600]),
        ("i", UNTIL - timedelta(hours=1), "success", [100, 200, 300]),
        ("j", UNTIL + timedelta(hours=2), "success", [3600]),
    ]
    for key, at, outcome, leads in history:
        await _deploy(session, key, at, outcome, leads)
    connection = await session.connection()
    for until in (UNTIL, UNTIL + timedelta(hours=6), UNTIL - timedelta(hours=6, minutes=30)):
        window = window_ending(until=until, days=14)
        everything = [window, *weekly_buckets(window)]
        expected = [await _direct(session, part) for part in everything]
        for from_bounds in (True, False):
            found = await summarize(
                connection,
                everything,
                Filters(),
                lead_quantiles=[(0.5, 0.9)] * len(everything),
                recovery_quantiles=[(0.5,)] * len(everything),
                from_bounds=from_bounds,
            )
            assert found == expected, (until, from_bounds)
        if until == UNTIL:
            # The last week's median is its bucket's smallest lead, 3610 s (the day's 3600 s
            # is in the morning): bounds the rollup less the morning must not claim.
            assert expected[-1].lead[0] == 3610


def test_pieces_the_days_rollup_does_not_hold_are_refused() -> None:
    """A write committed between reading the day's rollup and its pieces' facts (each statement
    sees its own snapshot under READ COMMITTED): the derived piece is read from the facts."""
    day = int(_epoch(CUT_DAY) // DAY_SECONDS)
    whole = Tally(total=2, successful=1, failed=1)
    whole.leads[10].add(2, 1.0, 1.5, 1, 1)
    more = Tally(total=3, successful=2, failed=1)
    assert rest_of_day(whole, [more], day) is None
    outside = Tally(total=1, successful=1)
    outside.leads[10].add(1, 0.5, 0.5)
    assert rest_of_day(whole, [outside], day) is None
    unknown_bucket = Tally(total=1, successful=1)
    unknown_bucket.leads[11].add(1, 2.0, 2.0)
    assert rest_of_day(whole, [unknown_bucket], day) is None
    inside = Tally(total=1, failed=1)
    rest = rest_of_day(whole, [inside], day)
    assert rest is not None
    assert (rest.total, rest.successful, rest.failed, rest.days) == (1, 1, 0, 1)
    assert (rest.first_day, rest.last_day) == (day, day)
    assert rest.leads[10] == whole.leads[10]
