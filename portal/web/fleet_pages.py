"""The live fleet pages: overview, canaries, one canary, HPAs.

Each endpoint renders the whole page (it works without JavaScript); htmx requests pick the
fragment they need with `hx-select`, so the markup lives once. Live updates arrive over
`/stream` (see `portal.web.live`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from portal.deps import SessionDep, SettingsDep, StateDep, TemplatesDep, ViewDep
from portal.models import CanaryRun
from portal.security.access import require_role
from portal.security.roles import Role
from portal.services import fleet, timeline
from portal.services.canary_details import canary_details, run_duration
from portal.services.gates_freezes import list_freezes
from portal.web.fleet_context import base_context, overview_context
from portal.web.notifications import own_channel_name
from portal.web.presenting import hpa_key
from portal.web.sparklines import sparkline

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_role(Role.viewer))])

HISTORY_HOURS = 6


def _blank_to_none(value: str | None) -> str | None:
    return value or None


Text = Annotated[str | None, Query(max_length=253)]


@router.get("/", response_class=HTMLResponse, name="overview")
async def overview(
    *, request: Request, templates: TemplatesDep, view: ViewDep, session: SessionDep
) -> HTMLResponse:
    now = datetime.now(UTC)
    canaries = fleet.attention_first(fleet.all_canaries(view, now=now))
    hpas = fleet.list_hpas(view, now=now)
    context = {
        **overview_context(view, canaries=canaries, hpas=hpas),
        "freezes": await list_freezes(session, active_only=True),
        "cluster_names": view.clusters,
    }
    return templates.TemplateResponse(request, "overview/index.html", context)


@router.get("/canaries", response_class=HTMLResponse, name="canaries")
async def canaries_page(
    *,
    request: Request,
    templates: TemplatesDep,
    view: ViewDep,
    session: SessionDep,
    cluster: Text = None,
    namespace: Text = None,
    search: Text = None,
    attention: bool = False,
) -> HTMLResponse:
    query = fleet.CanaryQuery(
        cluster=_blank_to_none(cluster),
        namespace=_blank_to_none(namespace),
        attention=True if attention else None,
        search=_blank_to_none(search),
    )
    fleet.require_cluster(view, query.cluster)
    everything = fleet.all_canaries(view, now=datetime.now(UTC))
    context = {
        **base_context(view, active="canaries"),
        "canaries": [canary for canary in everything if query.matches(canary)],
        "query": query,
        "cluster_names": view.clusters,
        "namespaces": sorted({c.namespace for c in everything}),
        "freezes": await list_freezes(session, active_only=True),
    }
    return templates.TemplateResponse(request, "canaries/index.html", context)


@router.get(
    "/canaries/{cluster}/{namespace}/{name}", response_class=HTMLResponse, name="canary_page"
)
async def canary_page(
    *,
    request: Request,
    cluster: str,
    namespace: str,
    name: str,
    templates: TemplatesDep,
    view: ViewDep,
    session: SessionDep,
    settings: SettingsDep,
    state: StateDep,
) -> HTMLResponse:
    details = await canary_details(
        view,
        session,
        cluster=cluster,
        namespace=namespace,
        name=name,
        now=datetime.now(UTC),
        prometheus_url=settings.prometheus_url,
        unwritten=state.unwritten_gate_calls,  # last calls answered, not yet written
    )
    context = {
        **base_context(view, active="canaries"),
        "clusters": [details.cluster],
        "canary": details.canary,
        "image": details.image,
        "timeline": details.timeline,
        "runs": [_run_row(run, events_only=details.events_only_runs) for run in details.runs],
        "metric_values": details.metrics.values,
        "metric_note": details.metrics.note,
        "gate_holds": details.holds,
        "measured": {m.metric: m for m in details.measured},
        "freezes": await list_freezes(session, active_only=True),
        "own_channel": await own_channel_name(request, session),
    }
    return templates.TemplateResponse(request, "canaries/detail.html", context)


@router.get(
    "/canaries/{cluster}/{namespace}/{name}/timeline",
    response_class=HTMLResponse,
    name="canary_timeline",
)
async def canary_timeline(
    *,
    request: Request,
    cluster: str,
    namespace: str,
    name: str,
    templates: TemplatesDep,
    view: ViewDep,
    session: SessionDep,
) -> HTMLResponse:
    fleet.get_canary(view, cluster=cluster, namespace=namespace, name=name, now=datetime.now(UTC))
    runs = await timeline.canary_runs(session, cluster=cluster, namespace=namespace, name=name)
    events_only = await timeline.runs_from_events_only(
        session, run_ids=[run.id for run in runs if run.id is not None]
    )
    context = {
        "timeline": await timeline.canary_timeline(
            session, cluster=cluster, namespace=namespace, name=name
        ),
        "runs": [_run_row(run, events_only=events_only) for run in runs],
    }
    return templates.TemplateResponse(request, "canaries/_timeline.html", context)


def _run_row(run: CanaryRun, *, events_only: frozenset[int]) -> dict[str, object]:
    return {
        **run.model_dump(),
        "duration_seconds": run_duration(run),
        "timeline_from_events_only": run.id in events_only,
    }


@router.get("/hpas", response_class=HTMLResponse, name="hpas")
async def hpas_page(
    *, request: Request, templates: TemplatesDep, view: ViewDep, session: SessionDep
) -> HTMLResponse:
    now = datetime.now(UTC)
    hpas = fleet.list_hpas(view, now=now)
    history = await timeline.hpa_history(session, since=now - timedelta(hours=HISTORY_HOURS))
    sparks = {
        hpa_key(h): sparkline(
            [(s.at, s.current_replicas) for s in history.get(hpa_key(h), [])],
            maximum=h.max_replicas,
            label=f"replicas of {h.name}",
        )
        for h in hpas
    }
    context = {
        **base_context(view, active="hpas"),
        "hpas": hpas,
        "sparks": sparks,
        "history_hours": HISTORY_HOURS,
        "freezes": await list_freezes(session, active_only=True),
    }
    return templates.TemplateResponse(request, "hpas/index.html", context)


@router.get(
    "/hpas/{cluster}/{namespace}/{name}/sparkline",
    response_class=HTMLResponse,
    name="hpa_sparkline",
)
async def hpa_sparkline(
    *, cluster: str, namespace: str, name: str, view: ViewDep, session: SessionDep
) -> HTMLResponse:
    now = datetime.now(UTC)
    hpa = fleet.get_hpa(view, cluster=cluster, namespace=namespace, name=name, now=now)
    history = await timeline.hpa_history(
        session,
        since=now - timedelta(hours=HISTORY_HOURS),
        cluster=cluster,
        namespace=namespace,
        name=name,
    )
    points = [(s.at, s.current_replicas) for s in history.get((cluster, namespace, name), [])]
    svg = sparkline(points, maximum=hpa.max_replicas, label=f"replicas of {name}")
    return HTMLResponse(svg)
