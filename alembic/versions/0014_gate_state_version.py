"""gate state version: one row, bumped by triggers whenever gate openings or freezes change, so
each replica's gate book knows (with one cheap read) when to reload them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("gate_openings", "freezes")
EVENTS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE gate_state_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "gate_state_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("id = 1", name="ck_gate_state_version_one_row"),
    )
    op.execute("INSERT INTO gate_state_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _postgres_triggers() -> None:
    op.execute(
        "CREATE FUNCTION bump_gate_state_version() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bump_gate_state AFTER INSERT OR UPDATE OR DELETE OR "
            f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_gate_state_version()"
        )


def _sqlite_triggers() -> None:
    for table in TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_bump_gate_state_{event.lower()} AFTER {event} ON "
                f"{table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_bump_gate_state ON {table}")
        op.execute("DROP FUNCTION bump_gate_state_version()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER {table}_bump_gate_state_{event.lower()}")
    op.drop_table("gate_state_version")
