"""The chaos switch: read and replace the fault settings at run time (API key required)."""

from __future__ import annotations

from fastapi import APIRouter

from load_harness.api.deps import Authorised, StateDep
from load_harness.chaos import ChaosConfig

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Authorised])


@router.get("/chaos")
async def get_chaos(state: StateDep) -> ChaosConfig:
    """The fault settings in force."""
    return state.chaos.config


@router.put("/chaos")
async def put_chaos(body: ChaosConfig, state: StateDep) -> ChaosConfig:
    """Replace the fault settings; omitted fields reset to 0 (no faults)."""
    state.set_chaos(config=body)
    return body
