"""assembly: no cast time on participations; ballots of closed resolutions rewritten in code order

Revision ID: b41e7c9d2a10
Revises: 58b8a0d4127f
Create Date: 2026-12-01 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b41e7c9d2a10'
down_revision = '58b8a0d4127f'
branch_labels = None
depends_on = None

BALLOT = sa.table(
    'assembly_ballot',
    sa.column('code', sa.String),
    sa.column('resolution_id', sa.Integer),
    sa.column('choice', sa.String),
    sa.column('grades', sa.String),
    sa.column('weight', sa.Integer),
    sa.column('seal', sa.String),
)
RESOLUTION = sa.table('resolution', sa.column('id', sa.Integer), sa.column('status', sa.String))


def upgrade():
    with op.batch_alter_table('assembly_participation', schema=None) as batch_op:
        batch_op.drop_column('cast_at')
    # Ballots of resolutions closed before this revision sit in casting order: store them anew in
    # the order of their random tracking codes, without seals (see docs/assembly-secrecy.md).
    connection = op.get_bind()
    closed = sa.select(RESOLUTION.c.id).where(RESOLUTION.c.status == 'closed')
    rows = connection.execute(
        sa.select(
            BALLOT.c.code, BALLOT.c.resolution_id, BALLOT.c.choice, BALLOT.c.grades, BALLOT.c.weight
        )
        .where(BALLOT.c.resolution_id.in_(closed))
        .order_by(BALLOT.c.code)
    ).mappings().all()
    if rows:
        connection.execute(BALLOT.delete().where(BALLOT.c.resolution_id.in_(closed)))
        connection.execute(BALLOT.insert(), [dict(row, seal=None) for row in rows])


def downgrade():
    with op.batch_alter_table('assembly_participation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('cast_at', sa.DateTime(), nullable=False, server_default=sa.func.now())
        )
    with op.batch_alter_table('assembly_participation', schema=None) as batch_op:
        batch_op.alter_column('cast_at', server_default=None)
