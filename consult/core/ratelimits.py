"""Every rate limit of the platform, described once: applied here, listed for administrators.

Three kinds of counters:
- RATE_LIMITS, per person: the signed-in account, else the address *and* the e-mail typed (so
  on the sign-in form a guesser is counted per account and address, and one office behind a
  shared address cannot exhaust the limit for its thousands of employees);
- RATE_LIMITS_PER_ADDRESS, a ceiling per network address (one machine trying many accounts);
- the sign-in ceiling per account, over every address: past SIGN_IN_ACCOUNT_CEILING failed
  attempts, the account is *slowed* to SIGN_IN_ACCOUNT_PACE attempts, never locked, so that
  nobody can lock a person out by guessing wrong on their address (OWASP ASVS 2.2.1).
Besides, PASSWORD_RESET_LIMIT counts reset links per e-mail address, and API_RATE_LIMIT every
request to /api/ per token (consult/api/views.py). `describe_limits` lists them all: a limit
applied anywhere else is a bug (a test compares it with what Flask-Limiter holds).
"""

import time
from dataclasses import dataclass
from functools import partial

from flask import current_app, request
from flask_babel import format_decimal
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from consult.core.i18n import lazy_gettext as _l
from consult.core.i18n import ngettext
from consult.extensions import limiter

#: One limit-value callable per endpoint, shared by every app built in this process, so that
#: Flask-Limiter sees the same limit (and one counter) however many apps the tests create.
_LIMIT_VALUES: dict = {}

#: What each limited endpoint is, for the administration page.
ENDPOINT_LABELS = {
    "accounts.login": _l("Signing in"),
    "accounts.forgotten_password": _l("Asking for a password-reset link"),
    "consultations.answer": _l("Answering a question"),
    "consultations.answer_all": _l("Answering every question at once"),
    "moderation.resubmit": _l("Resubmitting a rejected contribution"),
    "moderation.flag": _l("Flagging a contribution"),
    "panels.volunteer": _l("Volunteering for a panel draw"),
    "panels.invitation": _l("Answering a panel seat’s invitation"),
    "api": _l("Reading the open-data API (/api/)"),
}


@dataclass(frozen=True)
class LimitDescription:
    """One limit as an administrator reads it."""

    #: The setting that holds it (an environment-backed configuration key).
    setting: str
    #: The endpoint it applies to ("accounts.login").
    endpoint: str
    #: What it applies to, in words.
    action: object
    #: The limit in Flask-Limiter's syntax ("10 per minute; 100 per day").
    value: str
    #: What is counted, in words.
    counted: object

    @property
    def text(self) -> str:
        """The limit in words and Babel numbers ("10 par minute et 100 par jour")."""
        return limit_text(self.value)


def _per(amount: str, unit: str, multiples: int) -> str:
    """One item: "10 per minute", "1 every 10 seconds"."""
    if multiples == 1:
        return {
            "second": _l("%(amount)s per second", amount=amount),
            "minute": _l("%(amount)s per minute", amount=amount),
            "hour": _l("%(amount)s per hour", amount=amount),
            "day": _l("%(amount)s per day", amount=amount),
            "month": _l("%(amount)s per month", amount=amount),
            "year": _l("%(amount)s per year", amount=amount),
        }[unit]
    every = {
        "second": ngettext(
            "%(amount)s every %(num)d second",
            "%(amount)s every %(num)d seconds",
            multiples,
            amount=amount,
        ),
        "minute": ngettext(
            "%(amount)s every %(num)d minute",
            "%(amount)s every %(num)d minutes",
            multiples,
            amount=amount,
        ),
        "hour": ngettext(
            "%(amount)s every %(num)d hour",
            "%(amount)s every %(num)d hours",
            multiples,
            amount=amount,
        ),
        "day": ngettext(
            "%(amount)s every %(num)d day",
            "%(amount)s every %(num)d days",
            multiples,
            amount=amount,
        ),
        "month": ngettext(
            "%(amount)s every %(num)d month",
            "%(amount)s every %(num)d months",
            multiples,
            amount=amount,
        ),
        "year": ngettext(
            "%(amount)s every %(num)d year",
            "%(amount)s every %(num)d years",
            multiples,
            amount=amount,
        ),
    }[unit]
    return every


def limit_text(value: str) -> str:
    """A limit in Flask-Limiter's syntax as a person reads it, numbers formatted by Babel."""
    parts = [
        str(_per(format_decimal(item.amount), item.GRANULARITY.name, item.multiples))
        for item in parse_many(value)
    ]
    if len(parts) == 1:
        return parts[0]
    return str(_l("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1]))


def describe_limits(config=None) -> list[LimitDescription]:
    """Every rate limit in force, with what it counts: the one description the admin page shows."""
    config = config if config is not None else current_app.config
    described = []
    for endpoint, value in config.get("RATE_LIMITS", {}).items():
        described.append(
            LimitDescription(
                "RATE_LIMITS",
                endpoint,
                ENDPOINT_LABELS.get(endpoint, endpoint),
                value,
                _l("Requests per signed-in person, else per address and e-mail typed"),
            )
        )
    for endpoint, value in config.get("RATE_LIMITS_PER_ADDRESS", {}).items():
        described.append(
            LimitDescription(
                "RATE_LIMITS_PER_ADDRESS",
                endpoint,
                ENDPOINT_LABELS.get(endpoint, endpoint),
                value,
                _l("Requests per network address, whatever the account"),
            )
        )
    described.append(
        LimitDescription(
            "SIGN_IN_ACCOUNT_CEILING",
            "accounts.login",
            ENDPOINT_LABELS["accounts.login"],
            config["SIGN_IN_ACCOUNT_CEILING"],
            _l("Failed sign-ins on one account from every address; past it, the account is slowed"),
        )
    )
    described.append(
        LimitDescription(
            "SIGN_IN_ACCOUNT_PACE",
            "accounts.login",
            ENDPOINT_LABELS["accounts.login"],
            config["SIGN_IN_ACCOUNT_PACE"],
            _l("Sign-ins allowed on a slowed account (it is never locked)"),
        )
    )
    described.append(
        LimitDescription(
            "API_RATE_LIMIT",
            "api",
            ENDPOINT_LABELS["api"],
            config["API_RATE_LIMIT"],
            _l("Requests per token, else per signed-in person, else per address"),
        )
    )
    described.append(
        LimitDescription(
            "PASSWORD_RESET_LIMIT",
            "accounts.forgotten_password",
            ENDPOINT_LABELS["accounts.forgotten_password"],
            config["PASSWORD_RESET_LIMIT"],
            _l("Reset links asked for one e-mail address"),
        )
    )
    return described


def _configured_limit(setting: str, endpoint: str) -> str:
    """The limit of an endpoint in the running app's RATE_LIMITS (or RATE_LIMITS_PER_ADDRESS)."""
    return current_app.config[setting][endpoint]


def _reset_limit() -> str:
    """PASSWORD_RESET_LIMIT of the running app."""
    return current_app.config["PASSWORD_RESET_LIMIT"]


def typed_email() -> str:
    """The e-mail address a form was sent with, as the account it names."""
    return (request.form.get("email") or "").strip().lower()[:254]


def rate_limit_key() -> str:
    """Whom a limit counts: the signed-in person, else the address and the e-mail typed."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"{get_remote_address()}:{typed_email()}"


def _reset_key() -> str:
    """Reset links are counted per address asked for (a flood of mail to one person)."""
    return f"reset:{typed_email()}"


def apply_rate_limits(app) -> None:
    """Limit POSTs to the endpoints named in RATE_LIMITS, whatever area owns them.

    Called by create_app once every area's views are registered.
    """
    for setting, key_func in (
        ("RATE_LIMITS", rate_limit_key),
        ("RATE_LIMITS_PER_ADDRESS", get_remote_address),
    ):
        for endpoint in app.config.get(setting, {}):
            view = app.view_functions[endpoint]
            value = _LIMIT_VALUES.setdefault(
                (setting, endpoint), partial(_configured_limit, setting, endpoint)
            )
            app.view_functions[endpoint] = limiter.limit(
                value, methods=["POST"], key_func=key_func
            )(view)
    endpoint = "accounts.forgotten_password"
    app.view_functions[endpoint] = limiter.limit(
        _reset_limit, methods=["POST"], key_func=_reset_key
    )(app.view_functions[endpoint])


# --- the per-account sign-in ceiling -------------------------------------------------------------


def _items(setting: str):
    return parse_many(current_app.config[setting])


def sign_in_wait(email: str) -> int | None:
    """Seconds to wait before this account may be tried again, or None to go ahead.

    Under the ceiling of failed attempts, nothing is counted here (the per-account-and-address
    limit applies). Over it, attempts on the account go at SIGN_IN_ACCOUNT_PACE: slower for a
    guesser spread over many addresses, and the owner gets in after a short wait.
    """
    if not email or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    strategy = limiter.limiter
    ceiling = _items("SIGN_IN_ACCOUNT_CEILING")
    if all(strategy.test(item, "sign-in-failures", email) for item in ceiling):
        return None
    for item in _items("SIGN_IN_ACCOUNT_PACE"):
        if not strategy.hit(item, "sign-in-pace", email):
            reset, _remaining = strategy.get_window_stats(item, "sign-in-pace", email)
            return max(1, int(reset - time.time()) + 1)
    return None


def sign_in_failed(email: str) -> None:
    """Count a failed sign-in against the account, from whatever address."""
    if not email or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in _items("SIGN_IN_ACCOUNT_CEILING"):
        limiter.limiter.hit(item, "sign-in-failures", email)
