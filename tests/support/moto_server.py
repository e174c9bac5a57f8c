"""A real moto server on 127.0.0.1 for the Cost Explorer and spot price tests: moto's own WSGI
app behind a thin layer that counts the AWS requests it receives per operation (X-Amz-Target for
JSON services, the form's Action for query services such as EC2) and can answer an operation
with an AWS error instead (AccessDenied, throttling) in that protocol's shape, the way AWS does.
"""

from __future__ import annotations

import io
import json
import threading
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


@dataclass
class MotoServer:
    url: str
    calls: Counter[str] = field(default_factory=Counter)
    faults: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def aws_calls(self) -> int:
        with self.lock:
            return sum(self.calls.values())

    def calls_to(self, operation: str) -> int:
        with self.lock:
            return self.calls[operation]

    def fail(self, operation: str, *, status: int, code: str, message: str) -> None:
        """Answer `operation` (e.g. "GetCostAndUsage") with an AWS JSON error from now on."""
        self.faults[operation] = (status, code, message)

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
        httpx.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        with self.lock:
            self.calls.clear()
        self.faults.clear()
        self.answers.clear()


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
        with server.lock:
            server.calls[operation] += 1
        canned = server.answers.get(operation)
        if canned is not None:
            start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
            return [json.dumps(canned).encode()]
        fault = server.faults.get(operation)
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
        httpd.shutdown()
        thread.join()
        httpd.server_close()
