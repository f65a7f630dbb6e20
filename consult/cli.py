"""The `consult` command: Flask's CLI with the app factory, plus the project's own commands."""

import importlib
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app():
    """Factory used by the CLI (reads DATABASE_URL and friends from the environment)."""
    from consult import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """consult: consultations, moderation, panels, synthesis and assembly votes."""


@click.group()
def i18n():
    """Manage the French translation catalogues of each area."""


@i18n.command("refresh")
def i18n_refresh():
    """Extract every area's strings, merge them into its .po and compile the .mo."""
    from consult.core.catalogues import refresh_all
    from consult.core.i18n import english_count

    gaps = refresh_all()
    for area, messages in gaps.items():
        for message in messages:
            click.echo(f"{area}: untranslated: {message}")
    missing = sum(len(m) for m in gaps.values())
    click.echo(
        english_count(missing, "message still needs", "messages still need")
        + " a French translation."
    )


@i18n.command("check")
def i18n_check():
    """Fail when a catalogue lacks a string, a translation, or a fresh .mo."""
    from consult.core.catalogues import problems

    found = problems()
    for problem in found:
        click.echo(problem)
    sys.exit(1 if found else 0)


@click.command("demo")
@click.option("--reset", is_flag=True, help="Empty the database before loading the demonstration.")
@click.option("--contributions", default=4000, show_default=True, help="Contributions to generate.")
@click.option(
    "--delegates", type=click.IntRange(2, 20000), default=None, help="Delegates on the roll."
)
@with_appcontext
def demo(reset, contributions, delegates):
    """Load the demonstration data (accounts for every role, an open and a closed consultation)."""
    from consult.demo import load_demo

    summary = load_demo(reset=reset, contributions=contributions, delegates=delegates)
    for line in summary:
        click.echo(line)


@click.command("serve")
@click.option(
    "--demo",
    "with_demo",
    is_flag=True,
    help="Load every area's demonstration (into an empty or demonstration database).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(with_demo, host, port):
    """Upgrade the database, optionally load the demo, and serve the app."""
    from flask_migrate import upgrade

    from consult.demo import load_demo

    upgrade()
    if with_demo:
        for line in load_demo(only_if_demo=True):
            click.echo(line)
    # app.run() refuses to run inside a CLI command; run_simple is what it would call.
    from werkzeug.serving import run_simple

    click.echo(f"Serving consult on http://{host}:{port}/ (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)


def register_commands(app, areas) -> None:
    """Attach the project's commands and those each area defines in its optional `cli.py`."""
    from consult.core.cli import worker

    for command in (i18n, demo, serve, worker):
        app.cli.add_command(command)
    for area in areas:
        try:
            module = importlib.import_module(f"consult.{area}.cli")
        except ModuleNotFoundError as error:
            if error.name != f"consult.{area}.cli":
                raise
            continue
        app.cli.add_command(module.cli)
