"""A local notification receiver: a real HTTP server on 127.0.0.1 that records what the portal
delivers and shows it on a small page (`make run` starts one on port 8020; the tests start their
own and script its answers: 500, 429 with Retry-After, or a reply too slow to wait for).

POST /hooks/<anything> records a message (raw body, headers, whether the HMAC signature
verifies against `secret`); a message to /hooks/slack or /hooks/teams is checked as Slack or
Teams would and refused with 400 when malformed (`demo_receiver_shapes`). GET / lists them
newest first; GET /messages.json returns the ones answered 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from portal.demo_receiver_shapes import slack_problems, teams_problems

SIGNATURE_HEADER = "X-Infra-Fleet-Signature"


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted answer: a status, headers, and seconds to wait before answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool | None
    answered: int
    at: float
    problems: tuple[str, ...] = ()
    """What Slack or Teams would refuse in the message (then answered 400)."""

    def json(self) -> Any:
        return json.loads(self.body)


def signature_valid(secret: str | None, body: bytes, header: str | None) -> bool | None:
    """The verification snippet of docs/notifications.md, as code."""
    if secret is None:
        return None
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


class Receiver:
    def __init__(self, *, secret: str | None = None, port: int = 0) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self.script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def answer_next(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def record(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._lock:
            reply = self.script.popleft() if self.script else Reply()
        valid = signature_valid(self.secret, body, headers.get(SIGNATURE_HEADER))
        problems = tuple(shape_problems(path, body))
        if problems:
            reply = Reply(status=400)
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)  # a slow receiver (the sender times out first)
        received = Received(path, headers, body, valid, reply.status, time.time(), problems)
        with self._lock:
            self.received.append(received)
        return reply

    def delivered(self) -> list[Received]:
        """Messages answered 2xx, oldest first."""
        with self._lock:
            return [item for item in self.received if 200 <= item.answered < 300]

    def page(self) -> str:
        with self._lock:
            items = list(reversed(self.received))
        rows = "".join(_row(item) for item in items) or "<p>No message yet.</p>"
        return (
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=2>"
            "<title>notification receiver</title>"
            "<h1>Notifications received</h1>"
            f"<p>{len(items)} message(s); this page reloads every 2 seconds.</p>{rows}"
        )


def shape_problems(path: str, body: bytes) -> list[str]:
    """Slack's or Teams' refusal of a message posted to /hooks/slack or /hooks/teams."""
    kind = path.rstrip("/").rsplit("/", 1)[-1]
    if kind not in ("slack", "teams"):
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return ["the body is not JSON"]
    return slack_problems(data) if kind == "slack" else teams_problems(data)


def _row(item: Received) -> str:
    try:
        body = json.dumps(json.loads(item.body), indent=2)
    except ValueError:
        body = item.body.decode(errors="replace")
    signed = {None: "not checked", True: "valid", False: "INVALID"}[item.signature_valid]
    stamp = time.strftime("%H:%M:%S", time.gmtime(item.at))
    return (
        f"<section><h2>{stamp} UTC {html.escape(item.path)} → {item.answered}</h2>"
        f"<p>Idempotency-Key {html.escape(item.headers.get('Idempotency-Key', '-'))}; "
        f"signature {signed}{html.escape(''.join(f'; refused: {p}' for p in item.problems))}</p>"
        f"<pre>{html.escape(body)}</pre></section>"
    )


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1024 * 1024))
            reply = receiver.record(self.path, dict(self.headers.items()), body)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            if self.path == "/messages.json":
                data = [item.json() for item in receiver.delivered()]
                self._send(json.dumps(data).encode(), "application/json")
                return
            self._send(receiver.page().encode(), "text/html; charset=utf-8")

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
