"""Builders for the events notifications are about: a panel that meets, an assembly that votes."""

from datetime import timedelta

import pytest

from consult.assembly.models import Assembly, Delegate, Resolution
from consult.extensions import db
from consult.panels.models import Panel, PanelDraw, PanelProject, PanelSession


@pytest.fixture
def panel_meeting(make_user, make_seat, now):
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
        for status in ("accepted", "accepted", "declined"):
            user = make_user(population="member")
            make_seat(panel, draw, status, user=user)
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
