"""Moderation pages: the queue, decisions, flags, authors' view, suspensions, settings, log."""

from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from consult.accounts.models import User
from consult.consultations import services as consultation_services
from consult.consultations.models import Consultation, Contribution, Question
from consult.core.clock import parse_local, utcnow
from consult.core.errors import RuleError, attempt, refuse
from consult.core.forms import written_choices
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.links import safe_next
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import int_or_none
from consult.core.permissions import Role, login_required, role_required
from consult.core.sanitize import clean_html, plain_text
from consult.extensions import db
from consult.moderation import logview, pii, queries, services
from consult.moderation.forms import (
    AuditFilterForm,
    BulkDecisionForm,
    DecisionForm,
    FlagForm,
    ModeForm,
    QueueFilterForm,
    ResubmitForm,
    SuspensionForm,
    choices,
)
from consult.moderation.models import ModerationStatus, Suspension
from consult.moderation.rules import Action, Actor, State, allowed_actions

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

NAV = [
    NavItem("moderation.queue", _l("Moderation"), roles=(Role.MODERATOR,)),
    NavItem("moderation.settings", _l("Moderation settings"), roles=(Role.ORGANISER,), order=75),
]
PER_PAGE = 50


# --- shared helpers --------------------------------------------------------------------------


def _reason_choices(blank: bool = True) -> list:
    """The reason list for a select, with an empty first entry when a reason is optional."""
    pairs = [(code, str(label)) for code, label in services.reason_labels().items()]
    return choices(([("", _("— choose —"))] if blank else []) + pairs)


def _day_start(day) -> datetime | None:
    """A date typed in Paris time, as the naive-UTC instant its day starts."""
    return parse_local(datetime.combine(day, time.min)) if day else None


def _highlight(body: str) -> Markup:
    """The sanitised body with each personal-data span wrapped in <mark>, for moderators."""
    safe = clean_html(body) if "<" in body else str(escape(body))
    spans = services.find_personal_data(safe)

    def wrap(chunk: str, kind: pii.Kind) -> str:
        label = escape(services.PII_LABELS[kind])
        return f'<mark class="pii" title="{label}">{chunk}</mark>'

    return Markup(pii.highlight_markup(safe, spans, wrap))  # noqa: S704 - sanitised, then marked


def _found_items(body: str) -> list[tuple[str, str]]:
    """(kind label, text) of each personal-data span, listed beside the text."""
    safe = clean_html(body) if "<" in body else str(escape(body))
    return [
        (str(services.PII_LABELS[s.kind]), plain_text(safe[s.start : s.end]))
        for s in services.find_personal_data(safe)
    ]


def _masked_preview(body: str) -> Markup:
    """What the masked version would look like."""
    spans = services.find_personal_data(body)
    if "<" in body:
        return Markup(clean_html(pii.mask_markup(body, spans, services.mask_labels())))  # noqa: S704
    return Markup(escape(pii.mask(body, spans, services.mask_labels())))  # noqa: S704


# --- the queue -------------------------------------------------------------------------------


def _queue_filters() -> tuple[QueueFilterForm, queries.QueueFilters]:
    """Read the queue's filters from the query string; invalid ones are ignored with a message."""
    form = QueueFilterForm(request.args)
    consultations = db.session.scalars(select(Consultation).order_by(Consultation.title)).all()
    form.consultation.choices = choices([(0, _("All"))]) + written_choices(
        (c.id, c.title) for c in consultations
    )
    questions = []
    if form.consultation.data:
        questions = db.session.scalars(
            select(Question)
            .where(
                Question.consultation_id == form.consultation.data,
                Question.kind.in_(("open", "words")),
            )
            .order_by(Question.position)
        ).all()
    form.question.choices = choices([(0, _("All"))]) + written_choices(
        (q.id, plain_text(q.prompt)[:80]) for q in questions
    )
    form.state.choices = choices(
        [("review", _("To review")), ("", _("All"))]
        + [(s.value, str(services.STATE_LABELS[s])) for s in State]
    )
    if "state" not in request.args:
        form.state.data = "review"
    valid = form.validate() if request.args else True
    if not valid:
        flash(_("Some filters were not understood and are ignored."), "warning")

    def ok(field):
        return field.data if not field.errors else None

    filters = queries.QueueFilters(
        consultation_id=ok(form.consultation) or None,
        question_id=ok(form.question) or None,
        state=ok(form.state) or None,
        min_flags=ok(form.min_flags),
        personal_data=bool(ok(form.personal_data)),
        submitted_from=_day_start(ok(form.from_)),
        submitted_to=_day_start(ok(form.to) + timedelta(days=1)) if ok(form.to) else None,
    )
    return form, filters


def _bulk_form() -> BulkDecisionForm:
    """The bulk decision form with its choices."""
    form = BulkDecisionForm()
    form.action.choices = choices(
        [("", _("— choose —"))]
        + [
            (a.value, str(services.ACTION_LABELS[a]))
            for a in (Action.APPROVE, Action.REJECT, Action.HIDE, Action.RESTORE)
        ]
    )
    form.reason_code.choices = _reason_choices()
    return form


@bp.get("/")
@role_required(Role.MODERATOR)
def queue():
    """The moderators' queue: filter, read in context, tick, and decide in bulk."""
    form, filters = _queue_filters()
    page = page_arg()
    items, total = queries.queue(filters, page=page, per_page=PER_PAGE)
    return render_template(
        "moderation/queue.html",
        form=form,
        filters=filters,
        items=items,
        total=total,
        page=page,
        per_page=PER_PAGE,
        bulk=_bulk_form(),
        counts=queries.queue_counts(),
        show_author=queries.may_see_author(current_user),
        STATE_LABELS=services.STATE_LABELS,
        PII_LABELS=services.PII_LABELS,
        reason_label=services.reason_label,
        ACTION_LABELS=services.ACTION_LABELS,
    )


def _parse_selection(values: list[str]) -> list[tuple[int, int]]:
    """Ticked items arrive as "id:version"; anything else is ignored."""
    selection = []
    for value in values:
        item_id, version = (int_or_none(part) for part in value.partition(":")[::2])
        if item_id is not None and version is not None:
            selection.append((item_id, version))
    return selection


@bp.post("/bulk")
@role_required(Role.MODERATOR)
def bulk():
    """Apply one decision to the ticked items, or to every item matching the filters."""
    form = _bulk_form()
    _filter_form, filters = _queue_filters()
    back = url_for(".queue", **filters.as_args())
    if not form.validate():
        messages = [e for field in form for e in field.errors] or [_("Choose a decision.")]
        flash(" ".join(str(m) for m in messages), "error")
        return redirect(back, 303)
    if form.scope.data == "all":
        selection = queries.queue_selection(filters)
        if len(selection) == queries.BULK_LIMIT:
            flash(
                _(
                    "Only the first %(n)d matching contributions were taken: "
                    "apply again for the rest.",
                    n=queries.BULK_LIMIT,
                ),
                "warning",
            )
    else:
        selection = _parse_selection(request.form.getlist("item"))
    if not selection:
        flash(_("Tick at least one contribution."), "error")
        return redirect(back, 303)
    try:
        result = services.decide_bulk(
            current_user,
            selection,
            form.action.data,
            reason_code=form.reason_code.data,
            reason_text=form.reason_text.data,
            publish_masked=form.publish_masked.data,
            now=utcnow(),
            notify=_notify_after_response,
        )
    except RuleError as error:
        refuse(error)
        return redirect(back, 303)
    if result.decided:
        flash(_("%(n)d contributions decided.", n=len(result.decided)), "success")
    if result.skipped:
        reasons = sorted(set(result.skipped.values()))
        flash(
            _(
                "%(n)d contributions left as they were: %(why)s",
                n=len(result.skipped),
                why=" ".join(reasons),
            ),
            "warning",
        )
    return redirect(back, 303)


def _notify_after_response(contribution_ids, action, reason) -> None:
    """Send a bulk decision's e-mails once the response is sent, so the page stays fast."""
    app = current_app._get_current_object()

    @after_this_request
    def _schedule(response):
        def send():
            with app.app_context():
                services.notify_authors(contribution_ids, action, reason)

        response.call_on_close(send)
        return response


@bp.get("/queue.csv")
@role_required(Role.MODERATOR)
def queue_export():
    """The filtered queue as a CSV file (plain text, formulas neutralised)."""
    _form, filters = _queue_filters()
    content = queries.queue_csv(filters, show_author=queries.may_see_author(current_user))
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=moderation.csv"},
    )


# --- one item --------------------------------------------------------------------------------


def _decision_form(contribution: Contribution, status: ModerationStatus) -> DecisionForm:
    """The decision form, offering only the decisions that apply now."""
    form = DecisionForm()
    actions = allowed_actions(
        State(contribution.state), services.mode_of(contribution.consultation), Actor.MODERATOR
    )
    form.action.choices = choices([(a.value, str(services.ACTION_LABELS[a])) for a in actions])
    form.reason_code.choices = _reason_choices()
    if not form.is_submitted():
        form.version.data = status.version
    return form


def _item_page(contribution: Contribution, form: DecisionForm, status_code: int = 200):
    """Render one item with its context, history and decision form."""
    status = services.status_of(contribution)
    original = status.original_body or contribution.body
    show_author = queries.may_see_author(current_user)
    return (
        render_template(
            "moderation/item.html",
            contribution=contribution,
            status=status,
            form=form,
            highlighted=_highlight(original),
            found=_found_items(original),
            masked_preview=_masked_preview(contribution.body) if status.has_personal_data else None,
            decisions=[
                (d, queries.decided_by(d, contribution, show_author=show_author))
                for d in queries.decisions_of(contribution)
            ],
            AUTHOR=queries.AUTHOR,
            flags=queries.flags_of(contribution),
            show_author=show_author,
            STATE_LABELS=services.STATE_LABELS,
            ACTION_LABELS=services.ACTION_LABELS,
            PII_LABELS=services.PII_LABELS,
            reason_label=services.reason_label,
            next_url=_safe_back(),
        ),
        status_code,
    )


def _safe_back() -> str:
    """Where to return after a decision: the queue URL we came from, if it is one of ours."""
    target = safe_next(request.values.get("next"), "")
    return target if target.startswith(url_for(".queue")) else url_for(".queue")


@bp.route("/items/<int:contribution_id>", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def item(contribution_id):
    """One contribution in context, its personal data highlighted, and the decision form."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    status = services.status_of(contribution)
    form = _decision_form(contribution, status)
    if form.is_submitted() and form.version.data != str(status.version):
        # Someone decided since this page was loaded: say so before anything else.
        fresh = _decision_form(contribution, status)
        fresh.version.data = status.version
        fresh.action.data = None
        fresh.form_errors.append(services.REFUSAL_MESSAGES[services.Refusal.STALE])
        return _item_page(contribution, fresh, 409)
    if form.validate_on_submit():
        try:
            services.decide(
                current_user,
                contribution,
                form.action.data,
                expected_version=int(form.version.data),
                reason_code=form.reason_code.data,
                reason_text=form.reason_text.data,
                publish_masked=form.publish_masked.data,
                now=utcnow(),
            )
        except (RuleError, ValueError) as error:
            db.session.rollback()
            message = error.message if isinstance(error, RuleError) else _("Reload the page.")
            contribution = db.session.get(Contribution, contribution_id)
            fresh = _decision_form(contribution, services.status_of(contribution))
            fresh.version.data = services.status_of(contribution).version
            fresh.form_errors.append(message)
            return _item_page(
                contribution, fresh, 409 if isinstance(error, services.StaleDecision) else 422
            )
        following = queries.next_in_queue(contribution_id)
        if following is None or request.form.get("then") == "queue":
            flash(_("Decision recorded."), "success")
            return redirect(_safe_back(), 303)
        flash(_("Decision recorded. Here is the next contribution awaiting review."), "success")
        return redirect(url_for(".item", contribution_id=following, next=_safe_back()), 303)
    return _item_page(contribution, form, 422 if form.is_submitted() else 200)


# --- participants ----------------------------------------------------------------------------


@bp.route("/flag/<int:contribution_id>", methods=["GET", "POST"])
@login_required
def flag(contribution_id):
    """Report a published contribution to the moderators, once, with a reason."""
    contribution = db.session.get(Contribution, contribution_id) or abort(404)
    if contribution.state != State.PUBLISHED or contribution.withdrawn_at is not None:
        abort(404)
    if (
        consultation_services.get_consultation(
            contribution.consultation_id, current_user, now=utcnow()
        )
        is None
    ):
        abort(404)
    form = FlagForm()
    form.reason_code.choices = _reason_choices()
    back = url_for(
        "consultations.contributions",
        question_id=contribution.question_id,
        _anchor=f"c{contribution.id}",
    )
    already = queries.has_flagged(current_user, contribution)
    if form.validate_on_submit():
        try:
            services.flag(
                current_user,
                contribution,
                reason_code=form.reason_code.data,
                reason_text=form.reason_text.data,
                now=utcnow(),
            )
        except RuleError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Thank you: the moderators will look at this contribution."), "success")
            return redirect(back, 303)
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "moderation/flag.html",
            form=form,
            contribution=contribution,
            back=back,
            already=already,
        ),
        status,
    )


@bp.get("/mine")
@login_required
def mine():
    """The author's texts with their moderation state, and the reason when refused or hidden."""
    return render_template(
        "moderation/mine.html",
        statuses=queries.authored(current_user),
        STATE_LABELS=services.STATE_LABELS,
        reason_label=services.reason_label,
    )


@bp.route("/mine/<int:contribution_id>/edit", methods=["GET", "POST"])
@login_required
def resubmit(contribution_id):
    """Edit a rejected contribution and send it back to the moderators."""
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.author_id != current_user.id:
        abort(404)
    status = services.status_of(contribution)
    form = ResubmitForm()
    if not form.is_submitted():
        form.text.data = plain_text(status.original_body or contribution.body)
    if form.validate_on_submit():
        try:
            services.resubmit(current_user, contribution, form.text.data, now=utcnow())
        except RuleError as error:
            db.session.rollback()
            form.text.errors = [*form.text.errors, error.message]
        else:
            flash(_("Your contribution is sent back to the moderators."), "success")
            return redirect(url_for(".mine"), 303)
    return (
        render_template(
            "moderation/resubmit.html",
            form=form,
            contribution=contribution,
            status=status,
            reason_label=services.reason_label,
        ),
        422 if form.is_submitted() else 200,
    )


# --- suspensions -----------------------------------------------------------------------------


@bp.route("/suspensions", methods=["GET", "POST"])
@role_required(Role.MODERATOR)
def suspensions():
    """Current suspensions, and the form to suspend a participant."""
    form = SuspensionForm()
    form.reason_code.choices = _reason_choices()
    now = utcnow()
    if form.validate_on_submit():
        person = db.session.scalar(
            select(User).where(User.email == form.email.data.strip().lower())
        )
        if person is None:
            form.email.errors = [*form.email.errors, _("Nobody has this e-mail address.")]
        else:
            try:
                services.suspend(
                    current_user,
                    person,
                    reason_code=form.reason_code.data,
                    reason_text=form.reason_text.data,
                    ends_at=_day_start(form.ends_on.data),
                    now=now,
                )
            except RuleError as error:
                db.session.rollback()
                field = form._fields.get(error.field or "")
                (field.errors if field is not None else form.form_errors).append(error.message)
            else:
                flash(_("The participant is suspended."), "success")
                return redirect(url_for(".suspensions"), 303)
    return (
        render_template(
            "moderation/suspensions.html",
            form=form,
            suspensions=services.suspensions(now=now),
            reason_label=services.reason_label,
        ),
        422 if form.is_submitted() else 200,
    )


@bp.post("/suspensions/<int:suspension_id>/lift")
@role_required(Role.MODERATOR)
def lift(suspension_id):
    """End a suspension early."""
    suspension = db.session.get(Suspension, suspension_id) or abort(404)
    attempt(
        lambda: services.lift(current_user, suspension, now=utcnow()),
        _("The suspension is lifted."),
    )
    return redirect(url_for(".suspensions"), 303)


# --- organisers: the mode --------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def settings():
    """Choose pre- or post-moderation for each consultation."""
    consultations = db.session.scalars(
        select(Consultation).order_by(Consultation.opens_at.desc())
    ).all()
    if request.method == "POST":
        form = ModeForm()
        consultation = None
        if (consultation_id := int_or_none(form.consultation_id.data)) is not None:
            consultation = db.session.get(Consultation, consultation_id)
        if consultation is None:
            abort(404)
        if form.validate():
            try:
                services.set_mode(current_user, consultation, form.mode.data, now=utcnow())
            except RuleError as error:
                refuse(error)
            else:
                flash(
                    _("Moderation mode saved for \u201c%(title)s\u201d.", title=consultation.title),
                    "success",
                )
            return redirect(url_for(".settings"), 303)
        flash(_("Choose pre- or post-moderation."), "error")
        return redirect(url_for(".settings"), 303)
    forms = []
    for consultation in consultations:
        form = ModeForm(formdata=None, prefix=f"c{consultation.id}")
        form.consultation_id.data = consultation.id
        form.mode.data = consultation.moderation_mode
        forms.append((consultation, form))
    return render_template("moderation/settings.html", forms=forms)


# --- administrators: the log -----------------------------------------------------------------

#: The moderation actions of the log, with their labels.
AUDIT_ACTIONS = {
    **{str(action): label for action, label in services.ACTION_LABELS.items()},
    "flag": _l("Flag"),
    "suspend": _l("Suspension"),
    "lift": _l("Suspension lifted"),
    "mode": _l("Moderation mode"),
}


def _audit_filters() -> tuple[AuditFilterForm, queries.AuditFilters]:
    """Read the log's filters from the query string."""
    form = AuditFilterForm(request.args)
    form.action.choices = choices(
        [("", _("All"))] + [(code, str(label)) for code, label in AUDIT_ACTIONS.items()]
    )
    form.actor.choices = choices(
        [(0, _("Anyone"))]
        + [(u.id, u.display_name or u.email) for u in queries.moderators_and_admins()]
    )
    if request.args and not form.validate():
        flash(_("Some filters were not understood and are ignored."), "warning")

    def ok(field):
        return field.data if not field.errors else None

    filters = queries.AuditFilters(
        action=ok(form.action) or None,
        actor_id=ok(form.actor) or None,
        contribution_id=ok(form.contribution),
        occurred_from=_day_start(ok(form.from_)),
        occurred_to=_day_start(ok(form.to) + timedelta(days=1)) if ok(form.to) else None,
    )
    return form, filters


@bp.get("/audit")
@role_required(Role.ADMINISTRATOR)
def audit():
    """Browse the append-only moderation log."""
    form, filters = _audit_filters()
    page = page_arg()
    rows, total = queries.audit_log(filters, page=page, per_page=PER_PAGE)
    return render_template(
        "moderation/audit.html",
        action_labels=AUDIT_ACTIONS,
        log=logview,
        form=form,
        filters=filters,
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
    )


@bp.get("/audit.csv")
@role_required(Role.ADMINISTRATOR)
def audit_export():
    """The filtered moderation log as a CSV file."""
    _form, filters = _audit_filters()
    return Response(
        queries.audit_csv(filters),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=moderation-log.csv"},
    )
