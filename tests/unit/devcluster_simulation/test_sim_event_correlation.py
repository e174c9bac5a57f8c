"""devcluster's event correlator follows client-go's (tools/record/events_cache.go), which
Flagger's default recorder runs (controller/controller.go at v1.44.0): aggregation by source,
object, type and reason; counting of identical events; a per-object spam filter."""

from __future__ import annotations

from devcluster.simulation.event_correlation import (
    COMBINED_PREFIX,
    Correlated,
    EventCorrelator,
    EventFacts,
)


def flagger_event(message: str, *, name: str = "web", type_: str = "Normal") -> EventFacts:
    return EventFacts(
        component="flagger",
        kind="Canary",
        namespace="shop",
        name=name,
        uid=f"uid-{name}",
        api_version="flagger.app/v1beta1",
        type=type_,
        reason="Synced",
        message=message,
    )


class Recorder:
    """Drives the correlator like recordToSink: names created Events, keeps what was sent."""

    def __init__(self) -> None:
        self.correlator = EventCorrelator()
        self.created = 0

    def send(self, event: EventFacts, *, at: float) -> Correlated:
        decision, key = self.correlator.correlate(event, now=at)
        if not decision.skip and decision.existing is None:
            self.created += 1
            self.correlator.remember(key, name=f"event-{self.created}")
        return decision


def test_an_identical_event_bumps_the_count_of_the_event_it_made() -> None:
    recorder = Recorder()
    first = recorder.send(flagger_event("skipping canary run as object is suspended"), at=0)
    again = recorder.send(flagger_event("skipping canary run as object is suspended"), at=10)
    assert (first.existing, first.count) == (None, 1)
    assert (again.existing, again.count, again.message) == (
        "event-1",
        2,
        "skipping canary run as object is suspended",
    )


def test_the_tenth_distinct_message_of_a_reason_is_combined_into_one_event() -> None:
    recorder = Recorder()
    sent = [
        recorder.send(flagger_event(f"Advance web.shop canary weight {w}"), at=w)
        for w in range(1, 10)
    ]
    assert [d.message for d in sent] == [
        f"Advance web.shop canary weight {w}" for w in range(1, 10)
    ]
    tenth = recorder.send(flagger_event("Routing all traffic to primary"), at=10)
    eleventh = recorder.send(flagger_event("Promotion completed! Scaling down web.shop"), at=11)
    assert (tenth.message, tenth.existing, tenth.count) == (
        COMBINED_PREFIX + "Routing all traffic to primary",
        None,
        1,
    )
    assert (eleventh.message, eleventh.existing, eleventh.count) == (
        COMBINED_PREFIX + "Promotion completed! Scaling down web.shop",
        "event-10",
        2,
    )
    assert recorder.created == 10


def test_a_message_still_in_the_group_comes_through_as_it_is() -> None:
    recorder = Recorder()
    for w in range(1, 11):
        recorder.send(flagger_event(f"Advance web.shop canary weight {w}"), at=w)
    # the group forgot one message (the oldest here; Go pops any): "weight 10" is still in it,
    # so its repeat is not combined and, never recorded under its own key, is a new Event
    repeat = recorder.send(flagger_event("Advance web.shop canary weight 10"), at=12)
    assert (repeat.message, repeat.existing, repeat.count) == (
        "Advance web.shop canary weight 10",
        None,
        1,
    )
    forgotten = recorder.send(flagger_event("Advance web.shop canary weight 1"), at=12.5)
    assert forgotten.message == COMBINED_PREFIX + "Advance web.shop canary weight 1"
    known = recorder.send(flagger_event("Advance web.shop canary weight 5"), at=13)
    assert (known.message, known.existing, known.count) == (
        "Advance web.shop canary weight 5",
        "event-5",
        2,
    )


def test_type_and_object_make_separate_groups() -> None:
    recorder = Recorder()
    for w in range(1, 10):
        recorder.send(flagger_event(f"Advance web.shop canary weight {w}"), at=w)
    warning = recorder.send(flagger_event("Halt web.shop advancement", type_="Warning"), at=10)
    other = recorder.send(flagger_event("Advance api.shop canary weight 1", name="api"), at=10)
    assert (warning.message, other.message) == (
        "Halt web.shop advancement",
        "Advance api.shop canary weight 1",
    )


def test_a_group_silent_for_over_600_seconds_starts_afresh_but_each_event_renews_it() -> None:
    recorder = Recorder()
    at = 0.0
    for w in range(1, 10):
        at += 500  # never 600 s apart: one chain, far longer than 10 minutes
        recorder.send(flagger_event(f"Advance web.shop canary weight {w}"), at=at)
    at += 500
    assert recorder.send(flagger_event("Routing all traffic to primary"), at=at).message == (
        COMBINED_PREFIX + "Routing all traffic to primary"
    )
    at += 601
    fresh = recorder.send(flagger_event("Promotion completed! Scaling down web.shop"), at=at)
    assert fresh.message == "Promotion completed! Scaling down web.shop"


def test_the_spam_filter_allows_a_burst_of_25_per_object_then_one_per_300_seconds() -> None:
    recorder = Recorder()
    hook = "Rollback hook portal-rollback not signaling a rollback"
    decisions = [recorder.send(flagger_event(hook), at=i * 0.1) for i in range(25)]
    assert [d.skip for d in decisions] == [False] * 25
    assert decisions[-1].count == 25
    # any message, any reason of the same object is throttled: the key is source + object
    dropped = recorder.send(flagger_event("Advance web.shop canary weight 10"), at=3)
    assert dropped.skip is True
    assert (
        recorder.send(flagger_event("Advance api.shop canary weight 10", name="api"), at=3).skip
        is False
    )
    # the bucket refills continuously from its first use: one token at 300 s
    assert recorder.send(flagger_event(hook), at=299).skip is True
    after = recorder.send(flagger_event(hook), at=300.5)
    # the dropped repeat was counted all the same, as client-go counts before it filters
    assert (after.skip, after.existing, after.count) == (False, "event-1", 27)


def test_a_dropped_first_sighting_is_created_later_with_its_count() -> None:
    recorder = Recorder()
    for _ in range(25):
        recorder.send(flagger_event("Rollback hook portal-rollback not signaling a rollback"), at=0)
    failed = flagger_event("Canary failed! Scaling down web.shop", type_="Warning")
    assert recorder.send(failed, at=1).skip is True
    later = recorder.send(failed, at=301)
    assert (later.skip, later.existing, later.count) == (False, None, 2)
