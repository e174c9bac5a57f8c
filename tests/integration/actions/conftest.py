"""A devcluster whose Flagger simulator (time_scale=100) calls a served portal's gates.

The portal runs in-process (`running_app`) and is also served over real HTTP (`serve_app`), so
the simulator reaches `/flagger/gates/*` exactly as Flagger would, and tests drive the API
through the in-process client with real tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from devcluster.harness import serve_devcluster
from portal.config import Settings
from tests.integration.actions.support import GATE_TOKEN, Stage
from tests.support import objects
from tests.support.apps import running_app
from tests.support.servers import serve_app
from tests.support.waiting import wait_until


def stage_settings(database_url: str, kubeconfig: object, **extra: object) -> Settings:
    return Settings(
        database_url=database_url,
        kubeconfig=kubeconfig,
        watch_kinds=["canaries", "deployments"],
        flagger_webhook_token=SecretStr(GATE_TOKEN),
        log_format="console",
        **extra,
    )


@pytest.fixture
async def stage(database_url: str) -> AsyncIterator[Stage]:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace("shop"))
        settings = stage_settings(database_url, dc.kubeconfig)
        async with running_app(settings) as running, serve_app(running.app, lifespan="off") as url:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield Stage(dc=dc, portal=running, base_url=url)
