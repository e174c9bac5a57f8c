"""The built-in status page: running jobs and chaos settings, refreshed by htmx polling.

One endpoint serves both the page and the fragment it polls (`HX-Request` header), and the page
includes the same partial, so the markup lives once. Read-only and secret-free, hence public.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from load_harness.api.deps import StateDep
from load_harness.jobs import JobState

router = APIRouter(tags=["status page"])


@router.get("/", response_class=HTMLResponse)
async def status_page(request: Request, state: StateDep) -> HTMLResponse:
    """The whole page, or only its `_status.html` fragment when htmx asks for it."""
    jobs = state.jobs.list_jobs()
    context = {
        "running": [job for job in jobs if job.state is JobState.RUNNING],
        "finished": [job for job in reversed(jobs) if job.state is not JobState.RUNNING][:10],
        "chaos": state.chaos.config,
        "version": state.settings.app_version,
        "pod": state.settings.pod_name,
        "namespace": state.settings.pod_namespace,
        "limits": state.jobs.limits,
    }
    is_fragment = request.headers.get("HX-Request") == "true"
    name = "status/_status.html" if is_fragment else "status/index.html"
    return state.templates.TemplateResponse(request, name, context)


@router.get("/favicon.ico", status_code=204, response_class=Response, include_in_schema=False)
async def favicon() -> Response:
    """No icon: an empty answer instead of a 404 in every browser's console."""
    return Response(status_code=204)
