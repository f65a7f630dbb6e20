"""Sign-in, profile, invitation and reset links, and the people admin pages."""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from consult.accounts import services, sessions
from consult.accounts.forms import (
    ForgottenPasswordForm,
    LoginForm,
    PasswordChangeForm,
    PasswordChoiceForm,
    PeopleFilterForm,
    PersonForm,
    PopulationForm,
    ProfileForm,
    RegionForm,
)
from consult.accounts.imports import INVITATIONS, invitation_mail
from consult.accounts.models import Population, Region, User, UserRole
from consult.core.clock import utcnow
from consult.core.errors import RuleError, refuse
from consult.core.forms import form_page, written_choices
from consult.core.i18n import force_locale, ngettext
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import services as imports
from consult.core.imports.forms import UploadForm
from consult.core.imports.views import large_upload
from consult.core.links import external_url, safe_next
from consult.core.mail import composer, queue_composed, queue_mail
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import int_or_none
from consult.core.permissions import Role, login_required, role_required
from consult.core.ratelimits import sign_in_failed, sign_in_wait, typed_email
from consult.extensions import db, login_manager

bp = Blueprint("accounts", __name__)

NAV = [
    NavItem("accounts.profile", _l("My profile"), order=90),
    NavItem("accounts.people", _l("People"), roles=(Role.ORGANISER,), order=80),
    NavItem(
        "accounts.populations", _l("Populations and regions"), roles=(Role.ADMINISTRATOR,), order=85
    ),
]
PER_PAGE = 50


@login_manager.user_loader
def _load_user(user_id: str):
    """Flask-Login: the signed-in person, when the cookie's session is active in the database."""
    number, _dot, token = user_id.partition(".")
    number = int_or_none(number)
    return sessions.load(number, token, now=utcnow()) if number is not None else None


def _sign_in(user: User, *, remember: bool = False) -> None:
    """Open a server-side session for the person and give their browser its cookie."""
    sessions.start(
        user, now=utcnow(), remember=remember, user_agent=request.user_agent.string or ""
    )
    login_user(user, remember=remember)


def _after_sign_in(user: User):
    """Where to go once signed in: where the person was going; else administrators go to the
    administration home, and participants without a profile to the profile form."""
    if Role.ADMINISTRATOR in user.role_names:
        return redirect(safe_next(request.args.get("next")) or url_for("admin.home"))
    if not user.profile_complete and user.has_role(Role.PARTICIPANT):
        return redirect(url_for("accounts.profile", next=safe_next(request.args.get("next"))))
    return redirect(safe_next(request.args.get("next")) or url_for("consultations.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password (limits: consult.core.ratelimits)."""
    if current_user.is_authenticated:
        return redirect(url_for("consultations.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = typed_email()
        wait = sign_in_wait(email)
        if wait is not None:
            form.form_errors.append(
                ngettext(
                    "Many wrong passwords on this account: try again in %(num)d second.",
                    "Many wrong passwords on this account: try again in %(num)d seconds.",
                    wait,
                )
            )
            return render_template("accounts/login.html", form=form), 429
        user = services.authenticate(form.email.data, form.password.data, now=utcnow())
        if user is not None:
            _sign_in(user, remember=form.remember.data)
            return _after_sign_in(user)
        sign_in_failed(email)
        form.form_errors.append(_("Wrong e-mail address or password."))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out and go back to the home page; the session stops working, copies included."""
    if current_user.is_authenticated:
        sessions.end_current(current_user, now=utcnow())
    logout_user()
    # Nothing of the signed-in person stays in this browser's cookie (a shared computer);
    # only the language chosen, which says nothing about them.
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are signed out."), "success")
    return redirect(url_for("consultations.index"))


def _fill_profile_choices(form: ProfileForm) -> None:
    """Regions come from the database (a configurable list)."""
    form.region.choices = [SelectChoice(0, _("I prefer not to say"))] + written_choices(
        (r.id, r.name)
        for r in db.session.scalars(select(Region).order_by(Region.position, Region.name))
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The profile attached to each contribution (captured once, with consent; editable)."""
    form = ProfileForm(obj=None)
    _fill_profile_choices(form)
    if request.method == "GET":
        form.gender_form.data = current_user.gender_form
        form.age_band.data = current_user.age_band or ""
        form.region.data = current_user.region_id or 0
        form.consent.data = current_user.profile_complete
    if form.validate_on_submit():
        try:
            services.save_profile(
                current_user,
                gender_form=form.gender_form.data,
                age_band=form.age_band.data or None,
                region=db.session.get(Region, form.region.data) if form.region.data else None,
                consent=form.consent.data,
                now=utcnow(),
            )
        except RuleError as error:
            getattr(form, error.field or "consent").errors.append(error.message)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("consultations.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/profile.html", form=form), status


def _choose_password(token: str, purpose: str, template: str):
    """Shared flow of invitation and reset links: check the link, choose a password, sign in."""
    now = utcnow()
    try:
        row = services.peek_token(token, purpose, now=now)
    except RuleError as error:
        return render_template("accounts/link_invalid.html", message=error.message), 410
    form = PasswordChoiceForm()
    if form.validate_on_submit():
        try:
            user = services.redeem_token(token, purpose, form.password.data, now=now)
        except RuleError as error:
            form.password.errors.append(error.message)
        else:
            _sign_in(user)
            flash(_("Your password is saved; you are signed in."), "success")
            return _after_sign_in(user)
    status = 422 if form.is_submitted() else 200
    return render_template(template, form=form, person=row.user), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A signed-in person chooses a new password; their other sessions end."""
    form = PasswordChangeForm()

    def save():
        services.change_password(current_user, form.current.data, form.password.data, now=utcnow())

    return form_page(
        form,
        save,
        success=url_for("accounts.profile"),
        message=_("Your new password is saved; your other sessions are ended."),
        template="accounts/password.html",
    )


@bp.get("/account/sessions")
@login_required
def sessions_page():
    """The browsers where the person is signed in, each of which they can sign out."""
    return render_template(
        "accounts/sessions.html",
        rows=sessions.active(current_user, now=utcnow()),
        current=sessions.current(current_user),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    """End one of one's own sessions (its cookie stops working at once)."""
    if not sessions.end(current_user, session_id, now=utcnow()):
        abort(404)
    flash(_("The session is ended."), "success")
    return redirect(url_for("accounts.sessions_page"), 303)


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Sign out everywhere but here."""
    ended = sessions.end_others(current_user, now=utcnow())
    flash(ngettext("%(num)d session ended.", "%(num)d sessions ended.", ended), "success")
    return redirect(url_for("accounts.sessions_page"), 303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    """An invited person chooses a password and signs in."""
    return _choose_password(token, "invitation", "accounts/invitation.html")


#: The composer of reset mail, which looks the address up when the mail is delivered.
RESET_MAIL = "accounts.password_reset"


@bp.route("/password/forgotten", methods=["GET", "POST"])
def forgotten_password():
    """Send a reset link; the answer is the same whether or not the address has an account.

    So is the work: the request only queues the address (one row of the outbox), and the
    delivery (the worker, or the end of the request without Redis) looks the account up, makes
    the link and writes the mail, or drops the row when no active account has this address.
    """
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        locale = str(get_locale() or current_app.config["LANGUAGES"][0])
        queue_composed(RESET_MAIL, typed_email(), {"locale": locale}, now=utcnow())
        flash(_("If an account exists with this address, a link has been sent to it."), "success")
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/forgotten.html", form=form), status


@composer(RESET_MAIL)
def reset_mail(recipient: str, data: dict) -> tuple[str, str] | None:
    """The reset mail for an active account with this address, with a fresh link; else None."""
    user = services.find_user_by_email(recipient)
    if user is None or not user.active:
        return None
    hours = current_app.config["PASSWORD_RESET_VALID_HOURS"]
    token = services.issue_token(
        user, "password_reset", now=utcnow(), valid_for=timedelta(hours=hours)
    )
    link = external_url("accounts.reset_password", token=token)
    with force_locale(data.get("locale") or current_app.config["LANGUAGES"][0]):
        return (
            _("Choose a new password"),
            _(
                "To choose a new password, open this link within %(hours)d hours:\n\n"
                "%(link)s\n\n"
                "If you did not ask for it, ignore this message.",
                hours=hours,
                link=link,
            ),
        )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Choose a new password from a reset link."""
    return _choose_password(token, "password_reset", "accounts/reset.html")


# --- people administration --------------------------------------------------------------------


@bp.get("/admin/people")
@role_required(Role.ORGANISER)
def people():
    """Everyone with an account, searchable, with their roles and invitation status."""
    form = PeopleFilterForm(request.args)
    page = page_arg()
    query = select(User)
    if form.validate() and form.q.data:
        pattern = f"%{form.q.data.strip().lower()}%"
        query = query.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    if form.role.data:
        query = query.where(User.roles.any(UserRole.role == form.role.data))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    people = db.session.scalars(
        query.order_by(User.email).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "accounts/people.html", form=form, people=people, page=page, total=total, per_page=PER_PAGE
    )


@bp.route("/admin/people/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def person(user_id):
    """An administrator changes a person's roles or deactivates the account."""
    user = db.session.get(User, user_id) or abort(404)
    form = PersonForm()
    form.population.choices = [SelectChoice(0, _("None"))] + written_choices(
        (p.id, p.name)
        for p in db.session.scalars(select(Population).order_by(Population.position, Population.id))
    )
    if request.method == "GET":
        form.roles.data = sorted(user.role_names)
        form.active.data = user.active
        form.population.data = user.population_id or 0
    if form.validate_on_submit():
        try:
            now = utcnow()
            services.set_roles(current_user, user, form.roles.data, now=now)
            if "population" in request.form:  # a form without the field changes nothing
                population = db.session.get(Population, form.population.data or 0)
                services.set_population(current_user, user, population, now=now)
            if form.active.data != user.active:
                services.set_active(current_user, user, form.active.data, now=now)
        except RuleError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("accounts.person", user_id=user.id))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/person.html", form=form, person=user), status


def _send_invitation(user: User, token: str) -> None:
    """E-mail a person the link that lets them choose a password."""
    days = current_app.config["INVITATION_VALID_DAYS"]
    link = external_url("accounts.accept_invitation", token=token)
    queue_mail(user.email, *invitation_mail(link, days), now=utcnow())


@bp.post("/admin/people/<int:user_id>/invite-again")
@role_required(Role.ORGANISER)
def invite_again(user_id):
    """Send a new invitation link to someone who has not chosen a password yet."""
    user = db.session.get(User, user_id) or abort(404)
    try:
        token = services.reinvite(
            current_user,
            user,
            now=utcnow(),
            valid_for=timedelta(days=current_app.config["INVITATION_VALID_DAYS"]),
        )
    except RuleError as error:
        refuse(error)
        return redirect(url_for("accounts.people"), 303)
    _send_invitation(user, token)
    flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.people", q=user.email))


@bp.route("/admin/people/invite", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
@large_upload
def invite():
    """Invite people from a file: the shared import pages then map, preview and import it."""
    form = UploadForm()
    return form_page(
        form,
        lambda: imports.upload_posted(
            current_user, INVITATIONS, None, form.file.data, now=utcnow()
        ),
        success=lambda batch: url_for("core.imports.columns", batch_id=batch.id),
        template="accounts/invite.html",
        kind=INVITATIONS,
        under_way=imports.open_batches(INVITATIONS),
    )


# --- reference lists: populations and regions -------------------------------------------------


@bp.route("/admin/populations", methods=["GET", "POST"])
@bp.route("/admin/populations/<int:population_id>", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def populations(population_id=None):
    """The populations consultations invite (configurable), and a form to add or edit one."""
    item = db.session.get(Population, population_id) if population_id else None
    if population_id and item is None:
        abort(404)
    form = PopulationForm(obj=item)
    listing = db.session.scalars(select(Population).order_by(Population.position)).all()

    def save():
        return services.save_population(
            current_user,
            item,
            code=form.code.data,
            name=form.name.data,
            label_feminine=form.label_feminine.data,
            label_masculine=form.label_masculine.data,
            label_neutral=form.label_neutral.data,
            internal=form.internal.data,
            now=utcnow(),
        )

    return form_page(
        form,
        save,
        success=url_for("accounts.populations"),
        message=_("Changes saved."),
        template="accounts/populations.html",
        populations=listing,
        item=item,
    )


@bp.route("/admin/regions", methods=["GET", "POST"])
@bp.route("/admin/regions/<int:region_id>", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def regions(region_id=None):
    """The configurable list of regions, and a form to add or rename one."""
    item = db.session.get(Region, region_id) if region_id else None
    if region_id and item is None:
        abort(404)
    form = RegionForm(obj=item)
    listing = db.session.scalars(select(Region).order_by(Region.position, Region.name)).all()

    def save():
        return services.save_region(current_user, item, name=form.name.data, now=utcnow())

    return form_page(
        form,
        save,
        success=url_for("accounts.regions"),
        message=_("Changes saved."),
        template="accounts/regions.html",
        regions=listing,
        item=item,
    )
