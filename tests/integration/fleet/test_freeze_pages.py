"""Admins freeze and unfreeze releases from the overview; every fleet page shows the freeze."""

from __future__ import annotations

from devcluster.harness import serve_devcluster
from portal.config import Settings
from tests.integration.fleet.conftest import seed
from tests.support.apps import csrf_headers, running_app
from tests.support.waiting import wait_until

BANNER = (
    "Change freeze #1 on namespace <strong>shop</strong> of cluster <strong>devcluster</strong>"
)


async def test_an_admin_freezes_a_namespace_and_lifts_it_again(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            auth_mode="local",
            log_format="console",
            watch_kinds=["canaries"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            client = running.client
            headers = await csrf_headers(client)
            started = await client.post(
                "/freezes",
                data={"cluster": "devcluster", "namespace": "shop", "reason": "Black Friday"},
                headers={**headers, "Referer": "http://127.0.0.1:8000/canaries?x=1"},
            )
            assert (started.status_code, started.headers["location"]) == (303, "/canaries?x=1")
            for path in ("/", "/canaries", "/hpas", "/canaries/devcluster/shop/web"):
                page = (await client.get(path)).text
                assert BANNER in page, path
                assert "Black Friday. New releases there wait until it is lifted." in page
            api = (await client.get("/api/v1/freezes")).json()["items"]
            assert [(f["id"], f["namespace"], f["created_by"]) for f in api] == [
                (1, "shop", "local-admin")
            ]
            lifted = await client.post("/freezes/1/lift", headers=headers)
            assert lifted.status_code == 303
            assert BANNER not in (await client.get("/canaries")).text
            audit = (await client.get("/api/v1/audit", params={"action": "freeze"})).json()
    assert [(e["action"], e["outcome"], e["reason"]) for e in audit] == [
        ("freeze", "applied", "Black Friday")
    ]


async def test_a_freeze_needs_a_known_cluster_and_a_reason(database_url: str) -> None:
    settings = Settings(database_url=database_url, auth_mode="local", log_format="console")
    async with running_app(settings) as running:
        headers = await csrf_headers(running.client)
        unknown = await running.client.post(
            "/freezes",
            data={"cluster": "nowhere", "reason": "x"},
            headers={**headers, "Accept": "application/json"},
        )
        blank = await running.client.post(
            "/freezes",
            data={"cluster": "nowhere", "reason": "  "},
            headers={**headers, "Accept": "application/json"},
        )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"detail": "unknown cluster 'nowhere' (watched clusters: none)"},
    )
    assert (blank.status_code, blank.json()) == (
        422,
        {"detail": "a reason is required: say why releases are frozen"},
    )
