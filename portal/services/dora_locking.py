"""One PostgreSQL advisory lock orders DORA's writers: linking and the rollups read what other
facts are already there, so two of them in concurrent transactions would each miss the other's
uncommitted rows under READ COMMITTED. Held until the transaction ends; SQLite lets one writer in
at a time already."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# pg_advisory_xact_lock's key for "DORA facts are being linked": any 64-bit number no other
# part of the portal uses.
DORA_LOCK = 0x444F52415F4C4E4B  # "DORA_LNK"


async def dora_alone(connection: AsyncConnection) -> None:
    """Wait for DORA's lock and hold it until this transaction ends (re-entrant: a transaction
    that holds it takes it again at once). Every statement after it sees what the previous
    holder committed."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DORA_LOCK})
