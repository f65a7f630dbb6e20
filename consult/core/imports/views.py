"""The shared import pages: columns (mapping), preview and confirmation, progress, result.

Each area's page uploads the file and redirects to `imports.columns`; from there these pages
take over. Who may open them is the kind's roles, and only the person who uploaded the file (or
an administrator) may take it further.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_login import current_user

from consult.core.clock import utcnow
from consult.core.errors import RuleError, refuse
from consult.core.i18n import gettext as _
from consult.core.imports import services
from consult.core.imports.kinds import shown_message
from consult.core.imports.models import ImportBatch
from consult.core.imports.reading import MAX_BYTES, column_letter
from consult.core.paging import page_arg
from consult.core.permissions import Role, has_any_role, login_required
from consult.extensions import db

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: Example values shown under each column on the mapping page.
SAMPLE_ROWS = 3
REFUSALS_PER_PAGE = 100
#: What an upload page accepts: the largest file, and room for the rest of the form.
UPLOAD_LIMIT = MAX_BYTES + 1024 * 1024


def large_upload(view):
    """Mark an area's upload view: its request may carry a file up to the import's limit."""
    view.accepts_large_upload = True
    return view


def _batch(batch_id: int):
    """The batch, its kind and its target, for the person who uploaded it (or an administrator)."""
    batch = db.session.get(ImportBatch, batch_id) or abort(404)
    try:
        kind = services.kind_of(batch)
    except LookupError:
        abort(404)
    if not has_any_role(current_user, kind.roles):
        abort(403)
    if batch.created_by_id != current_user.id and not current_user.has_role(Role.ADMINISTRATOR):
        abort(403)
    target = kind.load_target(batch.target_id) if batch.target_id else None
    if batch.target_id and target is None:
        abort(404)
    return batch, kind, target


def column_names(batch: ImportBatch) -> list[str]:
    """Each column's name, or its letter when the header cell is blank."""
    return [
        name or _("Column %(letter)s", letter=column_letter(index))
        for index, name in enumerate(batch.columns)
    ]


@bp.route("/<int:batch_id>/columns", methods=["GET", "POST"])
@login_required
def columns(batch_id):
    """Say which field each column of the file fills; suggestions come from known names."""
    batch, kind, target = _batch(batch_id)
    if batch.status not in ("uploaded", "previewed"):
        return redirect(url_for(".show", batch_id=batch.id))
    chosen = list(batch.mapping or [None] * len(batch.columns))
    errors, status = [], 200
    if request.method == "POST":
        chosen = [request.form.get(f"column-{i}") or None for i in range(len(batch.columns))]
        try:
            services.choose_mapping(current_user, batch, chosen, now=utcnow())
        except RuleError as error:
            db.session.rollback()
            errors.append(error.message)
            status = 422
        else:
            return redirect(url_for(".show", batch_id=batch.id), 303)
    samples = services.samples(batch, SAMPLE_ROWS) if batch.content else []
    return render_template(
        "core/imports/columns.html",
        batch=batch,
        kind=kind,
        target=target,
        names=column_names(batch),
        fields=kind.fields_for(target),
        chosen=chosen,
        samples=samples,
        errors=errors,
        number=format_decimal,
    ), status


@bp.get("/<int:batch_id>")
@login_required
def show(batch_id):
    """Where the import stands: the preview to confirm, the progress, or the result."""
    batch, kind, target = _batch(batch_id)
    plan = batch.plan or {}
    page = page_arg()
    stored = plan.get("refusals", [])
    start = (page - 1) * REFUSALS_PER_PAGE
    refusals = [
        (line, shown_message(msgid, params))
        for line, msgid, params in stored[start : start + REFUSALS_PER_PAGE]
    ]
    return render_template(
        "core/imports/show.html",
        batch=batch,
        kind=kind,
        target=target,
        plan=plan,
        refusals=refusals,
        refusals_kept=len(stored),
        page=page,
        per_page=REFUSALS_PER_PAGE,
        back_url=kind.back_url(target),
        done_message=kind.done_message(batch.result) if batch.result else None,
        number=format_decimal,
    )


@bp.post("/<int:batch_id>/confirm")
@login_required
def confirm(batch_id):
    """Start the import the preview showed."""
    batch, kind, target = _batch(batch_id)
    try:
        services.confirm(current_user, batch, now=utcnow())
    except RuleError as error:
        refuse(error)
    return redirect(url_for(".show", batch_id=batch.id), 303)


@bp.post("/<int:batch_id>/cancel")
@login_required
def cancel(batch_id):
    """Give up this file; nothing was imported from it."""
    batch, kind, target = _batch(batch_id)
    try:
        services.cancel(current_user, batch, now=utcnow())
    except RuleError as error:
        refuse(error)
        return redirect(url_for(".show", batch_id=batch.id), 303)
    flash(_("The file was set aside: nothing was imported from it."), "success")
    return redirect(kind.back_url(target), 303)
