"""`portal canary ...` as a real process against a portal served by uvicorn."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from portal.security.roles import Role
from tests.integration.actions.support import Stage, add_canary, gated_canary, spec
from tests.support.apps import create_api_token

PORTAL = Path(sys.executable).parent / "portal"
TARGET = "devcluster/shop/web"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


async def portal_canary(url: str, token: str | None, *args: str) -> Run:
    env = {"PATH": os.environ.get("PATH", ""), "PORTAL_URL": url, "PORTAL_LOG_FORMAT": "console"}
    if token is not None:
        env["PORTAL_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        str(PORTAL),
        "canary",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(180):
        out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def test_the_cli_acts_and_exits_with_codes_scripts_can_rely_on(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}))
    operator = await create_api_token(stage.portal, Role.operator)
    viewer = await create_api_token(stage.portal, Role.viewer)
    url = stage.base_url

    listed = await portal_canary(url, viewer, "list")
    assert (listed.code, [line.split()[:7] for line in listed.out.splitlines()]) == (
        0,
        [
            ["CLUSTER", "NAMESPACE", "NAME", "STRATEGY", "PHASE", "WEIGHT", "FAILED"],
            ["devcluster", "shop", "web", "canary", "Initialized", "0%/50%", "0/3"],
        ],
    )

    paused = await portal_canary(url, operator, "pause", TARGET, "--reason", "incident 42")
    assert (paused.code, paused.err) == (0, "")
    assert paused.out == (
        "pause devcluster/shop/web: applied: paused (spec.suspend: true) "
        "(takes effect at the next analysis tick, within 10s)\n"
    )
    assert spec(stage, "web")["suspend"] is True
    again = await portal_canary(url, operator, "pause", TARGET, "--reason", "incident 42")
    assert again.code == 0
    assert again.out.startswith("pause devcluster/shop/web: already in that state: ")

    refused = await portal_canary(url, operator, "rollback", TARGET, "--reason", "r")
    assert refused.code == 3
    assert refused.err.startswith("error 409: shop/web is Initialized: a rollback applies")

    missing = await portal_canary(url, operator, "resume", "devcluster/shop/ghost", "--reason", "r")
    assert missing.code == 4
    as_viewer = await portal_canary(url, viewer, "resume", TARGET, "--reason", "r")
    assert (as_viewer.code, as_viewer.err.startswith("error 403: ")) == (5, True)
    anonymous = await portal_canary(url, None, "resume", TARGET, "--reason", "r")
    assert (anonymous.code, anonymous.err) == (
        5,
        "error: PORTAL_TOKEN is not set: actions need an API token (portal token create)\n",
    )
    forged = await portal_canary(url, "ifp_000000000000_nope", "resume", TARGET, "--reason", "r")
    assert (forged.code, forged.err.startswith("error 401: ")) == (5, True)
    bad_target = await portal_canary(url, operator, "resume", "shop/web", "--reason", "r")
    assert (bad_target.code, bad_target.err) == (
        2,
        "error: target must be CLUSTER/NS/NAME, got 'shop/web'\n",
    )
    no_reason = await portal_canary(url, operator, "resume", TARGET)
    assert no_reason.code == 2
    blank_reason = await portal_canary(url, operator, "resume", TARGET, "--reason", " ")
    assert blank_reason.code == 2
    unreachable = await portal_canary("http://127.0.0.1:9", operator, "list")
    assert unreachable.code == 1
    assert unreachable.err.startswith("error: cannot reach the portal at http://127.0.0.1:9: ")

    resumed = await portal_canary(url, operator, "resume", TARGET, "--reason", "fixed", "--json")
    assert resumed.code == 0
    assert '"outcome": "applied"' in resumed.out
    assert spec(stage, "web")["suspend"] is False
