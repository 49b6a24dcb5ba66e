"""an index on progress updates by action and time, for reading a window of updates

"What changed since …", App Home's recent updates and the digests find a board's updates in a
window through it: one short range per action, instead of every update of the board's actions
(or every board's updates in the window). Creating an index changes no row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_progressupdate_action_id_created_at",
        "progressupdate",
        ["action_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_progressupdate_action_id_created_at", table_name="progressupdate")
