"""The portal's Lease elector (portal/kube/leasing.py) against devcluster over HTTP: one leader,
renewals, a lost race (409), release, expiry after a silent death, and losing the Lease when
the API server fails, hangs or goes away."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient

from devcluster.harness import DevCluster, serve_devcluster
from portal.kube.leasing import LeaseElector, LeaseTiming
from tests.support.waiting import wait_until

LEASE = "portal-test"
NAMESPACE = "default"
LEASE_PATH = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{LEASE}"
TIMING = LeaseTiming(lease_seconds=4, renew_deadline_seconds=3.0, retry_seconds=1.0)


@dataclass
class Candidate:
    elector: LeaseElector
    changes: list[bool] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.elector.run(), name=f"elector:{self.identity}")

    @property
    def identity(self) -> str:
        return self.elector.identity

    async def crash(self) -> None:
        """Stop campaigning without a word to the API server (kill -9)."""
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def shut_down(self) -> None:
        await self.crash()
        await self.elector.stop()


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(simulate=False) as running:
        yield running


@pytest.fixture
async def clients(cluster: DevCluster) -> AsyncIterator[list[ApiClient]]:
    made = [
        await config.new_client_from_config(config_file=str(cluster.kubeconfig)) for _ in range(2)
    ]
    try:
        yield made
    finally:
        for client in made:
            await client.close()


@pytest.fixture
async def candidates(clients: list[ApiClient]) -> AsyncIterator[list[Candidate]]:
    made: list[Candidate] = []
    for client, identity in zip(clients, ("replica-a", "replica-b"), strict=True):
        changes: list[bool] = []

        async def record(leading: bool, changes: list[bool] = changes) -> None:
            changes.append(leading)

        elector = LeaseElector(
            client=client,
            name=LEASE,
            namespace=NAMESPACE,
            identity=identity,
            timing=TIMING,
            on_change=record,
        )
        made.append(Candidate(elector=elector, changes=changes))
    try:
        yield made
    finally:
        for candidate in made:
            if candidate.task is not None:
                await candidate.crash()


def lease(cluster: DevCluster) -> dict[str, Any]:
    found: dict[str, Any] = cluster.objects.get(
        "coordination.k8s.io/v1", "Lease", name=LEASE, namespace=NAMESPACE
    )
    return found


def leaders(candidates: list[Candidate]) -> list[str]:
    return [c.identity for c in candidates if c.elector.leading]


async def test_one_of_two_candidates_leads_and_keeps_renewing(
    cluster: DevCluster, candidates: list[Candidate]
) -> None:
    for candidate in candidates:
        candidate.start()
    await wait_until(lambda: len(leaders(candidates)) == 1, what="a leader")
    [leader] = leaders(candidates)
    first = lease(cluster)["spec"]["renewTime"]
    await wait_until(
        lambda: lease(cluster)["spec"]["renewTime"] != first, within=5, what="a renewal"
    )
    spec = lease(cluster)["spec"]
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"]) == (leader, 4)
    assert leaders(candidates) == [leader]
    follower = next(c for c in candidates if c.identity != leader)
    assert (follower.changes, follower.elector.holder) == ([], leader)


async def test_the_loser_of_a_race_gets_a_409_and_follows(
    cluster: DevCluster, candidates: list[Candidate]
) -> None:
    a, b = candidates
    a.start()
    await wait_until(lambda: a.elector.leading, what="a leads")
    await a.shut_down()  # released: holder "" and the next writer wins
    a.elector.attempted.clear()
    hold = cluster.faults.hold_next_request(method="PUT", path_prefix=LEASE_PATH)
    a.start()
    async with asyncio.timeout(10):
        await hold.arrived.wait()  # a read the released Lease and is about to take it
    b.start()
    await wait_until(lambda: b.elector.leading, what="b takes the released Lease")
    hold.release()  # a's replace carries the resourceVersion b has since replaced
    await wait_until(a.elector.attempted.is_set, what="a's attempt to end")
    assert leaders(candidates) == ["replica-b"]
    assert lease(cluster)["spec"]["holderIdentity"] == "replica-b"
    assert a.changes == [True, False]  # its first term, before the release; not the race
    await wait_until(lambda: a.elector.holder == "replica-b", what="a to see b hold the Lease")
    assert not a.elector.leading


async def test_a_released_lease_is_taken_over_at_the_next_attempt(
    cluster: DevCluster, candidates: list[Candidate]
) -> None:
    a, b = candidates
    a.start()
    await wait_until(lambda: a.elector.leading, what="a leads")
    b.start()
    await wait_until(b.elector.attempted.is_set, what="b follows")
    started = time.monotonic()
    await a.shut_down()
    assert lease(cluster)["spec"]["holderIdentity"] == ""
    await wait_until(lambda: b.elector.leading, within=TIMING.lease_seconds, what="takeover")
    took = time.monotonic() - started
    assert took < TIMING.retry_seconds + 1, f"took {took:.2f}s"
    assert (a.changes, b.changes) == ([True, False], [True])


async def test_a_silent_leader_is_replaced_only_after_its_lease_duration(
    cluster: DevCluster, candidates: list[Candidate]
) -> None:
    a, b = candidates
    a.start()
    await wait_until(lambda: a.elector.leading, what="a leads")
    b.start()
    await wait_until(b.elector.attempted.is_set, what="b follows")
    started = time.monotonic()
    await a.crash()
    await wait_until(lambda: b.elector.leading, within=TIMING.lease_seconds + 3, what="takeover")
    took = time.monotonic() - started
    assert TIMING.lease_seconds - TIMING.retry_seconds <= took, f"took over early: {took:.2f}s"
    assert lease(cluster)["spec"]["holderIdentity"] == "replica-b"


@pytest.mark.parametrize("fault", ["500", "slow", "down"])
async def test_the_leader_stops_leading_when_the_api_server_fails_and_leads_again_after(
    cluster: DevCluster, candidates: list[Candidate], fault: str
) -> None:
    a, _ = candidates
    a.start()
    await wait_until(lambda: a.elector.leading, what="a leads")
    started = time.monotonic()
    if fault == "500":
        cluster.faults.fail_next_requests(count=1000, status=500, path_prefix=LEASE_PATH)
    elif fault == "slow":  # an API server that hangs: every call outlives the renew deadline
        cluster.faults.slow_next_requests(count=1000, delay_seconds=30, path_prefix=LEASE_PATH)
    else:
        await cluster.stop()
    bound = TIMING.renew_deadline_seconds + TIMING.retry_seconds + 1
    await wait_until(lambda: not a.elector.leading, within=bound, what="a stops leading")
    lost_after = time.monotonic() - started
    assert lost_after < TIMING.lease_seconds, f"still led {lost_after:.2f}s in"
    assert a.elector.last_error is not None
    if fault == "down":
        await cluster.start()
    else:
        cluster.faults.clear()
    await wait_until(lambda: a.elector.leading, within=5, what="a leads again")
    assert a.changes == [True, False, True]
    assert a.elector.last_error is None
