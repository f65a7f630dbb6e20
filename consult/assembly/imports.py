"""The roll of delegates from the organisation's file: the assembly's import kind.

The file is the whole roll: a delegate is matched by identifier, so a line creates a delegate,
updates one (name, e-mail, section, weight) or leaves them as they are, and a delegate missing
from the file is removed with the proxies they gave or held. A refused line would silently take
someone off the roll, so the roll is imported whole or not at all.
"""

from flask import url_for
from sqlalchemy import delete, or_, select

from consult.accounts.models import User, UserRole
from consult.accounts.services import create_user, find_users_by_email
from consult.assembly import rules
from consult.assembly.models import Assembly, Delegate, Proxy
from consult.assembly.services import _refuse_if_frozen, append_log
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import gettext, lazy_ngettext, ngettext
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import COMMON_SYNONYMS, Field, ImportKind, Plan, register
from consult.core.imports import mapping as columns
from consult.core.imports.reading import read_table
from consult.core.imports.services import plan_table
from consult.core.permissions import Role
from consult.extensions import db

#: A roll bigger than this is not a general assembly's.
MAX_DELEGATES = 50_000


def _problem(code: str, detail: str):
    """The words for a problem `rules.read_delegate` found."""
    if code == "bad_email":
        return _l("“%(detail)s” is not an e-mail address.", detail=detail)
    if code == "bad_weight":
        return _l("The weight “%(detail)s” is not a whole number from 1.", detail=detail)
    return _l("The identifier and the name are required.")


def _read(line: int, values: dict[str, str]):
    """A line of the roll as a delegate, or the words for its problem."""
    row = rules.read_delegate(values)
    return row if isinstance(row, rules.RollRow) else _problem(*row)


class Roll(ImportKind):
    """The delegates of one assembly, replaced by the file's."""

    key = "assembly.roll"
    title = _l("Import the roll of delegates")
    roles = (Role.ORGANISER,)
    max_rows = MAX_DELEGATES
    allow_partial = False
    removes = True
    example = "examples/roll.ods"
    fields = (
        Field("identifier", _l("Identifier"), COMMON_SYNONYMS["identifier"], required=True),
        Field("name", _l("Name"), COMMON_SYNONYMS["name"] + ("nom",), required=True),
        Field("email", _l("E-mail"), COMMON_SYNONYMS["email"], required=True),
        Field("section", _l("Section"), COMMON_SYNONYMS["section"]),
        Field(
            "weight",
            _l("Weight"),
            COMMON_SYNONYMS["weight"],
            hint=_l("Votes the delegate carries; 1 when empty."),
        ),
    )

    def load_target(self, target_id):
        """The assembly."""
        return db.session.get(Assembly, target_id)

    def check_access(self, actor, target) -> None:
        """The roll is frozen once voting has opened."""
        _refuse_if_frozen(target)

    def plan(self, target, records, options, now) -> Plan:
        """Delegates to add, to change, to remove; refusals (which block the whole roll)."""
        plan = Plan()
        rows = [
            row
            for _line, row in plan.accepted(
                records,
                _read,
                rules.RollRow,
                identifier=lambda value, n: _l(
                    "The identifier %(detail)s is already on line %(n)d.", detail=value, n=n
                ),
                email=lambda value, n: _l(
                    "The e-mail address %(detail)s is already on line %(n)d.", detail=value, n=n
                ),
            )
        ]
        current = _delegates(target)
        for row in rows:
            delegate = current.get(row.identifier)
            if delegate is None:
                plan.create.append(row)
            elif _as_row(delegate) != row:
                plan.update.append(row)
            else:
                plan.unchanged += 1
        plan.remove = sorted(set(current) - {row.identifier for row in rows})
        return plan

    def apply(self, actor, target, plan, options, now, progress) -> dict:
        """Remove, update, then add delegates; accounts are found or created by e-mail."""
        current = _delegates(target)
        removed = [current[identifier].id for identifier in plan.remove]
        if removed:
            db.session.execute(
                delete(Proxy).where(or_(Proxy.giver_id.in_(removed), Proxy.holder_id.in_(removed)))
            )
            db.session.execute(delete(Delegate).where(Delegate.id.in_(removed)))
        accounts = _accounts([row.email for row in plan.create + plan.update], now)
        for row in plan.update:
            delegate = current[row.identifier]
            delegate.user_id = accounts[row.email].id
            delegate.name, delegate.email = row.name, row.email
            delegate.section, delegate.weight = row.section, row.weight
        db.session.flush()
        for number, row in enumerate(plan.create, 1):
            db.session.add(
                Delegate(
                    assembly_id=target.id,
                    user_id=accounts[row.email].id,
                    identifier=row.identifier,
                    name=row.name,
                    email=row.email,
                    section=row.section,
                    weight=row.weight,
                )
            )
            if number % 500 == 0:
                progress(number, len(plan.create))
        db.session.flush()
        db.session.expire(target, ["delegates"])
        total = len(current) - len(removed) + len(plan.create)
        result = {
            "created": len(plan.create),
            "updated": len(plan.update),
            "removed": len(removed),
            "delegates": total,
        }
        audit.record(actor, "assembly.roll", target, now=now, after=result)
        append_log(target, "roll", now=now, delegates=total)
        return result

    def back_url(self, target) -> str:
        """The assembly's page."""
        return url_for("assembly.manage", assembly_id=target.id)

    def done_message(self, result: dict) -> str:
        """The roll's new size and what changed."""
        return gettext(
            "%(roll)s: %(added)s, %(changed)s, %(removed)s.",
            roll=ngettext(
                "%(num)d delegate on the roll",
                "%(num)d delegates on the roll",
                result.get("delegates", 0),
            ),
            added=ngettext("%(num)d added", "%(num)d added", result.get("created", 0)),
            changed=ngettext("%(num)d changed", "%(num)d changed", result.get("updated", 0)),
            removed=ngettext("%(num)d removed", "%(num)d removed", result.get("removed", 0)),
        )


def _delegates(assembly: Assembly) -> dict[str, Delegate]:
    """The assembly's delegates by identifier."""
    return {
        d.identifier: d
        for d in db.session.scalars(select(Delegate).where(Delegate.assembly_id == assembly.id))
    }


def _as_row(delegate: Delegate) -> rules.RollRow:
    """A stored delegate as the line that would leave them unchanged."""
    return rules.RollRow(
        delegate.identifier, delegate.name, delegate.email, delegate.section, delegate.weight
    )


def _accounts(emails: list[str], now) -> dict[str, User]:
    """The account of each e-mail, created when missing; every one holds the delegate role."""
    found = find_users_by_email(emails)
    for email in emails:
        user = found.get(email)
        if user is None:
            found[email] = create_user(email, now=now, roles=(Role.DELEGATE,))
        elif Role.DELEGATE not in user.role_names:
            user.roles.append(UserRole(role=str(Role.DELEGATE)))
    return found


def import_roll(actor, assembly: Assembly, raw: bytes, *, now) -> int:
    """Replace the roll from a file in one call (demonstration, command line, tests): the same
    reading, rules and writing as the pages, with the columns named as consult names them.

    Raises `RuleError` for an unreadable file and `RollErrors` when lines are refused."""
    _refuse_if_frozen(assembly)
    table = read_table(raw, max_rows=ROLL.max_rows)
    chosen = columns.suggest(table.columns, ROLL.fields)
    problems = columns.problems(chosen, ROLL.fields)
    if problems:
        raise RuleError(problems[0], field="file")
    plan = plan_table(ROLL, assembly, table, chosen, {}, now)
    if plan.refused:
        raise RollErrors(plan.refused)
    return ROLL.apply(actor, assembly, plan, {}, now, lambda done, total: None)["delegates"]


class RollErrors(RuleError):
    """The refused lines of a roll file, so the officer fixes them all at once."""

    def __init__(self, refused: list[tuple[int, object]]):
        super().__init__(
            lazy_ngettext(
                "The roll was not imported: %(num)d line refused.",
                "The roll was not imported: %(num)d lines refused.",
                len(refused),
            )
        )
        self.refused = refused


ROLL = register(Roll())
