"""A caller-supplied checksum never decides which run an operator's action binds to: actions bind
to the run the portal observes (the checksum Flagger computes from the watched status), so a
forged gate or event call cannot divert a rollback."""

from __future__ import annotations

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.domain.flagger_checksum import flagger_checksum
from portal.security.roles import Role
from tests.integration.fleet.conftest import PROGRESSING_STATUS, seed
from tests.support.apps import running_app, signed_in
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.waiting import wait_until

OBSERVED = flagger_checksum(
    last_applied_spec=PROGRESSING_STATUS["lastAppliedSpec"], tracked_configs=None
)


def flagger_call(checksum: str, **metadata: str) -> dict[str, object]:
    return {
        "name": "web",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": checksum,
        "metadata": {"token": FLAGGER_TOKEN, **metadata},
    }


async def test_a_forged_checksum_cannot_divert_an_operators_rollback(database_url: str) -> None:
    """Attack: a token holder sends confirm-traffic-increase and event calls with checksum
    `attacker0000`; the operator's rollback used to bind to that newest checksum, so Flagger's
    real rollback calls kept getting 403 while the API answered "applied"."""
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            flagger_tokens=flagger_tokens(),
            watch_kinds=["canaries", "deployments"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            client = running.client
            forged = flagger_call("attacker0000")
            gate = await client.post("/flagger/gates/confirm-traffic-increase", json=forged)
            event = flagger_call("attacker0000", eventMessage="Advance web.shop canary weight 30")
            assert (await client.post("/flagger/events", json=event)).status_code == 202
            async with signed_in(running, Role.operator) as operator:
                acted = await operator.post(
                    "/api/v1/canaries/devcluster/shop/web/rollback",
                    json={"reason": "errors climbing"},
                )
            real = await client.post("/flagger/gates/rollback", json=flagger_call(OBSERVED))
            attacker = await client.post(
                "/flagger/gates/rollback", json=flagger_call("attacker0000")
            )
            state = (await operator_view(running)).json()
    assert gate.status_code == 200
    assert acted.status_code == 202, acted.text
    assert (acted.json()["outcome"], acted.json()["detail"]) == (
        "applied",
        f"opened the rollback gate for run {OBSERVED}",
    )
    assert (real.status_code, real.text) == (
        200,
        "rollback of web.shop requested by an operator for this run\n",
    )
    assert attacker.status_code == 403
    assert [(c["gate"], c["checksum"]) for c in state["calls"]] == [("rollback", OBSERVED)]


async def operator_view(running):  # type: ignore[no-untyped-def]
    async with signed_in(running, Role.viewer) as viewer:
        return await viewer.get("/api/v1/gates/devcluster/shop/web")
