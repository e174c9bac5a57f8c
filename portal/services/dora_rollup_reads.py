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

import functools
import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.domain.dora_buckets import Bin, known_values, locate, without
from portal.domain.dora_percentiles import Rank, interpolate, percentile_rank
from portal.domain.dora_windows import DAY_SECONDS, Window
from portal.models.dora import (
    DEPLOYMENTS,
    INCIDENTS,
    LINKS,
    ROLLUP_DAYS,
    ROLLUP_FAILURES,
    ROLLUP_LEADS,
    ROLLUP_RECOVERIES,
)
from portal.services.dora_queries import (
    Filters,
    incident_linked,
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
    leads: defaultdict[int, Bin] = field(default_factory=lambda: defaultdict(Bin))
    recoveries: defaultdict[int, Bin] = field(default_factory=lambda: defaultdict(Bin))

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


Names = tuple[str, ...]
"""The filters a report sets, by name: a statement's shape, its values are parameters."""


def _filter_on(table: Any, names: Names) -> list[ColumnElement[bool]]:
    return [table.c[name] == bindparam(f"filter_{name}") for name in names]


def _incident_filter(names: Names) -> list[ColumnElement[bool]]:
    """dora_queries.incident_filters with parameters: the service on the incident, narrower
    filters through its linked deployment."""
    found: list[ColumnElement[bool]] = []
    if "service" in names:
        found.append(INCIDENTS.c.service == bindparam("filter_service"))
    if set(names) - {"service"}:
        linked = DEPLOYMENTS.alias("incident_deployment")
        found.append(
            select(linked.c.id)
            .where(linked.c.id == INCIDENTS.c.deployment_id, *_filter_on(linked, names))
            .exists()
        )
    return found


def _segment_of(column: Any, count: int, prefix: str) -> Any:
    """Which of `count` parameterised ranges `[{prefix}a{j}, {prefix}b{j})` holds `column`."""
    return case(
        *[
            ((column >= bindparam(f"{prefix}a{j}")) & (column < bindparam(f"{prefix}b{j}")), j)
            for j in range(count)
        ]
    )


def _each_range(
    count: int, prefix: str, column: Any, query: Callable[[int, ColumnElement[bool]], Any]
) -> list[Any]:
    """`query(j, condition)` for each of `count` parameterised ranges of `column`: for a UNION
    ALL whose branches scan an index over one range each, with the planner knowing how many rows
    each holds, and the segment a constant per branch (not a CASE over the ranges to evaluate,
    and sort on, per row)."""
    return [
        query(
            j,
            and_(column >= bindparam(f"{prefix}a{j}"), column < bindparam(f"{prefix}b{j}")),
        )
        for j in range(count)
    ]


def _union(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    return union_all(*parts)


def _within(column: Any, count: int, prefix: str) -> ColumnElement[bool]:
    return or_(
        *[
            and_(column >= bindparam(f"{prefix}a{j}"), column < bindparam(f"{prefix}b{j}"))
            for j in range(count)
        ]
    )


def _ranges(found: Sequence[tuple[int, Segment]], prefix: str, *, days: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for j, (_, segment) in enumerate(found):
        low, high = segment.days if days else (segment.start, segment.end)
        values[f"{prefix}a{j}"], values[f"{prefix}b{j}"] = low, high
    return values


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@functools.lru_cache(maxsize=64)
def _raw_counts_statement(count: int, names: Names) -> Any:
    row = DEPLOYMENTS
    success = row.c.outcome == "success"
    success_day = case((success, row.c.finished_day))
    figures = (
        func.count(),
        _count_if(success),
        _count_if((row.c.outcome == "failed") | incident_linked(row)),
        _count_if(row.c.planned.is_(False) | row.c.follows_failure.is_(True)),
        func.count(func.distinct(success_day)),
        func.min(success_day),
        func.max(success_day),
    )
    if not names:  # the fleet: one aggregate per segment, each over its own index range
        return _union(
            _each_range(
                count,
                "r",
                row.c.finished_epoch,
                lambda j, inside: select(literal(j, Integer), *figures).where(inside),
            )
        )
    segment = _segment_of(row.c.finished_epoch, count, "r").label("segment")
    return (
        select(segment, *figures)
        .where(_within(row.c.finished_epoch, count, "r"), *_filter_on(row, names))
        .group_by(segment)
    )


@functools.lru_cache(maxsize=64)
def _rolled_counts_statement(count: int) -> Any:
    row = ROLLUP_DAYS
    return (
        select(row.c.day, row.c.total, row.c.successful, row.c.failed, row.c.unplanned)
        .where(_within(row.c.day, count, "d"))
        .order_by(row.c.day)
    )


def _histogram(segment: Any, bucket: Any, seconds: Any, where: Select[Any]) -> Any:
    """Per segment and bucket of `where`'s rows: the count, the smallest and largest value and
    how many values equal each (as the rollups keep them). The rows are counted per distinct
    value first (hashed), so only those counts are sorted for the bounds' window."""
    distinct = (
        where.add_columns(
            segment.label("segment"),
            bucket.label("bucket"),
            seconds.label("seconds"),
            func.count().label("copies"),
        )
        .group_by(segment, bucket, seconds)
        .subquery("histogram_values")
    )
    value = distinct.c
    by = (value.segment, value.bucket)
    rows = select(
        value.segment,
        value.bucket,
        value.seconds,
        value.copies,
        func.min(value.seconds).over(partition_by=by).label("lowest"),
        func.max(value.seconds).over(partition_by=by).label("highest"),
    ).subquery("histogram_rows")
    row = rows.c
    return select(
        row.segment,
        row.bucket,
        func.sum(row.copies),
        func.min(row.seconds),
        func.max(row.seconds),
        func.coalesce(func.sum(case((row.seconds == row.lowest, row.copies), else_=0)), 0),
        func.coalesce(func.sum(case((row.seconds == row.highest, row.copies), else_=0)), 0),
    ).group_by(row.segment, row.bucket)


def _fleet_histogram(table: Any, bucket: Any, seconds: Any, name: str, count: int) -> Any:
    """`_histogram` of the whole fleet's rows of `table` with a `bucket`, per segment of their
    finish: a UNION ALL of one index range each."""
    values = _union(
        _each_range(
            count,
            "r",
            table.c.finished_epoch,
            lambda j, inside: select(
                literal(j, Integer).label("segment"),
                bucket.label("bucket"),
                seconds.label("seconds"),
            ).where(bucket.is_not(None), inside),
        )
    ).subquery(name)
    value = values.c
    return _histogram(value.segment, value.bucket, value.seconds, select().select_from(values))


@functools.lru_cache(maxsize=64)
def _raw_leads_statement(count: int, names: Names) -> Any:
    """Per segment and bucket: a filtered report walks from its deployments (the stream index;
    the links' own finish would send the planner through every link of the window)."""
    if not names:
        return _fleet_histogram(LINKS, LINKS.c.lead_bucket, LINKS.c.lead_seconds, "leads", count)
    finished = DEPLOYMENTS.c.finished_epoch
    rows: Any = DEPLOYMENTS.join(LINKS, LINKS.c.deployment_id == DEPLOYMENTS.c.id)
    where = (
        select()
        .select_from(rows)
        .where(
            LINKS.c.lead_bucket.is_not(None),
            _within(finished, count, "r"),
            *_filter_on(DEPLOYMENTS, names),
        )
    )
    return _histogram(
        _segment_of(finished, count, "r"), LINKS.c.lead_bucket, LINKS.c.lead_seconds, where
    )


@functools.lru_cache(maxsize=64)
def _raw_recoveries_statement(count: int, names: Names) -> Any:
    row = DEPLOYMENTS
    if not names:
        return _fleet_histogram(
            row, row.c.recovery_bucket, row.c.recovery_seconds, "recoveries", count
        )
    where = (
        select()
        .select_from(row)
        .where(
            row.c.recovery_bucket.is_not(None),
            _within(row.c.finished_epoch, count, "r"),
            *_filter_on(row, names),
        )
    )
    return _histogram(
        _segment_of(row.c.finished_epoch, count, "r"),
        row.c.recovery_bucket,
        row.c.recovery_seconds,
        where,
    )


@functools.lru_cache(maxsize=64)
def _rolled_histogram_statement(name: str, count: int) -> Any:
    """Per segment and bucket: the count, the smallest and largest value and how many equal
    each (the days' counts of those whose own bound is the segment's), and how many rows have
    no bounds (written before migration 0015: the bucket must then be read)."""
    table = ROLLUP_LEADS if name == "leads" else ROLLUP_RECOVERIES
    segment = _segment_of(table.c.day, count, "d")
    by = (segment, table.c.bucket)
    days = (
        select(
            segment.label("segment"),
            table.c.bucket,
            table.c.count,
            table.c.low,
            table.c.low_count,
            table.c.high,
            table.c.high_count,
            func.min(table.c.low).over(partition_by=by).label("lowest"),
            func.max(table.c.high).over(partition_by=by).label("highest"),
        )
        .where(_within(table.c.day, count, "d"))
        .subquery("days")
    )
    day = days.c
    return select(
        day.segment,
        day.bucket,
        func.sum(day.count),
        func.min(day.low),
        func.max(day.high),
        func.coalesce(func.sum(case((day.low == day.lowest, day.low_count), else_=0)), 0),
        func.coalesce(func.sum(case((day.high == day.highest, day.high_count), else_=0)), 0),
        func.count() - func.count(day.low_count) + func.count() - func.count(day.high_count),
    ).group_by(day.segment, day.bucket)


@functools.lru_cache(maxsize=64)
def _incidents_statement(count: int, names: Names) -> Any:
    where = (
        select()
        .select_from(INCIDENTS)
        .where(
            INCIDENTS.c.recovery_bucket.is_not(None),
            _within(INCIDENTS.c.resolved_epoch, count, "i"),
            *_incident_filter(names),
        )
    )
    return _histogram(
        _segment_of(INCIDENTS.c.resolved_epoch, count, "i"),
        INCIDENTS.c.recovery_bucket,
        INCIDENTS.c.resolved_epoch - INCIDENTS.c.opened_epoch,
        where,
    )


async def _rows(connection: AsyncConnection, statement: Any, values: dict[str, Any]) -> list[Any]:
    return list((await connection.execute(statement, values)).all())


async def _read(
    connection: AsyncConnection,
    reads: list[Segment],
    names: Names,
    values: dict[str, Any],
) -> list[Tally]:
    """Each segment's deployment counts and histograms: from the facts or the rollups."""
    tallies = [Tally() for _ in reads]
    raw = [(index, s) for index, s in enumerate(reads) if not s.rolled]
    rolled = [(index, s) for index, s in enumerate(reads) if s.rolled]
    values = values | _ranges(raw, "r", days=False) | _ranges(rolled, "d", days=True)
    if raw:
        statement = _raw_counts_statement(len(raw), names)
        for j, total, ok, failed, unplanned, days, first, last in await _rows(
            connection, statement, values
        ):
            tally = tallies[raw[j][0]]
            tally.total, tally.successful = int(total), int(ok)
            tally.failed, tally.unplanned = int(failed), int(unplanned)
            tally.add_days(int(days), first, last)
        for name, statement in (
            ("leads", _raw_leads_statement(len(raw), names)),
            ("recoveries", _raw_recoveries_statement(len(raw), names)),
        ):
            for j, bucket, count, low, high, lows, highs in await _rows(
                connection, statement, values
            ):
                getattr(tallies[raw[j][0]], name)[int(bucket)].add(
                    int(count), low, high, int(lows), int(highs)
                )
    if rolled:
        found = await _rows(connection, _rolled_counts_statement(len(rolled)), values)
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
        for name in ("leads", "recoveries"):
            statement = _rolled_histogram_statement(name, len(rolled))
            for j, bucket, count, low, high, lows, highs, unbounded in await _rows(
                connection, statement, values
            ):
                found = getattr(tallies[rolled[j][0]], name)[int(bucket)]
                if unbounded:
                    found.add(int(count), None, None)
                else:
                    found.add(int(count), low, high, int(lows), int(highs))
    return tallies


@dataclass(frozen=True, slots=True)
class Split:
    """A day the windows cut into pieces (fleet-wide): its rollup less the facts of its other
    pieces (`others`: the day's other segments and the hours no window asks for) gives the
    segment `derived`, the longest, instead of reading its facts."""

    day: int
    derived: int
    pieces: tuple[int, ...]
    """Every segment of the cut within the day (`derived` among them)."""
    gaps: tuple[Segment, ...]


def splits(cut: Sequence[Segment], now: float) -> list[Split]:
    """The days whose longest cut segment holds more hours than the day's hours outside every
    segment (the hours after `now` count for nothing: no deployment has finished then yet), so
    reading the others and the day's rollup reads fewer facts than reading it."""
    by_day: defaultdict[int, list[int]] = defaultdict(list)
    crossed: set[int] = set()
    for index, segment in enumerate(cut):
        day = int(segment.start // DAY_SECONDS)
        if segment.rolled:
            continue
        if segment.end <= (day + 1) * DAY_SECONDS:
            by_day[day].append(index)
        else:  # across a midnight (windows other than a report's): its days are read as cut
            crossed |= set(range(day, math.ceil(segment.end / DAY_SECONDS)))
    for day in crossed:
        by_day.pop(day, None)

    def weight(start: float, end: float) -> float:
        return max(0.0, min(end, now) - start)

    found = []
    for day, pieces in sorted(by_day.items()):
        gaps, edge = [], float(day * DAY_SECONDS)
        for index in pieces:
            if cut[index].start > edge:
                gaps.append(Segment(edge, cut[index].start, rolled=False))
            edge = cut[index].end
        if edge < (day + 1) * DAY_SECONDS:
            gaps.append(Segment(edge, float((day + 1) * DAY_SECONDS), rolled=False))
        longest = max(pieces, key=lambda index: weight(cut[index].start, cut[index].end))
        outside = sum(weight(gap.start, gap.end) for gap in gaps)
        if weight(cut[longest].start, cut[longest].end) > outside:
            found.append(Split(day, longest, tuple(pieces), tuple(gaps)))
    return found


def rest_of_day(whole: Tally, parts: list[Tally], day: int) -> Tally | None:
    """A day's rollup less some of its pieces' facts; None when they disagree (read from
    different states of the facts by a concurrent write)."""
    rest = Tally(
        total=whole.total - sum(part.total for part in parts),
        successful=whole.successful - sum(part.successful for part in parts),
        failed=whole.failed - sum(part.failed for part in parts),
        unplanned=whole.unplanned - sum(part.unplanned for part in parts),
    )
    if min(rest.total, rest.successful, rest.failed, rest.unplanned) < 0:
        return None
    rest.add_days(1 if rest.successful else 0, day, day)
    for name in ("leads", "recoveries"):
        taken: defaultdict[int, Bin] = defaultdict(Bin)
        for part in parts:
            for bucket, found in getattr(part, name).items():
                taken[bucket].merge(found)
        mine = getattr(whole, name)
        if set(taken) - set(mine):
            return None
        for bucket, found in mine.items():
            left = without(found, taken.get(bucket, Bin()))
            if left is None:
                return None
            if left.count:
                getattr(rest, name)[bucket] = left
    return rest


@dataclass(slots=True)
class Tallies:
    """The cut's segments' deployment figures, each split day's whole, and the incidents'
    recoveries per segment (kept apart: a window holding a whole split day reads the day's
    rollup, with its bounds, and the incidents of its pieces)."""

    segments: list[Tally]
    incidents: list[Tally]
    days: dict[int, tuple[Tally, tuple[int, ...]]]


async def _tally(
    connection: AsyncConnection,
    cut: list[Segment],
    names: Names,
    values: dict[str, Any],
) -> Tallies:
    """Every segment's counts and histograms: from the facts, the rollups (the days the windows
    cut: less their other pieces) and the incidents."""
    plan = [] if names else splits(cut, time.time())
    derived = {split.derived for split in plan}
    kept = [index for index in range(len(cut)) if index not in derived]
    reads = [cut[index] for index in kept]
    for split in plan:
        reads += [
            *split.gaps,
            Segment(split.day * DAY_SECONDS, (split.day + 1) * DAY_SECONDS, True),
        ]
    found = await _read(connection, reads, names, values)
    tallies: list[Tally] = [Tally() for _ in cut]
    for index, tally in zip(kept, found, strict=False):
        tallies[index] = tally
    days: dict[int, tuple[Tally, tuple[int, ...]]] = {}
    at, missing = len(kept), []
    for split in plan:
        gaps = found[at : at + len(split.gaps)]
        whole = found[at + len(split.gaps)]
        at += len(split.gaps) + 1
        others = [tallies[index] for index in split.pieces if index != split.derived]
        rest = rest_of_day(whole, [*others, *gaps], split.day)
        if rest is None:
            missing.append(split.derived)
        else:
            tallies[split.derived] = rest
            days[split.day] = (whole, split.pieces)
    if missing:
        for index, tally in zip(
            missing,
            await _read(connection, [cut[index] for index in missing], names, values),
            strict=True,
        ):
            tallies[index] = tally
    incidents = [Tally() for _ in cut]
    values = values | _ranges(list(enumerate(cut)), "i", days=False)
    statement = _incidents_statement(len(cut), names)
    for j, bucket, count, low, high, lows, highs in await _rows(connection, statement, values):
        incidents[j].recoveries[int(bucket)].add(int(count), low, high, int(lows), int(highs))
    return Tallies(tallies, incidents, days)


@dataclass(frozen=True, slots=True)
class _Wanted:
    window: int
    kind: str
    quantile: float
    fraction: float


def _lead_values(tag: int, names: Names) -> Any:
    """The values of two buckets (those between them are empty in the window) in order from an
    offset; a filtered report walks from its deployments (few), the fleet from the buckets'
    index."""
    buckets = LINKS.c.lead_bucket.in_([bindparam(f"f{tag}"), bindparam(f"l{tag}")])
    statement = select(LINKS.c.lead_seconds.label("seconds"))
    if names:
        statement = statement.select_from(
            DEPLOYMENTS.join(LINKS, LINKS.c.deployment_id == DEPLOYMENTS.c.id)
        ).where(
            buckets,
            DEPLOYMENTS.c.finished_epoch >= bindparam(f"s{tag}"),
            DEPLOYMENTS.c.finished_epoch < bindparam(f"e{tag}"),
            *_filter_on(DEPLOYMENTS, names),
        )
    else:
        statement = statement.where(
            buckets,
            LINKS.c.finished_epoch >= bindparam(f"s{tag}"),
            LINKS.c.finished_epoch < bindparam(f"e{tag}"),
        )
    return (
        statement.order_by(LINKS.c.lead_seconds)
        .offset(bindparam(f"o{tag}", type_=Integer))
        .limit(2)
    )


def _recovery_values(tag: int, names: Names) -> Any:
    row = DEPLOYMENTS
    deployments = select(row.c.recovery_seconds.label("seconds")).where(
        row.c.recovery_bucket.in_([bindparam(f"f{tag}"), bindparam(f"l{tag}")]),
        row.c.finished_epoch >= bindparam(f"s{tag}"),
        row.c.finished_epoch < bindparam(f"e{tag}"),
        *_filter_on(row, names),
    )
    incidents = select(
        (INCIDENTS.c.resolved_epoch - INCIDENTS.c.opened_epoch).label("seconds")
    ).where(
        INCIDENTS.c.recovery_bucket.in_([bindparam(f"f{tag}"), bindparam(f"l{tag}")]),
        INCIDENTS.c.resolved_epoch >= bindparam(f"s{tag}"),
        INCIDENTS.c.resolved_epoch < bindparam(f"e{tag}"),
        *_incident_filter(names),
    )
    values = union_all(deployments, incidents).subquery(f"recovery_values{tag}")
    return (
        select(values.c.seconds)
        .order_by(values.c.seconds)
        .offset(bindparam(f"o{tag}", type_=Integer))
        .limit(2)
    )


@functools.lru_cache(maxsize=64)
def _look_up_statement(kinds: tuple[str, ...], names: Names) -> Any:
    parts = []
    for tag, kind in enumerate(kinds):
        values = _lead_values if kind == "lead" else _recovery_values
        inner = values(tag, names).subquery(f"v{tag}")
        parts.append(select(literal(tag).label("tag"), inner.c.seconds))
    return union_all(*parts)


async def summarize(
    connection: AsyncConnection,
    windows: Sequence[Window],
    filters: Filters,
    *,
    lead_quantiles: Sequence[tuple[float, ...]],
    recovery_quantiles: Sequence[tuple[float, ...]],
    from_bounds: bool = True,
) -> list[Summary]:
    """Each window's counts, lead times (count, then each of its `lead_quantiles`) and
    recoveries (count and `recovery_quantiles`), exactly as the direct queries give them.
    Without `from_bounds`, every percentile reads its bucket's values (the tests check that the
    look-up and the bounds agree)."""
    set_filters = {name: value for name, value in filters.as_dict().items() if value}
    names: Names = tuple(sorted(set_filters))
    values: dict[str, Any] = {f"filter_{name}": value for name, value in set_filters.items()}
    cut = segments(windows, rolled=not names)
    await _serial(connection)
    tallies = await _tally(connection, cut, names, values)
    sums = [_sum(window, cut, tallies) for window in windows]
    wanted: list[_Wanted] = []
    found_now: dict[tuple[int, str, float], float] = {}
    for position, (window, tally) in enumerate(zip(windows, sums, strict=True)):
        for kind, histogram, quantiles in (
            ("lead", tally.leads, lead_quantiles[position]),
            ("recovery", tally.recoveries, recovery_quantiles[position]),
        ):
            counts = {bucket: found.count for bucket, found in histogram.items()}
            for quantile in quantiles:
                rank = percentile_rank(sum(counts.values()), quantile)
                if rank is None:
                    continue
                known = known_values(histogram, rank.index, pair=rank.fraction > 0)
                if known is not None and from_bounds:
                    found_now[(position, kind, quantile)] = interpolate(
                        rank, [float(value) for value in known]
                    )
                    continue
                where = locate(counts, rank.index, pair=rank.fraction > 0)
                if where is None:
                    raise RuntimeError("a rank outside its own histogram")
                tag = len(wanted)
                wanted.append(_Wanted(position, kind, quantile, rank.fraction))
                values |= {
                    f"f{tag}": where.first,
                    f"l{tag}": where.last,
                    f"o{tag}": where.offset,
                    f"s{tag}": window.start_epoch,
                    f"e{tag}": window.end_epoch,
                }
    found = found_now | await _look_up(connection, wanted, names, values)
    return [
        _summary(position, tally, lead_quantiles[position], recovery_quantiles[position], found)
        for position, tally in enumerate(sums)
    ]


_SERIAL = text(
    "SELECT set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('jit', 'off', true), set_config('work_mem', '32MB', true)"
)


async def _serial(connection: AsyncConnection) -> None:
    """No parallel workers and no JIT for this transaction on PostgreSQL (in one round trip, as
    `SET LOCAL` would): every statement here reads a few bucket ranges through an index, and the
    look-up statement's summed cost passes `jit_above_cost`, so PostgreSQL compiled it for about
    a second (EXPLAIN ANALYZE at a million deployments) and started workers costing more than
    the reads. And 32 MB to sort or hash in: the facts' histograms of a fleet-wide report's
    part-days count some 60,000 lead times per distinct value, which the default 4 MB sent to
    an external merge on disk."""
    if connection.dialect.name == "postgresql":
        await connection.execute(_SERIAL)


async def _look_up(
    connection: AsyncConnection, wanted: list[_Wanted], names: Names, values: dict[str, Any]
) -> dict[tuple[int, str, float], float]:
    if not wanted:
        return {}
    statement = _look_up_statement(tuple(item.kind for item in wanted), names)
    pairs: defaultdict[int, list[float]] = defaultdict(list)
    for tag, seconds in await _rows(connection, statement, values):
        pairs[int(tag)].append(float(seconds))
    return {
        (item.window, item.kind, item.quantile): interpolate(
            Rank(index=0, fraction=item.fraction), sorted(pairs[tag])
        )
        for tag, item in enumerate(wanted)
    }


def _merge(total: Tally, tally: Tally) -> None:
    total.total += tally.total
    total.successful += tally.successful
    total.failed += tally.failed
    total.unplanned += tally.unplanned
    total.add_days(tally.days, tally.first_day, tally.last_day)
    for bucket, part in tally.leads.items():
        total.leads[bucket].merge(part)
    for bucket, part in tally.recoveries.items():
        total.recoveries[bucket].merge(part)


def _sum(window: Window, cut: list[Segment], tallies: Tallies) -> Tally:
    """The window's segments; a split day it holds whole from its rollup (with the bounds the
    day less a piece may not know)."""
    whole_days = {
        index: day
        for day, (_, pieces) in tallies.days.items()
        if day * DAY_SECONDS >= window.start_epoch and (day + 1) * DAY_SECONDS <= window.end_epoch
        for index in pieces
    }
    total = Tally()
    for index, segment in enumerate(cut):
        if segment.start < window.start_epoch or segment.end > window.end_epoch:
            continue
        day = whole_days.get(index)
        if day is None:
            _merge(total, tallies.segments[index])
        elif index == tallies.days[day][1][0]:
            _merge(total, tallies.days[day][0])
        _merge(total, tallies.incidents[index])
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
        changes=sum(part.count for part in tally.leads.values()),
        lead=tuple(found.get((position, "lead", q)) for q in lead_quantiles),
        recoveries=sum(part.count for part in tally.recoveries.values()),
        recovery=tuple(found.get((position, "recovery", q)) for q in recovery_quantiles),
    )


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """A window's failures of one kind: rolled-back canaries (`canary`) at one peak `weight`
    (none recorded: 0), or every other failure (weight 0)."""

    canary: bool
    weight: int
    count: int
    peak: int | None
    exposure: float | None


def _canary_rollback(row: Any) -> ColumnElement[bool]:
    return and_(
        row.c.source == "flagger",
        row.c.outcome == "failed",
        func.coalesce(row.c.failure_cause, "").not_like("promotion-failed%"),
    )


@functools.lru_cache(maxsize=64)
def _raw_failures_statement(count: int, names: Names) -> Any:
    """The segments' failures from the facts: the failed ones by their index, then the others
    an incident names (few): one OR of the two would read every deployment of the window."""
    row = DEPLOYMENTS
    rollback = _canary_rollback(row)
    columns = (
        case((rollback, 1), else_=0).label("canary"),
        case((rollback, func.coalesce(row.c.peak_weight, 0)), else_=0).label("weight"),
        row.c.peak_weight,
        row.c.exposure_weight_seconds,
    )
    inside = (_within(row.c.finished_epoch, count, "r"), *_filter_on(row, names))
    linked = select(INCIDENTS.c.deployment_id).where(INCIDENTS.c.deployment_id.is_not(None))
    failures = union_all(
        select(*columns).where(row.c.outcome == "failed", *inside),
        select(*columns).where(row.c.outcome != "failed", row.c.id.in_(linked), *inside),
    ).subquery("failures")
    failure = failures.c
    return select(
        failure.canary,
        failure.weight,
        func.count(),
        func.max(failure.peak_weight),
        func.sum(failure.exposure_weight_seconds),
    ).group_by(failure.canary, failure.weight)


@functools.lru_cache(maxsize=64)
def _rolled_failures_statement(count: int) -> Any:
    row = ROLLUP_FAILURES
    return (
        select(
            row.c.canary,
            row.c.weight,
            func.sum(row.c.count),
            func.max(row.c.peak),
            func.sum(row.c.exposure),
        )
        .where(_within(row.c.day, count, "d"))
        .group_by(row.c.canary, row.c.weight)
    )


async def failure_groups(
    connection: AsyncConnection, window: Window, filters: Filters
) -> list[FailureGroup]:
    """The window's failures (failed, or linked to an incident) by canary rollback and peak
    weight: whole days of the whole fleet from the failure rollup, the rest from the facts.
    Exposure sums add the days' sums (floating-point sums in another order than one SUM)."""
    set_filters = {name: value for name, value in filters.as_dict().items() if value}
    names: Names = tuple(sorted(set_filters))
    values: dict[str, Any] = {f"filter_{name}": value for name, value in set_filters.items()}
    cut = segments([window], rolled=not names)
    raw = [(index, s) for index, s in enumerate(cut) if not s.rolled]
    rolled = [(index, s) for index, s in enumerate(cut) if s.rolled]
    values |= _ranges(raw, "r", days=False) | _ranges(rolled, "d", days=True)
    found: list[Any] = []
    if raw:
        found += await _rows(connection, _raw_failures_statement(len(raw), names), values)
    if rolled:
        found += await _rows(connection, _rolled_failures_statement(len(rolled)), values)
    groups: dict[tuple[bool, int], FailureGroup] = {}
    for canary, weight, count, peak, exposure in found:
        key = (bool(canary), int(weight))
        before = groups.get(key, FailureGroup(key[0], key[1], 0, None, None))
        groups[key] = FailureGroup(
            key[0],
            key[1],
            before.count + int(count),
            _larger(before.peak, None if peak is None else int(peak)),
            _plus(before.exposure, None if exposure is None else float(exposure)),
        )
    return [groups[key] for key in sorted(groups)]


def _larger(first: int | None, second: int | None) -> int | None:
    if first is None or second is None:
        return first if second is None else second
    return max(first, second)


def _plus(first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return first if second is None else second
    return first + second
