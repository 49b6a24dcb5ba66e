"""action state: each action's current progress in a row, backfilled from its history;
board versions: a stamp per board that changes with every write to its plan or progress

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The fold of every action's history (store/state.py keeps it in step from here on), copied
# here so this migration does not change when the code does: for each field, the id of the
# newest update that gave it, then that update's value.
BACKFILL = """
INSERT INTO actionstate
    (action_id, rag, due, completed, percent, last_update, last_note, retargets, last_update_id)
SELECT f.action_id, r.rag, d.new_due, c.completed_on, p.percent, l.created_at, n.note,
       f.retargets, f.last_id
FROM (
    SELECT action_id,
           MAX(id) AS last_id,
           MAX(CASE WHEN rag IS NOT NULL AND rag <> '' THEN id END) AS rag_id,
           MAX(CASE WHEN new_due IS NOT NULL THEN id END) AS due_id,
           COUNT(new_due) AS retargets,
           MAX(CASE WHEN completed_on IS NOT NULL THEN id END) AS completed_id,
           MAX(CASE WHEN percent IS NOT NULL THEN id END) AS percent_id,
           MAX(CASE WHEN note IS NOT NULL AND note <> '' THEN id END) AS note_id
    FROM progressupdate
    GROUP BY action_id
) AS f
JOIN progressupdate AS l ON l.id = f.last_id
LEFT JOIN progressupdate AS r ON r.id = f.rag_id
LEFT JOIN progressupdate AS d ON d.id = f.due_id
LEFT JOIN progressupdate AS c ON c.id = f.completed_id
LEFT JOIN progressupdate AS p ON p.id = f.percent_id
LEFT JOIN progressupdate AS n ON n.id = f.note_id
"""


def upgrade() -> None:
    op.create_table(
        "actionstate",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("rag", sa.String(length=8), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("completed", sa.Date(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("last_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_note", sa.String(), nullable=True),
        sa.Column("retargets", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_update_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.PrimaryKeyConstraint("action_id"),
    )
    op.execute(BACKFILL)
    op.create_table(
        "boardversion",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"]),
        sa.PrimaryKeyConstraint("board_id"),
    )
    op.execute("INSERT INTO boardversion (board_id, stamp) SELECT id, 'migrated-0009' FROM board")


def downgrade() -> None:
    op.drop_table("boardversion")
    op.drop_table("actionstate")
