"""A real portal served over HTTP from a thread of its own, for synchronous clients.

Schemathesis calls the API with `requests`, which blocks: the portal (its devcluster, its
lifespan, its uvicorn server) must run on another event loop than the test's, or every call
would wait for itself. `portal_in_thread(...)` starts that loop in a thread, seeds devcluster
with one namespace, its deployment, a progressing canary and an HPA, issues an admin and a
viewer token, and stops everything (and joins the thread) on exit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import create_api_token, running_app
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

CLUSTER = "devcluster"
NAMESPACE = "shop"
NAME = "web"
FLAGGER_TOKEN = "hostile-flagger-token-0123456789abcdef"
GITHUB_SECRET = "hostile-github-webhook-secret-0123456789abcdef"
START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class ServedPortal:
    url: str
    tokens: dict[str, str]  # role -> bearer secret

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def _serve(
    database_url: str,
    ready: threading.Event,
    found: dict[str, Any],
    stop: asyncio.Event,
) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace(NAMESPACE))
        dc.objects.put(objects.deployment(NAME, NAMESPACE))
        dc.objects.put(objects.progressing_canary(NAME, NAMESPACE))
        dc.objects.put(objects.hpa(NAME, NAMESPACE, target=NAME))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            watch_kinds=["canaries", "deployments", "hpas"],
            flagger_webhook_token=SecretStr(FLAGGER_TOKEN),
            github_webhook_secret=SecretStr(GITHUB_SECRET),
            rate_limit_actions="100000/minute",
            rate_limit_tokens="100000/minute",
            rate_limit_webhooks="100000/minute",
            log_format="console",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            tokens = {role.value: await create_api_token(running, role) for role in Role}
            async with serve_app(running.app, lifespan="off") as url:
                found["portal"] = ServedPortal(url=url, tokens=tokens)
                ready.set()
                await stop.wait()


@contextmanager
def portal_in_thread(database_url: str) -> Iterator[ServedPortal]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    found: dict[str, Any] = {}

    def run() -> None:
        try:
            loop.run_until_complete(_serve(database_url, ready, found, stop))
        except BaseException as error:
            found["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="portal-under-test", daemon=True)
    thread.start()
    try:
        if not ready.wait(START_TIMEOUT_SECONDS) or "portal" not in found:
            raise RuntimeError(f"the portal did not start: {found.get('error')!r}")
        yield found["portal"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(START_TIMEOUT_SECONDS)
        loop.close()
        if "error" in found:
            raise found["error"]
