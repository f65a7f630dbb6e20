"""Citizen panels: the public volunteer form, organising the draw, invitations, panel pages."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from consult.consultations.models import Consultation, Contribution
from consult.core import facts
from consult.core.clock import parse_local, utcnow
from consult.core.errors import RuleError, attempt, refuse
from consult.core.forms import WrittenLabelRadioField, attach_error, form_page, written_choices
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import ngettext
from consult.core.imports import services as imports
from consult.core.imports.views import large_upload
from consult.core.links import external_url
from consult.core.mail import queue_mail
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.permissions import Role, has_any_role, login_required, role_required
from consult.extensions import db
from consult.panels import commitment, services
from consult.panels.facts import SITS_IN_A_PANEL
from consult.panels.forms import (
    METHOD_LABELS,
    DocumentForm,
    FeatureForm,
    ImportForm,
    PanelForm,
    ProjectForm,
    QuestionnaireForm,
    SeedForm,
    SessionForm,
    VolunteerForm,
)
from consult.panels.imports import VOLUNTEERS, check_upload
from consult.panels.models import (
    Panel,
    PanelDocument,
    PanelDraw,
    PanelFeature,
    PanelJob,
    PanelProject,
    PanelSeat,
    PanelSession,
    PanelVolunteer,
)

bp = Blueprint("panels", __name__, url_prefix="/panels")

NAV = [
    NavItem("panels.organise", _l("Panels"), roles=(Role.ORGANISER,), order=40),
    NavItem(
        "panels.mine",
        _l("My panel"),
        roles=(Role.PARTICIPANT,),
        order=41,
        when=lambda user: facts.holds(user, SITS_IN_A_PANEL),
    ),
]

#: Volunteers listed per page.
PER_PAGE = 100

SEAT_LABELS = {
    "invited": _l("Invited"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "replaced": _l("Replaced"),
}
STATUS_LABELS = {
    "recruiting": _l("Recruiting"),
    "committed": _l("Committed"),
    "drawn": _l("Drawn"),
    "closed": _l("Closed"),
}


def _project(project_id: int) -> PanelProject:
    """The project or 404."""
    return db.session.get(PanelProject, project_id) or abort(404)


def _is_organiser() -> bool:
    """Organisers and administrators manage every panel."""
    return has_any_role(current_user, (Role.ORGANISER,))


# --- public: volunteering and transparency -------------------------------------------------------


def _volunteer_form(project: PanelProject):
    """The public form with one question per profile feature."""

    class Form(VolunteerForm):
        pass

    for feature in project.features:
        setattr(Form, f"feature_{feature.id}", _feature_field(feature))
    return Form()


def _feature_field(feature: PanelFeature) -> WrittenLabelRadioField:
    """A radio question for one profile feature, worded by the organisers."""
    return WrittenLabelRadioField(
        feature.label,
        choices=written_choices((str(v.id), v.label) for v in feature.values),
        validators=[InputRequired(_l("Answer this question."))],
    )


@bp.route(
    "/<int:project_id>/volunteer", methods=["GET", "POST"]
)  # limited: RATE_LIMITS_PER_ADDRESS
def volunteer(project_id):
    """Public: volunteer for a draw (anyone, no account)."""
    project = _project(project_id)
    if project.status != "recruiting":
        return render_template("panels/closed.html", project=project), 410
    form = _volunteer_form(project)
    if form.validate_on_submit():
        application = services.Application(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            email=form.email.data,
            birth_year=form.birth_year.data,
            postcode=form.postcode.data,
            is_member=form.is_member.data == "yes",
            values={f.id: int(form[f"feature_{f.id}"].data) for f in project.features},
            consent_contact=form.consent_contact.data,
            consent_profile=form.consent_profile.data,
        )
        try:
            person, created = services.volunteer(project, application, now=utcnow())
        except RuleError as error:
            attach_error(form, error)
        else:
            _send_key(project, person, created)
            return render_template("panels/thanks.html", project=project)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "panels/volunteer.html",
        project=project,
        form=form,
        feature_fields=[form[f"feature_{f.id}"] for f in project.features],
    ), status


def _send_key(project, person, created: bool) -> None:
    """E-mail the volunteer their pseudonymous key: the page is the same whether or not the
    address had already applied, so it tells nobody who volunteered."""
    if created:
        body = _(
            "Your application for “%(title)s” is recorded.\n\nYour pseudonymous key in the "
            "published draw is %(key)s: keep it to check the draw and your chance of being "
            "drawn:\n\n%(link)s",
            title=project.title,
            key=person.key,
            link=external_url("panels.transparency", project_id=project.id),
        )
    else:
        body = _(
            "Someone volunteered again with your address for “%(title)s”. Your application "
            "was already recorded and nothing changed; your pseudonymous key is %(key)s.",
            title=project.title,
            key=person.key,
        )
    queue_mail(person.email, _("Your application to the citizen panels"), body, now=utcnow())


@bp.get("/<int:project_id>/draw")
def transparency(project_id):
    """Public: the commitments, seeds, drawn keys and selection probabilities."""
    project = _project(project_id)
    draws = [
        (d, json.loads(d.result) if d.result else None, services.committed_probabilities(d))
        for d in project.draws
    ]
    return render_template("panels/transparency.html", project=project, draws=draws)


@bp.get("/<int:project_id>/draws/<int:round_>/inputs.json")
def inputs_document(project_id, round_):
    """Public: the committed inputs, byte for byte (their SHA-256 is the commitment)."""
    record = db.session.scalar(
        select(PanelDraw).where(PanelDraw.project_id == project_id, PanelDraw.round == round_)
    ) or abort(404)
    return Response(
        record.inputs.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=inputs-{project_id}-{round_}.json"},
    )


@bp.get("/<int:project_id>/draws/<int:round_>/result.json")
def result_document(project_id, round_):
    """Public: the drawn keys and probabilities of a performed draw."""
    record = db.session.scalar(
        select(PanelDraw).where(PanelDraw.project_id == project_id, PanelDraw.round == round_)
    )
    if record is None or record.result is None:
        abort(404)
    return Response(
        record.result.encode("utf-8"),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=result-{project_id}-{round_}.json"},
    )


def _send_access(seat, account_token: str) -> None:
    """E-mail a panellist who accepted their seat the link that opens their access."""
    queue_mail(
        seat.volunteer.email,
        _("Your access to the citizen panel"),
        _(
            "Thank you for joining the panel %(panel)s. Choose your password here "
            "to see its sessions and documents: %(link)s",
            panel=seat.panel.name,
            link=external_url("accounts.accept_invitation", token=account_token),
        ),
        now=utcnow(),
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])  # limited: RATE_LIMITS_PER_ADDRESS
def invitation(token):
    """The drawn volunteer (holder of the link): accept or decline the seat."""
    seat = services.seat_by_token(token)
    if seat is None:
        abort(404)
    if request.method == "POST":
        answer = request.form.get("answer")
        if answer not in ("accept", "decline"):
            abort(400)
        accept = answer == "accept"
        try:
            account_token = services.answer_invitation(seat, accept, now=utcnow())
        except RuleError as error:
            refuse(error)
            return redirect(url_for(".invitation", token=token), 303)
        if accept:
            if account_token:
                _send_access(seat, account_token)
                flash(
                    _("Thank you! We sent you an e-mail to open your access to the panel page."),
                    "success",
                )
            else:
                flash(_("Thank you! Sign in to see the panel page."), "success")
        else:
            flash(_("Your answer is recorded. Thank you for volunteering."), "success")
        return redirect(url_for(".invitation", token=token))
    return render_template("panels/invitation.html", seat=seat, labels=SEAT_LABELS)


# --- panellists ---------------------------------------------------------------------------------


@bp.get("/mine")
@login_required
def mine():
    """The panels this person sits in."""
    return render_template("panels/mine.html", seats=services.seats_of_user(current_user))


def _panel_for_member(panel_id: int):
    """The panel and the person's seat; 404 for anyone neither in it nor organising."""
    panel = db.session.get(Panel, panel_id) or abort(404)
    seat = services.accepted_seat(current_user, panel)
    if seat is None and not _is_organiser():
        abort(404)
    return panel, seat


@bp.get("/panel/<int:panel_id>")
@login_required
def panel_page(panel_id):
    """The panel page: sessions, documents, the questions and one's own contributions."""
    panel, seat = _panel_for_member(panel_id)
    project = panel.project
    questions, contributions = [], {}
    if project.consultation is not None:
        questions = project.consultation.questions
        contributions = {
            c.question_id: c
            for c in db.session.scalars(
                select(Contribution).where(
                    Contribution.consultation_id == project.consultation_id,
                    Contribution.author_id == current_user.id,
                    Contribution.withdrawn_at.is_(None),
                )
            )
        }
    return render_template(
        "panels/panel.html",
        panel=panel,
        project=project,
        seat=seat,
        questions=questions,
        contributions=contributions,
        response=services.own_response(seat) if seat else None,
    )


@bp.route("/panel/<int:panel_id>/questionnaire", methods=["GET", "POST"])
@login_required
def questionnaire(panel_id):
    """The closing questionnaire, for the panel's members."""
    panel = db.session.get(Panel, panel_id) or abort(404)
    seat = services.accepted_seat(current_user, panel) or abort(404)
    if not panel.project.questionnaire_open or services.own_response(seat) is not None:
        return redirect(url_for(".panel_page", panel_id=panel.id))
    form = QuestionnaireForm()
    return form_page(
        form,
        lambda: services.answer_questionnaire(
            seat,
            satisfaction=int(form.satisfaction.data),
            wants_follow_up=form.wants_follow_up.data == "yes",
            words=form.words.data,
            now=utcnow(),
        ),
        success=url_for(".panel_page", panel_id=panel.id),
        template="panels/questionnaire.html",
        message=_("Thank you for your answers."),
        panel=panel,
    )


# --- organisers: projects -----------------------------------------------------------------------


def _project_form(project: PanelProject | None) -> ProjectForm:
    """The settings form with the consultations to choose from."""
    form = ProjectForm(obj=project)
    consultations = db.session.scalars(select(Consultation).order_by(Consultation.id.desc()))
    form.consultation_id.choices = [SelectChoice(0, _("None"))] + written_choices(
        (c.id, c.title) for c in consultations
    )
    if request.method == "GET" and project is not None:
        form.consultation_id.data = project.consultation_id or 0
    return form


@bp.get("/organise")
@role_required(Role.ORGANISER)
def organise():
    """Every panel project."""
    projects = db.session.scalars(select(PanelProject).order_by(PanelProject.id.desc())).all()
    return render_template("panels/organise.html", projects=projects, labels=STATUS_LABELS)


@bp.route("/organise/new", methods=["GET", "POST"])
@bp.route("/organise/<int:project_id>/settings", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def settings(project_id=None):
    """Create a project or change its settings."""
    project = _project(project_id) if project_id else None
    form = _project_form(project)
    return form_page(
        form,
        lambda: services.save_project(
            current_user,
            project,
            title=form.title.data,
            description=form.description.data,
            method=form.method.data,
            consultation_id=form.consultation_id.data or None,
            now=utcnow(),
        ),
        success=lambda saved: url_for(".project", project_id=saved.id),
        template="panels/settings.html",
        message=_("The project is saved."),
        project=project,
    )


@bp.get("/organise/<int:project_id>")
@role_required(Role.ORGANISER)
def project(project_id):
    """A project: features, panels and quotas, feasibility, commitment, draw and seats."""
    item = _project(project_id)
    return _render_project(item)


def _render_project(item, *, feature_form=None, panel_form=None, seed_form=None, status=200):
    """The project page, possibly with a form's errors."""
    pool = services.eligible_pool(item) if item.status == "recruiting" else []
    problems = services.feasibility(item) if item.status == "recruiting" else []
    seats = services.seats_of(item)
    return render_template(
        "panels/project.html",
        project=item,
        labels=STATUS_LABELS,
        seat_labels=SEAT_LABELS,
        methods=METHOD_LABELS,
        pool_size=len(pool),
        volunteers=len(services.volunteers_of(item)),
        problems=problems,
        pending=services.pending_draw(item),
        computing=commitment.under_way(item),
        seats=seats,
        declined=sum(1 for s in seats if s.status == "declined"),
        feature_form=feature_form or FeatureForm(formdata=None),
        panel_form=panel_form or PanelForm(formdata=None),
        seed_form=seed_form or SeedForm(formdata=None),
        document_form=DocumentForm(formdata=None),
    ), status


def _add_to_project(project_id, form, form_name, add, message, anchor):
    """Add something to a project from a form on its page; the page again with errors (422)."""
    item = _project(project_id)
    if form.validate_on_submit():
        try:
            add(item)
        except RuleError as error:
            attach_error(form, error)
        else:
            flash(message, "success")
            return redirect(url_for(".project", project_id=item.id, _anchor=anchor))
    return _render_project(item, status=422, **{form_name: form})


def _remove_from_project(thing, remove, message, anchor):
    """Remove a feature or panel, then back to its project (a refusal is shown there)."""
    project_id = thing.project_id
    if attempt(lambda: remove(current_user, thing, now=utcnow()), message):
        return redirect(url_for(".project", project_id=project_id, _anchor=anchor))
    return redirect(url_for(".project", project_id=project_id), 303)


@bp.post("/organise/<int:project_id>/features")
@role_required(Role.ORGANISER)
def add_feature(project_id):
    """Add a profile feature."""
    form = FeatureForm()
    return _add_to_project(
        project_id,
        form,
        "feature_form",
        lambda item: services.add_feature(
            current_user, item, label=form.label.data, values_text=form.values.data, now=utcnow()
        ),
        _("The feature is added."),
        "features",
    )


@bp.post("/organise/features/<int:feature_id>/delete")
@role_required(Role.ORGANISER)
def delete_feature(feature_id):
    """Remove a feature."""
    feature = db.session.get(PanelFeature, feature_id) or abort(404)
    return _remove_from_project(
        feature, services.delete_feature, _("The feature is removed."), "features"
    )


@bp.post("/organise/<int:project_id>/panels")
@role_required(Role.ORGANISER)
def add_panel(project_id):
    """Add a panel."""
    form = PanelForm()
    return _add_to_project(
        project_id,
        form,
        "panel_form",
        lambda item: services.add_panel(
            current_user,
            item,
            name=form.name.data,
            size=form.size.data,
            place=form.place.data,
            now=utcnow(),
        ),
        _("The panel is added."),
        "panels",
    )


@bp.post("/organise/panel/<int:panel_id>/delete")
@role_required(Role.ORGANISER)
def delete_panel(panel_id):
    """Remove a panel."""
    panel = db.session.get(Panel, panel_id) or abort(404)
    return _remove_from_project(panel, services.delete_panel, _("The panel is removed."), "panels")


def _read_bound(name: str):
    """An optional whole number from the quota grid; ValueError when it is not one."""
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise ValueError(text)
    return int(text)


@bp.route("/organise/panel/<int:panel_id>/quotas", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def quotas(panel_id):
    """Edit a panel's quotas (min and max per feature value), for it or for every panel."""
    panel = db.session.get(Panel, panel_id) or abort(404)
    project = panel.project
    current = {q.value_id: q for q in panel.quotas}
    error, status = None, 200
    values = [v for f in project.features for v in f.values]
    submitted = {}
    if request.method == "POST":
        try:
            bounds = {
                v.id: (_read_bound(f"min_{v.id}"), _read_bound(f"max_{v.id}")) for v in values
            }
        except ValueError:
            bounds = None
            error = _("Quotas are whole numbers between 0 and 500, or empty.")
        submitted = request.form
        if bounds is not None:
            try:
                services.set_quotas(
                    current_user,
                    panel,
                    bounds,
                    apply_to_all=request.form.get("apply_to_all") == "1",
                    now=utcnow(),
                )
            except RuleError as refusal:
                error = refusal.message
            else:
                flash(_("The quotas are saved."), "success")
                return redirect(url_for(".project", project_id=project.id, _anchor="panels"))
        status = 422
    counts = {}
    for person in services.volunteers_of(project):
        if person.is_member or person.excluded_at is not None:
            continue
        for value in person.values:
            counts[value.value_id] = counts.get(value.value_id, 0) + 1
    return render_template(
        "panels/quotas.html",
        panel=panel,
        project=project,
        current=current,
        counts=counts,
        error=error,
        submitted=submitted,
    ), status


# --- organisers: volunteers ---------------------------------------------------------------------


@bp.route("/organise/<int:project_id>/volunteers", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
@large_upload
def volunteers(project_id):
    """The volunteers, their likely duplicates, and the import of a partner's file."""
    item = _project(project_id)
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        try:
            check_upload(item, form.consent.data)
            batch = imports.upload_posted(
                current_user, VOLUNTEERS, item, form.file.data, now=utcnow()
            )
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            return redirect(url_for("core.imports.columns", batch_id=batch.id))
    if form.is_submitted():
        status = 422
    people = services.volunteers_of(item)
    groups = services.duplicates_of(people)
    flagged = {key: group for group in groups for key in group.keys}
    page = page_arg()
    return render_template(
        "panels/volunteers.html",
        project=item,
        people=people[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(people),
        page=page,
        per_page=PER_PAGE,
        groups=groups,
        flagged=flagged,
        form=form,
        kind=VOLUNTEERS,
        under_way=imports.open_batches(VOLUNTEERS, item.id),
    ), status


@bp.post("/organise/volunteers/<int:volunteer_id>/exclude")
@role_required(Role.ORGANISER)
def exclude(volunteer_id):
    """Leave a volunteer out of the draw, or take them back."""
    person = db.session.get(PanelVolunteer, volunteer_id) or abort(404)
    excluded = request.form.get("excluded") == "1"
    try:
        services.set_excluded(
            current_user,
            person,
            excluded,
            reason=request.form.get("reason", ""),
            now=utcnow(),
        )
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".volunteers", project_id=person.project_id), 303)
    return redirect(url_for(".volunteers", project_id=person.project_id, _anchor=person.key))


# --- organisers: the draw -----------------------------------------------------------------------


def _send_invitations(seats) -> None:
    """E-mail each drawn volunteer the link to accept or decline."""
    for seat, token in seats:
        link = external_url("panels.invitation", token=token)
        queue_mail(
            seat.volunteer.email,
            _("You have been drawn for a citizen panel"),
            _(
                "Hello %(name)s,\n\nYou have been drawn by lot for the panel %(panel)s. "
                "Tell us whether you accept: %(link)s\n",
                name=seat.volunteer.first_name,
                panel=seat.panel.name,
                link=link,
            ),
            now=utcnow(),
        )


def _start_commitment(project_id, kind):
    """Start computing a draw round's commitment (main or replacement) and show its progress."""
    item = _project(project_id)
    try:
        job = commitment.start(current_user, item, kind, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".project", project_id=item.id), 303)
    commitment.submit(job)
    return redirect(url_for(".commitment_job", project_id=item.id, job_id=job.id))


@bp.post("/organise/<int:project_id>/commit")
@role_required(Role.ORGANISER)
def commit(project_id):
    """Freeze the pool and quotas and publish their hash (refused when infeasible)."""
    return _start_commitment(project_id, "main")


@bp.post("/organise/<int:project_id>/replacement")
@role_required(Role.ORGANISER)
def replacement(project_id):
    """Commit a replacement draw for the declined seats."""
    return _start_commitment(project_id, "replacement")


@bp.get("/organise/<int:project_id>/commitments/<int:job_id>")
@role_required(Role.ORGANISER)
def commitment_job(project_id, job_id):
    """A commitment's progress, refreshed by the reader, or every two seconds once they ask
    (`?auto=1`, no JavaScript) and until they stop it (WCAG 2.2.1)."""
    item = _project(project_id)
    job = db.session.get(PanelJob, job_id)
    if job is None or job.project_id != item.id:
        abort(404)
    return render_template("panels/commitment.html", project=item, job=job)


@bp.post("/organise/<int:project_id>/draw")
@role_required(Role.ORGANISER)
def draw(project_id):
    """Draw with the seed revealed after the commitment, then invite the drawn volunteers."""
    item = _project(project_id)
    form = SeedForm()
    if form.validate_on_submit():
        try:
            seats = services.perform_draw(current_user, item, form.seed.data, now=utcnow())
        except RuleError as error:
            attach_error(form, error)
        else:
            _send_invitations(seats)
            flash(
                ngettext(
                    "The draw is done: %(num)d invitation sent.",
                    "The draw is done: %(num)d invitations sent.",
                    len(seats),
                ),
                "success",
            )
            return redirect(url_for(".project", project_id=item.id, _anchor="seats"))
    return _render_project(item, seed_form=form, status=422)


@bp.post("/organise/seats/<int:seat_id>/answer")
@role_required(Role.ORGANISER)
def record_answer(seat_id):
    """Record an answer a drawn volunteer gave by phone or letter."""
    seat = db.session.get(PanelSeat, seat_id) or abort(404)
    answer = request.form.get("answer")
    if answer not in ("accept", "decline"):
        abort(400)
    accept = answer == "accept"
    try:
        token = services.record_answer(current_user, seat, accept, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".project", project_id=seat.project_id), 303)
    if token:
        _send_access(seat, token)
    flash(_("The answer is recorded."), "success")
    return redirect(url_for(".project", project_id=seat.project_id, _anchor="seats"))


# --- organisers: panel life ---------------------------------------------------------------------


@bp.route("/organise/panel/<int:panel_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def panel_admin(panel_id):
    """A panel's members and sessions; add a session."""
    panel = db.session.get(Panel, panel_id) or abort(404)
    form = SessionForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.add_session(
                current_user,
                panel,
                starts_at=parse_local(form.starts_at.data),
                place=form.place.data,
                agenda=form.agenda.data,
                now=utcnow(),
            )
        except RuleError as error:
            attach_error(form, error)
        else:
            flash(_("The session is added."), "success")
            return redirect(url_for(".panel_admin", panel_id=panel.id))
    if form.is_submitted():
        status = 422
    seats = [s for s in services.seats_of(panel.project) if s.panel_id == panel.id]
    return render_template(
        "panels/panel_admin.html", panel=panel, form=form, seats=seats, seat_labels=SEAT_LABELS
    ), status


@bp.post("/organise/sessions/<int:session_id>/delete")
@role_required(Role.ORGANISER)
def delete_session(session_id):
    """Cancel a session."""
    item = db.session.get(PanelSession, session_id) or abort(404)
    panel_id = item.panel_id
    services.delete_session(current_user, item, now=utcnow())
    flash(_("The session is cancelled."), "success")
    return redirect(url_for(".panel_admin", panel_id=panel_id))


@bp.post("/organise/<int:project_id>/documents")
@role_required(Role.ORGANISER)
def add_document(project_id):
    """Give the panellists a document."""
    item = _project(project_id)
    form = DocumentForm()
    documents = url_for(".project", project_id=item.id, _anchor="documents")
    if not form.validate_on_submit():
        flash(_("Give the document a title and a link."), "error")
        return redirect(documents, 303)
    if attempt(
        lambda: services.add_document(
            current_user,
            item,
            title=form.title.data,
            url=form.url.data,
            summary=form.summary.data,
            now=utcnow(),
        ),
        _("The document is added."),
    ):
        return redirect(documents)
    return redirect(documents, 303)


@bp.post("/organise/documents/<int:document_id>/delete")
@role_required(Role.ORGANISER)
def delete_document(document_id):
    """Withdraw a document."""
    item = db.session.get(PanelDocument, document_id) or abort(404)
    project_id = item.project_id
    services.delete_document(current_user, item, now=utcnow())
    flash(_("The document is withdrawn."), "success")
    return redirect(url_for(".project", project_id=project_id, _anchor="documents"))


@bp.post("/organise/<int:project_id>/questionnaire")
@role_required(Role.ORGANISER)
def toggle_questionnaire(project_id):
    """Open or close the closing questionnaire."""
    item = _project(project_id)
    try:
        services.set_questionnaire_open(
            current_user, item, request.form.get("open") == "1", now=utcnow()
        )
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".project", project_id=item.id), 303)
    return redirect(url_for(".project", project_id=item.id, _anchor="questionnaire"))


@bp.get("/organise/<int:project_id>/questionnaire")
@role_required(Role.ORGANISER)
def questionnaire_results(project_id):
    """The closing questionnaire's results."""
    item = _project(project_id)
    seats = services.seats_of(item)
    return render_template(
        "panels/results.html",
        project=item,
        summary=services.questionnaire_results(item),
        panellists=sum(1 for s in seats if s.status == "accepted"),
    )
