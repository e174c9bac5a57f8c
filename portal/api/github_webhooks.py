"""`POST /webhooks/github`: GitHub's webhook, verified by `X-Hub-Signature-256`.

A delivery is checked (signature against PORTAL_GITHUB_WEBHOOK_SECRET in constant time; a missing
or wrong one is an audited 401), stored under its `X-GitHub-Delivery` id and answered; the facts
are written after the answer. A delivery id seen before answers 200 and stores nothing; an event
type the portal does not use answers 202 and is dropped; a signed delivery of a used type whose
payload is malformed answers 422 with the reason and stores nothing (portal.services.
github_payloads).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from portal.deps import SessionDep, StateDep
from portal.domain.github_events import HANDLED_EVENTS
from portal.domain.github_signatures import signature_valid
from portal.errors import BadRequest, Unauthorized, Unprocessable
from portal.security.access import public
from portal.security.denials import record_denial
from portal.services.github_deliveries import process_delivery, store_delivery
from portal.services.github_payloads import payload_problem

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(public("GitHub webhooks: every delivery's signature is verified"))],
)


class DeliveryAnswer(BaseModel):
    status: Literal["accepted", "duplicate", "ignored", "pong"]
    delivery: str


async def _verified_body(request: Request, state: StateDep, signature: str | None) -> bytes:
    body = await request.body()
    secret = state.settings.github_webhook_secret
    if secret is None:
        detail = "no GitHub webhook secret is configured (PORTAL_GITHUB_WEBHOOK_SECRET)"
    elif signature_valid(secret=secret.get_secret_value().encode(), body=body, header=signature):
        return body
    else:
        detail = "X-Hub-Signature-256 is missing or does not match the webhook secret"
    await record_denial(request, identity=None, status=401, detail=detail, action="github-webhook")
    raise Unauthorized(detail)


@router.post(
    "/github",
    response_model=DeliveryAnswer,
    status_code=202,
    responses={200: {"model": DeliveryAnswer}},
)
async def github_webhook(
    *,
    request: Request,
    state: StateDep,
    session: SessionDep,
    background: BackgroundTasks,
    x_hub_signature_256: Annotated[str | None, Header(max_length=200)] = None,
    x_github_event: Annotated[str | None, Header(max_length=64)] = None,
    x_github_delivery: Annotated[str | None, Header(max_length=64)] = None,
) -> JSONResponse:
    body = await _verified_body(request, state, x_hub_signature_256)
    if not x_github_event or not x_github_delivery:
        raise BadRequest("X-GitHub-Event and X-GitHub-Delivery are required")
    if x_github_event not in HANDLED_EVENTS:
        return _answer(202, "ignored", x_github_delivery)
    workflows = frozenset(state.settings.github_deploy_workflows)
    problem = payload_problem(x_github_event, body, workflows=workflows)
    if problem is not None:
        raise Unprocessable(problem)
    row_id = await store_delivery(
        session,
        delivery_id=x_github_delivery,
        event=x_github_event,
        body=body.decode("utf-8", errors="replace"),
    )
    if row_id is None:
        return _answer(200, "duplicate", x_github_delivery)
    await session.commit()
    background.add_task(
        process_delivery,
        state.sessionmaker,
        row_id=row_id,
        workflows=workflows,
    )
    if x_github_event == "ping":
        return _answer(200, "pong", x_github_delivery)
    return _answer(202, "accepted", x_github_delivery)


def _answer(status: int, outcome: str, delivery: str) -> JSONResponse:
    return JSONResponse({"status": outcome, "delivery": delivery}, status_code=status)
