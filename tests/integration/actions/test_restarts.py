"""State that must survive a portal restart: a promote's skipAnalysis reset, and settings-driven
gate defaults."""

from __future__ import annotations

from devcluster.harness import serve_devcluster
from portal.security.roles import Role
from tests.integration.actions.conftest import stage_settings
from tests.integration.actions.support import (
    NS,
    Stage,
    act,
    add_canary,
    gated_canary,
    release,
    spec,
    status,
    wait_phase,
)
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.servers import serve_app
from tests.support.waiting import wait_until


async def test_a_restarted_portal_still_resets_skip_analysis(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace(NS))
        settings = stage_settings(database_url, dc.kubeconfig)
        canary = gated_canary("web", base_url="http://unused", gates={}, interval="300s")
        async with running_app(settings) as first:
            stage = Stage(dc=dc, portal=first, base_url="http://unused")
            await add_canary(stage, canary)
            release(stage, "web", "registry/web:2")
            await wait_phase(stage, "web", "Progressing", within=30)
            await wait_until(
                lambda: (
                    first.app.state.portal.view.get(
                        "canaries", cluster="devcluster", namespace=NS, name="web"
                    )["status"]["phase"]
                    == "Progressing"
                ),
                what="the portal sees Progressing",
            )
            async with signed_in(first, Role.operator) as operator:
                assert (await act(operator, "web", "promote")).status_code == 202
        await wait_phase(stage, "web", "Succeeded", within=30)
        assert spec(stage, "web")["skipAnalysis"] is True
        async with running_app(settings):
            await wait_until(
                lambda: spec(stage, "web")["skipAnalysis"] is False,
                what="skipAnalysis reset by the restarted portal",
            )
        assert status(stage, "web")["lastPromotedSpec"] == status(stage, "web")["lastAppliedSpec"]


async def test_gate_defaults_from_settings_close_confirm_promotion(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace(NS))
        settings = stage_settings(
            database_url, dc.kubeconfig, gate_defaults={"confirm-promotion": "closed"}
        )
        async with running_app(settings) as running, serve_app(running.app, lifespan="off") as url:
            stage = Stage(dc=dc, portal=running, base_url=url)
            gates: dict[str, dict[str, str]] = {"confirm-promotion": {}}
            await add_canary(stage, gated_canary("web", base_url=url, gates=gates))
            release(stage, "web", "registry/web:2")
            await wait_phase(stage, "web", "WaitingPromotion")
            async with signed_in(running, Role.operator) as operator:
                approved = await act(operator, "web", "approve")
            assert (approved.status_code, approved.json()["gate"]) == (202, "confirm-promotion")
            await wait_phase(stage, "web", "Succeeded")
