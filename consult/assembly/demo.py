"""Assembly part of the demonstration: last year's closed assembly and this year's open one."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from consult.assembly import services
from consult.assembly.models import Assembly
from consult.extensions import db

#: The roll of one mutual's assembly (DOMAIN.md); `consult demo --delegates N` changes it.
DELEGATES = 304
PAST_TITLE = "Assemblée générale 2025"
CURRENT_TITLE = "Assemblée générale 2026"

DEMO_RESOLUTIONS = [
    (
        "Raison d’être",
        "Agir ensemble pour que chacun puisse prendre soin de sa santé, à chaque âge.",
    ),
    (
        "Objectif 1",
        "Rendre les soins accessibles à tous les adhérents, quels que soient leurs revenus.",
    ),
    ("Objectif 2", "Prévenir plutôt que guérir, au plus près des territoires."),
    ("Objectif 3", "Réduire l’empreinte environnementale de nos activités."),
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
        title="Formulation de la raison d’être",
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


def load_demo(context) -> list[str]:
    """Two assemblies on one roll: a closed one with minutes and codes, an open one to vote in."""
    titles = set(db.session.scalars(select(Assembly.title)))
    if {PAST_TITLE, CURRENT_TITLE} <= titles:
        return []
    officer, delegate = context.people["organisatrice"], context.people["delegue"]
    now, rng = context.now, context.rng
    roll = [("Élu de démonstration", delegate.email)] + [
        (f"Délégué·e {n}", f"delegue{n:03d}@exemple.fr")
        for n in range(2, (context.delegates or DELEGATES) + 1)
    ]
    today = now.date()
    with current_app.test_request_context():
        past = _demo_assembly(
            officer,
            PAST_TITLE,
            today - timedelta(days=365),
            roll,
            now - timedelta(days=365),
            rng,
            close=True,
        )
        current = _demo_assembly(officer, CURRENT_TITLE, today, roll, now, rng, close=False)
    return [
        f"Closed assembly {past.id} ({past.title}: minutes, tracking codes) and open assembly "
        f"{current.id} ({len(roll)} delegates): sign in as delegue@exemple.fr to vote, "
        "organisatrice@exemple.fr to run it."
    ]
