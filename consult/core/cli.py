"""`consult worker` (background jobs of every area) and `consult mail ...` (the outbox)."""

import click
from flask import current_app
from flask.cli import with_appcontext

#: Every RQ queue the application uses: imports, the outbox, the synthesis computations.
QUEUES = ("imports", "mail", "analysis")


@click.group("mail")
def cli():
    """Outgoing e-mail: the outbox filled by imports and other bulk mailings."""


@cli.command("deliver")
@click.option("--limit", type=int, default=None, help="Send at most this many messages.")
@with_appcontext
def deliver_command(limit):
    """Send the messages waiting in the outbox, at MAIL_RATE_PER_MINUTE."""
    from consult.core import mail
    from consult.core.i18n import english_count

    sent = mail.deliver(limit, paced=True)
    click.echo(
        f"{english_count(sent, 'message', 'messages')} sent, {mail.pending_count()} waiting."
    )


@click.command("worker")
@click.option(
    "--queue", "queues", multiple=True, type=click.Choice(QUEUES), help="Default: every queue."
)
@with_appcontext
def worker(queues):
    """Run the RQ worker that executes imports, e-mail delivery and analyses (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    Worker(list(queues or QUEUES), connection=Redis.from_url(url)).work()
