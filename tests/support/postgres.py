"""Find or start a PostgreSQL server for the tests.

Order: `PORTAL_TEST_DATABASE_URL` when given; else a server on 127.0.0.1:5432 if one answers;
else a throwaway cluster made with initdb/pg_ctl in a temp dir on a free port, stopped afterwards.
In CI (`CI=true`) a PostgreSQL run is mandatory: not finding one is an error, never a skip.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tests.support.servers import free_port

LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


@dataclass(frozen=True)
class PostgresServer:
    """A server the tests may create and drop databases on."""

    admin_url: URL

    def url_for(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)


def port_answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresUnavailable(f"{name} not found on PATH or under /usr/lib/postgresql/*/bin")


def _as_postgres_user(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root; run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    workdir = Path(tempfile.mkdtemp(prefix="infra-fleet-pg-"))
    data = workdir / "data"
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    port = free_port()
    run = subprocess.run
    run(
        _as_postgres_user(
            [_binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        _as_postgres_user(
            [
                _binary("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(workdir / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=90,
    )
    try:
        yield PostgresServer(make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"))
    finally:
        run(
            _as_postgres_user(
                [_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    given = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if given:
        yield PostgresServer(make_url(given))
    elif port_answers("127.0.0.1", 5432):
        yield PostgresServer(make_url(LOCAL_URL))
    else:
        try:
            with throwaway_cluster() as server:
                yield server
        except (subprocess.SubprocessError, OSError) as error:
            raise PostgresUnavailable(f"could not start a throwaway PostgreSQL: {error}") from error
