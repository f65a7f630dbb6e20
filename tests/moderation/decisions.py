"""Decisions as a moderator makes them: from the version the item is at now, committed."""

from consult.extensions import db
from consult.moderation import services
from consult.moderation.models import ModerationStatus


def current_status(contribution) -> ModerationStatus:
    """The contribution's moderation status as stored now (not as the session remembers it)."""
    return db.session.get(ModerationStatus, contribution.id, populate_existing=True)


def current_version(contribution) -> int:
    """The version a moderator opening the item now would decide from."""
    return current_status(contribution).version


def decide(moderator, contribution, action, now, **reasons):
    """Decide on the contribution from its current version, and commit."""
    decision = services.decide(
        moderator,
        contribution,
        action,
        expected_version=current_version(contribution),
        now=now,
        **reasons,
    )
    db.session.commit()
    return decision
