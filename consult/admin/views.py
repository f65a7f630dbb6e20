"""Administration pages: the home (what needs attention, every area) and the settings."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from consult.accounts.models import User
from consult.admin import services, settings
from consult.admin.forms import (
    RULE_ROWS,
    AssemblyRulesForm,
    MajorityBaseForm,
    NumberForm,
    ReasonsForm,
    rule_field,
)
from consult.assembly.services import CATEGORY_LABELS
from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.forms import attach_error
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.models import AuditEvent
from consult.core.nav import NavItem
from consult.core.permissions import Role, role_required
from consult.core.ratelimits import describe_limits
from consult.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAV = [NavItem("admin.home", _l("Administration"), roles=(Role.ADMINISTRATOR,), order=80)]

FORMS = {
    "moderation.reasons": ReasonsForm,
    "moderation.flag_threshold": NumberForm,
    "assembly.rules": AssemblyRulesForm,
    "assembly.majority_base": MajorityBaseForm,
    "analysis.min_group_size": NumberForm,
}

#: What each count on the home page is (a row heading, so no plural to agree with the count).
ATTENTION_LABELS = {
    "moderation": _l("Contributions waiting for a moderator"),
    "open_consultations": _l("Consultations open now"),
    "draft_consultations": _l("Consultations in draft"),
    "open_votes": _l("Assembly resolutions open to the vote"),
    "draws_waiting": _l("Panel draws committed and waiting for their seed"),
    "failed_jobs": _l("Analysis jobs failed in the last seven days"),
}

#: Pages of the product that are not in the main navigation but matter to an administrator.
EXTRA_LINKS = [
    ("moderation.audit", _l("Moderation audit log")),
    ("accounts.invite", _l("Invite someone")),
]


def _form(key: str, data=None):
    """A setting's form, filled with what was sent or with the value in force."""
    form_class = FORMS[key]
    prefix = key.replace(".", "-")
    if data is None:
        return form_class(formdata=None, prefix=prefix, data=settings.form_data(key))
    return form_class(prefix=prefix)


def _changes(limit: int = 20) -> list:
    """The latest setting changes from the audit log, newest first, with who made them."""
    return db.session.execute(
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == "admin.setting")
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()


def _render_settings(forms: dict, status: int = 200):
    """The settings page with one form per setting."""
    return render_template(
        "admin/settings.html",
        settings=settings.SETTINGS,
        forms=forms,
        changed={key: settings.changed(key) for key in settings.SETTINGS},
        changes=_changes(),
        RULE_ROWS=RULE_ROWS,
        rule_field=rule_field,
        CATEGORY_LABELS=CATEGORY_LABELS,
        describe=settings.describe,
        limits=describe_limits(),
    ), status


@bp.get("/")
@role_required(Role.ADMINISTRATOR)
def home():
    """What needs attention, and a way into every area."""
    areas = [
        item
        for item in current_app.config["NAV"]
        if item.endpoint != "admin.home" and not item.public and item.roles
    ]
    extra = [(e, label) for e, label in EXTRA_LINKS if e in current_app.view_functions]
    return render_template(
        "admin/home.html",
        attention=services.attention(utcnow()),
        ATTENTION_LABELS=ATTENTION_LABELS,
        roles=services.role_counts(),
        areas=areas,
        extra=extra,
        changed=[s for key, s in settings.SETTINGS.items() if settings.changed(key)],
    )


@bp.get("/settings")
@role_required(Role.ADMINISTRATOR)
def settings_page():
    """Every setting edited in the interface, with its value in force and the latest changes."""
    return _render_settings({key: _form(key) for key in settings.SETTINGS})


@bp.post("/settings/<key>")
@role_required(Role.ADMINISTRATOR)
def save_setting(key):
    """Save one setting; the page comes back with the error beside the field (422) if refused."""
    if key not in settings.SETTINGS:
        abort(404)
    form = _form(key, request.form)
    if form.validate_on_submit():
        try:
            value = settings.parse(key, {name: field.data for name, field in form._fields.items()})
            saved = settings.save(current_user, key, value, now=utcnow())
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            label = settings.SETTINGS[key].label
            if saved is None:
                flash(_("%(setting)s: nothing changed.", setting=label), "warning")
            else:
                flash(_("%(setting)s saved; it applies from now on.", setting=label), "success")
            return redirect(url_for(".settings_page", _anchor=key.replace(".", "-")), 303)
    forms = {other: _form(other) for other in settings.SETTINGS}
    forms[key] = form
    return _render_settings(forms, 422)
