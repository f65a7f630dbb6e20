"""`consult notifications ...`: the scheduled scan and the e-mail worker."""

import click
from flask import current_app
from flask.cli import AppGroup

cli = AppGroup("notifications", help="Notifications in the app and by e-mail.")


@cli.command("send")
def send():
    """Tell people about what is due now (run it every few minutes from cron)."""
    from consult.core.clock import utcnow
    from consult.extensions import db
    from consult.notifications import delivery, services

    # links are written from SITE_URL, as no browser asked for this
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        told = services.scan(now=utcnow())
        db.session.commit()
        sent = delivery.deliver_committed()
    for kind, count in told.items():
        click.echo(f"{kind}: {count}")
    if not delivery.uses_queue():
        click.echo(f"{sent} e-mail(s) sent.")


@cli.command("worker")
def worker():
    """Run the RQ worker that sends notification e-mails (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    from consult.notifications.delivery import QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: e-mails are sent inline, no worker.")
    Worker([QUEUE], connection=Redis.from_url(url)).work()
