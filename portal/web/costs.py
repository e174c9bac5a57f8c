"""`/costs`: Cost Explorer's figures from the stored snapshot and the live cluster estimate.

The live part (`#costs-live`: burn rate, namespaces, savings) is refetched whenever the watched
nodes or pods change (pushed over SSE like the other pages). An admin's refresh posts a form
(CSRF) to the same rate-limited, audited service as `POST /api/v1/costs/refresh`.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.deps import StateDep, TemplatesDep
from portal.errors import Conflict
from portal.security.access import AdminUser, ViewerUser
from portal.security.actors import CurrentActor
from portal.security.roles import Role
from portal.web.cost_charts import daily_bars

router = APIRouter(include_in_schema=False)


@router.get("/costs", name="costs", response_class=HTMLResponse)
async def costs_page(
    request: Request, state: StateDep, templates: TemplatesDep, identity: ViewerUser
) -> HTMLResponse:
    found = await state.costs_now()
    report = found.state.report
    chart = (
        daily_bars(report.daily, today=report.today, currency=report.month.currency)
        if report
        else ""
    )
    context = {
        "active": "costs",
        "costs": found,
        "report": report,
        "chart": chart,
        "can_refresh": identity.role is not None and identity.role.allows(Role.admin),
        "manual_seconds": state.settings.cost_manual_refresh_seconds,
    }
    return templates.TemplateResponse(request, "costs/index.html", context)


@router.get("/costs/card", name="costs_card", response_class=HTMLResponse)
async def costs_card(
    request: Request, state: StateDep, templates: TemplatesDep, _viewer: ViewerUser
) -> HTMLResponse:
    """The overview's cost card: month to date, forecast and the fleet's burn rate now."""
    found = await state.costs_now()
    burn = sum((b.usd_per_hour for b in found.clusters), Decimal(0))
    context = {"costs": found, "report": found.state.report, "burn": burn}
    return templates.TemplateResponse(request, "costs/_card.html", context)


@router.post("/costs/refresh", name="costs_refresh")
async def costs_refresh(
    request: Request, state: StateDep, _admin: AdminUser, actor: CurrentActor
) -> RedirectResponse:
    if state.cost_refresher is None:
        raise Conflict("Cost Explorer is not configured: set PORTAL_AWS_REGION")
    await state.cost_refresher.refresh_by(actor)
    return RedirectResponse(request.app.url_path_for("costs"), status_code=303)
