"""The browser side of canary actions: the confirmation dialog's form posts here.

The same service as `POST /api/v1/canaries/.../{action}` does the work; this route only reads a
form and answers with a toast (for the page's script) or a redirect back (without script).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import ActionEnvDep, SessionDep, TemplatesDep
from portal.domain.action_rules import ActionName
from portal.errors import Unprocessable
from portal.security.access import OperatorUser
from portal.security.actors import CurrentActor
from portal.services.actions import ActionRequest, perform_action

router = APIRouter(include_in_schema=False)

Reason = Annotated[str, Form(max_length=500)]
ScopeField = Annotated[Literal["run", "always"], Form()]


@router.post("/canaries/{cluster}/{namespace}/{name}/actions/{action}", name="canary_action")
async def canary_action(
    *,
    request: Request,
    cluster: str,
    namespace: str,
    name: str,
    action: ActionName,
    _: OperatorUser,
    actor: CurrentActor,
    env: ActionEnvDep,
    session: SessionDep,
    templates: TemplatesDep,
    reason: Reason = "",
    scope: ScopeField = "run",
) -> Response:
    if not reason.strip():
        raise Unprocessable("a reason is required: say why, it goes to the audit log")
    wanted = ActionRequest(
        cluster=cluster,
        namespace=namespace,
        name=name,
        action=action,
        reason=reason.strip(),
        scope=scope,
    )
    record = await perform_action(
        session,
        request=wanted,
        actor=actor,
        env=env,
    )
    if request.headers.get("hx-request") != "true":
        target = request.app.url_path_for(  # a path: the Host is never reflected
            "canary_page", cluster=cluster, namespace=namespace, name=name
        )
        return RedirectResponse(target, status_code=303)
    message = f"{record.detail} Takes effect {record.takes_effect}."
    context = {"status": 202, "title": f"{action.value} {namespace}/{name}:", "message": message}
    response: HTMLResponse = templates.TemplateResponse(
        request, "components/_toast.html", context, status_code=202
    )
    return response
