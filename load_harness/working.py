"""One synchronous unit of CPU work, the request distributed load tests send many of.

SHA-256 over 4 KiB blocks: hashlib releases the GIL for inputs this large, so running it in a
thread leaves the event loop (and the health probes) responsive, and the result is a digest any
client can check: it equals `sha256(BLOCK * iterations)`.
"""

from __future__ import annotations

import hashlib

BLOCK = bytes(range(256)) * 16


def do_work(*, iterations: int) -> str:
    """Hash `iterations` blocks and return the hex digest."""
    digest = hashlib.sha256()
    for _ in range(iterations):
        digest.update(BLOCK)
    return digest.hexdigest()
