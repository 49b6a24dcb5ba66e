"""digests: schedule per board, nudge settings per person, digest runs for exactly-once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_weekday", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("digest_time", sa.String(length=5), nullable=False, server_default="09:00")
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("nudges_off", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "digestrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "target", "period"),
    )
    with op.batch_alter_table("digestrun", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digestrun_board_id"), ["board_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digestrun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digestrun_board_id"))
    op.drop_table("digestrun")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("nudges_off")
        batch_op.drop_column("away_until")
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_column("digest_time")
        batch_op.drop_column("digest_weekday")
