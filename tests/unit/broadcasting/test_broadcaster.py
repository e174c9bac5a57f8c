"""The Broadcaster on a clock the test moves: coalescing, fan-out, heartbeats, drops, shutdown."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from portal.services.broadcasting import Broadcaster, BroadcasterClosed
from portal.services.sse_frames import encode_event
from portal.services.sse_selections import ChangeKey, Selection
from portal.services.sse_subscribers import CloseReason
from tests.unit.broadcasting.conftest import CAPACITY, HEARTBEAT, WINDOW
from tests.unit.broadcasting.support import ManualClock, Reader, StalledReader, reading

PODINFO = ChangeKey(cluster="eu", namespace="prod", kind="canary", name="podinfo")
FRONTEND = ChangeKey(cluster="eu", namespace="prod", kind="canary", name="frontend")
HELLO = b"retry: 1500\nevent: hello\ndata: subscribed\n\n"


class Renders:
    """Render callables that count their calls, as the watch loop would hand them over."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def row(
        self, label: str, pages: tuple[str, ...] = ("canaries",)
    ) -> Callable[[], Mapping[str, str]]:
        def render() -> Mapping[str, str]:
            self.calls.append(label)
            return {page: f'<tr id="{page}-row" hx-swap-oob="true">{label}</tr>' for page in pages}

        return render


def fragment(label: str, page: str = "canaries") -> bytes:
    return encode_event("fleet", f'<tr id="{page}-row" hx-swap-oob="true">{label}</tr>')


async def test_burst_of_three_publishes_sends_one_frame_with_the_last_render(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    async with reading(Reader(broadcaster.subscribe(Selection(page="canaries")))) as reader:
        await reader.wait_for_frames(1)
        mark = clock.mark()
        for label in ("v1", "v2", "v3"):
            broadcaster.publish(PODINFO, renders.row(label))
        assert await clock.parked(after=mark) == HEARTBEAT  # nothing left due
        assert await reader.wait_for_frames(2) == [HELLO, fragment("v3")]
    assert renders.calls == ["v3"]
    assert broadcaster.metrics.publishes == 3
    assert broadcaster.metrics.renders == 1
    assert broadcaster.metrics.frames_encoded == 1


async def test_publishes_within_the_window_after_a_flush_wait_for_its_end(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    async with reading(Reader(broadcaster.subscribe(Selection(page="canaries")))) as reader:
        broadcaster.publish(PODINFO, renders.row("v1"))
        await reader.wait_for_frames(2)
        clock.advance(0.1)
        mark = clock.mark()
        broadcaster.publish(PODINFO, renders.row("v2"))
        broadcaster.publish(PODINFO, renders.row("v3"))
        assert await clock.parked(after=mark) == pytest.approx(WINDOW)
        assert reader.frames == [HELLO, fragment("v1")]
        assert renders.calls == ["v1"]
        clock.advance(WINDOW - 0.1)
        assert await reader.wait_for_frames(3) == [HELLO, fragment("v1"), fragment("v3")]
    assert renders.calls == ["v1", "v3"]


async def test_a_change_after_a_quiet_window_goes_out_at_once(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    async with reading(Reader(broadcaster.subscribe(Selection(page="canaries")))) as reader:
        broadcaster.publish(PODINFO, renders.row("v1"))
        await reader.wait_for_frames(2)
        clock.advance(WINDOW)
        broadcaster.publish(PODINFO, renders.row("v2"))
        assert await reader.wait_for_frames(3) == [HELLO, fragment("v1"), fragment("v2")]


async def test_changes_to_different_objects_are_not_coalesced(broadcaster: Broadcaster) -> None:
    renders = Renders()
    async with reading(Reader(broadcaster.subscribe(Selection(page="canaries")))) as reader:
        broadcaster.publish(PODINFO, renders.row("podinfo"))
        broadcaster.publish(FRONTEND, renders.row("frontend"))
        frames = await reader.wait_for_frames(3)
    assert frames == [HELLO, fragment("podinfo"), fragment("frontend")]


async def test_each_topic_is_rendered_once_and_the_same_bytes_go_to_every_subscriber(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    lists = [Reader(broadcaster.subscribe(Selection(page="canaries"))) for _ in range(3)]
    overviews = [Reader(broadcaster.subscribe(Selection(page="overview"))) for _ in range(2)]
    hpas = Reader(broadcaster.subscribe(Selection(page="hpas")))
    async with (
        reading(lists[0]),
        reading(lists[1]),
        reading(lists[2]),
        reading(overviews[0]),
        reading(overviews[1]),
        reading(hpas),
    ):
        for reader in [*lists, *overviews, hpas]:
            await reader.wait_for_frames(1)
        broadcaster.publish(PODINFO, renders.row("v1", pages=("canaries", "overview")))
        for reader in [*lists, *overviews]:
            await reader.wait_for_frames(2)
        mark = clock.mark()
        clock.advance(HEARTBEAT)  # a later frame proves hpas saw nothing in between
        await clock.parked(after=mark)
        await hpas.wait_for_frames(2)
    assert renders.calls == ["v1"]
    assert broadcaster.metrics.frames_encoded == 2
    assert hpas.frames == [HELLO, b": ping\n\n"]
    shared = lists[0].chunks[1]
    assert shared == fragment("v1", "canaries")
    assert all(reader.chunks[1] is shared for reader in lists)
    assert all(reader.chunks[1] is overviews[0].chunks[1] for reader in overviews)
    assert overviews[0].chunks[1] == fragment("v1", "overview")


async def test_filters_deliver_only_matching_clusters_namespaces_and_objects(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    wanted = {
        "all": Selection(page="canaries"),
        "eu": Selection(page="canaries", cluster="eu"),
        "us": Selection(page="canaries", cluster="us"),
        "eu/dev": Selection(page="canaries", cluster="eu", namespace="dev"),
        "podinfo": Selection(page="canary", cluster="eu", namespace="prod", name="podinfo"),
        "frontend": Selection(page="canary", cluster="eu", namespace="prod", name="frontend"),
    }
    expected = {
        "all": [fragment("v1", "canaries")],
        "eu": [fragment("v1", "canaries")],
        "us": [],
        "eu/dev": [],
        "podinfo": [fragment("v1", "canary")],
        "frontend": [],
    }
    readers = {label: Reader(broadcaster.subscribe(s)) for label, s in wanted.items()}
    async with (
        reading(readers["all"]),
        reading(readers["eu"]),
        reading(readers["us"]),
        reading(readers["eu/dev"]),
        reading(readers["podinfo"]),
        reading(readers["frontend"]),
    ):
        mark = clock.mark()
        broadcaster.publish(PODINFO, renders.row("v1", pages=("canaries", "canary")))
        await clock.parked(after=mark)
        mark = clock.mark()
        clock.advance(HEARTBEAT)  # the heartbeat closes every stream's record of this change
        await clock.parked(after=mark)
        for label, reader in readers.items():
            await reader.wait_for_frames(2 + len(expected[label]))
    assert {label: reader.frames for label, reader in readers.items()} == {
        label: [HELLO, *frames, b": ping\n\n"] for label, frames in expected.items()
    }


async def test_heartbeat_is_one_comment_frame_per_interval(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    async with reading(Reader(broadcaster.subscribe(Selection(page="overview")))) as reader:
        await reader.wait_for_frames(1)
        assert await clock.parked(after=0) == HEARTBEAT
        clock.advance(HEARTBEAT - 0.01)  # not due yet: the flush task is not even woken
        assert reader.frames == [HELLO]
        mark = clock.mark()
        clock.advance(0.01)
        assert await clock.parked(after=mark) == 2 * HEARTBEAT
        assert await reader.wait_for_frames(2) == [HELLO, b": ping\n\n"]
    assert broadcaster.metrics.heartbeats == 1


async def test_a_slow_client_is_dropped_while_a_fast_one_receives_everything(
    broadcaster: Broadcaster,
) -> None:
    renders = Renders()
    changes = CAPACITY + 4
    keys = [ChangeKey("eu", "prod", "canary", f"app{i}") for i in range(changes)]
    fast = Reader(broadcaster.subscribe(Selection(page="canaries")))
    slow = StalledReader(broadcaster.subscribe(Selection(page="canaries")))
    async with reading(fast), reading(slow):
        await slow.wait_for_frames(1)  # took hello, now stuck in its socket write
        for i, key in enumerate(keys):
            broadcaster.publish(key, renders.row(f"v{i}"))
        frames = await fast.wait_for_frames(1 + changes)
        await broadcaster.wait_for_clients(1)
        assert slow.subscriber.reason is CloseReason.DROPPED
    assert frames == [HELLO, *(fragment(f"v{i}") for i in range(changes))]
    assert slow.reason is CloseReason.DROPPED
    assert slow.frames == [HELLO]
    assert fast.reason is CloseReason.DISCONNECTED
    assert broadcaster.metrics.clients_dropped == 1
    assert broadcaster.metrics.frames_sent == 1 + changes  # the stalled write never completed


async def test_a_failing_render_is_counted_and_other_changes_still_go_out(
    broadcaster: Broadcaster,
) -> None:
    renders = Renders()

    def broken() -> Mapping[str, str]:
        raise RuntimeError("template bug")

    async with reading(Reader(broadcaster.subscribe(Selection(page="canaries")))) as reader:
        broadcaster.publish(PODINFO, broken)
        broadcaster.publish(FRONTEND, renders.row("frontend"))
        assert await reader.wait_for_frames(2) == [HELLO, fragment("frontend")]
    assert broadcaster.metrics.render_errors == 1


async def test_unsubscribing_removes_the_client_once(broadcaster: Broadcaster) -> None:
    subscriber = broadcaster.subscribe(Selection(page="hpas"))
    assert broadcaster.clients == 1
    broadcaster.unsubscribe(subscriber)
    broadcaster.unsubscribe(subscriber)
    await broadcaster.wait_for_clients(0)
    assert subscriber.reason is CloseReason.DISCONNECTED
    assert broadcaster.metrics.clients_connected == 0


async def test_close_ends_every_stream_and_refuses_new_ones(clock: ManualClock) -> None:
    broadcaster = Broadcaster(clock=clock)
    async with broadcaster:
        first = Reader(broadcaster.subscribe(Selection(page="canaries")))
        second = Reader(
            broadcaster.subscribe(
                Selection(page="canary", cluster="eu", namespace="prod", name="podinfo")
            )
        )
        async with reading(first), reading(second):
            await first.wait_for_frames(1)
            await broadcaster.close()
            await broadcaster.wait_for_clients(0)
    assert first.reason is CloseReason.SHUTDOWN
    assert second.reason is CloseReason.SHUTDOWN
    with pytest.raises(BroadcasterClosed):
        broadcaster.subscribe(Selection(page="canaries"))
    broadcaster.publish(PODINFO, Renders().row("late"))
    assert broadcaster.metrics.renders == 0


async def test_ending_streams_at_server_shutdown_refuses_new_ones_before_close(
    broadcaster: Broadcaster,
) -> None:
    reader = Reader(broadcaster.subscribe(Selection(page="hpas")))
    async with reading(reader):
        broadcaster.publish(PODINFO, Renders().row("pending"))
        broadcaster.end_streams()
        await broadcaster.wait_for_clients(0)
    assert reader.reason is CloseReason.SHUTDOWN
    assert broadcaster.metrics.renders == 0
    with pytest.raises(BroadcasterClosed):
        broadcaster.subscribe(Selection(page="hpas"))


async def test_a_stream_that_is_ending_is_not_counted_as_dropped(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    subscriber = broadcaster.subscribe(Selection(page="canaries"))
    subscriber.close(CloseReason.DISCONNECTED)  # the web layer unsubscribes a moment later
    mark = clock.mark()
    for i in range(CAPACITY + 1):
        broadcaster.publish(ChangeKey("eu", "prod", "canary", f"app{i}"), Renders().row("v"))
    assert await clock.parked(after=mark) == HEARTBEAT
    assert broadcaster.metrics.frames_encoded == CAPACITY + 1
    assert broadcaster.metrics.clients_dropped == 0
    assert subscriber.queued == 0


async def test_a_change_nobody_watches_a_page_of_is_not_rendered(
    broadcaster: Broadcaster, clock: ManualClock
) -> None:
    renders = Renders()
    canaries = frozenset({"canaries", "canary"})
    async with reading(Reader(broadcaster.subscribe(Selection(page="hpas")))) as reader:
        await reader.wait_for_frames(1)
        mark = clock.mark()
        for label, key in (("v1", PODINFO), ("v2", FRONTEND)):
            broadcaster.publish(key, renders.row(label), pages=canaries)
        assert await clock.parked(after=mark) == HEARTBEAT  # both were due, and dealt with
        assert reader.frames == [HELLO]
    assert renders.calls == []
    assert (broadcaster.metrics.renders, broadcaster.metrics.renders_skipped) == (0, 2)
    async with reading(Reader(broadcaster.subscribe(Selection(page="canary")))) as reader:
        await reader.wait_for_frames(1)
        clock.advance(WINDOW)
        broadcaster.publish(PODINFO, renders.row("v3", pages=("canary",)), pages=canaries)
        assert await reader.wait_for_frames(2) == [HELLO, fragment("v3", page="canary")]
    assert renders.calls == ["v3"]
    assert (broadcaster.metrics.renders, broadcaster.metrics.renders_skipped) == (1, 2)
