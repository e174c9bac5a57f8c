"""One release is one run, whatever order its observations arrive in (issue 10.14).

A release reaches the portal on three streams, each in its own order: the Canary's status (the
watch; times to the second), Flagger's Kubernetes Events (the watch; times to the second) and
Flagger's event webhook (milliseconds). Between the streams any interleaving is possible, and a
relist replays the events and the current status afterwards. Every interleaving is fed here,
each followed by a replay; each must give exactly one run, promoted, never a superseded twin.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest

from portal.domain.runs import EndRun, Observation, Outcome, RunState, StartRun, UpdateRun
from tests.unit.domain.run_fixtures import IDLE, NEW, at, feed, heard, seen

SCALING_UP = "New revision detected! Scaling up podinfo.test"
ADVANCE = "Advance podinfo.test canary weight 50"
PROMOTED = "Promotion completed! Scaling down podinfo.test"


def second(value: float) -> float:
    return value / 60


STATUS = (
    seen("Progressing", second(10)),
    seen("Progressing", second(11), weight=50),
    seen("Finalising", second(13)),
    seen("Succeeded", second(14)),
)


def watch_events(scaling_up_at: int) -> tuple[Observation, ...]:
    return (
        heard(SCALING_UP, second(scaling_up_at)),
        heard(ADVANCE, second(11)),
        heard(PROMOTED, second(14)),
    )


WEBHOOK = (
    heard(SCALING_UP, second(10.995)),
    heard(ADVANCE, second(11.3)),
    heard(PROMOTED, second(14.2)),
)


def interleavings(*streams: Sequence[Observation]) -> Iterator[tuple[Observation, ...]]:
    """Every merge of the streams that keeps each stream's own order."""
    live = [stream for stream in streams if stream]
    if not live:
        yield ()
        return
    for index, stream in enumerate(live):
        rest = [*live[:index], stream[1:], *live[index + 1 :]]
        for tail in interleavings(*rest):
            yield (stream[0], *tail)


def run_count(decisions: Sequence[object]) -> tuple[int, list[EndRun]]:
    starts = sum(1 for decision in decisions if isinstance(decision, StartRun))
    return starts, [decision for decision in decisions if isinstance(decision, EndRun)]


@pytest.mark.parametrize(
    "scaling_up_at",
    [10, 11],
    ids=["event-in-the-status-second", "event-stamped-a-second-after-the-status"],
)
def test_every_interleaving_and_replay_of_one_release_is_one_promoted_run(
    scaling_up_at: int,
) -> None:
    events = watch_events(scaling_up_at)
    seen_orders = 0
    for order in interleavings(STATUS, events, WEBHOOK):
        state, decisions = feed(IDLE, *order)
        replayed, again = feed(state, *events, STATUS[-1])
        starts, ends = run_count(decisions)
        assert (starts, [end.outcome for end in ends]) == (1, [Outcome.PROMOTED]), order
        assert again == [], order
        assert replayed.open_run is None
        start = next(d for d in decisions if isinstance(d, StartRun))
        latest_start = at(second(max(scaling_up_at, 10.995)))
        assert at(second(10)) <= start.started_at <= latest_start, order
        revisions = {start.revision} | {d.revision for d in decisions if isinstance(d, UpdateRun)}
        if order.index(STATUS[0]) < min(order.index(events[-1]), order.index(WEBHOOK[-1])):
            assert ends[0].revision == NEW, order
        seen_orders += 1
        assert revisions <= {None, NEW}
    assert seen_orders == 4200  # 10! / (4! 3! 3!)


def test_a_second_release_after_the_first_is_its_own_run() -> None:
    """The guard against twins must not merge two real releases: the status names the new one."""
    newer = "8d4f6b7c9x"
    first: list[Observation] = [*STATUS, *watch_events(10)]
    later = [
        heard(SCALING_UP, second(40)),
        seen("Progressing", second(40), revision=newer),
        seen("Succeeded", second(44), revision=newer),
    ]
    state, decisions = feed(RunState(), *first, *later)
    starts, ends = run_count(decisions)
    assert (starts, [end.outcome for end in ends]) == (2, [Outcome.PROMOTED, Outcome.PROMOTED])
    assert [end.revision for end in ends] == [NEW, newer]
    assert ends[1].started_at == at(second(40))
    assert state.last_run is not None
    assert state.last_run.ended_at == at(second(44))
    assert ends[1].ended_at - ends[1].started_at == timedelta(seconds=4)
