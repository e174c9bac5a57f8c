"""What the portal's own Cost Explorer use costs a month (USD 0.01 per request; goal at most
USD 4), counted at a real moto server on 127.0.0.1 while the real refresher (aioboto3, the
database, its schedule and backoff) runs through a simulated 30-day month on a fake clock.

Scenarios: the default PORTAL_COST_REFRESH_SECONDS (21600), a 1-hour refresh as the baseline,
and the default with a share of attempts throttled (each failure retries after 60 s, doubling).
Then page views: the stored-snapshot read a page or API view makes, timed with a month of
snapshots in the table, and the AWS requests those views made (must be 0).

Run: .venv/bin/python bench/cost_explorer_spend.py [--days 30] [--throttled 0.1] [--views 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import migrations
from portal.aws.cost_explorer import open_cost_explorer
from portal.db import create_engine, create_sessionmaker
from portal.domain.cost_requests import USD_PER_REQUEST, CostScope
from portal.services.cost_refresh import CostRefresher, cost_state
from tests.support.moto_server import MotoServer, moto_server

START = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Clock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Outcome:
    name: str
    refreshes: int
    failed: int
    requests_at_server: int
    usd: float


async def simulate(
    moto: MotoServer, *, name: str, days: int, interval: int, throttled: float, directory: Path
) -> Outcome:
    moto.reset()
    url = f"sqlite+aiosqlite:///{directory / (name.replace(' ', '-') + '.db')}"
    await asyncio.to_thread(migrations.upgrade, url, "head")
    engine = create_engine(url)
    clock = Clock(START)
    chance = random.Random(15)
    refreshes = failed = 0
    try:
        async with open_cost_explorer(region="us-east-1", endpoint_url=moto.url) as explorer:
            refresher = CostRefresher(
                sessionmaker=create_sessionmaker(engine),
                explorer=explorer,
                scope=CostScope(),
                interval_seconds=interval,
                manual_interval_seconds=600,
                clock=clock.now,
            )
            while clock.at < START + timedelta(days=days):
                delay = await refresher.due_in()
                if delay > 0:
                    clock.at += timedelta(seconds=delay)
                    continue
                moto.faults.clear()
                if chance.random() < throttled:
                    moto.fail(
                        "GetCostAndUsage", status=400, code="ThrottlingException", message="x"
                    )
                snapshot = await refresher.refresh(trigger="schedule")
                refreshes += 1
                failed += 0 if snapshot.ok else 1
    finally:
        await engine.dispose()
    count = moto.aws_calls()
    return Outcome(name, refreshes, failed, count, float(count * USD_PER_REQUEST))


async def page_views(moto: MotoServer, *, views: int, directory: Path) -> tuple[float, int]:
    """Median milliseconds of the snapshot read behind a view, and AWS calls during the views."""
    url = f"sqlite+aiosqlite:///{directory / 'default-refresh.db'}"
    engine = create_engine(url)
    before = moto.aws_calls()
    timings = []
    try:
        sessionmaker = create_sessionmaker(engine)
        now = START + timedelta(days=29, hours=23)
        for _ in range(views):
            started = time.perf_counter()
            await cost_state(sessionmaker, now=now)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return statistics.median(timings), moto.aws_calls() - before


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--throttled", type=float, default=0.1)
    parser.add_argument("--views", type=int, default=1000)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true"
    )
    with tempfile.TemporaryDirectory() as tmp, moto_server() as moto:
        directory = Path(tmp)
        scenarios = [
            ("1 h refresh (baseline)", 3600, 0.0),
            (f"throttled {args.throttled:.0%}", 21600, args.throttled),
            ("default refresh", 21600, 0.0),  # last: page views read its database
        ]
        outcomes = [
            await simulate(
                moto, name=n, days=args.days, interval=i, throttled=t, directory=directory
            )
            for n, i, t in scenarios
        ]
        median_ms, view_calls = await page_views(moto, views=args.views, directory=directory)
    baseline = outcomes[0].usd
    print(f"{args.days}-day month, USD {USD_PER_REQUEST} per Cost Explorer request")
    print("| scenario | refreshes | failed | requests at moto | USD / month | vs baseline |")
    print("|---|---|---|---|---|---|")
    for o in outcomes:
        ratio = o.usd / baseline if baseline else 0
        print(
            f"| {o.name} | {o.refreshes} | {o.failed} | {o.requests_at_server} | {o.usd:.2f} "
            f"| x{ratio:.3f} |"
        )
    print(
        f"\n{args.views} page/API view reads: median {median_ms:.2f} ms each, "
        f"{view_calls} AWS requests"
    )


if __name__ == "__main__":
    asyncio.run(main())
