"""DORA: a deployment's recovery (follows a failure, seconds since the streak began) is kept on
its row at ingest instead of looked back at query time; incidents indexed by deployment

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE dora_deployments AS d SET follows_failure = COALESCE(d.outcome = 'success' AND (
    SELECT p.outcome FROM dora_deployments p
    WHERE p.service = d.service AND p.environment = d.environment
    AND p.cluster = d.cluster AND p.namespace = d.namespace AND p.finished_epoch < d.finished_epoch
    ORDER BY p.finished_epoch DESC LIMIT 1) = 'failed', 0 = 1)
"""
BACKFILL_SECONDS = """
UPDATE dora_deployments AS d SET recovery_seconds = d.finished_epoch - (
    SELECT min(p.finished_epoch) FROM dora_deployments p
    WHERE p.service = d.service AND p.environment = d.environment
    AND p.cluster = d.cluster AND p.namespace = d.namespace
      AND p.outcome = 'failed' AND p.finished_epoch < d.finished_epoch
      AND p.finished_epoch > coalesce((
        SELECT max(q.finished_epoch) FROM dora_deployments q
        WHERE q.service = d.service AND q.environment = d.environment
          AND q.cluster = d.cluster AND q.namespace = d.namespace
          AND q.outcome = 'success' AND q.finished_epoch < d.finished_epoch), -1))
WHERE d.follows_failure
"""


def upgrade() -> None:
    with op.batch_alter_table("dora_deployments") as batch:
        batch.add_column(
            sa.Column("follows_failure", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("recovery_seconds", sa.Float(), nullable=True))
    with op.batch_alter_table("dora_incidents") as batch:
        batch.create_index("ix_dora_incidents_deployment", ["deployment_id"], unique=False)
    op.execute(BACKFILL)
    op.execute(BACKFILL_SECONDS)


def downgrade() -> None:
    with op.batch_alter_table("dora_incidents") as batch:
        batch.drop_index("ix_dora_incidents_deployment")
    with op.batch_alter_table("dora_deployments") as batch:
        batch.drop_column("recovery_seconds")
        batch.drop_column("follows_failure")
