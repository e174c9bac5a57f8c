"""`portal demo`'s Cost Explorer: a moto server on 127.0.0.1 with canned answers for a small
demo account, so the cost page shows a month of spend from the first minute.

moto implements GetCostAndUsage only, empty unless results are queued; each new distinct
request body takes the next queued result (moto's /moto-api/static/ce/cost-and-usage-results),
so the answers are queued in the order the portal asks: the month by service, then the daily
series. GetCostForecast is not implemented there, so the demo shows the portal's own projection.
The figures are for today's requests: a demo left running past midnight UTC gets empty answers.

    python -m portal.demo_costs URL

queues the same answers on a moto server already running at URL (docker-compose.yml's portal
does it before it serves, so its first Cost Explorer refresh finds them).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from portal.demo_processes import supervised
from portal.domain.cost_requests import DAILY_DAYS, first_of_month

STARTUP_SECONDS = 20.0
DEMO_SERVICES = (
    ("Amazon Elastic Compute Cloud - Compute", Decimal("0.52")),
    ("Amazon Elastic Container Service for Kubernetes", Decimal("0.18")),
    ("EC2 - Other", Decimal("0.12")),
    ("Amazon Virtual Private Cloud", Decimal("0.08")),
    ("Amazon Elastic Load Balancing", Decimal("0.06")),
    ("AmazonCloudWatch", Decimal("0.04")),
)
"""The demo account's spend by service, as fractions of each day's total."""
INSTALL_HINT = "no moto_server beside {python}: the cost page shows no Cost Explorer figures"


def demo_day_amount(day: date, *, today: date) -> Decimal:
    """A weekday costs more than a weekend day; today is still being billed (40% so far)."""
    base = Decimal("9.80") if day.weekday() >= 5 else Decimal("14.20")
    amount = base + Decimal("0.35") * (day.day % 5)
    return (amount * Decimal("0.4")).quantize(Decimal("0.01")) if day == today else amount


def demo_answers(today: date, *, metric: str = "UnblendedCost") -> list[dict[str, Any]]:
    """[month by service, daily] GetCostAndUsage answers for requests made on `today`."""
    start = today - timedelta(days=DAILY_DAYS)
    days = [start + timedelta(days=i) for i in range(DAILY_DAYS + 1)]
    daily = [
        {
            "TimePeriod": {"Start": d.isoformat(), "End": (d + timedelta(days=1)).isoformat()},
            "Total": {metric: {"Amount": str(demo_day_amount(d, today=today)), "Unit": "USD"}},
            "Groups": [],
            "Estimated": True,
        }
        for d in days
    ]
    month_total = sum(
        (demo_day_amount(d, today=today) for d in days if d >= first_of_month(today)), Decimal(0)
    )
    groups = [
        {
            "Keys": [service],
            "Metrics": {
                metric: {
                    "Amount": str((month_total * share).quantize(Decimal("0.01"))),
                    "Unit": "USD",
                }
            },
        }
        for service, share in DEMO_SERVICES
    ]
    month = {
        "TimePeriod": {
            "Start": first_of_month(today).isoformat(),
            "End": (today + timedelta(days=1)).isoformat(),
        },
        "Total": {},
        "Groups": groups,
        "Estimated": True,
    }
    return [
        {"ResultsByTime": [month], "DimensionValueAttributes": []},
        {"ResultsByTime": daily, "DimensionValueAttributes": []},
    ]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def queue_answers(url: str, answers: list[dict[str, Any]]) -> None:
    response = httpx.post(
        f"{url}/moto-api/static/ce/cost-and-usage-results", json={"results": answers}, timeout=10
    )
    response.raise_for_status()


@contextmanager
def running_moto(
    *, port: int, today: date, preexec_fn: Callable[[], None] | None = None
) -> Iterator[str | None]:
    """A moto server on 127.0.0.1:`port` with the demo's answers queued; None (after saying
    why) when moto's server is not installed."""
    binary = Path(sys.executable).with_name("moto_server")
    if not binary.is_file():
        sys.stderr.write(INSTALL_HINT.format(python=sys.executable) + "\n")
        yield None
        return
    process = subprocess.Popen(  # noqa: S603 - moto's own console script
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - runs before any thread starts
    )
    url = f"http://127.0.0.1:{port}"
    with supervised(
        process, name=f"moto_server on {url}", ready=lambda: _answers(port), within=STARTUP_SECONDS
    ):
        queue_answers(url, demo_answers(today))
        yield url


def seed(url: str, *, today: date, wait_seconds: float = STARTUP_SECONDS) -> None:
    """Queue the demo's answers on the moto server at `url`, waiting up to `wait_seconds` for
    it to answer."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            queue_answers(url, demo_answers(today))
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.demo_costs",
        description="Queue the demo's Cost Explorer answers (for today, UTC) on a moto server.",
    )
    parser.add_argument("url", help="the moto server, e.g. http://moto:5000")
    parser.add_argument(
        "--wait", type=float, default=STARTUP_SECONDS, help="seconds to wait for it to answer"
    )
    args = parser.parse_args(argv)
    try:
        seed(args.url.rstrip("/"), today=datetime.now(UTC).date(), wait_seconds=args.wait)
    except httpx.HTTPError as error:
        sys.stderr.write(f"demo_costs: {args.url}: {error}\n")
        return 1
    sys.stdout.write(f"demo_costs: queued the demo's Cost Explorer answers on {args.url}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
