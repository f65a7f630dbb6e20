"""Assembly fixtures: an officer, an assembly with a roll and an agenda, ready to vote."""

from datetime import date

import pytest

from consult.assembly import services
from consult.extensions import db


def roll_csv(count: int, weights=None, prefix: str = "D") -> bytes:
    """A roll CSV of `count` delegates (D001...) with e-mails delegate1@example.org..."""
    lines = ["identifier;name;email;section;weight"]
    for i in range(1, count + 1):
        weight = weights[i - 1] if weights else 1
        lines.append(
            f"{prefix}{i:03d};Délégué {i};delegate{i}@example.org;Section {i % 3};{weight}"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def make_roll():
    """Factory: the bytes of a roll CSV."""
    return roll_csv


@pytest.fixture
def officer(make_user):
    """An assembly officer (organiser role)."""
    return make_user(email="officer@example.org", roles=("organiser",))


@pytest.fixture
def make_assembly(app, officer, now):
    """Factory: an assembly with `delegates` on the roll and motions on the agenda (committed)."""

    def make(
        delegates=5,
        weights=None,
        resolutions=(("Raison d'être", "statutory"),),
        convocation=1,
        proxy_cap=1,
        allow_vote_change=True,
        wordings=None,
    ):
        assembly = services.create_assembly(
            officer,
            title="Assemblée générale 2026",
            held_on=date(2026, 6, 20),
            convocation=convocation,
            proxy_cap=proxy_cap,
            allow_vote_change=allow_vote_change,
            now=now,
        )
        if delegates:
            services.import_roll(officer, assembly, roll_csv(delegates, weights), now=now)
        for title, category in resolutions:
            services.add_resolution(
                officer,
                assembly,
                title=title,
                body=f"Texte de la résolution « {title} ».",
                category=category,
                kind="motion",
                wordings=[],
                now=now,
            )
        if wordings:
            services.add_resolution(
                officer,
                assembly,
                title="Formulation de la raison d'être",
                body="Choisir la formulation.",
                category="statutory",
                kind="wordings",
                wordings=list(wordings),
                now=now,
            )
        db.session.commit()
        return assembly

    return make


@pytest.fixture
def delegate_user():
    """The account of the n-th delegate of the roll (1-based)."""
    from consult.accounts.services import find_user_by_email

    def find(n: int):
        return find_user_by_email(f"delegate{n}@example.org")

    return find
