"""`consult panels ...`: re-run a published draw to check it."""

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

cli = AppGroup("panels", help="Citizen panels drawn by lot.")


@cli.command("verify")
@click.argument("inputs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", required=True, help="The seed revealed after the commitment.")
@click.option("--commitment", "expected", default=None, help="The published SHA-256 to check.")
@click.option(
    "--result",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The published result.json to compare with.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document (for programs) instead of text.",
)
def verify(inputs, seed, expected, result, as_json):
    """Re-run a draw from its published inputs and seed, and print (or check) the panels."""
    from consult.panels.draw import draw_panels
    from consult.panels.rules import InfeasibleQuotas, PanelInputError, parse_inputs_document

    raw = inputs.read_bytes()
    try:
        volunteers, panels, method = parse_inputs_document(json.loads(raw.decode("utf-8")))
        drawn = draw_panels(volunteers, panels, seed, method)
    except (ValueError, PanelInputError, InfeasibleQuotas) as error:
        click.echo(f"Cannot re-run the draw: {error}", err=True)
        sys.exit(2)
    mine = {spec.name: list(keys) for spec, keys in zip(panels, drawn.panels, strict=True)}
    smallest = float(drawn.lottery.smallest_probability())
    commitment_ok = not expected or expected.strip().lower() == drawn.commitment
    result_ok = None
    if result is not None:
        published = json.loads(result.read_text(encoding="utf-8"))
        result_ok = published.get("panels") == mine and published.get("commitment") == (
            drawn.commitment
        )
    ok = commitment_ok and result_ok is not False
    if as_json:
        document = {
            "commitment": drawn.commitment,
            "seed": seed,
            "panels": mine,
            "smallest_probability": smallest,
            "commitment_matches": None if not expected else commitment_ok,
            "result_matches": result_ok,
        }
        click.echo(json.dumps(document, ensure_ascii=False, sort_keys=True))
        sys.exit(0 if ok else 1)
    click.echo(f"commitment {drawn.commitment}")
    if not commitment_ok:
        click.echo(f"MISMATCH: the published commitment is {expected}", err=True)
    for name, keys in mine.items():
        click.echo(f"{name}: {' '.join(keys)}")
    click.echo(f"smallest selection probability {smallest:.6f}")
    if result_ok is False:
        click.echo("MISMATCH: the published result differs from this re-run.", err=True)
    elif result_ok:
        click.echo("The published result matches this re-run.")
    sys.exit(0 if ok else 1)


@cli.command("commit")
@click.argument("project_id", type=int)
@with_appcontext
def commit(project_id):
    """Commit a project's pool and quotas from the command line (large pools take minutes)."""
    from consult.core.clock import utcnow
    from consult.core.errors import RuleError
    from consult.extensions import db
    from consult.panels import services
    from consult.panels.models import PanelProject

    project = db.session.get(PanelProject, project_id)
    if project is None:
        click.echo(f"No panel project {project_id}.", err=True)
        sys.exit(2)
    try:
        record = services.commit_main_draw(None, project, now=utcnow())
    except RuleError as error:
        db.session.rollback()
        click.echo(str(error.message), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"commitment {record.commitment}")


@cli.command("worker")
@with_appcontext
def worker():
    """Run the RQ worker that computes panel commitments (needs REDIS_URL)."""
    from flask import current_app
    from redis import Redis
    from rq import Worker

    from consult.panels.commitment import QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: commitments run inline, no worker.")
    Worker([QUEUE], connection=Redis.from_url(url)).work()
