"""The composition root: `create_app` builds one fully wired load-harness app per call.

Nothing is built at import time; tests build as many apps as they like, each with its own
settings, registry, job manager and (seeded) chaos generator. The lifespan marks the app ready and,
on shutdown, stops every job so no worker process or held memory outlives the server.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from load_harness.api import admin, loads, pages, probes, work
from load_harness.bounding import BoundingMiddleware
from load_harness.cgroups import read_limits
from load_harness.chaos import Chaos, ChaosConfig
from load_harness.config import Settings
from load_harness.errors import CapacityExhausted, HarnessError, InjectedFailure
from load_harness.instrumenting import InstrumentingMiddleware
from load_harness.jobs import JobLimits, JobManager
from load_harness.metrics import create_metrics
from load_harness.securing import SecuringMiddleware
from load_harness.state import HarnessState

PACKAGE_DIR = Path(__file__).resolve().parent
MAX_BODY_BYTES = 16 * 1024  # every request body is a small JSON object; refuse floods unread


def create_app(settings: Settings | None = None, *, rng: random.Random | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings if settings is not None else Settings()
    state = build_state(settings=settings, rng=rng)
    app = FastAPI(
        title="load-harness",
        version=settings.app_version,
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.harness = state
    for module in (probes, loads, work, admin, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.add_exception_handler(HarnessError, _refuse)
    app.add_exception_handler(RequestValidationError, _reject_invalid_request)
    app.add_middleware(BoundingMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(InstrumentingMiddleware, metrics=state.metrics)
    app.add_middleware(SecuringMiddleware)
    return app


def build_state(*, settings: Settings, rng: random.Random | None) -> HarnessState:
    """Wire the metrics, limits, job manager and chaos of one app."""
    metrics = create_metrics(
        version=settings.app_version, pod=settings.pod_name, namespace=settings.pod_namespace
    )
    limits = JobLimits(
        container=read_limits(cgroup_root=settings.cgroup_root),
        max_jobs=settings.max_jobs,
        memory_share=settings.memory_share,
        worker_nice=settings.worker_nice,
    )
    chaos = ChaosConfig(
        error_rate=settings.chaos_error_rate,
        latency_ms=settings.chaos_latency_ms,
        jitter_ms=settings.chaos_jitter_ms,
    )
    state = HarnessState(
        settings=settings,
        metrics=metrics,
        chaos=Chaos(config=chaos, rng=rng if rng is not None else _seeded(settings)),
        jobs=JobManager(limits=limits, metrics=metrics),
        templates=Jinja2Templates(directory=PACKAGE_DIR / "templates"),
    )
    state.set_chaos(config=chaos)
    return state


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: HarnessState = app.state.harness
    log = structlog.get_logger("load_harness")
    limits = state.jobs.limits
    log.info(
        "load harness started",
        version=state.settings.app_version,
        auth=state.settings.auth,
        cpu_quota_cores=limits.container.cpu_quota_cores,
        memory_cap_bytes=limits.memory_cap_bytes,
        limits_source=limits.container.source,
    )
    if state.settings.auth == "disabled":
        log.warning("authentication is disabled: load and admin endpoints are open")
    state.ready = True
    try:
        yield
    finally:
        state.ready = False
        await state.jobs.shutdown()
        log.info("load harness stopped; every job stopped")


async def _refuse(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HarnessError)
    headers = {}
    if isinstance(error, CapacityExhausted):
        headers["Retry-After"] = str(error.retry_after_seconds)
    body: dict[str, object] = {"detail": error.reason}
    if isinstance(error, InjectedFailure):
        body["injected"] = True
    return JSONResponse(body, status_code=error.status_code, headers=headers)


async def _reject_invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    if any(item["type"] == "json_invalid" for item in errors):
        return JSONResponse({"detail": "request body is not valid JSON"}, status_code=400)
    if any(item["type"] == "model_attributes_type" and item["loc"] == ("body",) for item in errors):
        detail = "request body must be a JSON object sent as Content-Type: application/json"
        return JSONResponse({"detail": detail}, status_code=400)
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _seeded(settings: Settings) -> random.Random:
    """Chaos decisions are a demo fault generator, not security: a plain seeded Random."""
    return random.Random(settings.chaos_seed)  # noqa: S311
