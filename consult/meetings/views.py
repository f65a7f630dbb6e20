"""Meetings for everyone: the public list, a meeting's page, registering, the calendar file,
checking in with the room's code, one's own registrations."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_percent, format_time
from flask_login import current_user

from consult.consultations import channels
from consult.core import links
from consult.core.clock import to_local, utcnow
from consult.core.errors import RuleError, refuse
from consult.core.forms import attach_error
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import db_int
from consult.core.permissions import Role, login_required
from consult.extensions import db
from consult.meetings import calendar, manage, minutes, registration, rules, services
from consult.meetings.forms import FORMAT_LABELS, KIND_LABELS, CodeForm

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
bp.register_blueprint(manage.bp)

NAV = [
    NavItem("meetings.index", _l("Meetings"), public=True, order=15),
    NavItem("meetings.mine", _l("My registrations"), order=25),
    NavItem("meetings.manage.index", _l("Organise meetings"), (Role.ORGANISER,), order=71),
]
PER_PAGE = 20


@bp.app_context_processor
def _labels():
    """Labels every meetings template uses."""
    return {
        "MEETING_KINDS": KIND_LABELS,
        "MEETING_FORMATS": FORMAT_LABELS,
        "meeting_span": meeting_span,
        "percent": lambda share: format_percent(share, "#,##0 %"),
        "contribution_source": channels.source_label,
    }


def meeting_span(meeting) -> str:
    """When a meeting takes place, in Paris time: "12 mars 2026, 18:00–20:00"."""
    start, end = to_local(meeting.starts_at), to_local(meeting.ends_at)
    day = format_date(start, "long")
    if start.date() == end.date():
        return f"{day}, {format_time(start, 'HH:mm')}–{format_time(end, 'HH:mm')}"
    return f"{day}, {format_time(start, 'HH:mm')} – {format_date(end, 'long')}, " + format_time(
        end, "HH:mm"
    )


@bp.get("")
def index():
    """Upcoming or past meetings, filtered by kind and region (public)."""
    when = "past" if request.args.get("when") == "past" else "upcoming"
    kind = request.args.get("kind") or None
    if kind not in KIND_LABELS:
        kind = None
    region_id = request.args.get("region", type=db_int)
    page = page_arg()
    found, total = services.public_meetings(
        when=when, now=utcnow(), kind=kind, region_id=region_id, page=page, per_page=PER_PAGE
    )
    return render_template(
        "meetings/index.html",
        meetings=found,
        total=total,
        page=page,
        per_page=PER_PAGE,
        when=when,
        kind=kind,
        region_id=region_id,
        regions=services.regions(),
        counts=services.seat_counts([m.id for m in found]),
    )


def _load(meeting_id: int):
    """The meeting this person may see, or 404."""
    meeting = services.get_meeting(meeting_id, current_user)
    if meeting is None:
        abort(404)
    return meeting


def _show(meeting, *, errors=None, values=None, code_form=None, status=200):
    """A meeting's page, with the registration form and the person's place."""
    now = utcnow()
    mine = registration.registration_of(current_user, meeting)
    confirmed, waiting = services.seat_counts([meeting.id])[meeting.id]
    return (
        render_template(
            "meetings/show.html",
            meeting=meeting,
            phase=services.phase_of(meeting, now),
            mine=mine,
            confirmed=confirmed,
            waiting=waiting,
            eligible=current_user.is_authenticated
            and current_user.population_id in meeting.population_ids,
            errors=errors or {},
            values=values or {},
            code_form=code_form or CodeForm(),
            may_read_minutes=minutes.may_read_minutes(meeting, current_user, mine),
            code_window=rules.code_refusal(
                meeting.attendance_code,
                meeting.attendance_code,
                meeting.starts_at,
                meeting.ends_at,
                now,
            )
            is None,
        ),
        status,
    )


@bp.get("/<int:meeting_id>")
def show(meeting_id: int):
    """A meeting: when, where, agenda, seats; register or unregister (public page)."""
    return _show(_load(meeting_id))


def _submitted_answers(meeting) -> dict:
    """The registration form's answers as typed: {question id: text or list of option indexes}."""
    answers = {}
    for question in meeting.questions:
        name = f"q{question.id}"
        if question.kind == "multiple":
            answers[question.id] = request.form.getlist(name)
        else:
            answers[question.id] = request.form.get(name, "")
    return answers


@bp.post("/<int:meeting_id>/register")
@login_required
def register(meeting_id: int):
    """Take a seat, or a place on the waiting list."""
    meeting = _load(meeting_id)
    answers = _submitted_answers(meeting)
    try:
        taken = registration.register(current_user, meeting, answers=answers, now=utcnow())
    except RuleError as error:
        db.session.rollback()
        errors = {error.field or "form": error.message}
        return _show(meeting, errors=errors, values=request.form, status=422)
    if taken.status == "confirmed":
        flash(_l("You are registered: your seat is kept."), "success")
    else:
        flash(
            _l(
                "Every seat is taken: you are on the waiting list."
                " You will get an e-mail if a seat frees up."
            ),
            "warning",
        )
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/unregister")
@login_required
def unregister(meeting_id: int):
    """Give up one's seat or place on the waiting list."""
    meeting = _load(meeting_id)
    try:
        registration.unregister(current_user, meeting, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for("meetings.show", meeting_id=meeting.id)), 303
    flash(_l("You are no longer registered."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/check-in")
@login_required
def check_in(meeting_id: int):
    """Be counted present with the code shown in the room."""
    meeting = _load(meeting_id)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            registration.check_in(current_user, meeting, form.code.data, now=utcnow())
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(_l("Thank you: you are counted present."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return _show(meeting, code_form=form, status=422)


@bp.get("/<int:meeting_id>.ics")
def ics(meeting_id: int):
    """The meeting as an iCalendar file, for any calendar application (public)."""
    meeting = _load(meeting_id)
    if meeting.status == "draft":
        abort(404)
    mine = registration.registration_of(current_user, meeting)
    url = links.external_url("meetings.show", meeting_id=meeting.id)
    body = calendar.ics(
        meeting,
        url=url,
        domain=request.host.split(":")[0] or "consult",
        show_link=mine is not None and mine.status == "confirmed",
        now=utcnow(),
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="reunion-{meeting.id}.ics"'
    return response


@bp.get("/mine")
@login_required
def mine():
    """A person's registrations: seats, waiting list, past meetings."""
    now = utcnow()
    found = registration.my_registrations(current_user)
    upcoming = [r for r in found if r.meeting.ends_at > now]
    past = [r for r in found if r.meeting.ends_at <= now]
    upcoming.reverse()
    return render_template("meetings/mine.html", upcoming=upcoming, past=past)


@bp.get("/<int:meeting_id>/minutes")
def minutes_page(meeting_id: int):
    """The published minutes (public ones for everyone, private ones for participants)."""
    meeting = _load(meeting_id)
    mine = registration.registration_of(current_user, meeting)
    if not minutes.may_read_minutes(meeting, current_user, mine):
        if (
            meeting.minutes is not None
            and meeting.minutes.state == "published"
            and (not current_user.is_authenticated)
        ):
            return redirect(url_for("accounts.login", next=request.path))
        abort(404)
    return render_template("meetings/minutes.html", meeting=meeting, minutes=meeting.minutes)
