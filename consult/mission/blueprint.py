"""The mission blueprint, shared by the public, working and committee route modules."""

from flask import Blueprint, abort

from consult.extensions import db

bp = Blueprint("mission", __name__, url_prefix="/mission")


def get_or_404(model, ident: int):
    """A row by id, or 404."""
    return db.session.get(model, ident) or abort(404)


@bp.context_processor
def _mission_helpers():
    """Labels and figure formatting for every mission template."""
    from flask_login import current_user

    from consult.core.permissions import has_any_role
    from consult.mission import labels

    return {"labels": labels, "may": lambda *roles: has_any_role(current_user, roles)}
