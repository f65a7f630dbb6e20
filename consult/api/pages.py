"""Pages for people: the API's reference, and one's personal access tokens."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from consult.api import openapi, rules, tokens
from consult.api.models import ApiToken
from consult.core.clock import utcnow
from consult.core.errors import RuleError, attempt
from consult.core.forms import MultiCheckboxField, attach_error
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role, role_required
from consult.extensions import db

pages_bp = Blueprint("api_pages", __name__)

#: Who may read the API, so who may make tokens.
READERS = (Role.ANALYST, Role.ORGANISER)
SCOPE_LABELS = {
    "consultations": _l("Consultations and their published contributions"),
    "results": _l("Results: participation figures and assembly results"),
}


class TokenForm(FlaskForm):
    """A new token: its name, what it may read, how long it lasts."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Name the token (100 characters at most).")), Length(max=100)],
        description=_l("What it is for, e.g. “R export, studies team”."),
    )
    scopes = MultiCheckboxField(
        _l("It may read"),
        choices=[SelectChoice(code, label) for code, label in SCOPE_LABELS.items()],
        validators=[InputRequired(_l("Choose what the token may read."))],
    )
    days = RadioField(
        _l("It lasts"),
        choices=[SelectChoice(str(d), _l("%(n)d days", n=d)) for d in rules.LIFETIMES],
        default="30",
        validators=[InputRequired(_l("Choose how long the token lasts."))],
    )


@pages_bp.get("/developers/api")
def reference():
    """Public: the API's reference for people, from the OpenAPI document."""
    base = openapi.server_url()
    return render_template(
        "api/reference.html", document=openapi.document(base), base=base, SCOPES=SCOPE_LABELS
    )


def _render_tokens(form, secret=None, status=200):
    """The tokens page, with a new token's secret shown once."""
    return render_template(
        "api/tokens.html",
        form=form,
        items=tokens.tokens_of(current_user),
        secret=secret,
        now=utcnow(),
        SCOPES=SCOPE_LABELS,
    ), status


@pages_bp.route("/my/api-tokens", methods=["GET", "POST"])
@role_required(*READERS)
def my_tokens():
    """One's tokens; a new one is shown once, after it is made."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = tokens.create(
                current_user,
                name=form.name.data,
                scopes=form.scopes.data,
                days=form.days.data,
                now=utcnow(),
            )
        except RuleError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            return _render_tokens(TokenForm(formdata=None), secret=secret)
    return _render_tokens(form, status=422 if form.is_submitted() else 200)


@pages_bp.post("/my/api-tokens/<int:token_id>/revoke")
@role_required(*READERS)
def revoke(token_id):
    """Revoke one of one's tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    attempt(
        lambda: tokens.revoke(current_user, token, now=utcnow()),
        _("The token “%(name)s” is revoked.", name=token.name),
    )
    return redirect(url_for(".my_tokens"), 303)
