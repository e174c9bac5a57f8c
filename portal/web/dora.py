"""The `/dora` page: five tiles (value, level, trend), weekly charts, a table per service and
the deployments behind a figure; filters live in the URL. `/dora/card` is the overview's card.
The page refetches its content when a canary run ends (topic `dora` on `/stream`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, Field

from portal.deps import SessionDep, SettingsDep, TemplatesDep, ViewDep
from portal.domain.dora_levels import LevelsTable
from portal.domain.dora_windows import MAX_WINDOW_DAYS, Window, window_ending
from portal.security.access import require_role
from portal.security.roles import Role
from portal.services.dora_metrics import DoraReport, compute_report
from portal.services.dora_queries import Filters, list_deployments, services_in
from portal.web.dora_charts import trend_arrow, week_bars
from portal.web.fleet_context import base_context

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_role(Role.viewer))])

SERVICE_ROWS = 50
DEPLOYMENT_ROWS = 50
WINDOW_CHOICES = (7, 30, 90)


class PageQuery(BaseModel):
    window_days: int = Field(default=30, ge=1, le=MAX_WINDOW_DAYS)
    until: AwareDatetime | None = None
    service: str = Field(default="", max_length=253)
    namespace: str = Field(default="", max_length=253)
    cluster: str = Field(default="", max_length=128)
    environment: str = Field(default="", max_length=128)
    levels_table: LevelsTable = "2023"
    outcome: str = Field(default="", pattern="^(|success|failed)$")

    def window(self) -> Window:
        return window_ending(until=self.until or datetime.now(UTC), days=self.window_days)

    def filters(self) -> Filters:
        return Filters(
            service=self.service or None,
            namespace=self.namespace or None,
            cluster=self.cluster or None,
            environment=self.environment or None,
        )


def charts(report: DoraReport) -> dict[str, dict[str, str]]:
    """Per tile: the weekly bars and the arrow between the last two weeks."""
    series: dict[str, tuple[list[float | None], bool]] = {
        "frequency": ([float(w.successful) for w in report.trend], True),
        "lead_time": ([w.lead_time_median_seconds for w in report.trend], False),
        "failure_rate": ([w.change_failure_rate for w in report.trend], False),
        "recovery": ([w.recovery_median_seconds for w in report.trend], False),
        "rework": ([w.rework_rate for w in report.trend], False),
    }
    return {
        name: {
            "svg": week_bars(values, label=f"{name} per week"),
            "arrow": trend_arrow(values, higher_is_better=better),
        }
        for name, (values, better) in series.items()
    }


async def _services(session: SessionDep, query: PageQuery) -> list[tuple[str, DoraReport]]:
    window = query.window()
    connection = await session.connection()
    names = await services_in(connection, window, query.filters(), limit=SERVICE_ROWS)
    rows = []
    for name in names:
        filters = Filters(**(query.filters().as_dict() | {"service": name}))
        report = await compute_report(
            session, window=window, filters=filters, table=query.levels_table, with_trend=False
        )
        rows.append((name, report))
    return rows


@router.get("/dora", response_class=HTMLResponse, name="dora")
async def dora_page(
    *,
    request: Request,
    templates: TemplatesDep,
    view: ViewDep,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[PageQuery, Query()],
) -> HTMLResponse:
    window = query.window()
    report = await compute_report(
        session,
        window=window,
        filters=query.filters(),
        table=query.levels_table,
        caught_max_weight=settings.dora_caught_max_weight,
    )
    total, deployments = await list_deployments(
        await session.connection(),
        window,
        query.filters(),
        outcome=query.outcome or None,
        offset=0,
        limit=DEPLOYMENT_ROWS,
    )
    context: dict[str, Any] = {
        **base_context(view, active="dora"),
        "report": report,
        "charts": charts(report),
        "query": query,
        "window_choices": WINDOW_CHOICES,
        "services": await _services(session, query),
        "deployments": deployments,
        "deployments_total": total,
    }
    return templates.TemplateResponse(request, "dora/index.html", context)


@router.get("/dora/card", response_class=HTMLResponse, name="dora_card")
async def dora_card(
    *, request: Request, templates: TemplatesDep, session: SessionDep
) -> HTMLResponse:
    window = window_ending(until=datetime.now(UTC), days=30)
    report = await compute_report(session, window=window, filters=Filters(), with_trend=False)
    return templates.TemplateResponse(request, "dora/_card.html", {"report": report})
