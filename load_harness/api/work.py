"""A synchronous unit of CPU work per request, run in a thread so the event loop stays free."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter

from load_harness.api.deps import Authorised, Chaotic, StateDep
from load_harness.api.schemas import WorkRequest, WorkResult
from load_harness.errors import LimitExceeded
from load_harness.working import do_work

router = APIRouter(prefix="/api/v1", tags=["work"], dependencies=[Chaotic, Authorised])


@router.post("/work")
async def work(body: WorkRequest, state: StateDep) -> WorkResult:
    """Hash `iterations` 4 KiB blocks and answer with the digest and the time it took."""
    ceiling = state.settings.max_work_iterations
    if body.iterations > ceiling:
        raise LimitExceeded(f"iterations {body.iterations} exceeds this server's maximum {ceiling}")
    started = time.perf_counter()
    digest = await asyncio.to_thread(do_work, iterations=body.iterations)
    seconds = round(time.perf_counter() - started, 6)
    return WorkResult(iterations=body.iterations, sha256=digest, seconds=seconds)
