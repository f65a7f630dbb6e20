"""Sending notification e-mails in the background: RQ on Redis when configured, else right
after the commit, in the same process.

Notifications are e-mailed only once the transaction that made them has committed: a rolled-back
request sends nothing. With REDIS_URL set, `consult notifications worker` sends them; without it,
they are sent when the request ends (`deliver_committed`, called at teardown) or by the command
that made them.
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, request
from flask_babel import force_locale, format_date, format_time
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from consult.core.clock import to_local, utcnow
from consult.core.mail import send_mail
from consult.extensions import db

QUEUE = "notifications"
PENDING = "notifications_to_send"
COMMITTED = "notifications_committed"
#: Notifications handed to one RQ job.
BATCH = 500
log = logging.getLogger(__name__)


def uses_queue() -> bool:
    """Queue on Redis only when it is configured and the app is not told to send inline."""
    config = current_app.config
    return bool(config.get("REDIS_URL")) and not config.get("NOTIFICATIONS_INLINE", False)


def submit(ids: list[int]) -> None:
    """Send these notifications' e-mails once the current transaction commits."""
    if ids:
        db.session.info.setdefault(PENDING, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    """Committed: queue the e-mails on RQ, or keep them for `deliver_committed`."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    if uses_queue():
        from redis import Redis
        from rq import Queue

        queue = Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))
        for start in range(0, len(pending), BATCH):
            queue.enqueue(send_queued, pending[start : start + BATCH], job_timeout=3600)
    else:
        session.info.setdefault(COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    """Notifications that were rolled back are never sent."""
    session.info.pop(PENDING, None)


def deliver_committed() -> int:
    """Send what the last commit left to send inline (end of a request, end of a command)."""
    ids = db.session.info.pop(COMMITTED, None)
    if not ids:
        return 0
    sent = deliver(ids)
    db.session.commit()
    return sent


def send_queued(ids: list[int]) -> None:
    """Entry point of the RQ worker: send inside an application context, then commit."""
    from consult import create_app

    with create_app().app_context():
        deliver(ids)
        db.session.commit()


def opt_out_token(user_id: int, kind: str) -> str:
    """The signed token of a one-click opt-out link (never expires: old e-mails keep working)."""
    return _serializer().dumps({"u": user_id, "k": kind})


def read_opt_out_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a genuine token, else None."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("k"))


def _serializer() -> URLSafeSerializer:
    """itsdangerous signs the token with the app's secret key and a purpose of its own."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications.opt-out")


def site_url(path: str) -> str:
    """An absolute link: the request's host in a request, SITE_URL in the worker or cron."""
    base = request.host_url.rstrip("/") if has_request_context() else current_app.config["SITE_URL"]
    return base + path


def deliver(ids: list[int]) -> int:
    """E-mail each pending notification unless its person opted out; returns how many went."""
    from consult.accounts.models import User
    from consult.notifications.models import Notification, NotificationOptOut
    from consult.notifications.rules import message, subject_line

    sent = 0
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids), Notification.mail_status == "pending")
        .order_by(Notification.id)
    ).all()
    refused = {
        (user_id, kind)
        for user_id, kind in db.session.execute(
            select(NotificationOptOut.user_id, NotificationOptOut.kind).where(
                NotificationOptOut.user_id.in_({user.id for _n, user in rows})
            )
        )
    }
    # e-mails are written in the platform's first language, whoever triggered them
    with force_locale(current_app.config["LANGUAGES"][0]):
        for notification, user in rows:
            if (user.id, notification.kind) in refused or not user.active or user.deleted_at:
                notification.mail_status = "skipped"
                continue
            try:
                _send(notification, user, message, subject_line)
            except Exception:  # noqa: BLE001 - one refused address must not stop the others
                log.exception("notification %s could not be e-mailed", notification.id)
                notification.mail_status = "failed"
                continue
            notification.mail_status = "sent"
            notification.mailed_at = utcnow()
            sent += 1
    db.session.flush()
    return sent


def _send(notification, user, message, subject_line) -> None:
    """One plain-text e-mail, with the opt-out link in the text and in the headers."""
    from flask_babel import gettext as _

    opt_out = site_url(f"/notifications/stop/{opt_out_token(user.id, notification.kind)}")
    text = str(message(notification.kind, notification.params, show_moment))
    body = "\n\n".join(
        [
            _("Hello,"),
            text,
            _("To see it: %(link)s", link=site_url(notification.url)),
            "-- ",
            _("To stop e-mails of this kind, in one click: %(link)s", link=opt_out),
            _(
                "Choose which e-mails you receive: %(link)s",
                link=site_url("/notifications/settings"),
            ),
        ]
    )
    send_mail(
        user.email,
        str(subject_line(notification.kind, notification.params)),
        body,
        headers={
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def show_moment(moment) -> str:
    """A stored UTC moment in Paris time, as pages show it: "12 mars 2027, 18:00"."""
    local = to_local(moment)
    return f"{format_date(local, 'long')}, {format_time(local, 'HH:mm')}"
