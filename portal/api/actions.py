"""`POST /api/v1/canaries/{cluster}/{namespace}/{name}/{action}`: operator actions.

Operators and admins only; every action needs a reason. 202 with the action record (also when
an identical request already took effect: the record says so), 409 with the reason when the
action does not apply, 404 for an unknown cluster or canary, 422 for a bad action or body,
502 when the cluster refuses or does not answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator

from portal.deps import SessionDep, StateDep
from portal.domain.action_rules import ActionName
from portal.security.access import OperatorUser
from portal.security.actors import CurrentActor
from portal.services.actions import ActionEnv, ActionRequest, perform_action
from portal.services.actions_records import ActionRecord

router = APIRouter(prefix="/api/v1", tags=["actions"])


class ActionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why; kept in the audit log")
    scope: Literal["run", "always"] = Field(
        default="run", description="approve only: this run (default) or every run"
    )

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value.strip()


@router.post(
    "/canaries/{cluster}/{namespace}/{name}/{action}",
    status_code=202,
    response_model=ActionRecord,
    responses={409: {"description": "the action does not apply now; detail says why"}},
)
async def act_on_canary(
    *,
    request: Request,
    cluster: str,
    namespace: str,
    name: str,
    action: ActionName,
    body: ActionIn,
    _: OperatorUser,
    actor: CurrentActor,
    state: StateDep,
    session: SessionDep,
) -> ActionRecord:
    """Pause, resume, roll back, promote, approve or retry one canary."""
    settings = state.settings
    env = ActionEnv(
        view=state.view,
        clients={c.name: c.client for c in state.clusters},
        portal_url=str(request.base_url),
        token_configured=settings.flagger_webhook_token is not None,
        timeout=settings.kube_write_timeout_seconds,
        now=datetime.now(UTC),
    )
    wanted = ActionRequest(
        cluster=cluster,
        namespace=namespace,
        name=name,
        action=action,
        reason=body.reason,
        scope=body.scope,
    )
    return await perform_action(session, request=wanted, actor=actor, env=env)
