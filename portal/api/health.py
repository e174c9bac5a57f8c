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


class Readiness(BaseModel):
    status: str
    reasons: dict[str, str]


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
    body = Readiness(status="not ready" if reasons else "ready", reasons=reasons)
    return JSONResponse(body.model_dump(), status_code=503 if reasons else 200)
