"""assembly: index of participations by delegate

Every vote page reads the participations of the delegate's mandates, joined by delegate; without
an index of their own (the unique constraint leads with the resolution) PostgreSQL scanned every
participation of every resolution, 35,000 rows for an assembly of 7,000 delegates voting on 5.

Revision ID: 4b7d2e9c6a15
Revises: 9d2e6b4f1a37
Create Date: 2026-12-03 16:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '4b7d2e9c6a15'
down_revision = '9d2e6b4f1a37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assembly_participation', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_assembly_participation_delegate_id'), ['delegate_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('assembly_participation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_participation_delegate_id'))
