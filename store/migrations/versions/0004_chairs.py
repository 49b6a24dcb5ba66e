"""sub-group chairs: a member may be marked as the sub-group's chair

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("personsubgroup", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_chair", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("personsubgroup", schema=None) as batch_op:
        batch_op.drop_column("is_chair")
