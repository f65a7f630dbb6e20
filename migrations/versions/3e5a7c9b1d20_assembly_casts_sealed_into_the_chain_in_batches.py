"""assembly: casts sealed into the chain in batches (pending log entries)

A cast commits its ballot with a pending entry; a sealer moves pending entries into the
hash-chained log, so that casts no longer wait for one another on the chain's head.

Revision ID: 3e5a7c9b1d20
Revises: fff754e1540d
Create Date: 2026-12-01 14:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e5a7c9b1d20'
down_revision = 'fff754e1540d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assembly_pending_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_pending_log_assembly_id_assembly'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_pending_log'))
    )
    with op.batch_alter_table('assembly_pending_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assembly_pending_log_assembly_id'), ['assembly_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assembly_pending_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assembly_pending_log_assembly_id'))
    op.drop_table('assembly_pending_log')
