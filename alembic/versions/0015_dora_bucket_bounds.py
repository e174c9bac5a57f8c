"""DORA: each rollup bucket's smallest and largest value and how many values equal each (lead
times and recoveries), so a percentile among those copies, or in a bucket of one or two distinct
values, needs no look-up; recomputed from the facts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portal.services.dora_locking import DORA_LOCK
from portal.services.dora_rollups import rollup_statements

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("dora_rollup_lead_buckets", "dora_rollup_recovery_buckets")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # DORA's writers recompute their days under this lock (dora_locking.py): taken first,
        # an ingest under way finishes before the tables change, and a later one waits, then
        # recomputes its days with the bounds. Nullable: a replica still on the previous
        # version writes rows without them, which the reads then look up in full.
        op.execute(f"SELECT pg_advisory_xact_lock({DORA_LOCK})")
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("low", sa.Float(), nullable=True))
            batch.add_column(sa.Column("low_count", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("high", sa.Float(), nullable=True))
            batch.add_column(sa.Column("high_count", sa.Integer(), nullable=True))
    histograms = [
        statement
        for statement in rollup_statements("IS NOT NULL", failures=False)
        if "dora_rollup_days" not in statement
    ]
    for statement in histograms:
        op.execute(statement)


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("high_count")
            batch.drop_column("high")
            batch.drop_column("low_count")
            batch.drop_column("low")
