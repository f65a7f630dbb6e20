"""Everything consult holds about one person, as plain data (the right of access, GDPR art. 15).

Each section lists rows of one table that name the person. Ballots are not there: a ballot is
never linked to its voter (only the tracking codes the voter was shown can find it).
"""

from datetime import datetime

from sqlalchemy import or_, select

from consult.accounts.models import AccountToken, User
from consult.assembly.models import Delegate, Participation, Proxy
from consult.consultations.models import Contribution, Reaction
from consult.core.models import AuditEvent
from consult.core.sanitize import plain_text
from consult.extensions import db
from consult.meetings.models import Registration
from consult.mission.models import Comment
from consult.moderation.models import Flag, Suspension
from consult.notifications.models import Notification, NotificationOptOut
from consult.panels.models import PanelSeat, PanelVolunteer, QuestionnaireResponse

#: Extra sections other areas add: name -> function(user) -> list of dicts.
SECTIONS: dict = {}


def _when(moment: datetime | None) -> str | None:
    """Moments as ISO 8601, UTC."""
    return moment.isoformat() + "Z" if moment else None


def collect(user: User, *, now: datetime) -> dict:
    """The person's data, section by section."""
    data = {
        "export": {"generated_at": _when(now), "account_id": user.id},
        "account": _account(user),
        "contributions": _contributions(user),
        "reactions": [
            {
                "contribution_id": r.contribution_id,
                "value": r.value,
                "created_at": _when(r.created_at),
                "updated_at": _when(r.updated_at),
            }
            for r in db.session.scalars(select(Reaction).where(Reaction.user_id == user.id))
        ],
        "flags": [
            {
                "contribution_id": f.contribution_id,
                "reason": f.reason_code,
                "text": f.reason_text,
                "created_at": _when(f.created_at),
            }
            for f in db.session.scalars(select(Flag).where(Flag.user_id == user.id))
        ],
        "suspensions": [
            {
                "starts_at": _when(s.starts_at),
                "ends_at": _when(s.ends_at),
                "reason": s.reason_code,
                "text": s.reason_text,
                "lifted_at": _when(s.lifted_at),
            }
            for s in db.session.scalars(select(Suspension).where(Suspension.user_id == user.id))
        ],
        "links_sent": [
            {
                "purpose": t.purpose,
                "created_at": _when(t.created_at),
                "expires_at": _when(t.expires_at),
                "used_at": _when(t.used_at),
            }
            for t in db.session.scalars(select(AccountToken).where(AccountToken.user_id == user.id))
        ],
        "panel_applications": _volunteering(user),
        "meeting_registrations": [
            {
                "meeting": r.meeting.title,
                "status": r.status,
                "seat": r.seat,
                "registered_at": _when(r.registered_at),
                "cancelled_at": _when(r.cancelled_at),
                "attended_at": _when(r.attended_at),
                "answers": [f"{key}: {value}" for key, value in (r.answers or {}).items()],
            }
            for r in db.session.scalars(
                select(Registration)
                .where(Registration.user_id == user.id)
                .order_by(Registration.id)
            )
        ],
        "mission_comments": [
            {"body": c.body, "created_at": _when(c.created_at)}
            for c in db.session.scalars(
                select(Comment).where(Comment.author_id == user.id).order_by(Comment.id)
            )
        ],
        "assembly_roll": _delegations(user),
        "notifications": [
            {
                "kind": n.kind,
                "about": n.params.get("title"),
                "created_at": _when(n.created_at),
                "read_at": _when(n.read_at),
                "email": n.mail_status,
            }
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        ],
        "emails_refused": [
            {"kind": o.kind, "since": _when(o.created_at)}
            for o in db.session.scalars(
                select(NotificationOptOut).where(NotificationOptOut.user_id == user.id)
            )
        ],
        "audit_log": [
            {
                "occurred_at": _when(e.occurred_at),
                "action": e.action,
                "by_you": e.actor_id == user.id,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "reason": e.reason,
            }
            for e in db.session.scalars(
                select(AuditEvent)
                .where(
                    or_(
                        AuditEvent.actor_id == user.id,
                        (AuditEvent.subject_type == "user") & (AuditEvent.subject_id == user.id),
                    )
                )
                .order_by(AuditEvent.id)
            )
        ],
    }
    for name, gather in SECTIONS.items():
        data[name] = gather(user)
    return data


def _account(user: User) -> dict:
    """The account and the profile quotes are attributed by."""
    return {
        "email": user.email,
        "display_name": user.display_name,
        "roles": sorted(user.role_names),
        "population": user.population.name if user.population else None,
        "gender_form": user.gender_form,
        "age_band": user.age_band,
        "region": user.region.name if user.region else None,
        "profile_consented_at": _when(user.profile_consented_at),
        "active": user.active,
        "created_at": _when(user.created_at),
        "last_login_at": _when(user.last_login_at),
    }


def _contributions(user: User) -> list[dict]:
    """Every answer (withdrawn or not), its earlier texts and the profile it was written with."""
    found = db.session.scalars(
        select(Contribution).where(Contribution.author_id == user.id).order_by(Contribution.id)
    )
    return [
        {
            "id": c.id,
            "consultation": c.consultation.title,
            "question": c.question.prompt,
            "text": plain_text(c.body) if c.question.kind == "open" else c.body,
            "choices": [choice.label for choice in c.choices],
            "state": c.state,
            "created_at": _when(c.created_at),
            "updated_at": _when(c.updated_at),
            "published_at": _when(c.published_at),
            "withdrawn_at": _when(c.withdrawn_at),
            "attribution": c.attribution,
            "earlier_texts": [plain_text(r.body) for r in c.revisions],
        }
        for c in found
    ]


def _volunteering(user: User) -> list[dict]:
    """Applications to citizen panels under the person's account or e-mail address."""
    people = db.session.scalars(
        select(PanelVolunteer)
        .where(or_(PanelVolunteer.user_id == user.id, PanelVolunteer.email == user.email))
        .order_by(PanelVolunteer.id)
    )
    rows = []
    for person in people:
        seat = db.session.scalar(select(PanelSeat).where(PanelSeat.volunteer_id == person.id))
        response = (
            db.session.scalar(
                select(QuestionnaireResponse).where(QuestionnaireResponse.seat_id == seat.id)
            )
            if seat
            else None
        )
        rows.append(
            {
                "project": person.project.title,
                "key": person.key,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "birth_year": person.birth_year,
                "postcode": person.postcode,
                "member": person.is_member,
                "profile": [f"{v.value.feature.label}: {v.value.label}" for v in person.values],
                "consent_contact_at": _when(person.consent_contact_at),
                "consent_profile_at": _when(person.consent_profile_at),
                "source": person.source,
                "excluded_reason": person.excluded_reason,
                "created_at": _when(person.created_at),
                "panel": seat.panel.name if seat else None,
                "seat_status": seat.status if seat else None,
                "questionnaire_satisfaction": response.satisfaction if response else None,
                "questionnaire_follow_up": response.wants_follow_up if response else None,
                "questionnaire_words": response.words if response else None,
            }
        )
    return rows


def _delegations(user: User) -> list[dict]:
    """Lines of assembly rolls, with proxies and the resolutions voted on (never the vote)."""
    rows = []
    for delegate in db.session.scalars(select(Delegate).where(Delegate.user_id == user.id)):
        voted = db.session.scalars(
            select(Participation).where(Participation.delegate_id == delegate.id)
        ).all()
        proxies = db.session.scalars(
            select(Proxy).where(or_(Proxy.giver_id == delegate.id, Proxy.holder_id == delegate.id))
        ).all()
        rows.append(
            {
                "assembly": delegate.assembly.title,
                "identifier": delegate.identifier,
                "name": delegate.name,
                "email": delegate.email,
                "section": delegate.section,
                "weight": delegate.weight,
                "presence": delegate.presence,
                "voted_on_resolutions": [p.resolution_id for p in voted],
                "proxies_given": [p.holder.name for p in proxies if p.giver_id == delegate.id],
                "proxies_held": [p.giver.name for p in proxies if p.holder_id == delegate.id],
            }
        )
    return rows
