"""Weekly DORA trends as small inline SVG bar charts, drawn on the server (no chart library).

A week without data draws no bar (a gap), never a zero-height bar that would read as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 160
HEIGHT = 36
PAD = 2


def week_bars(values: Sequence[float | None], *, label: str) -> str:
    known = [value for value in values if value is not None]
    if not known:
        return (
            f'<svg class="dora-chart" width="{WIDTH}" height="{HEIGHT}" role="img" '
            f'aria-label="{escape(label)}: no data"></svg>'
        )
    top = max(*known, 1e-9)
    slot = (WIDTH - 2 * PAD) / len(values)
    bars = []
    for index, value in enumerate(values):
        if value is None:
            continue
        height = max(value / top * (HEIGHT - 2 * PAD), 1.0)
        x = PAD + index * slot + slot * 0.1
        bars.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{height:.1f}" fill="currentColor"/>'
        )
    return (
        f'<svg class="dora-chart" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}: {len(known)} of {len(values)} weeks with data">'
        + "".join(bars)
        + "</svg>"
    )


def trend_arrow(values: Sequence[float | None], *, higher_is_better: bool) -> str:
    """▲ or ▼ comparing the last two weeks with data, and whether that is good news."""
    known = [value for value in values if value is not None]
    if len(known) < 2 or known[-1] == known[-2]:
        return "flat"
    rising = known[-1] > known[-2]
    return ("up" if rising else "down") + ("-good" if rising == higher_is_better else "-bad")
