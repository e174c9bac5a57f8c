"""Portal replicas as real processes (`portal serve`) on one database and one devcluster."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devcluster.harness import DevCluster
from portal.db import create_engine, create_sessionmaker
from portal.security.roles import Role
from portal.services.audit import Actor
from portal.services.tokens import issue_token
from tests.support.servers import free_port
from tests.support.waiting import wait_until

START_SECONDS = 120.0  # two Python processes importing the portal on a loaded machine


@dataclass
class Replica:
    identity: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "portal.cli",
                "serve",
                "--port",
                str(self.port),
                env={**os.environ, **self.env, "PORTAL_LEADER_IDENTITY": self.identity},
                stdout=log,
                stderr=log,
            )
        await wait_until(self._ready, within=START_SECONDS, what=f"{self.identity} ready")

    async def readiness(self) -> dict[str, Any] | None:
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
                response = await client.get("/readyz")
        except httpx.TransportError:
            return None
        body: dict[str, Any] = response.json()
        return body

    async def _ready(self) -> bool:
        body = await self.readiness()
        return body is not None and body["status"] == "ready"

    async def leads(self) -> bool:
        body = await self.readiness()
        return body is not None and bool(body["leader"]["is_leader"])

    async def metrics(self) -> str:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            return (await client.get("/metrics")).text

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        """Resident set size of the serving process now (/proc/<pid>/status VmRSS)."""
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid}")

    def cpu_seconds(self) -> float:
        """User and system CPU time the serving process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    async def kill(self) -> None:
        """kill -9: no shutdown, no release."""
        await self._end(signal.SIGKILL)

    async def terminate(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, sig: int) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(sig)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise


async def leader_among(replicas: list[Replica], *, within: float = 20) -> Replica:
    """The one replica that leads, once exactly one does."""
    found: list[Replica] = []

    async def one_leads() -> bool:
        found[:] = [r for r in replicas if await r.leads()]
        return len(found) == 1

    await wait_until(one_leads, within=within, what="exactly one leader")
    return found[0]


async def takeover_seconds(survivor: Replica, *, since: float, within: float) -> float:
    await wait_until(survivor.leads, within=within, what=f"{survivor.identity} to take over")
    return time.monotonic() - since


@dataclass
class Fleet:
    dc: DevCluster
    database_url: str
    replicas: list[Replica]

    async def count(self, sql: str) -> int:
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return int((await connection.execute(text(sql))).scalar_one())
        finally:
            await engine.dispose()

    async def token(self, role: Role, *, name: str | None = None) -> str:
        """A bearer token of `role`, issued straight in the shared database."""
        engine = create_engine(self.database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                issued = await issue_token(
                    session,
                    name=name or f"test-{role.value}",
                    role=role,
                    actor=Actor(name="test", role="admin"),
                )
                await session.commit()
                return issued.secret
        finally:
            await engine.dispose()


@asynccontextmanager
async def running_fleet(
    dc: DevCluster,
    database_url: str,
    logs: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    names: tuple[str, ...] = ("replica-a", "replica-b"),
) -> AsyncIterator[Fleet]:
    """`portal serve` replicas on one database and one devcluster; killed on exit."""
    env = {
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_KUBECONFIG": str(dc.kubeconfig),
        "PORTAL_WATCH_KINDS": "canaries,canary-events,deployments,hpas",
        "PORTAL_LOG_FORMAT": "console",
        **(extra_env or {}),
    }
    replicas = [Replica(identity=name, env=env, log_path=logs / f"{name}.log") for name in names]
    try:
        await asyncio.gather(*(replica.start() for replica in replicas))
        yield Fleet(dc=dc, database_url=database_url, replicas=replicas)
    finally:
        for replica in replicas:
            await replica.kill()
