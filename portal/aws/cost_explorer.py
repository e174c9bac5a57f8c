"""Cost Explorer through aioboto3: one long-lived client for the app's life, the three queries
of a refresh, and every failure turned into a short reason the page can show.

Credentials come from the default chain (EKS Pod Identity in production, AWS_* variables for a
moto server in tests and the demo). botocore does not retry: each attempt is billed (USD 0.01)
and counted here, and the refresh loop backs off on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from portal.domain.cost_reports import (
    CostReport,
    daily_costs,
    forecast_from_cost_explorer,
    month_to_date,
    projected_month_end,
)
from portal.domain.cost_requests import (
    CostScope,
    daily_request,
    forecast_request,
    month_by_service_request,
)

MAX_PAGES = 20
"""A runaway NextPageToken chain stops here (each page is a billed request)."""
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_THROTTLED = {"ThrottlingException", "LimitExceededException", "TooManyRequestsException"}


class CostExplorerUnavailable(Exception):
    """A query failed; `reason` is short, safe to show, and names the cause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe_failure(error: Exception) -> str:
    """A one-line reason for a failed Cost Explorer call (no secrets, no HTML bodies)."""
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return f"no AWS credentials: {error}"
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "")
        message = str(error.response.get("Error", {}).get("Message") or "")
        if code in _DENIED:
            return f"access denied ({code}): {message[:300]}"
        if code in _THROTTLED:
            return f"throttled ({code}): {message[:300]}"
        if message.lstrip().startswith("<"):
            message = "(HTML error page)"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{code or 'error'} (HTTP {status}): {message[:300]}"
    if isinstance(error, ConnectionError):
        return f"endpoint unreachable: {error}"
    return f"{type(error).__name__}: {error}"


@dataclass(slots=True)
class CostExplorer:
    """The open client and how many requests it has sent (every attempt, failed ones too)."""

    client: Any
    requests_sent: int = 0

    def _count(self, **_: Any) -> None:
        self.requests_sent += 1

    async def _pages(self, build: Any, *, today: date, scope: CostScope) -> list[dict[str, Any]]:
        pages: list[dict[str, Any]] = []
        token: str | None = None
        while len(pages) < MAX_PAGES:
            page = await self.client.get_cost_and_usage(
                **build(today=today, scope=scope, page_token=token)
            )
            pages.append(page)
            token = page.get("NextPageToken")
            if not token:
                break
        return pages

    async def report(self, *, today: date, scope: CostScope) -> CostReport:
        """The month by service, the daily series and the month-end forecast; a failed forecast
        falls back to the portal's projection, any other failure raises CostExplorerUnavailable."""
        try:
            month_pages = await self._pages(month_by_service_request, today=today, scope=scope)
            daily_pages = await self._pages(daily_request, today=today, scope=scope)
        except (BotoCoreError, ClientError) as error:
            raise CostExplorerUnavailable(describe_failure(error)) from error
        daily = daily_costs(daily_pages, metric=scope.metric)
        try:
            answer = await self.client.get_cost_forecast(
                **forecast_request(today=today, scope=scope)
            )
        except (BotoCoreError, ClientError) as error:
            forecast = projected_month_end(
                daily, today=today, reason="GetCostForecast failed: " + describe_failure(error)
            )
        else:
            if (answer.get("Total") or {}).get("Amount") is None:
                forecast = projected_month_end(
                    daily, today=today, reason="GetCostForecast answered without a total"
                )
            else:
                forecast = forecast_from_cost_explorer(answer, daily=daily, today=today)
        return CostReport(
            today=today,
            metric=scope.metric,
            month=month_to_date(month_pages, metric=scope.metric),
            daily=daily,
            forecast=forecast,
        )


def client_config(timeout_seconds: float) -> Config:
    """How every portal AWS client calls: one attempt (each billed request counted, the refresh
    loop does the retrying), connect within 10 s, answer within `timeout_seconds`."""
    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=min(timeout_seconds, 10.0),
        read_timeout=timeout_seconds,
    )


@asynccontextmanager
async def open_cost_explorer(
    *, region: str, endpoint_url: str | None, timeout_seconds: float = 30.0
) -> AsyncIterator[CostExplorer]:
    """One session and one `ce` client, closed on exit."""
    session = aioboto3.Session()
    config = client_config(timeout_seconds)
    async with session.client(
        "ce", region_name=region, endpoint_url=endpoint_url, config=config
    ) as client:
        explorer = CostExplorer(client=client)
        client.meta.events.register("before-send.ce", explorer._count)
        yield explorer
