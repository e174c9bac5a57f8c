"""Control characters in any string input are a 422 naming the field (issue 11 point 5).

A NUL in a reason once failed an action with 500 on PostgreSQL after the Kubernetes patch was
applied (no audit row); `?cluster=devcluster%00` was a 500 too. Each attack is performed here on
SQLite and PostgreSQL: nothing reaches the cluster or the database.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from portal.models.audit import AuditEvent
from portal.security.roles import Role
from tests.integration.actions.support import CLUSTER, NS, Stage, add_canary, gated_canary, spec
from tests.support.apps import signed_in

CANARY_PATH = f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/idle"


async def pause_rows(stage: Stage) -> int:
    async with stage.portal.app.state.portal.sessionmaker() as session:
        rows = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pause")
        return int((await session.exec(rows)).one())


def refused(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(item["loc"], item["type"]) for item in response.json()["detail"]]


async def idle_canary(stage: Stage) -> None:
    await add_canary(stage, gated_canary("idle", base_url=stage.base_url, gates={}))


@pytest.mark.parametrize(
    "reason",
    ["stop\x00now", "bell\x07", "escape\x1b[31m", "del\x7f", "c1\x85", "esc\u009b"],
)
async def test_a_control_character_in_a_reason_is_refused_before_any_effect(
    stage: Stage, reason: str
) -> None:
    await idle_canary(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await operator.post(
            f"/api/v1/canaries/{CLUSTER}/{NS}/idle/pause", json={"reason": reason}
        )
    assert refused(response) == [(["body", "reason"], "control_character")]
    assert stage.dc.requests.matching(method="PATCH", path=CANARY_PATH) == []
    assert spec(stage, "idle").get("suspend") is None
    assert await pause_rows(stage) == 0


async def test_a_lone_surrogate_in_a_json_field_is_refused(stage: Stage) -> None:
    await idle_canary(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await operator.post(
            f"/api/v1/canaries/{CLUSTER}/{NS}/idle/pause",
            content=b'{"reason": "half \\ud800 a pair"}',
            headers={"content-type": "application/json"},
        )
    assert refused(response) == [(["body", "reason"], "control_character")]
    assert "lone surrogate U+D800" in response.json()["detail"][0]["msg"]
    assert stage.dc.requests.matching(method="PATCH", path=CANARY_PATH) == []


async def test_a_multi_line_reason_is_still_accepted(stage: Stage) -> None:
    await idle_canary(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await operator.post(
            f"/api/v1/canaries/{CLUSTER}/{NS}/idle/pause",
            json={"reason": "error budget\r\nburning\tfast"},
        )
    assert response.status_code == 202, response.text
    assert spec(stage, "idle")["suspend"] is True


async def test_a_nul_in_the_browser_form_is_refused_naming_the_field(stage: Stage) -> None:
    await idle_canary(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await operator.post(
            f"/canaries/{CLUSTER}/{NS}/idle/actions/pause",
            data={"reason": "stop\x00now"},
            headers={"accept": "application/json"},
        )
    assert refused(response) == [(["body", "reason"], "control_character")]
    assert stage.dc.requests.matching(method="PATCH", path=CANARY_PATH) == []


async def test_a_nul_in_a_query_or_path_parameter_is_refused_naming_it(stage: Stage) -> None:
    await idle_canary(stage)
    async with signed_in(stage.portal, Role.viewer) as viewer:
        audit = await viewer.get("/api/v1/audit?cluster=devcluster%00")
        canary = await viewer.get(f"/api/v1/canaries/{CLUSTER}%00/{NS}/idle")
        named = await viewer.get("/api/v1/audit?clus%01ter=devcluster")
    assert refused(audit) == [(["query", "cluster"], "control_character")]
    assert refused(canary) == [(["path", "cluster"], "control_character")]
    assert refused(named) == [(["query", "clus\x01ter"], "control_character")]
    assert "U+0000 at position 10" in audit.json()["detail"][0]["msg"]
