"""Server-Sent Events wire format, encoded once per change and shared as bytes.

The broadcaster writes the *same* bytes object to every subscribed client, so encoding lives
here, apart from any response class: a frame is built once per (change, page topic) and the
per-client work is a queue put and a socket write (ARCHITECTURE.md, "Push to many browsers
cheaply"). Only the three SSE line terminators (CRLF, CR, LF) split data lines; anything else,
such as U+2028, stays inside a line so the browser reassembles exactly the HTML we rendered.
"""

from __future__ import annotations

import re

FRAGMENT_EVENT = "fleet"
"""The one SSE event name that carries every out-of-band fragment (`sse-swap="fleet"`)."""

HELLO_EVENT = "hello"
"""Sent first on every stream: the subscription is registered once a client reads it."""

HEARTBEAT_FRAME = b": ping\n\n"
"""An SSE comment: browsers ignore it, proxies see traffic and keep the connection open."""

_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def encode_event(event: str, data: str) -> bytes:
    """One complete SSE event: `event:` then one `data:` line per line of `data`."""
    if _LINE_BREAKS.search(event) or not event:
        raise ValueError(f"an SSE event name must be one non-empty line, got {event!r}")
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAKS.split(data))
    return f"event: {event}\n{lines}\n".encode()


def encode_hello(*, retry_ms: int) -> bytes:
    """The first frame of a stream: the reconnect delay hint and the `hello` event."""
    if retry_ms < 0:
        raise ValueError(f"retry_ms must be >= 0, got {retry_ms}")
    return f"retry: {retry_ms}\n".encode() + encode_event(HELLO_EVENT, "subscribed")
