"""Consultation pages: the list, answering, reading others, reacting, and organising."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from consult.consultations import services
from consult.consultations.forms import (
    QUESTION_KIND_LABELS,
    ConsultationForm,
    QuestionForm,
    ThemeForm,
    eligible_field_name,
)
from consult.consultations.models import Consultation, Contribution, Question, Theme
from consult.core.clock import parse_local, to_local, utcnow
from consult.core.errors import RuleError, refuse
from consult.core.forms import (
    HONEYPOT_MESSAGE,
    WrittenLabelIntegerField,
    form_page,
    honeypot_filled,
    written_choices,
)
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import ngettext
from consult.core.links import safe_referrer
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import db_int, int_or_none
from consult.core.permissions import Role, login_required, role_required
from consult.extensions import db

bp = Blueprint("consultations", __name__)

NAV = [
    NavItem("consultations.index", _l("Consultations"), public=True, order=10),
    # anyone who can answer (a delegate-only account too) finds their answers
    NavItem("consultations.mine", _l("My contributions"), order=20),
    NavItem("consultations.organise", _l("Organise"), roles=(Role.ORGANISER,), order=70),
]


def _load(consultation_id: int) -> Consultation:
    """The consultation if the current person may see it, else 404."""
    consultation = services.get_consultation(consultation_id, current_user, now=utcnow())
    if consultation is None:
        abort(404)
    return consultation


def _load_for_reading(consultation_id: int) -> Consultation:
    """Like `_load`, for pages visitors may read when the organiser made the consultation
    public: a visitor asking for another one is sent to the sign-in page."""
    consultation = services.get_consultation(consultation_id, current_user, now=utcnow())
    if consultation is None:
        if not current_user.is_authenticated:
            abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
        abort(404)
    return consultation


# --- participants -----------------------------------------------------------------------------


@bp.get("/")
def index():
    """Home: the consultations open to this person, or a welcome for visitors."""
    if not current_user.is_authenticated:
        return render_template("consultations/welcome.html")
    from consult.consultations.home import home_for
    from consult.notifications.views import describe

    now = utcnow()
    items = services.consultations_for(current_user, now=now)
    return render_template(
        "consultations/index.html",
        items=items,
        home=home_for(current_user, items, now=now),
        home_now=now,
        describe=describe,
    )


@bp.get("/consultations/<int:consultation_id>")
def show(consultation_id):
    """A consultation with its questions, and the person's own answers ready to edit (visitors
    read a public one)."""
    consultation = _load_for_reading(consultation_id)
    now = utcnow()
    signed_in = current_user.is_authenticated
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        phase=services.phase_of(consultation, now),
        answers=services.own_answers(current_user, consultation) if signed_in else {},
        may_answer=signed_in
        and services.rules.is_eligible(current_user.population_id, consultation.population_ids),
        errors={},
        **_reading_links(consultation),
    )


def _reading_links(consultation: Consultation) -> dict:
    """What the consultation page links to besides the questions: published results."""
    from consult.results import services as results

    published = results.publication_of(consultation) is not None
    return {"results_link": published and results.may_read(current_user, consultation)}


@bp.post("/questions/<int:question_id>/answer")
@login_required
def answer(question_id):
    """Save one answer; the page comes back with the answer or a clear error beside it."""
    target = services.answer_target(current_user, question_id) or abort(404)
    question = target.question
    consultation = _load(question.consultation_id)
    if not current_user.profile_complete:
        flash(_("Complete your profile before answering."), "warning")
        return redirect(
            url_for("accounts.profile", next=url_for(".show", consultation_id=consultation.id))
        )
    try:
        if honeypot_filled(request.form):
            raise RuleError(HONEYPOT_MESSAGE)
        services.answer(
            current_user,
            question,
            text=request.form.get("answer"),
            choice_ids=[
                c for c in request.form.getlist("choice", type=int_or_none) if (c or 0) > 0
            ],
            now=utcnow(),
            own=target.own,
        )
    except RuleError as error:
        db.session.rollback()  # the page must not show an answer that was refused
        phase = services.phase_of(consultation, utcnow())
        if phase != "open":
            # No answer form is shown outside the window, so say why at the top of the page.
            flash(error.message, "error")
        return render_template(
            "consultations/show.html",
            consultation=consultation,
            phase=phase,
            answers=services.own_answers(current_user, consultation),
            may_answer=True,
            errors={question.id: error.message},
            submitted={question.id: request.form.get("answer", "")},
        ), 422
    flash(_("Your answer is saved. You can change it until the consultation closes."), "success")
    return redirect(url_for(".show", consultation_id=consultation.id, _anchor=f"q{question.id}"))


@bp.route("/consultations/<int:consultation_id>/answer-all", methods=["GET", "POST"])
@login_required
def answer_all(consultation_id):
    """Every question in one form, with how far the person has got; all saved at once."""
    consultation = _load(consultation_id)
    now = utcnow()
    if not current_user.profile_complete:
        flash(_("Complete your profile before answering."), "warning")
        return redirect(url_for("accounts.profile", next=request.path))
    errors, submitted, status = {}, {}, 200
    if request.method == "POST":
        submitted = {q.id: request.form.get(f"answer-{q.id}", "") for q in consultation.questions}
        given = {
            q.id: (
                submitted[q.id],
                [int(v) for v in request.form.getlist(f"choice-{q.id}") if v.isdigit()],
            )
            for q in consultation.questions
        }
        try:
            if honeypot_filled(request.form):
                raise RuleError(HONEYPOT_MESSAGE)
            saved = services.answer_all(current_user, consultation, given, now=now)
        except services.AnswersRefused as refused:
            db.session.rollback()
            errors, status = refused.errors, 422
        except RuleError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = 422
        else:
            flash(
                ngettext(
                    "%(num)d answer saved. You can change it until the consultation closes.",
                    "%(num)d answers saved. You can change them until the consultation closes.",
                    saved,
                )
                if saved
                else _("Nothing was saved: every question was left empty."),
                "success" if saved else "warning",
            )
            return redirect(url_for(".answer_all", consultation_id=consultation.id), 303)
    answers = services.own_answers(current_user, consultation)
    done, total = services.progress(answers, consultation)
    return render_template(
        "consultations/answer_all.html",
        consultation=consultation,
        phase=services.phase_of(consultation, now),
        answers=answers,
        done=done,
        total=total,
        may_answer=services.rules.is_eligible(
            current_user.population_id, consultation.population_ids
        ),
        errors=errors,
        submitted=submitted,
    ), status


@bp.post("/contributions/<int:contribution_id>/withdraw")
@login_required
def withdraw(contribution_id):
    """Withdraw one's own answer before the close."""
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.author_id != current_user.id:
        abort(404)
    try:
        services.withdraw(current_user, contribution, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(safe_referrer(url_for(".mine"))), 303
    flash(_("Your answer is withdrawn."), "success")
    return redirect(url_for(".show", consultation_id=contribution.consultation_id))


@bp.get("/my/contributions")
@login_required
def mine():
    """Everything the person wrote, with its state."""
    contributions = services.my_contributions(current_user)
    now = utcnow()
    return render_template(
        "consultations/mine.html",
        contributions=contributions,
        phases={c.consultation_id: services.phase_of(c.consultation, now) for c in contributions},
    )


@bp.get("/questions/<int:question_id>/contributions")
def contributions(question_id):
    """The published contributions of others to one question, with reactions (visitors read
    those of a public consultation)."""
    question = db.session.get(Question, question_id) or abort(404)
    consultation = _load_for_reading(question.consultation_id)
    if not question.is_text:
        abort(404)
    page = page_arg()
    items, total = services.published(question, current_user, page=page)
    return render_template(
        "consultations/contributions.html",
        consultation=consultation,
        question=question,
        items=items,
        total=total,
        page=page,
        per_page=20,
    )


@bp.post("/contributions/<int:contribution_id>/react")
@login_required
def react(contribution_id):
    """Agree or disagree with a published contribution (again to take it back)."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    _load(contribution.consultation_id)
    value = request.form.get("value", type=db_int)
    try:
        services.react(current_user, contribution, value, now=utcnow())
    except RuleError as error:
        refuse(error)
    target = url_for(
        ".contributions",
        question_id=contribution.question_id,
        page=request.form.get("page", 1, type=db_int),
        _anchor=f"c{contribution.id}",
    )
    return redirect(target, 303)


# --- organisers -------------------------------------------------------------------------------


@bp.get("/organise")
@role_required(Role.ORGANISER)
def organise():
    """Every consultation with its phase and the number of contributions."""
    now = utcnow()
    counts = dict(
        db.session.execute(
            select(Contribution.consultation_id, func.count())
            .where(Contribution.withdrawn_at.is_(None))
            .group_by(Contribution.consultation_id)
        ).all()
    )
    consultations = db.session.scalars(
        select(Consultation).order_by(Consultation.opens_at.desc())
    ).all()
    return render_template(
        "consultations/organise.html",
        items=[(c, services.phase_of(c, now), counts.get(c.id, 0)) for c in consultations],
    )


def _consultation_form(consultation: Consultation | None):
    """The settings form with one head-count field per population."""
    populations = services.population_choices()
    current = (
        {p.population_id: p.eligible_count for p in consultation.populations}
        if consultation
        else {}
    )

    class Form(ConsultationForm):
        pass

    for population in populations:
        setattr(
            Form,
            eligible_field_name(population.id),
            WrittenLabelIntegerField(
                population.name,
                validators=[
                    # Empty means "not invited", as the form's hint says.
                    Optional(),
                    NumberRange(
                        min=0, max=10_000_000, message=_l("A number between 0 and 10,000,000.")
                    ),
                ],
                default=current.get(population.id),
                render_kw={"inputmode": "numeric"},
            ),
        )
    form = Form(obj=consultation)
    if consultation is not None and request.method == "GET":
        form.opens_at.data = to_local(consultation.opens_at).replace(tzinfo=None)
        form.closes_at.data = to_local(consultation.closes_at).replace(tzinfo=None)
    return form, populations


@bp.route("/organise/new", methods=["GET", "POST"])
@bp.route("/organise/<int:consultation_id>/settings", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(consultation_id=None):
    """Create a consultation or change its settings (title, window, invited populations)."""
    consultation = db.session.get(Consultation, consultation_id) if consultation_id else None
    if consultation_id and consultation is None:
        abort(404)
    form, populations = _consultation_form(consultation)

    def save():
        eligible = {
            p.id: form[eligible_field_name(p.id)].data
            for p in populations
            if form[eligible_field_name(p.id)].data is not None
        }
        return services.save_consultation(
            current_user,
            consultation,
            title=form.title.data,
            introduction=form.introduction.data,
            opens_at=parse_local(form.opens_at.data),
            closes_at=parse_local(form.closes_at.data),
            eligible=eligible,
            now=utcnow(),
        )

    return form_page(
        form,
        save,
        success=lambda saved: url_for(".manage", consultation_id=saved.id),
        message=_("The consultation is saved."),
        template="consultations/edit.html",
        consultation=consultation,
        population_fields=[form[eligible_field_name(p.id)] for p in populations],
    )


@bp.get("/organise/<int:consultation_id>")
@role_required(Role.ORGANISER)
def manage(consultation_id):
    """A consultation's questions and themes, and its publication."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    counts = dict(
        db.session.execute(
            select(Contribution.question_id, func.count())
            .where(
                Contribution.consultation_id == consultation.id, Contribution.withdrawn_at.is_(None)
            )
            .group_by(Contribution.question_id)
        ).all()
    )
    return render_template(
        "consultations/manage.html",
        consultation=consultation,
        phase=services.phase_of(consultation, utcnow()),
        counts=counts,
        kinds=QUESTION_KIND_LABELS,
    )


@bp.post("/organise/<int:consultation_id>/publish")
@role_required(Role.ORGANISER)
def publish(consultation_id):
    """Publish a draft."""
    return _lifecycle(consultation_id, services.publish, _("The consultation is published."))


@bp.post("/organise/<int:consultation_id>/close")
@role_required(Role.ORGANISER)
def close(consultation_id):
    """Close a consultation now."""
    return _lifecycle(consultation_id, services.close, _("The consultation is closed."))


def _lifecycle(consultation_id, action, success):
    """Run a lifecycle action and come back to the management page."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    try:
        action(current_user, consultation, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".manage", consultation_id=consultation.id), 303)
    flash(success, "success")
    return redirect(url_for(".manage", consultation_id=consultation.id))


@bp.route("/organise/<int:consultation_id>/themes/new", methods=["GET", "POST"])
@bp.route("/organise/<int:consultation_id>/themes/<int:theme_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def theme(consultation_id, theme_id=None):
    """Create or rename a theme."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    item = db.session.get(Theme, theme_id) if theme_id else None
    if theme_id and (item is None or item.consultation_id != consultation.id):
        abort(404)
    form = ThemeForm(obj=item)

    def save():
        return services.save_theme(
            current_user,
            consultation,
            item,
            title=form.title.data,
            description=form.description.data,
            now=utcnow(),
        )

    return form_page(
        form,
        save,
        success=url_for(".manage", consultation_id=consultation.id),
        message=_("The theme is saved."),
        template="consultations/theme.html",
        consultation=consultation,
        theme=item,
    )


@bp.route("/organise/<int:consultation_id>/questions/new", methods=["GET", "POST"])
@bp.route("/organise/<int:consultation_id>/questions/<int:question_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def question(consultation_id, question_id=None):
    """Create or edit a question of a draft."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    item = db.session.get(Question, question_id) if question_id else None
    if question_id and (item is None or item.consultation_id != consultation.id):
        abort(404)
    form = QuestionForm(obj=item)
    form.theme_id.choices = [SelectChoice(0, _("No theme"))] + written_choices(
        (t.id, t.title) for t in consultation.themes
    )
    if request.method == "GET" and item is not None:
        form.theme_id.data = item.theme_id or 0
        form.choices.data = "\n".join(c.label for c in item.choices)

    def save():
        return services.save_question(
            current_user,
            consultation,
            item,
            kind=form.kind.data,
            prompt=form.prompt.data,
            help_text=form.help_text.data,
            theme_id=form.theme_id.data or None,
            max_words=form.max_words.data or 3,
            choices=(form.choices.data or "").splitlines(),
            now=utcnow(),
        )

    return form_page(
        form,
        save,
        success=url_for(".manage", consultation_id=consultation.id),
        message=_("The question is saved."),
        template="consultations/question.html",
        consultation=consultation,
        question=item,
    )


@bp.post("/organise/questions/<int:question_id>/move")
@role_required(Role.ORGANISER)
def move_question(question_id):
    """Move a question up or down."""
    item = db.session.get(Question, question_id) or abort(404)
    offset = -1 if request.form.get("direction") == "up" else 1
    try:
        services.move_question(current_user, item, offset, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".manage", consultation_id=item.consultation_id), 303)
    return redirect(url_for(".manage", consultation_id=item.consultation_id, _anchor=f"q{item.id}"))


@bp.post("/organise/questions/<int:question_id>/delete")
@role_required(Role.ORGANISER)
def delete_question(question_id):
    """Delete a question from a draft."""
    item = db.session.get(Question, question_id) or abort(404)
    consultation_id = item.consultation_id
    try:
        services.delete_question(current_user, item, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".manage", consultation_id=consultation_id), 303)
    flash(_("The question is deleted."), "success")
    return redirect(url_for(".manage", consultation_id=consultation_id))
