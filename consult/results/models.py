"""The publication of a consultation's results."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.consultations.models import Consultation
from consult.extensions import db


class ResultsPublication(db.Model):
    """Analysts published a closed consultation's results: the findings as they stand, and the
    key figures frozen at publication (a later deletion of an account cannot change them)."""

    __tablename__ = "results_publication"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Key figures as codes and numbers ({"contributions": 348000, "internal_rate": [33, 100]}).
    figures: Mapped[dict] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship()
