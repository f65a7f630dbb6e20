"""Legal notice, personal data, accessibility statement; a person's export and deletion;
organisers' retention settings."""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from consult.consultations.models import Consultation
from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.forms import attach_error
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.nav import NavItem
from consult.core.permissions import Role, login_required, role_required
from consult.extensions import db
from consult.panels.models import PanelProject
from consult.privacy import erasure, export, retention, rules
from consult.privacy.forms import DeleteAccountForm, RetentionForm

bp = Blueprint("privacy", __name__)

NAV = [
    NavItem("privacy.retention_settings", _l("Data retention"), roles=(Role.ORGANISER,), order=78),
]

#: Header of the CSV export (one row per value: section, record number, field, value).
CSV_HEADER = ("section", "record", "field", "value")


def _legal() -> dict:
    """The organisation's legal settings (LEGAL_* environment variables)."""
    return current_app.config["LEGAL"]


def _missing_legal() -> list[str]:
    """Legal settings left empty, shown to administrators so that they fill them in."""
    if not (current_user.is_authenticated and current_user.has_role(Role.ADMINISTRATOR)):
        return []
    optional = {"accessibility_audit", "account_retention"}
    return [f"LEGAL_{k.upper()}" for k, v in _legal().items() if not v and k not in optional]


# --- public pages -----------------------------------------------------------------------------


@bp.get("/legal-notice")
def legal_notice():
    """Mentions légales: who publishes and who hosts the site (public)."""
    return render_template("privacy/legal_notice.html", legal=_legal(), missing=_missing_legal())


@bp.get("/personal-data")
def personal_data():
    """What consult does with personal data, for how long, and how to use one's rights (public)."""
    return render_template("privacy/personal_data.html", legal=_legal(), missing=_missing_legal())


@bp.get("/accessibility")
def accessibility():
    """Déclaration d'accessibilité (RGAA), as French law requires of this kind of service."""
    return render_template("privacy/accessibility.html", legal=_legal(), missing=_missing_legal())


# --- a person's own data ----------------------------------------------------------------------


@bp.get("/my/data")
@login_required
def my_data():
    """Download one's data, or delete one's account."""
    form = DeleteAccountForm()
    return render_template(
        "privacy/my_data.html", form=form, refusal=erasure.deletion_refusal(current_user)
    )


def _download(body: str, mimetype: str, extension: str) -> Response:
    """An attachment named after the day, never cached."""
    name = f"consult-mes-donnees-{utcnow():%Y-%m-%d}.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/my/data.json")
@login_required
def my_data_json():
    """Everything consult holds about the person, as JSON."""
    data = export.collect(current_user, now=utcnow())
    return _download(
        json.dumps(data, ensure_ascii=False, indent=2), "application/json; charset=utf-8", "json"
    )


@bp.get("/my/data.csv")
@login_required
def my_data_csv():
    """The same, as one CSV file (section, record, field, value)."""
    data = export.collect(current_user, now=utcnow())
    return _download(
        rules.to_csv(rules.flatten(data), CSV_HEADER), "text/csv; charset=utf-8", "csv"
    )


@bp.post("/my/account/delete")
@login_required
def delete_account():
    """Delete one's own account after typing the password again."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("This password is not right."))
        else:
            try:
                erasure.delete_account(current_user, current_user, now=utcnow())
            except RuleError as error:
                db.session.rollback()
                attach_error(form, error)
            else:
                db.session.commit()  # say "deleted" only once it is
                logout_user()
                flash(_("Your account is deleted. Thank you for taking part."), "success")
                return redirect(url_for("consultations.index"))
    return render_template(
        "privacy/my_data.html", form=form, refusal=erasure.deletion_refusal(current_user)
    ), 422


# --- organisers: retention --------------------------------------------------------------------


@bp.get("/organise/retention")
@role_required(Role.ORGANISER)
def retention_settings():
    """Every consultation and panel project with how long its people's data are kept."""
    return _retention_page(RetentionForm(), errors={})


def _retention_page(form: RetentionForm, *, errors: dict, status: int = 200):
    """The retention page, with a refused period's messages beside its line."""
    consultations, projects = retention.overview()
    return render_template(
        "privacy/retention.html",
        consultations=consultations,
        projects=projects,
        erase_on=rules.erase_on,
        form=form,
        errors=errors,
    ), status


@bp.post("/organise/retention/<kind>/<int:subject_id>")
@role_required(Role.ORGANISER)
def set_retention(kind, subject_id):
    """Set the retention of one consultation or panel project."""
    if kind == "consultation":
        subject = db.session.get(Consultation, subject_id)
    elif kind == "project":
        subject = db.session.get(PanelProject, subject_id)
    else:
        abort(404)
    if subject is None or (kind == "consultation" and subject.status == "draft"):
        abort(404)
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            retention.set_policy(
                current_user,
                form.keep_days.data,
                now=utcnow(),
                **({"consultation": subject} if kind == "consultation" else {"project": subject}),
            )
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(_("The retention period is saved."), "success")
            return redirect(url_for(".retention_settings", _anchor=f"{kind}-{subject_id}"))
    return _retention_page(form, errors={f"{kind}-{subject_id}": form.keep_days.errors}, status=422)
