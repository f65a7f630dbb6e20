"""Notification e-mails: written into core's outbox in the transaction that made the
notifications, so they leave only after its commit and at the rate the mail server accepts
(`consult.core.mail`: the RQ worker with REDIS_URL, else the end of the request and
`consult mail deliver`). Each carries a one-click opt-out link (RFC 8058)."""

from __future__ import annotations

from flask import current_app
from flask_babel import format_date, format_time
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from consult.core.clock import to_local
from consult.core.i18n import force_locale
from consult.core.i18n import gettext as _
from consult.core.mail import queue_mail
from consult.extensions import db


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
    """An absolute link from SITE_URL, in a request too (never from its forgeable Host header)."""
    base = current_app.config["SITE_URL"]
    return base + path


def show_moment(moment) -> str:
    """A stored UTC moment in Paris time, as pages show it: "12 mars 2027, 18:00"."""
    local = to_local(moment)
    return f"{format_date(local, 'long')}, {format_time(local, 'HH:mm')}"


def queue(ids: list[int], *, now) -> int:
    """Write the e-mails of new notifications to the outbox, unless their person opted out of
    that kind; returns how many were queued."""
    from consult.accounts.models import User
    from consult.notifications.models import Notification, NotificationOptOut
    from consult.notifications.rules import message, subject_line

    if not ids:
        return 0
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids))
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
    queued = 0
    # e-mails are written in the platform's first language, whoever triggered them
    with force_locale(current_app.config["LANGUAGES"][0]):
        for notification, user in rows:
            if (user.id, notification.kind) in refused:
                notification.mail_status = "skipped"
                continue
            opt_out = site_url(f"/notifications/stop/{opt_out_token(user.id, notification.kind)}")
            body = "\n\n".join(
                [
                    _("Hello,"),
                    str(message(notification.kind, notification.params, show_moment)),
                    _("To see it: %(link)s", link=site_url(notification.url)),
                    "-- ",
                    _("To stop e-mails of this kind, in one click: %(link)s", link=opt_out),
                    _(
                        "Choose which e-mails you receive: %(link)s",
                        link=site_url("/notifications/settings"),
                    ),
                ]
            )
            queue_mail(
                user.email,
                str(subject_line(notification.kind, notification.params)),
                body,
                now=now,
                headers={
                    "List-Unsubscribe": f"<{opt_out}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            notification.mail_status = "queued"
            queued += 1
    db.session.flush()
    return queued
