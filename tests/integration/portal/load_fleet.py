"""Two portal replicas on one PostgreSQL database and devcluster's simulated demo, set up for
the load test (bench/reliability_load.py and test_reliability_load.py): a Flagger caller
token, one viewer token per API reader, and the canaries the gate calls name."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devcluster.harness import serve_devcluster
from portal.domain.flagger_checksum import observed_checksum
from portal.security.roles import Role
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.portal_load import Audience, GateTarget
from tests.support.waiting import wait_until

from .replicas import Fleet, running_fleet

LOAD_ENV = {
    "PORTAL_FLAGGER_TOKENS": json.dumps(flagger_tokens()),
    # every call comes from 127.0.0.1: the per-address limit would answer most of them 429
    "PORTAL_RATE_LIMIT_WEBHOOKS": "1000000/minute",
}
CANARIES = "/apis/flagger.app/v1beta1/canaries"


@dataclass
class LoadFleet:
    fleet: Fleet
    reader_tokens: list[str]

    async def audience(self) -> Audience:
        """Who calls, with the checksums of the runs as they are now (Flagger sends them)."""
        async with httpx.AsyncClient(base_url=self.fleet.dc.url, timeout=10) as client:
            response = await client.get(CANARIES)
        response.raise_for_status()
        items = response.json()["items"]
        targets = [
            GateTarget(
                namespace=item["metadata"]["namespace"],
                name=item["metadata"]["name"],
                checksum=observed_checksum(item) or "",
            )
            for item in items
        ]
        details = [f"/api/v1/canaries/devcluster/{t.namespace}/{t.name}" for t in targets]
        return Audience(
            replicas=[replica.url for replica in self.fleet.replicas],
            flagger_token=FLAGGER_TOKEN,
            reader_tokens=self.reader_tokens,
            targets=targets,
            detail_paths=details,
        )

    def rss_bytes(self) -> list[int]:
        return [replica.rss_bytes() for replica in self.fleet.replicas]

    def cpu_seconds(self) -> list[float]:
        return [replica.cpu_seconds() for replica in self.fleet.replicas]


@asynccontextmanager
async def load_fleet(
    database_url: str, logs: Path, *, readers: int, time_scale: float = 10.0
) -> AsyncIterator[LoadFleet]:
    """devcluster's demo (releasing on its own) watched by two replicas, ready for load."""
    async with (
        serve_devcluster(scenario="demo", time_scale=time_scale) as dc,
        running_fleet(dc, database_url, logs, extra_env=LOAD_ENV) as fleet,
    ):
        tokens = [await fleet.token(Role.viewer, name=f"reader-{i}") for i in range(readers)]
        made = LoadFleet(fleet=fleet, reader_tokens=tokens)
        wanted = len((await made.audience()).targets)
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:
            for replica in fleet.replicas:

                async def lists_all(url: str = replica.url) -> bool:
                    answer = await client.get(f"{url}/api/v1/canaries")
                    return answer.status_code == 200 and len(answer.json()["items"]) == wanted

                await wait_until(lists_all, within=60, what=f"{replica.identity} lists canaries")
        yield made
