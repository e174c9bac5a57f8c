"""The `portal` command as a user runs it: a real process, real exit codes."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlmodel import SQLModel

import portal.models  # noqa: F401  (registers every table)

PORTAL = [sys.executable, "-m", "portal.cli"]


def run_portal(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PORTAL, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "portal.db"
    result = run_portal(
        "db", "upgrade", env={"PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "database at revision head\n"
    with sqlite3.connect(database) as connection:
        tables = {
            row[0]
            for row in connection.execute("select name from sqlite_master where type='table'")
        }
        journal = connection.execute("pragma journal_mode").fetchone()[0]
    assert tables == {"alembic_version", *SQLModel.metadata.tables}
    assert journal == "wal"


def test_bad_settings_exit_2_with_the_reason() -> None:
    result = run_portal("db", "upgrade", env={"PORTAL_PORT": "0"})
    assert result.returncode == 2
    assert result.stderr == (
        "invalid portal settings:\n"
        "  PORTAL_PORT: Input should be greater than or equal to 1 (got '0')\n"
    )


def test_unknown_command_exits_2() -> None:
    result = run_portal("launch", env={})
    assert result.returncode == 2
    assert "invalid choice: 'launch'" in result.stderr


def test_a_downtime_window_that_does_not_parse_exits_2_with_the_reason() -> None:
    result = run_portal(
        "db", "upgrade", env={"PORTAL_COST_DOWNTIME": '{"staging": ["weeknights"]}'}
    )
    assert result.returncode == 2
    assert result.stderr == (
        "PORTAL_COST_DOWNTIME: cluster 'staging': window 'weeknights': use 'Mon-Fri 20:00-08:00' "
        "or 'Fri 20:00-Mon 08:00' (UTC)\n"
    )
