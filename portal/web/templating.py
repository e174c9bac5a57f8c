"""Jinja2 environment for the web UI, built per app from settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from portal.services import fleet
from portal.services.fleet import ClusterStatus
from portal.web import presenting

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("canaries", "Canaries"),
    ("hpas", "HPAs"),
    ("dora", "DORA"),
    ("costs", "Costs"),
    ("audit", "Audit"),
)


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


def fleet_health(request: Request) -> list[ClusterStatus] | None:
    """Every watched cluster's health, for the banner every page carries (None before the
    lifespan has built the view, e.g. for an error page at start-up)."""
    state = getattr(request.app.state, "portal", None)
    return fleet.fleet_status(state.view) if state is not None else None


@pass_context
def url_path_for(context: Context, name: str, /, **params: object) -> str:
    """Site-relative URLs (behind any ingress prefix), also for fragments rendered without a
    request, such as the ones pushed over SSE (those pass the `app` in their context)."""
    request = context.get("request")
    app = request.app if request is not None else context["app"]
    root = request.scope.get("root_path", "") if request is not None else ""
    return root + str(app.url_path_for(name, **params))


def build_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    templates.env.globals["url_for"] = url_path_for
    templates.env.globals["fleet_health"] = fleet_health
    templates.env.globals["navigation"] = NAVIGATION
    templates.env.filters["time"] = format_time
    templates.env.filters["money"] = presenting.money
    templates.env.filters["rate"] = presenting.rate
    templates.env.filters["dom_id"] = presenting.dom_id
    templates.env.filters["phase_tone"] = presenting.phase_tone
    templates.env.filters["outcome_tone"] = presenting.outcome_tone
    templates.env.filters["duration"] = presenting.duration
    templates.env.filters["portal_gate"] = presenting.portal_gate
    templates.env.filters["hpa_key"] = presenting.hpa_key
    templates.env.filters["applicable_actions"] = presenting.applicable_actions
    templates.env.filters["action_label"] = presenting.action_label
    templates.env.filters["action_notes"] = presenting.action_notes
    templates.env.globals["action_consequence"] = presenting.action_consequence
    return templates
