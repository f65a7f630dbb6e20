"""`consult notifications send`: the scheduled scan."""

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("notifications", help="Notifications in the app and by e-mail.")


@cli.command("send")
def send():
    """Tell people about what is due now (run it every few minutes from cron)."""
    from consult.core.clock import utcnow
    from consult.core.i18n import english_count
    from consult.core.mail import pending_count
    from consult.extensions import db
    from consult.notifications import services

    # links are written from SITE_URL, as no browser asked for this
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        told = services.scan(now=utcnow())
        db.session.commit()
    for kind, count in told.items():
        click.echo(f"{kind}: {count}")
    waiting = english_count(pending_count(), "e-mail", "e-mails")
    click.echo(f"{waiting} waiting in the outbox (consult mail deliver).")
