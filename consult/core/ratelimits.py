"""The configured rate limits on POSTs (posting, flagging, signing in), applied in one place."""

from functools import partial

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from consult.extensions import limiter

#: One limit-value callable per endpoint, shared by every app built in this process, so that
#: Flask-Limiter sees the same limit (and one counter) however many apps the tests create.
_LIMIT_VALUES: dict = {}


def _configured_limit(setting: str, endpoint: str) -> str:
    """The limit of an endpoint in the running app's RATE_LIMITS (or RATE_LIMITS_PER_ADDRESS)."""
    return current_app.config[setting][endpoint]


def rate_limit_key() -> str:
    """Whom a limit counts: the signed-in person, else the address and the e-mail typed.

    Counting by address alone would let one office behind a shared address (thousands of
    employees of a mutual) exhaust the limit for everybody.
    """
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{get_remote_address()}:{email}"


def apply_rate_limits(app) -> None:
    """Limit POSTs to the endpoints named in RATE_LIMITS, whatever area owns them.

    RATE_LIMITS counts per person (see ``rate_limit_key``); RATE_LIMITS_PER_ADDRESS adds a
    ceiling per network address (one machine trying many accounts). Limits that count another
    thing (attempts on one account, in accounts.views) are declared beside their view.
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
