"""Liveness, readiness, version and metrics: cheap, unauthenticated, never subject to chaos."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from load_harness.api.deps import StateDep
from load_harness.api.schemas import VersionInfo

router = APIRouter(tags=["probes"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and its event loop answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(state: StateDep) -> JSONResponse | dict[str, str]:
    """Ready for traffic: started and not shutting down."""
    if not state.ready:
        return JSONResponse({"status": "not ready"}, status_code=503)
    return {"status": "ready"}


@router.get("/version")
async def version(state: StateDep) -> VersionInfo:
    """The running version and the pod it runs in (from the downward API)."""
    settings = state.settings
    return VersionInfo(
        version=settings.app_version, pod=settings.pod_name, namespace=settings.pod_namespace
    )


@router.get("/metrics")
async def metrics(state: StateDep) -> Response:
    """Prometheus exposition of this app's registry."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
