"""A change in the cluster reaches a connected browser stream as an out-of-band fragment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from portal.security.roles import Role
from portal.web.presenting import dom_id
from tests.integration.fleet.conftest import PROGRESSING_STATUS, Fleet
from tests.support import objects
from tests.support.apps import create_api_token
from tests.support.servers import serve_app


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) pairs of an SSE stream."""
    name, data = "", []
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
        elif line == "" and name:
            yield name, "\n".join(data)
            name, data = "", []


@dataclass(frozen=True)
class Named:
    cluster: str
    namespace: str
    name: str


async def test_a_status_change_reaches_a_connected_stream(fleet: Fleet) -> None:
    token = await create_api_token(fleet.portal, Role.viewer)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        serve_app(fleet.portal.app, lifespan="off") as base_url,
        httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client,
        client.stream("GET", "/stream", params={"page": "canaries"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        assert await anext(stream) == ("hello", "subscribed")
        canary = objects.canary("web", "shop", gate_base_url="http://portal.test")
        succeeded = {
            **PROGRESSING_STATUS,
            "phase": "Succeeded",
            "canaryWeight": 0,
            "failedChecks": 0,
        }
        fleet.dc.objects.put({**canary, "status": succeeded})
        name, html = await anext(stream)
    row_id = dom_id(Named("devcluster", "shop", "web"), "canary-row")
    assert name == "fleet"
    assert f'<tr id="{row_id}" class="" hx-swap-oob="true">' in html
    assert '<span class="chip chip-ok">Succeeded</span>' in html
