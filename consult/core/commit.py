"""Nobody is told "saved" before the commit succeeded.

A request's writes are committed once, after the view (``consult/__init__.py``), or earlier by a
view that must build its answer from what is stored (``commit()``: a vote's tracking code). When the
database does not confirm the commit, whatever the request had written into the session (a flashed
"saved", a receipt) is taken back, and the person gets a page, built without the database, that
says plainly that nothing was recorded and to try again.
"""

import copy

from flask import g, render_template, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from consult.core.i18n import lazy_gettext as _l
from consult.extensions import SAFE_METHODS, db, login_manager

NOT_RECORDED = _l(
    "What you just sent was not recorded: the database did not confirm it. Nothing was saved."
    " Go back and send it again in a moment."
)
UNAVAILABLE = _l("The service is temporarily unavailable. Please try again in a moment.")


class NotRecorded(ServiceUnavailable):
    """The commit failed: the request's writes are lost and the person must be told (503)."""

    def __init__(self, message=None):
        super().__init__()
        self.message = message


def remember_session() -> None:
    """Keep a copy of the session as the request found it (writing requests only)."""
    if request.method not in SAFE_METHODS:
        g.session_before = copy.deepcopy(dict(session))


def forget_session_writes() -> None:
    """Put the session back as the request found it: no flash, no receipt survives."""
    before = g.pop("session_before", None)
    if before is not None:
        session.clear()
        session.update(before)
    g.pop("_flashes", None)


def rollback_quietly() -> None:
    """Roll back, even when the connection is gone (the pool then replaces it)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()


def not_recorded_message():
    """What the person is told when this request's writes were lost (a view may say it better)."""
    return g.get("not_recorded_message") or NOT_RECORDED


def commit(message=None) -> None:
    """Commit the request's writes now; raise NotRecorded (503) when the database did not confirm.

    ``message`` replaces the generic one, e.g. "Your vote was not recorded: vote again".
    """
    if message is not None:
        g.not_recorded_message = message
    try:
        db.session.commit()
    except SQLAlchemyError as error:
        rollback_quietly()
        raise NotRecorded(message) from error


def offline_page(code: int, title, message, *, recorded_nothing: bool = False):
    """An error page that needs no database: no navigation by role, nobody loaded."""
    if recorded_nothing:
        forget_session_writes()
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()  # Flask-Login would query the database
    g.offline_page = True
    return render_template("core/offline.html", code=code, title=title, message=message), code
