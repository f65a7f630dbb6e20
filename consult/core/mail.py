"""Outgoing e-mail: written to the log in development, sent by SMTP in production.

`send_mail` sends one message now. `queue_mail` puts a message in the outbox (table
`mail_outbox`) in the current transaction: bulk mailings (an import's invitations) use it, so that
nothing leaves before the commit and the mail server receives at most MAIL_RATE_PER_MINUTE
messages a minute. With REDIS_URL, the worker (`consult worker`) delivers the outbox; without it,
the request that committed delivers the first MAIL_INLINE_LIMIT messages as it ends, and
`consult mail deliver` sends the rest.

`queue_composed` queues a message that is written only when it is delivered, by a composer
registered under a name (`composer`): the request does the same work (one row) whatever the
message will turn out to be, and the composer may decide to send nothing. The password-reset
request uses it, so that a known address and an unknown one cost the request the same.
"""

import logging
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage

from flask import current_app, g, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from consult.extensions import db

log = logging.getLogger("consult.mail")

#: Messages sent while TESTING, newest last, so tests can read links from them.
outbox: list[EmailMessage] = []

QUEUE = "mail"
#: RQ job id of the delivery: one delivery runs at a time, so the rate holds.
DELIVERY_JOB_ID = "consult-mail-delivery"
QUEUED = "mail_queued"

#: Composers of messages written at delivery, by name: (recipient, data) -> (subject, body),
#: or None to send nothing. Each runs in the delivery's transaction, committed with the sending.
COMPOSERS: dict[str, Callable[[str, dict], tuple[str, str] | None]] = {}


def composer(name: str):
    """Register a composer of messages queued by `queue_composed` under ``name``."""

    def register(function):
        COMPOSERS[name] = function
        return function

    return register


def send_mail(to: str, subject: str, body: str, headers: dict | None = None) -> EmailMessage:
    """Send a plain-text e-mail (never HTML: no participant text can run in a mail client).

    `headers` adds header lines, e.g. List-Unsubscribe for notifications (RFC 8058).
    """
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if current_app.config.get("TESTING"):
        outbox.append(message)
    elif current_app.config["MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"]) as smtp:
            smtp.send_message(message)
    else:
        log.warning("E-mail to %s: %s\n%s", to, subject, body)
    return message


def queue_mail(to: str, subject: str, body: str, *, now, headers: dict | None = None) -> None:
    """Put an e-mail in the outbox; it leaves after the current transaction commits."""
    from consult.core.models import OutgoingMail

    db.session.add(
        OutgoingMail(recipient=to, subject=subject, body=body, created_at=now, headers=headers)
    )
    db.session.info[QUEUED] = True


def queue_composed(name: str, to: str, data: dict, *, now) -> None:
    """Queue a message that the composer ``name`` writes when it is delivered (or drops)."""
    from consult.core.models import OutgoingMail

    if name not in COMPOSERS:
        raise KeyError(name)
    db.session.add(
        OutgoingMail(
            recipient=to, subject="", body="", created_at=now, composer=name, composer_data=data
        )
    )
    db.session.info[QUEUED] = True


def queue_mails(messages, *, now) -> None:
    """Put many (recipient, subject, body) e-mails in the outbox with one statement."""
    from sqlalchemy import insert

    from consult.core.models import OutgoingMail

    if messages:
        db.session.execute(
            insert(OutgoingMail),
            [
                {
                    "recipient": to,
                    "subject": subject,
                    "body": body,
                    "created_at": now,
                    "attempts": 0,
                }
                for to, subject, body in messages
            ],
        )
        db.session.info[QUEUED] = True


def pending_count() -> int:
    """Messages still waiting in the outbox."""
    from sqlalchemy import func

    from consult.core.models import OutgoingMail

    return db.session.scalar(select(func.count()).select_from(OutgoingMail)) or 0


def deliver(limit: int | None = None, *, paced: bool = False) -> int:
    """Send waiting messages, oldest first, committing after each; return how many were sent.

    `paced` spaces them to respect MAIL_RATE_PER_MINUTE (the worker and the CLI pace; the end of
    a request sends a few at once). Rows are claimed with SKIP LOCKED on PostgreSQL, so two
    deliveries never send the same message.
    """
    from consult.core.models import OutgoingMail

    config = current_app.config
    gap = 60.0 / max(1, config.get("MAIL_RATE_PER_MINUTE", 300)) if paced else 0.0
    max_attempts = config.get("MAIL_MAX_ATTEMPTS", 5)
    sent = 0
    while limit is None or sent < limit:
        row = db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.attempts < max_attempts)
            .order_by(OutgoingMail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            break
        if row.composer:
            composed = COMPOSERS[row.composer](row.recipient, row.composer_data or {})
            if composed is None:  # nothing to send (e.g. a reset asked for an unknown address)
                db.session.delete(row)
                db.session.commit()
                continue
            subject, body = composed
        else:
            subject, body = row.subject, row.body
        try:
            send_mail(row.recipient, subject, body, headers=row.headers)
        except (OSError, smtplib.SMTPException) as error:
            row.attempts += 1
            row.last_error = str(error)[:2000]
            db.session.commit()
            log.warning("e-mail to %s not sent: %s", row.recipient, error)
            if gap:
                time.sleep(gap)
            continue
        db.session.delete(row)
        db.session.commit()
        sent += 1
        if gap:
            time.sleep(gap)
    return sent


def deliver_queued() -> None:
    """Entry point of the worker: empty the outbox at the configured rate."""
    if has_app_context():
        deliver(paced=True)
        return
    from consult import create_app

    with create_app().app_context():
        deliver(paced=True)


def _uses_queue() -> bool:
    """Deliver through the worker when Redis is configured."""
    return bool(current_app.config.get("REDIS_URL")) and not current_app.config.get(
        "MAIL_INLINE", False
    )


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    """Once queued messages are committed, start their delivery."""
    if not session.info.pop(QUEUED, False) or not has_app_context():
        return
    if _uses_queue():
        from redis import Redis
        from rq import Queue
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        connection = Redis.from_url(current_app.config["REDIS_URL"])
        try:
            status = Job.fetch(DELIVERY_JOB_ID, connection=connection).get_status()
        except NoSuchJobError:
            status = None
        if status not in (JobStatus.QUEUED, JobStatus.STARTED):
            Queue(QUEUE, connection=connection).enqueue(
                deliver_queued, job_id=DELIVERY_JOB_ID, job_timeout=24 * 3600
            )
    else:
        g.mail_to_deliver = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    """Rolled-back messages are gone: nothing to deliver."""
    session.info.pop(QUEUED, None)


def deliver_after_request(_error=None) -> None:
    """At the end of a request that queued mail without a worker, send the first messages."""
    if not g.pop("mail_to_deliver", False):
        return
    try:
        deliver(limit=current_app.config.get("MAIL_INLINE_LIMIT", 200))
    except Exception:  # noqa: BLE001 - the request succeeded; the outbox keeps the rest
        db.session.rollback()
        log.exception("delivering the outbox failed")


def url_builder(base_url: str | None):
    """A function making absolute links for e-mails, also outside a request (in the worker).

    `base_url` is the site's address as the request that started the work saw it; without it,
    links come from the current request, else from SITE_URL (the command line).
    """
    from flask import has_request_context, url_for

    if not base_url and has_request_context():
        return lambda endpoint, **values: url_for(endpoint, _external=True, **values)
    from urllib.parse import urlsplit

    base_url = base_url or current_app.config["SITE_URL"]
    parts = urlsplit(base_url)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return lambda endpoint, **values: adapter.build(endpoint, values, force_external=True)
