"""How long the personal data of volunteers and invitees are kept after a consultation or panel."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Consultation
from consult.extensions import db
from consult.panels.models import PanelProject


class RetentionPolicy(db.Model):
    """The organiser's choice for one consultation or one panel project (exactly one of them)."""

    __tablename__ = "privacy_retention"
    __table_args__ = (
        CheckConstraint("(consultation_id IS NULL) <> (project_id IS NULL)", name="one_subject"),
        CheckConstraint("keep_days BETWEEN 0 AND 3650", name="keep_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The consultation whose invitees' data this governs.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), unique=True
    )
    #: The panel project whose volunteers' data this governs.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_project.id", ondelete="CASCADE"), unique=True
    )
    #: Days the personal data are kept after the consultation or the panel ends.
    keep_days: Mapped[int]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: When the scheduled command erased the data (None until then).
    erased_at: Mapped[datetime | None]

    consultation: Mapped[Consultation | None] = relationship()
    project: Mapped[PanelProject | None] = relationship()
