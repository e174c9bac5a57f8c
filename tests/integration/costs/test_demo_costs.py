"""`portal demo`'s Cost Explorer: moto's own server as a child process, the demo figures queued,
and the portal's adapter reading them through aioboto3."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.aws.cost_explorer import open_cost_explorer
from portal.demo_costs import DEMO_SERVICES, main, running_moto, seed
from portal.domain.cost_requests import CostScope
from tests.support.moto_server import MotoServer
from tests.support.servers import free_port

TODAY = date(2026, 12, 10)  # a Thursday; December 5 and 6 are the weekend


async def test_the_demo_account_spends_what_the_page_shows(moto: MotoServer) -> None:
    """`moto` only sets moto-only credentials here; the demo runs its own server."""
    with running_moto(port=free_port(), today=TODAY) as url:
        assert url is not None
        async with open_cost_explorer(region="us-east-1", endpoint_url=url) as explorer:
            report = await explorer.report(today=TODAY, scope=CostScope())
    # Dec 1-9: 14.55 14.90 15.25 15.60 9.80 10.15 14.90 15.25 15.60 (126.00); today 40% of 14.20
    assert [str(d.amount) for d in report.daily[-10:]] == [
        "14.55", "14.90", "15.25", "15.60", "9.80", "10.15", "14.90", "15.25", "15.60", "5.68",
    ]  # fmt: skip
    assert len(report.daily) == 31
    # 131.68 split 52/18/12/8/6/4 %, each rounded to cents
    assert [str(s.amount) for s in report.month.by_service] == [
        "68.47", "23.70", "15.80", "10.53", "7.90", "5.27",
    ]  # fmt: skip
    assert report.month.amount == Decimal("131.67")
    forecast = report.forecast
    assert forecast is not None
    # 126.00 over 9 complete days = 14 a day, 22 days left; cheapest 9.80, dearest 15.60
    assert (forecast.method, forecast.amount, forecast.lower, forecast.upper) == (
        "projection",
        Decimal("434.00"),
        Decimal("341.60"),
        Decimal("469.20"),
    )


async def test_seeding_a_running_moto_gives_the_portal_the_demo_figures(moto: MotoServer) -> None:
    """docker-compose.yml's portal seeds the stack's moto this way before it serves."""
    seed(moto.url, today=TODAY)
    async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
        report = await explorer.report(today=TODAY, scope=CostScope())
    assert report.month.amount == Decimal("131.67")
    assert [s.service for s in report.month.by_service] == [name for name, _ in DEMO_SERVICES]
    assert str(report.daily[-1].amount) == "5.68"


def test_seeding_fails_with_the_reason_when_nothing_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main([url, "--wait", "0"]) == 1
    assert capsys.readouterr().err.startswith(f"demo_costs: {url}: ")
