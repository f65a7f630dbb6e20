"""`consult moderation ...` commands."""

import click
from flask.cli import with_appcontext

from consult.extensions import db
from consult.moderation import services


@click.group("moderation")
def cli():
    """Moderation: maintenance of the queue."""


@cli.command("backfill")
@with_appcontext
def backfill():
    """Create the moderation rows of contributions imported in bulk."""
    created = services.backfill_statuses()
    db.session.commit()
    click.echo(f"{created} contributions added to the moderation records.")
