"""Workshops for readers and co-authors: the published collection (public), a story with its
comments beside each paragraph, writing a version, the history and differences."""

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
from flask_login import current_user

from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.params import db_int
from consult.core.permissions import Role, login_required
from consult.core.sanitize import plain_text
from consult.extensions import db
from consult.workshops import manage, rules, services
from consult.workshops.models import Story

bp = Blueprint("workshops", __name__, url_prefix="/workshops")
bp.register_blueprint(manage.bp)

NAV = [
    NavItem("workshops.index", _l("Workshops"), public=True, order=16),
    NavItem("workshops.manage.index", _l("Organise workshops"), (Role.ORGANISER,), order=72),
]
SENTIMENT_LABELS = {"like": _l("I like it"), "worry": _l("It worries me"), "idea": _l("An idea")}
PHASE_LABELS = {
    "draft": _l("In preparation"),
    "write": _l("Writing"),
    "comment": _l("Reading and comments"),
    "finalise": _l("Finalising"),
    "published": _l("Published"),
}


@bp.app_context_processor
def _labels():
    """Labels the workshop templates share."""
    return {
        "WORKSHOP_PHASES": PHASE_LABELS,
        "SENTIMENTS": SENTIMENT_LABELS,
        "paragraphs_of": rules.paragraphs,
    }


def _workshop(workshop_id: int):
    """The workshop this person may read, or 404."""
    workshop = services.get_workshop(workshop_id, current_user)
    if workshop is None:
        abort(404)
    return workshop


def _story(workshop, story_id: int) -> Story:
    """A story of the workshop, or 404."""
    story = db.session.get(Story, story_id)
    if story is None or story.workshop_id != workshop.id:
        abort(404)
    return story


@bp.get("")
def index():
    """Published collections for everyone; one's own workshops when signed in."""
    mine = services.workshops_of(current_user) if current_user.is_authenticated else []
    return render_template(
        "workshops/index.html", published=services.published_workshops(), mine=mine
    )


@bp.get("/<int:workshop_id>")
def show(workshop_id: int):
    """The collection of stories (readable without signing in once published)."""
    workshop = _workshop(workshop_id)
    public = workshop.phase == "published"
    return render_template(
        "workshops/show.html",
        workshop=workshop,
        stories=services.stories(workshop, public=public),
        member=services.membership(current_user, workshop),
        printing=False,
    )


@bp.get("/<int:workshop_id>/print")
def print_view(workshop_id: int):
    """The collection laid out for printing."""
    workshop = _workshop(workshop_id)
    return render_template(
        "workshops/show.html",
        workshop=workshop,
        stories=services.stories(workshop, public=workshop.phase == "published"),
        member=None,
        printing=True,
    )


@bp.get("/<int:workshop_id>/export.md")
def export(workshop_id: int):
    """The collection as a Markdown file."""
    workshop = _workshop(workshop_id)
    if workshop.phase != "published":
        abort(404)
    response = make_response(services.export_markdown(workshop))
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="atelier-{workshop.id}.md"'
    return response


def _story_page(workshop, story, *, form_errors=None, values=None, status=200):
    """A story with its comments beside each paragraph."""
    public = workshop.phase == "published" and not services.may_take_part(current_user, workshop)
    placed, detached, counts = services.anchored_comments(story, public=public)
    return (
        render_template(
            "workshops/story.html",
            workshop=workshop,
            story=story,
            placed=placed,
            detached=detached,
            counts=counts,
            member=services.membership(current_user, workshop),
            may_comment=services.may_take_part(current_user, workshop)
            and rules.comment_refusal(workshop.phase) is None,
            errors=form_errors or {},
            values=values or {},
            plain_text=plain_text,
        ),
        status,
    )


@bp.get("/<int:workshop_id>/stories/<int:story_id>")
def story(workshop_id: int, story_id: int):
    """Read a story and its comments."""
    workshop = _workshop(workshop_id)
    found = _story(workshop, story_id)
    if workshop.phase == "published" and found not in services.stories(workshop, public=True):
        if not services.may_take_part(current_user, workshop):
            abort(404)
    return _story_page(workshop, found)


@bp.post("/<int:workshop_id>/stories/<int:story_id>/comments")
@login_required
def comment(workshop_id: int, story_id: int):
    """Comment on a paragraph or mark it with a sentiment."""
    workshop = _workshop(workshop_id)
    found = _story(workshop, story_id)
    paragraph = request.form.get("paragraph", type=db_int)
    sentiment = request.form.get("sentiment") or None
    try:
        services.comment(
            current_user,
            found,
            paragraph=paragraph,
            text=request.form.get("text", ""),
            sentiment=sentiment,
            now=utcnow(),
        )
    except RuleError as error:
        db.session.rollback()
        errors = {"paragraph": paragraph, "message": error.message}
        return _story_page(workshop, found, form_errors=errors, values=request.form, status=422)
    flash(_l("Thank you: your comment is recorded."), "success")
    anchor = f"p{paragraph}"
    return redirect(
        url_for("workshops.story", workshop_id=workshop.id, story_id=found.id) + "#" + anchor
    )


@bp.route("/<int:workshop_id>/stories/<int:story_id>/edit", methods=["GET", "POST"])
@login_required
def edit(workshop_id: int, story_id: int):
    """Write a new version; a conflict shows both texts instead of overwriting anyone."""
    workshop = _workshop(workshop_id)
    found = _story(workshop, story_id)
    member = services.membership(current_user, workshop)
    if member is None or member.group_id != found.group_id:
        abort(403)
    conflict, error = None, None
    if request.method == "POST":
        base = request.form.get("base_version", type=db_int)
        try:
            services.save_story(
                current_user,
                found,
                title=request.form.get("title", ""),
                body=request.form.get("body", ""),
                base_version=base,
                note=request.form.get("note", ""),
                now=utcnow(),
            )
        except rules.Conflict as clash:
            db.session.rollback()
            db.session.refresh(found)
            conflict, error = clash, clash
        except RuleError as refusal:
            db.session.rollback()
            error = refusal
        else:
            flash(_l("Version saved."), "success")
            return redirect(url_for("workshops.story", workshop_id=workshop.id, story_id=found.id))
    values = (
        request.form
        if request.method == "POST"
        else {
            "title": found.title,
            "body": found.body,
            "base_version": found.version,
        }
    )
    return (
        render_template(
            "workshops/edit.html",
            workshop=workshop,
            story=found,
            values=values,
            error=error,
            conflict=conflict,
            refusal=rules.edit_refusal(workshop.phase),
        ),
        422 if error else 200,
    )


@bp.get("/<int:workshop_id>/stories/<int:story_id>/history")
@login_required
def history(workshop_id: int, story_id: int):
    """Every version, and the difference between any two."""
    workshop = _workshop(workshop_id)
    found = _story(workshop, story_id)
    if not services.may_take_part(current_user, workshop):
        abort(403)
    newest = found.version
    old = request.args.get("from", type=db_int)
    new = request.args.get("to", type=db_int)
    if new is None:
        new = newest
    if old is None:
        old = max(new - 1, 0)
    if not (0 <= old <= newest and 0 <= new <= newest):
        abort(404)
    try:
        blocks = services.difference(found, old, new)
    except RuleError:
        abort(404)
    return render_template(
        "workshops/history.html",
        workshop=workshop,
        story=found,
        old=old,
        new=new,
        blocks=blocks,
    )
