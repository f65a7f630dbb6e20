"""What every page's navigation knows about the signed-in person in panels (consult.core.facts)."""

from sqlalchemy import select

from consult.core import facts
from consult.panels.models import PanelSeat, PanelVolunteer

SITS_IN_A_PANEL = "panels.sits_in_a_panel"


@facts.fact(SITS_IN_A_PANEL)
def sits_in_a_panel(user_id):
    """The person accepted a seat (as `services.seats_of_user` finds them): "My panel" shows."""
    return (
        select(PanelSeat.id)
        .join(PanelVolunteer)
        .where(PanelVolunteer.user_id == user_id, PanelSeat.status == "accepted")
        .exists()
    )
