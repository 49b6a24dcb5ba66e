"""slack deliveries: one row per Slack event already handled, so a re-delivery is answered once

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slackdelivery",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_slackdelivery_received_at", "slackdelivery", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_slackdelivery_received_at", table_name="slackdelivery")
    op.drop_table("slackdelivery")
