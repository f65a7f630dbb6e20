"""Published results: the page everyone concerned reads; analysts publish, organisers open it."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from consult.analysis import services as analysis
from consult.consultations.models import Consultation
from consult.core.clock import utcnow
from consult.core.errors import attempt
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.permissions import Role, role_required
from consult.extensions import db
from consult.results import rules, services
from consult.results.models import ResultsPublication

bp = Blueprint("results", __name__, url_prefix="/results")

NAV = [NavItem("results.index", _l("Results"), public=True, order=15)]


def _consultation(consultation_id: int) -> Consultation:
    """A consultation that has left the draft stage, else 404."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status == "draft":
        abort(404)
    return consultation


@bp.get("/")
def index():
    """Every published result this person may read (the public ones for visitors)."""
    published = db.session.execute(
        select(Consultation, ResultsPublication)
        .join(ResultsPublication, ResultsPublication.consultation_id == Consultation.id)
        .order_by(ResultsPublication.published_at.desc())
    ).all()
    items = [(c, p) for c, p in published if services.may_read(current_user, c)]
    return render_template("results/index.html", items=items)


@bp.get("/<int:consultation_id>")
def show(consultation_id):
    """A consultation's results: key figures and findings with their quotes."""
    consultation = _consultation(consultation_id)
    if not services.may_read(current_user, consultation):
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        abort(404)
    publication = services.publication_of(consultation)
    figures = publication.figures if publication else services.compute_figures(consultation)
    return render_template(
        "results/show.html",
        consultation=consultation,
        publication=publication,
        band=rules.read_figures(figures),
        labels=rules.FIGURE_LABELS,
        findings=analysis.findings_of(consultation),
        quote_text=analysis.quote_text,
        staff=services.is_staff(current_user),
        analyst=current_user.is_authenticated and current_user.has_role(Role.ANALYST),
        organiser=current_user.is_authenticated and current_user.has_role(Role.ORGANISER),
    )


def _act(consultation_id, action, success):
    """Run a publication action and come back to the results page."""
    consultation = _consultation(consultation_id)
    attempt(lambda: action(consultation), success)
    return redirect(url_for(".show", consultation_id=consultation.id), 303)


@bp.post("/<int:consultation_id>/publish")
@role_required(Role.ANALYST)
def publish(consultation_id):
    """Publish the results and tell the people concerned."""
    return _act(
        consultation_id,
        lambda c: services.publish(current_user, c, now=utcnow()),
        _("The results are published; the people concerned are told."),
    )


@bp.post("/<int:consultation_id>/withdraw")
@role_required(Role.ANALYST)
def withdraw(consultation_id):
    """Take the results back."""
    return _act(
        consultation_id,
        lambda c: services.withdraw(current_user, c, now=utcnow()),
        _("The results are no longer published."),
    )


@bp.post("/<int:consultation_id>/visibility")
@role_required(Role.ORGANISER)
def visibility(consultation_id):
    """Open the consultation, its contributions and its results to visitors, or close them."""
    choice = request.form.get("public")
    if choice not in ("0", "1"):
        abort(400)
    public = choice == "1"
    return _act(
        consultation_id,
        lambda c: services.set_public(current_user, c, public, now=utcnow()),
        _("Visitors can now read this consultation and its results.")
        if public
        else _("Only signed-in people concerned can read this consultation now."),
    )
