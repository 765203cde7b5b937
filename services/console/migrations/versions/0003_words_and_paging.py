"""change log: the county's source record time; an index covering the overview's counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 17:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_record_time', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_console_projects_figures', [
            'county_code', 'stage', 'colour_fresh', 'colour_stale', 'last_record_at', 'township', 'responsible_unit', 'leader',
            'nature', 'annual_plan_fen', 'investment_ytd_fen', 'households_total', 'households_signed', 'start_planned',
            'start_actual', 'completion_planned', 'completion_actual', 'production_planned', 'production_actual'], unique=False)
        batch_op.create_index('ix_console_projects_county_name', ['county_code', 'name', 'project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_console_projects_county_name')
        batch_op.drop_index('ix_console_projects_figures')
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.drop_column('source_record_time')
