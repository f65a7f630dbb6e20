"""Personal access tokens: made and revoked by their owner, checked on every API request.

A request to /api/ that carries ``Authorization: Bearer <token>`` is authenticated by the token
alone, whatever session cookie the browser also sends: an unknown, expired or revoked token is a
401, and a token used outside its scopes (or on an endpoint no scope opens) a 403. A request
without the header keeps the session's identity, as before tokens existed.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select

from consult.api import rules
from consult.api.models import ApiToken
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db

#: Tokens one person may hold at once (revoked and expired ones do not count).
MAX_ACTIVE = 20
NAME_MAX = 100


def tokens_of(user) -> list[ApiToken]:
    """A person's tokens, newest first."""
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def create(actor, *, name: str | None, scopes, days, now: datetime) -> tuple[ApiToken, str]:
    """Make a token for ``actor``; returns it with its secret, which is never stored."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise RuleError(_l("Name the token (100 characters at most)."), field="name")
    chosen = rules.valid_scopes(scopes)
    if not chosen:
        raise RuleError(_l("Choose what the token may read."), field="scopes")
    try:
        expires_at = rules.expiry(now, int(days))
    except (TypeError, ValueError):
        raise RuleError(_l("Choose how long the token lasts."), field="days") from None
    active = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.user_id == actor.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    )
    if active >= MAX_ACTIVE:
        raise RuleError(_l("You have 20 tokens in use: revoke one first."))
    secret = rules.TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=rules.token_hash(secret),
        prefix=secret[: rules.PREFIX_SHOWN],
        scopes=" ".join(chosen),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor,
        "api.token.create",
        token,
        now=now,
        after={"name": name, "scopes": list(chosen), "expires_at": expires_at.isoformat()},
    )
    return token, secret


def revoke(actor, token: ApiToken, *, now: datetime) -> None:
    """Revoke one's own token; it is refused from now on (revoking twice changes nothing)."""
    if token.user_id != actor.id:
        raise RuleError(_l("This token is not yours."))
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    audit.record(actor, "api.token.revoke", token, now=now, after={"name": token.name})


def authenticate(secret: str, *, now: datetime) -> ApiToken | None:
    """The usable token with this secret, noting when it was used; None otherwise."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == rules.token_hash(secret))
    )
    if token is None or not rules.usable(token.expires_at, token.revoked_at, now):
        return None
    if not token.user.is_active:
        return None
    minute = now.replace(second=0, microsecond=0)
    if token.last_used_at != minute:  # one write a minute at most, whatever the traffic
        token.last_used_at = minute
    return token
