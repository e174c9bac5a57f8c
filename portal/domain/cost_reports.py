"""What Cost Explorer's answers mean: month to date, daily spend, spend by service, and the
month-end forecast, either Cost Explorer's own or the portal's run-rate projection.

Pure: it reads the response dictionaries botocore returns and never calls anything. Amounts are
Decimals (Cost Explorer sends strings); the JSON view rounds them to cents.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

ForecastMethod = Literal["cost_explorer", "projection"]
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DailyCost:
    day: date
    amount: Decimal
    estimated: bool


@dataclass(frozen=True, slots=True)
class ServiceCost:
    service: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    """The month-end figure (the whole month), how it was made, and its interval."""

    amount: Decimal
    method: ForecastMethod
    lower: Decimal | None
    upper: Decimal | None
    note: str


@dataclass(frozen=True, slots=True)
class MonthToDate:
    amount: Decimal
    currency: str
    estimated: bool
    by_service: tuple[ServiceCost, ...]


def _amount(metrics: dict[str, Any], metric: str) -> tuple[Decimal, str | None]:
    found = metrics.get(metric) or {}
    return Decimal(str(found.get("Amount") or "0")), found.get("Unit")


def month_to_date(pages: list[dict[str, Any]], *, metric: str) -> MonthToDate:
    """Sum the SERVICE groups of every page of a MONTHLY GetCostAndUsage answer; services
    sorted by amount, largest first (ties by name)."""
    totals: dict[str, Decimal] = {}
    currency: str | None = None
    estimated = False
    for page in pages:
        for result in page.get("ResultsByTime") or []:
            estimated = estimated or bool(result.get("Estimated"))
            for group in result.get("Groups") or []:
                amount, unit = _amount(group.get("Metrics") or {}, metric)
                service = " ".join(group.get("Keys") or ["(unknown)"])
                totals[service] = totals.get(service, ZERO) + amount
                currency = currency or unit
            if not result.get("Groups"):
                amount, unit = _amount(result.get("Total") or {}, metric)
                if amount:
                    totals["(total)"] = totals.get("(total)", ZERO) + amount
                currency = currency or unit
    services = tuple(
        ServiceCost(service=name, amount=amount)
        for name, amount in sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    )
    return MonthToDate(
        amount=sum((s.amount for s in services), ZERO),
        currency=currency or "USD",
        estimated=estimated,
        by_service=services,
    )


def daily_costs(pages: list[dict[str, Any]], *, metric: str) -> tuple[DailyCost, ...]:
    """One row per day of a DAILY GetCostAndUsage answer, oldest first."""
    days: dict[date, DailyCost] = {}
    for page in pages:
        for result in page.get("ResultsByTime") or []:
            day = date.fromisoformat(result["TimePeriod"]["Start"])
            amount, _ = _amount(result.get("Total") or {}, metric)
            days[day] = DailyCost(day=day, amount=amount, estimated=bool(result.get("Estimated")))
    return tuple(days[day] for day in sorted(days))


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _complete_days_of_month(daily: tuple[DailyCost, ...], today: date) -> list[DailyCost]:
    return [
        d for d in daily if d.day < today and (d.day.year, d.day.month) == (today.year, today.month)
    ]


def forecast_from_cost_explorer(
    answer: dict[str, Any], *, daily: tuple[DailyCost, ...], today: date
) -> Forecast:
    """GetCostForecast covers today to the month's end; the complete days before today (from
    the daily series) are added, so the figure is the whole month's."""
    spent = sum((d.amount for d in _complete_days_of_month(daily, today)), ZERO)
    total = answer.get("Total") or {}
    amount = spent + Decimal(str(total.get("Amount") or "0"))
    lower = upper = None
    results = answer.get("ForecastResultsByTime") or []
    if results:
        lower = spent + sum(
            (Decimal(str(r.get("PredictionIntervalLowerBound") or "0")) for r in results), ZERO
        )
        upper = spent + sum(
            (Decimal(str(r.get("PredictionIntervalUpperBound") or "0")) for r in results), ZERO
        )
    return Forecast(
        amount=amount,
        method="cost_explorer",
        lower=lower,
        upper=upper,
        note="Cost Explorer GetCostForecast for today to month end, plus the complete days spent",
    )


def projected_month_end(
    daily: tuple[DailyCost, ...], *, today: date, reason: str
) -> Forecast | None:
    """The portal's own projection: the run rate of this month's complete days (today is still
    being billed) over the whole month; the interval spans the cheapest and dearest day seen.

    On the first of a month there is no complete day yet; the last 30 days' complete days
    give the rate. None when there is no complete day at all."""
    complete = _complete_days_of_month(daily, today)
    spent = sum((d.amount for d in complete), ZERO)
    basis = complete or [d for d in daily if d.day < today]
    if not basis:
        return None
    rate = sum((d.amount for d in basis), ZERO) / len(basis)
    remaining = days_in_month(today) - len(complete)
    low = min(d.amount for d in basis)
    high = max(d.amount for d in basis)
    return Forecast(
        amount=spent + rate * remaining,
        method="projection",
        lower=spent + low * remaining,
        upper=spent + high * remaining,
        note=f"run rate of {len(basis)} complete day(s) over the month ({reason})",
    )


@dataclass(frozen=True, slots=True)
class CostReport:
    """One refresh's figures, as stored in a snapshot."""

    today: date
    metric: str
    month: MonthToDate
    daily: tuple[DailyCost, ...]
    forecast: Forecast | None

    def to_json(self) -> dict[str, Any]:
        forecast = self.forecast
        return {
            "today": self.today.isoformat(),
            "metric": self.metric,
            "currency": self.month.currency,
            "month_to_date": str(self.month.amount),
            "estimated": self.month.estimated,
            "by_service": [[s.service, str(s.amount)] for s in self.month.by_service],
            "daily": [[d.day.isoformat(), str(d.amount), d.estimated] for d in self.daily],
            "forecast": None
            if forecast is None
            else {
                "amount": str(forecast.amount),
                "method": forecast.method,
                "lower": None if forecast.lower is None else str(forecast.lower),
                "upper": None if forecast.upper is None else str(forecast.upper),
                "note": forecast.note,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CostReport:
        found = data.get("forecast")
        forecast = (
            None
            if found is None
            else Forecast(
                amount=Decimal(found["amount"]),
                method=found["method"],
                lower=None if found["lower"] is None else Decimal(found["lower"]),
                upper=None if found["upper"] is None else Decimal(found["upper"]),
                note=found["note"],
            )
        )
        return cls(
            today=date.fromisoformat(data["today"]),
            metric=data["metric"],
            month=MonthToDate(
                amount=Decimal(data["month_to_date"]),
                currency=data["currency"],
                estimated=bool(data["estimated"]),
                by_service=tuple(
                    ServiceCost(service=name, amount=Decimal(amount))
                    for name, amount in data["by_service"]
                ),
            ),
            daily=tuple(
                DailyCost(day=date.fromisoformat(day), amount=Decimal(amount), estimated=bool(est))
                for day, amount, est in data["daily"]
            ),
            forecast=forecast,
        )
