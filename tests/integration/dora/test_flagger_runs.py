"""Finished Flagger runs become DORA deployments, once, in the transaction that ends them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.runs import Observation, RunState, decide_run
from portal.models import CanaryRun, Deployment
from portal.services.dora_flagger import RunTarget
from portal.services.run_writing import apply_decisions, load_state
from tests.unit.domain.run_fixtures import IDLE, NEW, at, heard, seen

KEY = ("prod", "test", "podinfo")
TARGET = RunTarget(service="podinfo", commit_sha="abc123")


async def observe(
    session: AsyncSession, *observations: Observation, state: RunState = IDLE
) -> RunState:
    """What the timeline recorder does per observation (its state kept in memory): decide,
    write, commit."""
    for observation in observations:
        update = decide_run(state=state, observation=observation)
        await apply_decisions(session, key=KEY, decisions=update.decisions, target=TARGET)
        await session.commit()
        state = update.state
    return state


async def deployments(session: AsyncSession) -> list[Deployment]:
    return list((await session.exec(select(Deployment).order_by(col(Deployment.id)))).all())


def seconds(value: float) -> float:
    return value / 60


PROMOTED_RELEASE = (
    seen("Progressing", seconds(10)),
    heard("New revision detected! Scaling up podinfo.test", seconds(10)),
    heard("New revision detected! Scaling up podinfo.test", seconds(10.4)),  # the webhook
    seen("Progressing", seconds(20), weight=50),
    heard("Advance podinfo.test canary weight 50", seconds(20)),
    heard("Promotion completed! Scaling down podinfo.test", seconds(40)),
    heard("Promotion completed! Scaling down podinfo.test", seconds(40.3)),  # the webhook
    seen("Succeeded", seconds(41)),
)


async def test_a_promoted_run_seen_by_watch_and_webhook_is_one_successful_deployment(
    session: AsyncSession,
) -> None:
    state = await observe(session, *PROMOTED_RELEASE)
    await observe(session, *PROMOTED_RELEASE, state=state)  # a relist replays it all
    runs = (await session.exec(select(CanaryRun))).all()
    found = await deployments(session)
    assert [(run.outcome, run.revision) for run in runs] == [("promoted", NEW)]
    assert [(d.source, d.service, d.cluster, d.namespace, d.outcome) for d in found] == [
        ("flagger", "podinfo", "prod", "test", "success")
    ]
    deployment = found[0]
    assert (deployment.commit_sha, deployment.revision, deployment.failure_cause) == (
        "abc123",
        NEW,
        None,
    )
    assert deployment.finished_epoch == runs[0].ended_at.replace(tzinfo=at(0).tzinfo).timestamp()
    assert deployment.external_key == f"prod/test/podinfo@{at(0) + timedelta(seconds=10)}".replace(
        " ", "T"
    )


async def test_a_rolled_back_run_is_a_failed_deployment_with_its_cause_and_peak_weight(
    session: AsyncSession,
) -> None:
    await observe(
        session,
        seen("Progressing", 0),
        seen("Progressing", 1, weight=10),
        seen("Progressing", 2, weight=20),
        heard("Rolling back podinfo.test failed checks threshold reached 5", 3),
        heard("Canary failed! Scaling down podinfo.test", 3),
    )
    (deployment,) = await deployments(session)
    assert deployment.outcome == "failed"
    assert deployment.failure_cause is not None
    assert deployment.failure_cause.startswith("failed-checks")
    assert deployment.peak_weight == 20
    # 10% for a minute, 20% for a minute until the end at minute 3: 6 + 12 seconds of traffic
    assert deployment.exposure_weight_seconds == 18.0


async def test_a_replay_after_a_restart_is_still_one_deployment(session: AsyncSession) -> None:
    await observe(session, *PROMOTED_RELEASE)
    restarted = await load_state(session, key=KEY)  # what the recorder reads after a restart
    await observe(session, *PROMOTED_RELEASE, state=restarted)
    assert [(d.outcome, d.revision) for d in await deployments(session)] == [("success", NEW)]
