"""Meetings: in person or online, with registrations, a waiting list, attendance and minutes."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import Population, Region, User
from consult.consultations.models import Consultation, Contribution
from consult.extensions import db

MEETING_KINDS = ("internal", "agora", "panel", "other")
MEETING_FORMATS = ("in_person", "online", "hybrid")
MEETING_STATUSES = ("draft", "published", "cancelled")
REGISTRATION_STATUSES = ("confirmed", "waiting", "cancelled", "walk_in")
ATTENDANCE_METHODS = ("list", "code")
MINUTES_STATES = ("draft", "approved", "published")


class Meeting(db.Model):
    """A meeting people register for: an internal "rendez-vous", a local agora, a panel session."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("kind IN ('internal', 'agora', 'panel', 'other')", name="kind"),
        CheckConstraint("format IN ('in_person', 'online', 'hybrid')", name="format"),
        CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status"),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        CheckConstraint(
            "registration_closes_at IS NULL OR registration_opens_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="registration_window",
        ),
        Index("ix_meeting_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: internal (employees' "rendez-vous"), agora (local members' forum), panel, other.
    kind: Mapped[str] = mapped_column(String(20), default="agora")
    #: in_person, online, or hybrid (both).
    format: Mapped[str] = mapped_column(String(20), default="in_person")
    #: draft (organisers only) → published (listed, open to registration) or cancelled.
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: Sanitised rich text: what will be discussed.
    agenda: Mapped[str] = mapped_column(Text, default="")
    #: Address for in-person and hybrid meetings (plain text).
    place: Mapped[str] = mapped_column(String(300), default="")
    #: Link to join an online or hybrid meeting (shown to confirmed registrants only).
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: The region it takes place in (for the public list's filter); None for national or online.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    #: Start and end, naive UTC.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: Seats; None means no limit.
    capacity: Mapped[int | None]
    #: Registration window, naive UTC; None means from publication / until the start.
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    #: Code shown in the room: people who type it during the meeting are counted present.
    attendance_code: Mapped[str | None] = mapped_column(String(12))
    #: What the meeting belongs to (all optional): a consultation, a panel, a sitting of the
    #: mission committee.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id", ondelete="SET NULL"))
    mission_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_session.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]

    region: Mapped[Region | None] = relationship(lazy="joined")
    consultation: Mapped[Consultation | None] = relationship()
    panel = relationship("Panel")
    mission_session = relationship("CommitteeSession")
    populations: Mapped[list["MeetingPopulation"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", lazy="selectin"
    )
    questions: Mapped[list["MeetingQuestion"]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="MeetingQuestion.position",
    )
    minutes: Mapped["MeetingMinutes | None"] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", uselist=False
    )

    @property
    def population_ids(self) -> frozenset[int]:
        """The populations invited."""
        return frozenset(p.population_id for p in self.populations)


class MeetingPopulation(db.Model):
    """A population invited to a meeting."""

    __tablename__ = "meeting_population"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id"), primary_key=True)

    meeting: Mapped[Meeting] = relationship(back_populates="populations")
    population: Mapped[Population] = relationship(lazy="joined")


class MeetingQuestion(db.Model):
    """A question of the registration form, of one of the consultation question kinds."""

    __tablename__ = "meeting_question"
    __table_args__ = (
        CheckConstraint("kind IN ('open', 'words', 'single', 'multiple')", name="kind"),
        CheckConstraint("max_words BETWEEN 1 AND 10", name="max_words"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    #: open, words, single or multiple, as in consultations.
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    #: For "words" questions: how many words at most.
    max_words: Mapped[int] = mapped_column(default=3)
    #: For choice questions: the options, in order (JSON list of labels).
    choices: Mapped[list] = mapped_column(JSON, default=list)

    meeting: Mapped[Meeting] = relationship(back_populates="questions")


class Registration(db.Model):
    """One person's place at a meeting: a numbered seat, a place on the waiting list, or neither.

    The seat number is unique per meeting, so two people can never take the same last seat.
    """

    __tablename__ = "meeting_registration"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id"),
        UniqueConstraint("meeting_id", "seat"),
        CheckConstraint(
            "status IN ('confirmed', 'waiting', 'cancelled', 'walk_in')", name="status"
        ),
        CheckConstraint("(status = 'confirmed') = (seat IS NOT NULL)", name="seat_when_confirmed"),
        CheckConstraint("seat IS NULL OR seat > 0", name="seat_positive"),
        CheckConstraint(
            "attendance_method IS NULL OR attendance_method IN ('list', 'code')",
            name="attendance_method",
        ),
        CheckConstraint(
            "(attended_at IS NULL) = (attendance_method IS NULL)", name="attendance_complete"
        ),
        Index("ix_meeting_registration_waiting", "meeting_id", "status", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: confirmed (holds a seat), waiting, cancelled, walk_in (came without a seat).
    status: Mapped[str] = mapped_column(String(20))
    #: Seat number (1..capacity) while confirmed.
    seat: Mapped[int | None]
    registered_at: Mapped[datetime]
    #: When the person joined the waiting list: its order.
    waiting_since: Mapped[datetime | None]
    #: When a seat came to them from the waiting list.
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: When the reminder of the day before was sent.
    reminded_at: Mapped[datetime | None]
    #: Presence: when and how it was recorded (list ticked by an organiser, or code typed).
    attended_at: Mapped[datetime | None]
    attendance_method: Mapped[str | None] = mapped_column(String(10))
    #: Answers to the registration form: {question id: text or list of choice labels}.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Profile when registering (for attendance per population).
    population_id: Mapped[int | None] = mapped_column(ForeignKey("population.id"))

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship()
    population: Mapped[Population | None] = relationship()


class MeetingMinutes(db.Model):
    """The minutes of a meeting: drafted, approved, then published (to everyone or privately)."""

    __tablename__ = "meeting_minutes"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'approved', 'published')", name="state"),
        CheckConstraint("visibility IN ('public', 'private')", name="visibility"),
    )

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    #: Sanitised rich text.
    body: Mapped[str] = mapped_column(Text, default="")
    #: draft → approved → published; editing approved minutes makes them a draft again.
    state: Mapped[str] = mapped_column(String(20), default="draft")
    #: public (anyone, on the meeting's page) or private (its registrants and organisers).
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(back_populates="minutes")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class MeetingContribution(db.Model):
    """A contribution said in a meeting and entered afterwards: the meeting's channel."""

    __tablename__ = "meeting_contribution"

    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    #: The organiser who entered it (the contribution's author column holds the same person).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]

    contribution: Mapped[Contribution] = relationship()
    meeting: Mapped[Meeting] = relationship()
