"""Assembly pages: the officer's roll, agenda and vote windows; delegates' ballots; the minutes."""

import copy

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from consult.assembly import rules, services
from consult.assembly.api import api_bp
from consult.assembly.forms import KIND_LABELS, AssemblyForm, ProxyForm, ResolutionForm, RollForm
from consult.assembly.imports import ROLL
from consult.assembly.models import Assembly, Delegate, Participation, Proxy, Resolution
from consult.core.clock import utcnow
from consult.core.commit import commit
from consult.core.errors import RuleError, refuse
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import services as imports
from consult.core.imports.views import large_upload
from consult.core.nav import NavItem
from consult.core.paging import page_arg
from consult.core.params import int_or_none
from consult.core.permissions import Role, has_any_role, role_required
from consult.core.spreadsheet import csv_text
from consult.extensions import db

bp = Blueprint("assembly", __name__, url_prefix="/assemblies")
# The public JSON results live in their own blueprint under /api/v1/assemblies.
bp.record_once(lambda state: state.app.register_blueprint(api_bp))

NAV = [NavItem("assembly.index", _l("General assembly"), roles=(Role.DELEGATE, Role.ORGANISER))]

#: The tracking code of the vote just stored, shown once on the next page, then forgotten.
RECEIPT_KEY = "assembly_receipt"


def _assembly(assembly_id: int) -> Assembly:
    """The assembly or 404."""
    return db.session.get(Assembly, assembly_id) or abort(404)


def _resolution(assembly: Assembly, resolution_id: int) -> Resolution:
    """A resolution of this assembly or 404."""
    resolution = db.session.get(Resolution, resolution_id)
    if resolution is None or resolution.assembly_id != assembly.id:
        abort(404)
    return resolution


def _is_officer() -> bool:
    """Organisers (and administrators) run assemblies."""
    return has_any_role(current_user, (Role.ORGANISER,))


def _guard_results(assembly: Assembly):
    """Results are public after the close; before, only officers see them."""
    if services.is_public(assembly) or _is_officer():
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(403)


def _back(assembly: Assembly, endpoint: str = ".manage"):
    """Redirect after a POST (303 so the browser follows with GET)."""
    return redirect(url_for(endpoint, assembly_id=assembly.id), 303)


# --------------------------------------------------------------------------- lists


@bp.get("/")
@role_required(Role.DELEGATE, Role.ORGANISER)
def index():
    """Officers see every assembly and create one; delegates see those they are on the roll of."""
    form = AssemblyForm()
    return _index(form)


def _index(form, status=200):
    """Render the list with a (possibly invalid) creation form."""
    if _is_officer():
        assemblies = db.session.scalars(select(Assembly).order_by(Assembly.held_on.desc())).all()
    else:
        assemblies = db.session.scalars(
            select(Assembly)
            .join(Delegate, Delegate.assembly_id == Assembly.id)
            .where(Delegate.user_id == current_user.id)
            .order_by(Assembly.held_on.desc())
        ).all()
    return render_template(
        "assembly/index.html", assemblies=assemblies, form=form, officer=_is_officer()
    ), status


@bp.post("/")
@role_required(Role.ORGANISER)
def create():
    """Create an assembly with the organisation's rules."""
    form = AssemblyForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        assembly = services.create_assembly(
            current_user,
            title=form.title.data,
            held_on=form.held_on.data,
            convocation=form.convocation.data,
            proxy_cap=form.proxy_cap.data,
            allow_vote_change=form.allow_vote_change.data,
            now=utcnow(),
        )
    except RuleError as error:
        getattr(form, error.field or "title").errors.append(error.message)
        return _index(form, 422)
    flash(_("The assembly is created. Import the roll and add the resolutions."), "success")
    return _back(assembly)


# --------------------------------------------------------------------------- officer


def _manage(assembly, *, roll_form=None, resolution_form=None, status=200):
    """The officer's page: freeze, agenda, windows."""
    return render_template(
        "assembly/manage.html",
        assembly=assembly,
        roll_form=roll_form or RollForm(),
        resolution_form=resolution_form or ResolutionForm(),
        roll_kind=ROLL,
        roll_under_way=imports.open_batches(ROLL, assembly.id),
        ruleset=services.rule_set(assembly),
        labels=_Labels(),
        kind_labels=KIND_LABELS,
        turnout=_turnout(assembly),
        as_of=utcnow(),
    ), status


def _turnout(assembly) -> dict[int, tuple[int, int]]:
    """For each open resolution: delegates whose vote is counted so far, and delegates on the
    roll (who voted, never how: the officer follows the vote live)."""
    from sqlalchemy import func, select

    from consult.assembly.models import Participation

    opened = [r.id for r in assembly.resolutions if r.status == "open"]
    if not opened:
        return {}
    counted = dict(
        db.session.execute(
            select(Participation.resolution_id, func.count())
            .where(Participation.resolution_id.in_(opened))
            .group_by(Participation.resolution_id)
        ).all()
    )
    on_roll = len(assembly.delegates)
    return {rid: (counted.get(rid, 0), on_roll) for rid in opened}


class _Labels(dict):
    """Labels the templates share, each family translated once for the page, when the page
    first prints one of it (a lazy label would be translated again each time a loop prints it;
    a page prints one or two families of the five)."""

    FAMILIES = {
        "choice": lambda: _translated(services.CHOICE_LABELS),
        "outcome": lambda: _translated(services.OUTCOME_LABELS),
        "category": lambda: _translated(services.CATEGORY_LABELS),
        "presence": lambda: _translated(services.PRESENCE_LABELS),
        "grades": lambda: [str(label) for label in services.GRADES],
    }

    def __missing__(self, family: str):
        translated = self[family] = self.FAMILIES[family]()
        return translated


def _translated(labels: dict) -> dict:
    return {key: str(label) for key, label in labels.items()}


@bp.get("/<int:assembly_id>")
@role_required(Role.ORGANISER)
def manage(assembly_id):
    """The officer's view of one assembly."""
    return _manage(_assembly(assembly_id))


@bp.post("/<int:assembly_id>/roll")
@role_required(Role.ORGANISER)
@large_upload
def import_roll(assembly_id):
    """Read a roll file; the shared import pages then map, preview and import it."""
    assembly = _assembly(assembly_id)
    form = RollForm()
    if not form.validate_on_submit():
        return _manage(assembly, roll_form=form, status=422)
    try:
        batch = imports.upload_posted(current_user, ROLL, assembly, form.file.data, now=utcnow())
    except RuleError as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return _manage(assembly, roll_form=form, status=422)
    return redirect(url_for("core.imports.columns", batch_id=batch.id))


def _wordings(text: str) -> list[str]:
    """Paragraphs of a textarea (separated by empty lines)."""
    blocks, current = [], []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


@bp.post("/<int:assembly_id>/resolutions")
@role_required(Role.ORGANISER)
def add_resolution(assembly_id):
    """Add a resolution to the agenda before the freeze."""
    assembly = _assembly(assembly_id)
    form = ResolutionForm()
    if not form.validate_on_submit():
        return _manage(assembly, resolution_form=form, status=422)
    try:
        services.add_resolution(
            current_user,
            assembly,
            title=form.title.data,
            body=form.body.data,
            category=form.category.data,
            kind=form.kind.data,
            wordings=_wordings(form.wordings.data),
            now=utcnow(),
        )
    except RuleError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        (field.errors if field is not None else form.form_errors).append(error.message)
        return _manage(_assembly(assembly_id), resolution_form=form, status=422)
    flash(_("The resolution is on the agenda."), "success")
    return _back(assembly)


def _officer_action(assembly_id, action, success, resolution_id=None):
    """Run one officer action on the assembly or one resolution, then go back."""
    assembly = _assembly(assembly_id)
    target = _resolution(assembly, resolution_id) if resolution_id else assembly
    try:
        action(current_user, target, now=utcnow())
    except RuleError as error:
        refuse(error)
        return _back(assembly)
    flash(success, "success")
    return _back(assembly)


@bp.post("/<int:assembly_id>/resolutions/<int:resolution_id>/remove")
@role_required(Role.ORGANISER)
def remove_resolution(assembly_id, resolution_id):
    """Take a resolution off the agenda before the freeze."""
    return _officer_action(
        assembly_id, services.remove_resolution, _("The resolution is removed."), resolution_id
    )


@bp.post("/<int:assembly_id>/resolutions/<int:resolution_id>/open")
@role_required(Role.ORGANISER)
def open_resolution(assembly_id, resolution_id):
    """Open the vote on one resolution (the first opening freezes the roll and texts)."""
    return _officer_action(
        assembly_id, services.open_resolution, _("The vote is open."), resolution_id
    )


@bp.post("/<int:assembly_id>/resolutions/<int:resolution_id>/close")
@role_required(Role.ORGANISER)
def close_resolution(assembly_id, resolution_id):
    """Close the vote on one resolution and tally it."""
    return _officer_action(
        assembly_id, services.close_resolution, _("The vote is closed and tallied."), resolution_id
    )


@bp.post("/<int:assembly_id>/open-all")
@role_required(Role.ORGANISER)
def open_all(assembly_id):
    """Open every resolution still in draft."""
    return _officer_action(assembly_id, services.open_all, _("The vote is open."))


@bp.post("/<int:assembly_id>/close-all")
@role_required(Role.ORGANISER)
def close_all(assembly_id):
    """Close and tally every open resolution."""
    return _officer_action(assembly_id, services.close_all, _("The vote is closed and tallied."))


# ------------------------------------------------------------------- roll, presence, proxies


ROLL_PAGE = 100


def _roll(assembly, proxy_form=None, status=200):
    """The roll with presence and proxies, a page of delegates at a time."""
    proxies = services.active_proxies(assembly)
    given = {p.giver_id: p for p in proxies}
    page = page_arg()
    delegates = db.session.scalars(
        select(Delegate)
        .where(Delegate.assembly_id == assembly.id)
        .order_by(Delegate.identifier)
        .offset((page - 1) * ROLL_PAGE)
        .limit(ROLL_PAGE)
    ).all()
    voted = set(
        db.session.scalars(
            select(Participation.delegate_id)
            .join(Resolution, Resolution.id == Participation.resolution_id)
            .where(
                Resolution.assembly_id == assembly.id,
                Participation.cast_by_id == Participation.delegate_id,
                Participation.delegate_id.in_([d.id for d in delegates]),
            )
        )
    )
    return render_template(
        "assembly/roll.html",
        assembly=assembly,
        delegates=delegates,
        voted=voted,
        page=page,
        per_page=ROLL_PAGE,
        proxies=proxies,
        given=given,
        proxy_form=proxy_form or ProxyForm(),
        labels=_Labels(),
    ), status


@bp.get("/<int:assembly_id>/roll")
@role_required(Role.ORGANISER)
def roll(assembly_id):
    """The roll: record who is present, remote or represented."""
    return _roll(_assembly(assembly_id))


@bp.post("/<int:assembly_id>/delegates/<int:delegate_id>/presence")
@role_required(Role.ORGANISER)
def presence(assembly_id, delegate_id):
    """Record one delegate's presence."""
    assembly = _assembly(assembly_id)
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.assembly_id != assembly.id:
        abort(404)
    try:
        services.record_presence(
            current_user, delegate, request.form.get("presence", ""), now=utcnow()
        )
    except RuleError as error:
        refuse(error)
        return _back(assembly, ".roll")
    flash(_("%(name)s: presence recorded.", name=delegate.name), "success")
    return redirect(url_for(".roll", assembly_id=assembly.id, _anchor=f"d{delegate.id}"), 303)


@bp.post("/<int:assembly_id>/proxies")
@role_required(Role.ORGANISER)
def give_proxy(assembly_id):
    """Record a proxy given by one delegate to another."""
    assembly = _assembly(assembly_id)
    form = ProxyForm()
    if not form.validate_on_submit():
        return _roll(assembly, form, 422)
    giver = services.find_delegate(assembly, form.giver.data)
    holder = services.find_delegate(assembly, form.holder.data)
    if giver is None:
        form.giver.errors.append(_("No delegate has this identifier."))
    if holder is None:
        form.holder.errors.append(_("No delegate has this identifier."))
    if giver is None or holder is None:
        return _roll(assembly, form, 422)
    try:
        services.give_proxy(current_user, assembly, giver, holder, now=utcnow())
    except RuleError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _roll(_assembly(assembly_id), form, 422)
    flash(_("The proxy is recorded."), "success")
    return _back(assembly, ".roll")


@bp.post("/<int:assembly_id>/proxies/<int:proxy_id>/revoke")
@role_required(Role.ORGANISER)
def revoke_proxy(assembly_id, proxy_id):
    """End a proxy."""
    assembly = _assembly(assembly_id)
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None or proxy.assembly_id != assembly.id:
        abort(404)
    try:
        services.revoke_proxy(current_user, proxy, now=utcnow())
    except RuleError as error:
        refuse(error)
        return _back(assembly, ".roll")
    flash(_("The proxy has ended."), "success")
    return _back(assembly, ".roll")


# --------------------------------------------------------------------------- voting


def _receipts() -> dict:
    """The tracking code of the vote just stored, keyed "resolution:delegate"."""
    receipt = session.get(RECEIPT_KEY)
    return {receipt["key"]: receipt["code"]} if receipt else {}


def _ballot_page(assembly, delegate, status=200, errors=None):
    """The delegate's voting page.

    The receipt leaves the session once the page that shows it is built (the cookie does not
    keep how or whether codes were received); a page that fails on the way keeps it for the next.
    """
    labels = _Labels()
    page = render_template(
        "assembly/vote.html",
        assembly=assembly,
        delegate=delegate,
        mandates=services.mandates_of(delegate),
        receipts=_receipts(),
        errors=errors or {},
        labels=labels,
        #: each choice's value and label, as the ballot's radio buttons print them
        choices=[(choice.value, labels["choice"][choice]) for choice in rules.Choice],
        cast_decision=lambda existing, by_self, allow: (
            rules.cast_decision(existing, by_self, allow).value
        ),
    )
    if RECEIPT_KEY in session:
        # Should the request still fail (its commit), the 503 page puts the session back.
        g.setdefault("session_before", copy.deepcopy(dict(session)))
        session.pop(RECEIPT_KEY)
    return page, status


@bp.get("/<int:assembly_id>/vote")
@role_required(Role.DELEGATE)
def vote(assembly_id):
    """The ballots open to this delegate: their own vote and each proxy they carry."""
    delegate = services.roll_line(current_user, assembly_id)
    if delegate is None:
        _assembly(assembly_id)  # 404 for an assembly that does not exist
        abort(403)
    return _ballot_page(delegate.assembly, delegate)


@bp.post("/<int:assembly_id>/resolutions/<int:resolution_id>/vote")
@role_required(Role.DELEGATE)
def cast(assembly_id, resolution_id):
    """Cast one ballot for one mandate; the page shows the tracking code."""
    target = services.cast_target(current_user, assembly_id, resolution_id) or abort(404)
    resolution, delegate = target.resolution, target.caster or abort(403)
    assembly = resolution.assembly
    mandate_id = int_or_none(request.form.get("mandate"))
    mandate = db.session.get(Delegate, mandate_id) if mandate_id is not None else None
    if mandate is None or mandate.assembly_id != assembly.id:
        abort(404)
    grades = None
    if resolution.kind == "wordings":
        grades = [request.form.get(f"grade-{w.id}", "") for w in resolution.wordings]
        if not all(g.isdigit() for g in grades):
            grades = []
    try:
        code = services.cast(
            current_user,
            resolution,
            mandate,
            choice=request.form.get("choice"),
            grades=grades,
            now=utcnow(),
            caster=delegate,
            gives_proxy=target.gives_proxy,
        )
    except RuleError as error:
        db.session.rollback()
        if db.session.get(Resolution, resolution_id).status != "open":
            flash(error.message, "error")  # the ballot is no longer on the page
        return _ballot_page(
            _assembly(assembly_id), delegate, 422, {(resolution.id, mandate.id): error.message}
        )
    # The receipt is handed over only once the ballot is durably stored; nothing is read after.
    key = f"{resolution.id}:{mandate.id}"
    target = url_for(".vote", assembly_id=assembly.id, _anchor=f"r{resolution.id}-m{mandate.id}")
    commit(_l("Your vote was not recorded: the database did not confirm it. Vote again."))
    session[RECEIPT_KEY] = {"key": key, "code": code}
    return redirect(target, 303)


# --------------------------------------------------------------------------- results


CODES_PAGE = 500


@bp.get("/<int:assembly_id>/codes")
def codes(assembly_id):
    """The published tracking codes of closed resolutions, with a look-up (public after close)."""
    assembly = _assembly(assembly_id)
    refused = _guard_results(assembly)
    if refused is not None:
        return refused
    query = request.args.get("code", "").strip()[:40]
    found = services.find_code(assembly, query) if query else None
    closed = [r for r in assembly.resolutions if r.status == "closed"]
    wanted = request.args.get("resolution", "")
    selected = next((r for r in closed if str(r.position) == wanted), closed[0] if closed else None)
    page = page_arg()
    ballots, total = services.ballots_page(selected, page, CODES_PAGE) if selected else ([], 0)
    return render_template(
        "assembly/codes.html",
        assembly=assembly,
        closed=closed,
        selected=selected,
        ballots=ballots,
        total=total,
        page=page,
        per_page=CODES_PAGE,
        query=query,
        found=found,
        labels=_Labels(),
    )


@bp.get("/<int:assembly_id>/minutes")
def minutes(assembly_id):
    """The minutes (procès-verbal): public after the close, printable."""
    assembly = _assembly(assembly_id)
    refused = _guard_results(assembly)
    if refused is not None:
        return refused
    return render_template(
        "assembly/minutes.html",
        assembly=assembly,
        results=services.results(assembly),
        ruleset=services.rule_set(assembly),
        labels=_Labels(),
        log_length=len(services.log_entries(assembly)),
    )


CSV_COLUMNS = [
    "position",
    "title",
    "category",
    "kind",
    "status",
    "in_office",
    "present",
    "represented",
    "remote",
    "quorum",
    "quorum_required",
    "quorum_reached",
    "for",
    "against",
    "abstention",
    "blank",
    "majority_base",
    "majority_base_value",
    "majority",
    "required_for",
    "chosen_wording",
    "outcome",
]


@bp.get("/<int:assembly_id>/results.csv")
def results_csv(assembly_id):
    """One line per resolution, the figures of the minutes."""
    assembly = _assembly(assembly_id)
    refused = _guard_results(assembly)
    if refused is not None:
        return refused

    rows = []
    for item in services.results(assembly)["resolutions"]:
        result = item["result"] or {}
        decision = result.get("decision", {})
        values = {
            "position": item["position"],
            "title": item["title"],
            "category": item["category"],
            "kind": item["kind"],
            "status": item["status"],
            **result.get("attendance", {}),
            "quorum": decision.get("quorum", result.get("quorum")),
            "quorum_required": decision.get("quorum_required", result.get("quorum_required")),
            "quorum_reached": decision.get("quorum_reached", result.get("quorum_reached")),
            **result.get("counts", {}),
            "majority_base": decision.get("majority_base"),
            "majority_base_value": decision.get("majority_base_value"),
            "majority": decision.get("majority"),
            "required_for": decision.get("required_for"),
            "chosen_wording": result.get("chosen"),
            "outcome": result.get("outcome"),
        }
        rows.append([values.get(column) for column in CSV_COLUMNS])
    return Response(
        csv_text(CSV_COLUMNS, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=assembly-{assembly.id}.csv"},
    )
