"""Organisers' routes: settings, registration form, publication, attendance, minutes, and
contributions entered from the room."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from consult.accounts.rules import AGE_BAND_LABELS
from consult.core.clock import parse_local, to_local, utcnow
from consult.core.errors import RuleError, attempt, refuse
from consult.core.forms import attach_error, form_page, written_choices
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role, role_required
from consult.extensions import db
from consult.meetings import channel, minutes, registration, services
from consult.meetings.forms import (
    CancelForm,
    ContributionForm,
    MeetingForm,
    MinutesForm,
    QuestionForm,
)
from consult.meetings.models import Meeting, MeetingQuestion

bp = Blueprint("manage", __name__, url_prefix="/manage")
ORGANISER = (Role.ORGANISER,)


def _meeting(meeting_id: int) -> Meeting:
    """The meeting, or 404."""
    return db.get_or_404(Meeting, meeting_id)


def _back(meeting: Meeting):
    """Return to the meeting's organiser page."""
    return redirect(url_for("meetings.manage.meeting", meeting_id=meeting.id))


@bp.get("")
@role_required(*ORGANISER)
def index():
    """Every meeting with its seats and waiting list."""
    found = services.organiser_meetings()
    return render_template(
        "meetings/manage/index.html",
        meetings=found,
        counts=services.seat_counts([m.id for m in found]),
        now=utcnow(),
    )


def _fill_choices(form: MeetingForm) -> None:
    """Regions, populations and what a meeting can be attached to."""
    from consult.consultations.models import Consultation
    from consult.mission.models import CommitteeSession
    from consult.panels.models import Panel

    none = [("", _l("Not attached"))]
    form.region_id.choices = [("", _l("National or online"))] + written_choices(
        (r.id, r.name) for r in services.regions()
    )
    form.populations.choices = written_choices((p.id, p.name) for p in services.populations())
    form.consultation_id.choices = none + written_choices(
        (c.id, c.title)
        for c in db.session.scalars(select(Consultation).order_by(Consultation.opens_at.desc()))
    )
    form.panel_id.choices = none + written_choices(
        (p.id, f"{p.project.title} — {p.name}") for p in db.session.scalars(select(Panel))
    )
    form.mission_session_id.choices = none + written_choices(
        (s.id, s.title)
        for s in db.session.scalars(select(CommitteeSession).order_by(CommitteeSession.held_on))
    )


def _local(moment):
    """A stored moment as the naive Paris time a form shows."""
    return to_local(moment).replace(tzinfo=None) if moment else None


def _save(form: MeetingForm, meeting: Meeting | None):
    """Call the service with the form's values."""
    return services.save_meeting(
        current_user,
        meeting,
        title=form.title.data,
        kind=form.kind.data,
        format=form.format.data,
        agenda=form.agenda.data,
        place=form.place.data,
        online_url=form.online_url.data,
        region_id=form.region_id.data,
        starts_at=parse_local(form.starts_at.data),
        ends_at=parse_local(form.ends_at.data),
        capacity=form.capacity.data,
        registration_opens_at=parse_local(form.registration_opens_at.data),
        registration_closes_at=parse_local(form.registration_closes_at.data),
        population_ids=form.populations.data or [],
        consultation_id=form.consultation_id.data,
        panel_id=form.panel_id.data,
        mission_session_id=form.mission_session_id.data,
        now=utcnow(),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ORGANISER)
def new():
    """Create a meeting (a draft until published)."""
    form = MeetingForm()
    _fill_choices(form)
    return form_page(
        form,
        lambda: _save(form, None),
        success=lambda m: url_for("meetings.manage.meeting", meeting_id=m.id),
        template="meetings/manage/edit.html",
        message=_l("Meeting saved."),
        meeting=None,
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@role_required(*ORGANISER)
def edit(meeting_id: int):
    """Change a meeting's settings."""
    meeting = _meeting(meeting_id)
    form = MeetingForm(obj=None if request.method == "POST" else meeting)
    _fill_choices(form)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            getattr(form, name).data = _local(getattr(meeting, name))
        form.populations.data = sorted(meeting.population_ids)
    return form_page(
        form,
        lambda: _save(form, meeting),
        success=url_for("meetings.manage.meeting", meeting_id=meeting.id),
        template="meetings/manage/edit.html",
        message=_l("Meeting saved."),
        meeting=meeting,
    )


@bp.get("/<int:meeting_id>")
@role_required(*ORGANISER)
def meeting(meeting_id: int):
    """A meeting's organiser page: registrants, waiting list, attendance, form, minutes."""
    return _meeting_page(_meeting(meeting_id), QuestionForm())


def _meeting_page(meeting: Meeting, question_form: QuestionForm, status: int = 200):
    """The organiser page, with the question form as it stands (refused, or blank)."""
    rows, total = registration.attendance_report(meeting)
    return render_template(
        "meetings/manage/meeting.html",
        meeting=meeting,
        phase=services.phase_of(meeting, utcnow()),
        registrants=registration.registrants(meeting),
        attendance=rows,
        attendance_total=total,
        population_names={p.id: p.name for p in services.populations()},
        question_form=question_form,
        contributions=channel.contributions_of(meeting),
    ), status


@bp.post("/<int:meeting_id>/publish")
@role_required(*ORGANISER)
def publish(meeting_id: int):
    """Publish a draft."""
    meeting = _meeting(meeting_id)
    attempt(
        lambda: services.publish(current_user, meeting, now=utcnow()),
        _l("The meeting is published."),
    )
    return _back(meeting)


@bp.route("/<int:meeting_id>/cancel", methods=["GET", "POST"])
@role_required(*ORGANISER)
def cancel(meeting_id: int):
    """Cancel a meeting; registrants are told why."""
    meeting = _meeting(meeting_id)
    form = CancelForm()
    return form_page(
        form,
        lambda: services.cancel(current_user, meeting, reason=form.reason.data, now=utcnow()),
        success=url_for("meetings.manage.meeting", meeting_id=meeting.id),
        template="meetings/manage/cancel.html",
        message=_l("The meeting is cancelled; registrants are told by e-mail."),
        meeting=meeting,
    )


@bp.post("/<int:meeting_id>/questions")
@role_required(*ORGANISER)
def add_question(meeting_id: int):
    """Add a question to the registration form."""
    meeting = _meeting(meeting_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            services.save_question(
                current_user,
                meeting,
                kind=form.kind.data,
                prompt=form.prompt.data,
                max_words=form.max_words.data or 3,
                choices=(form.choices.data or "").splitlines(),
                now=utcnow(),
            )
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(_l("Question added."), "success")
            return _back(meeting)
    return _meeting_page(meeting, form, 422)


@bp.post("/<int:meeting_id>/questions/<int:question_id>/delete")
@role_required(*ORGANISER)
def delete_question(meeting_id: int, question_id: int):
    """Remove a question from the registration form."""
    meeting = _meeting(meeting_id)
    question = db.session.get(MeetingQuestion, question_id)
    if question is None or question.meeting_id != meeting.id:
        abort(404)
    try:
        services.delete_question(current_user, question, now=utcnow())
    except RuleError as error:
        refuse(error)
    return _back(meeting)


@bp.post("/<int:meeting_id>/attendance")
@role_required(*ORGANISER)
def attendance(meeting_id: int):
    """Record who is present, from the list of registrants."""
    meeting = _meeting(meeting_id)
    try:
        present = {int(v) for v in request.form.getlist("present")}
    except ValueError:
        abort(400)
    attempt(
        lambda: registration.record_attendance(current_user, meeting, present, now=utcnow()),
        _l("Attendance saved."),
    )
    return _back(meeting)


@bp.post("/<int:meeting_id>/code")
@role_required(*ORGANISER)
def new_code(meeting_id: int):
    """Draw a new attendance code to show in the room."""
    meeting = _meeting(meeting_id)
    try:
        services.new_attendance_code(current_user, meeting, now=utcnow())
    except RuleError as error:
        refuse(error)
        return _back(meeting)
    return redirect(url_for("meetings.manage.code", meeting_id=meeting.id))


@bp.get("/<int:meeting_id>/code")
@role_required(*ORGANISER)
def code(meeting_id: int):
    """The attendance code in large type, to show on the room's screen."""
    meeting = _meeting(meeting_id)
    if not meeting.attendance_code:
        return _back(meeting)
    return render_template("meetings/manage/code.html", meeting=meeting)


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@role_required(*ORGANISER)
def edit_minutes(meeting_id: int):
    """Draft or correct the minutes."""
    meeting = _meeting(meeting_id)
    form = MinutesForm(obj=meeting.minutes if request.method == "GET" else None)
    return form_page(
        form,
        lambda: minutes.save_minutes(
            current_user,
            meeting,
            body=form.body.data,
            visibility=form.visibility.data,
            now=utcnow(),
        ),
        success=url_for("meetings.manage.meeting", meeting_id=meeting.id),
        template="meetings/manage/minutes.html",
        message=_l("Minutes saved as a draft."),
        meeting=meeting,
    )


MINUTES_MESSAGES = {
    "approve": _l("Minutes approved."),
    "publish": _l("Minutes published."),
    "unpublish": _l("Minutes withdrawn."),
}


@bp.post("/<int:meeting_id>/minutes/<action>")
@role_required(*ORGANISER)
def move_minutes(meeting_id: int, action: str):
    """Approve, publish or withdraw the minutes."""
    meeting = _meeting(meeting_id)
    if action not in MINUTES_MESSAGES:
        abort(404)
    attempt(
        lambda: minutes.move_minutes(current_user, meeting, action, now=utcnow()),
        MINUTES_MESSAGES[action],
    )
    return _back(meeting)


def _contribution_choices(form: ContributionForm, meeting: Meeting) -> None:
    """Questions of the consultation, participants, and profile lists."""
    form.question_id.choices = written_choices(
        (q.id, q.prompt) for q in channel.questions_for(meeting)
    )
    people = [r for r in registration.registrants(meeting) if r.status != "cancelled"]
    form.registration_id.choices = [("", _l("Someone else (describe below)"))] + [
        (r.id, r.user.display_name or r.user.email) for r in people
    ]
    form.population_id.choices = [("", _l("Choose"))] + written_choices(
        (p.id, p.name) for p in services.populations()
    )
    form.age_band.choices = [("", _l("Not given"))] + [
        (code, label) for code, label in AGE_BAND_LABELS.items()
    ]
    form.region_id.choices = [("", _l("Not given"))] + written_choices(
        (r.id, r.name) for r in services.regions()
    )


@bp.route("/<int:meeting_id>/contributions", methods=["GET", "POST"])
@role_required(*ORGANISER)
def contributions(meeting_id: int):
    """Enter what was said in the meeting as contributions of its channel."""
    meeting = _meeting(meeting_id)
    form = ContributionForm()
    _contribution_choices(form, meeting)
    return form_page(
        form,
        lambda: channel.record_contribution(
            current_user,
            meeting,
            question_id=form.question_id.data,
            text=form.text.data,
            registration_id=form.registration_id.data,
            population_id=form.population_id.data,
            gender_form=form.gender_form.data,
            age_band=form.age_band.data or None,
            region_id=form.region_id.data,
            now=utcnow(),
        ),
        success=url_for("meetings.manage.contributions", meeting_id=meeting.id),
        template="meetings/manage/contributions.html",
        message=_l("Contribution recorded."),
        meeting=meeting,
        entered=channel.contributions_of(meeting),
    )
