"""`UtcDateTime`: a timestamp column that always comes back as an aware UTC datetime.

PostgreSQL's `timestamptz` returns aware datetimes; SQLite has no time zone type and returns
naive ones, which serialise without an offset ("2026-12-02T10:00:00") and so are not the
`date-time` the OpenAPI schema promises (RFC 3339 requires the offset). This type stores every
value in UTC (a naive one is taken to be UTC already) and reads every value back as UTC, on
both databases alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that binds and returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)
