"""an event's body stored once, not on each of its delivery rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 23:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'delivery_events',
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('event', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('event_id'),
    )
    # Rows planned before keep their copy; new rows read the event from delivery_events.
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('event', existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE event IS NULL")
    with op.batch_alter_table('deliveries') as batch:
        batch.alter_column('event', existing_type=sa.JSON(), nullable=False)
    op.drop_table('delivery_events')
