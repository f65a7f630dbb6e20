"""Mission follow-up: objectives voted by the assembly, engagements, indicators and their values,
proofs with attachments, the committee's sessions and its annual opinion.

Figures are exact decimals stored as canonical text (``DecimalText``): SQLite has no decimal type
and a float would turn 81.9 % into 81.899999.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from consult.extensions import db


class DecimalText(TypeDecorator):
    """A Decimal kept exactly as its canonical text ("81.9", "-3", "47.33")."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Decimal → text without exponent (None stays None)."""
        if value is None:
            return None
        return format(Decimal(value).normalize(), "f")

    def process_result_value(self, value, dialect):
        """Text → Decimal."""
        return None if value is None else Decimal(value)


class Objective(db.Model):
    """A statutory objective, adopted by a resolution whose text is frozen here as voted."""

    __tablename__ = "mission_objective"
    __table_args__ = (UniqueConstraint("position"), UniqueConstraint("resolution_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Order on the dashboard (1, 2, ...).
    position: Mapped[int]
    #: Short title ("Objectif 1").
    title: Mapped[str] = mapped_column(String(200))
    #: The resolution that adopted it (None for an objective imported before its link was made).
    resolution_id: Mapped[int | None] = mapped_column(
        ForeignKey("resolution.id", ondelete="RESTRICT")
    )
    #: The text as voted, copied when the link was made; never edited afterwards.
    statement: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the statement as copied, so anyone can check it was not changed.
    statement_sha256: Mapped[str] = mapped_column(String(64))
    #: The day the assembly adopted it (the assembly's date).
    adopted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    resolution = relationship("Resolution")
    engagements: Mapped[list["Engagement"]] = relationship(
        back_populates="objective", order_by="Engagement.position", cascade="all, delete-orphan"
    )


class Engagement(db.Model):
    """A commitment the organisation makes under an objective."""

    __tablename__ = "mission_engagement"
    __table_args__ = (UniqueConstraint("objective_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("mission_objective.id", ondelete="CASCADE")
    )
    #: Order under its objective (1, 2, ...).
    position: Mapped[int]
    #: The engagement as the dashboard states it.
    title: Mapped[str] = mapped_column(String(300))
    #: What it means in practice (plain text).
    description: Mapped[str] = mapped_column(Text, default="")

    objective: Mapped[Objective] = relationship(back_populates="engagements")
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="engagement", order_by="Indicator.position", cascade="all, delete-orphan"
    )


INDICATOR_KINDS = ("number", "percent", "count", "amount", "breakdown", "composite", "qualitative")
COMPUTED_SOURCES = (
    "assembly_attendance",
    "consultation_participation",
    "consultation_contributions",
    "panel_follow_up",
    "composite",
)


class Indicator(db.Model):
    """What is measured for an engagement: kind, direction, baseline, target, method, owner."""

    __tablename__ = "mission_indicator"
    __table_args__ = (
        UniqueConstraint("engagement_id", "position"),
        CheckConstraint(
            "kind IN ('number', 'percent', 'count', 'amount', 'breakdown', 'composite',"
            " 'qualitative')",
            name="kind",
        ),
        CheckConstraint("direction IS NULL OR direction IN ('up', 'down')", name="direction"),
        CheckConstraint(
            "computed IS NULL OR computed IN ('assembly_attendance', 'consultation_participation',"
            " 'consultation_contributions', 'panel_follow_up', 'composite')",
            name="computed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("mission_engagement.id", ondelete="CASCADE")
    )
    #: Order under its engagement.
    position: Mapped[int]
    #: "Taux de redistribution", "kg CO2 par adhérent et par an", ...
    title: Mapped[str] = mapped_column(String(300))
    #: number, percent, count, amount (euros), breakdown, composite or qualitative.
    kind: Mapped[str] = mapped_column(String(20))
    #: Unit written after a number ("kg", "entreprises"); implied for percent and amount.
    unit: Mapped[str] = mapped_column(String(40), default="")
    #: "up" when higher is better, "down" when lower is better; None for a qualitative state.
    direction: Mapped[str | None] = mapped_column(String(4))
    #: Where the measure started, and the year of that start.
    baseline_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    baseline_year: Mapped[int | None]
    #: What the organisation aims at, and by which year.
    target_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    target_year: Mapped[int | None]
    #: How the figure is obtained (plain text), who answers for it, and where it comes from.
    method: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    #: The account that enters the values (the owner in person), if any (indexed: every
    #: signed-in request asks whether its person owns an indicator, consult.mission.facts).
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: When consult computes it from its own data: what it computes, and from what (JSON).
    computed: Mapped[str | None] = mapped_column(String(40))
    computed_params: Mapped[dict | None] = mapped_column(JSON)

    engagement: Mapped[Engagement] = relationship(back_populates="indicators")
    owner_user = relationship("User")
    values: Mapped[list["IndicatorValue"]] = relationship(
        back_populates="indicator",
        order_by="(IndicatorValue.as_of, IndicatorValue.version)",
        cascade="all, delete-orphan",
    )


class IndicatorValue(db.Model):
    """One version of an indicator's value as at a date; validated versions are never changed.

    A correction is a new version (``version`` + 1) with a reason; the one it replaces gets
    ``superseded_at`` once the correction is validated.
    """

    __tablename__ = "mission_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "as_of", "version"),
        CheckConstraint(
            "state IN ('draft', 'submitted', 'validated', 'audited')",
            name="state",
        ),
        CheckConstraint("version >= 1", name="version"),
        # At most one version being written or reviewed per indicator and date.
        Index(
            "uq_mission_value_open",
            "indicator_id",
            "as_of",
            unique=True,
            postgresql_where=text("state IN ('draft', 'submitted')"),
            sqlite_where=text("state IN ('draft', 'submitted')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("mission_indicator.id", ondelete="CASCADE"), index=True
    )
    #: The date the value is stated at (31 December by default).
    as_of: Mapped[date] = mapped_column(Date)
    #: 1 for the first entry, then one more per correction.
    version: Mapped[int] = mapped_column(default=1)
    #: draft → submitted → validated (by the committee) → audited (by the OTI).
    state: Mapped[str] = mapped_column(String(12), default="draft")
    #: The figure (numbers, percentages, counts, amounts, composites).
    value: Mapped[Decimal | None] = mapped_column(DecimalText)
    #: The state reached, for a qualitative indicator ("Cartographie réalisée").
    text_value: Mapped[str | None] = mapped_column(String(300))
    #: The parts of a share broken down: [{"label": ..., "value": "84"}, ...].
    parts: Mapped[list | None] = mapped_column(JSON)
    #: What the owner says about it (plain text), and the evidence referred to.
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    #: For a computed value: what it was computed from (figures, ids, when), to recompute it.
    provenance: Mapped[dict | None] = mapped_column(JSON)
    #: The version this one corrects, and why.
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_value.id", ondelete="SET NULL")
    )
    correction_reason: Mapped[str | None] = mapped_column(Text)
    #: When a validated correction replaced this version on the dashboard.
    superseded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    validated_at: Mapped[datetime | None]
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    audited_at: Mapped[datetime | None]
    #: The auditor's report this audit is recorded from.
    audit_reference: Mapped[str | None] = mapped_column(String(300))

    indicator: Mapped[Indicator] = relationship(back_populates="values")
    created_by = relationship("User", foreign_keys=[created_by_id])
    validated_by = relationship("User", foreign_keys=[validated_by_id])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="value", order_by="Attachment.id"
    )


class Proof(db.Model):
    """An initiative put forward as a proof (preuve) that an objective is pursued."""

    __tablename__ = "mission_proof"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'retained', 'rejected')", name="status"),
        Index("ix_mission_proof_listing", "status", "happened_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    #: The day the initiative took place (or was reported).
    happened_on: Mapped[date] = mapped_column(Date)
    #: The department that reports it, and the territory it concerns.
    department: Mapped[str] = mapped_column(String(200), index=True)
    territory: Mapped[str] = mapped_column(String(200), default="")
    #: What was done (plain text), and its figures ("1 500 patients").
    description: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[str] = mapped_column(Text, default="")
    #: submitted → retained or rejected by the committee.
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    #: Shown on the public pages (only a retained proof can be).
    public: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    links: Mapped[list["ProofLink"]] = relationship(
        back_populates="proof", cascade="all, delete-orphan", order_by="ProofLink.id"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="proof", order_by="Attachment.id"
    )


class ProofLink(db.Model):
    """What a proof illustrates: exactly one objective, engagement or indicator per row."""

    __tablename__ = "mission_proof_link"
    __table_args__ = (
        CheckConstraint(
            "CASE WHEN objective_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN engagement_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN indicator_id IS NULL THEN 0 ELSE 1 END = 1",
            name="one_target",
        ),
        UniqueConstraint("proof_id", "objective_id", "engagement_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[int] = mapped_column(
        ForeignKey("mission_proof.id", ondelete="CASCADE"), index=True
    )
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_objective.id", ondelete="CASCADE"), index=True
    )
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_engagement.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_indicator.id", ondelete="CASCADE"), index=True
    )

    proof: Mapped[Proof] = relationship(back_populates="links")
    objective = relationship("Objective")
    engagement = relationship("Engagement")
    indicator = relationship("Indicator")


class Attachment(db.Model):
    """A file attached to a proof or to a value, kept in the configured folder, not in here."""

    __tablename__ = "mission_attachment"
    __table_args__ = (
        CheckConstraint("(proof_id IS NULL) <> (value_id IS NULL)", name="one_owner"),
        UniqueConstraint("stored_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_proof.id", ondelete="CASCADE"), index=True
    )
    value_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_value.id", ondelete="CASCADE"), index=True
    )
    #: The name the file had (cleaned), shown and offered on download.
    filename: Mapped[str] = mapped_column(String(200))
    #: The type its content was recognised as ("application/pdf"), and its size in bytes.
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    #: SHA-256 of the content, checked when the file is served.
    sha256: Mapped[str] = mapped_column(String(64))
    #: The random name of the file inside MISSION_ATTACHMENTS_DIR.
    stored_name: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    proof: Mapped[Proof | None] = relationship(back_populates="attachments")
    value: Mapped[IndicatorValue | None] = relationship(back_populates="attachments")


class Comment(db.Model):
    """A committee member's remark on a value or a proof."""

    __tablename__ = "mission_comment"
    __table_args__ = (
        CheckConstraint("(proof_id IS NULL) <> (value_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_proof.id", ondelete="CASCADE"), index=True
    )
    value_id: Mapped[int | None] = mapped_column(
        ForeignKey("mission_value.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: The remark (plain text, shown escaped).
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]

    author = relationship("User")


class CommitteeSession(db.Model):
    """A meeting of the mission committee: date, agenda and minutes."""

    __tablename__ = "mission_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The day it sits, and its title ("Comité de mission — printemps 2026").
    held_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    #: Agenda and minutes (plain text, shown with line breaks).
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Opinion(db.Model):
    """The committee's annual opinion (avis), written in versions and published once."""

    __tablename__ = "mission_opinion"
    __table_args__ = (
        UniqueConstraint("year"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The year the opinion is about.
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: draft while the committee writes; published freezes the published version.
    status: Mapped[str] = mapped_column(String(10), default="draft")
    published_at: Mapped[datetime | None]
    #: The number of the version that was published.
    published_number: Mapped[int | None]
    created_at: Mapped[datetime]

    versions: Mapped[list["OpinionVersion"]] = relationship(
        back_populates="opinion",
        order_by="OpinionVersion.number",
        cascade="all, delete-orphan",
    )


class OpinionVersion(db.Model):
    """One version of an opinion's text: versions are only ever added."""

    __tablename__ = "mission_opinion_version"
    __table_args__ = (UniqueConstraint("opinion_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("mission_opinion.id", ondelete="CASCADE"))
    #: 1, 2, ... in the order written.
    number: Mapped[int]
    #: The text (plain text, paragraphs separated by blank lines).
    body: Mapped[str] = mapped_column(Text)
    #: What changed in this version.
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    opinion: Mapped[Opinion] = relationship(back_populates="versions")
    author = relationship("User")
