"""problems, meetings and assignments (issue 11)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 18:26:35.623585
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assignments',
    sa.Column('assignment_id', sa.String(length=36), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('meeting_id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('item_kind', sa.String(length=20), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=True),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('handler_department', sa.String(length=100), nullable=False),
    sa.Column('co_departments', sa.JSON(), nullable=False),
    sa.Column('follow_up_leader', sa.String(length=100), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_name', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('assignment_id'),
    sa.UniqueConstraint('meeting_id', 'item_id', name='uq_assignments_item')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_county_state', ['county_code', 'state'], unique=False)
        batch_op.create_index('ix_assignments_due', ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('coordination_actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('item_kind', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.String(length=36), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('coordination_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coordination_actions_item_id'), ['item_id'], unique=False)

    op.create_table('document_numbers',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('county_code', 'kind', 'year')
    )
    op.create_table('meetings',
    sa.Column('meeting_id', sa.String(length=36), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('chair', sa.String(length=100), nullable=False),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('agenda', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('minutes_number', sa.String(length=50), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('meeting_id')
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_county_code'), ['county_code'], unique=False)

    op.create_table('problems',
    sa.Column('problem_id', sa.String(length=36), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('problem_key', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('raised_by', sa.String(length=100), nullable=False),
    sa.Column('responsible_department', sa.String(length=100), nullable=True),
    sa.Column('leader', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_name', sa.String(length=100), nullable=False),
    sa.Column('level_started_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('first_month', sa.String(length=7), nullable=True),
    sa.Column('last_month', sa.String(length=7), nullable=True),
    sa.Column('months_reported', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.String(length=36), nullable=True),
    sa.Column('assignment_id', sa.String(length=36), nullable=True),
    sa.Column('resolution', sa.JSON(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('problem_id'),
    sa.UniqueConstraint('project_id', 'problem_key', name='uq_problems_project_key')
    )
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.create_index('ix_problems_county_state', ['county_code', 'state'], unique=False)
        batch_op.create_index('ix_problems_due', ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_problems_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problems_project_id'))
        batch_op.drop_index('ix_problems_due')
        batch_op.drop_index('ix_problems_county_state')

    op.drop_table('problems')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_county_code'))

    op.drop_table('meetings')
    op.drop_table('document_numbers')
    with op.batch_alter_table('coordination_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coordination_actions_item_id'))

    op.drop_table('coordination_actions')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_meeting_id'))
        batch_op.drop_index('ix_assignments_due')
        batch_op.drop_index('ix_assignments_county_state')

    op.drop_table('assignments')
