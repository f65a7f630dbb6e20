"""Settings that administrators edit in the interface, with the environment as initial default.

Each change appends a row to ``setting_value`` (valid from the moment it was saved) and an
event to the audit log. Readers ask for the value in force now, or, for a consultation that is
over, the value in force when it ended: a closed consultation keeps the settings it ran with. An
assembly snapshots its voting rules into ``rules_json``; a change reaches the assemblies whose
roll and texts are not frozen yet (with an entry in their hash chain), never the frozen ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from consult.admin import rules
from consult.admin.models import SettingValue
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db

#: The moment the environment's value is recorded at when a setting is first changed: before
#: any consultation, so that those already over keep the value they ran with.
BEFORE_EVERYTHING = datetime(1970, 1, 1)

MAJORITY_BASES = ("votes_cast", "present_represented")


@dataclass(frozen=True)
class Setting:
    """A setting: its key, its labels, the environment variable that gives its first value."""

    key: str
    label: object
    help: object
    environment: str
    #: The value the environment (or the built-in default) gives, read from the app's config.
    default: Callable[[], object]


def _config(name: str, fallback):
    """A configuration value, or the fallback when it is unset."""
    value = current_app.config.get(name)
    return fallback if value in (None, "") else value


def _environment_rules():
    """ASSEMBLY_RULES as a mapping (its JSON read), or the L114-12 defaults."""
    from consult.assembly.rules import DEFAULT_RULES

    configured = _config("ASSEMBLY_RULES", None)
    if isinstance(configured, str):
        configured = json.loads(configured)
    data = dict(configured) if configured else DEFAULT_RULES.to_dict()
    data.pop("majority_base", None)  # a setting of its own
    return data


def _environment_base():
    """ASSEMBLY_MAJORITY_BASE, else the base written in ASSEMBLY_RULES, else votes cast."""
    configured = _config("ASSEMBLY_RULES", None)
    if isinstance(configured, str):
        configured = json.loads(configured)
    within = (configured or {}).get("majority_base") if isinstance(configured, dict) else None
    return _config("ASSEMBLY_MAJORITY_BASE", within or "votes_cast")


SETTINGS: dict[str, Setting] = {
    setting.key: setting
    for setting in (
        Setting(
            "moderation.reasons",
            _l("Moderation reasons"),
            _l(
                "One reason a line, as “code: label”. The code is what decisions keep: lower-case "
                "letters, digits and underscores; keep it when you reword a label. “Other "
                "(explain)” is always offered last."
            ),
            "MODERATION_REASONS",
            # None: the built-in list, translated into each reader's language
            lambda: _config("MODERATION_REASONS", None),
        ),
        Setting(
            "moderation.flag_threshold",
            _l("Flag threshold"),
            _l(
                "How many flags hide a post-moderated contribution until a moderator decides "
                "(1 to 1,000)."
            ),
            "MODERATION_FLAG_THRESHOLD",
            lambda: int(_config("MODERATION_FLAG_THRESHOLD", 3)),
        ),
        Setting(
            "assembly.rules",
            _l("Assembly voting rules"),
            _l(
                "Quorum (share of the delegates in office who take part; empty for none) and "
                "majority for each category of decision and convocation, as fractions such "
                "as 1/2 or 2/3."
            ),
            "ASSEMBLY_RULES",
            _environment_rules,
        ),
        Setting(
            "assembly.majority_base",
            _l("Majority base"),
            _l("What the majority is counted on, as the statutes set."),
            "ASSEMBLY_MAJORITY_BASE",
            _environment_base,
        ),
        Setting(
            "analysis.min_group_size",
            _l("Minimum group size for comparisons"),
            _l(
                "The smallest population compared without a caveat in the synthesis (1 to 100,000)."
            ),
            "ANALYSIS_MIN_GROUP_SIZE",
            lambda: int(_config("ANALYSIS_MIN_GROUP_SIZE", 30)),
        ),
    )
}

#: What each problem says; the details (line, code, bounds) fill the message.
PROBLEM_MESSAGES = {
    rules.Problem.NOT_A_NUMBER: lambda d: _l("Enter a whole number.", **d),
    rules.Problem.OUT_OF_RANGE: lambda d: _l(
        "Enter a number from %(minimum)s to %(maximum)s.", **d
    ),
    rules.Problem.REASON_LINE: lambda d: _l("Line %(line)s: write “code: label”.", **d),
    rules.Problem.REASON_CODE: lambda d: _l(
        "Line %(line)s: the code “%(code)s” may only hold lower-case letters, digits and "
        "underscores, and starts with a letter.",
        **d,
    ),
    rules.Problem.REASON_TWICE: lambda d: _l(
        "Line %(line)s: the code “%(code)s” is already used above.", **d
    ),
    rules.Problem.REASON_LABEL_LONG: lambda d: _l(
        "Line %(line)s: a label has %(maximum)s characters at most.",
        **d,
    ),
    rules.Problem.REASONS_NONE: lambda d: _l("Give at least one reason besides “Other”.", **d),
    rules.Problem.REASONS_MANY: lambda d: _l("Give %(maximum)s reasons at most.", **d),
    rules.Problem.RATIO: lambda d: _l("Write a fraction between 0 and 1, such as 1/2 or 2/3.", **d),
    rules.Problem.CHOICE: lambda d: _l("Choose one of the options.", **d),
}


def refusal(error: rules.SettingInvalid, field: str | None = None) -> RuleError:
    """The message people read for a refused value (numbers written the French way)."""
    from flask_babel import format_decimal

    details = {k: format_decimal(v) if isinstance(v, int) else v for k, v in error.details.items()}
    return RuleError(PROBLEM_MESSAGES[error.problem](details), field=field)


# --- reading ----------------------------------------------------------------------------------


def history(key: str) -> list[tuple[datetime, object]]:
    """Every saved value of a setting with the moment it took effect, oldest first.

    Kept for the transaction (a hot path such as flagging asks several times); a commit or a
    rollback forgets it, so a value saved elsewhere is seen by the next transaction.
    """
    cache = db.session.info.setdefault(CACHE, {})
    if key not in cache:
        cache[key] = [
            (row.valid_from, row.value)
            for row in db.session.scalars(
                select(SettingValue)
                .where(SettingValue.key == key)
                .order_by(SettingValue.valid_from, SettingValue.id)
            )
        ]
    return cache[key]


CACHE = "setting_history"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session, *_args) -> None:
    """What a transaction read of the settings is no longer known once it ends."""
    session.info.pop(CACHE, None)


def _default(key: str):
    """The environment's value of a setting."""
    return SETTINGS[key].default()


def current(key: str, now: datetime | None = None):
    """The value in force now (or at the moment given)."""
    from consult.core.clock import utcnow

    return rules.value_at(history(key), now or utcnow(), _default(key))


def for_consultation(key: str, consultation, now: datetime | None = None):
    """The value for a consultation: in force now while it runs, at its end once it is over."""
    from consult.core.clock import utcnow

    now = now or utcnow()
    if consultation is None:
        return current(key, now)
    moment = rules.consultation_moment(
        consultation.status, consultation.closes_at, consultation.closed_at, now
    )
    return current(key, moment)


def changed(key: str) -> bool:
    """Whether an administrator has saved this setting (else the environment's value applies)."""
    return bool(history(key))


# --- writing ----------------------------------------------------------------------------------


def save(actor, key: str, value, *, now: datetime) -> SettingValue | None:
    """Put a value in force from now on, audited; None when it is the value already in force.

    The first change also records the environment's value as in force before it, so that a
    consultation already over keeps it even if the environment changes later.
    """
    before = current(key, now)
    if value == before:
        return None
    if not history(key):
        db.session.add(SettingValue(key=key, value=before, valid_from=BEFORE_EVERYTHING))
    row = SettingValue(
        key=key, value=value, valid_from=now, changed_by_id=getattr(actor, "id", None)
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.pop(CACHE, None)
    audit.record(
        actor,
        "admin.setting",
        row,
        now=now,
        before={"key": key, "value": before},
        after={"key": key, "value": value},
    )
    if key.startswith("assembly."):
        _refresh_unfrozen_assemblies(now)
    return row


def _refresh_unfrozen_assemblies(now: datetime) -> None:
    """Assemblies not frozen yet take the new rules (in their chain); frozen ones keep theirs."""
    from consult.assembly import services as assembly_services
    from consult.assembly.models import Assembly
    from consult.assembly.rules import RuleSet, canonical_json

    data = dict(current("assembly.rules", now))
    data["majority_base"] = current("assembly.majority_base", now)
    snapshot = canonical_json(RuleSet.from_dict(data).to_dict())
    for assembly in db.session.scalars(select(Assembly).where(Assembly.frozen_at.is_(None))):
        if assembly.rules_json != snapshot:
            assembly.rules_json = snapshot
            assembly_services.append_log(assembly, "rules", now=now, rules=json.loads(snapshot))
    db.session.flush()


# --- forms ------------------------------------------------------------------------------------


def _ratio(text: str | None, field: str, *, optional: bool = False) -> str | None:
    """A fraction typed in the rules form, written back the way the minutes print it."""
    from consult.assembly.rules import Ratio

    text = (text or "").strip()
    if optional and not text:
        return None
    try:
        return str(Ratio.parse(text))
    except ValueError:
        raise refusal(rules.SettingInvalid(rules.Problem.RATIO), field) from None


def parse(key: str, data: dict):
    """The value typed in a setting's form (``data`` as the form holds it); RuleError names the
    field to correct."""
    from consult.admin.forms import RULE_ROWS, rule_field

    try:
        if key == "moderation.reasons":
            return rules.parse_reasons(data.get("value"))
        if key == "moderation.flag_threshold":
            return rules.parse_integer(data.get("value"), 1, 1000)
        if key == "analysis.min_group_size":
            return rules.parse_integer(data.get("value"), 1, 100_000)
        if key == "assembly.majority_base":
            return rules.parse_choice(data.get("value"), MAJORITY_BASES)
    except rules.SettingInvalid as error:
        raise refusal(error, "value") from None
    if key != "assembly.rules":
        raise KeyError(key)
    typed = []
    for category, convocation in RULE_ROWS:
        name = rule_field(category, convocation, "")
        typed.append(
            {
                "category": category.value,
                "convocation": convocation,
                "quorum": _ratio(data.get(name + "quorum"), name + "quorum", optional=True),
                "majority": _ratio(data.get(name + "majority"), name + "majority"),
                "strict": bool(data.get(name + "strict")),
            }
        )
    value = {"cast_choices": current("assembly.rules").get("cast_choices"), "rules": typed}
    if value["cast_choices"] is None:
        value.pop("cast_choices")
    return _without_base(value)


def _without_base(value: dict) -> dict:
    """A rule set's description without its majority base (a setting of its own)."""
    from consult.assembly.rules import RuleSet

    data = RuleSet.from_dict(value).to_dict()
    data.pop("majority_base")
    return data


def form_data(key: str) -> dict:
    """What a setting's form shows: the value in force, as it is typed."""
    from consult.admin.forms import RULE_ROWS, rule_field

    value = current(key)
    if key == "moderation.reasons":
        if not value:
            from consult.moderation.services import DEFAULT_REASON_LABELS

            value = {code: str(label) for code, label in DEFAULT_REASON_LABELS.items()}
        return {"value": rules.format_reasons(value)}
    if key != "assembly.rules":
        return {"value": str(value)}
    data = {}
    by_row = {(item["category"], int(item["convocation"])): item for item in value["rules"]}
    for category, convocation in RULE_ROWS:
        item = by_row.get((category.value, convocation), {})
        name = rule_field(category, convocation, "")
        data[name + "quorum"] = item.get("quorum") or ""
        data[name + "majority"] = item.get("majority") or ""
        data[name + "strict"] = bool(item.get("strict"))
    return data


def describe(key: str, value) -> str:
    """A value in a few words, for the list of changes."""
    from consult.core.i18n import gettext as _

    if key == "moderation.reasons":
        return ", ".join(value) if value else _("the built-in list")
    if key == "assembly.majority_base":
        return {
            "votes_cast": _("votes cast"),
            "present_represented": _("present and represented"),
        }.get(value, str(value))
    if key == "assembly.rules" and isinstance(value, dict):
        parts = []
        for item in value.get("rules", []):
            sign = ">" if item.get("strict") else "≥"
            quorum = item.get("quorum") or "—"
            parts.append(
                f"{item['category']} {item['convocation']}: {quorum}, {sign} {item['majority']}"
            )
        return "; ".join(parts)
    return str(value)
