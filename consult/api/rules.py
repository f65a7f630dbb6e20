"""Rules of API tokens on plain values: the header, scopes, expiry, the scope a route needs."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

#: What a token may read: a consultation's published data, and results (participation figures,
#: assembly results and published ballots).
SCOPES = ("consultations", "results")
#: How long a token may live, in days, as offered on the page.
LIFETIMES = (7, 30, 90, 365)
#: Every token starts with this, so that secret scanners and people recognise it.
TOKEN_PREFIX = "cst_"  # noqa: S105 - a public marker, not a secret
PREFIX_SHOWN = 12
_BEARER_RE = re.compile(r"^Bearer\s+(\S+)$", re.IGNORECASE)

#: The scope each API endpoint needs when it is called with a token; an endpoint missing here is
#: refused to tokens (a new endpoint is closed until someone decides which scope it needs).
ENDPOINT_SCOPES = {
    "api.consultations": "consultations",
    "api.consultation": "consultations",
    "api.contributions": "consultations",
    "api.participation": "results",
    "assembly_api.results": "results",
    "assembly_api.ballots": "results",
}
#: Endpoints open to everyone, token or not (the API's description).
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})
#: Blueprints whose JSON is public (the mission's dashboard): a token changes nothing there.
PUBLIC_BLUEPRINTS = frozenset({"mission_api"})


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, else None."""
    match = _BEARER_RE.match((header or "").strip())
    return match.group(1) if match else None


def valid_scopes(chosen) -> tuple[str, ...]:
    """The known scopes among those chosen, in their canonical order (empty when none)."""
    return tuple(scope for scope in SCOPES if scope in set(chosen or ()))


def expiry(now: datetime, days: int) -> datetime:
    """When a token made now for ``days`` days stops working."""
    if days not in LIFETIMES:
        raise ValueError(days)
    return now + timedelta(days=days)


def usable(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    """Whether a token may still be used."""
    return revoked_at is None and now < expires_at


def scope_needed(endpoint: str | None) -> str | None:
    """The scope an endpoint needs from a token; None when tokens may not call it at all."""
    return ENDPOINT_SCOPES.get(endpoint or "")
