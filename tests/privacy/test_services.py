"""A person's export and the deletion of their account, on a real database."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.accounts.models import AccountToken, User
from consult.accounts.services import issue_token
from consult.analysis import services as analysis
from consult.consultations.models import Contribution, ContributionRevision, Reaction
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.moderation.models import Flag
from consult.panels.models import PanelVolunteer
from consult.privacy import erasure, export


def test_export_holds_every_section_about_the_person(person, now):
    """Account, answers in every state with earlier texts, reaction, flag, panel application."""
    data = export.collect(person.user, now=now)
    assert data["account"]["email"] == "camille@example.org"
    assert data["account"]["region"] == "Bretagne"
    texts = {c["question"]: c for c in data["contributions"]}
    assert len(texts) == 4
    assert (
        texts["Qu'attendez-vous de votre mutuelle ?"]["text"] == "La solidarité et la prévention."
    )
    assert texts["Qu'attendez-vous de votre mutuelle ?"]["earlier_texts"] == ["Première version"]
    assert texts["En trois mots ?"]["state"] == "pending"
    assert texts["Autre chose ?"]["withdrawn_at"] is not None
    assert data["reactions"][0]["contribution_id"] == person.others[0].id
    assert data["flags"][0]["reason"] == "off_topic"
    assert data["panel_applications"][0]["last_name"] == "Martin"
    assert data["panel_applications"][0]["postcode"] == "29200"


def test_export_leaves_other_people_out(person, now):
    """Nothing of the other participants is in the person's file."""
    data = export.collect(person.user, now=now)
    assert {c["id"] for c in data["contributions"]}.isdisjoint({c.id for c in person.others})


def _figures(consultation):
    """Everything the synthesis shows about a consultation, as comparable values."""
    report = analysis.participation(consultation)
    words = analysis.compute_words(consultation.questions[1])
    return (
        [(p.code, r.contributors, r.contributions, r.rate) for p, r in report.populations],
        (report.total.contributors, report.total.contributions),
        report.internal,
        [(r.value, r.contributors, r.contributions) for r in report.by_region],
        [(r.value, r.contributors) for r in report.by_age],
        [(r.value, r.contributors) for r in report.by_gender],
        [(d.day, d.contributions, d.new_contributors) for d in report.days],
        words,
    )


def test_deletion_keeps_the_synthesis_figures_unchanged(person, now):
    """Participation, breakdowns, days, word counts and quotes are the same after a deletion."""
    before = _figures(person.consultation)
    quote_before = analysis.quote_text(person.finding.quotes[0])
    erasure.delete_account(person.user, person.user, now=now)
    db.session.commit()
    db.session.expire_all()
    assert _figures(person.consultation) == before
    assert analysis.quote_text(person.finding.quotes[0]) == quote_before
    kept = db.session.get(Contribution, person.published.id)
    assert kept.attribution == "Adhérente, 30-40 ans, Bretagne"


def test_deletion_erases_everything_else(person, now):
    """The account is an empty shell; withdrawn and rejected answers, earlier texts, reactions,
    flags, links and the panel identity are gone; the audit log records the deletion."""
    issue_token(person.user, "password_reset", now=now, valid_for=timedelta(hours=2))
    db.session.commit()
    summary = erasure.delete_account(person.user, person.user, now=now)
    db.session.commit()
    db.session.expire_all()
    assert summary == {"kept": 2, "deleted": 2, "panel_applications": 1}
    user = db.session.get(User, person.user.id)
    assert user.email == f"deleted-{user.id}@erased.invalid"
    assert (user.display_name, user.password_hash, user.population_id, user.region_id) == (
        "",
        None,
        None,
        None,
    )
    assert user.age_band is None and user.profile_consented_at is None
    assert not user.active and user.deleted_at == now and user.roles == []
    remaining = set(
        db.session.scalars(select(Contribution.id).where(Contribution.author_id == user.id))
    )
    assert remaining == {person.published.id, person.pending.id}
    for model, column in (
        (ContributionRevision, ContributionRevision.contribution_id),
        (Reaction, Reaction.user_id),
        (Flag, Flag.user_id),
        (AccountToken, AccountToken.user_id),
    ):
        target = person.published.id if model is ContributionRevision else user.id
        assert (
            db.session.scalar(select(func.count()).select_from(model).where(column == target)) == 0
        )
    volunteer = db.session.get(PanelVolunteer, person.volunteer.id)
    assert (volunteer.first_name, volunteer.last_name, volunteer.postcode) == ("", "", "")
    assert volunteer.birth_year is None and volunteer.key == "V-CAMILLE"
    assert "camille" not in volunteer.email
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")
    )
    assert event.subject_id == user.id and event.after == summary and event.reason == "self"
    assert "camille" not in str(export.collect(user, now=now)).lower()


def test_the_last_administrator_cannot_leave(make_user, now):
    """Someone must still be able to run the site; a second administrator unlocks it."""
    admin = make_user(roles=("administrator",))
    with pytest.raises(RuleError):
        erasure.delete_account(admin, admin, now=now)
    make_user(roles=("administrator",))
    erasure.delete_account(admin, admin, now=now)
    assert admin.deleted_at == now


def test_an_account_is_deleted_once(person, now):
    """Deleting twice is refused with a clear message."""
    erasure.delete_account(person.user, person.user, now=now)
    with pytest.raises(RuleError):
        erasure.delete_account(person.user, person.user, now=now)
