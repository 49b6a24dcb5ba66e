"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('board',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('short_name', sa.String(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('shape', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_code'), ['code'], unique=True)

    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_ref', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_board_id'), ['board_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sa.String(), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_slack_user_id'), ['slack_user_id'], unique=True)

    op.create_table('priority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('board_id', 'ref')
    )
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_priority_board_id'), ['board_id'], unique=False)

    op.create_table('subgroup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(), nullable=True),
    sa.Column('board_level', sa.Boolean(), nullable=False),
    sa.Column('slack_channel_id', sa.String(length=32), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('board_id', 'name')
    )
    with op.batch_alter_table('subgroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subgroup_board_id'), ['board_id'], unique=False)

    op.create_table('personsubgroup',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('subgroup_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['subgroup_id'], ['subgroup.id'], ),
    sa.PrimaryKeyConstraint('person_id', 'subgroup_id')
    )
    with op.batch_alter_table('personsubgroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personsubgroup_subgroup_id'), ['subgroup_id'], unique=False)

    op.create_table('workstream',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('priority_id', sa.Integer(), nullable=True),
    sa.Column('subgroup_id', sa.Integer(), nullable=True),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('outcomes', sa.String(), nullable=True),
    sa.Column('kpis', sa.String(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.ForeignKeyConstraint(['priority_id'], ['priority.id'], ),
    sa.ForeignKeyConstraint(['subgroup_id'], ['subgroup.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('board_id', 'ref')
    )
    with op.batch_alter_table('workstream', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workstream_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workstream_priority_id'), ['priority_id'], unique=False)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('workstream_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.Column('lead', sa.String(), nullable=True),
    sa.Column('leads', sa.JSON(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('due_text', sa.String(), nullable=True),
    sa.Column('completed', sa.Date(), nullable=True),
    sa.Column('completed_text', sa.String(), nullable=True),
    sa.Column('outcomes', sa.String(), nullable=True),
    sa.Column('kpis', sa.String(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], ),
    sa.ForeignKeyConstraint(['workstream_id'], ['workstream.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('board_id', 'ref')
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_workstream_id'), ['workstream_id'], unique=False)

    op.create_table('actionsubgroup',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('subgroup_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], ),
    sa.ForeignKeyConstraint(['subgroup_id'], ['subgroup.id'], ),
    sa.PrimaryKeyConstraint('action_id', 'subgroup_id')
    )
    with op.batch_alter_table('actionsubgroup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actionsubgroup_subgroup_id'), ['subgroup_id'], unique=False)

    op.create_table('progressupdate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('author_slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rag', sa.String(length=8), nullable=True),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('new_due', sa.Date(), nullable=True),
    sa.Column('retarget_reason', sa.String(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progressupdate_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progressupdate_created_at'), ['created_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progressupdate_created_at'))
        batch_op.drop_index(batch_op.f('ix_progressupdate_action_id'))

    op.drop_table('progressupdate')
    with op.batch_alter_table('actionsubgroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actionsubgroup_subgroup_id'))

    op.drop_table('actionsubgroup')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_workstream_id'))
        batch_op.drop_index(batch_op.f('ix_action_board_id'))

    op.drop_table('action')
    with op.batch_alter_table('workstream', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workstream_priority_id'))
        batch_op.drop_index(batch_op.f('ix_workstream_board_id'))

    op.drop_table('workstream')
    with op.batch_alter_table('personsubgroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personsubgroup_subgroup_id'))

    op.drop_table('personsubgroup')
    with op.batch_alter_table('subgroup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subgroup_board_id'))

    op.drop_table('subgroup')
    with op.batch_alter_table('priority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_priority_board_id'))

    op.drop_table('priority')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_slack_user_id'))
        batch_op.drop_index(batch_op.f('ix_person_board_id'))

    op.drop_table('person')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_board_id'))
        batch_op.drop_index(batch_op.f('ix_auditevent_at'))

    op.drop_table('auditevent')
    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_code'))

    op.drop_table('board')

