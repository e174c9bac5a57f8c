"""State changes write their outbox rows in their own transaction: a run that ends rolled back
(timeline recorder) and a canary that begins and stops needing attention (watcher)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import col, select

from portal.domain.notification_rules import Transition
from portal.kube.view import ClusterView
from portal.models.notifications import NotificationOutbox, NotificationState
from portal.services.notification_watching import NotificationWatcher
from portal.services.timeline_recording import CanaryWork, TimelineRecorder
from tests.integration.notifications.conftest import Wiring
from tests.unit.domain.objects import canary, flagger_status
from tests.unit.domain.run_fixtures import RUNNING, at, seen, stamp

KEY = ("prod", "test", "podinfo")


async def rows(wiring: Wiring) -> list[NotificationOutbox]:
    async with wiring.sessions() as session:
        statement = select(NotificationOutbox).order_by(col(NotificationOutbox.id))
        return list(await session.exec(statement))


async def test_a_run_rolled_back_queues_failed_with_its_cause(wiring: Wiring) -> None:
    await wiring.add_rule("slack", [Transition.FAILED])
    view = ClusterView(clusters=["prod"])
    watcher = NotificationWatcher(sessionmaker=wiring.sessions, view=view)
    recorder = TimelineRecorder(
        sessionmaker=wiring.sessions,
        view=view,
        on_decided=watcher.runs_decided,
        clock=lambda: at(6),
    )
    recorder.states[KEY] = RUNNING

    await recorder.process(CanaryWork(KEY, seen("Failed", 5)))

    [row] = await rows(wiring)
    payload = json.loads(row.payload)
    assert (row.transition, row.status, row.group_key) == (
        "failed",
        "pending",
        "canary:prod/test/podinfo@7c9d5f8b6d",
    )
    assert payload["subject_text"] == "test/podinfo on prod"
    assert payload["cause"] == "rolled back (cause: unknown)"  # the status alone names none


async def test_attention_began_and_ended_are_queued_once_each(wiring: Wiring) -> None:
    await wiring.add_rule("slack", [Transition.ATTENTION_BEGAN, Transition.ATTENTION_ENDED])
    now = at(10)
    view = ClusterView(clusters=["prod"])
    watcher = NotificationWatcher(sessionmaker=wiring.sessions, view=view, clock=lambda: now)
    view.subscribe(watcher.on_change)

    def show(phase: str, minute: float) -> None:
        status = flagger_status(phase, last_transition_time=stamp(minute))
        obj = canary(status=status)
        obj["metadata"]["labels"] = {"team": "payments"}
        view.apply(cluster="prod", kind="canaries", change_type="MODIFIED", obj=obj)

    show("Failed", 9)
    await watcher.check(full=False)
    await watcher.check(full=True)  # no change: nothing more
    now = at(12)
    show("Succeeded", 11)
    await watcher.check(full=False)

    assert [row.transition for row in await rows(wiring)] == ["attention_began", "attention_ended"]
    began = json.loads((await rows(wiring))[0].payload)
    assert began["cause"] == "failed: rolled back to primary"
    async with wiring.sessions() as session:
        [state] = list(await session.exec(select(NotificationState)))
    assert (state.subject, state.active) == ("canary:prod/test/podinfo", "")


async def test_a_restarted_watcher_remembers_what_it_told(wiring: Wiring) -> None:
    await wiring.add_rule("slack", [Transition.ATTENTION_BEGAN])
    view = ClusterView(clusters=["prod"])
    status = flagger_status("Failed", last_transition_time=stamp(9))
    view.apply(cluster="prod", kind="canaries", change_type="ADDED", obj=canary(status=status))
    for _ in range(2):
        watcher = NotificationWatcher(
            sessionmaker=wiring.sessions, view=view, clock=lambda: at(10) + timedelta(seconds=1)
        )
        await watcher.check(full=True)
    assert [row.transition for row in await rows(wiring)] == ["attention_began"]
