"""While a canary is Waiting, Flagger's checksum still names the previous revision
(pkg/controller/webhook.go:144-154; scheduler.go:852-859, 896-904 at v1.44.0), so an approval
also binds to the pod template the operator saw: a revision pushed afterwards holds until it is
approved itself."""

from __future__ import annotations

from typing import Any

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.domain.flagger_checksum import flagger_checksum
from portal.domain.template_hashes import template_hash
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.waiting import wait_until

CHECKSUM = flagger_checksum(last_applied_spec="rev1", tracked_configs=None)
WAITING = {"phase": "Waiting", "failedChecks": 0, "canaryWeight": 0, "lastAppliedSpec": "rev1"}


def waiting_canary() -> dict[str, Any]:
    canary = objects.canary("web", "shop")
    canary["spec"]["analysis"]["webhooks"] = [
        {
            "name": "portal-confirm-rollout",
            "type": "confirm-rollout",
            "url": "http://portal.test/flagger/gates/confirm-rollout",
            "metadata": {"token": FLAGGER_TOKEN, "policy": "closed"},
        }
    ]
    return {**canary, "status": WAITING}


async def confirm_rollout(running: RunningApp) -> tuple[int, str]:
    body = {
        "name": "web",
        "namespace": "shop",
        "phase": "Waiting",
        "checksum": CHECKSUM,
        "metadata": {"token": FLAGGER_TOKEN, "policy": "closed"},
    }
    answer = await running.client.post("/flagger/gates/confirm-rollout", json=body)
    return answer.status_code, answer.text


async def push(dc: DevCluster, running: RunningApp, image: str) -> None:
    deployment = objects.deployment("web", "shop", image=image)
    dc.objects.put(deployment)
    want = template_hash(dc.objects.get("apps/v1", "Deployment", name="web", namespace="shop"))
    view = running.app.state.portal.view

    def seen() -> bool:
        raw = view.get("deployments", cluster="devcluster", namespace="shop", name="web")
        return template_hash(raw) == want

    await wait_until(seen, what=f"the view shows {image}")


async def test_an_approval_of_a_waiting_canary_does_not_approve_a_later_push(
    database_url: str,
) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace("shop"))
        dc.objects.put(objects.deployment("web", "shop", image="registry/web:2"))
        dc.objects.put(waiting_canary())
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
            before = await confirm_rollout(running)
            async with signed_in(running, Role.operator) as operator:
                path = "/api/v1/canaries/devcluster/shop/web/approve"
                first = await operator.post(path, json={"reason": "v2 looks good"})
                approved = await confirm_rollout(running)
                await push(dc, running, "registry/web:3-unreviewed")
                pushed = await confirm_rollout(running)
                second = await operator.post(path, json={"reason": "v3 reviewed too"})
                again = await confirm_rollout(running)
    assert before[0] == 403
    assert first.status_code == 202, first.text
    assert first.json()["outcome"] == "applied"
    assert approved == (
        200,
        "confirm-rollout of web.shop approved by an operator for this run\n",
    )
    assert pushed == (
        403,
        "confirm-rollout of web.shop: the approval was for another pod template; the target "
        "changed since the operator looked, so approve the new revision again\n",
    )
    assert (second.status_code, second.json()["outcome"]) == (202, "applied")
    assert again[0] == 200
