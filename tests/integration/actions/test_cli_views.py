"""`portal canary list|get|watch` and shell completion, as real processes against a portal
served by uvicorn watching devcluster."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest
import yaml

from portal.security.roles import Role
from tests.integration.actions.support import Stage, add_canary, gated_canary
from tests.integration.actions.test_cli import PORTAL, portal_canary
from tests.integration.actions.zsh_session import start_zsh, stop_zsh
from tests.support.apps import create_api_token
from tests.support.tools import required_tool

# Each test starts several CLI processes; on a machine shared by many jobs one takes 10 s+.
pytestmark = pytest.mark.timeout(600)
HEADERS = ["CLUSTER", "NAMESPACE", "NAME", "STRATEGY", "PHASE", "WEIGHT", "FAILED", "AGE"]


def without_age(line: str) -> str:
    """A table row up to its last column (the age moves with the clock)."""
    return line.rsplit("   ", 1)[0].rstrip()


async def two_canaries(stage: Stage) -> None:
    await add_canary(stage, gated_canary("web", base_url=stage.base_url, gates={}))
    gates = {"confirm-promotion": {}}
    await add_canary(stage, gated_canary("api", base_url=stage.base_url, gates=gates))


async def test_list_has_headers_wide_json_yaml_name_and_filters(stage: Stage) -> None:
    await two_canaries(stage)
    viewer = await create_api_token(stage.portal, Role.viewer)
    operator = await create_api_token(stage.portal, Role.operator)
    url = stage.base_url

    listed = await portal_canary(url, viewer, "list")
    lines = listed.out.splitlines()
    assert (listed.code, lines[0].split()) == (0, HEADERS)
    assert [without_age(line) for line in lines] == [
        "CLUSTER      NAMESPACE   NAME   STRATEGY   PHASE         WEIGHT   FAILED",
        "devcluster   shop        api    canary     Initialized   0%/50%   0/3",
        "devcluster   shop        web    canary     Initialized   0%/50%   0/3",
    ]
    wide = (await portal_canary(url, viewer, "list", "-o", "wide")).out.splitlines()
    assert wide[0].split()[8:] == ["TARGET", "PROGRESS", "GATES", "ATTENTION"]
    assert wide[1].split()[8:] == ["Deployment/api", "0%", "confirm-promotion", "-"]
    assert wide[2].split()[8:] == ["Deployment/web", "0%", "-", "-"]

    as_json = json.loads((await portal_canary(url, viewer, "list", "-o", "json")).out)
    as_yaml = yaml.safe_load((await portal_canary(url, viewer, "list", "-o", "yaml")).out)
    assert [item["name"] for item in as_json] == ["api", "web"]
    assert as_yaml == json.loads(json.dumps(as_json))
    names = await portal_canary(url, viewer, "list", "-o", "name", "--cluster", "devcluster")
    assert names.out == "devcluster/shop/api\ndevcluster/shop/web\n"

    elsewhere = await portal_canary(url, viewer, "list", "-n", "payments")
    assert (elsewhere.code, elsewhere.out, elsewhere.err) == (0, "", "No canaries found.\n")
    paused = await portal_canary(
        url, operator, "pause", "devcluster/shop/web", "--reason", "incident 7"
    )
    assert paused.code == 0
    attention = await portal_canary(url, viewer, "list", "--attention", "-o", "name")
    assert attention.out == "devcluster/shop/web\n"


async def test_get_describes_one_canary(stage: Stage) -> None:
    await two_canaries(stage)
    viewer = await create_api_token(stage.portal, Role.viewer)
    got = await portal_canary(stage.base_url, viewer, "get", "devcluster/shop/api")
    lines = got.out.splitlines()
    assert got.code == 0
    assert lines[:7] == [
        "Name:            devcluster/shop/api",
        "Target:          Deployment/api",
        "Image:           registry/api:1",
        "Strategy:        canary",
        "Phase:           Initialized",
        "Weight:          0%/50%",
        "Failed checks:   0/3",
    ]
    assert lines[8:11] == [
        "Gates:           confirm-promotion",
        "Needs attention: -",
        "Metrics:",
    ]
    assert lines[11] == "  none"
    assert lines[12] == "Timeline (newest 10):"
    as_json = json.loads(
        (
            await portal_canary(stage.base_url, viewer, "get", "devcluster/shop/api", "-o", "json")
        ).out
    )
    assert (as_json["name"], as_json["gates"]) == ("api", ["confirm-promotion"])
    bad = await portal_canary(stage.base_url, viewer, "get", "shop/api")
    assert (bad.code, bad.err) == (2, "error: target must be CLUSTER/NS/NAME, got 'shop/api'\n")
    missing = await portal_canary(stage.base_url, viewer, "get", "devcluster/shop/ghost")
    assert missing.code == 4


async def test_watch_prints_the_list_then_each_change_from_the_live_stream(stage: Stage) -> None:
    await two_canaries(stage)
    viewer = await create_api_token(stage.portal, Role.viewer)
    operator = await create_api_token(stage.portal, Role.operator)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORTAL_URL": stage.base_url,
        "PORTAL_TOKEN": viewer,
        "PORTAL_LOG_FORMAT": "console",
    }
    process = await asyncio.create_subprocess_exec(
        str(PORTAL), "canary", "watch", "-n", "shop",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        async with asyncio.timeout(300):  # three CLI processes on a busy machine
            first = [(await process.stdout.readline()).decode() for _ in range(3)]
            assert [without_age(line.rstrip("\n")) for line in first] == [
                "CLUSTER      NAMESPACE   NAME   STRATEGY   PHASE         WEIGHT   FAILED",
                "devcluster   shop        api    canary     Initialized   0%/50%   0/3",
                "devcluster   shop        web    canary     Initialized   0%/50%   0/3",
            ]
            paused = await portal_canary(
                stage.base_url, operator, "pause", "devcluster/shop/web", "--reason", "r"
            )
            assert paused.code == 0
            line = (await process.stdout.readline()).decode()
            assert line.split()[:5] == ["devcluster", "shop", "web", "canary", "Initialized"]
            assert line.split()[5] == "(paused)"
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            code = await process.wait()
    assert code == 0


@pytest.fixture
def bash() -> str:
    return required_tool("bash", install="install Debian's 'bash' package")


@pytest.fixture
def zsh() -> str:
    return required_tool("zsh", install="`make zsh` as root installs Debian's 'zsh' package")


async def test_a_watch_whose_reader_goes_away_stops_quietly_like_kubectl(stage: Stage) -> None:
    """`portal canary watch | head -1`: the next change meets a closed pipe; the watch ends
    with 141 (128 + SIGPIPE) and no traceback, instead of a BrokenPipeError's."""
    await two_canaries(stage)
    operator = await create_api_token(stage.portal, Role.operator)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORTAL_URL": stage.base_url,
        "PORTAL_TOKEN": operator,
        "PORTAL_LOG_FORMAT": "console",
    }
    read_end, write_end = os.pipe()
    process = await asyncio.create_subprocess_exec(
        str(PORTAL), "canary", "watch", "-n", "shop",
        env=env, stdout=write_end, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    os.close(write_end)
    try:
        async with asyncio.timeout(300):  # two CLI processes on a busy machine
            header = await asyncio.to_thread(os.read, read_end, 9)
            os.close(read_end)  # `head` read what it wanted and left
            read_end = -1
            paused = await portal_canary(
                stage.base_url, operator, "pause", "devcluster/shop/web", "--reason", "r"
            )
            assert paused.code == 0
            _, err = await process.communicate()
    finally:
        if read_end >= 0:
            os.close(read_end)
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert (header, process.returncode, err.decode()) == (b"CLUSTER  ", 141, "")


async def test_bash_completion_completes_commands_choices_and_live_targets(
    stage: Stage, bash: str
) -> None:
    await two_canaries(stage)
    viewer = await create_api_token(stage.portal, Role.viewer)
    env = {
        "PATH": f"{PORTAL.parent}:{os.environ.get('PATH', '')}",
        "PORTAL_URL": stage.base_url,
        "PORTAL_TOKEN": viewer,
        "PORTAL_LOG_FORMAT": "console",
    }
    script = """
source <(portal completion bash)
t() {
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _portal_complete; echo "${COMPREPLY[*]}"
}
t portal ca
t portal canary w
t portal canary list -o ""
t portal canary get devcluster/shop/
t portal canary pause devcluster/shop/w
complete -p portal
"""
    process = await asyncio.create_subprocess_exec(
        bash,
        "-c",
        script,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(300):  # two CLI processes on a busy machine
        out, err = await process.communicate()
    assert (process.returncode, err.decode()) == (0, "")
    assert out.decode().splitlines() == [
        "canary",
        "watch",
        "table wide json yaml name",
        "devcluster/shop/api devcluster/shop/web",
        "devcluster/shop/web",
        "complete -F _portal_complete portal",
    ]


async def test_zsh_completes_commands_choices_and_live_targets_when_tab_is_pressed(
    stage: Stage, zsh: str, tmp_path: Path
) -> None:
    await two_canaries(stage)
    viewer = await create_api_token(stage.portal, Role.viewer)
    env = {
        "PATH": f"{PORTAL.parent}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "PORTAL_URL": stage.base_url,
        "PORTAL_TOKEN": viewer,
        "PORTAL_LOG_FORMAT": "console",
    }
    typed = [
        "portal ca",
        "portal canary w",
        "portal canary list -o ",
        "portal canary get devcluster/shop/",
        "portal canary pause devcluster/shop/w",
        "portal canary get -",
    ]
    session = await asyncio.to_thread(
        start_zsh, zsh, env=env, record=tmp_path / "record", within=120
    )
    try:
        completed = [
            await asyncio.to_thread(session.complete, line, within=120)  # a CLI process each
            for line in typed
        ]
    finally:
        await asyncio.to_thread(stop_zsh, session)
    assert completed == [
        ("canary", "portal canary "),
        ("watch", "portal canary watch "),
        ("table wide json yaml name", "portal canary list -o "),
        ("devcluster/shop/api devcluster/shop/web", "portal canary get devcluster/shop/"),
        ("devcluster/shop/web", "portal canary pause devcluster/shop/web "),
        ("--help -o --output --json", "portal canary get -"),
    ]
