"""analysis: participation snapshots are analysis jobs too; one job under way per kind

Revision ID: a7c3e1d2b4f6
Revises: f59bfadbe83e
Create Date: 2026-11-21 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e1d2b4f6'
down_revision = 'f59bfadbe83e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_analysis_job_kind'), type_='check')
        batch_op.create_check_constraint(
            'kind', "kind IN ('topics', 'split', 'words', 'participation')"
        )
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE analysis_job SET scope = "
        "CAST(consultation_id AS VARCHAR(20)) || ':' || CAST(COALESCE(question_id, 0) AS VARCHAR(20))"
    )
    under_way = sa.text("status IN ('queued', 'running')")
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(
            'uq_analysis_job_under_way',
            ['kind', 'scope'],
            unique=True,
            sqlite_where=under_way,
            postgresql_where=under_way,
        )


def downgrade():
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.drop_index('uq_analysis_job_under_way')
        batch_op.drop_column('scope')
    op.execute("DELETE FROM analysis_job WHERE kind = 'participation'")
    with op.batch_alter_table('analysis_job', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_analysis_job_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('topics', 'split', 'words')")
