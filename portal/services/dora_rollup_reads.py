"""The DORA figures of several windows at once (a report's window and its weekly trend), from
the daily rollups where a window covers whole days of the fleet, and from the facts elsewhere.

The windows are cut into segments at every window edge (and, for the whole fleet, at the
midnights next to them): a segment of whole days reads the rollups, any other segment the facts
(a filtered report, the part-days at a window's edges). Each window sums its segments' counts and
rank-bucket histograms, finds every percentile's bucket there (portal/domain/dora_buckets.py),
and reads only those buckets' values, in one statement for all windows, for the exact value and
its interpolation neighbour. The figures equal dora_queries' direct computation exactly.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.domain.dora_buckets import locate
from portal.domain.dora_percentiles import Rank, interpolate, percentile_rank
from portal.domain.dora_windows import DAY_SECONDS, Window
from portal.models.dora import (
    DEPLOYMENTS,
    INCIDENTS,
    LINKS,
    ROLLUP_DAYS,
    ROLLUP_LEADS,
    ROLLUP_RECOVERIES,
)
from portal.services.dora_queries import (
    Filters,
    finished_in,
    incident_filters,
    incident_linked,
    matching,
)


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    rolled: bool
    """Whole days of the whole fleet: read from the rollups."""

    @property
    def days(self) -> tuple[int, int]:
        return int(self.start // DAY_SECONDS), int(self.end // DAY_SECONDS)


@dataclass(slots=True)
class Tally:
    """One segment's (or window's) counts, success days and histograms."""

    total: int = 0
    successful: int = 0
    failed: int = 0
    unplanned: int = 0
    days: int = 0
    first_day: int | None = None
    last_day: int | None = None
    leads: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    recoveries: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add_days(self, days: int, first: int | None, last: int | None) -> None:
        """Success days of a later segment: a day cut by a segment edge counts once."""
        if first is None or last is None or days == 0:
            return
        self.days += days - (1 if self.last_day == first else 0)
        self.first_day = self.first_day if self.first_day is not None else first
        self.last_day = last


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    successful: int
    failed: int
    unplanned: int
    deployment_days: int
    changes: int
    lead: tuple[float | None, ...]
    recoveries: int
    recovery: tuple[float | None, ...]


def segments(windows: Sequence[Window], *, rolled: bool) -> list[Segment]:
    cuts: set[float] = set()
    for window in windows:
        start, end = window.start_epoch, window.end_epoch
        cuts |= {start, end}
        if rolled:
            cuts |= {
                edge
                for edge in (
                    math.ceil(start / DAY_SECONDS) * DAY_SECONDS,
                    math.floor(end / DAY_SECONDS) * DAY_SECONDS,
                )
                if start < edge < end
            }
    ordered = sorted(cuts)
    return [
        Segment(start, end, rolled and start % DAY_SECONDS == 0 and end % DAY_SECONDS == 0)
        for start, end in itertools.pairwise(ordered)
    ]


def _segment_of(column: Any, found: Sequence[tuple[int, Segment]]) -> Any:
    return case(*[((column >= s.start) & (column < s.end), index) for index, s in found])


def _within(column: Any, found: Sequence[tuple[int, Segment]]) -> ColumnElement[bool]:
    return or_(*[and_(column >= s.start, column < s.end) for _, s in found])


def _day_segment(found: Sequence[tuple[int, Segment]], column: Any) -> Any:
    return case(*[((column >= s.days[0]) & (column < s.days[1]), index) for index, s in found])


def _day_within(found: Sequence[tuple[int, Segment]], column: Any) -> ColumnElement[bool]:
    return or_(*[and_(column >= s.days[0], column < s.days[1]) for _, s in found])


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _raw_counts(
    connection: AsyncConnection,
    raw: list[tuple[int, Segment]],
    filters: Filters,
    tallies: list[Tally],
) -> None:
    row = DEPLOYMENTS
    success = row.c.outcome == "success"
    success_day = case((success, row.c.finished_day))
    segment = _segment_of(row.c.finished_epoch, raw).label("segment")
    statement = (
        select(
            segment,
            func.count(),
            _count_if(success),
            _count_if((row.c.outcome == "failed") | incident_linked(row)),
            _count_if(row.c.planned.is_(False) | row.c.follows_failure.is_(True)),
            func.count(func.distinct(success_day)),
            func.min(success_day),
            func.max(success_day),
        )
        .where(_within(row.c.finished_epoch, raw), *matching(row, filters))
        .group_by(segment)
    )
    for index, total, ok, failed, unplanned, days, first, last in await _rows(
        connection, statement
    ):
        tally = tallies[index]
        tally.total, tally.successful = int(total), int(ok)
        tally.failed, tally.unplanned = int(failed), int(unplanned)
        tally.add_days(int(days), first, last)


async def _rolled_counts(
    connection: AsyncConnection, rolled: list[tuple[int, Segment]], tallies: list[Tally]
) -> None:
    row = ROLLUP_DAYS
    statement = (
        select(row.c.day, row.c.total, row.c.successful, row.c.failed, row.c.unplanned)
        .where(_day_within(rolled, row.c.day))
        .order_by(row.c.day)
    )
    found = await _rows(connection, statement)
    for index, segment in rolled:
        tally = tallies[index]
        low, high = segment.days
        for day, total, ok, failed, unplanned in found:
            if low <= day < high:
                tally.total += int(total)
                tally.successful += int(ok)
                tally.failed += int(failed)
                tally.unplanned += int(unplanned)
                if ok:
                    tally.add_days(1, int(day), int(day))


async def _rows(connection: AsyncConnection, statement: Any) -> list[Any]:
    return list((await connection.execute(statement)).all())


def _lead_rows(filters: Filters) -> Any:
    if not any(filters.as_dict().values()):
        return LINKS
    return LINKS.join(DEPLOYMENTS, DEPLOYMENTS.c.id == LINKS.c.deployment_id)


async def _histograms(
    connection: AsyncConnection,
    *,
    raw: list[tuple[int, Segment]],
    rolled: list[tuple[int, Segment]],
    everything: list[tuple[int, Segment]],
    filters: Filters,
    tallies: list[Tally],
) -> None:
    statements: list[tuple[str, Any]] = []
    if raw:
        segment = _segment_of(LINKS.c.finished_epoch, raw).label("segment")
        statements.append(
            (
                "leads",
                select(segment, LINKS.c.lead_bucket, func.count())
                .select_from(_lead_rows(filters))
                .where(
                    LINKS.c.lead_bucket.is_not(None),
                    _within(LINKS.c.finished_epoch, raw),
                    *matching(DEPLOYMENTS, filters),
                )
                .group_by(segment, LINKS.c.lead_bucket),
            )
        )
        segment = _segment_of(DEPLOYMENTS.c.finished_epoch, raw).label("segment")
        statements.append(
            (
                "recoveries",
                select(segment, DEPLOYMENTS.c.recovery_bucket, func.count())
                .where(
                    DEPLOYMENTS.c.recovery_bucket.is_not(None),
                    _within(DEPLOYMENTS.c.finished_epoch, raw),
                    *matching(DEPLOYMENTS, filters),
                )
                .group_by(segment, DEPLOYMENTS.c.recovery_bucket),
            )
        )
    for name, table in (("leads", ROLLUP_LEADS), ("recoveries", ROLLUP_RECOVERIES)):
        if rolled:
            segment = _day_segment(rolled, table.c.day).label("segment")
            statements.append(
                (
                    name,
                    select(segment, table.c.bucket, func.sum(table.c.count))
                    .where(_day_within(rolled, table.c.day))
                    .group_by(segment, table.c.bucket),
                )
            )
    segment = _segment_of(INCIDENTS.c.resolved_epoch, everything).label("segment")
    statements.append(
        (
            "recoveries",
            select(segment, INCIDENTS.c.recovery_bucket, func.count())
            .where(
                INCIDENTS.c.recovery_bucket.is_not(None),
                _within(INCIDENTS.c.resolved_epoch, everything),
                *incident_filters(filters),
            )
            .group_by(segment, INCIDENTS.c.recovery_bucket),
        )
    )
    for name, statement in statements:
        for index, bucket, count in await _rows(connection, statement):
            histogram = getattr(tallies[index], name)
            histogram[int(bucket)] += int(count)


@dataclass(frozen=True, slots=True)
class _Wanted:
    window: int
    kind: str
    quantile: float
    fraction: float


def _lead_values(window: Window, filters: Filters, first: int, last: int, offset: int) -> Any:
    """The values of buckets `first` and `last` (those between are empty in the window) in
    order from `offset`; a filtered report walks from its deployments (few), the fleet from the
    buckets' index."""
    conditions = [
        LINKS.c.lead_bucket.in_({first, last}),
        LINKS.c.finished_epoch >= window.start_epoch,
        LINKS.c.finished_epoch < window.end_epoch,
    ]
    statement = select(LINKS.c.lead_seconds.label("seconds"))
    if any(filters.as_dict().values()):
        statement = statement.select_from(
            DEPLOYMENTS.join(LINKS, LINKS.c.deployment_id == DEPLOYMENTS.c.id)
        ).where(*finished_in(DEPLOYMENTS, window), *matching(DEPLOYMENTS, filters))
    return statement.where(*conditions).order_by(LINKS.c.lead_seconds).offset(offset).limit(2)


def _recovery_values(window: Window, filters: Filters, first: int, last: int, offset: int) -> Any:
    row = DEPLOYMENTS
    deployments = select(row.c.recovery_seconds.label("seconds")).where(
        row.c.recovery_bucket.in_({first, last}),
        row.c.finished_epoch >= window.start_epoch,
        row.c.finished_epoch < window.end_epoch,
        *matching(row, filters),
    )
    incidents = select(
        (INCIDENTS.c.resolved_epoch - INCIDENTS.c.opened_epoch).label("seconds")
    ).where(
        INCIDENTS.c.recovery_bucket.in_({first, last}),
        INCIDENTS.c.resolved_epoch >= window.start_epoch,
        INCIDENTS.c.resolved_epoch < window.end_epoch,
        *incident_filters(filters),
    )
    values = union_all(deployments, incidents).subquery("recovery_values")
    return select(values.c.seconds).order_by(values.c.seconds).offset(offset).limit(2)


async def summarize(
    connection: AsyncConnection,
    windows: Sequence[Window],
    filters: Filters,
    *,
    lead_quantiles: Sequence[tuple[float, ...]],
    recovery_quantiles: Sequence[tuple[float, ...]],
) -> list[Summary]:
    """Each window's counts, lead times (count, then each of its `lead_quantiles`) and
    recoveries (count and `recovery_quantiles`), exactly as the direct queries give them."""
    whole_fleet = not any(filters.as_dict().values())
    cut = segments(windows, rolled=whole_fleet)
    tallies = [Tally() for _ in cut]
    numbered = list(enumerate(cut))
    raw = [(index, s) for index, s in numbered if not s.rolled]
    rolled = [(index, s) for index, s in numbered if s.rolled]
    if raw:
        await _raw_counts(connection, raw, filters, tallies)
    if rolled:
        await _rolled_counts(connection, rolled, tallies)
    await _histograms(
        connection, raw=raw, rolled=rolled, everything=numbered, filters=filters, tallies=tallies
    )
    sums = [_sum(window, cut, tallies) for window in windows]
    lookups: list[tuple[_Wanted, Any]] = []
    for position, (window, tally) in enumerate(zip(windows, sums, strict=True)):
        for kind, histogram, quantiles, values in (
            ("lead", tally.leads, lead_quantiles[position], _lead_values),
            ("recovery", tally.recoveries, recovery_quantiles[position], _recovery_values),
        ):
            for quantile in quantiles:
                rank = percentile_rank(sum(histogram.values()), quantile)
                if rank is None:
                    continue
                where = locate(histogram, rank.index, pair=rank.fraction > 0)
                if where is None:
                    raise RuntimeError("a rank outside its own histogram")
                wanted = _Wanted(position, kind, quantile, rank.fraction)
                lookups.append(
                    (wanted, values(window, filters, where.first, where.last, where.offset))
                )
    found = await _look_up(connection, lookups)
    return [
        _summary(position, tally, lead_quantiles[position], recovery_quantiles[position], found)
        for position, tally in enumerate(sums)
    ]


async def _look_up(
    connection: AsyncConnection, lookups: list[tuple[_Wanted, Any]]
) -> dict[tuple[int, str, float], float]:
    if not lookups:
        return {}
    parts = []
    for tag, (_, statement) in enumerate(lookups):
        inner = statement.subquery(f"v{tag}")
        parts.append(select(literal(tag).label("tag"), inner.c.seconds))
    values: defaultdict[int, list[float]] = defaultdict(list)
    for tag, seconds in await _rows(connection, union_all(*parts)):
        values[int(tag)].append(float(seconds))
    found: dict[tuple[int, str, float], float] = {}
    for tag, (wanted, _) in enumerate(lookups):
        pair = sorted(values[tag])
        found[(wanted.window, wanted.kind, wanted.quantile)] = interpolate(
            Rank(index=0, fraction=wanted.fraction), pair
        )
    return found


def _sum(window: Window, cut: list[Segment], tallies: list[Tally]) -> Tally:
    total = Tally()
    for segment, tally in zip(cut, tallies, strict=True):
        if segment.start < window.start_epoch or segment.end > window.end_epoch:
            continue
        total.total += tally.total
        total.successful += tally.successful
        total.failed += tally.failed
        total.unplanned += tally.unplanned
        total.add_days(tally.days, tally.first_day, tally.last_day)
        for bucket, count in tally.leads.items():
            total.leads[bucket] += count
        for bucket, count in tally.recoveries.items():
            total.recoveries[bucket] += count
    return total


def _summary(
    position: int,
    tally: Tally,
    lead_quantiles: tuple[float, ...],
    recovery_quantiles: tuple[float, ...],
    found: dict[tuple[int, str, float], float],
) -> Summary:
    return Summary(
        total=tally.total,
        successful=tally.successful,
        failed=tally.failed,
        unplanned=tally.unplanned,
        deployment_days=tally.days,
        changes=sum(tally.leads.values()),
        lead=tuple(found.get((position, "lead", q)) for q in lead_quantiles),
        recoveries=sum(tally.recoveries.values()),
        recovery=tuple(found.get((position, "recovery", q)) for q in recovery_quantiles),
    )
