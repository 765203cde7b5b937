"""due dates: project_facts.next_due and cases.clock_due (sweep only what is due), evaluation_basis

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 14:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already stored are due at once: the first sweep after the upgrade names their next day.
    with op.batch_alter_table('project_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due', sa.Date(), server_default=sa.text("'2000-01-01'"), nullable=False))
        batch_op.create_index('ix_project_facts_due', ['next_due', 'project_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_due', sa.Date(), nullable=True))
        batch_op.create_index('ix_cases_clock_due', ['clock_due', 'case_id'], unique=False)
    op.execute("UPDATE cases SET clock_due = '2000-01-01' WHERE state <> 'closed'")
    op.create_table('evaluation_basis',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('after', sa.String(length=36), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('county_code')
    )


def downgrade() -> None:
    op.drop_table('evaluation_basis')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_clock_due')
        batch_op.drop_column('clock_due')
    with op.batch_alter_table('project_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_project_facts_due')
        batch_op.drop_column('next_due')
