"""The audit page: every operator action and denied attempt, filtered, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from portal.deps import SessionDep, TemplatesDep
from portal.errors import Unprocessable
from portal.security.access import ViewerUser
from portal.services.audit import AuditQuery, list_audit

router = APIRouter(include_in_schema=False)

FILTERS = ("actor", "action", "cluster", "namespace", "name", "outcome", "since", "until")


def query_from(request: Request) -> AuditQuery:
    """The filters a browser form sends, where an empty field means no filter."""
    given = {key: value for key, value in request.query_params.items() if value.strip()}
    try:
        return AuditQuery.model_validate(given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'filters'}: {item['msg']}"
            for item in error.errors()
        )
        raise Unprocessable(problems) from error


@router.get("/audit", response_class=HTMLResponse, name="audit")
async def audit_page(
    request: Request, templates: TemplatesDep, session: SessionDep, _viewer: ViewerUser
) -> HTMLResponse:
    query = query_from(request)
    context = {
        "active": "audit",
        "events": await list_audit(session, query=query),
        "filters": FILTERS,
        "query": query,
        "given": request.query_params,
    }
    return templates.TemplateResponse(request, "audit/index.html", context)
