"""Retry patches only a Deployment the portal sees in the canary's own namespace: a Canary's
`spec.targetRef.name` (no pattern in the CRD) is never pasted into a Kubernetes path."""

from __future__ import annotations

from typing import Any

import pytest

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.security.conftest import audit_rows
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.waiting import wait_until

TRAVERSAL = "x/../../../payments/deployments/ledger"


def failed_canary(name: str, *, target: str) -> dict[str, Any]:
    canary = objects.canary(name, "shop")
    canary["spec"]["targetRef"]["name"] = target
    canary["status"] = {"phase": "Failed", "failedChecks": 3, "lastAppliedSpec": "abc"}
    return canary


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            TRAVERSAL,
            "retry refused for shop/evil: spec.targetRef.name "
            "'x/../../../payments/deployments/ledger' is not a valid DNS-1123 subdomain",
        ),
        (
            "ledger",
            "retry refused for shop/evil: its target Deployment shop/ledger is not in the "
            "portal's view",
        ),
        (
            "Ledger%2F..",
            "retry refused for shop/evil: spec.targetRef.name 'Ledger%2F..' is not a valid "
            "DNS-1123 subdomain",
        ),
    ],
)
async def test_retry_cannot_reach_another_namespace_through_the_target_name(
    database_url: str, target: str, reason: str
) -> None:
    """Attack: a tenant's Canary shop/evil targets `x/../../../payments/deployments/ledger`;
    an operator's Retry used to annotate payments/ledger while the audit said shop/evil."""
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        for ns in ("shop", "payments"):
            dc.objects.put(objects.namespace(ns))
        dc.objects.put(objects.deployment("ledger", "payments"))
        dc.objects.put(failed_canary("evil", target=target))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            watch_kinds=["canaries", "deployments"],
            log_format="console",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            before = dc.objects.get("apps/v1", "Deployment", name="ledger", namespace="payments")
            dc.requests.clear()
            async with signed_in(running, Role.operator) as operator:
                answer = await operator.post(
                    "/api/v1/canaries/devcluster/shop/evil/retry", json={"reason": "try again"}
                )
            rows = await audit_rows(running, action="retry")
        after = dc.objects.get("apps/v1", "Deployment", name="ledger", namespace="payments")
        patches = dc.requests.count(method="PATCH")
    assert (answer.status_code, answer.json()) == (422, {"detail": reason})
    assert patches == 0
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert [(r.outcome, r.namespace, r.name, r.error) for r in rows] == [
        ("rejected", "shop", "evil", reason)
    ]
