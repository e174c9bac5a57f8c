"""`POST /api/v1/canaries/{cluster}/{namespace}/{name}/{action}`: operator actions.

Operators and admins only; every action needs a reason. 202 with the action record (also when
an identical request already took effect: the record says so), 409 with the reason when the
action does not apply, 404 for an unknown cluster or canary, 422 for a bad action or body,
502 when the cluster refuses or does not answer, 503 with `Retry-After` while it is
unreachable (nothing attempted or nothing reached it; audited as failed).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from portal.api.error_responses import ERROR_CONTENT
from portal.deps import ActionEnvDep, SessionDep
from portal.domain.action_rules import ActionName
from portal.security.access import OperatorUser
from portal.security.actors import CurrentActor
from portal.services.actions import ActionRequest, perform_action
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
    responses={
        409: {
            "content": ERROR_CONTENT,
            "description": "the action does not apply now; detail says why",
        },
        503: {
            "content": ERROR_CONTENT,
            "description": "the cluster is unreachable; nothing was changed (Retry-After)",
        },
    },
)
async def act_on_canary(
    *,
    cluster: str,
    namespace: str,
    name: str,
    action: ActionName,
    body: ActionIn,
    _: OperatorUser,
    actor: CurrentActor,
    env: ActionEnvDep,
    session: SessionDep,
) -> ActionRecord:
    """Pause, resume, roll back, promote, approve or retry one canary."""
    wanted = ActionRequest(
        cluster=cluster,
        namespace=namespace,
        name=name,
        action=action,
        reason=body.reason,
        scope=body.scope,
    )
    return await perform_action(session, request=wanted, actor=actor, env=env)
