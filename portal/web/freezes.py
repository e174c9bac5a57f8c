"""Change freezes from the browser: admins start and lift them; every fleet page shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from portal.deps import SessionDep, ViewDep
from portal.errors import Unprocessable
from portal.security.access import AdminUser
from portal.security.actors import CurrentActor
from portal.services.fleet import require_cluster
from portal.services.gates_freezes import create_freeze, lift_freeze

router = APIRouter(include_in_schema=False)

FreezeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _back(request: Request) -> RedirectResponse:
    """Back to the page the form was on, as a path on this site, else the overview. Neither the
    Host nor the Referer's host is ever put into the Location."""
    referer = urlsplit(request.headers.get("referer", ""))
    path = referer.path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return RedirectResponse(request.app.url_path_for("overview"), status_code=303)
    target = path + (f"?{referer.query}" if referer.query else "")
    return RedirectResponse(target, status_code=303)


@router.post("/freezes", name="start_freeze")
async def start_freeze(
    *,
    request: Request,
    _: AdminUser,
    actor: CurrentActor,
    view: ViewDep,
    session: SessionDep,
    cluster: Annotated[str, Form(min_length=1, max_length=128)],
    reason: Annotated[str, Form(max_length=500)],
    namespace: Annotated[str, Form(max_length=253)] = "",
) -> RedirectResponse:
    if not reason.strip():
        raise Unprocessable("a reason is required: say why releases are frozen")
    require_cluster(view, cluster)
    await create_freeze(
        session,
        cluster=cluster,
        namespace=namespace.strip() or None,
        reason=reason.strip(),
        actor=actor,
    )
    return _back(request)


@router.post("/freezes/{freeze_id}/lift", name="lift_freeze")
async def lift(
    *,
    request: Request,
    freeze_id: FreezeId,
    _: AdminUser,
    actor: CurrentActor,
    session: SessionDep,
) -> RedirectResponse:
    await lift_freeze(session, freeze_id=freeze_id, actor=actor, now=datetime.now(UTC))
    return _back(request)
