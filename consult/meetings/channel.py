"""What was said in a meeting, entered as contributions of the meeting's channel."""

from datetime import datetime

from flask import current_app
from flask_babel import format_date
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.accounts.models import Population, Region, User
from consult.accounts.rules import AGE_BANDS
from consult.consultations import channels
from consult.consultations import rules as consultation_rules
from consult.consultations.models import Contribution, Question
from consult.core import audit
from consult.core.clock import to_local
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db
from consult.meetings.models import Meeting, MeetingContribution, Registration


def questions_for(meeting: Meeting) -> list[Question]:
    """The text questions of the consultation the meeting belongs to."""
    if meeting.consultation is None:
        return []
    return [q for q in meeting.consultation.questions if q.is_text]


def record_contribution(
    actor: User,
    meeting: Meeting,
    *,
    question_id: int | None,
    text: str,
    registration_id: int | None,
    population_id: int | None,
    gender_form: str,
    age_band: str | None,
    region_id: int | None,
    now: datetime,
) -> Contribution:
    """Enter what someone said in the meeting, attributed by their profile (never their name).

    The profile is an attendee's, or typed by the organiser for someone who spoke from the floor.
    The contribution goes through moderation like any other.
    """
    consultation = meeting.consultation
    if consultation is None:
        raise RuleError(_l("Attach the meeting to a consultation to enter what was said."))
    if consultation.status == "draft":
        raise RuleError(_l("The consultation is not published yet."))
    if meeting.status != "published" or now < meeting.starts_at:
        raise RuleError(_l("Contributions are entered once the meeting has started."))
    question = next((q for q in questions_for(meeting) if q.id == question_id), None)
    if question is None:
        raise RuleError(_l("Choose a question of the consultation."), "question_id")
    if question.kind == "open":
        body = consultation_rules.clean_open_answer(
            text, current_app.config["MAX_CONTRIBUTION_LENGTH"]
        )
    else:
        body = consultation_rules.parse_words(text, question.max_words)
    if registration_id:
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.meeting_id != meeting.id:
            raise RuleError(_l("Choose someone who took part in this meeting."), "registration_id")
        speaker = registration.user
        population_id, gender_form = speaker.population_id, speaker.gender_form
        age_band, region_id = speaker.age_band, speaker.region_id
    else:
        if population_id is None or db.session.get(Population, population_id) is None:
            raise RuleError(_l("Give the speaker's population."), "population_id")
        if gender_form not in ("f", "m", "n"):
            raise RuleError(_l("Choose a gender form."), "gender_form")
        if age_band is not None and age_band not in AGE_BANDS:
            raise RuleError(_l("Choose an age band from the list."), "age_band")
        if region_id is not None and db.session.get(Region, region_id) is None:
            raise RuleError(_l("Choose among the listed regions."), "region_id")
    contribution = channels.submit_from_channel(
        actor,
        consultation,
        question.id,
        body,
        channel="meeting",
        now=now,
        population_id=population_id,
        gender_form=gender_form,
        age_band=age_band,
        region_id=region_id,
    )
    db.session.add(
        MeetingContribution(
            contribution_id=contribution.id,
            meeting_id=meeting.id,
            entered_by_id=actor.id,
            entered_at=now,
        )
    )
    db.session.flush()
    audit.record(actor, "meetings.contribution", meeting, now=now, after={"id": contribution.id})
    return contribution


def contributions_of(meeting: Meeting) -> list[Contribution]:
    """The contributions entered from this meeting, newest first (every state)."""
    return list(
        db.session.scalars(
            select(Contribution)
            .join(MeetingContribution, MeetingContribution.contribution_id == Contribution.id)
            .where(MeetingContribution.meeting_id == meeting.id)
            .options(
                selectinload(Contribution.question),
                selectinload(Contribution.population),
                selectinload(Contribution.region),
            )
            .order_by(Contribution.id.desc())
        )
    )


def source_label(contribution: Contribution) -> str | None:
    """Where a meeting contribution was said ("réunion « Agora de Toulouse », 12 mars 2026")."""
    if contribution.channel != "meeting":
        return None
    meeting = db.session.scalar(
        select(Meeting)
        .join(MeetingContribution, MeetingContribution.meeting_id == Meeting.id)
        .where(MeetingContribution.contribution_id == contribution.id)
    )
    if meeting is None:
        return str(_l("said in a meeting"))
    return str(
        _l(
            "meeting “%(title)s”, %(day)s",
            title=meeting.title,
            day=format_date(to_local(meeting.starts_at), "long"),
        )
    )
