"""Replica history as a tiny inline SVG, drawn on the server (no chart library, no script)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

WIDTH = 120
HEIGHT = 28
PAD = 2


def sparkline(points: Sequence[tuple[datetime, int]], *, maximum: int, label: str) -> str:
    """A step line of replica counts over time, scaled to 0..maximum."""
    if not points:
        return (
            f'<svg class="spark" width="{WIDTH}" height="{HEIGHT}" role="img" '
            f'aria-label="{escape(label)}: no history"></svg>'
        )
    start = points[0][0].timestamp()
    span = max(points[-1][0].timestamp() - start, 1.0)
    top = max(maximum, *(v for _, v in points), 1)

    def x(at: datetime) -> float:
        return PAD + (at.timestamp() - start) / span * (WIDTH - 2 * PAD)

    def y(value: int) -> float:
        return HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD)

    coords = [f"{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
    for (at, value), (_, previous) in zip(points[1:], points, strict=False):
        coords.append(f"{x(at):.1f},{y(previous):.1f}")
        coords.append(f"{x(at):.1f},{y(value):.1f}")
    coords.append(f"{WIDTH - PAD:.1f},{y(points[-1][1]):.1f}")
    last = points[-1][1]
    return (
        f'<svg class="spark" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(label)}: {len(points)} samples, now {last}">'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        f'points="{" ".join(coords)}"/>'
        "</svg>"
    )
