"""Why a gate holds reaches operators through the canary's JSON: Flagger's `Halt ...` events
name only the hook (scheduler_hooks.go:31, 53, 76, 131 at v1.44.0; issue 10.6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from portal.security.roles import Role
from tests.integration.actions.support import (
    CLUSTER,
    NS,
    Stage,
    act,
    add_canary,
    gated_canary,
    release,
    wait_phase,
)
from tests.support.apps import signed_in
from tests.support.waiting import wait_until

DETAIL = f"/api/v1/canaries/{CLUSTER}/{NS}/web"


async def holds_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(DETAIL)
    assert response.status_code == 200, response.text
    holds: list[dict[str, Any]] = response.json()["gate_holds"]
    return holds


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_freeze_hold_shows_who_froze_since_when_and_how_long_it_holds(
    stage: Stage,
) -> None:
    await add_canary(
        stage, gated_canary("web", base_url=stage.base_url, gates={"confirm-rollout": {}})
    )
    async with (
        signed_in(stage.portal, Role.admin) as admin,
        signed_in(stage.portal, Role.viewer) as viewer,
    ):
        created = await admin.post(
            "/api/v1/freezes", json={"cluster": CLUSTER, "namespace": NS, "reason": "Black Friday"}
        )
        freeze = created.json()
        assert await holds_of(viewer) == []
        release(stage, "web", "registry/web:2")
        await wait_phase(stage, "web", "Waiting")
        first: list[dict[str, Any]] = []

        async def held() -> bool:
            first[:] = await holds_of(viewer)
            return bool(first)

        await wait_until(held, within=20, what="the freeze hold in the canary JSON")
        [hold] = first
        assert hold == {
            "gate": "confirm-rollout",
            "reason": f"change freeze #{freeze['id']} on namespace shop of cluster devcluster by "
            f"{freeze['created_by']}: Black Friday (lift it to let web.shop start a release)",
            "held_since": hold["held_since"],
            "last_asked_at": hold["last_asked_at"],
            "frozen_by": freeze["created_by"],
            "frozen_since": hold["frozen_since"],
        }
        assert when(hold["frozen_since"]) == when(freeze["created_at"])
        assert when(hold["held_since"]) <= when(hold["last_asked_at"])

        async def asked_again() -> bool:
            [later] = await holds_of(viewer)
            return bool(when(later["last_asked_at"]) > when(hold["last_asked_at"]))

        await wait_until(asked_again, within=20, what="a later call to the held gate")
        [later] = await holds_of(viewer)
        assert later["held_since"] == hold["held_since"]
        await admin.delete(f"/api/v1/freezes/{freeze['id']}")
        await wait_phase(stage, "web", "Succeeded")
        assert await holds_of(viewer) == []


async def test_a_promotion_closed_by_policy_says_it_waits_for_an_approval(stage: Stage) -> None:
    gates = {"confirm-promotion": {"policy": "closed"}}
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=gates))
    async with (
        signed_in(stage.portal, Role.operator) as operator,
        signed_in(stage.portal, Role.viewer) as viewer,
    ):
        release(stage, "web", "registry/web:2")
        await wait_phase(stage, "web", "WaitingPromotion")

        async def held() -> bool:
            return bool(await holds_of(viewer))

        await wait_until(held, within=20, what="the promotion hold in the canary JSON")
        [hold] = await holds_of(viewer)
        assert (hold["gate"], hold["reason"], hold["frozen_by"], hold["frozen_since"]) == (
            "confirm-promotion",
            "confirm-promotion of web.shop is closed by policy: waiting for an operator to "
            "approve (portal canary approve, or POST /api/v1/canaries/<cluster>/shop/web/approve)",
            None,
            None,
        )
        approved = await act(operator, "web", "approve")
        assert approved.status_code == 202, approved.text
        await wait_phase(stage, "web", "Succeeded")
        assert await holds_of(viewer) == []
