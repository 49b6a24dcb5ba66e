"""channel links: board-level channel, sub-group update posting

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_channel_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("subgroup", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("post_updates", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subgroup", schema=None) as batch_op:
        batch_op.drop_column("post_updates")
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_column("slack_channel_id")
