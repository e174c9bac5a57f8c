"""`portal token create|list|revoke` as scripts use them: a real process on the test's database;
the app then accepts and refuses the token accordingly."""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import subprocess
import sys

from portal.config import Settings
from tests.integration.security.conftest import audit_rows
from tests.support.apps import running_app

TOKEN_LINE = re.compile(r"^ifp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$")


def portal_cli(database_url: str, *args: str, level: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "token", *args],
        env={**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_LOG_LEVEL": level},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def cli(
    database_url: str, *args: str, level: str = "info"
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(portal_cli, database_url, *args, level=level)


async def test_create_prints_the_token_alone_and_the_portal_accepts_it(
    database_url: str, settings: Settings
) -> None:
    created = await cli(
        database_url, "create", "--name", "ci", "--role", "operator", "--expires-days", "90"
    )
    assert created.returncode == 0, created.stderr
    assert TOKEN_LINE.fullmatch(created.stdout)
    secret = created.stdout.strip()
    assert created.stderr == "created token 'ci' with role operator; it is not shown again\n"

    listed = await cli(database_url, "list")
    assert listed.returncode == 0
    header, row = listed.stdout.splitlines()
    assert header == "id\tname\trole\tstate\texpires\tlast_used"
    assert row.split("\t")[1:4] == ["ci", "operator", "active"]
    assert secret not in listed.stdout + listed.stderr

    async with running_app(settings) as running:
        [created_event] = await audit_rows(running, action="token.create")
        assert created_event.actor == f"cli:{getpass.getuser()}"
        assert created_event.name == "ci"
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await running.client.get("/api/v1/audit", headers=headers)).status_code == 200
        revoked = await cli(database_url, "revoke", "ci")
        assert revoked.returncode == 0
        assert revoked.stdout == "revoked token 'ci'\n"
        refused = await running.client.get("/api/v1/audit", headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "API token 'ci' was revoked"}


async def test_refusals_exit_1_with_the_reason(database_url: str) -> None:
    assert (await cli(database_url, "create", "--name", "ci", "--role", "viewer")).returncode == 0
    duplicate = await cli(database_url, "create", "--name", "ci", "--role", "viewer")
    unknown = await cli(database_url, "revoke", "nope")
    assert (duplicate.returncode, duplicate.stdout) == (1, "")
    assert duplicate.stderr == "refused: a token named 'ci' already exists\n"
    assert (unknown.returncode, unknown.stderr) == (1, "refused: no token 'nope'\n")


async def test_bad_usage_exits_2(database_url: str) -> None:
    bad_role = await cli(database_url, "create", "--name", "ci", "--role", "owner")
    assert bad_role.returncode == 2
    assert "invalid choice: 'owner'" in bad_role.stderr


async def test_the_secret_is_on_stdout_only_even_with_debug_logs(database_url: str) -> None:
    created = await cli(database_url, "create", "--name", "ci", "--role", "admin", level="debug")
    assert created.returncode == 0
    assert TOKEN_LINE.fullmatch(created.stdout)
    assert '"level": "debug"' in created.stderr  # debug logs were on
    assert created.stdout.strip().split("_", 2)[2] not in created.stderr
