"""A person's notifications, their e-mail settings, and the one-click opt-out link."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from consult.accounts.models import User
from consult.core.clock import utcnow
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import written
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.permissions import login_required
from consult.extensions import csrf, db
from consult.notifications import delivery, services
from consult.notifications.forms import EmailChoicesForm
from consult.notifications.models import KINDS
from consult.notifications.rules import KIND_LABELS, message

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

NAV = [NavItem("notifications.index", _l("Notifications"), order=92)]


def describe(notification) -> Markup:
    """The notification's sentence, dates in the reader's language, and the titles it quotes
    marked with the language they were written in (an English page reads them in French)."""
    sentence = escape(str(message(notification.kind, notification.params, delivery.show_moment)))
    for key in ("title", "assembly"):
        quoted = notification.params.get(key)
        if quoted:
            sentence = sentence.replace(escape(quoted), written(quoted))
    return sentence


@bp.get("/")
@login_required
def index():
    """Every notification of the person, newest first."""
    page = page_arg()
    items, total = services.page_for(current_user, page=page)
    return render_template(
        "notifications/index.html",
        items=items,
        total=total,
        page=page,
        per_page=services.PER_PAGE,
        describe=describe,
    )


@bp.post("/read")
@login_required
def mark_read():
    """Mark every notification as read."""
    services.mark_all_read(current_user, now=utcnow())
    flash(_("Your notifications are marked as read."), "success")
    return redirect(url_for(".index"), 303)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Choose which notifications also come by e-mail."""
    form = EmailChoicesForm()
    if request.method == "GET":
        refused = services.opted_out(current_user)
        form.kinds.data = [kind for kind in KINDS if kind not in refused]
    elif form.validate_on_submit():
        services.set_email_choices(current_user, set(form.kinds.data or []), now=utcnow())
        flash(_("Your choices are saved."), "success")
        return redirect(url_for(".settings"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("notifications/settings.html", form=form), status


def _opt_out_target(token: str) -> tuple[User, str]:
    """The person and kind a genuine opt-out link names, else 404."""
    found = delivery.read_opt_out_token(token)
    if found is None or found[1] not in KINDS:
        abort(404)
    user = db.session.get(User, found[0])
    if user is None or user.deleted_at is not None:
        abort(404)
    return user, found[1]


@bp.get("/stop/<token>")
def stop(token):
    """The page an e-mail's opt-out link opens: one button stops that kind of e-mail."""
    user, kind = _opt_out_target(token)
    return render_template(
        "notifications/stop.html",
        label=KIND_LABELS[kind],
        token=token,
        done=kind in services.opted_out(user),
    )


@bp.post("/stop/<token>")
@csrf.exempt  # the signed token is the proof; mail clients post here without a form (RFC 8058)
def stop_confirmed(token):
    """Stop one kind of e-mail for the person the link was sent to."""
    user, kind = _opt_out_target(token)
    services.opt_out(user, kind, now=utcnow())
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204  # a mail client's one-click request: no page to show
    return render_template(
        "notifications/stop.html", label=KIND_LABELS[kind], token=token, done=True
    )
