"""`make run`'s demo fleet progresses by itself against the portal's gates with the default
policies: confirm gates open, rollback closed (releases promote; bad ones roll back on their
failed checks, not because the rollback gate said so)."""

from __future__ import annotations

from typing import Any

import pytest

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.demo import demo_settings
from tests.support.apps import running_app
from tests.support.servers import free_port, serve_app
from tests.support.waiting import wait_until

TOKEN = "demo-gate-token-0123456789abcdefghijklmnopqrstuv"


async def test_the_demo_fleet_promotes_and_rolls_back_by_itself(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVCLUSTER_GATE_TOKEN", TOKEN)
    port = free_port()
    async with serve_devcluster(
        scenario="demo", time_scale=100.0, gate_base_url=f"http://127.0.0.1:{port}"
    ) as dc:
        base = Settings(
            database_url=database_url,
            watch_kinds=["canaries"],
            rate_limit_webhooks="100000/minute",  # time_scale=100 sends 100x the real traffic
            log_format="console",
        )
        # what `portal demo` runs: local mode on its port, the cluster's token as a hash
        settings = demo_settings(
            base, kubeconfig=dc.kubeconfig, tokens={"devcluster": TOKEN}, port=port
        )
        assert settings.flagger_webhook_token is None
        async with (
            running_app(settings) as running,
            serve_app(running.app, port=port, lifespan="off"),
        ):
            view = running.app.state.portal.view

            def phases() -> list[tuple[str, dict[str, Any]]]:
                return [
                    (str(obj["metadata"]["name"]), dict(obj.get("status") or {}))
                    for _, obj in view.objects("canaries")
                ]

            def promoted_release() -> bool:
                return any(
                    s.get("phase") == "Succeeded" and s.get("lastPromotedSpec") for _, s in phases()
                )

            await wait_until(promoted_release, within=60, what="a demo release promoted")
            await wait_until(
                lambda: any(s.get("phase") == "Failed" for _, s in phases()),
                within=90,
                what="a bad demo release rolled back",
            )
            assert [name for name, s in phases() if s.get("phase") == "Waiting"] == []
