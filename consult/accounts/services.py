"""Accounts: sign-in, roles, profiles, invitation and password-reset links."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from consult.accounts import rules, sessions
from consult.accounts.models import AccountToken, Population, Region, User, UserRole
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.permissions import Role
from consult.extensions import db


def find_user_by_email(email: str) -> User | None:
    """The account with this e-mail address (case-insensitive), if any."""
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def find_users_by_email(emails: list[str]) -> dict[str, User]:
    """The existing accounts among these (normalised) addresses, by address: one query per
    thousand, so that an import of 100,000 lines neither loads every account nor sends one
    huge IN list."""
    found: dict[str, User] = {}
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        found.update(
            (u.email, u) for u in db.session.scalars(select(User).where(User.email.in_(chunk)))
        )
    return found


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """The active account matching these credentials, or None (never says which part was wrong).

    An unknown address costs the same hash as a known one, so the answer's timing does not tell
    which addresses have an account.
    """
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        _spend_a_hash(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = now
    return user


def _spend_a_hash(password: str) -> None:
    """Check a password against a throw-away hash made with the configured method."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _THROWAWAY_HASHES:
        _THROWAWAY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_THROWAWAY_HASHES[method], password)


#: One throw-away hash per hashing method, made once per process.
_THROWAWAY_HASHES: dict[str, str] = {}


def create_user(
    email: str,
    *,
    now: datetime,
    password: str | None = None,
    roles=(Role.PARTICIPANT,),
    display_name: str = "",
    population: Population | None = None,
    gender_form: str = "n",
    age_band: str | None = None,
    region: Region | None = None,
) -> User:
    """Create an account; refuse a second account with the same e-mail address."""
    try:
        email = rules.normalise_email(email)
    except ValueError:
        raise RuleError(_l("This e-mail address is not valid."), field="email") from None
    if find_user_by_email(email) is not None:
        raise RuleError(_l("An account already exists with this e-mail address."), field="email")
    user = User(
        email=email,
        display_name=display_name,
        population=population,
        gender_form=gender_form,
        age_band=age_band,
        region=region,
        created_at=now,
    )
    if password is not None:
        problem = rules.password_problem(password, rules.personal_words(email, display_name))
        if problem:
            raise RuleError(problem, field="password")
        user.set_password(password)
    user.roles = [UserRole(role=str(role)) for role in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.flush()
    return user


def set_roles(actor: User, user: User, roles, *, now: datetime) -> None:
    """Replace a person's roles; an administrator cannot remove their own administrator role."""
    wanted = {str(Role(r)) for r in roles}
    if (
        user.id == actor.id
        and Role.ADMINISTRATOR in user.role_names
        and (Role.ADMINISTRATOR not in wanted)
    ):
        raise RuleError(_l("You cannot remove your own administrator role."))
    before = sorted(user.role_names)
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.role_names)
    ]
    db.session.flush()
    audit.record(
        actor,
        "accounts.roles",
        user,
        now=now,
        before={"roles": before},
        after={"roles": sorted(wanted)},
    )


def set_active(actor: User, user: User, active: bool, *, now: datetime) -> None:
    """Deactivate or reactivate an account (nothing the person wrote is deleted)."""
    if user.id == actor.id and not active:
        raise RuleError(_l("You cannot deactivate your own account."))
    if not active:
        sessions.end_others(user, now=now)  # a deactivated account is signed out everywhere
    audit.record(
        actor,
        "accounts.active",
        user,
        now=now,
        before={"active": user.active},
        after={"active": active},
    )
    user.active = active


def save_profile(
    user: User,
    *,
    gender_form: str,
    age_band: str | None,
    region: Region | None,
    consent: bool,
    now: datetime,
) -> None:
    """Record the profile quotes are attributed by; consent is required the first time.

    The population is not the person's to choose: it comes from the invitation, the import or
    an organiser (`set_population`), since internal consultations and participation rates rest
    on it. A person edits what the organisation leaves to them: form, age band, region.
    """
    if not consent:
        raise RuleError(_l("Please accept the use of your profile to take part."), field="consent")
    if gender_form not in rules.GENDER_FORMS:
        raise RuleError(_l("Choose a form from the list."), field="gender_form")
    if age_band is not None and age_band not in rules.AGE_BANDS:
        raise RuleError(_l("Choose an age band from the list."), field="age_band")
    user.gender_form = gender_form
    user.age_band = age_band
    user.region = region
    if user.profile_consented_at is None:
        user.profile_consented_at = now


def set_population(actor: User, user: User, population: Population | None, *, now: datetime):
    """An administrator files a person under a population (audited); contributions already
    written keep the population they were written with."""
    before = user.population.code if user.population else None
    after = population.code if population else None
    if before == after:
        return
    user.population = population
    audit.record(
        actor,
        "accounts.population_of",
        user,
        now=now,
        before={"population": before},
        after={"population": after},
    )


def _token_hash(token: str) -> str:
    """Only a hash of a link's token is stored, so a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User, purpose: str, *, now: datetime, valid_for: timedelta, note: str | None = None
) -> str:
    """Create a single-use link token; earlier unused links of that kind stop working."""
    for old in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user=user,
            purpose=purpose,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + valid_for,
            note=note,
        )
    )
    db.session.flush()
    return token


def peek_token(token: str, purpose: str, *, now: datetime) -> AccountToken:
    """The valid token for this link, or a clear refusal (unknown, used or expired)."""
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _token_hash(token or ""), AccountToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None:
        raise RuleError(_l("This link is not valid or has already been used."))
    if row.expires_at <= now:
        raise RuleError(_l("This link has expired: ask for a new one."))
    if not row.user.active:
        raise RuleError(_l("This account is deactivated."))
    return row


def redeem_token(token: str, purpose: str, password: str, *, now: datetime) -> User:
    """Use a link once to set a password; the link never works again."""
    row = peek_token(token, purpose, now=now)
    problem = rules.password_problem(password, _personal_words(row.user))
    if problem:
        raise RuleError(problem, field="password")
    row.used_at = now
    row.user.set_password(password)
    sessions.end_others(row.user, now=now)  # a reset after a stolen password locks the thief out
    db.session.flush()
    return row.user


def _personal_words(user: User) -> list[str]:
    """The person's address and name, which make weak passwords for them."""
    return rules.personal_words(user.email, user.display_name)


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """A signed-in person chooses a new password; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise RuleError(_l("This is not your current password."), field="current")
    problem = rules.password_problem(new, user_inputs=_personal_words(user))
    if problem:
        raise RuleError(problem, field="password")
    user.set_password(new)
    ended = sessions.end_others(user, now=now)
    audit.record(user, "accounts.password_change", user, now=now, after={"sessions_ended": ended})


def reinvite(actor: User, user: User, *, now: datetime, valid_for: timedelta) -> str:
    """A fresh invitation link for someone who never chose a password (the old link stops)."""
    if user.password_hash is not None:
        raise RuleError(_l("This person has already chosen a password."))
    if not user.active:
        raise RuleError(_l("This account is deactivated."))
    token = issue_token(user, "invitation", now=now, valid_for=valid_for)
    audit.record(actor, "accounts.reinvite", user, now=now)
    return token


def save_population(
    actor: User,
    population: Population | None,
    *,
    code: str,
    name: str,
    label_feminine: str,
    label_masculine: str,
    label_neutral: str,
    internal: bool,
    now: datetime,
) -> Population:
    """Create or edit a population; its code is what CSV files and imports refer to."""
    code = (code or "").strip().lower()
    if not rules.is_population_code(code):
        raise RuleError(
            _l("The code uses lower-case letters, digits and dashes (e.g. “member”)."),
            field="code",
        )
    clash = db.session.scalar(select(Population).where(Population.code == code))
    if clash is not None and clash is not population:
        raise RuleError(_l("Another population already uses this code."), field="code")
    labels = {
        "name": name,
        "label_feminine": label_feminine,
        "label_masculine": label_masculine,
        "label_neutral": label_neutral,
    }
    for field, value in labels.items():
        if not (value or "").strip():
            raise RuleError(_l("This field is required."), field=field)
    if population is None:
        position = db.session.scalar(select(func.count()).select_from(Population))
        population = Population(position=position)
        db.session.add(population)
    before = {"code": population.code, "name": population.name}
    population.code = code
    for field, value in labels.items():
        setattr(population, field, value.strip())
    population.internal = internal
    db.session.flush()
    audit.record(
        actor,
        "accounts.population",
        population,
        now=now,
        before=before,
        after={"code": code, "name": population.name},
    )
    return population


def save_region(actor: User, region: Region | None, *, name: str, now: datetime) -> Region:
    """Create or rename a region (names must be unique; reports may use pre-2016 names)."""
    name = (name or "").strip()
    if not name:
        raise RuleError(_l("Give the region a name."), field="name")
    clash = db.session.scalar(select(Region).where(func.lower(Region.name) == name.lower()))
    if clash is not None and clash is not region:
        raise RuleError(_l("This region already exists."), field="name")
    if region is None:
        position = db.session.scalar(select(func.count()).select_from(Region))
        region = Region(position=position)
        db.session.add(region)
    before = {"name": region.name}
    region.name = name[:120]
    db.session.flush()
    audit.record(actor, "accounts.region", region, now=now, before=before, after={"name": name})
    return region
