"""referrals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 18:54:18.871891
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('escalation_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('rule_id', sa.String(length=50), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_name', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('pack', sa.JSON(), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('referral_id'),
    sa.UniqueConstraint('escalation_id', 'target_name', name='uq_referrals_body')
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_county_state', ['county_code', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_project_id'))
        batch_op.drop_index('ix_referrals_county_state')

    op.drop_table('referrals')
