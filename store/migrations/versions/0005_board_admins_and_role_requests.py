"""per-board admins and role requests: admin rights belong to one board; /lscb iam is a request

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Before this revision `person.is_admin` was one global flag, set both by `/lscb admin` (which
audited a `person.admin_granted` event naming the board) and silently for every id in
ADMIN_USER_IDS. Only the audited grants are explicit, so only they become `boardadmin` rows,
on the board the grant was made for (else the person's own board). Flags with no audited
grant came from ADMIN_USER_IDS, which is now read from the configuration on every request
and never stored. The `is_admin` column is left as it was, so no recorded value is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_person = sa.table(
    "person",
    sa.column("id", sa.Integer()),
    sa.column("slack_user_id", sa.String()),
    sa.column("board_id", sa.Integer()),
    sa.column("is_admin", sa.Boolean()),
)
_audit = sa.table(
    "auditevent",
    sa.column("id", sa.Integer()),
    sa.column("board_id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("event", sa.String()),
    sa.column("entity_ref", sa.String()),
)
_board_admin = sa.table(
    "boardadmin",
    sa.column("person_id", sa.Integer()),
    sa.column("board_id", sa.Integer()),
    sa.column("granted_by", sa.String()),
    sa.column("granted_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "boardadmin",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id", "board_id"),
    )
    with op.batch_alter_table("boardadmin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boardadmin_board_id"), ["board_id"], unique=False)
    op.create_table(
        "rolerequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("subgroup_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["subgroup_id"], ["subgroup.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rolerequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rolerequest_board_id"), ["board_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rolerequest_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rolerequest_status"), ["status"], unique=False)
    _copy_audited_grants()


def _copy_audited_grants() -> None:
    """One boardadmin row per explicit, audited grant (the first one for each board)."""
    conn = op.get_bind()
    grants = conn.execute(
        sa.select(
            _person.c.id,
            _person.c.board_id,
            _audit.c.board_id,
            _audit.c.actor,
            _audit.c.at,
        )
        .select_from(
            _person.join(
                _audit,
                sa.and_(
                    _audit.c.entity_ref == _person.c.slack_user_id,
                    _audit.c.event == "person.admin_granted",
                ),
            )
        )
        .where(_person.c.is_admin.is_(sa.true()))
        .order_by(_audit.c.id)
    ).all()
    rows: dict[tuple[int, int], dict[str, object]] = {}
    for person_id, person_board, granted_board, actor, at in grants:
        board_id = granted_board or person_board
        if board_id is None:
            continue  # a grant tied to no board at all: the kept is_admin column records it
        rows.setdefault(
            (person_id, board_id),
            {"person_id": person_id, "board_id": board_id, "granted_by": actor, "granted_at": at},
        )
    if rows:
        op.bulk_insert(_board_admin, list(rows.values()))


def downgrade() -> None:
    # Grants made since the upgrade survive as the old global flag.
    conn = op.get_bind()
    conn.execute(
        _person.update()
        .where(_person.c.id.in_(sa.select(_board_admin.c.person_id)))
        .values(is_admin=True)
    )
    with op.batch_alter_table("rolerequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rolerequest_status"))
        batch_op.drop_index(batch_op.f("ix_rolerequest_person_id"))
        batch_op.drop_index(batch_op.f("ix_rolerequest_board_id"))
    op.drop_table("rolerequest")
    with op.batch_alter_table("boardadmin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boardadmin_board_id"))
    op.drop_table("boardadmin")
