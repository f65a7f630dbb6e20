"""How the moderation log shows its events: labels instead of the codes it stores."""

from datetime import datetime

from consult.core.i18n import format_moment
from consult.core.i18n import gettext as _
from consult.core.i18n import lazy_gettext as _l
from consult.moderation import services

#: The fields the moderation services write in an event's before/after.
FIELD_LABELS = {
    "state": _l("state"),
    "version": _l("version"),
    "masked": _l("personal data masked"),
    "mode": _l("moderation"),
    "suspension": _l("suspension no."),
    "ends_at": _l("until"),
    "lifted_at": _l("lifted on"),
}
MODE_LABELS = {"pre": _l("before publication"), "post": _l("after publication")}


def _value(key: str, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "state":
        return str(services.STATE_LABELS.get(value, value))
    if key == "mode":
        return str(MODE_LABELS.get(value, value))
    if key in ("ends_at", "lifted_at"):
        try:
            return format_moment(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def changes(values: dict | None) -> list[tuple[str, str]]:
    """An event's before or after as (label, value) pairs, in words."""
    return [(str(FIELD_LABELS.get(k, k)), _value(k, v)) for k, v in (values or {}).items()]


def reason(text: str | None) -> str:
    """The logged reason ("off_topic: text") with its code written as its label."""
    if not text:
        return ""
    code, colon, rest = text.partition(": ")
    label = services.reason_label(code)
    if label == code:  # not a reason code: a free text
        return text
    return _("%(label)s: %(message)s", label=label, message=rest) if colon else label
