"""SSE fan-out: publish→delivery latency of the Broadcaster vs naive per-client encoding.

Two modes, each measured against its baselines in the same run:

- in-process: 1,000 subscribers with real queues and real writer tasks (`Subscriber.pump`);
  the write records the arrival time. Baselines, each client with its own asyncio.Queue and
  task like a per-client SSE generator: `naive-render` (every client renders the Jinja2 row and
  encodes it with sse-starlette's `ServerSentEvent`) and `naive-encode` (rendered once,
  encoded per client).
- http: the portal's real `GET /stream` served by uvicorn in a child process, 200 raw-socket
  clients; baseline: sse-starlette's `EventSourceResponse` with a per-client generator that
  renders and encodes, in the same server.

Every change is a distinct object (coalescing never merges them), published at a steady rate;
latency is from `publish()` to the client's write/read, on CLOCK_MONOTONIC. Everything is
bounded in time.

    .venv/bin/python bench/sse_fanout.py [--clients 1000] [--http-clients 200] [--changes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import re
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import jinja2
import uvicorn
from fastapi import FastAPI
from sse_starlette.event import ServerSentEvent
from sse_starlette.sse import EventSourceResponse

from portal.services.broadcasting import Broadcaster
from portal.services.sse_selections import ChangeKey, Selection
from portal.web import stream

ROW = jinja2.Environment(autoescape=True).from_string(
    """<tr id="canary-{{ c.cluster }}-{{ c.namespace }}-{{ c.name }}" hx-swap-oob="true" \
data-seq="{{ seq }}" data-published="{{ published }}">
  <td>{{ c.cluster }}</td><td>{{ c.namespace }}</td>
  <td><a href="/canaries/{{ c.cluster }}/{{ c.namespace }}/{{ c.name }}">{{ c.name }}</a></td>
  <td class="phase phase-{{ c.phase | lower }}">{{ c.phase }}</td>
  <td><progress max="{{ c.max_weight }}" value="{{ c.weight }}">{{ c.weight }}%</progress></td>
  <td>{{ c.failed_checks }}/{{ c.threshold }}</td>
  <td><time datetime="{{ c.last_transition }}">{{ c.last_transition }}</time></td>
  <td>{% for gate in c.gates %}<span class="gate gate-{{ gate }}">{{ gate }}</span>{% endfor %}</td>
</tr>"""
)
MARK = re.compile(rb'data-seq="(\d+)" data-published="([0-9.]+)"')
END = b"END-OF-RUN"
DEADLINE_SECONDS = 120.0


def render_row(seq: int, published: float) -> Mapping[str, str]:
    canary = {
        "cluster": "eu-west-1",
        "namespace": "payments",
        "name": f"app{seq}",
        "phase": "Progressing",
        "max_weight": 50,
        "weight": 10 * (seq % 5),
        "failed_checks": seq % 3,
        "threshold": 5,
        "last_transition": "2026-11-25T20:00:00Z",
        "gates": ["confirm-rollout", "confirm-promotion", "rollback"],
    }
    return {"canaries": ROW.render(c=canary, seq=seq, published=f"{published:.6f}")}


def end_render() -> Mapping[str, str]:
    return {"canaries": END.decode()}


RUNS = itertools.count()


def key(seq: int, run: int) -> ChangeKey:
    """A distinct object per change *and per run*: a key reused within the coalescing window
    (250 ms) would rightly be held back to the window's end and distort the latency."""
    name = f"run{run}-app{seq}"
    return ChangeKey(cluster="eu-west-1", namespace="payments", kind="canary", name=name)


def naive_frame(html: str) -> bytes:
    return ServerSentEvent(html, event="fleet").encode()


# measuring ---------------------------------------------------------------------------------


@dataclass
class Arrivals:
    """What one client received, per write or read: arrival times and bytes, kept in two
    lists of untracked objects so the recording itself adds nothing for the GC to scan."""

    times: list[float] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)

    def record(self, chunk: bytes) -> None:
        self.times.append(time.monotonic())
        self.chunks.append(chunk)

    def latencies(self) -> list[float]:
        ends, offset = [], 0
        for chunk in self.chunks:
            offset += len(chunk)
            ends.append(offset)
        result, index = [], 0
        for match in MARK.finditer(b"".join(self.chunks)):
            while ends[index] < match.end():
                index += 1
            result.append(self.times[index] - float(match.group(2)))
        return result


@dataclass(frozen=True)
class Result:
    name: str
    latencies_ms: list[float]
    cpu_ms_per_change: float
    expected: int
    rate: float

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        p50, p99 = statistics.median(self.latencies_ms), self.quantile(0.99)
        return (
            f"{self.name:<26} delivered {len(self.latencies_ms)}/{self.expected}  "
            f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {max(self.latencies_ms):7.2f} ms  "
            f"cpu/change {self.cpu_ms_per_change:6.2f} ms  achieved {self.rate:5.1f} changes/s"
        )


def pool(rounds: list[Result]) -> Result:
    """All rounds of one mode as one sample; per-round p99s are printed beside it."""
    latencies = [lat for result in rounds for lat in result.latencies_ms]
    cpu = statistics.mean(result.cpu_ms_per_change for result in rounds)
    rate = statistics.mean(result.rate for result in rounds)
    expected = sum(result.expected for result in rounds)
    return Result(rounds[0].name, latencies, cpu, expected, rate)


def report(rounds: dict[str, list[Result]], baselines: list[str]) -> None:
    """Pooled p50; p99 as the median of the per-round p99s, which a stray stall in one round
    (other work on a shared machine) moves less than the pooled p99 (also printed)."""
    pooled = {name: pool(results) for name, results in rounds.items()}
    p99 = {name: statistics.median(r.quantile(0.99) for r in rs) for name, rs in rounds.items()}
    for name, results in rounds.items():
        p99s = ", ".join(f"{result.quantile(0.99):.1f}" for result in results)
        print(f"{pooled[name].line()}  p99 per round [{p99s}] median {p99[name]:.1f} ms")
    for name, result in pooled.items():
        if name in baselines:
            continue
        for baseline in baselines:
            base = pooled[baseline]
            p50 = statistics.median(result.latencies_ms) / statistics.median(base.latencies_ms)
            print(
                f"  {result.name} vs {base.name}: p50 x{p50:.3f}  "
                f"p99 (median of rounds) x{p99[name] / p99[baseline]:.3f}  "
                f"cpu/change x{result.cpu_ms_per_change / base.cpu_ms_per_change:.3f}"
            )


def summarise(
    name: str, clients: list[Arrivals], *, cpu: float, wall: float, changes: int
) -> Result:
    latencies = [1000 * lat for client in clients for lat in client.latencies()]
    return Result(name, latencies, 1000 * cpu / changes, changes * len(clients), changes / wall)


async def publish_steadily(
    changes: int, interval: float, publish: Callable[[int, float], None]
) -> None:
    start = time.monotonic()
    for seq in range(changes):
        await asyncio.sleep(max(0.0, start + seq * interval - time.monotonic()))  # pacing load
        publish(seq, time.monotonic())


# in-process --------------------------------------------------------------------------------


class Finish:
    """Counts clients that saw the end marker; set when all have."""

    def __init__(self, clients: int) -> None:
        self.left = clients
        self.done = asyncio.Event()

    def recorder(self, arrivals: Arrivals) -> Callable[[bytes], Awaitable[None]]:
        async def write(chunk: bytes) -> None:
            arrivals.record(chunk)
            if END in chunk:
                self.left -= 1
                if self.left == 0:
                    self.done.set()

        return write


async def inproc_broadcaster(clients: int, changes: int, interval: float) -> Result:
    async with Broadcaster(queue_capacity=256) as broadcaster:
        finish, arrivals = Finish(clients), [Arrivals() for _ in range(clients)]
        subscribers = [broadcaster.subscribe(Selection(page="canaries")) for _ in range(clients)]
        pumps = [
            asyncio.create_task(s.pump(finish.recorder(a)), name=f"bench-pump:{s.id}")
            for s, a in zip(subscribers, arrivals, strict=True)
        ]

        run = next(RUNS)

        def publish(seq: int, at: float) -> None:
            broadcaster.publish(key(seq, run), lambda: render_row(seq, at))

        cpu, started = time.process_time(), time.monotonic()
        await publish_steadily(changes, interval, publish)
        broadcaster.publish(key(-1, run), end_render)
        async with asyncio.timeout(DEADLINE_SECONDS):
            await finish.done.wait()
        cpu, wall = time.process_time() - cpu, time.monotonic() - started
        dropped = broadcaster.metrics.clients_dropped
    await asyncio.gather(*pumps)
    if dropped:
        print(f"  (broadcaster dropped {dropped} clients)")
    return summarise("broadcaster (encode once)", arrivals, cpu=cpu, wall=wall, changes=changes)


async def inproc_naive(
    clients: int, changes: int, interval: float, *, per_client_render: bool
) -> Result:
    finish, arrivals = Finish(clients), [Arrivals() for _ in range(clients)]
    queues: list[asyncio.Queue[Callable[[], str] | None]] = [
        asyncio.Queue() for _ in range(clients)
    ]

    async def client(queue: asyncio.Queue[Callable[[], str] | None], arrivals: Arrivals) -> None:
        write = finish.recorder(arrivals)
        while (produce := await queue.get()) is not None:
            await write(naive_frame(produce()))

    tasks = [
        asyncio.create_task(client(q, a), name=f"bench-naive:{i}")
        for i, (q, a) in enumerate(zip(queues, arrivals, strict=True))
    ]

    def publish(seq: int, at: float) -> None:
        if per_client_render:
            produce: Callable[[], str] = lambda: render_row(seq, at)["canaries"]  # noqa: E731
        else:
            html = render_row(seq, at)["canaries"]
            produce = lambda: html  # noqa: E731
        for queue in queues:
            queue.put_nowait(produce)

    cpu, started = time.process_time(), time.monotonic()
    await publish_steadily(changes, interval, publish)
    for queue in queues:
        queue.put_nowait(END.decode)
    async with asyncio.timeout(DEADLINE_SECONDS):
        await finish.done.wait()
    cpu, wall = time.process_time() - cpu, time.monotonic() - started
    for queue in queues:
        queue.put_nowait(None)
    await asyncio.gather(*tasks)
    name = "naive-render (per client)" if per_client_render else "naive-encode (per client)"
    return summarise(name, arrivals, cpu=cpu, wall=wall, changes=changes)


# over HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchState:
    broadcaster: Broadcaster


def bench_server_app(broadcaster: Broadcaster) -> FastAPI:
    """The portal's stream router plus a naive sse-starlette endpoint and a run trigger."""
    app = FastAPI()
    app.state.portal = BenchState(broadcaster)
    app.include_router(stream.router)
    naive_queues: set[asyncio.Queue[tuple[int, float] | None]] = set()

    @app.get("/naive-stream")
    async def naive_stream() -> EventSourceResponse:
        queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
        naive_queues.add(queue)

        async def frames() -> object:
            yield naive_frame("hello")
            try:
                while (change := await queue.get()) is not None:
                    seq, at = change
                    html = END.decode() if seq < 0 else render_row(seq, at)["canaries"]
                    yield naive_frame(html)
            finally:
                naive_queues.discard(queue)

        return EventSourceResponse(frames(), ping=15)

    @app.post("/run")
    async def run(mode: str, changes: int, interval: float) -> dict[str, bool]:
        run = next(RUNS)

        def publish(seq: int, at: float) -> None:
            if mode == "naive":
                for queue in naive_queues:
                    queue.put_nowait((seq, at))
            else:
                broadcaster.publish(key(seq, run), lambda: render_row(seq, at))

        await publish_steadily(changes, interval, publish)
        if mode == "naive":
            publish(-1, 0.0)
        else:
            broadcaster.publish(key(-1, run), end_render)
        return {"published": True}

    @app.post("/cpu")
    async def cpu() -> dict[str, float]:
        return {"cpu": time.process_time()}

    return app


async def serve() -> None:
    async with Broadcaster(queue_capacity=256) as broadcaster:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)  # clients may connect now; uvicorn accepts once it runs
        config = uvicorn.Config(
            bench_server_app(broadcaster), log_level="warning", timeout_graceful_shutdown=1
        )
        server = uvicorn.Server(config)
        print(f"READY {sock.getsockname()[1]}", flush=True)
        await server.serve(sockets=[sock])


async def http_client(
    port: int, path: str, arrivals: Arrivals, connected: asyncio.Event | None
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    seen = b""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            arrivals.record(data)
            seen = seen[-64:] + data
            if connected is not None and b"hello" in seen:
                connected.set()
                connected = None
            if END in seen:
                return
    finally:
        writer.close()
        await writer.wait_closed()


async def post(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\nConnection: close\r\n"
    writer.write(request.encode() + b"\r\n")
    body = await reader.read()
    writer.close()
    await writer.wait_closed()
    return body.partition(b"\r\n\r\n")[2]


async def server_cpu(port: int) -> float:
    body = await post(port, "/cpu")
    return float(re.search(rb'"cpu":([0-9.e+-]+)', body).group(1))  # type: ignore[union-attr]


async def over_http(port: int, mode: str, clients: int, changes: int, interval: float) -> Result:
    path = "/stream?page=canaries" if mode == "broadcaster" else "/naive-stream"
    arrivals = [Arrivals() for _ in range(clients)]
    hellos = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.create_task(http_client(port, path, a, h), name=f"bench-http:{mode}:{i}")
        for i, (a, h) in enumerate(zip(arrivals, hellos, strict=True))
    ]
    async with asyncio.timeout(DEADLINE_SECONDS):
        for hello in hellos:
            await hello.wait()
        cpu_before, started = await server_cpu(port), time.monotonic()
        await post(port, f"/run?mode={mode}&changes={changes}&interval={interval}")
        await asyncio.gather(*tasks)
        wall = time.monotonic() - started
        cpu = await server_cpu(port) - cpu_before
    name = "broadcaster over HTTP" if mode == "broadcaster" else "naive sse-starlette"
    return summarise(name, arrivals, cpu=cpu, wall=wall, changes=changes)


async def http_mode(
    clients: int, changes: int, interval: float, rounds: int
) -> dict[str, list[Result]]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "serve", stdout=asyncio.subprocess.PIPE
    )
    results: dict[str, list[Result]] = {"naive": [], "ours": []}
    try:
        assert child.stdout is not None
        async with asyncio.timeout(DEADLINE_SECONDS):
            port = int((await child.stdout.readline()).split()[1])
        for _ in range(rounds):
            results["naive"].append(await over_http(port, "naive", clients, changes, interval))
            results["ours"].append(await over_http(port, "broadcaster", clients, changes, interval))
        return results
    finally:
        child.terminate()
        await child.wait()


# main --------------------------------------------------------------------------------------


def settle() -> None:
    """Start each mode without the previous one's garbage (same for every mode)."""
    gc.collect()
    gc.freeze()


async def main(args: argparse.Namespace) -> None:
    print(
        f"in-process: {args.clients} subscribers, {args.changes} changes, one every "
        f"{args.interval * 1000:.0f} ms, {args.rounds} interleaved rounds"
    )
    local: dict[str, list[Result]] = {"render": [], "encode": [], "ours": []}
    for _ in range(args.rounds):
        settle()
        local["render"].append(
            await inproc_naive(args.clients, args.changes, args.interval, per_client_render=True)
        )
        settle()
        local["encode"].append(
            await inproc_naive(args.clients, args.changes, args.interval, per_client_render=False)
        )
        settle()
        local["ours"].append(await inproc_broadcaster(args.clients, args.changes, args.interval))
    report(local, baselines=["render", "encode"])
    print(
        f"http: {args.http_clients} clients (uvicorn in a child process), {args.http_changes} "
        f"changes, one every {args.interval * 1000:.0f} ms, {args.rounds} interleaved rounds"
    )
    settle()
    gc.disable()  # this process is only the instrument here; the server keeps its GC
    try:
        remote = await http_mode(args.http_clients, args.http_changes, args.interval, args.rounds)
    finally:
        gc.enable()
    report(remote, baselines=["naive"])


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "serve"])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--http-clients", type=int, default=200)
    parser.add_argument("--http-changes", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between changes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per mode")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.mode == "serve":
        asyncio.run(serve())
    else:
        asyncio.run(main(arguments))
