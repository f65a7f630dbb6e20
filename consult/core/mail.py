"""Outgoing e-mail: written to the log in development, sent by SMTP in production."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("consult.mail")

#: Messages sent while TESTING, newest last, so tests can read links from them.
outbox: list[EmailMessage] = []


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send a plain-text e-mail (never HTML: no participant text can run in a mail client)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if current_app.config.get("TESTING"):
        outbox.append(message)
    elif current_app.config["MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"]) as smtp:
            smtp.send_message(message)
    else:
        log.warning("E-mail to %s: %s\n%s", to, subject, body)
    return message
