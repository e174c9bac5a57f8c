"""Probes: /healthz says the process runs; /readyz says whether it should get traffic."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from portal.deps import StateDep
from portal.services.readiness import collect_reasons

router = APIRouter(tags=["probes"])


class Health(BaseModel):
    status: str


class Leader(BaseModel):
    """Which replica runs the singleton work; a replica that does not lead is still ready."""

    identity: str
    is_leader: bool
    holder: str | None
    lease: str | None
    error: str | None


class Readiness(BaseModel):
    status: str
    reasons: dict[str, str]
    leader: Leader | None = None


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready, with the reasons"}},
)
async def readyz(state: StateDep) -> JSONResponse:
    reasons = await collect_reasons(state.readiness_checks)
    leader = Leader.model_validate(state.leader(), from_attributes=True) if state.leader else None
    body = Readiness(status="not ready" if reasons else "ready", reasons=reasons, leader=leader)
    return JSONResponse(body.model_dump(), status_code=503 if reasons else 200)
