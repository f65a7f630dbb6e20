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
def verify(inputs, seed, expected, result):
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
    click.echo(f"commitment {drawn.commitment}")
    ok = True
    if expected and expected.strip().lower() != drawn.commitment:
        click.echo(f"MISMATCH: the published commitment is {expected}", err=True)
        ok = False
    for spec, keys in zip(panels, drawn.panels, strict=True):
        click.echo(f"{spec.name}: {' '.join(keys)}")
    click.echo(f"smallest selection probability {float(drawn.lottery.smallest_probability()):.6f}")
    if result is not None:
        published = json.loads(result.read_text(encoding="utf-8"))
        mine = {spec.name: list(keys) for spec, keys in zip(panels, drawn.panels, strict=True)}
        if published.get("panels") != mine or published.get("commitment") != drawn.commitment:
            click.echo("MISMATCH: the published result differs from this re-run.", err=True)
            ok = False
        else:
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
