"""Turn the pure run decisions (`portal.domain.runs`) into rows of `canary_runs` and
step entries of `canary_timeline`, and rebuild a canary's run state after a restart."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.dora_windows import as_utc
from portal.domain.runs import (
    AmendRunEnd,
    ClosedRun,
    EndRun,
    OpenRun,
    Outcome,
    RecordStep,
    RunDecision,
    RunState,
    StartRun,
    UpdateRun,
)
from portal.models import CanaryRun
from portal.services.dora_flagger import RunTarget, amend_run_cause, record_run_deployment
from portal.services.timeline_rows import TimelineWrite, insert_entry

CanaryKey = tuple[str, str, str]


async def _latest(session: AsyncSession, key: CanaryKey, *, open_only: bool) -> CanaryRun | None:
    cluster, namespace, name = key
    statement = (
        select(CanaryRun)
        .where(CanaryRun.cluster == cluster)
        .where(CanaryRun.namespace == namespace)
        .where(CanaryRun.name == name)
    )
    if open_only:
        statement = statement.where(col(CanaryRun.ended_at).is_(None))
    statement = statement.order_by(col(CanaryRun.started_at).desc(), col(CanaryRun.id).desc())
    return (await session.exec(statement.limit(1))).first()


async def load_state(session: AsyncSession, *, key: CanaryKey) -> RunState:
    """What the bookkeeping knew before a restart: the open run, or the last closed one."""
    latest = await _latest(session, key, open_only=False)
    if latest is None:
        return RunState()
    started = as_utc(latest.started_at)  # SQLite hands back naive times; all are UTC
    if latest.ended_at is None:
        run = OpenRun(started_at=started, revision=latest.revision, image=latest.image)
        return RunState(revision=latest.revision, open_run=run)
    closed = ClosedRun(
        started_at=started,
        ended_at=as_utc(latest.ended_at),
        outcome=Outcome(latest.outcome or Outcome.SUPERSEDED),
        reason=latest.reason,
    )
    return RunState(revision=latest.revision, last_run=closed)


def _step_message(step: RecordStep) -> str:
    text = f"{step.phase}: weight {step.canary_weight}%"
    if step.iterations > 0:
        text += f", iteration {step.iterations}"
    return f"{text} ({step.note})" if step.note else text


async def _record_step(
    session: AsyncSession, key: CanaryKey, step: RecordStep, *, run_id: int | None
) -> None:
    message = _step_message(step)
    entry = TimelineWrite(
        at=step.at,
        category="step",
        event_type="Normal",
        message=message,
        source="status",
        dedupe_key=f"step:{':'.join(key)}:{step.at.isoformat()}:{message}",
    )
    await insert_entry(session, key=key, entry=entry, run_id=run_id)


async def apply_decisions(
    session: AsyncSession,
    *,
    key: CanaryKey,
    decisions: tuple[RunDecision, ...],
    target: RunTarget | None = None,
) -> int | None:
    """Write every decision in order; return the id of the run the observation belongs to.
    A run that ends becomes a DORA deployment of `target` in the same transaction."""
    run = await _latest(session, key, open_only=True)
    for decision in decisions:
        if isinstance(decision, StartRun):
            run = await _started(session, key, decision)
        elif isinstance(decision, UpdateRun) and run is not None:
            run.revision, run.image = decision.revision, decision.image
        elif isinstance(decision, RecordStep):
            await session.flush()
            await _record_step(session, key, decision, run_id=run.id if run else None)
        elif isinstance(decision, EndRun):
            run = await _end(session, key, run, decision)
            await session.flush()  # closed before a superseding run is inserted (one open run)
            await record_run_deployment(
                session, key=key, end=decision, run_id=run.id, target=target
            )
        elif isinstance(decision, AmendRunEnd):
            last = await _latest(session, key, open_only=False)
            if last is not None and last.ended_at is not None:
                last.reason = decision.reason
                cause = f"{decision.cause}: {decision.reason}"
                await amend_run_cause(session, key=key, started_at=last.started_at, cause=cause)
    await session.flush()
    return run.id if run is not None else None


async def _started(session: AsyncSession, key: CanaryKey, start: StartRun) -> CanaryRun:
    """The run row for `start`: another replica (or an earlier try) may have written it."""
    cluster, namespace, name = key
    existing = (
        await session.exec(
            select(CanaryRun)
            .where(CanaryRun.cluster == cluster)
            .where(CanaryRun.namespace == namespace)
            .where(CanaryRun.name == name)
            .where(CanaryRun.started_at == start.started_at)
        )
    ).first()
    if existing is not None:
        return existing
    run = CanaryRun(
        cluster=cluster,
        namespace=namespace,
        name=name,
        revision=start.revision,
        image=start.image,
        started_at=start.started_at,
    )
    session.add(run)
    return run


async def _end(
    session: AsyncSession, key: CanaryKey, run: CanaryRun | None, end: EndRun
) -> CanaryRun:
    if run is None:  # the portal joined after the run started and never saw it open
        cluster, namespace, name = key
        run = CanaryRun(
            cluster=cluster,
            namespace=namespace,
            name=name,
            revision=end.revision,
            image=end.image,
            started_at=end.started_at,
        )
        session.add(run)
    run.ended_at = end.ended_at
    run.outcome = str(end.outcome)
    run.reason = end.reason
    return run
