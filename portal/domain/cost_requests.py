"""Cost Explorer requests, built in one canonical way: the same inputs always give the same
parameters in the same order, so botocore sends byte-identical bodies (Cost Explorer's answers
are cached by moto, and compared by people, by exact body).

Three requests make one refresh (COSTS.md): the month to date by service (MONTHLY, GroupBy
SERVICE; the total is the sum of the groups), the last 30 days (DAILY), and the month-end
forecast. `TimePeriod.End` is exclusive, so it is tomorrow to include today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

CostMetric = Literal["UnblendedCost", "AmortizedCost"]
FORECAST_METRICS: dict[CostMetric, str] = {
    "UnblendedCost": "UNBLENDED_COST",
    "AmortizedCost": "AMORTIZED_COST",
}
"""GetCostForecast spells its metrics in upper case."""
DAILY_DAYS = 30
PREDICTION_INTERVAL_LEVEL = 80
USD_PER_REQUEST = Decimal("0.01")
"""Cost Explorer bills every API request (each page) at USD 0.01."""


@dataclass(frozen=True, slots=True)
class CostScope:
    """What the queries cover: one metric, and optionally one cost allocation tag value."""

    metric: CostMetric = "UnblendedCost"
    tag_key: str | None = None
    tag_value: str | None = None

    def filter(self) -> dict[str, Any] | None:
        if not self.tag_key:
            return None
        return {
            "Tags": {
                "Key": self.tag_key,
                "Values": [self.tag_value or ""],
                "MatchOptions": ["EQUALS"],
            }
        }


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _period(start: date, end: date) -> dict[str, str]:
    return {"Start": start.isoformat(), "End": end.isoformat()}


def _scoped(params: dict[str, Any], scope: CostScope) -> dict[str, Any]:
    found = scope.filter()
    if found is not None:
        params["Filter"] = found
    return params


def month_by_service_request(
    *, today: date, scope: CostScope, page_token: str | None = None
) -> dict[str, Any]:
    """GetCostAndUsage: this month so far (today included), one group per service."""
    params: dict[str, Any] = {
        "TimePeriod": _period(first_of_month(today), today + timedelta(days=1)),
        "Granularity": "MONTHLY",
        "Metrics": [scope.metric],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    params = _scoped(params, scope)
    if page_token:
        params["NextPageToken"] = page_token
    return params


def daily_request(
    *, today: date, scope: CostScope, page_token: str | None = None
) -> dict[str, Any]:
    """GetCostAndUsage: the last 30 days before today, and today so far, one row per day."""
    params: dict[str, Any] = {
        "TimePeriod": _period(today - timedelta(days=DAILY_DAYS), today + timedelta(days=1)),
        "Granularity": "DAILY",
        "Metrics": [scope.metric],
    }
    params = _scoped(params, scope)
    if page_token:
        params["NextPageToken"] = page_token
    return params


def forecast_request(*, today: date, scope: CostScope) -> dict[str, Any]:
    """GetCostForecast: from today (it may not start earlier) to the end of the month."""
    params: dict[str, Any] = {
        "TimePeriod": _period(today, first_of_next_month(today)),
        "Metric": FORECAST_METRICS[scope.metric],
        "Granularity": "MONTHLY",
        "PredictionIntervalLevel": PREDICTION_INTERVAL_LEVEL,
    }
    return _scoped(params, scope)
