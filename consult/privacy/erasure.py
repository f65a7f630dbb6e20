"""Deleting an account (GDPR art. 17) and erasing volunteers' data when retention ends.

Threat model: after a deletion, someone holding the database or a backup taken afterwards must
not learn who the person was. The account row stays only as an empty shell (no e-mail, name,
password, profile or roles; a placeholder address), because contributions that count in the
synthesis keep pointing to it: two contributions by the same person must still count as one
participant, or every figure of the synthesis would change. Those contributions keep only the
profile snapshot they were written with ("Adhérente, 40-60 ans, Occitanie"), which is what the
synthesis quotes. Everything else is deleted: withdrawn and rejected answers, earlier texts,
the unmasked text moderators saw, reactions, flags, suspensions, links sent by e-mail,
notifications, panel applications' identity, meeting registrations that were not attended
(and the answers of those that were). The assembly roll is kept as the mutual's legal
record of who was in office (Code de la mutualité), and ballots were never linked to a voter.
"""

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from consult.accounts.models import AccountToken, User, UserRole
from consult.assembly.models import Assembly, Delegate
from consult.consultations.models import Contribution, ContributionRevision, Reaction
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.extensions import db
from consult.meetings.models import Registration
from consult.moderation.models import Flag, ModerationStatus, Suspension
from consult.notifications.models import Notification, NotificationOptOut
from consult.panels.models import PanelVolunteer
from consult.privacy import rules

#: Other areas' clean-up for a deleted account: functions(user, now) run before the shell is made.
ON_DELETE: list = []


def deletion_refusal(user: User) -> object | None:
    """Why this account cannot be deleted now, or None."""
    if user.deleted_at is not None:
        return _l("This account is already deleted.")
    if Role.ADMINISTRATOR in user.role_names:
        others = db.session.scalar(
            select(func.count())
            .select_from(UserRole)
            .join(User, User.id == UserRole.user_id)
            .where(
                UserRole.role == Role.ADMINISTRATOR,
                User.id != user.id,
                User.active.is_(True),
            )
        )
        if not others:
            return _l("You are the only administrator: name another one before leaving.")
    on_open_roll = db.session.scalar(
        select(func.count())
        .select_from(Delegate)
        .join(Assembly, Assembly.id == Delegate.assembly_id)
        .where(Delegate.user_id == user.id, Assembly.closed_at.is_(None))
    )
    if on_open_roll:
        return _l(
            "You are on the roll of an assembly that is not closed yet: you can delete your "
            "account once it is closed."
        )
    return None


def delete_account(actor, user: User, *, now: datetime) -> dict:
    """Delete a person's account: keep the contributions the synthesis counts, erase the rest."""
    refusal = deletion_refusal(user)
    if refusal:
        raise RuleError(refusal)
    mine = Contribution.author_id == user.id
    kept_ids = select(Contribution.id).where(
        mine, Contribution.withdrawn_at.is_(None), Contribution.state != "rejected"
    )
    dropped_ids = select(Contribution.id).where(
        mine, or_(Contribution.withdrawn_at.is_not(None), Contribution.state == "rejected")
    )
    kept = db.session.scalar(select(func.count()).select_from(kept_ids.subquery()))
    dropped = list(db.session.scalars(dropped_ids))
    db.session.execute(
        delete(ContributionRevision).where(ContributionRevision.contribution_id.in_(kept_ids))
    )
    db.session.execute(
        update(ModerationStatus)
        .where(ModerationStatus.contribution_id.in_(kept_ids))
        .values(original_body=None)
    )
    for contribution in db.session.scalars(
        select(Contribution).where(Contribution.id.in_(dropped))
    ):
        db.session.delete(contribution)  # the ORM cascades to revisions, choices, decisions
    for table, column in (
        (Reaction, Reaction.user_id),
        (Flag, Flag.user_id),
        (Suspension, Suspension.user_id),
        (AccountToken, AccountToken.user_id),
        (Notification, Notification.user_id),
        (NotificationOptOut, NotificationOptOut.user_id),
    ):
        db.session.execute(delete(table).where(column == user.id))
    volunteers = db.session.scalars(
        select(PanelVolunteer).where(
            or_(PanelVolunteer.user_id == user.id, PanelVolunteer.email == user.email)
        )
    ).all()
    for person in volunteers:
        erase_volunteer(person)
    # a meeting's attendance stays counted; what the person typed when registering goes
    db.session.execute(
        delete(Registration).where(
            Registration.user_id == user.id, Registration.attended_at.is_(None)
        )
    )
    db.session.execute(
        update(Registration).where(Registration.user_id == user.id).values(answers={})
    )
    for clean in ON_DELETE:
        clean(user, now)
    user.email = rules.placeholder_email("deleted", user.id)
    user.display_name = ""
    user.password_hash = None
    user.population_id = None
    user.gender_form = "n"
    user.age_band = None
    user.region_id = None
    user.profile_consented_at = None
    user.active = False
    user.last_login_at = None
    user.deleted_at = now
    user.roles = []
    db.session.flush()
    summary = {"kept": kept, "deleted": len(dropped), "panel_applications": len(volunteers)}
    audit.record(
        actor,
        "privacy.account_deleted",
        user,
        now=now,
        after=summary,
        reason="self" if actor is user else "administrator",
    )
    return summary


def erase_volunteer(person: PanelVolunteer) -> None:
    """Empty a volunteer's identity; the pseudonymous key and profile values stay for the draw."""
    person.first_name = ""
    person.last_name = ""
    person.email = rules.placeholder_email("volunteer", person.id)
    person.birth_year = None
    person.postcode = ""
    person.excluded_reason = None
    person.user_id = None
