"""What the request's sign-in query learns about the person for moderation (consult.core.facts)."""

from sqlalchemy import select

from consult.core import facts
from consult.moderation.models import Suspension

EVER_SUSPENDED = "moderation.ever_suspended"


@facts.fact(EVER_SUSPENDED)
def ever_suspended(user_id):
    """The person has a suspension, in force or not: without one, nothing they write needs the
    look-up of a suspension in force (`services.active_suspension`)."""
    return select(Suspension.id).where(Suspension.user_id == user_id).exists()
