"""PostgreSQL stopped and started again under a running portal process (`portal serve`).

While the database is down: API requests answer 503 with Retry-After and the cause, /readyz says
why it is not ready, every Flagger gate holds (403, never a pass a tick could act on), and an
action whose Kubernetes change went through while its audit row could not be completed says so
(503), never a success. When PostgreSQL is back the same process answers again, without a
restart; the time it takes is measured.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devcluster.harness import DevCluster, serve_devcluster
from portal import migrations
from portal.domain.gate_rules import DECISION_GATES
from tests.support import objects
from tests.support.apps import csrf_headers
from tests.support.postgres import ControlledCluster, PostgresUnavailable, controlled_cluster
from tests.support.waiting import wait_until

from .replicas import Replica

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

GATE_TOKEN = "gate-outage-0123456789abcdefghijklmnop"
NS = "shop"
RECOVERY_PROMISE_SECONDS = 10.0
UNREACHABLE_503 = {
    "detail": "database unreachable: the portal's database is busy or unreachable; nothing "
    "more was changed, retry shortly"
}


@dataclass
class Outage:
    postgres: ControlledCluster
    dc: DevCluster
    portal: Replica
    database_url: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.portal.url, timeout=30)

    async def stop_database(self, mode: str) -> None:
        await asyncio.to_thread(self.postgres.stop, mode)

    async def start_database(self) -> None:
        await asyncio.to_thread(self.postgres.start)

    async def rows(self, sql: str, **params: object) -> list[tuple[Any, ...]]:
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(sql), params)]
        finally:
            await engine.dispose()

    async def audit_rows(self, action: str) -> list[tuple[int, str]]:
        sql = "SELECT id, outcome FROM audit_events WHERE action = :a ORDER BY id"
        return [(int(i), str(o)) for i, o in await self.rows(sql, a=action)]

    async def samples(self) -> list[int]:
        sql = "SELECT current_replicas FROM hpa_samples ORDER BY id"
        return [int(current) for (current,) in await self.rows(sql)]

    async def timeline_metrics(self) -> dict[tuple[str, str], float]:
        return {
            (sample.name, sample.labels.get("reason", "")): sample.value
            for family in text_string_to_metric_families(await self.portal.metrics())
            if family.name.startswith("portal_timeline")
            for sample in family.samples
            if not sample.name.endswith("_created")
        }


@pytest.fixture
def stoppable_postgres() -> Iterator[ControlledCluster]:
    """A PostgreSQL of this test's own (it is stopped and started again); without the
    binaries the test skips outside CI and fails in CI."""
    try:
        context = controlled_cluster()
        postgres = context.__enter__()
    except (PostgresUnavailable, subprocess.SubprocessError, OSError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires PostgreSQL's binaries: {error}", pytrace=False)
        pytest.skip(f"no PostgreSQL binaries to start a cluster of the test's own: {error}")
    try:
        yield postgres
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
async def outage(tmp_path: Path, stoppable_postgres: ControlledCluster) -> AsyncIterator[Outage]:
    postgres = stoppable_postgres
    database_url = postgres.server.url_for("postgres")
    await asyncio.to_thread(migrations.upgrade, database_url)
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace(NS))
        dc.objects.put(objects.deployment("web", NS, image="registry/web:1"))
        dc.objects.put(objects.canary("web", NS))
        portal = Replica(
            identity="outage",
            env={
                "PORTAL_DATABASE_URL": database_url,
                "PORTAL_KUBECONFIG": str(dc.kubeconfig),
                "PORTAL_WATCH_KINDS": "canaries,deployments,hpas",
                "PORTAL_FLAGGER_WEBHOOK_TOKEN": GATE_TOKEN,
                "PORTAL_LOG_FORMAT": "console",
                "PORTAL_AUTH_MODE": "local",  # the test is the local admin (loopback)
            },
            log_path=tmp_path / "portal.log",
        )
        portal.env["PORTAL_PORT"] = str(portal.port)
        try:
            await portal.start()
            yield Outage(postgres, dc, portal, database_url)
        finally:
            await portal.kill()


async def call_gate(client: httpx.AsyncClient, gate: str) -> httpx.Response:
    payload: dict[str, Any] = {
        "name": "web",
        "namespace": NS,
        "phase": "Progressing",
        "checksum": "0",
        "metadata": {"token": GATE_TOKEN},
    }
    return await client.post(f"/flagger/gates/{gate}", json=payload)


async def freezes_status(client: httpx.AsyncClient) -> int:
    try:
        return (await client.get("/api/v1/freezes")).status_code
    except httpx.TransportError:
        return 0


async def test_while_postgresql_is_down_requests_are_503_gates_hold_and_the_portal_recovers(
    outage: Outage,
) -> None:
    recoveries: list[float] = []
    holds: list[float] = []
    async with outage.client() as client:
        assert (await call_gate(client, "confirm-promotion")).status_code == 200
        for mode in ("fast", "immediate", "fast"):
            await outage.stop_database(mode)

            response = await client.get("/api/v1/freezes")
            assert (response.status_code, response.json()) == (503, UNREACHABLE_503)
            assert response.headers["retry-after"] == "5"
            for gate in DECISION_GATES:
                asked = time.monotonic()
                held = await call_gate(client, gate.value)
                holds.append(time.monotonic() - asked)
                assert (held.status_code, held.text) == (
                    403,
                    "hold: the portal cannot read its gates (database unreachable); a gate it "
                    "cannot decide never passes, so Flagger waits and asks again at its next "
                    "tick\n",
                ), gate
            ready = await client.get("/readyz")
            assert (ready.status_code, ready.json()["reasons"]) == (
                503,
                {"database": "database unreachable: ConnectionRefusedError"},
            )
            assert (await client.get("/healthz")).status_code == 200

            await outage.start_database()
            back = time.monotonic()

            async def answers() -> bool:
                return await freezes_status(client) == 200

            await wait_until(answers, within=RECOVERY_PROMISE_SECONDS, what="the API to recover")
            recoveries.append(time.monotonic() - back)
            assert (await call_gate(client, "confirm-promotion")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
    assert outage.portal.process is not None
    assert outage.portal.process.returncode is None  # the same process throughout
    print(f"recovery after PostgreSQL restart: {[round(s, 3) for s in recoveries]} s, median "
          f"{statistics.median(recoveries):.3f} s; gate holds answered in median "
          f"{statistics.median(holds) * 1000:.0f} ms, max {max(holds) * 1000:.0f} ms")  # fmt: skip


async def test_an_action_whose_audit_row_cannot_be_completed_says_the_change_was_made(
    outage: Outage,
) -> None:
    hold = outage.dc.faults.hold_next_request(
        method="PATCH", path_prefix=f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/web"
    )
    async with outage.client() as client:
        headers = await csrf_headers(client)
        answer = asyncio.create_task(
            client.post(
                f"/api/v1/canaries/devcluster/{NS}/web/pause",
                json={"reason": "database outage test"},
                headers=headers,
            )
        )
        try:
            async with asyncio.timeout(30):
                await hold.arrived.wait()
            [(audit_id, outcome)] = await outage.audit_rows("pause")
            await outage.stop_database("fast")
        finally:
            hold.release()
        response = await answer
    assert outcome == "requested"
    assert response.status_code == 503, response.text
    assert response.json() == {
        "detail": f"pause of devcluster/{NS}/web: the cluster change was made (paused "
        f"(spec.suspend: true)), but its audit row #{audit_id} could not be completed "
        "(database unreachable) and still says 'requested'; check the canary before trying "
        "again"
    }
    canary = outage.dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace=NS)
    assert canary["spec"]["suspend"] is True
    await outage.start_database()
    assert await outage.audit_rows("pause") == [(audit_id, "requested")]
    assert "action not fully audited" in outage.portal.log_path.read_text()


def scaled(current: int) -> dict[str, Any]:
    hpa = objects.hpa("web", NS, target="web")
    hpa["status"] = {"currentReplicas": current, "desiredReplicas": current}
    return hpa


async def test_hpa_samples_seen_during_the_outage_are_written_when_postgresql_is_back(
    outage: Outage,
) -> None:
    outage.dc.objects.put(scaled(2))

    async def recorded(expected: list[int]) -> bool:
        return await outage.samples() == expected

    await wait_until(lambda: recorded([2]), within=30, what="the first sample")
    await outage.stop_database("fast")
    for current in (3, 4, 5):
        outage.dc.objects.put(scaled(current))

    async def retrying() -> bool:
        return (await outage.timeline_metrics())[("portal_timeline_writes_retried_total", "")] >= 2

    await wait_until(retrying, within=30, what="the recorder retrying while the database is down")
    during = await outage.timeline_metrics()
    await outage.start_database()
    await wait_until(lambda: recorded([2, 3, 4, 5]), within=60, what="the queued samples")
    after = await outage.timeline_metrics()
    assert during[("portal_timeline_queue_depth", "")] == 2.0  # one being retried, two queued
    assert {key: value for key, value in after.items() if "dropped" in key[0]} == {
        ("portal_timeline_writes_dropped_total", "queue_full"): 0.0,
        ("portal_timeline_writes_dropped_total", "stopped"): 0.0,
        ("portal_timeline_writes_dropped_total", "write_failed"): 0.0,
    }
    assert after[("portal_timeline_queue_depth", "")] == 0.0
    assert (
        after[("portal_timeline_writes_total", "")] - during[("portal_timeline_writes_total", "")]
        == 3.0
    )
