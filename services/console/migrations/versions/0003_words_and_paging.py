"""change log: the county's source record time

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


def downgrade() -> None:
    with op.batch_alter_table('project_changes', schema=None) as batch_op:
        batch_op.drop_column('source_record_time')
