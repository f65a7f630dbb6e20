"""A participant's home page: what is open for them, what they answered, their panels,
assemblies and unread notifications (read-only gathering across areas)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from consult.assembly.models import Assembly, Delegate
from consult.consultations.models import Consultation, Contribution, Question
from consult.extensions import db
from consult.notifications import services as notifications
from consult.panels import services as panels


@dataclass
class Home:
    """What the home page shows beside the list of consultations."""

    #: (consultation, questions answered, questions) for consultations open to the person
    progress: list = field(default_factory=list)
    #: (consultation, answers) for every consultation the person answered
    answered: list = field(default_factory=list)
    seats: list = field(default_factory=list)
    #: (assembly, roll line) for assemblies the person sits in, newest first
    assemblies: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    unread: int = 0


def home_for(user, items: list[tuple[Consultation, str]], *, now: datetime) -> Home:
    """Gather the home page of a signed-in person; `items` are their consultations and phases."""
    counts = dict(
        db.session.execute(
            select(
                Contribution.consultation_id, func.count(func.distinct(Contribution.question_id))
            )
            .where(Contribution.author_id == user.id, Contribution.withdrawn_at.is_(None))
            .group_by(Contribution.consultation_id)
        ).all()
    )
    sizes = dict(
        db.session.execute(
            select(Question.consultation_id, func.count()).group_by(Question.consultation_id)
        ).all()
    )
    eligible = {c.id for c, _phase in items if user.population_id in c.population_ids}
    home = Home(
        progress=[
            (c, counts.get(c.id, 0), sizes.get(c.id, 0))
            for c, phase in items
            if phase == "open" and c.id in eligible
        ],
        answered=[
            (c, counts[c.id])
            for c in db.session.scalars(
                select(Consultation)
                .where(Consultation.id.in_(list(counts)))
                .order_by(Consultation.closes_at.desc())
            )
        ],
        seats=panels.seats_of_user(user),
        assemblies=list(
            db.session.execute(
                select(Assembly, Delegate)
                .join(Delegate, Delegate.assembly_id == Assembly.id)
                .where(Delegate.user_id == user.id)
                .order_by(Assembly.held_on.desc())
            ).all()
        ),
    )
    home.notifications, home.unread = notifications.unread(user, limit=3)
    return home
