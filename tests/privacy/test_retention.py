"""Retention: `consult privacy erase-expired` erases volunteers and waiting invitees when due."""

from datetime import timedelta

from sqlalchemy import select

from consult.accounts.models import User
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.panels.models import Panel, PanelSession, PanelVolunteer
from consult.privacy import retention


def _invitee(make_user, population="member"):
    """Someone invited to answer who never chose a password."""
    user = make_user(population=population, consented=False)
    user.password_hash = None
    db.session.commit()
    return user


def test_volunteers_are_erased_once_the_period_after_the_last_session_passes(
    person, make_user, runner, now
):
    """30 days after the last session: identity erased, key kept, audited; run twice is a no-op."""
    organiser = make_user(roles=("organiser",))
    panel = Panel(project_id=person.project.id, name="Brest", size=10)
    panel.sessions.append(PanelSession(starts_at=now - timedelta(days=31), place="Brest"))
    db.session.add(panel)
    retention.set_policy(organiser, 30, project=person.project, now=now)
    db.session.commit()
    result = runner.invoke(args=["privacy", "erase-expired"])
    assert result.exit_code == 0, result.output
    assert f"panel_project {person.project.id}: erased volunteers 1" in result.output
    assert "1 retention period ended." in result.output
    volunteer = db.session.get(PanelVolunteer, person.volunteer.id)
    assert (
        volunteer.last_name == "" and volunteer.birth_year is None and volunteer.key == "V-CAMILLE"
    )
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "privacy.retention_erase")
    )
    assert event.subject_type == "panel_project" and event.after == {"volunteers": 1}
    again = runner.invoke(args=["privacy", "erase-expired"])
    assert "0 retention periods ended." in again.output


def test_nothing_is_erased_before_the_end_plus_the_period(person, make_user, now):
    """A session 10 days ago with 30 days kept: nothing happens yet."""
    organiser = make_user(roles=("organiser",))
    panel = Panel(project_id=person.project.id, name="Brest", size=10)
    panel.sessions.append(PanelSession(starts_at=now - timedelta(days=10), place="Brest"))
    db.session.add(panel)
    retention.set_policy(organiser, 30, project=person.project, now=now)
    assert retention.erase_expired(now=now) == []
    assert db.session.get(PanelVolunteer, person.volunteer.id).last_name == "Martin"


def test_waiting_invitees_go_when_no_consultation_of_theirs_needs_them(
    make_user, make_consultation, now
):
    """Invitees who never signed in are deleted once every consultation of their population is
    over its retention; those who answered, and other populations, stay."""
    organiser = make_user(roles=("organiser",))
    ended = make_consultation(opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=40))
    running = make_consultation(populations_invited=("employee",))
    waiting_member = _invitee(make_user)
    waiting_employee = _invitee(make_user, population="employee")
    active_member = make_user()
    retention.set_policy(organiser, 30, consultation=ended, now=now)
    retention.set_policy(organiser, 0, consultation=running, now=now)
    done = retention.erase_expired(now=now)
    db.session.commit()
    assert [d["invitees"] for d in done] == [1]
    assert db.session.get(User, waiting_member.id).deleted_at == now
    assert db.session.get(User, waiting_employee.id).deleted_at is None
    assert db.session.get(User, active_member.id).deleted_at is None


def test_a_consultation_without_a_period_keeps_its_invitees(make_user, make_consultation, now):
    """Two consultations of one population: the one without retention keeps the invitees."""
    organiser = make_user(roles=("organiser",))
    ended = make_consultation(opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=40))
    make_consultation(opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=40))
    waiting = _invitee(make_user)
    retention.set_policy(organiser, 1, consultation=ended, now=now)
    retention.erase_expired(now=now)
    assert db.session.get(User, waiting.id).deleted_at is None
