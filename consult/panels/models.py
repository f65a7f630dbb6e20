"""Citizen panels drawn by lot: projects, profile features, volunteers, panels, draws, seats."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.consultations.models import Consultation
from consult.extensions import db

PROJECT_STATUSES = ("recruiting", "committed", "drawn", "closed")
SEAT_STATUSES = ("invited", "accepted", "declined", "replaced")


class PanelProject(db.Model):
    """One call for volunteers and one draw of several disjoint panels (e.g. 6 groups of 12)."""

    __tablename__ = "panel_project"
    __table_args__ = (
        CheckConstraint("status IN ('recruiting', 'committed', 'drawn', 'closed')", name="status"),
        CheckConstraint("method IN ('leximin', 'maximin')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Title shown on the public volunteer form.
    title: Mapped[str] = mapped_column(String(200))
    #: Sanitised rich text: what the panels are about, shown to volunteers.
    description: Mapped[str] = mapped_column(Text, default="")
    #: recruiting (form open) → committed (pool frozen, hash published) → drawn → closed.
    status: Mapped[str] = mapped_column(String(20), default="recruiting")
    #: leximin (default) or maximin.
    method: Mapped[str] = mapped_column(String(10), default="leximin")
    #: The consultation holding the questions the panellists answer (optional).
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL")
    )
    #: Closing questionnaire open to panellists.
    questionnaire_open: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation | None] = relationship()
    features: Mapped[list["PanelFeature"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="PanelFeature.position"
    )
    panels: Mapped[list["Panel"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Panel.position"
    )
    draws: Mapped[list["PanelDraw"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="PanelDraw.round"
    )
    documents: Mapped[list["PanelDocument"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="PanelDocument.id"
    )


class PanelFeature(db.Model):
    """A profile feature the organiser defines (gender, age band, region, occupation...)."""

    __tablename__ = "panel_feature"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    #: Stable code used in CSV headers and in the published draw inputs ("gender").
    code: Mapped[str] = mapped_column(String(40))
    #: Question shown on the volunteer form ("Gender").
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[PanelProject] = relationship(back_populates="features")
    values: Mapped[list["PanelFeatureValue"]] = relationship(
        back_populates="feature",
        cascade="all, delete-orphan",
        order_by="PanelFeatureValue.position",
    )


class PanelFeatureValue(db.Model):
    """One value a feature can take ("woman", "20-30", "Occitanie")."""

    __tablename__ = "panel_feature_value"
    __table_args__ = (
        UniqueConstraint("feature_id", "code"),
        # target of VolunteerValue's composite key: a value always belongs to its feature
        UniqueConstraint("feature_id", "id", name="uq_panel_feature_value_feature_id_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("panel_feature.id", ondelete="CASCADE"), index=True
    )
    #: Code used in CSV files and the published inputs ("woman").
    code: Mapped[str] = mapped_column(String(60))
    #: Label shown to volunteers ("Une femme").
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    feature: Mapped[PanelFeature] = relationship(back_populates="values")


class Panel(db.Model):
    """One group of citizens meeting in a region."""

    __tablename__ = "panel"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint("size BETWEEN 1 AND 500", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    #: Name, also used in the published inputs ("Nantes").
    name: Mapped[str] = mapped_column(String(120))
    #: Seats to fill.
    size: Mapped[int] = mapped_column(SmallInteger)
    #: Where it meets and with which facilitating association (free text).
    place: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[PanelProject] = relationship(back_populates="panels")
    quotas: Mapped[list["PanelQuota"]] = relationship(
        back_populates="panel", cascade="all, delete-orphan"
    )
    sessions: Mapped[list["PanelSession"]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelSession.starts_at"
    )


class PanelQuota(db.Model):
    """Per panel, the least and most seats for one feature value."""

    __tablename__ = "panel_quota"
    __table_args__ = (
        UniqueConstraint("panel_id", "value_id"),
        CheckConstraint("minimum >= 0 AND maximum >= minimum", name="bounds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("panel_feature_value.id", ondelete="CASCADE"))
    minimum: Mapped[int] = mapped_column(SmallInteger)
    maximum: Mapped[int] = mapped_column(SmallInteger)

    panel: Mapped[Panel] = relationship(back_populates="quotas")
    value: Mapped[PanelFeatureValue] = relationship(lazy="joined")


class PanelVolunteer(db.Model):
    """A citizen who volunteered (form or partner CSV). Personal data: organisers only."""

    __tablename__ = "panel_volunteer"
    __table_args__ = (
        UniqueConstraint("project_id", "email"),
        UniqueConstraint("project_id", "key"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year"),
        CheckConstraint("source IN ('form', 'csv')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    #: Pseudonymous key published with the draw inputs ("V-7K2Q9D"); never the name.
    key: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    #: Lower-cased e-mail: one application per address and project.
    email: Mapped[str] = mapped_column(String(254))
    #: None once erased at the end of the retention period (consult privacy erase-expired).
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    postcode: Mapped[str] = mapped_column(String(10))
    #: Members of the mutual are excluded from a citizen draw.
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Consent to be contacted, and to the processing of the profile data, when given.
    consent_contact_at: Mapped[datetime]
    consent_profile_at: Mapped[datetime]
    #: form (public form) or csv (a partner's file).
    source: Mapped[str] = mapped_column(String(10))
    #: Set when an organiser leaves the volunteer out of the draw (e.g. a duplicate).
    excluded_at: Mapped[datetime | None]
    excluded_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    #: The account created when the volunteer accepted a seat (indexed: every signed-in request
    #: asks whether its person sits in a panel, consult.panels.facts).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    project: Mapped[PanelProject] = relationship()
    user: Mapped[User | None] = relationship()
    values: Mapped[list["VolunteerValue"]] = relationship(
        back_populates="volunteer", cascade="all, delete-orphan", lazy="selectin"
    )


class VolunteerValue(db.Model):
    """A volunteer's value for one feature; the composite key keeps value and feature together."""

    __tablename__ = "panel_volunteer_value"
    __table_args__ = (
        ForeignKeyConstraint(
            ["feature_id", "value_id"],
            ["panel_feature_value.feature_id", "panel_feature_value.id"],
            ondelete="CASCADE",
            name="fk_panel_volunteer_value_value",
        ),
    )

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("panel_volunteer.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("panel_feature.id", ondelete="CASCADE"), primary_key=True
    )
    value_id: Mapped[int] = mapped_column()

    volunteer: Mapped[PanelVolunteer] = relationship(back_populates="values")
    value: Mapped[PanelFeatureValue] = relationship(
        foreign_keys=[value_id], primaryjoin="VolunteerValue.value_id == PanelFeatureValue.id"
    )


class PanelDraw(db.Model):
    """A committed, then performed draw: round 0 is the main draw, then replacement rounds."""

    __tablename__ = "panel_draw"
    __table_args__ = (
        UniqueConstraint("project_id", "round"),
        CheckConstraint("round >= 0", name="round"),
        CheckConstraint("(seed IS NULL) = (drawn_at IS NULL)", name="seed_when_drawn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(SmallInteger)
    #: The canonical inputs document (pseudonymous pool, panels, quotas, method), published.
    inputs: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the inputs, published before the seed is known.
    commitment: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime]
    #: The lottery computed from the inputs (JSON): it fixes every selection probability before
    #: the seed is known; only the sampling waits for the seed.
    lottery: Mapped[str] = mapped_column(Text)
    #: The seed revealed after the commitment (lottery numbers, dice thrown before witnesses).
    seed: Mapped[str | None] = mapped_column(String(200))
    drawn_at: Mapped[datetime | None]
    #: JSON: drawn keys per panel and every volunteer's selection probability.
    result: Mapped[str | None] = mapped_column(Text)

    project: Mapped[PanelProject] = relationship(back_populates="draws")


class PanelSeat(db.Model):
    """A drawn volunteer's seat in a panel, and their answer to the invitation."""

    __tablename__ = "panel_seat"
    __table_args__ = (
        UniqueConstraint("project_id", "volunteer_id"),
        CheckConstraint("status IN ('invited', 'accepted', 'declined', 'replaced')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    #: The volunteer drawn (indexed: the unique pair starts with the project, and every
    #: signed-in request looks the person's seats up by volunteer).
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("panel_volunteer.id", ondelete="CASCADE"), index=True
    )
    draw_id: Mapped[int] = mapped_column(ForeignKey("panel_draw.id", ondelete="CASCADE"))
    #: invited → accepted or declined; a declined seat is replaced by a replacement draw.
    status: Mapped[str] = mapped_column(String(20), default="invited")
    #: SHA-256 of the token in the invitation link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    panel: Mapped[Panel] = relationship()
    volunteer: Mapped[PanelVolunteer] = relationship(lazy="joined")
    draw: Mapped[PanelDraw] = relationship()


class PanelSession(db.Model):
    """A meeting of a panel: when and where."""

    __tablename__ = "panel_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    #: Start, naive UTC.
    starts_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(300))
    #: What the session is about (plain text).
    agenda: Mapped[str] = mapped_column(Text, default="")

    panel: Mapped[Panel] = relationship(back_populates="sessions")


class PanelDocument(db.Model):
    """A document given to every panellist of a project (a link to the file and a summary)."""

    __tablename__ = "panel_document"
    __table_args__ = (
        CheckConstraint("url LIKE 'https://%' OR url LIKE 'http://%'", name="url_scheme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[PanelProject] = relationship(back_populates="documents")


class QuestionnaireResponse(db.Model):
    """A panellist's answers to the closing questionnaire: one per seat."""

    __tablename__ = "panel_questionnaire_response"
    __table_args__ = (
        UniqueConstraint("seat_id"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("panel_seat.id", ondelete="CASCADE"))
    #: 1 (not at all satisfied) to 5 (very satisfied).
    satisfaction: Mapped[int] = mapped_column(SmallInteger)
    #: "Would you like to take part in what comes next?"
    wants_follow_up: Mapped[bool] = mapped_column(Boolean)
    #: Words that sum up the experience (plain text).
    words: Mapped[str] = mapped_column(String(300), default="")
    submitted_at: Mapped[datetime]

    seat: Mapped[PanelSeat] = relationship()


class PanelJob(db.Model):
    """The commitment of a draw round computed in the background (the lottery takes a while),
    with its progress, where the time went, and the commitment it stored."""

    __tablename__ = "panel_job"
    __table_args__ = (
        CheckConstraint("kind IN ('main', 'replacement')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        # one commitment under way per project: two organisers pressing at once start one job
        Index(
            "uq_panel_job_under_way",
            "project_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), index=True
    )
    #: main (the first draw) or replacement (seats declined).
    kind: Mapped[str] = mapped_column(String(20))
    #: queued → running → done or failed.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: Percentage done (LEXIMIN's rounds fix the types' probabilities one level after another).
    progress: Mapped[int] = mapped_column(default=0)
    #: Column-generation rounds, panel sets generated and seconds per part, once done.
    stats: Mapped[dict | None] = mapped_column(JSON)
    #: The commitment it stored.
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("panel_draw.id", ondelete="SET NULL"))
    #: Why it failed, in the organiser's language when it is a refusal.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    project: Mapped[PanelProject] = relationship()
    draw: Mapped[PanelDraw | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        """True when the job will not change any more."""
        return self.status in ("done", "failed")
