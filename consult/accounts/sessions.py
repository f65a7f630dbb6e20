"""Sign-in sessions kept in the database: started at sign-in, checked on every request, ended
by signing out, from the sessions page, or by a new password."""

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import lazyload

from consult.accounts.models import SignInSession, User, UserRole
from consult.core import audit, facts
from consult.extensions import db

#: How stale `last_seen_at` may get before a request writes it again (one write per few
#: minutes, not one per request).
SEEN_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    """Only a hash of the cookie's token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, *, now: datetime, remember: bool = False, user_agent: str = "") -> str:
    """Open a session for a person who just proved who they are; return the cookie's token."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        SignInSession(
            user_id=user.id,
            token_hash=_hash(token),
            remember=remember,
            user_agent=(user_agent or "")[:200],
            created_at=now,
            last_seen_at=now,
        )
    )
    db.session.flush()
    user.session_token = token
    return token


def _lifetime(remember: bool) -> timedelta:
    """How long a session may stay unused: the remember-me duration, or SESSION_IDLE_HOURS."""
    if remember:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    return timedelta(hours=current_app.config["SESSION_IDLE_HOURS"])


@functools.cache
def _sign_in_query(_registered: tuple):
    """The statement `load` sends, built once for the facts registered (`_registered`, the key;
    its values are bound parameters): the session's row, its person, the names of their roles in
    one column (one row, not one per role to load as objects), and every registered fact about
    them."""
    roles = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id)
        .scalar_subquery()
    )
    return (
        select(
            SignInSession.id,
            SignInSession.remember,
            SignInSession.last_seen_at,
            User,
            roles,
            *facts.columns(User.id),
        )
        .join(User, User.id == SignInSession.user_id)
        .where(
            SignInSession.token_hash == bindparam("token_hash"),
            SignInSession.user_id == bindparam("user_id"),
            SignInSession.ended_at.is_(None),
        )
        .options(lazyload(User.roles), lazyload(User.population), lazyload(User.region))
    )


def load(user_id: int, token: str, *, now: datetime) -> User | None:
    """The person a cookie signs in, when its session is active and not expired.

    One query per request: the session's row, its person and their roles' names together, and the
    facts every page's navigation asks about them (consult.core.facts): nothing is loaded again
    later in the request, nor after its commit (their population and region only on the pages
    that show them).
    """
    if not token:
        return None
    values = {"token_hash": _hash(token), "user_id": user_id}
    found = db.session.execute(_sign_in_query(facts.registered()), values).first()
    if found is None:
        return None
    session_id, remember, last_seen_at, user, roles, *answers = found
    if last_seen_at + _lifetime(remember) < now:
        return None
    if now - last_seen_at > SEEN_EVERY:
        db.session.execute(
            update(SignInSession).where(SignInSession.id == session_id).values(last_seen_at=now)
        )
    user.session_token = token
    user.loaded_role_names = frozenset(roles.split(",")) if roles else frozenset()
    facts.keep(user, answers)
    return user


def current(user: User) -> SignInSession | None:
    """The session the person is using now."""
    if not user.session_token:
        return None
    return db.session.scalar(
        select(SignInSession).where(SignInSession.token_hash == _hash(user.session_token))
    )


def active(user: User, *, now: datetime) -> list[SignInSession]:
    """The person's sessions that still sign them in, most recently used first."""
    rows = db.session.scalars(
        select(SignInSession)
        .where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
    )
    return [row for row in rows if row.last_seen_at + _lifetime(row.remember) >= now]


def end(user: User, session_id: int, *, now: datetime) -> bool:
    """End one of the person's own sessions; False when it is not theirs or already ended."""
    row = db.session.get(SignInSession, session_id)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return False
    row.ended_at = now
    audit.record(user, "accounts.session_end", user, now=now, after={"session": row.id})
    return True


def end_current(user: User, *, now: datetime) -> None:
    """Sign-out: the session in use stops working, and so does any copy of its cookie."""
    row = current(user)
    if row is not None and row.ended_at is None:
        row.ended_at = now


def end_others(user: User, *, now: datetime) -> int:
    """End every session of the person but the one in use (new password, "sign out elsewhere")."""
    keep = current(user)
    query = update(SignInSession).where(
        SignInSession.user_id == user.id, SignInSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(SignInSession.id != keep.id)
    return db.session.execute(query.values(ended_at=now)).rowcount
