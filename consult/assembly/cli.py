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


DEMO_RESOLUTIONS = [
    (
        "Raison d'être",
        "Agir ensemble pour que chacun puisse prendre soin de sa santé, à chaque âge.",
    ),
    (
        "Objectif 1",
        "Rendre les soins accessibles à tous les adhérents, quels que soient leurs revenus.",
    ),
    ("Objectif 2", "Prévenir plutôt que guérir, au plus près des territoires."),
    ("Objectif 3", "Réduire l'empreinte environnementale de nos activités."),
    ("Objectif 4", "Faire vivre la démocratie mutualiste entre adhérents, élus et salariés."),
]
DEMO_WORDINGS = [
    "Prendre soin de chacun, à chaque âge de la vie.",
    "Protéger la santé de tous, solidairement.",
    "Accompagner chacun vers une meilleure santé.",
]


def _demo_assembly(officer, title, held_on, delegates, now, rng, close):
    """One assembly of the demonstration: roll, agenda, some votes; closed if asked."""
    from consult.assembly.rules import Choice

    assembly = services.create_assembly(
        officer,
        title=title,
        held_on=held_on,
        convocation=1,
        proxy_cap=2,
        allow_vote_change=True,
        now=now,
    )
    lines = ["identifier;name;email;section"] + [
        f"D{n:03d};{name};{email};Section {1 + n % 6}"
        for n, (name, email) in enumerate(delegates, 1)
    ]
    services.import_roll(officer, assembly, "\n".join(lines).encode(), now=now)
    for resolution_title, body in DEMO_RESOLUTIONS:
        services.add_resolution(
            officer,
            assembly,
            title=resolution_title,
            body=body,
            category="statutory",
            kind="motion",
            wordings=[],
            now=now,
        )
    services.add_resolution(
        officer,
        assembly,
        title="Formulation de la raison d'être",
        body="Choisir la formulation.",
        category="ordinary",
        kind="wordings",
        wordings=DEMO_WORDINGS,
        now=now,
    )
    roll = list(assembly.delegates)
    services.give_proxy(officer, assembly, roll[-1], roll[-2], now=now)
    services.open_all(officer, assembly, now=now)
    weights = (
        [Choice.FOR] * 90 + [Choice.AGAINST] * 5 + [Choice.ABSTENTION] * 3 + [Choice.BLANK] * 2
    )
    voters = roll[1:-1] if not close else roll[:-1]
    for delegate in rng.sample(voters, k=len(voters) * 3 // 4):
        for resolution in assembly.resolutions:
            if resolution.kind == "motion":
                services.cast(
                    delegate.user, resolution, delegate, choice=rng.choice(weights).value, now=now
                )
            else:
                grades = [rng.randint(0, 3), rng.randint(0, 4), rng.randint(1, 5)]
                services.cast(delegate.user, resolution, delegate, grades=grades, now=now)
    if close:
        services.close_all(officer, assembly, now=now)
    return assembly


@cli.command("demo")
@click.option("--delegates", default=304, show_default=True)
@with_appcontext
def demo(delegates):
    """Load two demonstration assemblies (run `consult demo` first for the accounts)."""
    import random
    from datetime import date, timedelta

    from flask import current_app

    from consult.accounts.services import find_user_by_email
    from consult.core.clock import utcnow

    officer = find_user_by_email("organisatrice@exemple.fr")
    delegate = find_user_by_email("delegue@exemple.fr")
    if officer is None or delegate is None:
        click.echo("Load the demonstration accounts first: consult demo", err=True)
        sys.exit(2)
    now = utcnow()
    rng = random.Random(2026)
    roll = [("Élu de démonstration", delegate.email)] + [
        (f"Délégué·e {n}", f"delegue{n:03d}@exemple.fr") for n in range(2, delegates + 1)
    ]
    with current_app.test_request_context():
        past = _demo_assembly(
            officer,
            "Assemblée générale 2025",
            date.today() - timedelta(days=365),
            roll,
            now - timedelta(days=365),
            rng,
            close=True,
        )
        current = _demo_assembly(
            officer,
            "Assemblée générale 2026",
            date.today(),
            roll,
            now,
            rng,
            close=False,
        )
    db.session.commit()
    click.echo(f"Closed assembly {past.id} (minutes, codes) and open assembly {current.id}:")
    click.echo("sign in as delegue@exemple.fr to vote, organisatrice@exemple.fr to run it.")
