"""An uploaded file on its way from mapping to preview to the confirmed import, and the mapping
remembered for the next file of the same kind."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db

BATCH_STATUSES = (
    "uploaded",
    "previewing",
    "previewed",
    "queued",
    "running",
    "done",
    "failed",
    "cancelled",
)
#: Statuses of a confirmed import not finished yet: one at a time per kind and target.
UNDER_WAY = ("queued", "running")


class ImportBatch(db.Model):
    """One file an organiser imports: its bytes until the import is over, then only the counts.

    The file is kept in the database (not on a disk) so that any application process and the
    background worker read the same bytes; it is deleted once the import is done or cancelled,
    since it holds personal data that the import has no further use for.
    """

    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint(
            "status IN ('uploaded', 'previewing', 'previewed', 'queued', 'running', 'done', "
            "'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_import_batch_kind_target", "kind", "target_id"),
        # Two confirmed imports into the same roll or pool at once would interleave their writes.
        Index(
            "uq_import_batch_under_way",
            "kind",
            "target_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered import kind ("accounts.invitations", "panels.volunteers", ...).
    kind: Mapped[str] = mapped_column(String(60))
    #: What the import goes into (a panel project's or an assembly's id); 0 when nothing.
    target_id: Mapped[int] = mapped_column(default=0)
    #: uploaded → previewing → previewed → queued → running → done or failed; or cancelled.
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    #: The name the file had on the organiser's computer (shown, never used to read it).
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: csv, xlsx, ods or xls, found from the content.
    file_format: Mapped[str] = mapped_column(String(10))
    #: The uploaded bytes; None once the import is over.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Column names of the file's header line.
    columns: Mapped[list] = mapped_column(JSON, default=list)
    #: Data rows read from the file.
    row_count: Mapped[int] = mapped_column(default=0)
    #: One field key (or None) per column, as chosen on the mapping page.
    mapping: Mapped[list | None] = mapped_column(JSON)
    #: Choices made with the upload (the kind decides: consent confirmed, ...).
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The preview: counts to create, update, leave, remove; refused lines with their reasons.
    plan: Mapped[dict | None] = mapped_column(JSON)
    #: What the confirmed import did (counts).
    result: Mapped[dict | None] = mapped_column(JSON)
    #: Percentage of the current step done, shown while the worker runs.
    progress: Mapped[int] = mapped_column(default=0)
    #: Why the import failed, for the organiser.
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        """True when the batch will not change any more."""
        return self.status in ("done", "failed", "cancelled")

    @property
    def busy(self) -> bool:
        """True while the worker (or the request) computes the preview or the import."""
        return self.status in ("previewing", "queued", "running")


class ImportMapping(db.Model):
    """The last mapping chosen for a kind of import: normalised column name → field key."""

    __tablename__ = "import_mapping"

    #: The import kind, as in ImportBatch.kind.
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    #: Column name (normalised) → field key, or None for a column the organiser left out.
    columns: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
