"""Flagger callers are identified per cluster (optionally per namespace) by a token stored as a
hash; the cluster comes from the token, never from the query string; two tokens may be valid at
once for rotation; calls about canaries the portal does not watch are dropped (404, audited)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, func, select

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.domain.flagger_tokens import hash_token
from portal.models.timeline import CanaryRun, TimelineEntry
from tests.integration.fleet.conftest import seed
from tests.integration.security.conftest import audit_rows
from tests.support.apps import RunningApp, running_app
from tests.support.flagger_callers import FLAGGER_TOKEN, OTHER_TOKEN
from tests.support.waiting import wait_until

NEXT_TOKEN = "flagger-rotated-in-0123456789abcdefghijklmnopqrstuvwxyz0"
SHOP_ONLY = "flagger-shop-only-0123456789abcdefghijklmnopqrstuvwxyz01"


@pytest.fixture
async def portal(database_url: str) -> AsyncIterator[RunningApp]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            watch_kinds=["canaries", "deployments"],
            flagger_tokens={
                "devcluster": [hash_token(FLAGGER_TOKEN), hash_token(NEXT_TOKEN)],
                "devcluster/payments": [hash_token(SHOP_ONLY)],
                "elsewhere": [hash_token(OTHER_TOKEN)],
            },
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield running


def event(token: str | None, *, name: str = "web", namespace: str = "shop") -> dict[str, object]:
    metadata = {"eventMessage": "Advance web.shop canary weight 20"}
    if token is not None:
        metadata["token"] = token
    return {"name": name, "namespace": namespace, "checksum": "c", "metadata": metadata}


async def test_both_tokens_of_a_rotation_are_accepted(portal: RunningApp) -> None:
    old = await portal.client.post("/flagger/events", json=event(FLAGGER_TOKEN))
    new = await portal.client.post("/flagger/events", json=event(NEXT_TOKEN))
    in_url = await portal.client.post(f"/flagger/events?token={NEXT_TOKEN}", json=event(None))
    assert (old.status_code, new.status_code, in_url.status_code) == (202, 202, 202)
    assert old.json() == {"status": "accepted", "cluster": "devcluster"}


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        (
            "/flagger/events?cluster=elsewhere",
            event(FLAGGER_TOKEN),
            "the token belongs to cluster 'devcluster', the call names 'elsewhere'",
        ),
        (
            "/flagger/gates/confirm-rollout",
            event(OTHER_TOKEN),
            "the token's cluster 'elsewhere' is not watched here",
        ),
        (
            "/flagger/gates/rollback",
            event(SHOP_ONLY),
            "the token is for namespace devcluster/payments, not 'shop'",
        ),
        ("/flagger/events", event("x" * 40), "missing or wrong token on the Flagger webhook"),
        ("/flagger/events", event(None), "missing or wrong token on the Flagger webhook"),
    ],
)
async def test_a_token_speaks_only_for_its_own_cluster_and_namespace(
    portal: RunningApp, path: str, body: dict[str, object], reason: str
) -> None:
    """Attack: one token in every Canary used to cover every cluster and namespace, and the
    query string chose the cluster."""
    answer = await portal.client.post(path, json=body)
    rows = await audit_rows(portal, outcome="denied")
    assert (answer.status_code, answer.json()) == (403, {"detail": reason})
    assert [row.error for row in rows] == [f"403: {reason} (POST {path.split('?', maxsplit=1)[0]})"]


async def test_calls_about_unwatched_canaries_are_dropped_and_audited(
    portal: RunningApp,
) -> None:
    """Attack: `POST /flagger/events` for a canary that does not exist created a run and two
    timeline rows."""
    ghost = await portal.client.post("/flagger/events", json=event(FLAGGER_TOKEN, name="ghost"))
    gate = await portal.client.post(
        "/flagger/gates/confirm-promotion", json=event(FLAGGER_TOKEN, name="ghost")
    )
    async with portal.app.state.portal.sessionmaker() as session:
        runs = (
            await session.exec(select(func.count()).where(col(CanaryRun.name) == "ghost"))
        ).one()
        entries = (
            await session.exec(select(func.count()).where(col(TimelineEntry.name) == "ghost"))
        ).one()
    rows = await audit_rows(portal, outcome="denied")
    detail = "unknown canary shop/ghost in cluster devcluster: the portal does not watch it"
    assert (ghost.status_code, ghost.json()) == (404, {"detail": detail})
    assert (gate.status_code, gate.json()) == (404, {"detail": detail})
    assert (runs, entries) == (0, 0)
    assert sorted((row.action, row.error) for row in rows) == [
        ("flagger-event", f"404: {detail} (POST /flagger/events)"),
        ("gate-confirm-promotion", f"404: {detail} (POST /flagger/gates/confirm-promotion)"),
    ]
