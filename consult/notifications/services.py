"""Making notifications: for events as they happen (results published) and for those a scheduled
scan finds (a consultation opened, closes in 3 days, a panel meets, a vote opened)."""

from datetime import datetime

from flask import url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import User
from consult.assembly.models import Assembly, Delegate, Resolution
from consult.consultations.models import Consultation, Contribution, Question
from consult.extensions import db, dialect_insert
from consult.notifications import delivery, rules
from consult.notifications.models import KINDS, Notification, NotificationOptOut
from consult.panels.models import Panel, PanelSeat, PanelSession, PanelVolunteer

PER_PAGE = 20


def _reachable(*conditions):
    """Accounts that can still be told something: active and not deleted."""
    return select(User.id).where(User.active.is_(True), User.deleted_at.is_(None), *conditions)


def notify(user_ids, kind: str, subject, *, params: dict, url: str, now: datetime) -> list[int]:
    """Tell each person once about `subject`; returns the new notifications' ids (queued)."""
    subject_type, subject_id = subject
    wanted = set(user_ids)
    if not wanted:
        return []
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.kind == kind,
                Notification.subject_type == subject_type,
                Notification.subject_id == subject_id,
            )
        )
    )
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "params": params,
            "url": url,
            "created_at": now,
            "mail_status": "queued",
        }
        for user_id in sorted(wanted - already)
    ]
    if not rows:
        return []
    # another scan may tell some of them at the same instant: the unique key skips those
    statement = _insert_or_skip().returning(Notification.id)
    ids = list(db.session.scalars(statement, rows))
    delivery.queue(ids, now=now)
    return ids


def _insert_or_skip():
    """INSERT ... ON CONFLICT DO NOTHING, which both PostgreSQL and SQLite understand."""
    return dialect_insert(Notification).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "subject_type", "subject_id"]
    )


def _invited(consultation: Consultation):
    """People of the populations a consultation invites."""
    return _reachable(User.population_id.in_(consultation.population_ids))


def _when(moment: datetime) -> str:
    """Moments travel in params as ISO 8601 (naive UTC)."""
    return moment.isoformat()


def consultation_opened(consultation: Consultation, *, now: datetime) -> list[int]:
    """Tell the invited populations that a consultation accepts answers."""
    return notify(
        db.session.scalars(_invited(consultation)),
        "consultation_open",
        ("consultation", consultation.id),
        params={"title": consultation.title, "when": _when(consultation.closes_at)},
        url=url_for("consultations.show", consultation_id=consultation.id),
        now=now,
    )


def consultation_closing(consultation: Consultation, *, now: datetime) -> list[int]:
    """Remind those who have not answered every question yet that it closes soon."""
    questions = db.session.scalar(
        select(func.count())
        .select_from(Question)
        .where(Question.consultation_id == consultation.id)
    )
    finished = (
        select(Contribution.author_id)
        .where(Contribution.consultation_id == consultation.id, Contribution.withdrawn_at.is_(None))
        .group_by(Contribution.author_id)
        .having(func.count(func.distinct(Contribution.question_id)) >= questions)
    )
    return notify(
        db.session.scalars(_invited(consultation).where(User.id.not_in(finished))),
        "closing_soon",
        ("consultation", consultation.id),
        params={"title": consultation.title, "when": _when(consultation.closes_at)},
        url=url_for("consultations.show", consultation_id=consultation.id),
        now=now,
    )


def results_published(consultation: Consultation, *, url: str, now: datetime) -> list[int]:
    """Tell everyone invited, and everyone who took part, that the results are out."""
    took_part = select(Contribution.author_id).where(
        Contribution.consultation_id == consultation.id
    )
    people = set(db.session.scalars(_invited(consultation)))
    people |= set(db.session.scalars(_reachable(User.id.in_(took_part))))
    return notify(
        people,
        "results_published",
        ("consultation", consultation.id),
        params={"title": consultation.title},
        url=url,
        now=now,
    )


def panel_meets(session: PanelSession, *, now: datetime) -> list[int]:
    """Remind the panellists who accepted their seat that their panel meets soon."""
    panellists = (
        select(PanelVolunteer.user_id)
        .join(PanelSeat, PanelSeat.volunteer_id == PanelVolunteer.id)
        .where(PanelSeat.panel_id == session.panel_id, PanelSeat.status == "accepted")
    )
    return notify(
        db.session.scalars(_reachable(User.id.in_(panellists))),
        "panel_session",
        ("panel_session", session.id),
        params={
            "title": session.panel.name,
            "when": _when(session.starts_at),
            "place": session.place,
        },
        url=url_for("panels.panel_page", panel_id=session.panel_id),
        now=now,
    )


def vote_opened(resolution: Resolution, *, now: datetime) -> list[int]:
    """Tell the delegates on the roll that a resolution can be voted on."""
    delegates = select(Delegate.user_id).where(Delegate.assembly_id == resolution.assembly_id)
    return notify(
        db.session.scalars(_reachable(User.id.in_(delegates))),
        "vote_open",
        ("resolution", resolution.id),
        params={"title": resolution.title, "assembly": resolution.assembly.title},
        url=url_for("assembly.vote", assembly_id=resolution.assembly_id),
        now=now,
    )


def scan(*, now: datetime) -> dict[str, int]:
    """Find every event due now and tell the people concerned (idempotent; run it often)."""
    told = dict.fromkeys(KINDS, 0)
    published = db.session.scalars(
        select(Consultation).where(
            Consultation.status == "published",
            Consultation.opens_at <= now,
            Consultation.closes_at > now,
        )
    ).all()
    for consultation in published:
        told["consultation_open"] += len(consultation_opened(consultation, now=now))
        if rules.closes_soon(consultation.closes_at, now):
            told["closing_soon"] += len(consultation_closing(consultation, now=now))
    sessions = db.session.scalars(
        select(PanelSession)
        .join(Panel)
        .where(PanelSession.starts_at > now, PanelSession.starts_at <= now + rules.SESSION_LEAD)
    ).all()
    for session in sessions:
        told["panel_session"] += len(panel_meets(session, now=now))
    voting = db.session.scalars(
        select(Resolution)
        .join(Assembly)
        .where(Resolution.status == "open", Assembly.closed_at.is_(None))
    ).all()
    for resolution in voting:
        told["vote_open"] += len(vote_opened(resolution, now=now))
    return told


# --- a person's notifications -----------------------------------------------------------------


def page_for(user: User, *, page: int) -> tuple[list[Notification], int]:
    """One page of a person's notifications, newest first, and how many there are."""
    mine = Notification.user_id == user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(mine))
    items = db.session.scalars(
        select(Notification)
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return list(items), total


def unread(user: User, limit: int = 5) -> tuple[list[Notification], int]:
    """The newest unread notifications and how many are unread."""
    condition = (Notification.user_id == user.id, Notification.read_at.is_(None))
    count = db.session.scalar(select(func.count()).select_from(Notification).where(*condition))
    items = db.session.scalars(
        select(Notification)
        .where(*condition)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return list(items), count


def mark_all_read(user: User, *, now: datetime) -> int:
    """Mark every notification of the person as read; returns how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount


def opted_out(user: User) -> set[str]:
    """The kinds the person does not want by e-mail."""
    return set(
        db.session.scalars(
            select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)
        )
    )


def set_email_choices(user: User, wanted: set[str], *, now: datetime) -> None:
    """Keep e-mails for the kinds in `wanted`, stop the others."""
    current = opted_out(user)
    for kind in KINDS:
        if kind in wanted and kind in current:
            db.session.delete(db.session.get(NotificationOptOut, (user.id, kind)))
        elif kind not in wanted and kind not in current:
            opt_out(user, kind, now=now)
    db.session.flush()


def opt_out(user: User, kind: str, *, now: datetime) -> bool:
    """Stop e-mails of one kind (a second click changes nothing); True when it was on."""
    if kind not in KINDS:
        raise ValueError(kind)
    if db.session.get(NotificationOptOut, (user.id, kind)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(NotificationOptOut(user_id=user.id, kind=kind, created_at=now))
    except IntegrityError:
        return False  # the same link clicked twice at once
    return True
