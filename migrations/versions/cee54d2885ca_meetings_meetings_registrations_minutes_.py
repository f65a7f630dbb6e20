"""meetings: meetings, registrations, minutes; contribution channel

Revision ID: cee54d2885ca
Revises: 74f1e00e5399
Create Date: 2026-12-01 09:38:05.294191

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cee54d2885ca'
down_revision = '74f1e00e5399'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('registration_opens_at', sa.DateTime(), nullable=True),
    sa.Column('registration_closes_at', sa.DateTime(), nullable=True),
    sa.Column('attendance_code', sa.String(length=12), nullable=True),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('panel_id', sa.Integer(), nullable=True),
    sa.Column('mission_session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("format IN ('in_person', 'online', 'hybrid')", name=op.f('ck_meeting_format')),
    sa.CheckConstraint("kind IN ('internal', 'agora', 'panel', 'other')", name=op.f('ck_meeting_kind')),
    sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name=op.f('ck_meeting_status')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_meeting_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_meeting_times')),
    sa.CheckConstraint('registration_closes_at IS NULL OR registration_opens_at IS NULL OR registration_closes_at > registration_opens_at', name=op.f('ck_meeting_registration_window')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_meeting_consultation_id_consultation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_meeting_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['panel_id'], ['panel.id'], name=op.f('fk_meeting_panel_id_panel'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_session_id'], ['mission_session.id'], name=op.f('fk_meeting_mission_session_id_mission_session'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_meeting_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_region_id'), ['region_id'], unique=False)
        batch_op.create_index('ix_meeting_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('meeting_contribution',
    sa.Column('contribution_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], name=op.f('fk_meeting_contribution_contribution_id_contribution'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_meeting_contribution_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_contribution_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('contribution_id', name=op.f('pk_meeting_contribution'))
    )
    with op.batch_alter_table('meeting_contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_contribution_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_minutes',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'approved', 'published')", name=op.f('ck_meeting_minutes_state')),
    sa.CheckConstraint("visibility IN ('public', 'private')", name=op.f('ck_meeting_minutes_visibility')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_meeting_minutes_approved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_minutes_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_meeting_minutes_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_minutes'))
    )
    op.create_table('meeting_population',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('population_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_population_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_meeting_population_population_id_population')),
    sa.PrimaryKeyConstraint('meeting_id', 'population_id', name=op.f('pk_meeting_population'))
    )
    op.create_table('meeting_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('max_words', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('open', 'words', 'single', 'multiple')", name=op.f('ck_meeting_question_kind')),
    sa.CheckConstraint('max_words BETWEEN 1 AND 10', name=op.f('ck_meeting_question_max_words')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_question_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_question'))
    )
    with op.batch_alter_table('meeting_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_question_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('meeting_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('attended_at', sa.DateTime(), nullable=True),
    sa.Column('attendance_method', sa.String(length=10), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('population_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'confirmed') = (seat IS NOT NULL)", name=op.f('ck_meeting_registration_seat_when_confirmed')),
    sa.CheckConstraint("attendance_method IS NULL OR attendance_method IN ('list', 'code')", name=op.f('ck_meeting_registration_attendance_method')),
    sa.CheckConstraint("status IN ('confirmed', 'waiting', 'cancelled', 'walk_in')", name=op.f('ck_meeting_registration_status')),
    sa.CheckConstraint('(attended_at IS NULL) = (attendance_method IS NULL)', name=op.f('ck_meeting_registration_attendance_complete')),
    sa.CheckConstraint('seat IS NULL OR seat > 0', name=op.f('ck_meeting_registration_seat_positive')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_registration_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['population_id'], ['population.id'], name=op.f('fk_meeting_registration_population_id_population')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_meeting_registration_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_registration')),
    sa.UniqueConstraint('meeting_id', 'seat', name=op.f('uq_meeting_registration_meeting_id_seat')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_meeting_registration_meeting_id_user_id'))
    )
    with op.batch_alter_table('meeting_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_registration_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_meeting_registration_waiting', ['meeting_id', 'status', 'waiting_since'], unique=False)

    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='online', nullable=False))
        batch_op.create_check_constraint(op.f('ck_contribution_channel'), "channel IN ('online', 'meeting', 'workshop')")
        batch_op.drop_constraint(batch_op.f('uq_contribution_question_id_author_id'), type_='unique')
        batch_op.create_index('uq_contribution_online_answer', ['question_id', 'author_id'], unique=True, sqlite_where=sa.text("channel = 'online'"), postgresql_where=sa.text("channel = 'online'"))



def downgrade():
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_index('uq_contribution_online_answer', sqlite_where=sa.text("channel = 'online'"), postgresql_where=sa.text("channel = 'online'"))
        batch_op.create_unique_constraint(batch_op.f('uq_contribution_question_id_author_id'), ['question_id', 'author_id'])
        batch_op.drop_constraint(op.f('ck_contribution_channel'), type_='check')
        batch_op.drop_column('channel')

    with op.batch_alter_table('meeting_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_registration_waiting')
        batch_op.drop_index(batch_op.f('ix_meeting_registration_user_id'))

    op.drop_table('meeting_registration')
    with op.batch_alter_table('meeting_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_question_meeting_id'))

    op.drop_table('meeting_question')
    op.drop_table('meeting_population')
    op.drop_table('meeting_minutes')
    with op.batch_alter_table('meeting_contribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_contribution_meeting_id'))

    op.drop_table('meeting_contribution')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_meeting_region_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_consultation_id'))

    op.drop_table('meeting')
