"""client-go's EventCorrelator, which every controller's default event recorder runs.

Flagger records its canary events with client-go's default recorder (controller/controller.go
at v1.44.0), so a real cluster never stores Flagger's events one by one. The rules below are
those of client-go `tools/record/events_cache.go`; the simulator applies them so its Events
look like a real cluster's:

- aggregation (`EventAggregate`, `EventAggregatorByReasonFunc`): events that share source,
  involved object, type and reason form one group; its messages are remembered while the group
  stays active (each event renews it; over 600 s of silence starts afresh). Once a group has
  seen 10 distinct messages, every event that adds a message to it is recorded as
  `(combined from similar events): <message>` into a single aggregate Event of the group (the
  set then forgets one message at random, Go's map order; here the oldest, one of the outcomes).
- counting (`eventObserve`): an event seen before under the same key (the full event, message
  included; for an aggregate, the group) is not created again: the existing Event's `count`
  and `lastTimestamp` (and message) are patched.
- spam filter (`EventSourceObjectSpamFilter`, `getSpamKey`): a token bucket per source and
  involved object (not per reason or message), burst 25, refilled at 1/300 per second; an event
  without a token is dropped, after it was counted (the next patch jumps the count).

Pure and clock-driven (seconds, any epoch) so tests can step time like client-go's own tests.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

COMBINED_PREFIX = "(combined from similar events): "
LRU_ENTRIES = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL_SECONDS = 600.0
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0


@dataclass(frozen=True, slots=True)
class EventFacts:
    """The fields of a core/v1 Event the correlator keys on."""

    component: str
    kind: str
    namespace: str
    name: str
    uid: str
    api_version: str
    type: str
    reason: str
    message: str
    host: str = ""
    field_path: str = ""

    def object_key(self) -> tuple[str, ...]:
        """getSpamKey: source and involved object."""
        return (
            self.component,
            self.host,
            self.kind,
            self.namespace,
            self.name,
            self.uid,
            self.api_version,
        )

    def group_key(self) -> tuple[str, ...]:
        """EventAggregatorByReasonFunc's aggregate key (reporting controller/instance are empty
        for the core/v1 recorder)."""
        return (*self.object_key(), self.type, self.reason)

    def event_key(self) -> tuple[str, ...]:
        """getEventKey: everything, the message included."""
        return (
            self.component,
            self.host,
            self.kind,
            self.namespace,
            self.name,
            self.field_path,
            self.uid,
            self.api_version,
            self.type,
            self.reason,
            self.message,
        )


@dataclass(frozen=True, slots=True)
class Correlated:
    """What the recorder sends: nothing (`skip`), a new Event, or a patch of `existing`."""

    skip: bool
    message: str = ""
    count: int = 1
    existing: str | None = None
    """The name of the Event to patch (count > 1), None to create one."""
    first_seen: float = 0.0


@dataclass
class _Group:
    messages: OrderedDict[str, None] = field(default_factory=OrderedDict)
    last_seen: float = 0.0


@dataclass
class _Observed:
    count: int
    first_seen: float
    name: str | None


@dataclass
class _Bucket:
    tokens: float
    at: float


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, size: int = LRU_ENTRIES) -> None:
        self.size = size
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        if len(self.items) > self.size:
            self.items.popitem(last=False)


class EventCorrelator:
    """client-go's default EventCorrelator (NewEventCorrelator), one per recording component."""

    def __init__(self) -> None:
        self.groups: _Lru[tuple[str, ...], _Group] = _Lru()
        self.observed: _Lru[tuple[str, ...], _Observed] = _Lru()
        self.buckets: _Lru[tuple[str, ...], _Bucket] = _Lru()

    def correlate(self, event: EventFacts, *, now: float) -> tuple[Correlated, tuple[str, ...]]:
        """EventCorrelate: aggregate, count, then filter. Returns the decision and the key the
        recorder reports the created Event's name under (`remember`)."""
        message, key = self._aggregate(event, now=now)
        seen = self.observed.get(key)
        if seen is not None and seen.count > 0:
            decision = Correlated(
                skip=False,
                message=message,
                count=seen.count + 1,
                existing=seen.name,
                first_seen=seen.first_seen,
            )
        else:
            decision = Correlated(skip=False, message=message, count=1, first_seen=now)
        self.observed.put(key, _Observed(decision.count, decision.first_seen, decision.existing))
        if not self._allowed(event, now=now):
            return Correlated(skip=True), key
        return decision, key

    def remember(self, key: tuple[str, ...], *, name: str) -> None:
        """The API stored the Event as `name` (client-go's UpdateState)."""
        seen = self.observed.get(key)
        if seen is not None:
            seen.name = name

    def _aggregate(self, event: EventFacts, *, now: float) -> tuple[str, tuple[str, ...]]:
        group_key = event.group_key()
        group = self.groups.get(group_key)
        if group is None or now - group.last_seen > AGGREGATE_INTERVAL_SECONDS:
            group = _Group()
        group.messages[event.message] = None
        group.last_seen = now
        self.groups.put(group_key, group)
        if len(group.messages) < AGGREGATE_MAX_EVENTS:
            return event.message, event.event_key()
        group.messages.popitem(last=False)
        return COMBINED_PREFIX + event.message, ("aggregate", *group_key)

    def _allowed(self, event: EventFacts, *, now: float) -> bool:
        key = event.object_key()
        bucket = self.buckets.get(key) or _Bucket(tokens=float(SPAM_BURST), at=now)
        bucket.tokens = min(float(SPAM_BURST), bucket.tokens + (now - bucket.at) * SPAM_QPS)
        bucket.at = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self.buckets.put(key, bucket)
        return allowed
