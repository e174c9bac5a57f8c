"""Actions against Flagger's real preconditions (issue 10, points 2 and 3).

- A failed promotion (primary never ready) keeps all traffic on the canary; a retry would roll
  back onto the unready primary and scale the canary to zero, so it is refused until the
  primary is fixed (API, UI and CLI).
- Flagger consults rollback hooks only once the canary's pods are ready and after the
  skipAnalysis check: a rollback says when it really takes effect, and withdraws a pending
  promote first.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devcluster.harness import serve_devcluster
from portal.security.roles import Role
from tests.integration.actions.conftest import stage_settings
from tests.integration.actions.support import (
    CLUSTER,
    NS,
    Stage,
    act,
    add_canary,
    gated_canary,
    spec,
    status,
    wait_phase,
)
from tests.integration.actions.test_actions import (
    gate_saw_this_run,
    retry_verdicts,
    slow_canary,
)
from tests.integration.actions.test_cli import TARGET, portal_canary
from tests.support import objects
from tests.support.apps import create_api_token, running_app, signed_in
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

READY = "devcluster.infra-fleet.io/ready"
PRIMARY_READY = "devcluster.infra-fleet.io/primary-ready"
REFUSAL = (
    "shop/web failed during promotion: its primary shop/web-primary never became ready and "
    "all traffic is on the canary. A retry starts a new revision, and Flagger would route "
    "everything back to the unready primary and scale the canary, the only healthy copy, to "
    "zero. Fix the primary first (kubectl -n shop rollout status deployment/web-primary); "
    "retry once it is ready"
)


def annotate(stage: Stage, name: str, annotations: dict[str, Any], *, image: str = "") -> None:
    deployment = stage.dc.objects.get("apps/v1", "Deployment", name=name, namespace=NS)
    del deployment["metadata"]["resourceVersion"]
    found = deployment["metadata"].setdefault("annotations", {})
    for key, value in annotations.items():
        if value is None:
            found.pop(key, None)
        else:
            found[key] = value
    if image:
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
    stage.dc.objects.put(deployment)


async def deployment_ready_in_view(stage: Stage, name: str, *, ready: bool) -> None:
    view = stage.portal.app.state.portal.view

    def seen() -> bool:
        obj = view.get("deployments", cluster=CLUSTER, namespace=NS, name=name) or {}
        replicas = int(obj.get("spec", {}).get("replicas", 1))
        found = int(obj.get("status", {}).get("readyReplicas", 0))
        return replicas > 0 and (found >= replicas) is ready

    await wait_until(seen, what=f"the portal sees {name} ready={ready}")


async def test_retry_after_a_failed_promotion_is_refused_until_the_primary_is_fixed(
    stage: Stage,
) -> None:
    canary = gated_canary("web", base_url=stage.base_url, gates={})
    canary["spec"]["progressDeadlineSeconds"] = 30
    await add_canary(stage, canary)
    annotate(stage, "web", {PRIMARY_READY: "false"}, image="registry/web:2")
    await wait_phase(stage, "web", "Failed")
    assert status(stage, "web")["canaryWeight"] == 100
    await deployment_ready_in_view(stage, "web-primary", ready=False)
    operator = await create_api_token(stage.portal, Role.operator)
    async with signed_in(stage.portal, Role.operator) as client:
        shown = (await client.get(f"/api/v1/canaries/{CLUSTER}/{NS}/web")).json()
        assert (shown["phase"], shown["canary_weight"]) == ("Failed", 100)
        assert shown["attention_reasons"][0] == (
            "failed during promotion: primary not ready, all traffic on the canary; "
            "fix the primary before any new revision"
        )
        refused = await act(client, "web", "retry")
        assert (refused.status_code, refused.json()) == (409, {"detail": REFUSAL})
        page = await client.get(f"/canaries/{CLUSTER}/{NS}/web")
        assert f"Retry refused: {REFUSAL}." in page.text.replace("&#39;", "'")
        assert 'data-action="retry"' not in page.text
        cli = await portal_canary(stage.base_url, operator, "retry", TARGET, "--reason", "again")
        assert (cli.code, cli.out, cli.err) == (3, "", f"error 409: {REFUSAL}\n")
        annotate(stage, "web-primary", {READY: None})
        await deployment_ready_in_view(stage, "web-primary", ready=True)
        retried = await act(client, "web", "retry")
    assert (retried.status_code, retried.json()["outcome"]) == (202, "requested")


def patient_canary(stage: Stage) -> dict[str, Any]:
    """slow_canary with a progress deadline of 6000 s (60 s at time_scale=100)."""
    canary = slow_canary(stage)
    canary["spec"]["progressDeadlineSeconds"] = 6000
    return canary


async def test_rollback_of_an_unready_canary_takes_effect_at_the_progress_deadline(
    stage: Stage,
) -> None:
    await add_canary(stage, patient_canary(stage))
    annotate(stage, "web", {}, image="registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    annotate(stage, "web", {READY: "false"})
    await deployment_ready_in_view(stage, "web", ready=False)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await act(operator, "web", "rollback")
    assert response.status_code == 202, response.text
    when = response.json()["takes_effect"]
    found = re.fullmatch(
        r"at the progress deadline, in (\d+)s: the canary's pods are not ready, and Flagger "
        r"consults rollback hooks only once they are",
        when,
    )
    assert found is not None, when
    assert 0 < int(found.group(1)) <= 6000


async def test_rollback_while_a_promote_is_pending_withdraws_the_promote_first(
    stage: Stage,
) -> None:
    await add_canary(stage, patient_canary(stage))
    annotate(stage, "web", {}, image="registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    annotate(stage, "web", {READY: "false"})
    await deployment_ready_in_view(stage, "web", ready=False)
    async with signed_in(stage.portal, Role.operator) as operator:
        promoted = await act(operator, "web", "promote")
        assert promoted.status_code == 202, promoted.text
        view = stage.portal.app.state.portal.view

        def skip_seen() -> bool:
            raw = view.get("canaries", cluster=CLUSTER, namespace=NS, name="web") or {}
            return raw.get("spec", {}).get("skipAnalysis") is True

        await wait_until(skip_seen, what="the portal sees skipAnalysis")
        rolled = await act(operator, "web", "rollback")
    assert rolled.status_code == 202, rolled.text
    assert rolled.json()["detail"].startswith(
        "withdrew the pending promote (spec.skipAnalysis: false), then opened the rollback gate "
        "for run "
    )
    assert spec(stage, "web")["skipAnalysis"] is False
    annotate(stage, "web", {READY: None})
    await wait_phase(stage, "web", "Failed")


@pytest.fixture
async def quick_stage(database_url: str) -> AsyncIterator[Stage]:
    """The actions stage with a one-second retry verdict window."""
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace("shop"))
        settings = stage_settings(database_url, dc.kubeconfig, retry_verdict_seconds=1.0)
        async with running_app(settings) as running, serve_app(running.app, lifespan="off") as url:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield Stage(dc=dc, portal=running, base_url=url)


async def test_a_retry_flagger_loses_is_recorded_as_not_started_with_why(
    quick_stage: Stage,
) -> None:
    """Issue 10.4: the Failed canary's status sync stores the new template, the tick stops at
    the unready primary, and no later tick starts the run."""
    stage = quick_stage
    await add_canary(stage, slow_canary(stage))
    annotate(stage, "web", {}, image="registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        assert (await act(operator, "web", "rollback")).status_code == 202
        await wait_phase(stage, "web", "Failed")
        annotate(stage, "web-primary", {READY: "false"})
        await deployment_ready_in_view(stage, "web-primary", ready=False)
        retried = await act(operator, "web", "retry")
    assert (retried.status_code, retried.json()["outcome"]) == (202, "requested")
    verdicts = await retry_verdicts(stage)
    assert verdicts == [
        (
            "not started",
            "Flagger did not start a new run: it recorded the new template on the Failed canary "
            "without starting a run (a tick that stopped early, e.g. while the primary was not "
            "ready, loses it); retry again once the primary is ready",
        )
    ]
    assert status(stage, "web")["phase"] == "Failed"
