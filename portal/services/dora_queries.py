"""The SQL behind the DORA metrics: counts, percentiles by OFFSET, and the correlated look-backs
that find the deployment before another one. Portable between SQLite and PostgreSQL (epoch
seconds and day numbers are stored columns, so no dialect's date arithmetic is needed), and the
database never hands a whole table to Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TableClause

from portal.domain.dora_percentiles import interpolate, percentile_rank
from portal.domain.dora_windows import Window
from portal.models.dora import DEPLOYMENTS, INCIDENTS, LINKS


@dataclass(frozen=True, slots=True)
class Filters:
    service: str | None = None
    namespace: str | None = None
    cluster: str | None = None
    environment: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "service": self.service,
            "namespace": self.namespace,
            "cluster": self.cluster,
            "environment": self.environment,
        }

    @property
    def beyond_service(self) -> bool:
        return any((self.namespace, self.cluster, self.environment))


def matching(table: TableClause | Any, filters: Filters) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in filters.as_dict().items() if value]


def finished_in(table: Any, window: Window) -> list[ColumnElement[bool]]:
    return [
        table.c.finished_epoch >= window.start_epoch,
        table.c.finished_epoch < window.end_epoch,
    ]


def incident_linked(row: Any) -> ColumnElement[bool]:
    return select(INCIDENTS.c.id).where(INCIDENTS.c.deployment_id == row.c.id).exists()


async def scalar_row(connection: AsyncConnection, statement: Any) -> Any:
    return (await connection.execute(statement)).one()


async def percentiles(
    connection: AsyncConnection, values: Subquery, quantiles: tuple[float, ...]
) -> tuple[int, list[float | None]]:
    """The count of `values.c.seconds` and each interpolated percentile (None when empty)."""
    count = int((await connection.execute(select(func.count()).select_from(values))).scalar_one())
    found: list[float | None] = []
    for quantile in quantiles:
        rank = percentile_rank(count, quantile)
        if rank is None:
            found.append(None)
            continue
        statement = select(values.c.seconds).order_by(values.c.seconds).offset(rank.index).limit(2)
        pair = [float(value) for value in (await connection.execute(statement)).scalars()]
        found.append(interpolate(rank, pair))
    return count, found


def lead_times(window: Window, filters: Filters) -> Subquery:
    """Positive lead times of the changes of successful deployments finished in the window."""
    return (
        select(LINKS.c.lead_seconds.label("seconds"))
        .select_from(LINKS.join(DEPLOYMENTS, LINKS.c.deployment_id == DEPLOYMENTS.c.id))
        .where(
            DEPLOYMENTS.c.outcome == "success",
            LINKS.c.lead_seconds > 0,
            *finished_in(DEPLOYMENTS, window),
            *matching(DEPLOYMENTS, filters),
        )
        .subquery("lead_times")
    )


def recovery_times(window: Window, filters: Filters) -> Subquery:
    """Recoveries that completed in the window: a success after failures (from the first of
    them; kept on the row at ingest, `dora_recoveries`), and incidents resolved (from when they
    opened)."""
    row = DEPLOYMENTS
    from_deployments = select(row.c.recovery_seconds.label("seconds")).where(
        row.c.follows_failure.is_(True),
        row.c.recovery_seconds.is_not(None),
        *finished_in(row, window),
        *matching(row, filters),
    )
    incidents = select(
        (INCIDENTS.c.resolved_epoch - INCIDENTS.c.opened_epoch).label("seconds")
    ).where(
        INCIDENTS.c.resolved_epoch >= window.start_epoch,
        INCIDENTS.c.resolved_epoch < window.end_epoch,
        INCIDENTS.c.resolved_epoch >= INCIDENTS.c.opened_epoch,
        *incident_filters(filters),
    )
    return union_all(from_deployments, incidents).subquery("recoveries")


def incident_filters(filters: Filters) -> list[ColumnElement[bool]]:
    """Incidents carry only a service; narrower filters keep those linked to a matching
    deployment."""
    found: list[ColumnElement[bool]] = []
    if filters.service:
        found.append(INCIDENTS.c.service == filters.service)
    if filters.beyond_service:
        linked = DEPLOYMENTS.alias("incident_deployment")
        found.append(
            select(linked.c.id)
            .where(linked.c.id == INCIDENTS.c.deployment_id, *matching(linked, filters))
            .exists()
        )
    return found


async def list_deployments(
    connection: AsyncConnection,
    window: Window,
    filters: Filters,
    *,
    outcome: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[Any]]:
    """The deployments behind a figure, newest first, one page of them and the total."""
    conditions = [*finished_in(DEPLOYMENTS, window), *matching(DEPLOYMENTS, filters)]
    if outcome:
        conditions.append(DEPLOYMENTS.c.outcome == outcome)
    total = (await connection.execute(select(func.count()).where(*conditions))).scalar_one()
    page = (
        select(DEPLOYMENTS)
        .where(*conditions)
        .order_by(DEPLOYMENTS.c.finished_epoch.desc(), DEPLOYMENTS.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return int(total), list((await connection.execute(page)).all())


async def services_in(
    connection: AsyncConnection, window: Window, filters: Filters, *, limit: int
) -> list[str]:
    """The services with a deployment finished in the window, by name."""
    statement = (
        select(DEPLOYMENTS.c.service)
        .where(*finished_in(DEPLOYMENTS, window), *matching(DEPLOYMENTS, filters))
        .group_by(DEPLOYMENTS.c.service)
        .order_by(DEPLOYMENTS.c.service)
        .limit(limit)
    )
    return [str(name) for name in (await connection.execute(statement)).scalars()]
