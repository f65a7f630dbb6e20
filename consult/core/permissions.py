"""Roles and the single permission check that every route uses."""

from enum import StrEnum
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from consult.core.i18n import lazy_gettext as _l


class Role(StrEnum):
    """What a person may do; a person can hold several roles."""

    PARTICIPANT = "participant"
    DELEGATE = "delegate"
    MODERATOR = "moderator"
    ANALYST = "analyst"
    ORGANISER = "organiser"
    ADMINISTRATOR = "administrator"
    #: Sits on the mission committee: validates values, decides on proofs, writes the opinion.
    COMMITTEE = "committee"
    #: The independent third-party auditor (OTI): reads everything, changes nothing.
    AUDITOR = "auditor"


ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.DELEGATE: _l("Elected delegate"),
    Role.MODERATOR: _l("Moderator"),
    Role.ANALYST: _l("Analyst"),
    Role.ORGANISER: _l("Organiser"),
    Role.ADMINISTRATOR: _l("Administrator"),
    Role.COMMITTEE: _l("Mission committee member"),
    Role.AUDITOR: _l("Independent auditor"),
}


def has_any_role(user, roles) -> bool:
    """True when the user holds one of the roles; administrators hold them all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    held = user.role_names
    return Role.ADMINISTRATOR in held or any(role in held for role in roles)


def role_required(*roles: Role):
    """Guard a view: anonymous people go to the sign-in page, others without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)  # an API caller gets JSON, not the sign-in page
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if roles and not has_any_role(current_user, roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def login_required(view):
    """Guard a view that any signed-in person may open."""
    return role_required()(view)
