"""analysis: participation snapshots are analysis jobs too; one job under way per kind

Revision ID: a7c3e1d2b4f6
Revises: cf6b679e2f00
Create Date: 2026-11-21 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e1d2b4f6'
down_revision = 'cf6b679e2f00'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_analysis_job_kind'), type_='check')
        batch_op.create_check_constraint(
            'kind', "kind IN ('topics', 'split', 'words', 'participation')"
        )
    under_way = sa.text("status IN ('queued', 'running')")
    op.create_index(
        'uq_analysis_job_under_way',
        'analysis_job',
        ['consultation_id', 'kind', sa.text('coalesce(question_id, 0)')],
        unique=True,
        sqlite_where=under_way,
        postgresql_where=under_way,
    )


def downgrade():
    op.drop_index('uq_analysis_job_under_way', table_name='analysis_job')
    op.execute("DELETE FROM analysis_job WHERE kind = 'participation'")
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_analysis_job_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('topics', 'split', 'words')")
