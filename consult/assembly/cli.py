"""`consult assembly ...`: check an assembly's results and chain, import a roll."""

import sys

import click
from flask.cli import with_appcontext

from consult.assembly import services
from consult.assembly.models import Assembly
from consult.extensions import db


@click.group("assembly")
def cli():
    """General-assembly votes."""


@cli.command("verify")
@click.argument("assembly_id", type=int)
@with_appcontext
def verify(assembly_id):
    """Recompute the tally from the published ballots and check the hash chain."""
    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None:
        click.echo(f"No assembly {assembly_id}.", err=True)
        sys.exit(2)
    problems = services.verify(assembly)
    entries = services.log_entries(assembly)
    click.echo(f"Assembly {assembly.id}: {assembly.title}")
    click.echo(f"Freeze hash: {assembly.freeze_hash or '-'}")
    click.echo(f"Chain: {len(entries)} entries, head {entries[-1].hash if entries else '-'}")
    for resolution in assembly.resolutions:
        if resolution.status == "closed":
            ballots = len(services.ballots_of(resolution))
            click.echo(f"Resolution {resolution.position}: {ballots} ballots, {resolution.outcome}")
    for problem in problems:
        click.echo(f"PROBLEM: {problem}")
    if problems:
        sys.exit(1)
    click.echo("OK: the chain is intact and every recount matches.")


@cli.command("scrub")
@with_appcontext
def scrub():
    """Rewrite the ballot table so that no old row version (seal, casting order) stays readable."""
    if services.scrub_storage(db.engine):
        click.echo("OK: the ballot table holds no old row version.")
    else:
        click.echo("The ballot table is in use (a backup or a long query?): try again.", err=True)
        sys.exit(1)
