"""A background loop's failed rounds: a database outage is one line a minute with the cause,
never a traceback per round; other errors keep their traceback."""

from __future__ import annotations

import sqlite3

import structlog
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from portal.services.loop_failures import LoopFailures


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused() -> OperationalError:
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        except ConnectionRefusedError as inner:
            raise OperationalError("SELECT 1", {}, sqlite3.OperationalError(str(inner))) from inner
    except OperationalError as error:
        return error


def test_a_database_outage_is_one_line_a_minute_with_the_cause_and_the_quiet_count() -> None:
    clock = Clock()
    failures = LoopFailures(structlog.get_logger("test"), "history purge failed", clock=clock)
    with capture_logs() as logs:
        written = []
        for _ in range(5):
            written.append(failures.report(refused()))
            clock.now += 20
    assert written == [True, False, False, True, False]
    assert logs == [
        {
            "event": "history purge failed",
            "log_level": "warning",
            "cause": "database unreachable",
            "error": "ConnectionRefusedError",
            "failed_quietly_since": 0,
        },
        {
            "event": "history purge failed",
            "log_level": "warning",
            "cause": "database unreachable",
            "error": "ConnectionRefusedError",
            "failed_quietly_since": 2,
        },
    ]
    assert failures.suppressed == 1


def test_another_error_is_logged_every_time_with_its_traceback() -> None:
    failures = LoopFailures(structlog.get_logger("test"), "DORA gauges not refreshed")
    error = ValueError("bad row")
    with capture_logs() as logs:
        assert failures.report(error) is True
        assert failures.report(error) is True
    assert [(line["log_level"], line["exc_info"]) for line in logs] == [
        ("error", error),
        ("error", error),
    ]
