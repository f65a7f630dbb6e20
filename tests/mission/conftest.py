"""Mission fixtures: an assembly that adopted objectives, people for each mission role, and a
factory for a small mission (objective → engagement → indicator)."""

from datetime import date
from decimal import Decimal

import pytest

from consult.assembly import services as assembly_services
from consult.extensions import db
from consult.mission import indicators as building
from consult.mission import proofs
from tests.assembly.conftest import roll_csv


@pytest.fixture
def officer(make_user):
    """The mission officer (organiser role)."""
    return make_user(email="officer@example.org", roles=("organiser",))


@pytest.fixture
def member(make_user):
    """A mission committee member."""
    return make_user(email="member@example.org", roles=("committee",))


@pytest.fixture
def auditor(make_user):
    """The independent auditor."""
    return make_user(email="auditor@example.org", roles=("auditor",))


@pytest.fixture
def owner(make_user):
    """The person who enters an indicator's values (a participant otherwise)."""
    return make_user(email="owner@example.org", roles=("participant",))


@pytest.fixture
def adopted(app, officer, now):
    """A closed assembly of 4 delegates that adopted "Objectif 1" and "Objectif 2" (3 of 4
    present or represented... and voting for)."""
    from consult.accounts.services import find_user_by_email

    assembly = assembly_services.create_assembly(
        officer,
        title="Assemblée générale 2025",
        held_on=date(2025, 6, 20),
        convocation=1,
        proxy_cap=1,
        allow_vote_change=True,
        now=now,
    )
    assembly_services.import_roll(officer, assembly, roll_csv(4), now=now)
    for title in ("Objectif 1", "Objectif 2"):
        assembly_services.add_resolution(
            officer,
            assembly,
            title=title,
            body=f"Texte voté de l'{title.lower()}.",
            category="statutory",
            kind="motion",
            wordings=[],
            now=now,
        )
    assembly_services.open_all(officer, assembly, now=now)
    for n in (1, 2, 3):
        user = find_user_by_email(f"delegate{n}@example.org")
        delegate = next(d for d in assembly.delegates if d.user_id == user.id)
        for resolution in assembly.resolutions:
            assembly_services.cast(user, resolution, delegate, choice="for", now=now)
    assembly_services.close_all(officer, assembly, now=now)
    db.session.commit()
    return assembly


@pytest.fixture
def make_indicator(adopted, officer, now):
    """Factory: an indicator under a fresh engagement of the first objective (committed)."""
    state = {}

    def make(**settings):
        if "objective" not in state:
            state["objective"] = building.create_objective(
                officer, adopted.resolutions[0].id, title="", now=now
            )
            state["engagement"] = building.save_engagement(
                officer, state["objective"], None, title="Redistribuer", description="", now=now
            )
        spec = {
            "title": "Taux de redistribution",
            "kind": "percent",
            "direction": "up",
            "target_value": Decimal("80"),
            "target_year": 2026,
            **settings,
        }
        indicator = building.save_indicator(officer, state["engagement"], None, now=now, **spec)
        db.session.commit()
        return indicator

    return make


@pytest.fixture
def make_proof(officer, now):
    """Factory: a proof the officer puts forward with the given links (not decided yet)."""

    def make(*, links, **changes):
        settings = {
            "now": now,
            "title": "Bus santé",
            "happened_on": date(2025, 3, 1),
            "department": "Prévention",
            **changes,
        }
        return proofs.save_proof(officer, None, links=links, **settings)

    return make


@pytest.fixture
def attachments_dir(app, tmp_path):
    """A folder of its own for the files attached during the test."""
    folder = tmp_path / "attachments"
    app.config["MISSION_ATTACHMENTS_DIR"] = str(folder)
    yield folder
    app.config["MISSION_ATTACHMENTS_DIR"] = None
