"""at most one open run per canary (a partial unique index); older open twins are closed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    # A twin left open by an earlier version is closed as superseded by the newest open run of
    # its canary, so the index can be built and no row is lost.
    op.execute(
        """
        UPDATE canary_runs SET ended_at = started_at, outcome = 'superseded',
               reason = 'closed by migration 0006: a newer run of this canary was open'
        WHERE ended_at IS NULL AND id NOT IN (
            SELECT max(id) FROM canary_runs WHERE ended_at IS NULL
            GROUP BY cluster, namespace, name
        )
        """
    )
    op.create_index(
        "ux_canary_runs_one_open",
        "canary_runs",
        ["cluster", "namespace", "name"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ux_canary_runs_one_open", table_name="canary_runs")
