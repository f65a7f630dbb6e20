"""Facilitators' routes: open a workshop, form groups, move through the phases, group ideas."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int
from consult.core.permissions import Role, role_required
from consult.extensions import db
from consult.workshops import services
from consult.workshops.models import IdeaHeading, Workshop, WorkshopGroup

bp = Blueprint("manage", __name__, url_prefix="/manage")
FACILITATOR = (Role.ORGANISER,)


def _workshop(workshop_id: int) -> Workshop:
    """The workshop, or 404."""
    return db.get_or_404(Workshop, workshop_id)


def _back(workshop: Workshop):
    """Return to the facilitator's page."""
    return redirect(url_for("workshops.manage.workshop", workshop_id=workshop.id))


def _open_questions():
    """Open questions of the consultations, for the workshop's synthesis."""
    from consult.consultations.models import Consultation, Question

    return db.session.execute(
        select(Question, Consultation)
        .join(Consultation, Consultation.id == Question.consultation_id)
        .where(Question.kind == "open")
        .order_by(Consultation.opens_at.desc(), Question.position)
    ).all()


@bp.get("")
@role_required(*FACILITATOR)
def index():
    """Every workshop."""
    return render_template(
        "workshops/manage/index.html", workshops=services.workshops_of(current_user)
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(*FACILITATOR)
def new():
    """Open a workshop from a brief."""
    error = None
    if request.method == "POST":
        try:
            workshop = services.create_workshop(
                current_user,
                title=request.form.get("title", ""),
                brief=request.form.get("brief", ""),
                horizon=request.form.get("horizon", ""),
                question_id=request.form.get("question_id", type=db_int),
                now=utcnow(),
            )
        except RuleError as refusal:
            db.session.rollback()
            error = refusal
        else:
            flash(_l("Workshop created."), "success")
            return _back(workshop)
    return (
        render_template(
            "workshops/manage/new.html",
            questions=_open_questions(),
            values=request.form,
            error=error,
        ),
        422 if error else 200,
    )


def _page(workshop, *, error=None, status=200):
    """The facilitator's page of a workshop."""
    from consult.panels.models import Panel

    return (
        render_template(
            "workshops/manage/workshop.html",
            workshop=workshop,
            stories=services.stories(workshop, public=False),
            panels=list(db.session.scalars(select(Panel))),
            error=error,
            values=request.form,
        ),
        status,
    )


@bp.get("/<int:workshop_id>")
@role_required(*FACILITATOR)
def workshop(workshop_id: int):
    """Groups, co-authors, phase, ideas."""
    return _page(_workshop(workshop_id))


def _act(workshop, action, message):
    """Run a facilitator's action: back to the page, or the page with the refusal (422)."""
    try:
        action()
    except RuleError as error:
        db.session.rollback()
        return _page(workshop, error=error, status=422)
    flash(message, "success")
    return _back(workshop)


@bp.post("/<int:workshop_id>/groups")
@role_required(*FACILITATOR)
def add_group(workshop_id: int):
    """Add a group of co-authors."""
    found = _workshop(workshop_id)
    return _act(
        found,
        lambda: services.add_group(
            current_user, found, name=request.form.get("name", ""), now=utcnow()
        ),
        _l("Group added."),
    )


def _group(workshop, group_id: int) -> WorkshopGroup:
    """A group of the workshop, or 404."""
    group = db.session.get(WorkshopGroup, group_id)
    if group is None or group.workshop_id != workshop.id:
        abort(404)
    return group


@bp.post("/<int:workshop_id>/groups/<int:group_id>/members")
@role_required(*FACILITATOR)
def add_member(workshop_id: int, group_id: int):
    """Invite a person into a group (or the members of a drawn panel)."""
    found = _workshop(workshop_id)
    group = _group(found, group_id)
    if request.form.get("panel_id"):
        return _act(
            found,
            lambda: services.add_panel(
                current_user,
                group,
                panel_id=request.form.get("panel_id", type=db_int),
                now=utcnow(),
            ),
            _l("The panel’s members are co-authors of the group."),
        )
    return _act(
        found,
        lambda: services.add_member(
            current_user, group, email=request.form.get("email", ""), now=utcnow()
        ),
        _l("Co-author added."),
    )


@bp.post("/<int:workshop_id>/phase")
@role_required(*FACILITATOR)
def phase(workshop_id: int):
    """Move to the next phase."""
    found = _workshop(workshop_id)
    return _act(
        found,
        lambda: services.set_phase(
            current_user, found, request.form.get("phase", ""), now=utcnow()
        ),
        _l("The workshop has moved to its next phase."),
    )


@bp.post("/<int:workshop_id>/headings")
@role_required(*FACILITATOR)
def add_heading(workshop_id: int):
    """Add a heading for ideas."""
    found = _workshop(workshop_id)
    return _act(
        found,
        lambda: services.add_heading(
            current_user, found, title=request.form.get("title", ""), now=utcnow()
        ),
        _l("Heading added."),
    )


@bp.post("/<int:workshop_id>/headings/<int:heading_id>/ideas")
@role_required(*FACILITATOR)
def add_idea(workshop_id: int, heading_id: int):
    """Add an idea under a heading."""
    found = _workshop(workshop_id)
    heading = db.session.get(IdeaHeading, heading_id)
    if heading is None or heading.workshop_id != found.id:
        abort(404)
    return _act(
        found,
        lambda: services.add_idea(
            current_user,
            heading,
            text=request.form.get("text", ""),
            story_id=request.form.get("story_id", type=db_int),
            now=utcnow(),
        ),
        _l("Idea added."),
    )
