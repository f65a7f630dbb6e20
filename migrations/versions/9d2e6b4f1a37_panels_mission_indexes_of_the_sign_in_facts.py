"""panels, mission: indexes of the facts the sign-in query loads with the person

Every signed-in request asks, in its one sign-in query, whether the person sits in a panel
(an accepted seat of a volunteer linked to them) and owns an indicator.

Revision ID: 9d2e6b4f1a37
Revises: 3e5a7c9b1d20
Create Date: 2026-12-01 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d2e6b4f1a37'
down_revision = '3e5a7c9b1d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('panel_volunteer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_volunteer_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('panel_seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_seat_volunteer_id'), ['volunteer_id'], unique=False)
    with op.batch_alter_table('mission_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mission_indicator_owner_user_id'), ['owner_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mission_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mission_indicator_owner_user_id'))
    with op.batch_alter_table('panel_seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_seat_volunteer_id'))
    with op.batch_alter_table('panel_volunteer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_volunteer_user_id'))
