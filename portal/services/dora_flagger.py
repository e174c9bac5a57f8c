"""Every finished Flagger run is a DORA deployment of the canary's target.

Called in the transaction that closes the run (`run_writing.apply_decisions`), so a run seen by
the watch and by the event webhook, or replayed after a restart, is one deployment: its key is
the run's own (cluster, namespace, canary, start). Promoted → success; rolled back → failed with
Flagger's cause; a run superseded by a newer revision never finished and is no deployment.

A failed run never replaced the primary, so its users met it only through the canary's traffic:
the run's peak routed weight and the exposure (share of traffic times seconds, from the steps the
timeline recorded) say how far it got.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_windows import as_utc
from portal.domain.run_records import EndRun, Outcome
from portal.kube.view import ClusterView
from portal.models import TimelineEntry
from portal.services.dora_facts import DeploymentFact, amend_failure_cause, record_deployment

SOURCE = "flagger"
OUTCOMES = {Outcome.PROMOTED: "success", Outcome.ROLLED_BACK: "failed"}
STEP_WEIGHT = re.compile(r": weight (\d+)%")
"""The weight in a step entry's message, as `run_writing._step_message` writes it."""


@dataclass(frozen=True, slots=True)
class RunTarget:
    """What the watch knows of the canary whose run ended."""

    service: str
    commit_sha: str | None = None


REVISION_LABEL = "org.opencontainers.image.revision"
"""The OCI label CI stamps on images (docs/deploy.md); a Deployment that repeats it on its pod
template (label or annotation) tells the watch which commit it runs."""


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def run_target(view: ClusterView, key: tuple[str, str, str]) -> RunTarget:
    """The canary's target as the watch sees it now (the canary's own name when unknown)."""
    cluster, namespace, name = key
    canary = _mapping(view.get("canaries", cluster=cluster, namespace=namespace, name=name))
    target = _mapping(_mapping(canary.get("spec")).get("targetRef"))
    service = str(target.get("name") or name)
    deployment = view.get("deployments", cluster=cluster, namespace=namespace, name=service)
    metadata = _mapping(_mapping(_mapping(deployment).get("spec")).get("template")).get("metadata")
    labels, annotations = (
        _mapping(_mapping(metadata).get(part)) for part in ("labels", "annotations")
    )
    commit = annotations.get(REVISION_LABEL) or labels.get(REVISION_LABEL)
    return RunTarget(service=service, commit_sha=str(commit) if commit else None)


def run_key(key: tuple[str, str, str], started_at: datetime) -> str:
    cluster, namespace, name = key
    return f"{cluster}/{namespace}/{name}@{as_utc(started_at).isoformat()}"


def _cause(end: EndRun) -> str | None:
    if end.outcome is not Outcome.ROLLED_BACK:
        return None
    cause = str(end.cause) if end.cause else "rolled-back"
    return f"{cause}: {end.reason}" if end.reason else cause


async def _exposure(
    session: AsyncSession, run_id: int | None, end: EndRun
) -> tuple[int | None, float | None]:
    """Peak weight and traffic share times seconds over the run's recorded steps."""
    if run_id is None:
        return None, None
    statement = (
        select(TimelineEntry.at, TimelineEntry.message)
        .where(TimelineEntry.run_id == run_id, TimelineEntry.category == "step")
        .order_by(col(TimelineEntry.at))
    )
    steps = [
        (as_utc(at), int(found.group(1)))
        for at, message in (await session.exec(statement)).all()
        if (found := STEP_WEIGHT.search(message))
    ]
    if not steps:
        return None, None
    ends = [at for at, _ in steps[1:]] + [as_utc(end.ended_at)]
    exposure = sum(
        weight / 100 * max((until - at).total_seconds(), 0.0)
        for (at, weight), until in zip(steps, ends, strict=True)
    )
    return max(weight for _, weight in steps), exposure


async def record_run_deployment(
    session: AsyncSession,
    *,
    key: tuple[str, str, str],
    end: EndRun,
    run_id: int | None,
    target: RunTarget | None = None,
) -> int | None:
    """The deployment a finished run is (None for a superseded run)."""
    outcome = OUTCOMES.get(end.outcome)
    if outcome is None:
        return None
    cluster, namespace, name = key
    peak, exposure = await _exposure(session, run_id, end)
    fact = DeploymentFact(
        source=SOURCE,
        external_key=run_key(key, end.started_at),
        service=target.service if target else name,
        cluster=cluster,
        namespace=namespace,
        revision=end.revision,
        image=end.image,
        commit_sha=target.commit_sha if target else None,
        started_at=end.started_at,
        finished_at=end.ended_at,
        outcome=outcome,
        failure_cause=_cause(end),
        peak_weight=peak,
        exposure_weight_seconds=exposure,
    )
    return await record_deployment(session, fact)


async def amend_run_cause(
    session: AsyncSession, *, key: tuple[str, str, str], started_at: datetime, cause: str
) -> None:
    """A late `Rolling back` event explained why the last run failed."""
    await amend_failure_cause(
        session, source=SOURCE, external_key=run_key(key, started_at), cause=cause
    )
