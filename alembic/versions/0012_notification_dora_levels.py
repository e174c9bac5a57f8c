"""notifications: the last DORA level per service, cluster, namespace and metric (a drop is told
once, across restarts), and a rule's DORA service scope

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_dora_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column("cluster", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("namespace", sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "service", "cluster", "namespace", "metric", name="uq_notification_dora_levels_key"
        ),
    )
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=253), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_rules", schema=None) as batch_op:
        batch_op.drop_column("service")
    op.drop_table("notification_dora_levels")
