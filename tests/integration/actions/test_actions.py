"""Operator actions against devcluster's Flagger simulator (time_scale=100: 10s is 0.1s)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from devcluster.auth import Policy, Rule
from devcluster.harness import serve_devcluster
from devcluster.kubeconfig import write_kubeconfig
from portal.models.audit import AuditEvent
from portal.models.gates import CanaryAction, GateOpening
from portal.security.roles import Role
from portal.services.gates import last_calls
from tests.integration.actions.conftest import stage_settings
from tests.integration.actions.support import (
    CLUSTER,
    NS,
    Stage,
    act,
    add_canary,
    event_count,
    gated_canary,
    release,
    spec,
    status,
    wait_phase,
)
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.waiting import wait_until

SKIPPING = "skipping canary run as object is suspended"


def slow_canary(stage: Stage, name: str = "web", **extra: Any) -> dict[str, Any]:
    """A run of 25 steps (2.5 s at time_scale=100), wired to the portal's rollback gate."""
    return gated_canary(
        name, base_url=stage.base_url, gates={"rollback": {}}, step_weight=2, **extra
    )


async def retry_verdicts(stage: Stage) -> list[tuple[str, str | None]]:
    """(outcome, error) of the follower's audit rows for retries, once there is one."""
    state = stage.portal.app.state.portal

    async def found() -> list[tuple[str, str | None]]:
        async with state.sessionmaker() as session:
            rows = await session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "retry", AuditEvent.role == "portal")
                .order_by(col(AuditEvent.id))
            )
            return [(row.outcome, row.error) for row in rows]

    async def decided() -> bool:
        return bool(await found())

    await wait_until(decided, what="the retry's verdict in the audit log")
    return await found()


async def count(stage: Stage, model: Any) -> int:
    async with stage.portal.app.state.portal.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def gate_saw_this_run(stage: Stage, name: str = "web") -> None:
    """Wait until the portal saw a gate call of the run in progress (it then knows the
    run's checksum)."""
    state = stage.portal.app.state.portal

    async def seen() -> bool:
        raw = state.view.get("canaries", cluster=CLUSTER, namespace=NS, name=name) or {}
        revision = raw.get("status", {}).get("lastAppliedSpec")
        async with state.sessionmaker() as session:
            calls = await last_calls(session, cluster=CLUSTER, namespace=NS, name=name)
        return any(call.revision == revision for call in calls.values())

    await wait_until(seen, what="a gate call of this run")


def skips_reach(stage: Stage, wanted: int) -> Callable[[], Awaitable[bool]]:
    async def reached() -> bool:
        return await event_count(stage, "web", SKIPPING) >= wanted

    return reached


async def wait_for_event(stage: Stage, message: str) -> None:
    """Flagger writes the status before the tick's events: wait for the event, then check it
    was recorded once."""

    async def recorded() -> bool:
        return await event_count(stage, "web", message) >= 1

    await wait_until(recorded, what=f"event {message!r}")
    assert await event_count(stage, "web", message) == 1


async def audit(stage: Stage, **filters: str) -> list[dict[str, Any]]:
    async with signed_in(stage.portal, Role.viewer) as viewer:
        response = await viewer.get("/api/v1/audit", params=filters)
    assert response.status_code == 200
    return list(response.json())


async def test_a_paused_canary_holds_its_weight_and_resumes(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:2")
    await wait_until(lambda: status(stage, "web").get("canaryWeight", 0) >= 4, what="weight 4")
    async with signed_in(stage.portal, Role.operator) as operator:
        paused = await act(operator, "web", "pause")
        assert paused.status_code == 202, paused.text
        assert (paused.json()["outcome"], paused.json()["detail"]) == (
            "applied",
            "paused (spec.suspend: true)",
        )
        assert spec(stage, "web")["suspend"] is True
        await wait_until(skips_reach(stage, 1), what="the first suspended tick")
        held = status(stage, "web")
        await wait_until(skips_reach(stage, 4), what="three more suspended ticks")
        after = status(stage, "web")
        assert (after["phase"], after["canaryWeight"]) == ("Progressing", held["canaryWeight"])
        again = await act(operator, "web", "pause")
        assert (again.status_code, again.json()["outcome"]) == (202, "already in that state")
        resumed = await act(operator, "web", "resume")
        assert (resumed.status_code, resumed.json()["outcome"]) == (202, "applied")
    await wait_phase(stage, "web", "Succeeded")
    assert spec(stage, "web")["suspend"] is False


async def test_rollback_during_progressing_fails_the_run_within_an_interval(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await act(operator, "web", "rollback", reason="error budget burning")
    assert response.status_code == 202, response.text
    record = response.json()
    assert (record["outcome"], record["gate"], record["phase_before"]) == (
        "applied",
        "rollback",
        "Progressing",
    )
    assert record["detail"].startswith("opened the rollback gate for run ")
    await wait_phase(stage, "web", "Failed", within=0.1 + 3.0)
    await wait_for_event(stage, "Rolling back web.shop manual webhook invoked")
    [row] = await audit(stage, action="rollback")
    assert (row["outcome"], row["reason"], row["phase_before"], row["role"]) == (
        "applied",
        "error budget burning",
        "Progressing",
        "operator",
    )
    assert row["weight_before"] == record["weight_before"]


async def test_rollback_of_a_paused_canary_resumes_it(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        assert (await act(operator, "web", "pause")).status_code == 202
        response = await act(operator, "web", "rollback")
    assert response.status_code == 202, response.text
    assert response.json()["detail"].endswith("and resumed the canary (spec.suspend: false)")
    await wait_phase(stage, "web", "Failed")
    assert spec(stage, "web")["suspend"] is False


async def test_a_rollback_for_one_run_does_not_touch_the_next(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:a")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        assert (await act(operator, "web", "rollback")).status_code == 202
    await wait_phase(stage, "web", "Failed")
    release(stage, "web", "registry/web:b")
    await wait_phase(stage, "web", "Progressing")
    await wait_phase(stage, "web", "Succeeded")
    assert await event_count(stage, "web", "Rolling back web.shop manual webhook invoked") == 1


async def test_twenty_concurrent_rollbacks_have_one_effect_and_twenty_audit_rows(
    stage: Stage,
) -> None:
    await add_canary(stage, slow_canary(stage, interval="300s"))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing", within=30)
    await gate_saw_this_run(stage)
    # Flagger's loop for web stops at its next status write until all twenty are answered, so
    # the run cannot end (and the sweeper retire its claim) in the middle of the burst.
    status_path = "/apis/flagger.app/v1beta1/namespaces/shop/canaries/web/status"
    hold = stage.dc.faults.hold_next_request(method="PATCH", path_prefix=status_path)
    try:
        async with signed_in(stage.portal, Role.operator) as operator:
            responses = await asyncio.gather(
                *(act(operator, "web", "rollback", reason=f"r{i}") for i in range(20))
            )
    finally:
        hold.release()
    assert [r.status_code for r in responses] == [202] * 20
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["already requested"] * 19 + ["applied"]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await count(stage, GateOpening), await count(stage, CanaryAction)) == (1, 1)
    rows = await audit(stage, action="rollback")
    assert sorted(row["outcome"] for row in rows) == ["already requested"] * 19 + ["applied"]
    await wait_phase(stage, "web", "Failed", within=30)


async def test_promote_opens_a_closed_confirm_promotion_gate(stage: Stage) -> None:
    gates = {"rollback": {}, "confirm-promotion": {"policy": "closed"}}
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=gates))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "WaitingPromotion")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await act(operator, "web", "promote")
    assert response.status_code == 202, response.text
    assert (response.json()["outcome"], response.json()["gate"]) == (
        "applied",
        "confirm-promotion",
    )
    await wait_phase(stage, "web", "Succeeded")
    assert spec(stage, "web").get("skipAnalysis", False) is False


async def test_promote_now_skips_the_analysis_and_resets_skip_analysis(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await act(operator, "web", "promote", reason="hotfix")
    assert response.status_code == 202, response.text
    assert response.json()["detail"] == (
        "set spec.skipAnalysis: true (reset to false once the run ends)"
    )
    await wait_phase(stage, "web", "Succeeded")
    await wait_for_event(stage, "Promotion completed! Canary analysis was skipped for web.shop")
    await wait_until(
        lambda: spec(stage, "web").get("skipAnalysis") is False, what="skipAnalysis reset"
    )


async def test_retry_starts_a_new_run_of_a_failed_canary(stage: Stage) -> None:
    await add_canary(stage, slow_canary(stage))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    await gate_saw_this_run(stage)
    async with signed_in(stage.portal, Role.operator) as operator:
        early = await act(operator, "web", "retry")
        assert early.status_code == 409
        assert early.json() == {"detail": "shop/web is Progressing: retry needs Failed"}
        assert (await act(operator, "web", "rollback")).status_code == 202
        await wait_phase(stage, "web", "Failed")
        failed_revision = status(stage, "web")["lastAppliedSpec"]
        retried = await act(operator, "web", "retry")
    assert (retried.status_code, retried.json()["outcome"]) == (202, "requested")
    deployment = stage.dc.objects.get("apps/v1", "Deployment", name="web", namespace=NS)
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert set(annotations) == {"infra-fleet.io/retry-at"}
    await wait_phase(stage, "web", "Succeeded")
    assert status(stage, "web")["lastAppliedSpec"] != failed_revision
    verdicts = await retry_verdicts(stage)
    assert verdicts[0][0] == "applied"
    assert verdicts[0][1] is None


async def test_actions_need_an_operator_a_reason_and_a_known_canary(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}))
    path = f"/api/v1/canaries/{CLUSTER}/{NS}/web"
    async with (
        signed_in(stage.portal, Role.viewer) as viewer,
        signed_in(stage.portal, Role.operator) as operator,
    ):
        assert (await viewer.post(f"{path}/pause", json={"reason": "x"})).status_code == 403
        for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
            assert (await operator.post(f"{path}/pause", json=body)).status_code == 422
        assert (await operator.post(f"{path}/explode", json={"reason": "x"})).status_code == 422
        scope = await operator.post(f"{path}/approve", json={"reason": "x", "scope": "ever"})
        assert scope.status_code == 422
        ghost = await act(operator, "ghost", "pause")
        assert ghost.status_code == 404
        other = await operator.post(f"/api/v1/canaries/prod/{NS}/web/pause", json={"reason": "x"})
        assert other.status_code == 404
        refused = await act(operator, "web", "rollback")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "shop/web is Initialized: a rollback applies only to a run in progress "
        "(Progressing or WaitingPromotion)"
    )
    assert spec(stage, "web").get("suspend") is None
    [row] = await audit(stage, action="rollback")
    assert (row["outcome"], row["phase_before"]) == ("rejected", "Initialized")
    # the two 404s are refused attempts too: audited with their reason, oldest last
    unknown = [
        (r["cluster"], r["name"], r["outcome"], r["error"])
        for r in await audit(stage, action="pause", outcome="rejected")
    ]
    assert unknown == [
        ("prod", "web", "rejected", f"unknown cluster 'prod' (watched clusters: {CLUSTER})"),
        (CLUSTER, "ghost", "rejected", f"canary {NS}/ghost not found in cluster {CLUSTER}"),
    ]


async def test_rollback_without_a_portal_rollback_hook_says_what_to_add(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}, step_weight=2))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Progressing")
    async with signed_in(stage.portal, Role.operator) as operator:
        refused = await act(operator, "web", "rollback")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "shop/web has no rollback webhook pointing at this portal: add to "
        "spec.analysis.webhooks: {name: portal-rollback, type: rollback, "
        "url: http://portal.test/flagger/gates/rollback, "
        "metadata: {token: <this cluster's Flagger token>}}"
    )


async def test_a_failing_kubernetes_call_is_a_502_with_a_failed_audit_row(stage: Stage) -> None:
    await add_canary(stage, gated_canary("idle", base_url=stage.base_url, gates={}))
    stage.dc.faults.fail_next_requests(
        count=1,
        status=500,
        method="PATCH",
        path_prefix=f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/idle",
    )
    async with signed_in(stage.portal, Role.operator) as operator:
        response = await act(operator, "idle", "pause")
    assert response.status_code == 502
    assert response.json()["detail"].startswith("cluster devcluster refused the change (500): ")
    [row] = await audit(stage, action="pause")
    assert (row["outcome"], row["name"]) == ("failed", "idle")
    assert row["error"] == response.json()["detail"]
    assert spec(stage, "idle").get("suspend") is None


async def test_concurrent_pauses_patch_once_and_report_the_rest(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}))
    async with signed_in(stage.portal, Role.operator) as operator:
        responses = await asyncio.gather(*(act(operator, "web", "pause") for _ in range(5)))
    assert [r.status_code for r in responses] == [202] * 5
    outcomes = sorted(r.json()["outcome"] for r in responses)
    patches = stage.dc.requests.matching(
        method="PATCH", path=f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/web"
    )
    assert outcomes == ["already in that state"] * 4 + ["applied"]
    assert [r.status for r in patches].count(200) == 1  # the rest were 409 or never sent
    assert spec(stage, "web")["suspend"] is True


async def test_a_cluster_that_does_not_answer_is_a_502(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace(NS))
        dc.objects.put(gated_canary("web", base_url="http://unused", gates={}))
        settings = stage_settings(database_url, dc.kubeconfig, kube_write_timeout_seconds=0.3)
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(
                lambda: view.get("canaries", cluster=CLUSTER, namespace=NS, name="web") is not None,
                what="the canary in the view",
            )
            dc.faults.slow_next_requests(
                count=1,
                delay_seconds=2.0,
                path_prefix=f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/web",
            )
            async with signed_in(running, Role.operator) as operator:
                response = await act(operator, "web", "pause")
    assert (response.status_code, response.json()) == (
        502,
        {"detail": "cluster devcluster did not answer: no answer within 0.3s"},
    )


async def test_a_cluster_refusing_the_patch_by_rbac_is_a_502_with_its_message(
    database_url: str, tmp_path: Path
) -> None:
    reader = Policy(
        user="portal-reader",
        rules=(Rule(verbs=frozenset({"get", "list", "watch"}), resources=frozenset({"*"})),),
    )
    async with serve_devcluster(
        scenario="empty", simulate=False, admin_token="admin", policies={"reader": reader}
    ) as dc:
        dc.objects.put(objects.namespace(NS))
        dc.objects.put(gated_canary("web", base_url="http://unused", gates={}))
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server_url=dc.url, token="reader")
        async with running_app(stage_settings(database_url, kubeconfig)) as running:
            view = running.app.state.portal.view
            await wait_until(
                lambda: view.get("canaries", cluster=CLUSTER, namespace=NS, name="web") is not None,
                what="the canary in the view",
            )
            async with signed_in(running, Role.operator) as operator:
                response = await act(operator, "web", "pause")
            async with signed_in(running, Role.viewer) as viewer:
                [row] = (await viewer.get("/api/v1/audit", params={"action": "pause"})).json()
    assert response.status_code == 502
    assert response.json()["detail"] == (
        'cluster devcluster refused the change (403): canaries.flagger.app "web" is forbidden: '
        'User "portal-reader" cannot patch resource "canaries" in API group "flagger.app" in '
        'the namespace "shop"'
    )
    assert (row["outcome"], row["error"]) == ("failed", response.json()["detail"])
