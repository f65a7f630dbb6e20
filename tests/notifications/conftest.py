"""Builders for the events notifications are about: a panel that meets, an assembly that votes."""

from datetime import timedelta

import pytest

from consult.assembly.models import Assembly, Delegate, Resolution
from consult.extensions import db
from consult.panels.models import (
    Panel,
    PanelDraw,
    PanelProject,
    PanelSeat,
    PanelSession,
    PanelVolunteer,
)


@pytest.fixture
def panel_meeting(make_user, now):
    """A panel meeting tomorrow with two accepted panellists (with accounts) and one declined."""

    def make(starts_in=timedelta(days=1)):
        project = PanelProject(title="Panel citoyen", status="drawn", created_at=now)
        panel = Panel(name="Nantes", size=12, place="Maison des associations")
        project.panels.append(panel)
        draw = PanelDraw(round=0, inputs="{}", commitment="0" * 64, committed_at=now, lottery="{}")
        project.draws.append(draw)
        db.session.add(project)
        db.session.flush()
        people = []
        for i, status in enumerate(("accepted", "accepted", "declined")):
            user = make_user(population="member")
            volunteer = PanelVolunteer(
                project_id=project.id,
                key=f"V-{project.id}-{i}",
                first_name="Prénom",
                last_name=f"Nom{i}",
                email=f"panel{project.id}-{i}@example.org",
                birth_year=1980,
                postcode="44000",
                consent_contact_at=now,
                consent_profile_at=now,
                source="form",
                created_at=now,
                user_id=user.id,
            )
            db.session.add(volunteer)
            db.session.flush()
            db.session.add(
                PanelSeat(
                    project_id=project.id,
                    panel_id=panel.id,
                    volunteer_id=volunteer.id,
                    draw_id=draw.id,
                    status=status,
                    token_hash=f"{volunteer.id:064d}",
                    invited_at=now,
                )
            )
            people.append(user)
        session = PanelSession(
            panel_id=panel.id, starts_at=now + starts_in, place="Nantes, salle 2"
        )
        db.session.add(session)
        db.session.commit()
        return session, people

    return make


@pytest.fixture
def open_vote(make_user, now):
    """An assembly with three delegates (one without the delegate role's account active)."""

    def make(status="open"):
        assembly = Assembly(
            title="AG 2027", held_on=now.date(), rules_json="{}", created_at=now, frozen_at=now
        )
        db.session.add(assembly)
        db.session.flush()
        people = []
        for i in range(3):
            user = make_user(roles=("participant", "delegate"), population="delegate")
            db.session.add(
                Delegate(
                    assembly_id=assembly.id,
                    user_id=user.id,
                    identifier=f"D{i}",
                    name=f"Délégué {i}",
                    email=user.email,
                )
            )
            people.append(user)
        resolution = Resolution(
            assembly_id=assembly.id,
            position=1,
            title="Raison d'être",
            body="Texte",
            status=status,
            opened_at=now if status == "open" else None,
        )
        db.session.add(resolution)
        db.session.commit()
        return resolution, people

    return make
