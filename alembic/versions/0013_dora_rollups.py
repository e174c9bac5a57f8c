"""DORA: daily rollups kept at ingest (counts, lead-time and recovery rank buckets), each
counted link's finish and bucket, each recovery's bucket; backfilled from the facts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from portal.services.dora_rollups import bucket_sql, rebuild_statements

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCIDENT_BUCKETS = f"""
UPDATE dora_incidents SET recovery_bucket = CASE
  WHEN resolved_epoch IS NOT NULL AND resolved_epoch >= opened_epoch
  THEN {bucket_sql("(resolved_epoch - opened_epoch)")} END
"""  # noqa: S608 (our constants and numbers only)


def upgrade() -> None:
    for name in ("dora_rollup_lead_buckets", "dora_rollup_recovery_buckets"):
        op.create_table(
            name,
            sa.Column("day", sa.Integer(), nullable=False, autoincrement=False),
            sa.Column("bucket", sa.Integer(), nullable=False, autoincrement=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "bucket"),
        )
    op.create_table(
        "dora_rollup_days",
        sa.Column("day", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("successful", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("unplanned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("dora_deployment_changes") as batch:
        batch.add_column(sa.Column("finished_epoch", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lead_bucket", sa.Integer(), nullable=True))
    with op.batch_alter_table("dora_deployments") as batch:
        batch.add_column(sa.Column("recovery_bucket", sa.Integer(), nullable=True))
    with op.batch_alter_table("dora_incidents") as batch:
        batch.add_column(sa.Column("recovery_bucket", sa.Integer(), nullable=True))
    # 0015 adds the bounds, 0016 the failures
    for statement in rebuild_statements("IS NOT NULL", bounds=False, failures=False):
        op.execute(statement)
    op.execute(INCIDENT_BUCKETS)
    with op.batch_alter_table("dora_deployment_changes") as batch:
        batch.create_index(
            "ix_dora_links_bucket", ["lead_bucket", "finished_epoch", "lead_seconds"], unique=False
        )
        batch.create_index("ix_dora_links_finished", ["finished_epoch"], unique=False)
    with op.batch_alter_table("dora_deployments") as batch:
        batch.create_index(
            "ix_dora_deployments_recovery", ["recovery_bucket", "finished_epoch"], unique=False
        )
        batch.create_index(
            "ix_dora_deployments_outcome",
            ["outcome", "finished_epoch"],
            unique=False,
            postgresql_include=[
                "source",
                "failure_cause",
                "peak_weight",
                "exposure_weight_seconds",
                "service",
            ],
        )
    with op.batch_alter_table("dora_incidents") as batch:
        batch.create_index(
            "ix_dora_incidents_bucket", ["recovery_bucket", "resolved_epoch"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dora_incidents") as batch:
        batch.drop_index("ix_dora_incidents_bucket")
        batch.drop_column("recovery_bucket")
    with op.batch_alter_table("dora_deployments") as batch:
        batch.drop_index("ix_dora_deployments_outcome")
        batch.drop_index("ix_dora_deployments_recovery")
        batch.drop_column("recovery_bucket")
    with op.batch_alter_table("dora_deployment_changes") as batch:
        batch.drop_index("ix_dora_links_finished")
        batch.drop_index("ix_dora_links_bucket")
        batch.drop_column("lead_bucket")
        batch.drop_column("finished_epoch")
    op.drop_table("dora_rollup_days")
    op.drop_table("dora_rollup_recovery_buckets")
    op.drop_table("dora_rollup_lead_buckets")
