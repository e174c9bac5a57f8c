"""GitHub's published webhook payloads (@octokit/webhooks-examples, MIT), fetched by
`make webhook-examples` into var/ and never committed; outside CI a test skips without them."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

INDEX = (
    Path(__file__).resolve().parents[2]
    / "var/octokit-webhooks-examples/package/api.github.com/index.json"
)


@cache
def _examples() -> dict[str, list[dict[str, Any]]]:
    return {entry["name"]: entry["examples"] for entry in json.loads(INDEX.read_text())}


def example(event: str, index: int) -> dict[str, Any]:
    """A deep copy of GitHub's example payload number `index` of `event`."""
    if not INDEX.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("run `make webhook-examples`: GitHub's example payloads are missing")
        pytest.skip("GitHub's example payloads are not fetched (make webhook-examples)")
    found: dict[str, Any] = json.loads(json.dumps(_examples()[event][index]))
    return found
