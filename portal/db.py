"""Database engine and sessions: async SQLModel on SQLite (WAL, foreign keys) or PostgreSQL.

The engine is built by the composition root from settings; nothing is created at import time.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionMaker = async_sessionmaker[AsyncSession]
SQLITE_BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite writer waits for another's lock (the driver's timeout says the same)."""
CONNECT_TIMEOUT_SECONDS = 5
"""How long opening a PostgreSQL connection may take before the database counts as down."""
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
"""SQLAlchemy's errors for a database it could not use (locked, down, pool exhausted)."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _connect_or_operational_error(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """`do_connect`: a refused or timed-out connect (asyncpg raises OSError / TimeoutError,
    which SQLAlchemy passes on unwrapped) becomes the driver's OperationalError, so callers see
    one family of "database unavailable" errors."""
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as error:
        dbapi = dialect.loaded_dbapi
        raise dbapi.OperationalError(f"{type(error).__name__}: {error}") from error


def unavailable_cause(error: BaseException) -> str | None:
    """A short reason when `error` says the database could not be used, else None."""
    if isinstance(error, PoolTimeout):
        return "no free database connection (pool exhausted)"
    if not isinstance(error, OperationalError | InterfaceError):
        return None
    text = str(error.orig if isinstance(error, DBAPIError) and error.orig else error).lower()
    if "locked" in text or "busy" in text:
        return "database locked by another writer"
    if isinstance(_root(error), ConnectionRefusedError | TimeoutError | socket.gaierror):
        return "database unreachable"
    if "refused" in text or "timeout" in text or "cannot connect" in text:
        return "database unreachable"
    return "database connection lost"


def _root(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def root_cause_name(error: BaseException) -> str:
    """The innermost cause's type (`ConnectionRefusedError` under SQLAlchemy's wrapping)."""
    return type(_root(error)).__name__


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """A PostgreSQL engine's pool (SQLite's is SQLAlchemy's own, one file, no server)."""

    size: int = 10
    overflow: int = 20
    timeout_seconds: float = 5.0


def create_engine(url: str, *, echo: bool = False, pool: PoolLimits = PoolLimits()) -> AsyncEngine:
    """An async engine; for SQLite the file's directory is created and WAL + FKs are on."""
    if is_sqlite(url):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool.size,
        max_overflow=pool.overflow,
        pool_timeout=pool.timeout_seconds,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS, "command_timeout": 30},
    )
    event.listen(engine.sync_engine, "do_connect", _connect_or_operational_error)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
