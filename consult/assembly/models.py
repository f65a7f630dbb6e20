"""General assembly: roll, proxies, resolutions, secret ballots and the hash-chained log.

Secrecy (docs/assembly-secrecy.md): ``Participation`` records who voted, ``Ballot`` what was
voted; no column links them, and neither keeps a time. While a resolution is open a ballot carries
a keyed ``seal`` (HMAC of the delegate and the resolution under ``ASSEMBLY_SEAL_KEY``) so that a
changed vote replaces the previous one. At the close the ballots are rewritten without seals in the
order of their random tracking codes and the old row versions scrubbed, so that neither a column,
the rows' order nor a key links a ballot to its voter any more.
"""

from datetime import date, datetime

from sqlalchemy import (
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

from consult.extensions import db


class Assembly(db.Model):
    """A general assembly of elected delegates on one date and convocation."""

    __tablename__ = "assembly"
    __table_args__ = (
        CheckConstraint("convocation IN (1, 2)", name="convocation"),
        CheckConstraint("proxy_cap >= 0", name="proxy_cap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Title shown on every page and in the minutes.
    title: Mapped[str] = mapped_column(String(200))
    #: The day the assembly sits.
    held_on: Mapped[date] = mapped_column(Date)
    #: 1 for the first convocation, 2 for the second (lower quorum).
    convocation: Mapped[int] = mapped_column(default=1)
    #: How many proxies one delegate may carry (statutes: often 1 or 2).
    proxy_cap: Mapped[int] = mapped_column(default=1)
    #: Whether a delegate may change their vote until the close (the last one counts).
    allow_vote_change: Mapped[bool] = mapped_column(default=True)
    #: The organisation's voting rules when the assembly was created (RuleSet.to_dict JSON).
    rules_json: Mapped[str] = mapped_column(Text)
    #: When the roll and texts froze (voting opened) and the SHA-256 of what froze.
    frozen_at: Mapped[datetime | None]
    freeze_hash: Mapped[str | None] = mapped_column(String(64))
    #: When every resolution was closed and tallied: results become public.
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    delegates: Mapped[list["Delegate"]] = relationship(
        back_populates="assembly", order_by="Delegate.identifier", cascade="all, delete-orphan"
    )
    resolutions: Mapped[list["Resolution"]] = relationship(
        back_populates="assembly", order_by="Resolution.position", cascade="all, delete-orphan"
    )


class Delegate(db.Model):
    """One line of the roll: an elected delegate in office for this assembly."""

    __tablename__ = "assembly_delegate"
    __table_args__ = (
        UniqueConstraint("assembly_id", "identifier"),
        UniqueConstraint("assembly_id", "user_id"),
        CheckConstraint("weight >= 1", name="weight"),
        CheckConstraint("presence IN ('absent', 'present', 'remote')", name="presence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id", ondelete="CASCADE"))
    #: The account the delegate signs in with (matched or invited by e-mail at import).
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: The organisation's identifier for the delegate (roll CSV).
    identifier: Mapped[str] = mapped_column(String(40))
    #: Name and e-mail as on the roll.
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    #: Voting section (section de vote).
    section: Mapped[str] = mapped_column(String(120), default="")
    #: Number of votes the delegate carries when the statutes weight votes (1 otherwise).
    weight: Mapped[int] = mapped_column(default=1)
    #: What the officer recorded: absent, present (in the room) or remote.
    presence: Mapped[str] = mapped_column(String(10), default="absent")
    #: When the presence was last recorded.
    presence_at: Mapped[datetime | None]

    assembly: Mapped[Assembly] = relationship(back_populates="delegates")
    user = relationship("User")


class Proxy(db.Model):
    """A proxy (pouvoir) from one delegate to another; revoked rows are kept."""

    __tablename__ = "assembly_proxy"
    __table_args__ = (
        CheckConstraint("giver_id <> holder_id", name="not_self"),
        # At most one active proxy per giver, in the database.
        Index(
            "uq_assembly_proxy_active_giver",
            "giver_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assembly.id", ondelete="CASCADE"), index=True
    )
    #: Who gives their vote, and who carries it.
    giver_id: Mapped[int] = mapped_column(ForeignKey("assembly_delegate.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(
        ForeignKey("assembly_delegate.id", ondelete="CASCADE"), index=True
    )
    given_at: Mapped[datetime]
    #: When and why the proxy ended (taken back by voting in person, or by the officer).
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))

    giver: Mapped[Delegate] = relationship(foreign_keys=[giver_id])
    holder: Mapped[Delegate] = relationship(foreign_keys=[holder_id])


class Resolution(db.Model):
    """A text put to the vote: for/against (motion) or a choice of wordings (majority judgment)."""

    __tablename__ = "resolution"
    __table_args__ = (
        UniqueConstraint("assembly_id", "position"),
        CheckConstraint("category IN ('statutory', 'ordinary')", name="category"),
        CheckConstraint("kind IN ('motion', 'wordings')", name="kind"),
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assembly.id", ondelete="CASCADE"))
    #: Order on the agenda (1, 2, ...).
    position: Mapped[int]
    #: Short title ("Raison d'être", "Objectif 1").
    title: Mapped[str] = mapped_column(String(200))
    #: The text put to the vote (plain text, shown escaped).
    body: Mapped[str] = mapped_column(Text)
    #: statutory or ordinary: selects the quorum and majority.
    category: Mapped[str] = mapped_column(String(20), default="statutory")
    #: motion (for / against / abstention / blank) or wordings (majority judgment).
    kind: Mapped[str] = mapped_column(String(20), default="motion")
    #: draft → open → closed.
    status: Mapped[str] = mapped_column(String(10), default="draft")
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The tally written at the close (counts, attendance, decision or ranking) as JSON.
    result_json: Mapped[str | None] = mapped_column(Text)
    #: adopted, rejected or no_quorum, once closed.
    outcome: Mapped[str | None] = mapped_column(String(20))

    assembly: Mapped[Assembly] = relationship(back_populates="resolutions")
    wordings: Mapped[list["Wording"]] = relationship(
        back_populates="resolution", order_by="Wording.position", cascade="all, delete-orphan"
    )


class Wording(db.Model):
    """One alternative wording of a resolution, graded by majority judgment."""

    __tablename__ = "resolution_wording"
    __table_args__ = (UniqueConstraint("resolution_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolution.id", ondelete="CASCADE"))
    #: Order on the ballot (1, 2, ...).
    position: Mapped[int]
    #: The wording itself (plain text).
    body: Mapped[str] = mapped_column(Text)

    resolution: Mapped[Resolution] = relationship(back_populates="wordings")


class Participation(db.Model):
    """Who voted on what (never the content): exactly one row per delegate and resolution."""

    __tablename__ = "assembly_participation"
    __table_args__ = (UniqueConstraint("resolution_id", "delegate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolution.id", ondelete="CASCADE"), index=True
    )
    #: The delegate whose vote was cast (indexed: a vote page reads the participations of its
    #: mandates by delegate).
    delegate_id: Mapped[int] = mapped_column(
        ForeignKey("assembly_delegate.id", ondelete="CASCADE"), index=True
    )
    #: Who cast it: the delegate, or the holder of their proxy.
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("assembly_delegate.id", ondelete="CASCADE"))
    #: How many times the counted ballot was replaced (no time is kept: times order the casts).
    changes: Mapped[int] = mapped_column(default=0)


class Ballot(db.Model):
    """What was voted (never who): the counted ballot, identified by its tracking code."""

    __tablename__ = "assembly_ballot"
    __table_args__ = (
        # One counted ballot per delegate and resolution while the vote is open.
        UniqueConstraint("resolution_id", "seal"),
        CheckConstraint(
            "choice IS NULL OR choice IN ('for', 'against', 'abstention', 'blank')",
            name="choice",
        ),
        CheckConstraint("(choice IS NULL) <> (grades IS NULL)", name="choice_or_grades"),
        CheckConstraint("weight >= 1", name="weight"),
    )

    #: The tracking code given to the voter (random; also hides the order of casting).
    code: Mapped[str] = mapped_column(String(14), primary_key=True)
    resolution_id: Mapped[int] = mapped_column(
        ForeignKey("resolution.id", ondelete="CASCADE"), index=True
    )
    #: for / against / abstention / blank (motions).
    choice: Mapped[str | None] = mapped_column(String(12))
    #: Grade index per wording, in wording order, as JSON (majority judgment).
    grades: Mapped[str | None] = mapped_column(String(400))
    #: The votes this ballot carries: the delegate's weight while open, 1 once closed (a ballot of
    #: weight w is then stored as w ballots of one vote, see docs/assembly-secrecy.md).
    weight: Mapped[int] = mapped_column(default=1)
    #: HMAC linking the ballot to its voter while open; gone (NULL, row rewritten) at the close.
    seal: Mapped[str | None] = mapped_column(String(64))


class AssemblyLogEntry(db.Model):
    """One link of the assembly's append-only, hash-chained log."""

    __tablename__ = "assembly_log"
    __table_args__ = (UniqueConstraint("assembly_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assembly.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, ... without gaps: the unique constraint keeps the chain linear.
    seq: Mapped[int]
    #: The canonical JSON that was hashed (action, time, subject, figures; never a ballot).
    payload: Mapped[str] = mapped_column(Text)
    #: Hash of the previous entry (zeros for the first) and of this one.
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PendingLogEntry(db.Model):
    """A cast committed with its ballot but not yet in the chain: the sealer moves these into
    ``assembly_log`` in batches, so that casts never wait for one another on the chain's head.
    Holds what the chain entry will hold (who voted, never how) and is deleted once sealed."""

    __tablename__ = "assembly_pending_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(
        ForeignKey("assembly.id", ondelete="CASCADE"), index=True
    )
    #: The entry's canonical JSON without its sequence number (given when it is sealed).
    payload: Mapped[str] = mapped_column(Text)
