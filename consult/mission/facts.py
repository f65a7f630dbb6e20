"""What every page's navigation knows about the signed-in person in the mission follow-up
(consult.core.facts)."""

from sqlalchemy import select

from consult.core import facts
from consult.mission.models import Indicator

OWNS_AN_INDICATOR = "mission.owns_an_indicator"


@facts.fact(OWNS_AN_INDICATOR)
def owns_an_indicator(user_id):
    """The person enters the values of at least one indicator: "My indicators" shows."""
    return select(Indicator.id).where(Indicator.owner_user_id == user_id).exists()
