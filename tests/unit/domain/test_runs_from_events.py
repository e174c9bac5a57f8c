"""Run decisions from Flagger events: starts, steps, ends, supersedes and replay safety."""

from __future__ import annotations

import pytest

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
from tests.unit.domain.run_fixtures import IDLE, IMAGE, NEW, RUNNING, at, feed, heard, seen


def test_new_revision_event_starts_a_run_that_the_status_names() -> None:
    state, decisions = feed(
        IDLE,
        heard("New revision detected! Scaling up podinfo.test", 0, image=IMAGE),
        seen("Progressing", 0),
    )
    assert decisions == [
        StartRun(at(0), None, IMAGE, "new revision", joined_late=False),
        RecordStep(at(0), "Progressing", 0, 0, None),
        UpdateRun(NEW, IMAGE),
    ]
    assert state.open_run == OpenRun(at(0), NEW, IMAGE)


def test_status_first_then_its_new_revision_event_starts_one_run() -> None:
    _, decisions = feed(
        IDLE,
        seen("Progressing", 0),
        heard("New revision detected! Scaling up podinfo.test", 0),
    )
    assert decisions == [
        StartRun(at(0), NEW, None, "new revision", joined_late=False),
        RecordStep(at(0), "Progressing", 0, 0, None),
    ]


def test_approved_waiting_run_continues_on_scaling_up() -> None:
    state, decisions = feed(
        IDLE,
        heard("Halt podinfo.test advancement waiting for approval portal-confirm-rollout", 0),
        heard("Confirm-rollout check portal-confirm-rollout passed", 6),
        heard("New revision detected! Scaling up podinfo.test", 6),
    )
    assert decisions == [
        StartRun(at(0), None, None, "waiting for rollout approval", joined_late=False),
        RecordStep(at(0), "Waiting", 0, 0, None),
    ]
    assert state.open_run == OpenRun(at(0), None, None)


def test_halt_for_rollout_approval_during_an_open_run_starts_nothing() -> None:
    _, decisions = feed(
        RUNNING,
        heard("Halt podinfo.test advancement waiting for approval portal-confirm-rollout", 2),
    )
    assert decisions == []


def test_restarting_analysis_alone_leaves_the_open_run_to_the_status() -> None:
    """Events name no revision: the status Flagger writes next says whether it changed."""
    state, decisions = feed(
        RUNNING, heard("New revision detected! Restarting analysis for podinfo.test", 4)
    )
    assert decisions == []
    assert state.open_run == RUNNING.open_run


def test_restarting_analysis_already_seen_in_status_is_not_repeated() -> None:
    newer = "8d4f6b7c9x"
    _, decisions = feed(
        RUNNING,
        seen("Progressing", 4, revision=newer),
        heard("New revision detected! Restarting analysis for podinfo.test", 4),
    )
    assert [type(d).__name__ for d in decisions] == ["EndRun", "StartRun", "RecordStep"]


def test_scaling_up_with_a_named_open_run_starts_nothing_until_the_status_names_a_revision() -> (
    None
):
    newer = "8d4f6b7c9x"
    _, heard_only = feed(RUNNING, heard("New revision detected! Scaling up podinfo.test", 20))
    assert heard_only == []
    _, decisions = feed(
        RUNNING,
        heard("New revision detected! Scaling up podinfo.test", 20),
        seen("Progressing", 20, revision=newer),
    )
    assert decisions[0] == EndRun(
        at(0), at(20), 1200.0, Outcome.SUPERSEDED, f"new revision {newer}", None, NEW, IMAGE
    )
    assert decisions[1] == StartRun(at(20), newer, None, "new revision", joined_late=False)


def test_advance_events_are_steps_once() -> None:
    state, decisions = feed(
        RUNNING,
        heard("Advance podinfo.test canary weight 20", 1),
        seen("Progressing", 1, weight=20),
        heard("Advance podinfo.test canary weight 20", 1),
    )
    assert decisions == [
        RecordStep(at(1), "Progressing", 20, 0, "Advance podinfo.test canary weight 20"),
    ]
    assert state.canary_weight == 20


def test_status_step_first_then_its_advance_event_is_one_step() -> None:
    _, decisions = feed(
        RUNNING,
        seen("Progressing", 1, weight=20),
        heard("Advance podinfo.test canary weight 20", 1),
    )
    assert decisions == [RecordStep(at(1), "Progressing", 20, 0, None)]


def test_advance_iteration_is_a_step() -> None:
    running = RunState(phase="Progressing", revision=NEW, open_run=OpenRun(at(0), NEW, None))
    _, decisions = feed(running, heard("Advance podinfo.test canary iteration 3/10", 3))
    assert decisions == [
        RecordStep(at(3), "Progressing", 0, 3, "Advance podinfo.test canary iteration 3/10")
    ]


def test_promotion_completed_ends_promoted() -> None:
    state, decisions = feed(RUNNING, heard("Promotion completed! Scaling down podinfo.test", 9))
    assert decisions == [EndRun(at(0), at(9), 540.0, Outcome.PROMOTED, None, None, NEW, IMAGE)]
    assert (state.phase, state.open_run) == ("Succeeded", None)


def test_promotion_with_analysis_skipped_says_so() -> None:
    _, decisions = feed(
        RUNNING, heard("Promotion completed! Canary analysis was skipped for podinfo.test", 1)
    )
    assert decisions == [
        EndRun(at(0), at(1), 60.0, Outcome.PROMOTED, "analysis skipped", None, NEW, IMAGE)
    ]


@pytest.mark.parametrize(
    ("message", "reason", "cause"),
    [
        (
            "Rolling back podinfo.test manual webhook invoked",
            "manual webhook invoked",
            RollbackCause.MANUAL_WEBHOOK,
        ),
        (
            "Rolling back podinfo.test failed checks threshold reached 5",
            "failed checks threshold reached 5",
            RollbackCause.FAILED_CHECKS,
        ),
        (
            "Rolling back podinfo.test progress deadline exceeded canary deployment "
            "podinfo.test not ready",
            "progress deadline exceeded canary deployment podinfo.test not ready",
            RollbackCause.PROGRESS_DEADLINE,
        ),
    ],
)
def test_rolling_back_ends_the_run_with_its_reason(
    message: str, reason: str, cause: RollbackCause
) -> None:
    state, decisions = feed(
        RUNNING,
        heard(message, 5),
        heard("Canary failed! Scaling down podinfo.test", 5),
        seen("Failed", 5),
    )
    assert decisions == [
        EndRun(at(0), at(5), 300.0, Outcome.ROLLED_BACK, reason, cause, NEW, IMAGE)
    ]
    assert state.last_run == ClosedRun(at(0), at(5), Outcome.ROLLED_BACK, reason)
    assert state.phase == "Failed"


def test_canary_failed_alone_ends_rolled_back_without_reason() -> None:
    _, decisions = feed(RUNNING, heard("Canary failed! Scaling down podinfo.test", 5))
    assert decisions == [
        EndRun(at(0), at(5), 300.0, Outcome.ROLLED_BACK, None, RollbackCause.UNKNOWN, NEW, IMAGE)
    ]


DEADLINE = (
    'canary deployment podinfo.test not ready: deployment "podinfo" exceeded its progress deadline'
)


def test_v1_44_progress_deadline_sequence_ends_the_run_with_the_deadline_cause() -> None:
    """Flagger v1.44 records the readiness error, then `Canary failed!` (issue 10 point 5)."""
    state, decisions = feed(
        RUNNING,
        heard(DEADLINE, 5),
        heard("Canary failed! Scaling down podinfo.test", 5),
        seen("Failed", 5),
    )
    assert decisions == [
        EndRun(
            at(0),
            at(5),
            300.0,
            Outcome.ROLLED_BACK,
            DEADLINE,
            RollbackCause.PROGRESS_DEADLINE,
            NEW,
            IMAGE,
        )
    ]
    assert state.last_run == ClosedRun(at(0), at(5), Outcome.ROLLED_BACK, DEADLINE)


def test_deadline_error_heard_after_canary_failed_still_names_the_cause() -> None:
    _, decisions = feed(
        RUNNING,
        heard("Canary failed! Scaling down podinfo.test", 5),
        heard(DEADLINE, 5),
    )
    assert decisions[-1] == AmendRunEnd(reason=DEADLINE, cause=RollbackCause.PROGRESS_DEADLINE)


def test_replayed_events_of_an_ended_run_change_nothing() -> None:
    ended = RunState(
        phase="Succeeded",
        revision=NEW,
        last_run=ClosedRun(at(0), at(10), Outcome.PROMOTED, None),
    )
    _, decisions = feed(
        ended,
        heard("New revision detected! Scaling up podinfo.test", 0),
        heard("Advance podinfo.test canary weight 10", 1),
        heard("Rolling back podinfo.test manual webhook invoked", 5),
        heard("Promotion completed! Scaling down podinfo.test", 10),
    )
    assert decisions == []


def test_events_older_than_the_open_run_are_not_its_steps() -> None:
    running = RunState(phase="Progressing", revision=NEW, open_run=OpenRun(at(5), NEW, None))
    _, decisions = feed(
        running,
        heard("Advance podinfo.test canary weight 40", 4),
        heard("Canary failed! Scaling down podinfo.test", 4),
    )
    assert decisions == []


def test_late_rollback_reason_needs_a_rolled_back_run_without_one() -> None:
    promoted = RunState(last_run=ClosedRun(at(0), at(5), Outcome.PROMOTED, None))
    explained = RunState(last_run=ClosedRun(at(0), at(5), Outcome.ROLLED_BACK, "manual"))
    older = RunState(last_run=ClosedRun(at(3), at(5), Outcome.ROLLED_BACK, None))
    message = "Rolling back podinfo.test manual webhook invoked"
    for state in (promoted, explained, older):
        assert feed(state, heard(message, 2))[1] == []


@pytest.mark.parametrize(
    "message",
    [
        "Starting canary analysis for podinfo.test",
        "Halt podinfo.test advancement success rate 95.50% < 99%",
        "Confirm-promotion check portal-confirm-promotion passed",
        "Copying podinfo.test template spec to podinfo-primary.test",
        "Routing all traffic to primary",
        "skipping canary run as object is suspended",
        "Rollback check portal-rollback passed",
        "something else entirely",
    ],
)
def test_other_events_make_no_run_decision(message: str) -> None:
    state, decisions = feed(RUNNING, heard(message, 3))
    assert (state, decisions) == (RUNNING, [])


def test_a_whole_run_from_interleaved_status_and_events() -> None:
    state, decisions = feed(
        IDLE,
        heard("New revision detected! Scaling up podinfo.test", 0, image=IMAGE),
        seen("Progressing", 0),
        heard("Starting canary analysis for podinfo.test", 1),
        seen("Progressing", 2, weight=10),
        heard("Advance podinfo.test canary weight 10", 2),
        heard("Halt podinfo.test advancement success rate 91.20% < 99%", 3),
        seen("Progressing", 3, weight=10),
        heard("Advance podinfo.test canary weight 20", 4),
        seen("Progressing", 4, weight=20),
        heard("Rolling back podinfo.test manual webhook invoked", 5),
        heard("Canary failed! Scaling down podinfo.test", 5),
        seen("Failed", 5),
    )
    assert decisions == [
        StartRun(at(0), None, IMAGE, "new revision", joined_late=False),
        RecordStep(at(0), "Progressing", 0, 0, None),
        UpdateRun(NEW, IMAGE),
        RecordStep(at(2), "Progressing", 10, 0, None),
        RecordStep(at(4), "Progressing", 20, 0, "Advance podinfo.test canary weight 20"),
        EndRun(
            at(0),
            at(5),
            300.0,
            Outcome.ROLLED_BACK,
            "manual webhook invoked",
            RollbackCause.MANUAL_WEBHOOK,
            NEW,
            IMAGE,
        ),
    ]
    assert (state.phase, state.open_run, state.revision) == ("Failed", None, NEW)


def test_a_webhook_event_a_fraction_of_a_second_after_the_status_start_is_the_same_run() -> None:
    """The status dates the start to the second; the event webhook to the millisecond."""
    _, decisions = feed(
        IDLE,
        seen("Progressing", 0),
        heard("New revision detected! Scaling up podinfo.test", 0.265 / 60),
    )
    assert [type(d) for d in decisions] == [StartRun, RecordStep]


def test_a_new_revision_event_a_second_after_the_status_start_is_the_same_run() -> None:
    """CI saw twins: the simulator wrote the status at hh:mm:10.99 and its event at 11.01."""
    _, decisions = feed(RUNNING, heard("New revision detected! Scaling up podinfo.test", 1 / 60))
    assert decisions == []
