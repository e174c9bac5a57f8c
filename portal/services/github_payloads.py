"""Is a signed GitHub delivery one the portal can use? Checked before anything is stored.

A valid signature proves who sent a body, not that it is well formed: a delivery whose body is
not a JSON object, lacks a field its event type always carries, has a time that is not ISO 8601
with an offset, or would put a control character or a lone surrogate into a stored fact is
refused with 422 and the reason, and stores nothing (no delivery row, no fact). The parsers are
the ones that later turn the stored delivery into facts, so what passes here parses there.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from portal.domain.github_events import (
    parse_deployment,
    parse_deployment_status,
    parse_push,
    parse_workflow_run,
)
from portal.domain.text_input import bad_strings


def _facts(event: str, payload: dict[str, Any], workflows: frozenset[str]) -> list[Any]:
    """What the event would record (raises ValueError or TypeError when it cannot)."""
    if event == "push":
        push = parse_push(payload)
        return [] if push is None else [push]
    if event == "deployment_status":
        return [parse_deployment_status(payload)]
    if event == "deployment":
        return [parse_deployment(payload)]
    if event == "workflow_run":
        found = parse_workflow_run(payload, workflows=workflows)
        return [] if found is None else list(found)
    return []


def payload_problem(event: str, body: bytes, *, workflows: frozenset[str]) -> str | None:
    """Why this delivery of `event` cannot be used, or None when it can."""
    try:
        payload = json.loads(body)
    except ValueError as error:  # bad JSON and bad UTF-8 alike
        return f"the body is not JSON: {error}"
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    try:
        facts = _facts(event, payload, workflows)
    except (ValueError, TypeError) as error:
        return f"{event} payload: {error}"
    for fact in facts:
        if fact is None:
            continue
        for bad in bad_strings(asdict(fact), (), allowed=frozenset()):
            where = ".".join(str(part) for part in bad.loc)
            return f"{event} payload: {where}: {bad.message}"
    return None
