"""Co-writing workshops: a brief, groups of co-authors, versioned stories, anchored comments,
ideas grouped under headings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.accounts.models import User
from consult.consultations.models import Consultation, Contribution, Question
from consult.extensions import db

PHASES = ("draft", "write", "comment", "finalise", "published")
SENTIMENTS = ("like", "worry", "idea")


class Workshop(db.Model):
    """A co-writing workshop from a brief ("la santé en 2040"), run in phases."""

    __tablename__ = "workshop"
    __table_args__ = (
        CheckConstraint(
            "phase IN ('draft', 'write', 'comment', 'finalise', 'published')", name="phase"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Sanitised rich text: the question the stories answer.
    brief: Mapped[str] = mapped_column(Text, default="")
    #: The future the stories are set in ("la santé en 2040").
    horizon: Mapped[str] = mapped_column(String(120), default="")
    #: draft → write → comment → finalise → published.
    phase: Mapped[str] = mapped_column(String(20), default="draft")
    #: The open question whose synthesis the stories and comments join (channel "workshop").
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]

    consultation: Mapped[Consultation] = relationship()
    question: Mapped[Question] = relationship()
    groups: Mapped[list["WorkshopGroup"]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="WorkshopGroup.id"
    )
    headings: Mapped[list["IdeaHeading"]] = relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="IdeaHeading.position"
    )


class WorkshopGroup(db.Model):
    """A small group of co-authors writing one story (invited people or a drawn panel)."""

    __tablename__ = "workshop_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    #: The drawn panel its members came from, if any.
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="groups")
    members: Mapped[list["WorkshopMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    story: Mapped["Story | None"] = relationship(
        back_populates="group", cascade="all, delete-orphan", uselist=False
    )


class WorkshopMember(db.Model):
    """A co-author; a person writes in one group of a workshop."""

    __tablename__ = "workshop_member"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_group.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime]

    group: Mapped[WorkshopGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Story(db.Model):
    """A group's story; its text is the latest of its versions."""

    __tablename__ = "workshop_story"
    __table_args__ = (
        UniqueConstraint("group_id"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("workshop_group.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: Sanitised rich text of the latest version (core's allow-list).
    body: Mapped[str] = mapped_column(Text, default="")
    #: Number of the latest version (0: nothing written yet).
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
    #: The contribution it became when the workshop was published (synthesis, moderation).
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL")
    )

    group: Mapped[WorkshopGroup] = relationship(back_populates="story")
    versions: Mapped[list["StoryVersion"]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="StoryVersion.number"
    )
    contribution: Mapped[Contribution | None] = relationship()


class StoryVersion(db.Model):
    """One saved version of a story. The unique number is the merge guard: two people saving
    from the same version cannot both create the next one."""

    __tablename__ = "workshop_story_version"
    __table_args__ = (UniqueConstraint("story_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("workshop_story.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    #: What the author wrote about the change (optional).
    note: Mapped[str] = mapped_column(String(300), default="")

    story: Mapped[Story] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()


class StoryComment(db.Model):
    """A reader's comment or sentiment on one paragraph of a story.

    The paragraph's text at the time is kept, so the comment can be anchored again after the
    story changes (see rules.reanchor).
    """

    __tablename__ = "workshop_comment"
    __table_args__ = (
        CheckConstraint(
            "sentiment IS NULL OR sentiment IN ('like', 'worry', 'idea')", name="sentiment"
        ),
        CheckConstraint("paragraph >= 0", name="paragraph"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_story.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: The version commented, the paragraph's position in it and its text then.
    version: Mapped[int]
    paragraph: Mapped[int]
    anchor_text: Mapped[str] = mapped_column(Text)
    #: like, worry or idea (optional).
    sentiment: Mapped[str | None] = mapped_column(String(10))
    #: The comment's text lives in its contribution (moderated like any); None for a sentiment.
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]

    story: Mapped[Story] = relationship()
    author: Mapped[User] = relationship()
    contribution: Mapped[Contribution | None] = relationship()


class IdeaHeading(db.Model):
    """A heading ideas drawn from the stories are grouped under."""

    __tablename__ = "workshop_heading"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    workshop: Mapped[Workshop] = relationship(back_populates="headings")
    ideas: Mapped[list["Idea"]] = relationship(
        back_populates="heading", cascade="all, delete-orphan", order_by="Idea.position"
    )


class Idea(db.Model):
    """An idea drawn from a story, under a heading."""

    __tablename__ = "workshop_idea"

    id: Mapped[int] = mapped_column(primary_key=True)
    heading_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_heading.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_story.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    heading: Mapped[IdeaHeading] = relationship(back_populates="ideas")
    story: Mapped[Story | None] = relationship()
