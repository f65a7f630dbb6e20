"""Retention: organisers say how long volunteers' and invitees' data outlive a consultation or a
panel; `consult privacy erase-expired` (run daily) erases them and writes it to the audit log."""

from datetime import datetime

from sqlalchemy import select

from consult.accounts.models import User
from consult.assembly.models import Delegate
from consult.consultations.models import Consultation, ConsultationPopulation, Contribution
from consult.core import audit
from consult.extensions import db
from consult.panels.models import Panel, PanelDraw, PanelProject, PanelSession, PanelVolunteer
from consult.privacy import rules
from consult.privacy.erasure import delete_account, deletion_refusal, erase_volunteer
from consult.privacy.models import RetentionPolicy


def consultation_end(consultation: Consultation) -> datetime | None:
    """A consultation ends when it closes (early or at its closing time); drafts never end."""
    if consultation.status == "draft":
        return None
    return consultation.closed_at or consultation.closes_at


def project_end(project: PanelProject) -> datetime | None:
    """A panel project ends at its last session or draw."""
    sessions = db.session.scalars(
        select(PanelSession.starts_at).join(Panel).where(Panel.project_id == project.id)
    ).all()
    draws = db.session.scalars(
        select(PanelDraw.drawn_at).where(
            PanelDraw.project_id == project.id, PanelDraw.drawn_at.is_not(None)
        )
    ).all()
    return rules.project_end(project.status, [*sessions, *draws])


def policy_for(*, consultation=None, project=None) -> RetentionPolicy | None:
    """The retention set for a consultation or a project, if any."""
    if consultation is not None:
        condition = RetentionPolicy.consultation_id == consultation.id
    else:
        condition = RetentionPolicy.project_id == project.id
    return db.session.scalar(select(RetentionPolicy).where(condition))


def set_policy(actor, keep_days, *, consultation=None, project=None, now: datetime):
    """Record how many days the personal data are kept after the end (audited)."""
    days = rules.check_keep_days(keep_days)
    policy = policy_for(consultation=consultation, project=project)
    before = {"keep_days": policy.keep_days} if policy else None
    if policy is None:
        policy = RetentionPolicy(
            consultation_id=consultation.id if consultation else None,
            project_id=project.id if project else None,
        )
        db.session.add(policy)
    policy.keep_days = days
    policy.updated_at = now
    policy.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "privacy.retention_set",
        consultation if consultation is not None else project,
        now=now,
        before=before,
        after={"keep_days": days},
    )
    return policy


def overview() -> tuple[list, list]:
    """Every consultation and panel project with its policy and end, for the organisers' page."""
    policies = {
        (p.consultation_id, p.project_id): p for p in db.session.scalars(select(RetentionPolicy))
    }
    consultations = [
        (c, policies.get((c.id, None)), consultation_end(c))
        for c in db.session.scalars(
            select(Consultation)
            .where(Consultation.status != "draft")
            .order_by(Consultation.opens_at.desc())
        )
    ]
    projects = [
        (p, policies.get((None, p.id)), project_end(p))
        for p in db.session.scalars(select(PanelProject).order_by(PanelProject.id.desc()))
    ]
    return consultations, projects


def _waiting_invitees(population_ids: set[int]):
    """People who were invited to answer and never chose a password nor wrote anything."""
    return db.session.scalars(
        select(User).where(
            User.population_id.in_(population_ids),
            User.password_hash.is_(None),
            User.deleted_at.is_(None),
            ~select(Contribution.id).where(Contribution.author_id == User.id).exists(),
            ~select(Delegate.id).where(Delegate.user_id == User.id).exists(),
            ~select(PanelVolunteer.id).where(PanelVolunteer.user_id == User.id).exists(),
        )
    ).all()


def _still_needed(population_id: int, now: datetime, policies: dict) -> bool:
    """True while a consultation of this population is running or within its retention."""
    for consultation in db.session.scalars(
        select(Consultation)
        .join(ConsultationPopulation)
        .where(
            ConsultationPopulation.population_id == population_id,
            Consultation.status != "draft",
        )
    ):
        policy = policies.get(consultation.id)
        if policy is None or not rules.is_due(
            consultation_end(consultation), policy.keep_days, now
        ):
            return True
    return False


def erase_expired(*, now: datetime) -> list[dict]:
    """Erase what every due policy covers; one audit event per policy. Returns what was done."""
    done = []
    due = db.session.scalars(
        select(RetentionPolicy)
        .where(RetentionPolicy.erased_at.is_(None))
        .order_by(RetentionPolicy.id)
    ).all()
    consultation_policies = {p.consultation_id: p for p in due if p.consultation_id}
    consultation_policies.update(
        {
            p.consultation_id: p
            for p in db.session.scalars(
                select(RetentionPolicy).where(RetentionPolicy.erased_at.is_not(None))
            )
            if p.consultation_id
        }
    )
    for policy in due:
        if policy.project_id is not None:
            project = policy.project
            if not rules.is_due(project_end(project), policy.keep_days, now):
                continue
            people = db.session.scalars(
                select(PanelVolunteer).where(PanelVolunteer.project_id == project.id)
            ).all()
            for person in people:
                erase_volunteer(person)
            summary = {"volunteers": len(people)}
            subject = project
        else:
            consultation = policy.consultation
            if not rules.is_due(consultation_end(consultation), policy.keep_days, now):
                continue
            erased = 0
            for population_id in consultation.population_ids:
                if _still_needed(population_id, now, consultation_policies):
                    continue
                for person in _waiting_invitees({population_id}):
                    if deletion_refusal(person) is None:
                        delete_account(None, person, now=now)
                        erased += 1
            summary = {"invitees": erased}
            subject = consultation
        policy.erased_at = now
        db.session.flush()
        audit.record(None, "privacy.retention_erase", subject, now=now, after=summary)
        done.append({"subject": subject, **summary})
    return done
