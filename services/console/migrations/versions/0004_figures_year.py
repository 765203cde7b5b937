"""projects: the year of the plan and year-to-date figures (the overview sums this year's only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BEFORE = ['county_code', 'stage', 'colour_fresh', 'colour_stale', 'last_record_at', 'township', 'responsible_unit', 'leader',
          'nature', 'annual_plan_fen', 'investment_ytd_fen', 'households_total', 'households_signed', 'start_planned',
          'start_actual', 'completion_planned', 'completion_actual', 'production_planned', 'production_actual']
AFTER = [*BEFORE[:11], 'figures_year', *BEFORE[11:]]


def figures_year(snapshot: dict) -> int | None:
    """The newest ledger month's year (its entries' months and the flat ledger_month), as the projection writes it."""
    months = [entry.get('month') for entry in snapshot.get('ledger') or ()] + [snapshot.get('ledger_month')]
    months = [month for month in months if month]
    return int(max(months)[:4]) if months else None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures_year', sa.Integer(), nullable=True))
        batch_op.drop_index('ix_console_projects_figures')
        batch_op.create_index('ix_console_projects_figures', AFTER, unique=False)
    # The rows projected before: their year from their snapshot, as the projection now writes it.
    projects = sa.table('projects', sa.column('project_id', sa.String), sa.column('snapshot', sa.JSON), sa.column('figures_year', sa.Integer))
    connection = op.get_bind()
    years = [(row.project_id, figures_year(row.snapshot)) for row in connection.execute(sa.select(projects.c.project_id, projects.c.snapshot))]
    for project_id, year in years:
        if year is not None:
            connection.execute(sa.update(projects).where(projects.c.project_id == project_id).values(figures_year=year))


def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_console_projects_figures')
        batch_op.create_index('ix_console_projects_figures', BEFORE, unique=False)
        batch_op.drop_column('figures_year')
