"""Admin pages: API tokens listed, created (the secret shown once) and revoked from the browser.

Plain forms (boosted by htmx) with the CSRF token as a hidden field; every route needs admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.deps import SessionDep, TemplatesDep
from portal.security.access import AdminUser
from portal.security.actors import CurrentActor
from portal.security.roles import Role
from portal.services.tokens import MAX_ID, IssuedToken, issue_token, list_tokens, revoke_token

router = APIRouter(prefix="/admin", include_in_schema=False)


async def _tokens_page(
    request: Request,
    templates: TemplatesDep,
    session: SessionDep,
    *,
    issued: IssuedToken | None = None,
) -> HTMLResponse:
    context = {
        "active": "admin",
        "tokens": await list_tokens(session),
        "roles": list(Role),
        "issued": issued,
    }
    code = status.HTTP_201_CREATED if issued else status.HTTP_200_OK
    page = templates.TemplateResponse(request, "admin/tokens.html", context, status_code=code)
    if issued is not None:
        page.headers["Cache-Control"] = "no-store"  # the page shows the new secret once
    return page


@router.get("/tokens", response_class=HTMLResponse, name="admin_tokens")
async def tokens_page(
    request: Request, templates: TemplatesDep, session: SessionDep, _admin: AdminUser
) -> HTMLResponse:
    return await _tokens_page(request, templates, session)


@router.post("/tokens", response_class=HTMLResponse, name="admin_create_token")
async def create_token(
    request: Request,
    *,
    templates: TemplatesDep,
    session: SessionDep,
    _admin: AdminUser,
    actor: CurrentActor,
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    expires_days: Annotated[int | None, Form(ge=1)] = None,
) -> HTMLResponse:
    issued = await issue_token(
        session, name=name, role=role, actor=actor, expires_days=expires_days
    )
    return await _tokens_page(request, templates, session, issued=issued)


@router.post("/tokens/{token_id}/revoke", name="admin_revoke_token")
async def revoke(
    request: Request,
    *,
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> RedirectResponse:
    await revoke_token(session, token_id=token_id, actor=actor)
    target = request.app.url_path_for("admin_tokens")  # a path: the Host is never reflected
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
