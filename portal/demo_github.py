"""The demo's GitHub history: four weeks of signed `push` and `deployment_status` deliveries for
three of the demo fleet's services, replayed to `POST /webhooks/github` once the portal answers,
so `/dora` shows real lead times, failures and recoveries from the first minute (the fleet's
live canary runs then add to them).

Times are anchored to the hour the demo starts and commit shas and deployment ids derive from
that anchor: restarting within the hour replays the same facts (stored once), a later start adds
a new history beside the old one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portal.domain.github_signatures import sign

DEMO_REPO_OWNER = "infra-fleet-demo"
DEMO_SERVICES = (("shop", "frontend"), ("payments", "checkout"), ("search", "query-api"))
DEPLOYMENTS_PER_SERVICE = 14
FAILING_EVERY = 5
"""Every fifth release fails; the fix ships two hours later (a recovery, and rework)."""
REPLAY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Delivery:
    event: str
    delivery_id: str
    body: bytes


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _repository(service: str) -> dict[str, Any]:
    return {"name": service, "full_name": f"{DEMO_REPO_OWNER}/{service}", "default_branch": "main"}


def _push(service: str, before: str, commits: list[tuple[str, datetime]]) -> dict[str, Any]:
    listed = [
        {"id": sha, "timestamp": _stamp(at), "distinct": True, "message": f"change {sha[:7]}"}
        for sha, at in commits
    ]
    return {
        "ref": "refs/heads/main",
        "before": before,
        "after": commits[-1][0],
        "deleted": False,
        "commits": listed,
        "head_commit": listed[-1],
        "repository": _repository(service),
    }


def _deployment_status(
    where: tuple[str, str], service: str, *, number: int, sha: str, start: datetime, ok: bool
) -> dict[str, Any]:
    cluster, namespace = where
    finished = start + timedelta(minutes=12)
    return {
        "action": "created",
        "deployment_status": {
            "state": "success" if ok else "failure",
            "created_at": _stamp(finished),
            "description": "" if ok else "smoke tests failed after rollout",
        },
        "deployment": {
            "id": number,
            "sha": sha,
            "ref": "main",
            "environment": "production",
            "created_at": _stamp(start),
            "payload": {"service": service, "cluster": cluster, "namespace": namespace},
        },
        "repository": _repository(service),
    }


def _service_history(
    where: tuple[str, str], service: str, anchor: datetime
) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    head = _sha(anchor, service, "root")
    base = int(anchor.timestamp() // 3600) * 100
    for index in range(DEPLOYMENTS_PER_SERVICE):
        start = anchor - timedelta(days=28) + timedelta(hours=47 * index + 5)
        commits = [
            (_sha(anchor, service, index, n), start - timedelta(hours=3 + 7 * n + index % 4))
            for n in range(1 + index % 3)
        ][::-1]
        events.append(("push", _push(service, head, commits)))
        head = commits[-1][0]
        failing = index % FAILING_EVERY == FAILING_EVERY - 1
        number = base + index * 2
        events.append(
            (
                "deployment_status",
                _deployment_status(
                    where, service, number=number, sha=head, start=start, ok=not failing
                ),
            )
        )
        if failing:
            fix = [(_sha(anchor, service, index, "fix"), start + timedelta(minutes=40))]
            events.append(("push", _push(service, head, fix)))
            head = fix[0][0]
            retry = start + timedelta(hours=2)
            events.append(
                (
                    "deployment_status",
                    _deployment_status(
                        where, service, number=number + 1, sha=head, start=retry, ok=True
                    ),
                )
            )
    return events


def demo_deliveries(*, now: datetime, cluster: str = "devcluster") -> list[Delivery]:
    """Every delivery of the demo history (deployments to `cluster`), in the order GitHub would
    have sent them."""
    anchor = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    deliveries = []
    for namespace, service in DEMO_SERVICES:
        for event, payload in _service_history((cluster, namespace), service, anchor):
            body = json.dumps(payload, sort_keys=True).encode()
            delivery_id = str(uuid.UUID(_sha(event, body.decode())[:32]))
            deliveries.append(Delivery(event=event, delivery_id=delivery_id, body=body))
    return deliveries


def post_deliveries(client: httpx.Client, deliveries: list[Delivery], *, secret: str) -> int:
    """Send each delivery signed as GitHub does; returns how many were accepted or known."""
    answered = 0
    for delivery in deliveries:
        response = client.post(
            "/webhooks/github",
            content=delivery.body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": delivery.event,
                "X-GitHub-Delivery": delivery.delivery_id,
                "X-Hub-Signature-256": sign(secret.encode(), delivery.body),
            },
        )
        answered += response.status_code in (200, 202)
    return answered


def _replay(base_url: str, secret: str, deliveries: list[Delivery]) -> None:
    deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
    with httpx.Client(base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/healthz").status_code == 200:
                    post_deliveries(client, deliveries, secret=secret)
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)  # polling a server that is still starting, with a deadline


def replay_in_background(
    *, base_url: str, secret: str, now: datetime, cluster: str
) -> threading.Thread:
    """Replay the demo history from a daemon thread once the portal answers (the server runs
    in the main thread)."""
    thread = threading.Thread(
        target=_replay,
        args=(base_url, secret, demo_deliveries(now=now, cluster=cluster)),
        name="demo-github-replay",
        daemon=True,
    )
    thread.start()
    return thread
