"""An open-loop, bounded load on portal replicas (issue 18.6): Flagger gate calls at a fixed
rate, Server-Sent-Event clients held open, and API readers at a fixed rate.

Open loop: each call starts at its scheduled time whatever the earlier calls did, and its
latency is measured from that time, so a slow server shows as latency instead of as fewer calls
(no coordinated omission). Bounded: at most `max_in_flight` calls at once (a call due beyond
that is counted as the error `over in-flight bound`, never queued), every call has a timeout,
and the run ends after `seconds`. Every error is counted by kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

from tests.support.raw_http import Client, ProtocolError, encode_request

GATES = ("confirm-rollout", "confirm-traffic-increase", "confirm-promotion", "rollback")
GATE_ANSWERS = frozenset({200, 403})  # pass or hold; anything else is an error
API_PATHS = ("/api/v1/canaries", "/api/v1/hpas", "/api/v1/freezes")
EVENT = b"event: "
HELLO = b"event: hello\n"
SSE_CONNECT_SECONDS = 60.0
SLOW_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class LoadShape:
    gate_rate: float
    """Gate calls per second in all, spread over the replicas in turn."""
    sse_clients: int
    api_readers: int
    api_rate_per_reader: float
    seconds: float
    max_in_flight: int = 2000
    timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class GateTarget:
    """A canary the portal watches, with the checksum Flagger would send for its run."""

    namespace: str
    name: str
    checksum: str


@dataclass(frozen=True, slots=True)
class Audience:
    """Who calls: the replicas' base URLs, the Flagger caller token and the readers' tokens."""

    replicas: Sequence[str]
    flagger_token: str
    reader_tokens: Sequence[str]
    targets: Sequence[GateTarget]
    detail_paths: Sequence[str] = ()


@dataclass
class RunResult:
    shape: LoadShape
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    gate_latencies: list[float] = field(default_factory=list)
    gate_answers: Counter[int] = field(default_factory=Counter)
    api_latencies: list[float] = field(default_factory=list)
    sse_connected: int = 0
    sse_events: int = 0
    slow: Counter[int] = field(default_factory=Counter)
    """Calls answered later than SLOW_SECONDS after they were due, or not at all, by the
    second of the run they were due in: when in the run the replicas fell behind."""
    driver_cpu_seconds: float = 0.0
    """CPU the load driver itself used (all its processes), to tell its share of the machine."""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def slow_spans(self) -> str:
        """The seconds of the run with calls answered late, as spans: `12-31 (2,040)`."""
        spans: list[list[int]] = []
        for second in sorted(self.slow):
            if spans and second == spans[-1][1] + 1:
                spans[-1][1] = second
            else:
                spans.append([second, second])
        return ", ".join(
            f"{a}-{b} s ({sum(self.slow[k] for k in range(a, b + 1)):,})" for a, b in spans
        )

    def summary(self) -> str:
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())) or "none"
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(self.gate_answers.items()))
        return (
            f"errors {self.error_count} ({errors}); "
            f"gates {len(self.gate_latencies) / self.shape.seconds:.1f}/s "
            f"p50 {_ms(self.gate_latencies, 50)} p99 {_ms(self.gate_latencies, 99)} "
            f"({answers}); "
            f"api {len(self.api_latencies) / self.shape.seconds:.1f}/s "
            f"p50 {_ms(self.api_latencies, 50)} p99 {_ms(self.api_latencies, 99)}; "
            f"sse {self.sse_connected} connected, {self.sse_events} events; "
            f"driver CPU {self.driver_cpu_seconds / self.shape.seconds:.0%}; "
            f"answered > {SLOW_SECONDS:g} s late in: {self.slow_spans() or 'no second'}"
        )


def percentile(values: Sequence[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _ms(values: Sequence[float], pct: int) -> str:
    return f"{percentile(values, pct) * 1000:.1f} ms"


class _Bound:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0


async def _open_loop(
    *,
    rate: float,
    start: float,
    seconds: float,
    bound: _Bound,
    result: RunResult,
    call: Callable[[int, float], Awaitable[None]],
) -> None:
    """Start `call(i, due)` at `start + i / rate`, `rate * seconds` calls in all; wait for the
    calls started."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    for i in range(round(rate * seconds)):
        due = start + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        if bound.in_flight >= bound.limit:
            result.errors["over in-flight bound"] += 1
            continue
        bound.in_flight += 1

        async def counted(i: int = i, due: float = due) -> None:
            try:
                await call(i, due)
            finally:
                bound.in_flight -= 1

        task = asyncio.create_task(counted())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


def _kind(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    return type(error).__name__


CALL_ERRORS = (OSError, TimeoutError, ProtocolError)


class _Browser:
    """One SSE client: `connect()` until its hello frame, then `follow()` until cancelled;
    a stream that ends early, or never says hello, is an error."""

    def __init__(self, url: str, token: str, result: RunResult) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.token = token
        self.result = result
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.tail = b""

    async def connect(self, *, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                await self._open()
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
            self.result.errors[f"sse connect: {_kind(error)}"] += 1
            await self.close()

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(
            (
                "GET /stream?page=canaries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            self.result.errors[f"sse status {head[9:12].decode(errors='replace')}"] += 1
            await self.close()
            return
        while HELLO not in self.tail:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise asyncio.IncompleteReadError(self.tail, None)
            self.tail += chunk
        self.tail = self.tail[self.tail.index(HELLO) + len(HELLO) :]
        self.result.sse_connected += 1

    async def follow(self) -> None:
        """Count the events received until cancelled (the run's end) or the stream ends."""
        if self.reader is None:
            return
        try:
            while chunk := await self.reader.read(65536):
                data = self.tail + chunk
                self.result.sse_events += data.count(EVENT) - self.tail.count(EVENT)
                self.tail = data[-len(HELLO) :]  # a frame cut between two reads is seen whole
            self.result.errors["sse ended early"] += 1
        except OSError as error:
            self.result.errors[f"sse: {_kind(error)}"] += 1
        finally:
            await self.close()

    async def close(self) -> None:
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def run_load(shape: LoadShape, audience: Audience) -> RunResult:
    """One run of `shape` against `audience`; returns what was measured."""
    result = RunResult(shape=shape)
    loop = asyncio.get_running_loop()
    bound = _Bound(shape.max_in_flight)
    replicas = list(audience.replicas)
    clients = [
        Client(url, limit=shape.max_in_flight, seconds=shape.timeout_seconds) for url in replicas
    ]
    paths = [*API_PATHS, *audience.detail_paths]
    browsers = [
        _Browser(
            replicas[i % len(replicas)],
            audience.reader_tokens[i % len(audience.reader_tokens)],
            result,
        )
        for i in range(shape.sse_clients)
    ]
    gate_requests = [
        encode_request(
            "POST",
            f"/flagger/gates/{gate}",
            host="127.0.0.1",
            json_body={
                "name": target.name,
                "namespace": target.namespace,
                "phase": "Progressing",
                "checksum": target.checksum,
                "metadata": {"token": audience.flagger_token},
            },
        )
        for gate in GATES
        for target in audience.targets
    ]
    read_requests = [
        [
            encode_request(
                "GET", path, host="127.0.0.1", headers={"Authorization": f"Bearer {token}"}
            )
            for path in paths
        ]
        for token in audience.reader_tokens[: shape.api_readers]
    ]

    sse: list[asyncio.Task[None]] = []
    cpu = time.process_time()
    try:
        # the browsers are on the pages before the clock starts, and stay for the whole run
        await asyncio.gather(*(b.connect(within=SSE_CONNECT_SECONDS) for b in browsers))
        sse = [asyncio.create_task(b.follow()) for b in browsers]
        started = loop.time()

        async def gate_call(i: int, due: float) -> None:
            # round the targets, the gate changing each time round (i // targets)
            request = gate_requests[i % len(gate_requests)]
            try:
                answer = await clients[i % len(clients)].send(request)
            except CALL_ERRORS as error:
                result.errors[f"gate {_kind(error)}"] += 1
                result.slow[int(due - started)] += 1
                return
            if answer.status not in GATE_ANSWERS:
                result.errors[f"gate status {answer.status}"] += 1
                return
            result.gate_answers[answer.status] += 1
            result.gate_latencies.append(latency := loop.time() - due)
            if latency > SLOW_SECONDS:
                result.slow[int(due - started)] += 1

        async def api_read(i: int, due: float) -> None:
            reader = i % shape.api_readers
            request = read_requests[reader][(i // shape.api_readers) % len(paths)]
            try:
                answer = await clients[reader % len(clients)].send(request)
            except CALL_ERRORS as error:
                result.errors[f"api {_kind(error)}"] += 1
                result.slow[int(due - started)] += 1
                return
            if answer.status != 200:
                result.errors[f"api status {answer.status}"] += 1
                return
            result.api_latencies.append(latency := loop.time() - due)
            if latency > SLOW_SECONDS:
                result.slow[int(due - started)] += 1

        loads = [
            _open_loop(
                rate=shape.gate_rate,
                start=started,
                seconds=shape.seconds,
                bound=bound,
                result=result,
                call=gate_call,
            )
        ]
        if shape.api_readers:
            loads.append(
                _open_loop(
                    rate=shape.api_readers * shape.api_rate_per_reader,
                    start=started,
                    seconds=shape.seconds,
                    bound=bound,
                    result=result,
                    call=api_read,
                )
            )
        await asyncio.gather(*loads)
        result.seconds = loop.time() - started
    finally:
        for task in sse:
            task.cancel()
        await asyncio.gather(*sse, return_exceptions=True)
        result.driver_cpu_seconds = time.process_time() - cpu
        for browser in browsers:
            await browser.close()
        for client in clients:
            await client.aclose()
    return result


def _run_in_child(shape: LoadShape, audience: Audience) -> RunResult:
    return asyncio.run(run_load(shape, audience))


def _share(total: int, workers: int, k: int) -> int:
    return total // workers + (1 if k < total % workers else 0)


async def run_load_split(
    shape: LoadShape, audience: Audience, *, pool: ProcessPoolExecutor, workers: int
) -> RunResult:
    """`run_load` in `workers` processes of `pool`, each with its share of every load (the
    readers and their tokens split between them), so no one event loop is the bottleneck;
    the results are merged. The schedules start together within a process start-up."""
    loop = asyncio.get_running_loop()
    runs = []
    first = 0
    for k in range(workers):
        readers = _share(shape.api_readers, workers, k)
        part = replace(
            shape,
            gate_rate=shape.gate_rate / workers,
            sse_clients=_share(shape.sse_clients, workers, k),
            api_readers=readers,
            max_in_flight=max(1, shape.max_in_flight // workers),
        )
        tokens = audience.reader_tokens[first : first + readers] or audience.reader_tokens[:1]
        first += readers
        runs.append(
            loop.run_in_executor(pool, _run_in_child, part, replace(audience, reader_tokens=tokens))
        )
    merged = RunResult(shape=shape)
    for part_result in await asyncio.gather(*runs):
        merged.seconds = max(merged.seconds, part_result.seconds)
        merged.errors.update(part_result.errors)
        merged.gate_latencies += part_result.gate_latencies
        merged.gate_answers.update(part_result.gate_answers)
        merged.api_latencies += part_result.api_latencies
        merged.sse_connected += part_result.sse_connected
        merged.sse_events += part_result.sse_events
        merged.driver_cpu_seconds += part_result.driver_cpu_seconds
        merged.slow.update(part_result.slow)
    return merged
