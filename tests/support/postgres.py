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


@dataclass
class ControlledCluster:
    """A throwaway PostgreSQL cluster of a test's own that the test may stop and start again on
    the same port (a database outage while the portal runs)."""

    workdir: Path
    port: int

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def server(self) -> PostgresServer:
        return PostgresServer(
            make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres")
        )

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_postgres_user([_binary("pg_ctl"), "-D", str(self.data), *args]),
            check=check,
            capture_output=True,
            timeout=90,
        )

    def init(self) -> None:
        subprocess.run(
            _as_postgres_user(
                [
                    _binary("initdb"),
                    "-D",
                    str(self.data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start and wait until it accepts connections (pg_ctl -w)."""
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.workdir / "log")
        self._pg_ctl("-o", options, "-w", "-t", "60", "-l", log, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop and wait until it is down: `fast` ends every session (clients see their
        connection closed), `immediate` kills the server without a clean shutdown."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def stop_quietly(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop", check=False)


@contextlib.contextmanager
def controlled_cluster() -> Iterator[ControlledCluster]:
    """A started throwaway cluster in a temp dir on a free port, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="infra-fleet-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    cluster = ControlledCluster(workdir=workdir, port=free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop_quietly()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    with controlled_cluster() as cluster:
        yield cluster.server


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
