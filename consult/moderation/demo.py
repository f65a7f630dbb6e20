"""Moderation part of the demonstration: rows for bulk-loaded answers, and a few cases to see."""

from sqlalchemy import select

from consult.accounts.models import User
from consult.consultations.models import Contribution
from consult.extensions import db
from consult.moderation import services
from consult.moderation.models import ModerationStatus

#: Answers that show the personal-data detector at work (fictitious data, valid NIR key).
PERSONAL_DATA_ANSWERS = (
    "<p>Je suis diabétique et mon dossier traîne : rappelez-moi au 06 12 34 56 78.</p>",
    "<p>Mon numéro de sécurité sociale est le 1 85 05 78 006 084 91, vous pouvez vérifier.</p>",
    "<p>Écrivez-moi à jeanne.martin@exemple.fr ou passez au 12 rue de la Paix 75002 Paris.</p>",
)


def load_demo(context) -> list[str]:
    """Write the moderation rows, then put a few answers of the open consultation in the queue.

    Bulk-inserted answers skip the ORM event that writes moderation rows, hence the backfill.
    Three published answers are turned into answers with personal data (pending, as the detector
    would have sent them) and one gets two flags, so the queue shows every case.
    """
    open_consultation, now = context.open_consultation, context.now
    services.backfill_statuses()
    already = db.session.scalar(
        select(ModerationStatus.contribution_id)
        .join(ModerationStatus.contribution)
        .where(
            Contribution.consultation_id == open_consultation.id,
            ModerationStatus.has_personal_data.is_(True),
        )
        .limit(1)
    )
    if already is not None:
        return []  # the demonstration was loaded before
    answers = db.session.scalars(
        select(Contribution)
        .where(
            Contribution.consultation_id == open_consultation.id,
            Contribution.state == "published",
            Contribution.body.like("<p>%"),
        )
        .order_by(Contribution.id)
        .limit(len(PERSONAL_DATA_ANSWERS) + 1)
    ).all()
    if len(answers) <= len(PERSONAL_DATA_ANSWERS):
        return []
    for contribution, body in zip(answers, PERSONAL_DATA_ANSWERS, strict=False):
        contribution.body = body
        contribution.state = "pending"
        contribution.published_at = None
        status = services.status_of(contribution)
        found = services.find_personal_data(body)
        status.personal_data = sorted({span.kind.value for span in found})
        status.has_personal_data = True
        status.needs_review = True
    flagged = answers[-1]
    readers = db.session.scalars(
        select(User)
        .where(User.population_id.is_not(None), User.id != flagged.author_id)
        .order_by(User.id)
        .limit(2)
    ).all()
    for reader in readers:
        services.flag(reader, flagged, reason_code="off_topic", reason_text="", now=now)
    db.session.flush()
    pending = db.session.scalar(
        select(db.func.count()).select_from(ModerationStatus).where(ModerationStatus.needs_review)
    )
    return [f"Moderation: {pending} contributions to review (3 with personal data, 1 flagged)"]
