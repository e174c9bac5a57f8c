"""Run decisions from CanaryViews: start, steps, supersede and every end a status can show."""

from __future__ import annotations

from portal.domain.flagger_events import RollbackCause
from portal.domain.runs import (
    AmendRunEnd,
    ClosedRun,
    EndRun,
    OpenRun,
    Outcome,
    RecordStep,
    RunState,
    StartRun,
    UpdateRun,
)
from tests.unit.domain.objects import blue_green_analysis
from tests.unit.domain.run_fixtures import IDLE, IMAGE, NEW, OLD, RUNNING, at, feed, heard, seen


def test_new_revision_progressing_after_success_starts_a_run() -> None:
    state, decisions = feed(IDLE, seen("Progressing", 0, image=IMAGE))
    assert decisions == [
        StartRun(at(0), NEW, IMAGE, "new revision", joined_late=False),
        RecordStep(at(0), "Progressing", 0, 0, None),
    ]
    assert state.open_run == OpenRun(started_at=at(0), revision=NEW, image=IMAGE)
    assert (state.phase, state.revision) == ("Progressing", NEW)


def test_weight_changes_are_steps_and_unchanged_writes_are_not() -> None:
    state, decisions = feed(
        RUNNING,
        seen("Progressing", 1, weight=20),
        seen("Progressing", 2, weight=20),
        seen("Progressing", 3, weight=30),
    )
    assert decisions == [
        RecordStep(at(1), "Progressing", 20, 0, None),
        RecordStep(at(3), "Progressing", 30, 0, None),
    ]
    assert state.canary_weight == 30


def test_promotion_path_records_phases_and_ends_promoted() -> None:
    state, decisions = feed(
        RUNNING,
        seen("WaitingPromotion", 5, iterations=-1),
        seen("Promoting", 8, weight=50),
        seen("Finalising", 9),
        seen("Succeeded", 10),
    )
    assert decisions == [
        RecordStep(at(5), "WaitingPromotion", 50, 0, None),
        RecordStep(at(8), "Promoting", 50, 0, None),
        RecordStep(at(9), "Finalising", 0, 0, None),
        RecordStep(at(10), "Succeeded", 0, 0, None),
        EndRun(at(0), at(10), 600.0, Outcome.PROMOTED, None, None, NEW, IMAGE),
    ]
    assert state.open_run is None
    assert state.last_run == ClosedRun(at(0), at(10), Outcome.PROMOTED, None)


def test_skip_analysis_promotion_says_so() -> None:
    _, decisions = feed(RUNNING, seen("Succeeded", 2, skipAnalysis=True))
    assert decisions[-1] == EndRun(
        at(0), at(2), 120.0, Outcome.PROMOTED, "analysis skipped", None, NEW, IMAGE
    )


def test_failed_status_ends_rolled_back_and_a_late_event_gives_the_reason() -> None:
    state, decisions = feed(
        RUNNING,
        seen("Failed", 4),
        heard("Rolling back podinfo.test failed checks threshold reached 5", 4),
        heard("Canary failed! Scaling down podinfo.test", 4),
    )
    assert decisions == [
        RecordStep(at(4), "Failed", 0, 0, None),
        EndRun(at(0), at(4), 240.0, Outcome.ROLLED_BACK, None, RollbackCause.UNKNOWN, NEW, IMAGE),
        AmendRunEnd("failed checks threshold reached 5", RollbackCause.FAILED_CHECKS),
    ]
    assert state.last_run is not None
    assert state.last_run.reason == "failed checks threshold reached 5"


def test_failed_promotion_with_weight_100_ends_with_its_reason() -> None:
    _, decisions = feed(RUNNING, seen("Failed", 12, weight=100))
    assert decisions[-1] == EndRun(
        at(0),
        at(12),
        720.0,
        Outcome.ROLLED_BACK,
        "promotion failed: primary not ready",
        RollbackCause.PROMOTION_FAILED,
        NEW,
        IMAGE,
    )


def test_waiting_for_a_new_revision_starts_a_run_named_once_it_progresses() -> None:
    state, decisions = feed(
        IDLE,
        seen("Waiting", 0, revision=OLD),
        seen("Progressing", 7, revision=NEW, image=IMAGE),
    )
    assert decisions == [
        StartRun(at(0), None, None, "waiting for rollout approval", joined_late=False),
        RecordStep(at(0), "Waiting", 0, 0, None),
        UpdateRun(NEW, IMAGE),
        RecordStep(at(7), "Progressing", 0, 0, None),
    ]
    assert state.open_run == OpenRun(at(0), NEW, IMAGE)


def test_new_revision_while_progressing_supersedes_the_open_run() -> None:
    newer = "8d4f6b7c9x"
    state, decisions = feed(RUNNING, seen("Progressing", 3, revision=newer, image="podinfo:7"))
    assert decisions == [
        EndRun(at(0), at(3), 180.0, Outcome.SUPERSEDED, f"new revision {newer}", None, NEW, IMAGE),
        StartRun(at(3), newer, "podinfo:7", "new revision", joined_late=False),
        RecordStep(at(3), "Progressing", 0, 0, None),
    ]
    assert state.open_run == OpenRun(at(3), newer, "podinfo:7")


def test_first_sight_of_a_run_under_way_joins_late() -> None:
    state, decisions = feed(RunState(), seen("Progressing", 3, weight=30))
    assert decisions == [
        StartRun(at(3), NEW, None, "observed in Progressing", joined_late=True),
        RecordStep(at(3), "Progressing", 30, 0, None),
    ]
    assert state.open_run is not None


def test_first_sight_of_an_idle_canary_starts_nothing() -> None:
    state, decisions = feed(RunState(), seen("Succeeded", 3))
    assert decisions == []
    assert (state.phase, state.revision, state.open_run) == ("Succeeded", NEW, None)


def test_image_learned_later_fills_in_the_open_run() -> None:
    running = RunState(phase="Progressing", revision=NEW, open_run=OpenRun(at(0), NEW, image=None))
    _, decisions = feed(running, seen("Progressing", 1, image=IMAGE))
    assert decisions == [UpdateRun(NEW, IMAGE)]


def test_blue_green_iterations_are_steps() -> None:
    running = RunState(phase="Progressing", revision=NEW, open_run=OpenRun(at(0), NEW, None))
    observations = [
        seen("Progressing", minute, iterations=minute, analysis=blue_green_analysis())
        for minute in (1, 2)
    ]
    _, decisions = feed(running, *observations)
    assert decisions == [
        RecordStep(at(1), "Progressing", 0, 1, None),
        RecordStep(at(2), "Progressing", 0, 2, None),
    ]


def test_stale_view_after_an_event_closed_the_run_starts_nothing() -> None:
    state, decisions = feed(
        RUNNING,
        heard("Promotion completed! Scaling down podinfo.test", 10),
        seen("Finalising", 9),
        seen("Succeeded", 10),
    )
    assert decisions == [
        EndRun(at(0), at(10), 600.0, Outcome.PROMOTED, None, None, NEW, IMAGE),
    ]
    assert (state.phase, state.open_run) == ("Succeeded", None)


def test_view_older_than_the_open_run_changes_no_run() -> None:
    _, decisions = feed(
        RunState(phase="Succeeded", open_run=OpenRun(at(5), None, None)), seen("Succeeded", 4)
    )
    assert decisions == []


def test_suspended_run_records_nothing_new() -> None:
    _, decisions = feed(RUNNING, seen("Progressing", 1, weight=10, suspend=True))
    assert decisions == []
