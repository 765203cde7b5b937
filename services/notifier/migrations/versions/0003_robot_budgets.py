"""robot budgets shared by replicas

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 14:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'robot_budgets',
        sa.Column('robot_key', sa.String(length=64), nullable=False),
        sa.Column('tokens', sa.Float(), nullable=False),
        sa.Column('updated', sa.Float(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('robot_key'),
    )


def downgrade() -> None:
    op.drop_table('robot_budgets')
