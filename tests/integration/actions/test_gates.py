"""The portal as Flagger's gate service, driven by devcluster's Flagger simulator over HTTP."""

from __future__ import annotations

from typing import Any

from portal.security.roles import Role
from tests.integration.actions.conftest import stage_settings
from tests.integration.actions.support import (
    CLUSTER,
    GATE_TOKEN,
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
from tests.support.apps import running_app, signed_in

ALL_GATES: dict[str, dict[str, str]] = {
    "confirm-rollout": {},
    "confirm-traffic-increase": {},
    "confirm-promotion": {},
    "rollback": {},
}


def payload(name: str, *, checksum: str = "c1", token: str | None = GATE_TOKEN) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "namespace": NS, "phase": "Progressing"}
    body["checksum"] = checksum
    if token is not None:
        body["metadata"] = {"token": token}
    return body


async def test_default_policies_let_a_release_progress_and_promote(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=ALL_GATES))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Succeeded")
    assert status(stage, "web")["lastPromotedSpec"] == status(stage, "web")["lastAppliedSpec"]
    rollback = await stage.portal.client.post(
        "/flagger/gates/rollback", json=payload("web", checksum="any")
    )
    assert (rollback.status_code, rollback.text) == (
        403,
        "no rollback requested for web.shop in this run\n",
    )


async def test_gate_calls_without_the_token_are_refused_and_audited(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}))
    for token in (None, "wrong"):
        response = await stage.portal.client.post(
            "/flagger/gates/confirm-rollout", json=payload("web", token=token)
        )
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "missing or wrong token on the Flagger webhook"},
        )
    async with signed_in(stage.portal, Role.viewer) as viewer:
        audit = (await viewer.get("/api/v1/audit", params={"outcome": "denied"})).json()
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("gate-confirm-rollout", "unidentified"),
        ("gate-confirm-rollout", "unidentified"),
    ]


async def test_an_unknown_canary_or_gate_is_refused_with_the_reason(stage: Stage) -> None:
    unknown = await stage.portal.client.post(
        "/flagger/gates/confirm-promotion", json=payload("ghost")
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"detail": "unknown canary shop/ghost in cluster devcluster: the portal does not watch it"},
    )
    wrong_cluster = await stage.portal.client.post(
        "/flagger/gates/confirm-promotion?cluster=prod", json=payload("ghost")
    )
    assert wrong_cluster.status_code == 403
    assert wrong_cluster.json() == {
        "detail": "the token belongs to cluster 'devcluster', the call names 'prod'"
    }
    bad_gate = await stage.portal.client.post("/flagger/gates/open-sesame", json=payload("x"))
    assert bad_gate.status_code == 422


async def test_a_closed_confirm_rollout_waits_until_approved_for_that_run_only(
    stage: Stage,
) -> None:
    gates = {"confirm-rollout": {"policy": "closed"}}
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=gates))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "Waiting")
    async with signed_in(stage.portal, Role.operator) as operator:
        approved = await act(operator, "web", "approve")
        assert approved.status_code == 202, approved.text
        record = approved.json()
        assert (record["outcome"], record["gate"], record["scope"]) == (
            "applied",
            "confirm-rollout",
            "run",
        )
        assert record["takes_effect"] == "at the next analysis tick, within 10s"
        await wait_phase(stage, "web", "Succeeded")
        release(stage, "web", "registry/web:3")
        await wait_phase(stage, "web", "Waiting")
        direct = await stage.portal.client.post(
            "/flagger/gates/confirm-rollout",
            json=payload("web", checksum="whatever")
            | {"metadata": {"token": GATE_TOKEN, "policy": "closed"}},
        )
    assert direct.status_code == 403
    assert direct.text.startswith("confirm-rollout of web.shop is closed by policy: waiting for")


async def test_an_always_approval_opens_every_later_run(stage: Stage) -> None:
    gates = {"confirm-promotion": {"policy": "closed"}}
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=gates))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "WaitingPromotion")
    async with signed_in(stage.portal, Role.operator) as operator:
        approved = await act(operator, "web", "approve", scope="always")
    assert (approved.status_code, approved.json()["scope"]) == (202, "always")
    await wait_phase(stage, "web", "Succeeded")
    release(stage, "web", "registry/web:3")
    await wait_until_promoted(stage, "web")


async def wait_until_promoted(stage: Stage, name: str) -> None:
    from tests.support.waiting import wait_until

    await wait_until(
        lambda: (
            status(stage, name).get("phase") == "Succeeded"
            and status(stage, name).get("lastPromotedSpec")
            == status(stage, name).get("lastAppliedSpec")
            and status(stage, name).get("lastAppliedSpec") is not None
        ),
        within=20,
        what=f"{name} promoted",
    )


async def test_a_freeze_holds_new_releases_until_lifted(stage: Stage) -> None:
    await add_canary(
        stage, gated_canary("web", base_url=stage.base_url, gates={"confirm-rollout": {}})
    )
    async with (
        signed_in(stage.portal, Role.admin) as admin,
        signed_in(stage.portal, Role.operator) as operator,
    ):
        refused = await operator.post(
            "/api/v1/freezes", json={"cluster": CLUSTER, "namespace": NS, "reason": "x"}
        )
        assert refused.status_code == 403
        created = await admin.post(
            "/api/v1/freezes",
            json={"cluster": CLUSTER, "namespace": NS, "reason": "Black Friday"},
        )
        assert created.status_code == 201, created.text
        freeze = created.json()
        assert (freeze["cluster"], freeze["namespace"], freeze["active"]) == (CLUSTER, NS, True)
        release(stage, "web", "registry/web:2")
        await wait_phase(stage, "web", "Waiting")
        held = await stage.portal.client.post("/flagger/gates/confirm-rollout", json=payload("web"))
        assert (held.status_code, held.text) == (
            403,
            f"change freeze #{freeze['id']} on namespace shop of cluster devcluster by "
            f"{freeze['created_by']}: Black Friday (lift it to let web.shop start a release)\n",
        )
        gate_state = (await operator.get(f"/api/v1/gates/{CLUSTER}/{NS}/web")).json()
        assert (
            gate_state["freeze"]
            == f"#{freeze['id']} on namespace shop of cluster devcluster: Black Friday"
        )
        assert [(c["gate"], c["passed"]) for c in gate_state["calls"]] == [
            ("confirm-rollout", False)
        ]
        assert gate_state["openings"] == []
        approve = await act(operator, "web", "approve")
        assert approve.status_code == 409
        assert "change freeze" in approve.json()["detail"]
        listed = (await operator.get("/api/v1/freezes")).json()["items"]
        assert [f["id"] for f in listed] == [freeze["id"]]
        assert listed[0]["created_at"] == freeze["created_at"]
        assert gate_state["calls"][0]["seen_at"].endswith(("Z", "+00:00"))
        lifted = await admin.delete(f"/api/v1/freezes/{freeze['id']}")
        assert (lifted.status_code, lifted.json()["active"]) == (200, False)
        await wait_phase(stage, "web", "Succeeded")
        assert (await operator.get("/api/v1/freezes")).json()["items"] == []
        assert (await admin.delete("/api/v1/freezes/999")).status_code == 404
        actions = [
            (e["action"], e["outcome"])
            for e in (await admin.get("/api/v1/audit")).json()
            if e["action"] in {"freeze", "unfreeze"}
        ]
    assert actions == [("unfreeze", "applied"), ("freeze", "applied"), ("freeze", "denied")]


async def test_two_portals_on_one_database_answer_alike(stage: Stage, database_url: str) -> None:
    gates = {"confirm-promotion": {"policy": "closed"}}
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates=gates))
    release(stage, "web", "registry/web:2")
    await wait_phase(stage, "web", "WaitingPromotion")
    checksum_payload = payload("web", checksum="c-1") | {
        "metadata": {"token": GATE_TOKEN, "policy": "closed"}
    }
    other_settings = stage_settings(database_url, stage.dc.kubeconfig)
    async with running_app(other_settings) as other:
        view = other.app.state.portal.view
        from tests.support.waiting import wait_until

        await wait_until(lambda: view.unready_clusters() == {}, what="second portal's lists")
        answers = [
            (r.status_code, r.text)
            for r in [
                await portal.client.post("/flagger/gates/confirm-promotion", json=checksum_payload)
                for portal in (stage.portal, other)
            ]
        ]
        assert answers[0] == answers[1]
        assert answers[0][0] == 403
        async with signed_in(stage.portal, Role.operator) as operator:
            assert (await act(operator, "web", "approve", scope="always")).status_code == 202
        opened = [
            (r.status_code, r.text)
            for r in [
                await portal.client.post("/flagger/gates/confirm-promotion", json=checksum_payload)
                for portal in (other, stage.portal)
            ]
        ]
    assert (
        opened
        == [(200, "confirm-promotion of web.shop approved by an operator for every run\n")] * 2
    )
    assert spec(stage, "web").get("skipAnalysis") is None


async def test_bad_input_is_a_4xx_with_a_reason_and_writes_nothing(stage: Stage) -> None:
    bad_payloads: list[dict[str, Any]] = [
        {"namespace": NS},
        {"name": "web", "namespace": NS, "checksum": "c" * 257, "metadata": {"token": GATE_TOKEN}},
        {"name": "web", "namespace": NS, "metadata": {"token": GATE_TOKEN, "policy": 1}},
        {"name": "w" * 254, "namespace": NS, "metadata": {"token": GATE_TOKEN}},
    ]
    for body in bad_payloads:
        response = await stage.portal.client.post("/flagger/gates/rollback", json=body)
        assert response.status_code == 422
        assert response.json()["detail"]
    async with signed_in(stage.portal, Role.admin) as admin:
        for body in (
            {"cluster": CLUSTER, "reason": ""},
            {"cluster": CLUSTER, "namespace": "", "reason": "x"},
            {"cluster": "c" * 129, "reason": "x"},
            {"reason": "x"},
        ):
            assert (await admin.post("/api/v1/freezes", json=body)).status_code == 422
        unknown = await admin.post("/api/v1/freezes", json={"cluster": "prod", "reason": "x"})
        assert (unknown.status_code, unknown.json()) == (
            404,
            {"detail": "unknown cluster 'prod' (watched clusters: devcluster)"},
        )
        for freeze_id in ("abc", "0", str(2**63)):
            assert (await admin.delete(f"/api/v1/freezes/{freeze_id}")).status_code == 422
        assert (await admin.get("/api/v1/freezes", params={"active": "false"})).json() == {
            "items": []
        }
        gates = await admin.get("/api/v1/gates/prod/shop/web")
    assert gates.status_code == 404
