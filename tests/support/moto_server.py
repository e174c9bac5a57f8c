"""A real moto server on 127.0.0.1 for the Cost Explorer and spot price tests: moto's own WSGI
app behind a thin layer that counts the AWS requests it receives per operation (X-Amz-Target for
JSON services, the form's Action for query services such as EC2) and can answer an operation
with an AWS error instead (AccessDenied, throttling) in that protocol's shape, the way AWS does,
always or for the next N calls, or stall it (no answer until released: a client timeout). Every
request is logged with the time it arrived and what it got.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import httpx
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

Environ = dict[str, Any]
STALL_LIMIT_SECONDS = 120.0
"""A stalled request answers after this at the latest (the server must be able to stop)."""


@dataclass(frozen=True)
class Logged:
    """One AWS request: when it arrived (time.monotonic()), its operation and what it got
    (`answered`, `fault:<code>`, `canned`, `stalled`)."""

    at: float
    operation: str
    outcome: str


@dataclass
class MotoServer:
    url: str
    calls: Counter[str] = field(default_factory=Counter)
    faults: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    fault_counts: dict[str, int] = field(default_factory=dict)
    """Operations whose fault applies only to the next N calls."""
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    stalls: dict[str, int] = field(default_factory=dict)
    released: threading.Event = field(default_factory=threading.Event)
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def aws_calls(self) -> int:
        with self.lock:
            return sum(self.calls.values())

    def calls_to(self, operation: str) -> int:
        with self.lock:
            return self.calls[operation]

    def fail(
        self, operation: str, *, status: int, code: str, message: str, times: int | None = None
    ) -> None:
        """Answer `operation` (e.g. "GetCostAndUsage") with an AWS error from now on, or for
        the next `times` calls."""
        with self.lock:
            self.faults[operation] = (status, code, message)
            if times is None:
                self.fault_counts.pop(operation, None)
            else:
                self.fault_counts[operation] = times

    def heal(self, operation: str) -> None:
        """Answer `operation` normally again."""
        with self.lock:
            self.faults.pop(operation, None)
            self.fault_counts.pop(operation, None)

    def stall(self, operation: str, *, times: int = 1) -> None:
        """Hold the next `times` calls of `operation` unanswered until `release_stalls()`."""
        with self.lock:
            self.stalls[operation] = times
        self.released.clear()

    def release_stalls(self) -> None:
        with self.lock:
            self.stalls.clear()
        self.released.set()

    def logged(self, operation: str) -> list[Logged]:
        with self.lock:
            return [entry for entry in self.log if entry.operation == operation]

    def answer(self, operation: str, body: dict[str, Any]) -> None:
        """Answer `operation` with this JSON body (for calls moto does not implement)."""
        self.answers[operation] = body

    def queue_cost_and_usage(self, results: list[dict[str, Any]]) -> None:
        """moto's queue: each new distinct request body takes the next result."""
        response = httpx.post(
            f"{self.url}/moto-api/static/ce/cost-and-usage-results",
            json={"results": results},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def reset(self) -> None:
        self.release_stalls()
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        with self.lock:
            self.calls.clear()
            self.log.clear()
            self.faults.clear()
            self.fault_counts.clear()
        self.answers.clear()

    def take(self, operation: str) -> tuple[str, tuple[int, str, str] | None]:
        """What the server does with one call of `operation` now: (outcome, fault)."""
        with self.lock:
            self.calls[operation] += 1
            outcome, fault = "answered", None
            if self.stalls.get(operation, 0) > 0:
                self.stalls[operation] -= 1
                outcome = "stalled"
            elif operation in self.answers:
                outcome = "canned"
            elif operation in self.faults:
                fault = self.faults[operation]
                outcome = f"fault:{fault[1]}"
                left = self.fault_counts.get(operation)
                if left is not None:
                    self.fault_counts[operation] = left - 1
                    if left <= 1:
                        self.heal_locked(operation)
            self.log.append(Logged(time.monotonic(), operation, outcome))
            return outcome, fault

    def heal_locked(self, operation: str) -> None:
        self.faults.pop(operation, None)
        self.fault_counts.pop(operation, None)


def _query_action(environ: Environ) -> str | None:
    """A query-protocol request's Action (the body is read and put back for moto)."""
    if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        return None
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    actions = parse_qs(body.decode()).get("Action")
    return actions[0] if actions else None


def _operation(environ: Environ) -> tuple[str, bool] | None:
    """The operation and whether it came over the query protocol (XML answers)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1], False
    action = _query_action(environ)
    return (action, True) if action else None


def _error(query: bool, code: str, message: str) -> tuple[str, bytes]:
    if not query:
        return "application/x-amz-json-1.1", json.dumps(
            {"__type": code, "message": message}
        ).encode()
    xml = (
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}"
        "</Message></Error></Errors><RequestID>moto</RequestID></Response>"
    )
    return "text/xml", xml.encode()


def _counting(app: Any, server: MotoServer) -> Any:
    def wrapped(environ: Environ, start_response: Any) -> Iterable[bytes]:
        found = _operation(environ)
        if found is None:
            return app(environ, start_response)  # type: ignore[no-any-return]
        operation, query = found
        outcome, fault = server.take(operation)
        if outcome == "stalled":
            server.released.wait(STALL_LIMIT_SECONDS)
        canned = server.answers.get(operation)
        if canned is not None:
            start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
            return [json.dumps(canned).encode()]
        if fault is None:
            return app(environ, start_response)  # type: ignore[no-any-return]
        status, code, message = fault
        content_type, body = _error(query, code, message)
        start_response(
            f"{status} Error", [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
        )
        return [body]

    return wrapped


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    """Serve moto on a free port of 127.0.0.1 in a thread, for the length of the block."""
    server = MotoServer(url="")
    app = _counting(DomainDispatcherApplication(create_backend_app), server)
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    server.url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, name="moto-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release_stalls()
        httpd.shutdown()
        thread.join()
        httpd.server_close()
