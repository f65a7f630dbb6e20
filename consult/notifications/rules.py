"""Pure rules of notifications: when each reminder is due, and what each one says."""

from collections.abc import Callable
from datetime import datetime, timedelta

from consult.core.i18n import lazy_gettext as _l

#: "It closes in 3 days": the reminder goes out from three days before the close.
CLOSING_LEAD = timedelta(days=3)
#: "Your panel meets": the reminder goes out from two days before the session.
SESSION_LEAD = timedelta(days=2)

KIND_LABELS = {
    "consultation_open": _l("A consultation opens for my population"),
    "closing_soon": _l("A consultation I can answer closes in 3 days"),
    "results_published": _l("The results of a consultation are published"),
    "panel_session": _l("My citizen panel meets"),
    "vote_open": _l("A vote opens at my general assembly"),
}


def is_open(opens_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """True while a published consultation accepts answers."""
    return opens_at <= now < closes_at


def closes_soon(closes_at: datetime, now: datetime, lead: timedelta = CLOSING_LEAD) -> bool:
    """True in the last `lead` before the close (3 days by default)."""
    return closes_at - lead <= now < closes_at


def meets_soon(starts_at: datetime, now: datetime, lead: timedelta = SESSION_LEAD) -> bool:
    """True from `lead` before a session until it starts."""
    return starts_at - lead <= now < starts_at


def message(kind: str, params: dict, show_moment: Callable[[datetime], str]) -> str:
    """The sentence shown in the app and sent by e-mail; `show_moment` formats the dates."""
    when = params.get("when")
    moment = show_moment(datetime.fromisoformat(when)) if when else ""
    title = params.get("title", "")
    if kind == "consultation_open":
        return _l(
            "The consultation “%(title)s” is open for you until %(date)s.", title=title, date=moment
        )
    if kind == "closing_soon":
        return _l(
            "The consultation “%(title)s” closes on %(date)s: there is still time to answer.",
            title=title,
            date=moment,
        )
    if kind == "results_published":
        return _l("The results of the consultation “%(title)s” are published.", title=title)
    if kind == "panel_session":
        return _l(
            "Your panel “%(title)s” meets on %(date)s, %(place)s.",
            title=title,
            date=moment,
            place=params.get("place", ""),
        )
    if kind == "vote_open":
        return _l(
            "The vote on “%(title)s” is open at the assembly “%(assembly)s”.",
            title=title,
            assembly=params.get("assembly", ""),
        )
    raise ValueError(kind)


def subject_line(kind: str, params: dict) -> str:
    """The e-mail's subject: short, with the title."""
    title = params.get("title", "")
    return {
        "consultation_open": _l("Consultation open: %(title)s", title=title),
        "closing_soon": _l("Closes in 3 days: %(title)s", title=title),
        "results_published": _l("Results published: %(title)s", title=title),
        "panel_session": _l("Your panel meets: %(title)s", title=title),
        "vote_open": _l("Vote open: %(title)s", title=title),
    }[kind]
