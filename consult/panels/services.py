"""Citizen panels: recruitment, quotas, the committed draw, invitations, replacements, follow-up."""

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.accounts import services as accounts
from consult.accounts.models import Population, User
from consult.accounts.rules import normalise_email as valid_email
from consult.core import audit, facts
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.core.sanitize import clean_html
from consult.extensions import db
from consult.panels import rules
from consult.panels.draw import Lottery, committed_lottery, draw_from_lottery, infeasibilities
from consult.panels.models import (
    Panel,
    PanelDocument,
    PanelDraw,
    PanelFeature,
    PanelFeatureValue,
    PanelProject,
    PanelQuota,
    PanelSeat,
    PanelSession,
    PanelVolunteer,
    QuestionnaireResponse,
    VolunteerValue,
)

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- messages -----------------------------------------------------------------------------------


def constraint_message(constraint: rules.Constraint):
    """A French sentence naming the quota that makes a draw impossible, with its figures."""
    c = constraint
    if c.kind == "min_above_max":
        return _l(
            "Panel %(panel)s: the minimum for %(feature)s = %(value)s (%(min)d) is above its "
            "maximum (%(max)d).",
            panel=c.panel,
            feature=c.feature,
            value=c.value,
            min=c.needed,
            max=c.available,
        )
    if c.kind == "minimums_exceed_size":
        return _l(
            "Panel %(panel)s: the minimums for %(feature)s add up to %(n)d, more than the "
            "%(seats)d seats.",
            panel=c.panel,
            feature=c.feature,
            n=c.needed,
            seats=c.available,
        )
    if c.kind == "maximums_below_size":
        return _l(
            "Panel %(panel)s: the maximums for %(feature)s add up to %(n)d, fewer than the "
            "%(seats)d seats.",
            panel=c.panel,
            feature=c.feature,
            n=c.available,
            seats=c.needed,
        )
    if c.kind == "not_enough_volunteers":
        return _l(
            "The panels need at least %(n)d volunteers with %(feature)s = %(value)s; the pool has "
            "%(available)d.",
            n=c.needed,
            feature=c.feature,
            value=c.value,
            available=c.available,
        )
    if c.kind == "pool_too_small":
        return _l(
            "The panels have %(seats)d seats; the pool has %(n)d volunteers.",
            seats=c.needed,
            n=c.available,
        )
    parts = "; ".join(
        f"{panel} : {feature} = {value} {'≥' if sense == 'min' else '≤'} {number}"
        for panel, feature, value, sense, number in c.bounds
    )
    return _l("These quotas cannot all be met together: %(bounds)s.", bounds=parts)


# --- projects, features, panels, quotas ---------------------------------------------------------


def _require_recruiting(project: PanelProject) -> None:
    """Features, panels, quotas and the pool change only before the commitment."""
    if project.status != "recruiting":
        raise RuleError(_l("The pool and quotas are committed: they can no longer change."))


def save_project(
    actor: User,
    project: PanelProject | None,
    *,
    title: str,
    description: str,
    method: str,
    consultation_id: int | None,
    now: datetime,
) -> PanelProject:
    """Create or update a panel project's settings."""
    title = (title or "").strip()
    if not title:
        raise RuleError(_l("Give the project a title."), field="title")
    if method not in rules.METHODS:
        raise RuleError(_l("Unknown draw method."), field="method")
    if project is None:
        project = PanelProject(created_at=now, created_by_id=actor.id, status="recruiting")
        db.session.add(project)
    elif project.method != method and project.status != "recruiting":
        raise RuleError(
            _l("The draw method is committed: it can no longer change."), field="method"
        )
    project.title = title[:200]
    project.description = clean_html(description)
    project.method = method
    project.consultation_id = consultation_id
    db.session.flush()
    audit.record(actor, "panels.save_project", project, now=now, after={"title": project.title})
    return project


def slug(text: str) -> str:
    """A code from a label: ASCII lower case, digits and dashes ("Pays de la Loire" → ...)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60]


def add_feature(
    actor: User, project: PanelProject, *, label: str, values_text: str, now: datetime
) -> PanelFeature:
    """Add a profile feature with its values, one per line ("label" or "code = label")."""
    _require_recruiting(project)
    if db.session.scalar(select(PanelVolunteer.id).where(PanelVolunteer.project_id == project.id)):
        raise RuleError(_l("Volunteers have already applied: the features can no longer change."))
    label = (label or "").strip()
    code = slug(label)
    if not code:
        raise RuleError(_l("Give the feature a name."), field="label")
    if any(f.code == code for f in project.features):
        raise RuleError(_l("This feature already exists."), field="label")
    values = []
    for line in (values_text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        value_code, _, value_label = line.partition("=") if "=" in line else ("", "", line)
        value_label = value_label.strip()
        value_code = slug(value_code or value_label)
        if not value_code or not value_label:
            raise RuleError(_l("Each value needs a label."), field="values")
        if value_code in {v[0] for v in values}:
            raise RuleError(
                _l("The value “%(value)s” appears twice.", value=value_label), field="values"
            )
        values.append((value_code, value_label[:200]))
    if len(values) < 2:
        raise RuleError(_l("A feature needs at least two values."), field="values")
    feature = PanelFeature(
        project=project, code=code[:40], label=label[:200], position=len(project.features)
    )
    feature.values = [
        PanelFeatureValue(code=c, label=lbl, position=i) for i, (c, lbl) in enumerate(values)
    ]
    db.session.add(feature)
    db.session.flush()
    audit.record(actor, "panels.add_feature", feature, now=now, after={"code": feature.code})
    return feature


def delete_feature(actor: User, feature: PanelFeature, *, now: datetime) -> None:
    """Remove a feature (and its quotas) while nobody has applied yet."""
    project = feature.project
    _require_recruiting(project)
    if db.session.scalar(select(PanelVolunteer.id).where(PanelVolunteer.project_id == project.id)):
        raise RuleError(_l("Volunteers have already applied: the features can no longer change."))
    audit.record(actor, "panels.delete_feature", feature, now=now, before={"code": feature.code})
    db.session.delete(feature)
    db.session.flush()


def add_panel(
    actor: User, project: PanelProject, *, name: str, size: int, place: str, now: datetime
) -> Panel:
    """Add a panel (a group of citizens meeting in one place)."""
    _require_recruiting(project)
    name = (name or "").strip()
    if not name:
        raise RuleError(_l("Give the panel a name."), field="name")
    if any(p.name == name for p in project.panels):
        raise RuleError(_l("A panel already has this name."), field="name")
    if not size or not 1 <= size <= 500:
        raise RuleError(_l("A panel has between 1 and 500 seats."), field="size")
    panel = Panel(
        project=project,
        name=name[:120],
        size=size,
        place=(place or "").strip()[:300],
        position=len(project.panels),
    )
    db.session.add(panel)
    db.session.flush()
    audit.record(actor, "panels.add_panel", panel, now=now, after={"name": name, "size": size})
    return panel


def delete_panel(actor: User, panel: Panel, *, now: datetime) -> None:
    """Remove a panel before the commitment."""
    _require_recruiting(panel.project)
    audit.record(actor, "panels.delete_panel", panel, now=now, before={"name": panel.name})
    db.session.delete(panel)
    db.session.flush()


def set_quotas(
    actor: User,
    panel: Panel,
    bounds: dict[int, tuple[int | None, int | None]],
    *,
    apply_to_all: bool,
    now: datetime,
) -> None:
    """Replace a panel's quotas (value id → (min, max); both empty means no quota).

    With ``apply_to_all`` every panel of the project gets the same quotas.
    """
    project = panel.project
    _require_recruiting(project)
    known = {v.id: v for f in project.features for v in f.values}
    cleaned: dict[int, tuple[int, int]] = {}
    for value_id, (low, high) in bounds.items():
        if value_id not in known:
            raise RuleError(_l("Unknown feature value."))
        if low is None and high is None:
            continue
        low = 0 if low is None else low
        value = known[value_id]
        if low < 0 or (high is not None and high < 0):
            raise RuleError(_l("Quotas cannot be negative."))
        if high is not None and high < low:
            raise RuleError(
                _l(
                    "%(feature)s = %(value)s: the minimum (%(min)d) is above the maximum "
                    "(%(max)d).",
                    feature=value.feature.label,
                    value=value.label,
                    min=low,
                    max=high,
                )
            )
        cleaned[value_id] = (low, high)
    targets = project.panels if apply_to_all else [panel]
    for target in targets:
        for quota in list(target.quotas):
            db.session.delete(quota)
        db.session.flush()
        for value_id, (low, high) in cleaned.items():
            top = target.size if high is None else min(high, 500)
            if low > target.size:
                raise RuleError(
                    _l(
                        "Panel %(panel)s has %(seats)d seats: a minimum of %(min)d cannot be met.",
                        panel=target.name,
                        seats=target.size,
                        min=low,
                    )
                )
            db.session.add(PanelQuota(panel=target, value_id=value_id, minimum=low, maximum=top))
    db.session.flush()
    audit.record(
        actor,
        "panels.set_quotas",
        panel,
        now=now,
        after={"quotas": {str(k): list(v) for k, v in cleaned.items()}, "all": apply_to_all},
    )


# --- volunteers ---------------------------------------------------------------------------------


@dataclass
class Application:
    """What a volunteer gives on the public form."""

    first_name: str
    last_name: str
    email: str
    birth_year: int
    postcode: str
    is_member: bool
    values: dict[int, int]  # feature id -> value id
    consent_contact: bool
    consent_profile: bool


def _new_key(project: PanelProject) -> str:
    """A fresh pseudonymous key, unique in the project ("V-7K2Q9D")."""
    taken = set(
        db.session.scalars(
            select(PanelVolunteer.key).where(PanelVolunteer.project_id == project.id)
        )
    )
    while True:
        key = "V-" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(6))
        if key not in taken:
            return key


def volunteer(project: PanelProject, application: Application, *, now: datetime):
    """Register a volunteer from the public form; returns (volunteer, created).

    An address that already applied gets the same answer as a new one (no way to learn who
    volunteered), and nothing changes.
    """
    if project.status != "recruiting":
        raise RuleError(_l("Applications for these panels are closed."))
    if not (application.consent_contact and application.consent_profile):
        raise RuleError(
            _l("Both consents are needed to take part in the draw."), field="consent_profile"
        )
    try:
        email = valid_email(application.email)
    except ValueError:
        raise RuleError(_l("This e-mail address is not valid."), field="email") from None
    first, last = application.first_name.strip(), application.last_name.strip()
    postcode = application.postcode.strip()
    if not first or not last:
        raise RuleError(_l("Give your first and last names."), field="last_name")
    if not re.fullmatch(r"[0-9A-Za-z -]{2,10}", postcode):
        raise RuleError(_l("Give a postcode such as 44000."), field="postcode")
    year = rules.birth_year_problem(str(application.birth_year), now.year)
    if not isinstance(year, int):
        raise RuleError(year, field="birth_year")
    chosen = {}
    for feature in project.features:
        value_id = application.values.get(feature.id)
        if value_id not in {v.id for v in feature.values}:
            raise RuleError(_l("Answer every question about your profile."), field=feature.code)
        chosen[feature.id] = value_id
    existing = db.session.scalar(
        select(PanelVolunteer).where(
            PanelVolunteer.project_id == project.id, PanelVolunteer.email == email
        )
    )
    if existing is not None:
        return existing, False
    person = PanelVolunteer(
        project_id=project.id,
        key=_new_key(project),
        first_name=first[:100],
        last_name=last[:100],
        email=email,
        birth_year=year,
        postcode=postcode.upper(),
        is_member=application.is_member,
        consent_contact_at=now,
        consent_profile_at=now,
        source="form",
        created_at=now,
    )
    person.values = [VolunteerValue(feature_id=f, value_id=v) for f, v in chosen.items()]
    try:
        with db.session.begin_nested():
            db.session.add(person)
    except IntegrityError:
        # the same address sent twice at once: the first one won
        return db.session.scalar(
            select(PanelVolunteer).where(
                PanelVolunteer.project_id == project.id, PanelVolunteer.email == email
            )
        ), False
    audit.record(None, "panels.volunteer", person, now=now, after={"key": person.key})
    return person, True


def set_excluded(
    actor: User, person: PanelVolunteer, excluded: bool, *, reason: str = "", now: datetime
) -> None:
    """Leave a volunteer out of the draw (a duplicate, a withdrawal), or take them back."""
    _require_recruiting(person.project)
    if excluded:
        person.excluded_at = now
        person.excluded_reason = (reason or "").strip()[:300] or None
    else:
        person.excluded_at = None
        person.excluded_reason = None
    db.session.flush()
    audit.record(
        actor, "panels.exclude" if excluded else "panels.include", person, now=now, reason=reason
    )


def volunteers_of(project: PanelProject) -> list[PanelVolunteer]:
    """Every volunteer of a project, in order of application."""
    return list(
        db.session.scalars(
            select(PanelVolunteer)
            .where(PanelVolunteer.project_id == project.id)
            .order_by(PanelVolunteer.id)
        )
    )


def duplicates_of(people: list[PanelVolunteer]) -> list[rules.DuplicateGroup]:
    """Likely duplicates: same e-mail, or same name with birth year and postcode."""
    return rules.find_duplicates(
        [
            rules.Identity(p.key, p.email, p.first_name, p.last_name, p.birth_year, p.postcode)
            for p in people
        ]
    )


# --- the draw -------------------------------------------------------------------------------------


def specs_of(project: PanelProject) -> list[rules.PanelSpec]:
    """The panels and their quotas as the draw sees them (codes, not ids)."""
    specs = []
    for panel in project.panels:
        quotas = tuple(
            rules.Quota(q.value.feature.code, q.value.code, q.minimum, q.maximum)
            for q in panel.quotas
        )
        specs.append(rules.PanelSpec(panel.name, panel.size, quotas))
    return specs


def _as_draw_volunteer(project: PanelProject, person: PanelVolunteer) -> rules.Volunteer | None:
    """A volunteer as the draw sees them, or None when a feature value is missing."""
    codes = {f.id: f.code for f in project.features}
    values = {codes[v.feature_id]: v.value.code for v in person.values if v.feature_id in codes}
    if len(values) != len(codes):
        return None
    return rules.Volunteer.of(person.key, values)


def eligible_pool(project: PanelProject) -> list[rules.Volunteer]:
    """Who may be drawn: not a member, not excluded, profile complete, never drawn before."""
    seated = set(
        db.session.scalars(select(PanelSeat.volunteer_id).where(PanelSeat.project_id == project.id))
    )
    pool = []
    for person in volunteers_of(project):
        if person.is_member or person.excluded_at is not None or person.id in seated:
            continue
        entry = _as_draw_volunteer(project, person)
        if entry is not None:
            pool.append(entry)
    return pool


def feasibility(project: PanelProject) -> list:
    """The French reasons why the quotas cannot be met by the pool (empty when they can)."""
    if not project.panels:
        return [_l("Add at least one panel.")]
    try:
        found = infeasibilities(eligible_pool(project), specs_of(project))
    except rules.PanelInputError as error:
        return [str(error)]
    return [constraint_message(c) for c in found]


def pending_draw(project: PanelProject) -> PanelDraw | None:
    """The committed draw waiting for its seed, if any."""
    return next((d for d in project.draws if d.seed is None), None)


def compute_lottery_of(project, pool, specs, *, progress=None, stats=None) -> Lottery:
    """The lottery of these inputs, refused with a clear message when the quotas cannot be met.

    ``progress`` and ``stats`` go to the computation (see ``draw.compute_lottery``).
    """
    if not specs:
        raise RuleError(_l("Nothing to draw."))
    try:
        return committed_lottery(pool, specs, project.method, progress=progress, stats=stats)
    except rules.PanelInputError as error:
        raise RuleError(str(error)) from None
    except rules.InfeasibleQuotas as error:
        raise RuleError(constraint_message(error.constraints[0])) from None


def _commit(actor, project, pool, specs, *, now, lottery: Lottery | None = None) -> PanelDraw:
    """Compute the lottery (or take the one computed from these inputs in the background), then
    store and publish the inputs, their hash and the selection probabilities; the seed comes
    afterwards."""
    if lottery is None:
        lottery = compute_lottery_of(project, pool, specs)
    document = rules.canonical_inputs(pool, specs, project.method).decode("utf-8")
    record = PanelDraw(
        project_id=project.id,
        round=len(project.draws),
        inputs=document,
        commitment=rules.commitment(pool, specs, project.method),
        lottery=lottery.to_json(),
        committed_at=now,
    )
    db.session.add(record)
    db.session.flush()
    db.session.refresh(project)
    audit.record(
        actor,
        "panels.commit",
        record,
        now=now,
        after={"round": record.round, "commitment": record.commitment, "pool": len(pool)},
    )
    return record


def committed_probabilities(record: PanelDraw) -> dict[str, float]:
    """The selection probabilities fixed at commitment time, by pseudonymous key."""
    if not record.lottery:  # committed before lotteries were stored
        return {}
    lottery = Lottery.from_json(record.lottery)
    return {k: float(round(p, 6)) for k, p in lottery.probabilities().items()}


def main_inputs(project: PanelProject) -> tuple[list[rules.Volunteer], list[rules.PanelSpec]]:
    """The pool and the panels of the main draw (refused once it is committed)."""
    _require_recruiting(project)
    return eligible_pool(project), specs_of(project)


def commit_main_draw(
    actor: User, project: PanelProject, *, now: datetime, lottery: Lottery | None = None
) -> PanelDraw:
    """Freeze the pool and quotas, and publish their hash; the seed comes afterwards."""
    pool, specs = main_inputs(project)
    record = _commit(actor, project, pool, specs, now=now, lottery=lottery)
    project.status = "committed"
    db.session.flush()
    return record


def _token_hash(token: str) -> str:
    """Only a hash of an invitation token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def perform_draw(
    actor: User, project: PanelProject, seed: str, *, now: datetime
) -> list[tuple[PanelSeat, str]]:
    """Draw with the seed from exactly the committed inputs; seat and invite the drawn people.

    Returns each new seat with the token of its invitation link (the view e-mails it).
    """
    record = pending_draw(project)
    if record is None:
        raise RuleError(_l("Commit the pool and quotas before drawing."))
    seed = rules.normalise_seed(seed or "")
    if not seed:
        raise RuleError(_l("Enter the seed."), field="seed")
    if len(seed) > 200:
        raise RuleError(_l("The seed is at most 200 characters long."), field="seed")
    pool, specs, method = rules.parse_inputs_document(json.loads(record.inputs))
    if rules.commitment(pool, specs, method) != record.commitment:  # the document was altered
        raise RuleError(_l("The stored inputs no longer match the commitment."))
    result = draw_from_lottery(Lottery.from_json(record.lottery), record.commitment, seed)
    record.seed = seed
    record.drawn_at = now
    probabilities = result.lottery.probabilities()
    record.result = json.dumps(
        {
            "commitment": result.commitment,
            "seed": seed,
            "panels": {
                spec.name: list(keys) for spec, keys in zip(specs, result.panels, strict=True)
            },
            "probabilities": {k: float(round(p, 6)) for k, p in probabilities.items()},
            "smallest_probability": float(round(result.lottery.smallest_probability(), 6)),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    panels = {p.name: p for p in project.panels}
    people = {p.key: p for p in volunteers_of(project)}
    seats = []
    for spec, keys in zip(specs, result.panels, strict=True):
        panel = panels[spec.name]
        if record.round > 0:
            for seat in db.session.scalars(
                select(PanelSeat).where(
                    PanelSeat.panel_id == panel.id, PanelSeat.status == "declined"
                )
            ):
                seat.status = "replaced"
        for key in keys:
            token = secrets.token_urlsafe(24)
            seat = PanelSeat(
                project_id=project.id,
                panel_id=panel.id,
                volunteer_id=people[key].id,
                draw_id=record.id,
                status="invited",
                token_hash=_token_hash(token),
                invited_at=now,
            )
            db.session.add(seat)
            seats.append((seat, token))
    project.status = "drawn"
    db.session.flush()
    audit.record(actor, "panels.draw", record, now=now, after={"round": record.round, "seed": seed})
    return seats


def replacement_inputs(
    project: PanelProject,
) -> tuple[list[rules.Volunteer], list[rules.PanelSpec]]:
    """The pool and the panels of a replacement draw: the declined seats, with the quotas
    shifted by those who stay."""
    if project.status != "drawn":
        raise RuleError(_l("Replacements come after the draw."))
    if pending_draw(project) is not None:
        raise RuleError(_l("A committed draw is already waiting for its seed."))
    seats = seats_of(project)
    if not any(s.status == "declined" for s in seats):
        raise RuleError(_l("Nobody declined: there is no seat to fill."))
    kept: dict[str, list[rules.Volunteer]] = {}
    for seat in seats:
        if seat.status in ("invited", "accepted"):
            entry = _as_draw_volunteer(project, seat.volunteer)
            kept.setdefault(seat.panel.name, []).append(entry)
    try:
        specs = rules.replacement_specs(specs_of(project), kept)
    except rules.PanelInputError as error:
        raise RuleError(str(error)) from None
    return eligible_pool(project), specs


def commit_replacement(
    actor: User, project: PanelProject, *, now: datetime, lottery: Lottery | None = None
) -> PanelDraw:
    """Commit a replacement draw for declined seats: quotas shifted by those who stay."""
    pool, specs = replacement_inputs(project)
    return _commit(actor, project, pool, specs, now=now, lottery=lottery)


def seats_of(project: PanelProject) -> list[PanelSeat]:
    """Every seat of a project, by panel then drawing order."""
    return list(
        db.session.scalars(
            select(PanelSeat)
            .join(Panel)
            .where(PanelSeat.project_id == project.id)
            .order_by(Panel.position, PanelSeat.id)
        )
    )


def seat_by_token(token: str) -> PanelSeat | None:
    """The seat an invitation link points to."""
    return db.session.scalar(select(PanelSeat).where(PanelSeat.token_hash == _token_hash(token)))


def answer_invitation(seat: PanelSeat, accept: bool, *, now: datetime) -> str | None:
    """Accept or decline a seat; on acceptance, an account is opened for the panel page.

    Returns the account invitation token when a new account needs a password, else None.
    """
    status = rules.next_invitation_status(seat.status, "accept" if accept else "decline")
    if status is None:
        raise RuleError(_l("This invitation has already been answered."))
    if seat.panel.project.status == "closed":
        raise RuleError(_l("These panels are closed."))
    seat.status = status
    seat.answered_at = now
    token = None
    if accept:
        person = seat.volunteer
        user = person.user or accounts.find_user_by_email(person.email)
        if user is None:
            citizen = db.session.scalar(select(Population).where(Population.code == "citizen"))
            user = accounts.create_user(
                person.email,
                now=now,
                roles=(Role.PARTICIPANT,),
                display_name=f"{person.first_name} {person.last_name}"[:120],
                population=citizen,
            )
            token = accounts.issue_token(user, "invitation", now=now, valid_for=timedelta(days=30))
        person.user = user
        # They sit in a panel now: a page this request renders must show "My panel".
        facts.forget(user)
    db.session.flush()
    audit.record(None, "panels.accept" if accept else "panels.decline", seat, now=now)
    return token


def record_answer(actor: User, seat: PanelSeat, accept: bool, *, now: datetime) -> str | None:
    """An organiser records an answer given by phone or letter."""
    token = answer_invitation(seat, accept, now=now)
    audit.record(actor, "panels.record_answer", seat, now=now, after={"accept": accept})
    return token


# --- panel life ---------------------------------------------------------------------------------


def accepted_seat(user, panel: Panel) -> PanelSeat | None:
    """The person's accepted seat in this panel, if any."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(PanelSeat)
        .join(PanelVolunteer)
        .where(
            PanelSeat.panel_id == panel.id,
            PanelSeat.status == "accepted",
            PanelVolunteer.user_id == user.id,
        )
    )


def seats_of_user(user) -> list[PanelSeat]:
    """The panels a person accepted to sit in."""
    return list(
        db.session.scalars(
            select(PanelSeat)
            .join(PanelVolunteer)
            .where(PanelVolunteer.user_id == user.id, PanelSeat.status == "accepted")
            .order_by(PanelSeat.id)
        )
    )


def add_session(
    actor: User, panel: Panel, *, starts_at: datetime, place: str, agenda: str, now: datetime
) -> PanelSession:
    """Schedule a meeting of a panel."""
    place = (place or "").strip()
    if not place:
        raise RuleError(_l("Say where the session takes place."), field="place")
    if starts_at is None:
        raise RuleError(_l("Give the date and time."), field="starts_at")
    session = PanelSession(
        panel=panel, starts_at=starts_at, place=place[:300], agenda=(agenda or "").strip()
    )
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "panels.add_session", session, now=now)
    return session


def delete_session(actor: User, session: PanelSession, *, now: datetime) -> None:
    """Cancel a scheduled session."""
    audit.record(actor, "panels.delete_session", session, now=now)
    db.session.delete(session)
    db.session.flush()


def add_document(
    actor: User, project: PanelProject, *, title: str, url: str, summary: str, now: datetime
) -> PanelDocument:
    """Give every panellist a document (a link and a short summary)."""
    title, url = (title or "").strip(), (url or "").strip()
    if not title:
        raise RuleError(_l("Give the document a title."), field="title")
    if not re.fullmatch(r"https?://[^\s<>\"]{3,490}", url):
        raise RuleError(_l("Give a link starting with https://."), field="url")
    document = PanelDocument(
        project=project, title=title[:200], url=url, summary=(summary or "").strip()
    )
    db.session.add(document)
    db.session.flush()
    audit.record(actor, "panels.add_document", document, now=now)
    return document


def delete_document(actor: User, document: PanelDocument, *, now: datetime) -> None:
    """Withdraw a document."""
    audit.record(actor, "panels.delete_document", document, now=now)
    db.session.delete(document)
    db.session.flush()


def set_questionnaire_open(actor: User, project: PanelProject, is_open: bool, *, now: datetime):
    """Open or close the closing questionnaire."""
    if is_open and project.status not in ("drawn", "closed"):
        raise RuleError(_l("The questionnaire opens after the draw."))
    project.questionnaire_open = is_open
    db.session.flush()
    audit.record(actor, "panels.questionnaire", project, now=now, after={"open": is_open})


def own_response(seat: PanelSeat) -> QuestionnaireResponse | None:
    """The questionnaire a panellist already sent."""
    return db.session.scalar(
        select(QuestionnaireResponse).where(QuestionnaireResponse.seat_id == seat.id)
    )


def answer_questionnaire(
    seat: PanelSeat, *, satisfaction: int, wants_follow_up: bool, words: str, now: datetime
) -> QuestionnaireResponse:
    """Record a panellist's closing questionnaire, once."""
    if not seat.panel.project.questionnaire_open:
        raise RuleError(_l("The questionnaire is not open."))
    if satisfaction not in range(1, 6):
        raise RuleError(_l("Choose a grade from 1 to 5."), field="satisfaction")
    response = QuestionnaireResponse(
        seat_id=seat.id,
        satisfaction=satisfaction,
        wants_follow_up=bool(wants_follow_up),
        words=(words or "").strip()[:300],
        submitted_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        raise RuleError(_l("You have already answered the questionnaire.")) from None
    audit.record(None, "panels.questionnaire_answer", response, now=now)
    return response


def questionnaire_results(project: PanelProject) -> rules.QuestionnaireSummary:
    """The closing questionnaire's results for a project."""
    rows = db.session.scalars(
        select(QuestionnaireResponse)
        .join(PanelSeat)
        .where(PanelSeat.project_id == project.id)
        .order_by(QuestionnaireResponse.id)
    )
    return rules.summarise_questionnaire(
        [rules.QuestionnaireAnswer(r.satisfaction, r.wants_follow_up, r.words) for r in rows]
    )
