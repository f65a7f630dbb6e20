"""Working pages of the mission: building objectives, engagements and indicators, entering and
checking values, the import of the dashboard, the auditor's sampling file.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consult.core.clock import utcnow
from consult.core.errors import RuleError, refuse
from consult.core.forms import attach_error, form_page, written_choices
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.params import db_int
from consult.core.permissions import Role, has_any_role, login_required, role_required
from consult.extensions import db
from consult.mission import computed, exports, imports, labels, proofs, rules
from consult.mission import indicators as building
from consult.mission import values as mission_values
from consult.mission.blueprint import bp, get_or_404
from consult.mission.forms import (
    AttachmentForm,
    AuditForm,
    CommentForm,
    EngagementForm,
    ImportForm,
    IndicatorForm,
    ObjectiveForm,
    ValueForm,
)
from consult.mission.models import Engagement, Indicator, IndicatorValue, Objective
from consult.mission.public import _download, indicator_view

#: Who works on the mission and sees all of it (the auditor reads, changes nothing).
MISSION_PEOPLE = (Role.ORGANISER, Role.COMMITTEE, Role.AUDITOR)
OFFICER = (Role.ORGANISER,)


def _sees_everything() -> bool:
    """The mission officer, committee members and the auditor see every value."""
    return has_any_role(current_user, MISSION_PEOPLE)


def _may_see_indicator(indicator: Indicator) -> None:
    """Mission people, or the indicator's owner; others get 403."""
    if not (_sees_everything() or indicator.owner_user_id == current_user.id):
        abort(403)


@bp.get("/manage")
@role_required(*MISSION_PEOPLE)
def manage():
    """The workspace: the structure, values awaiting the committee, proofs to decide."""
    return render_template(
        "mission/manage.html",
        objectives=building.objectives(),
        submitted=mission_values.values_waiting("submitted"),
        drafts=mission_values.values_waiting("draft"),
        proofs_waiting=proofs.listing(public_only=False, status="submitted", per_page=10)[0],
        labels=labels,
    )


@bp.get("/mine")
@login_required
def mine():
    """The indicators whose values this person enters."""
    return render_template(
        "mission/mine.html", indicators=building.indicators_owned_by(current_user), labels=labels
    )


# --------------------------------------------------------------------------- structure


@bp.route("/manage/objectives/new", methods=["GET", "POST"])
@role_required(*OFFICER)
def objective_new():
    """Follow an adopted resolution as an objective (its text is frozen as voted)."""
    form = ObjectiveForm()
    form.resolution_id.choices = written_choices(
        (r.id, f"{r.assembly.title} — {r.position}. {r.title}")
        for r in building.adoptable_resolutions()
    )
    return form_page(
        form,
        lambda: building.create_objective(
            current_user, form.resolution_id.data, title=form.title.data or "", now=utcnow()
        ),
        success=lambda o: url_for("mission.objective", objective_id=o.id),
        template="mission/form.html",
        message=_l("The objective is saved."),
        title=_("Follow an adopted resolution"),
        back=url_for("mission.manage"),
        empty_message=None
        if form.resolution_id.choices
        else _("No adopted resolution is left to follow."),
    )


@bp.get("/manage/objectives/<int:objective_id>")
@role_required(*MISSION_PEOPLE)
def objective(objective_id):
    """An objective with its statement as voted, engagements and indicators."""
    found = get_or_404(Objective, objective_id)
    return render_template(
        "mission/objective.html",
        objective=found,
        statement_ok=building.statement_hash(found.statement) == found.statement_sha256,
        labels=labels,
    )


@bp.route("/manage/objectives/<int:objective_id>/engagements/new", methods=["GET", "POST"])
@bp.route("/manage/engagements/<int:engagement_id>/edit", methods=["GET", "POST"])
@role_required(*OFFICER)
def engagement_form(objective_id=None, engagement_id=None):
    """Add or edit an engagement."""
    engagement = get_or_404(Engagement, engagement_id) if engagement_id else None
    parent = engagement.objective if engagement else get_or_404(Objective, objective_id)
    form = EngagementForm(obj=engagement)
    return form_page(
        form,
        lambda: building.save_engagement(
            current_user,
            parent,
            engagement,
            title=form.title.data,
            description=form.description.data or "",
            now=utcnow(),
        ),
        success=url_for("mission.objective", objective_id=parent.id),
        template="mission/form.html",
        message=_l("The engagement is saved."),
        title=_("Engagement"),
        subject=parent.title,
        back=url_for("mission.objective", objective_id=parent.id),
    )


def _computed_params(form: IndicatorForm) -> dict | None:
    """What a computed indicator is computed from, read from the form."""
    source = form.computed.data
    if not source:
        return None
    if source == "composite":
        components = []
        for number, line in enumerate((form.components.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            pieces = [p.strip() for p in line.split(";")]
            try:
                ident = int(pieces[0])
                reference, _unit = rules.parse_number(pieces[1])
                weight = int(pieces[2]) if len(pieces) > 2 and pieces[2] else 1
            except (ValueError, IndexError):
                raise RuleError(
                    _l("Line %(n)d: write « indicator number; reference; weight ».", n=number),
                    field="components",
                ) from None
            if db.session.get(Indicator, ident) is None or reference <= 0 or weight < 1:
                raise RuleError(
                    _l(
                        "Line %(n)d: no such indicator, or a reference or weight not above zero.",
                        n=number,
                    ),
                    field="components",
                )
            components.append(
                {"indicator_id": ident, "reference": format(reference, "f"), "weight": weight}
            )
        return {"components": components}
    key = {
        "assembly_attendance": "assembly_id",
        "panel_follow_up": "project_id",
    }.get(source, "consultation_id")
    params = {key: form.computed_from.data}
    if source == "consultation_participation":
        params["scope"] = "internal" if form.internal_only.data else "all"
    return params


def _owner_id(form: IndicatorForm) -> int | None:
    """The account named as the person entering the values."""
    from consult.accounts.services import find_user_by_email

    email = (form.owner_email.data or "").strip()
    if not email:
        return None
    user = find_user_by_email(email)
    if user is None:
        raise RuleError(_l("No account has this e-mail address."), field="owner_email")
    return user.id


@bp.route("/manage/engagements/<int:engagement_id>/indicators/new", methods=["GET", "POST"])
@bp.route("/manage/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@role_required(*OFFICER)
def indicator_form(engagement_id=None, indicator_id=None):
    """Add or edit an indicator: kind, direction, baseline, target, method, owner, source."""
    indicator = get_or_404(Indicator, indicator_id) if indicator_id else None
    parent = indicator.engagement if indicator else get_or_404(Engagement, engagement_id)
    form = IndicatorForm(obj=indicator)
    if indicator is not None and request.method == "GET":
        form.direction.data = indicator.direction or ""
        form.computed.data = indicator.computed or ""
        form.owner_email.data = indicator.owner_user.email if indicator.owner_user else ""
        params = indicator.computed_params or {}
        form.computed_from.data = (
            params.get("assembly_id") or params.get("consultation_id") or params.get("project_id")
        )
        form.internal_only.data = params.get("scope") == "internal"
        form.components.data = "\n".join(
            f"{c['indicator_id']}; {c['reference']}; {c.get('weight', 1)}"
            for c in params.get("components", [])
        )

    def save():
        return building.save_indicator(
            current_user,
            parent,
            indicator,
            now=utcnow(),
            title=form.title.data,
            kind=form.kind.data,
            unit=form.unit.data or "",
            direction=form.direction.data or None,
            baseline_value=form.baseline_value.data,
            baseline_year=form.baseline_year.data,
            target_value=form.target_value.data,
            target_year=form.target_year.data,
            method=form.method.data or "",
            owner=form.owner.data or "",
            source=form.source.data or "",
            owner_user_id=_owner_id(form),
            computed=form.computed.data or None,
            computed_params=_computed_params(form),
        )

    return form_page(
        form,
        save,
        success=lambda i: url_for("mission.indicator_work", indicator_id=i.id),
        template="mission/form.html",
        message=_l("The indicator is saved."),
        title=_("Indicator"),
        subject=parent.title,
        back=url_for("mission.objective", objective_id=parent.objective_id),
    )


# --------------------------------------------------------------------------- values


@bp.get("/manage/indicators/<int:indicator_id>")
@login_required
def indicator_work(indicator_id):
    """An indicator's every value version, and what the reader may do with them."""
    found = get_or_404(Indicator, indicator_id)
    _may_see_indicator(found)
    return render_template(
        "mission/indicator_work.html",
        indicator=found,
        may_enter=mission_values.may_enter(current_user, found),
        in_force=rules.in_force(found.values),
        labels=labels,
        this_year=utcnow().year,
        **indicator_view(found),
    )


def _value_args(form: ValueForm) -> dict:
    """The service's arguments from the value form."""
    return {
        "as_of": form.as_of.data,
        "figure": form.value.data,
        "text_value": form.text_value.data or "",
        "parts": rules.parse_parts(form.parts.data or ""),
        "comment": form.comment.data or "",
        "evidence": form.evidence.data or "",
    }


@bp.route("/manage/indicators/<int:indicator_id>/values/new", methods=["GET", "POST"])
@login_required
def value_new(indicator_id):
    """Enter a value as at a date (31 December of last year by default)."""
    found = get_or_404(Indicator, indicator_id)
    if not mission_values.may_enter(current_user, found):
        abort(403)
    form = ValueForm()
    if request.method == "GET":
        form.as_of.data = rules.year_end(utcnow().year - 1)
    return form_page(
        form,
        lambda: mission_values.save_value(
            current_user, found, None, now=utcnow(), **_value_args(form)
        ),
        success=lambda v: url_for("mission.value", value_id=v.id),
        template="mission/form.html",
        message=_l("The value is saved as a draft."),
        title=_("New value"),
        subject=found.title,
        back=url_for("mission.indicator_work", indicator_id=found.id),
    )


@bp.route("/manage/values/<int:value_id>/edit", methods=["GET", "POST"])
@login_required
def value_edit(value_id):
    """Change a draft value."""
    found = get_or_404(IndicatorValue, value_id)
    if not mission_values.may_enter(current_user, found.indicator):
        abort(403)
    form = ValueForm(obj=found)
    if request.method == "GET":
        form.parts.data = "\n".join(
            f"{p['label']} = {p['value'].replace('.', ',')}" for p in found.parts or []
        )
    return form_page(
        form,
        lambda: mission_values.save_value(
            current_user, found.indicator, found, now=utcnow(), **_value_args(form)
        ),
        success=url_for("mission.value", value_id=found.id),
        template="mission/form.html",
        message=_l("The draft is saved."),
        title=_("Edit the value"),
        subject=found.indicator.title,
        back=url_for("mission.value", value_id=found.id),
    )


@bp.get("/manage/values/<int:value_id>")
@login_required
def value(value_id):
    """A value with its history, comments, files, provenance and the actions open to the reader."""
    found = get_or_404(IndicatorValue, value_id)
    _may_see_indicator(found.indicator)
    return render_template(
        "mission/value.html",
        value=found,
        indicator=found.indicator,
        versions=[v for v in found.indicator.values if v.as_of == found.as_of],
        comments=mission_values.comments_on(value=found),
        may_enter=mission_values.may_enter(current_user, found.indicator),
        matches=computed.still_matches(found) if found.provenance else None,
        audit_form=AuditForm(),
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        labels=labels,
    )


def act_and_return(found, action, back):
    """Run `action(found)`, then return to `back(result)` saying it is done; or to `back(None)`
    with the refusal."""
    try:
        result = action(found)
    except RuleError as error:
        refuse(error)
        return redirect(back(None))
    flash(_("Done."), "success")
    return redirect(back(result))


def _act(value_id: int, action, *, entering: bool = False):
    """Run one action on a value, then return to it (or to the version the action made).

    `entering` actions (submit, correct) are for the owner and the mission officer only.
    """
    found = get_or_404(IndicatorValue, value_id)
    _may_see_indicator(found.indicator)
    if entering and not mission_values.may_enter(current_user, found.indicator):
        abort(403)
    return act_and_return(
        found,
        action,
        lambda result: url_for("mission.value", value_id=getattr(result, "id", found.id)),
    )


@bp.post("/manage/values/<int:value_id>/submit")
@login_required
def value_submit(value_id):
    """The owner submits a draft to the committee."""
    return _act(
        value_id,
        lambda v: mission_values.transition(current_user, v, "submit", now=utcnow()),
        entering=True,
    )


@bp.post("/manage/values/<int:value_id>/validate")
@role_required(Role.COMMITTEE)
def value_validate(value_id):
    """The committee validates a submitted value: it is frozen from now on."""
    return _act(
        value_id, lambda v: mission_values.transition(current_user, v, "validate", now=utcnow())
    )


@bp.post("/manage/values/<int:value_id>/return")
@role_required(Role.COMMITTEE)
def value_return(value_id):
    """The committee sends a submitted value back to its owner, saying why."""
    reason = request.form.get("reason", "")
    return _act(
        value_id,
        lambda v: mission_values.transition(current_user, v, "return", now=utcnow(), reason=reason),
    )


@bp.post("/manage/values/<int:value_id>/audit")
@role_required(*OFFICER)
def value_audit(value_id):
    """The mission officer records that the auditor checked a validated value."""
    reference = request.form.get("reference", "")
    return _act(
        value_id,
        lambda v: mission_values.transition(
            current_user, v, "audit", now=utcnow(), reference=reference
        ),
    )


@bp.post("/manage/values/<int:value_id>/correct")
@login_required
def value_correct(value_id):
    """Start a correction of a frozen value: a new version, with a reason."""
    reason = request.form.get("reason", "")
    return _act(
        value_id,
        lambda v: mission_values.correct(current_user, v, now=utcnow(), reason=reason),
        entering=True,
    )


@bp.post("/manage/values/<int:value_id>/comments")
@role_required(Role.COMMITTEE)
def value_comment(value_id):
    """A committee member comments on a value."""
    body = request.form.get("body", "")
    return _act(
        value_id,
        lambda v: mission_values.add_comment(current_user, now=utcnow(), body=body, value=v),
    )


def _uploaded(form: AttachmentForm) -> tuple[str, bytes]:
    """The uploaded file's name and content (read up to the limit and one byte more)."""
    from flask import current_app

    storage = form.file.data
    if storage is None or not getattr(storage, "filename", ""):
        raise RuleError(_l("Choose a file."), field="file")
    limit = int(current_app.config.get("MISSION_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))
    return storage.filename, storage.read(limit + 1)


def attach_upload(title: str, *, back: str, action: str, **attached_to):
    """Attach the uploaded file to a proof or value (`proof=` or `value=`) and return to `back`;
    a refused file shows the form again with the reason (422)."""
    form = AttachmentForm()
    form.validate()  # turns the errors into lists a refusal can be added to
    try:
        name, content = _uploaded(form)
        proofs.attach(current_user, now=utcnow(), filename=name, content=content, **attached_to)
    except RuleError as error:
        db.session.rollback()
        attach_error(form, error)
        return render_template(
            "mission/attach.html",
            form=form,
            title=_("Attach a file"),
            subject=title,
            back=back,
            action=action,
        ), 422
    flash(_("The file is attached."), "success")
    return redirect(back)


@bp.post("/manage/values/<int:value_id>/attachments")
@login_required
def value_attach(value_id):
    """Attach evidence to a draft value."""
    found = get_or_404(IndicatorValue, value_id)
    if not mission_values.may_enter(current_user, found.indicator):
        abort(403)
    return attach_upload(
        found.indicator.title,
        back=url_for("mission.value", value_id=found.id),
        action=url_for("mission.value_attach", value_id=found.id),
        value=found,
    )


@bp.post("/manage/indicators/<int:indicator_id>/recompute")
@role_required(*OFFICER)
def recompute(indicator_id):
    """Compute a computed indicator's value at the end of a year again, from consult's data."""
    found = get_or_404(Indicator, indicator_id)
    year = request.form.get("year", type=db_int)
    if not year or not 2000 <= year <= 2100:
        flash(_("Choose a year between 2000 and 2100."), "error")
        return redirect(url_for("mission.indicator_work", indicator_id=found.id)), 303
    try:
        result = computed.recompute(current_user, found, as_of=rules.year_end(year), now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for("mission.indicator_work", indicator_id=found.id))
    flash(_("The value is computed again."), "success")
    return redirect(url_for("mission.value", value_id=result.id))


# --------------------------------------------------------------------------- import, sampling


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required(*OFFICER)
def import_dashboard():
    """Upload the dashboard spreadsheet and see what it would do; nothing is written yet."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        storage = form.file.data
        if storage is None or not getattr(storage, "filename", ""):
            form.file.errors.append(_("Choose a file."))
        else:
            content = storage.read(imports.MAX_BYTES + 1)  # the reader refuses what is above
            result = imports.preview(storage.filename, content)
            if result.ok:
                result.token = imports.keep_for_confirmation(storage.filename, content)
    status = 200
    if form.is_submitted() and (result is None or not result.ok):
        status = 422
    return render_template("mission/import.html", form=form, result=result, labels=labels), status


@bp.post("/manage/import/confirm")
@role_required(*OFFICER)
def import_confirm():
    """Apply the previewed file, all of it or nothing."""
    token = request.form.get("token", "")
    try:
        name, content = imports.pending(token)
        result = imports.apply(current_user, name, content, now=utcnow())
    except RuleError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("mission.import_dashboard"))
    db.session.commit()  # the file is only forgotten once its lines are safely stored
    imports.discard(token)
    flash(
        _(
            "Imported: %(indicators)d indicators and %(values)d values, sent to the committee.",
            indicators=result.plan.indicator_count,
            values=sum(1 for line in result.new_values if line[4] == "new"),
        ),
        "success",
    )
    return redirect(url_for("mission.manage"))


@bp.get("/manage/sampling.csv")
@role_required(Role.AUDITOR)
def sampling_csv():
    """The auditor's sampling file: every value version with its evidence (CSV)."""
    columns, rows = exports.sampling_table()
    return _download(
        exports.csv_text(columns, rows),
        "text/csv; charset=utf-8",
        f"mission-sampling-{date.today().isoformat()}.csv",
    )


@bp.get("/manage/sampling.xlsx")
@role_required(Role.AUDITOR)
def sampling_xlsx():
    """The auditor's sampling file (XLSX)."""
    columns, rows = exports.sampling_table()
    return _download(
        exports.xlsx_bytes(_("Sampling"), columns, rows),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"mission-sampling-{date.today().isoformat()}.xlsx",
    )
