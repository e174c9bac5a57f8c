"""Known Cost Explorer answers for 2026-12-10 and the figures they must give."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

TODAY = date(2026, 12, 10)
DAILY_AMOUNTS = ["8", "12", "10", "10", "10", "10", "10", "10", "10", "4.5"]
"""December 1st to 10th; the 10th is today, still being billed."""


def month_answer(*, metric: str = "UnblendedCost") -> dict[str, Any]:
    def group(service: str, amount: str) -> dict[str, Any]:
        return {"Keys": [service], "Metrics": {metric: {"Amount": amount, "Unit": "USD"}}}

    return {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-12-01", "End": "2026-12-11"},
                "Total": {},
                "Groups": [
                    group("Amazon Elastic Compute Cloud - Compute", "61.25"),
                    group("Amazon Elastic Container Service for Kubernetes", "24.00"),
                    group("Amazon Virtual Private Cloud", "9.25"),
                ],
                "Estimated": True,
            }
        ],
        "DimensionValueAttributes": [],
    }


def daily_answer(*, metric: str = "UnblendedCost") -> dict[str, Any]:
    rows = []
    for offset, amount in enumerate(DAILY_AMOUNTS):
        day = date(2026, 12, 1) + timedelta(days=offset)
        rows.append(
            {
                "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(1)).isoformat()},
                "Total": {metric: {"Amount": amount, "Unit": "USD"}},
                "Groups": [],
                "Estimated": True,
            }
        )
    return {"ResultsByTime": rows, "DimensionValueAttributes": []}
