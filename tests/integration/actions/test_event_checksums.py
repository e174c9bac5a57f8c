"""An event webhook names the run's checksum: an operator can roll back before Flagger has
called any gate of the run, and the rollback is bound to that run only."""

from __future__ import annotations

from pydantic import SecretStr

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.fleet.conftest import seed
from tests.support.apps import running_app, signed_in
from tests.support.waiting import wait_until


def flagger_call(checksum: str, **metadata: str) -> dict[str, object]:
    return {
        "name": "web",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": checksum,
        "metadata": {"token": "s3cret", **metadata},
    }


async def test_rollback_right_after_an_event_is_bound_to_that_run(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            flagger_webhook_token=SecretStr("s3cret"),
            watch_kinds=["canaries"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            event = flagger_call("run-a", eventMessage="Advance web.shop canary weight 20")
            assert (await running.client.post("/flagger/events", json=event)).status_code == 202
            async with signed_in(running, Role.operator) as operator:
                acted = await operator.post(
                    "/api/v1/canaries/devcluster/shop/web/rollback",
                    json={"reason": "errors climbing"},
                )
            this_run = await running.client.post(
                "/flagger/gates/rollback", json=flagger_call("run-a")
            )
            next_run = await running.client.post(
                "/flagger/gates/rollback", json=flagger_call("run-b")
            )
    assert acted.status_code == 202, acted.text
    assert (acted.json()["outcome"], acted.json()["gate"]) == ("applied", "rollback")
    assert this_run.status_code == 200
    assert next_run.status_code == 403
    assert next_run.text == "no rollback requested for web.shop in this run\n"
