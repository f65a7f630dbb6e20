"""Analysts' work: themes of analysis, hand tags, findings with their quotes, background jobs."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Consultation, Contribution, Question
from consult.extensions import db

TOPIC_ORIGINS = ("proposal", "analyst")
TOPIC_STATES = ("active", "discarded", "merged", "split")
MEMBER_SOURCES = ("auto", "manual", "excluded")
JOB_KINDS = ("topics", "split", "words", "participation")
JOB_STATES = ("queued", "running", "done", "failed")


class Topic(db.Model):
    """A theme of analysis ("thème d'analyse") found in the answers to one open question."""

    __tablename__ = "analysis_topic"
    __table_args__ = (
        CheckConstraint("origin IN ('proposal', 'analyst')", name="origin"),
        CheckConstraint("state IN ('active', 'discarded', 'merged', 'split')", name="state"),
        CheckConstraint(
            "(state = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The open question whose answers the theme groups.
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    #: Name shown to analysts and in the report; the proposal's key terms until renamed.
    name: Mapped[str] = mapped_column(String(200))
    #: Key terms of the latest automatic proposal, most telling first (JSON list of words).
    key_terms: Mapped[list] = mapped_column(JSON, default=list)
    #: Contributions that illustrate the theme best, from the latest proposal (JSON list of ids).
    representative_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: "proposal" (found by the automatic proposal) or "analyst" (made by merging or splitting).
    origin: Mapped[str] = mapped_column(String(20), default="proposal")
    #: active; discarded (set aside by an analyst, kept); merged (into `merged_into_id`);
    #: split (its contributions now belong to the themes it was split into).
    state: Mapped[str] = mapped_column(String(20), default="active")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_topic.id", ondelete="CASCADE")
    )
    #: True once an analyst renamed, merged, split, discarded, tagged or quoted it: a new
    #: automatic proposal never replaces it.
    touched: Mapped[bool] = mapped_column(default=False)
    #: Display order among the question's themes.
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    question: Mapped[Question] = relationship()
    merged_into: Mapped["Topic | None"] = relationship(remote_side=[id])


class TopicMember(db.Model):
    """A contribution placed in a theme, by the proposal ("auto") or by hand ("manual").

    "excluded" records that an analyst took the contribution out of the theme: the automatic
    proposal never moves a contribution an analyst has decided about.
    """

    __tablename__ = "analysis_topic_member"
    __table_args__ = (
        CheckConstraint("source IN ('auto', 'manual', 'excluded')", name="source"),
        Index("ix_analysis_topic_member_contribution", "contribution_id"),
    )

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_topic.id", ondelete="CASCADE"), primary_key=True
    )
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True
    )
    #: auto, manual or excluded (see the class docstring).
    source: Mapped[str] = mapped_column(String(20), default="auto")

    topic: Mapped[Topic] = relationship()
    contribution: Mapped[Contribution] = relationship()


finding_topic = db.Table(
    "analysis_finding_topic",
    db.Column(
        "finding_id", db.ForeignKey("analysis_finding.id", ondelete="CASCADE"), primary_key=True
    ),
    db.Column("topic_id", db.ForeignKey("analysis_topic.id", ondelete="CASCADE"), primary_key=True),
)


class Finding(db.Model):
    """A lesson drawn from a consultation ("enseignement"), illustrated by attributed quotes."""

    __tablename__ = "analysis_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    #: Sanitised rich text.
    body: Mapped[str] = mapped_column(Text, default="")
    #: Order in the report.
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=finding_topic, order_by=Topic.position)
    quotes: Mapped[list["FindingQuote"]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", order_by="FindingQuote.position"
    )


class FindingQuote(db.Model):
    """A published contribution chosen to illustrate a finding, attributed by profile only."""

    __tablename__ = "analysis_finding_quote"
    __table_args__ = (UniqueConstraint("finding_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("analysis_finding.id", ondelete="CASCADE"), index=True
    )
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True
    )
    #: Longest length of the quoted text in the report (cut at a word, with "…"); None: whole.
    max_length: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]

    finding: Mapped[Finding] = relationship(back_populates="quotes")
    contribution: Mapped[Contribution] = relationship()


class AnalysisJob(db.Model):
    """A heavy computation run in the background (RQ) or inline, with its progress."""

    __tablename__ = "analysis_job"
    __table_args__ = (
        CheckConstraint("kind IN ('topics', 'split', 'words', 'participation')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_analysis_job_question_kind", "question_id", "kind"),
        # one computation of a kind at a time for a question (or a consultation): two analysts
        # pressing the button at once start one job
        Index(
            "uq_analysis_job_under_way",
            "kind",
            "scope",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    #: For a split: the theme being split.
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("analysis_topic.id", ondelete="CASCADE")
    )
    #: What the job works on, "consultation:question" (question 0 for the whole consultation):
    #: the unique index allows one job of a kind under way per scope.
    scope: Mapped[str] = mapped_column(String(40))
    #: topics (propose themes), split (divide one theme), words (count a question's words),
    #: participation (a snapshot of who took part, shown on the analysts' pages).
    kind: Mapped[str] = mapped_column(String(20))
    #: queued → running → done or failed.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: Percentage done, shown on the page while the job runs.
    progress: Mapped[int] = mapped_column(default=0)
    #: Parameters (number of themes, ...).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Result for jobs whose output is not stored elsewhere (word counts).
    result: Mapped[dict | None] = mapped_column(JSON)
    #: Why it failed, for the analyst.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship()
    question: Mapped[Question | None] = relationship()
    topic: Mapped[Topic | None] = relationship()

    @property
    def finished(self) -> bool:
        """True when the job will not change any more."""
        return self.status in ("done", "failed")


#: French full-text search on PostgreSQL (accent-insensitive configuration made by the migration);
#: SQLite searches with a folded LIKE instead, so the index exists only on PostgreSQL.
Index(
    "ix_contribution_search",
    text("to_tsvector('consult_french'::regconfig, body)"),
    _table=Contribution.__table__,
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
