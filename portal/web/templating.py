"""Jinja2 environment for the web UI, built per app from settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

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


def build_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    templates.env.globals["navigation"] = NAVIGATION
    templates.env.filters["time"] = format_time
    return templates
