"""DORA: the failures rolled up per day by canary rollback and peak weight (count, highest
peak weight, summed exposure), so the caught/reached split reads days, not failures; backfilled
from the facts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portal.services.dora_locking import DORA_LOCK
from portal.services.dora_rollups import failure_statements

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # DORA's writers recompute their days under this lock (dora_locking.py): taken first, an
        # ingest under way finishes before the backfill reads the facts, and a later one waits,
        # then recomputes its days into the new table too.
        op.execute(f"SELECT pg_advisory_xact_lock({DORA_LOCK})")
    op.create_table(
        "dora_rollup_failures",
        sa.Column("day", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("canary", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("weight", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("peak", sa.Integer(), nullable=True),
        sa.Column("exposure", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("day", "canary", "weight"),
    )
    for statement in failure_statements("IS NOT NULL"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("dora_rollup_failures")
