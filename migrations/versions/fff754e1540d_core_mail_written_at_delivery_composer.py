"""core: mail written at delivery (composer)

A row of the outbox may name a composer that writes the message when it is delivered: the
password-reset request queues the address alone, the same work whether or not it has an account.

Revision ID: fff754e1540d
Revises: ca1023644a3c
Create Date: 2026-12-01 13:22:49.867272

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fff754e1540d'
down_revision = 'ca1023644a3c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('composer', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('composer_data', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_column('composer_data')
        batch_op.drop_column('composer')

