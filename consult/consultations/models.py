"""Consultations, their questions, and what participants write."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import Population, Region, User
from consult.extensions import db

QUESTION_KINDS = ("open", "words", "single", "multiple")
TEXT_KINDS = ("open", "words")
CONTRIBUTION_STATES = ("pending", "published", "rejected", "hidden")
#: Where a contribution was made: written online, said in a meeting, or written in a workshop.
CHANNELS = ("online", "meeting", "workshop")


class Consultation(db.Model):
    """An open-question consultation of one or several populations, within a time window."""

    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'closed')", name="status"),
        CheckConstraint("moderation_mode IN ('pre', 'post')", name="moderation_mode"),
        CheckConstraint("closes_at > opens_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Sanitised rich text shown above the questions.
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: Answers are accepted from opens_at (inclusive) to closes_at (exclusive), naive UTC.
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    #: draft (organisers only) → published (open within its window) → closed (early close).
    status: Mapped[str] = mapped_column(String(20), default="draft")
    closed_at: Mapped[datetime | None]
    #: "pre": nothing shows before a moderator approves it; "post": shows at once, can be hidden.
    moderation_mode: Mapped[str] = mapped_column(String(4), default="post", server_default="post")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Set by the organiser: the consultation, its published contributions and its published
    #: results can be read without signing in.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())

    populations: Mapped[list["ConsultationPopulation"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", lazy="selectin"
    )
    themes: Mapped[list["Theme"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Theme.position"
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Question.position"
    )

    @property
    def population_ids(self) -> frozenset[int]:
        """The populations invited to answer."""
        return frozenset(p.population_id for p in self.populations)


class ConsultationPopulation(db.Model):
    """A population invited to a consultation, with its eligible head-count."""

    __tablename__ = "consultation_population"
    __table_args__ = (CheckConstraint("eligible_count >= 0", name="eligible_count"),)

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id"), primary_key=True)
    #: How many people of this population were invited: the denominator of participation rates.
    eligible_count: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="populations")
    population: Mapped[Population] = relationship(lazy="joined")


class Theme(db.Model):
    """A group of questions within a consultation (e.g. "Notre raison d'être")."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="themes")


class Question(db.Model):
    """One question; open text is the heart of a consultation."""

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint("kind IN ('open', 'words', 'single', 'multiple')", name="kind"),
        CheckConstraint("max_words BETWEEN 1 AND 10", name="max_words"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    #: Order within the consultation.
    position: Mapped[int] = mapped_column(default=0)
    #: open (free text), words (a few words), single or multiple (choices).
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text)
    help_text: Mapped[str] = mapped_column(Text, default="")
    #: For "words" questions: how many words at most.
    max_words: Mapped[int] = mapped_column(default=3)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    theme: Mapped[Theme | None] = relationship()
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Choice.position"
    )

    @property
    def is_text(self) -> bool:
        """True for questions answered in words (open text or a few words)."""
        return self.kind in TEXT_KINDS


class Choice(db.Model):
    """An option of a single- or multiple-choice question."""

    __tablename__ = "choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))

    question: Mapped[Question] = relationship(back_populates="choices")


contribution_choice = db.Table(
    "contribution_choice",
    db.Column(
        "contribution_id",
        db.ForeignKey("contribution.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column("choice_id", db.ForeignKey("choice.id", ondelete="CASCADE"), primary_key=True),
)


class Contribution(db.Model):
    """One participant's answer to one question, with their profile as it was when they wrote it."""

    __tablename__ = "contribution"
    __table_args__ = (
        # One online answer per person and question; meetings and workshops enter many.
        Index(
            "uq_contribution_online_answer",
            "question_id",
            "author_id",
            unique=True,
            sqlite_where=text("channel = 'online'"),
            postgresql_where=text("channel = 'online'"),
        ),
        CheckConstraint("state IN ('pending', 'published', 'rejected', 'hidden')", name="state"),
        CheckConstraint("channel IN ('online', 'meeting', 'workshop')", name="channel"),
        Index("ix_contribution_consultation_state", "consultation_id", "state"),
        Index("ix_contribution_question_state", "question_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: Sanitised HTML for open text; the words as typed for a few-words question; "" for choices.
    body: Mapped[str] = mapped_column(Text, default="")
    #: Moderation state; only "published" contributions are shown to other participants.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    #: Set when the author withdraws it: kept, never shown or counted.
    withdrawn_at: Mapped[datetime | None]
    #: online (written here by its author), meeting (said in a meeting, entered by an organiser,
    #: see meeting_contribution), workshop (a co-written story or a comment on one).
    channel: Mapped[str] = mapped_column(String(10), default="online", server_default="online")
    #: Profile snapshot at the time of writing (category, gender form, age band, region).
    population_id: Mapped[int | None] = mapped_column(ForeignKey("population.id"))
    gender_form: Mapped[str] = mapped_column(String(1), default="n")
    age_band: Mapped[str | None] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))

    consultation: Mapped[Consultation] = relationship()
    question: Mapped[Question] = relationship()
    author: Mapped[User] = relationship()
    population: Mapped[Population | None] = relationship()
    region: Mapped[Region | None] = relationship()
    choices: Mapped[list[Choice]] = relationship(secondary=contribution_choice)
    revisions: Mapped[list["ContributionRevision"]] = relationship(
        back_populates="contribution",
        cascade="all, delete-orphan",
        order_by="ContributionRevision.id",
    )

    @property
    def attribution(self) -> str:
        """The profile a quote is attributed by: "Adhérente, 40-60 ans, Occitanie"."""
        from consult.accounts.rules import AGE_BAND_LABELS

        parts = [self.population.label_for(self.gender_form) if self.population else None]
        parts.append(
            str(AGE_BAND_LABELS[self.age_band]) if self.age_band in AGE_BAND_LABELS else None
        )
        parts.append(self.region.name if self.region else None)
        return ", ".join(p for p in parts if p)


class ContributionRevision(db.Model):
    """An earlier text of a contribution, kept when its author edits it: nothing is lost."""

    __tablename__ = "contribution_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    #: When this text was replaced.
    replaced_at: Mapped[datetime]
    #: Why: "edit", "withdraw".
    reason: Mapped[str] = mapped_column(String(20))

    contribution: Mapped[Contribution] = relationship(back_populates="revisions")


class Reaction(db.Model):
    """Agree (+1) or disagree (-1) with a published contribution: one per person, changeable."""

    __tablename__ = "reaction"
    __table_args__ = (
        UniqueConstraint("contribution_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
