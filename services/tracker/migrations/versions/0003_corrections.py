"""corrections: the change log names the upload or call, the sender, and the events a change corrects

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_via', sa.String(300), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.String(200), nullable=True))
        batch_op.add_column(sa.Column('corrects', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_column('corrects')
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('received_via')
