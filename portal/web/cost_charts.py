"""The 30-day spend as a small bar chart in inline SVG, drawn on the server (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

from portal.domain.cost_reports import DailyCost

WIDTH = 620
HEIGHT = 120
GAP = 2


def daily_bars(daily: Sequence[DailyCost], *, today: date, currency: str) -> str:
    """One bar per day, scaled to the dearest day; today's (still being billed) is marked."""
    if not daily:
        return '<p class="muted">No daily figures yet.</p>'
    top = max(*(d.amount for d in daily), Decimal("0.01"))
    width = WIDTH / len(daily)
    bars = []
    for index, day in enumerate(daily):
        height = float(day.amount / top) * (HEIGHT - 14)
        tone = "bar-partial" if day.day >= today else "bar-day"
        title = f"{day.day.isoformat()}: {day.amount:.2f} {currency}"
        if day.day >= today:
            title += " (today, still being billed)"
        bars.append(
            f'<rect class="{tone}" x="{index * width:.1f}" y="{HEIGHT - height:.1f}" '
            f'width="{max(width - GAP, 1):.1f}" height="{height:.1f}">'
            f"<title>{escape(title)}</title></rect>"
        )
    label = f"daily spend, {len(daily)} days, highest {top:.2f} {currency}"
    return (
        f'<svg class="cost-bars" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">{"".join(bars)}</svg>'
    )
