"""The Cost Explorer adapter through the real aioboto3 path against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import pytest

from portal.aws.cost_explorer import CostExplorerUnavailable, open_cost_explorer
from portal.domain.cost_requests import CostScope, daily_request, month_by_service_request
from tests.integration.costs.figures import TODAY, daily_answer, month_answer
from tests.support.moto_server import MotoServer


async def test_report_sums_services_and_projects_when_forecast_is_not_implemented(
    moto: MotoServer,
) -> None:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        report = await explorer.report(today=TODAY, scope=CostScope())
        assert explorer.requests_sent == 3
    assert moto.calls == {"GetCostAndUsage": 2, "GetCostForecast": 1}
    assert report.month.amount == Decimal("94.50")
    assert report.month.currency == "USD"
    assert report.month.estimated is True
    assert [(s.service, s.amount) for s in report.month.by_service] == [
        ("Amazon Elastic Compute Cloud - Compute", Decimal("61.25")),
        ("Amazon Elastic Container Service for Kubernetes", Decimal("24.00")),
        ("Amazon Virtual Private Cloud", Decimal("9.25")),
    ]
    assert [str(d.amount) for d in report.daily] == ["8", "12", "10", "10", "10", "10", "10",
                                                     "10", "10", "4.5"]  # fmt: skip
    forecast = report.forecast
    assert forecast is not None
    # 9 complete days spent 90 (10 a day, 8 the cheapest, 12 the dearest); 22 days remain.
    assert (forecast.method, forecast.amount, forecast.lower, forecast.upper) == (
        "projection",
        Decimal(310),
        Decimal(266),
        Decimal(354),
    )
    assert "GetCostForecast failed" in forecast.note


async def test_cost_explorer_forecast_is_used_when_it_answers(moto: MotoServer) -> None:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    moto.answer(
        "GetCostForecast",
        {
            "Total": {"Amount": "250.5", "Unit": "USD"},
            "ForecastResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-12-10", "End": "2027-01-01"},
                    "MeanValue": "250.5",
                    "PredictionIntervalLowerBound": "200",
                    "PredictionIntervalUpperBound": "300.25",
                }
            ],
        },
    )
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        report = await explorer.report(today=TODAY, scope=CostScope())
    forecast = report.forecast
    assert forecast is not None
    assert (forecast.method, forecast.amount, forecast.lower, forecast.upper) == (
        "cost_explorer",
        Decimal("340.5"),
        Decimal(290),
        Decimal("390.25"),
    )


async def test_the_same_inputs_send_byte_identical_requests(moto: MotoServer) -> None:
    """moto hands out queued answers by exact request body: a second refresh on the same day
    and scope gets the same answers, and a different scope a different one."""
    scope = CostScope(metric="AmortizedCost", tag_key="aws:eks:cluster-name", tag_value="prod")
    again = CostScope(metric="AmortizedCost", tag_key="aws:eks:cluster-name", tag_value="prod")
    assert json.dumps(month_by_service_request(today=TODAY, scope=scope)) == json.dumps(
        month_by_service_request(today=TODAY, scope=again)
    )
    moto.queue_cost_and_usage(
        [month_answer(metric="AmortizedCost"), daily_answer(metric="AmortizedCost")]
    )
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        first = await explorer.report(today=TODAY, scope=scope)
        second = await explorer.report(today=TODAY, scope=scope)
        unscoped = await explorer.report(today=TODAY, scope=CostScope(metric="AmortizedCost"))
    assert first == second
    assert first.month.amount == Decimal("94.50")
    assert unscoped.month.amount == Decimal(0)
    assert unscoped.forecast is None


def test_requests_carry_the_tag_filter_and_metric() -> None:
    scope = CostScope(metric="AmortizedCost", tag_key="project", tag_value="infra-fleet")
    assert daily_request(today=TODAY, scope=scope) == {
        "TimePeriod": {"Start": "2026-11-10", "End": "2026-12-11"},
        "Granularity": "DAILY",
        "Metrics": ["AmortizedCost"],
        "Filter": {
            "Tags": {"Key": "project", "Values": ["infra-fleet"], "MatchOptions": ["EQUALS"]}
        },
    }


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "AccessDeniedException", "access denied (AccessDeniedException): not allowed"),
        (400, "ThrottlingException", "throttled (ThrottlingException): not allowed"),
    ],
)
async def test_failures_name_their_cause(
    moto: MotoServer, status: int, code: str, expected: str
) -> None:
    moto.fail("GetCostAndUsage", status=status, code=code, message="not allowed")
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        with pytest.raises(CostExplorerUnavailable) as raised:
            await explorer.report(today=TODAY, scope=CostScope())
        assert explorer.requests_sent == 1
    assert raised.value.reason == expected
    assert moto.calls == {"GetCostAndUsage": 1}


async def test_an_unreachable_endpoint_is_named(moto: MotoServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with open_cost_explorer(region="us-east-1", endpoint_url=closed) as explorer:
        with pytest.raises(CostExplorerUnavailable) as raised:
            await explorer.report(today=TODAY, scope=CostScope())
    assert raised.value.reason.startswith("endpoint unreachable: Could not connect to the endpoint")


async def test_a_runaway_page_chain_stops_at_twenty_billed_pages(moto: MotoServer) -> None:
    moto.answer("GetCostAndUsage", {"ResultsByTime": [], "NextPageToken": "again"})
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        report = await explorer.report(today=TODAY, scope=CostScope())
        assert explorer.requests_sent == 41
    assert moto.calls == {"GetCostAndUsage": 40, "GetCostForecast": 1}
    assert report.month.amount == Decimal(0)
