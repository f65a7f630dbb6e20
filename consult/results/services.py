"""Publishing a consultation's results, and who may read them."""

from datetime import datetime

from flask import url_for
from sqlalchemy import func, select

from consult.analysis import services as analysis
from consult.analysis.words import Normaliser
from consult.consultations import services as consultations
from consult.consultations.models import Consultation, Contribution, Question
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.extensions import db
from consult.notifications import services as notifications
from consult.panels.models import PanelProject, PanelSeat, QuestionnaireResponse
from consult.results import rules
from consult.results.models import ResultsPublication

#: who sees results before they are published, and may publish them
STAFF = (Role.ANALYST, Role.ORGANISER)


def publication_of(consultation: Consultation) -> ResultsPublication | None:
    """The publication of a consultation's results, if they are published."""
    return db.session.get(ResultsPublication, consultation.id)


def is_staff(user) -> bool:
    """Analysts and organisers (and administrators) read results before they are published."""
    return bool(user is not None and user.is_authenticated and user.has_role(*STAFF))


def concerned(user, consultation: Consultation) -> bool:
    """The person was invited to the consultation, or took part in it."""
    if user is None or not user.is_authenticated:
        return False
    if user.population_id in consultation.population_ids:
        return True
    return bool(
        db.session.scalar(
            select(Contribution.id)
            .where(
                Contribution.consultation_id == consultation.id, Contribution.author_id == user.id
            )
            .limit(1)
        )
    )


def may_read(user, consultation: Consultation) -> bool:
    """True when this person may read the results page."""
    if consultation.status == "draft":
        return False
    return rules.may_read(
        published=publication_of(consultation) is not None,
        public=consultation.public,
        signed_in=bool(user is not None and user.is_authenticated),
        concerned=concerned(user, consultation),
        staff=is_staff(user),
    )


def distinct_words(consultation: Consultation) -> int | None:
    """How many different words the few-words questions gathered (None without such question)."""
    questions = db.session.scalars(
        select(Question).where(
            Question.consultation_id == consultation.id, Question.kind == "words"
        )
    ).all()
    if not questions:
        return None
    normaliser = Normaliser()
    keys = set()
    for question in questions:
        for text in analysis.question_texts(question)[1]:
            keys.update(word.key for word in normaliser.words(text))
    return len(keys)


def compute_figures(consultation: Consultation) -> dict:
    """The key-figures band of the seed report, computed now."""
    report = analysis.participation(consultation)
    projects = select(PanelProject.id).where(PanelProject.consultation_id == consultation.id)
    panellists = db.session.scalar(
        select(func.count())
        .select_from(PanelSeat)
        .where(PanelSeat.project_id.in_(projects), PanelSeat.status == "accepted")
    )
    answers = db.session.execute(
        select(QuestionnaireResponse.wants_follow_up, func.count())
        .join(PanelSeat, PanelSeat.id == QuestionnaireResponse.seat_id)
        .where(PanelSeat.project_id.in_(projects))
        .group_by(QuestionnaireResponse.wants_follow_up)
    ).all()
    by_answer = {bool(wants): count for wants, count in answers}
    internal = report.internal
    return rules.key_figures(
        contributions=report.total.contributions,
        participants=report.total.contributors,
        internal=(internal.contributors, internal.eligible)
        if internal and internal.eligible
        else None,
        distinct_words=distinct_words(consultation),
        panellists=panellists,
        follow_up=(by_answer.get(True, 0), sum(by_answer.values())),
    )


def publish(actor, consultation: Consultation, *, now: datetime) -> ResultsPublication:
    """Publish a closed consultation's results and tell the people concerned."""
    if consultations.phase_of(consultation, now) != "closed":
        raise RuleError(_l("Results are published once the consultation is closed."))
    if not analysis.findings_of(consultation):
        raise RuleError(_l("Write at least one finding before publishing the results."))
    publication = publication_of(consultation)
    if publication is not None:
        raise RuleError(_l("The results are already published."))
    publication = ResultsPublication(
        consultation_id=consultation.id,
        published_at=now,
        published_by_id=actor.id,
        figures=compute_figures(consultation),
    )
    db.session.add(publication)
    db.session.flush()
    audit.record(actor, "results.publish", consultation, now=now, after=publication.figures)
    notifications.results_published(
        consultation, url=url_for("results.show", consultation_id=consultation.id), now=now
    )
    return publication


def withdraw(actor, consultation: Consultation, *, now: datetime) -> None:
    """Take the results back (to correct them); people already told are not told again."""
    publication = publication_of(consultation)
    if publication is None:
        raise RuleError(_l("The results are not published."))
    db.session.delete(publication)
    db.session.flush()
    audit.record(actor, "results.withdraw", consultation, now=now)


def set_public(actor, consultation: Consultation, public: bool, *, now: datetime) -> None:
    """Open the consultation, its published contributions and its results to visitors, or not."""
    if consultation.status == "draft":
        raise RuleError(_l("A draft cannot be made public."))
    before = consultation.public
    consultation.public = public
    db.session.flush()
    audit.record(
        actor,
        "results.public" if public else "results.private",
        consultation,
        now=now,
        before={"public": before},
        after={"public": public},
    )
