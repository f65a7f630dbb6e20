"""Settings saved by administrators, kept as a history so that past values stay known."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db


class SettingValue(db.Model):
    """One value of a setting, in force from ``valid_from`` until the next one: rows are only
    ever inserted, so a closed consultation still finds the values it ran with."""

    __tablename__ = "setting_value"
    __table_args__ = (Index("ix_setting_value_key_valid_from", "key", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which setting, e.g. "moderation.flag_threshold" (see consult.admin.settings.SETTINGS).
    key: Mapped[str] = mapped_column(String(60))
    #: The value as JSON (a number, a text, a mapping of reasons, a rule set); None where the
    #: environment gave none (the built-in reasons, translated for each reader).
    value: Mapped[object | None] = mapped_column(JSON)
    #: When it took effect (naive UTC); the environment's value applies before the first row.
    valid_from: Mapped[datetime]
    #: Who saved it; None for the value the environment gave before the first change.
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
