"""Volunteers from a partner association's file: the panels' import kind.

A line whose e-mail is new in the project adds a volunteer; a line for someone the partner's
file brought before updates them when it differs. A person who volunteered through the public
form keeps their own answers: a different line for them is refused.
"""

import secrets

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import gettext, ngettext
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import COMMON_SYNONYMS, Field, ImportKind, Plan, register
from consult.core.permissions import Role
from consult.extensions import db
from consult.panels import rules
from consult.panels.models import PanelProject, PanelVolunteer, VolunteerValue
from consult.panels.services import KEY_ALPHABET, _require_recruiting

CHUNK = 500

BASE_FIELDS = (
    Field("first_name", _l("First name"), COMMON_SYNONYMS["first_name"], required=True),
    Field("last_name", _l("Last name"), COMMON_SYNONYMS["last_name"], required=True),
    Field("email", _l("E-mail"), COMMON_SYNONYMS["email"], required=True),
    Field(
        "birth_year",
        _l("Year of birth"),
        COMMON_SYNONYMS["birth_year"],
        required=True,
        hint=_l("Four digits, such as 1975."),
    ),
    Field("postcode", _l("Postcode"), COMMON_SYNONYMS["postcode"], required=True),
    Field(
        "member",
        _l("Member of the mutual"),
        COMMON_SYNONYMS["member"],
        required=True,
        hint=_l("yes or no (oui, non, 1, 0, x...)."),
    ),
)


def check_upload(project: PanelProject, consent_confirmed: bool) -> None:
    """Refuse a file before reading it: pool committed, no features yet, consent not confirmed."""
    _require_recruiting(project)
    if not project.features:
        raise RuleError(_l("Define the profile features before importing volunteers."))
    if not consent_confirmed:
        raise RuleError(
            _l("Confirm that the partner collected each volunteer's consents."), field="consent"
        )


class Volunteers(ImportKind):
    """Volunteers for a panel project's pool, with their profile features."""

    key = "panels.volunteers"
    title = _l("Import a partner's volunteers")
    roles = (Role.ORGANISER,)
    max_rows = rules.MAX_VOLUNTEER_ROWS
    example = "examples/volunteers.xlsx"
    fields = BASE_FIELDS

    def fields_for(self, target):
        """The common fields, then one per profile feature of the project."""
        return BASE_FIELDS + tuple(
            Field(
                f.code,
                f.label,
                (f.code, f.label),
                required=True,
                hint=", ".join(v.label for v in f.values),
            )
            for f in (target.features if target is not None else ())
        )

    def load_target(self, target_id):
        """The panel project."""
        return db.session.get(PanelProject, target_id)

    def check_access(self, actor, target) -> None:
        """The pool must still be open."""
        _require_recruiting(target)

    def plan(self, target, records, options, now) -> Plan:
        """New volunteers, partner lines that changed, and refusals."""
        spellings = _spellings(target)
        by_code = _by_code(target)
        existing = {
            v.email: v
            for v in db.session.scalars(
                select(PanelVolunteer)
                .where(PanelVolunteer.project_id == target.id)
                .options(selectinload(PanelVolunteer.values))
            )
        }
        plan = Plan()
        for line, row in plan.accepted(
            records,
            lambda line, values: rules.read_volunteer(line, values, spellings, now.year),
            rules.VolunteerRow,
            email=lambda email, n: _l("%(email)s already appears on line %(n)d.", email=email, n=n),
        ):
            person = existing.get(row.email)
            if person is None:
                plan.create.append(row)
            elif _as_row(person) == _comparable(row, by_code):
                plan.unchanged += 1
            elif person.source == "form":
                plan.refuse(
                    line,
                    _l(
                        "%(email)s volunteered through the form: their own answers are kept.",
                        email=row.email,
                    ),
                )
            else:
                plan.update.append(row)
        return plan

    def apply(self, actor, target, plan, options, now, progress) -> dict:
        """Add the new volunteers (consents as confirmed by the organiser), update the others."""
        by_code = _by_code(target)
        taken = set(
            db.session.scalars(
                select(PanelVolunteer.key).where(PanelVolunteer.project_id == target.id)
            )
        )
        total = len(plan.create) + len(plan.update)
        for number, row in enumerate(plan.create, 1):
            person = PanelVolunteer(
                project_id=target.id,
                key=_new_key(taken),
                email=row.email,
                consent_contact_at=now,
                consent_profile_at=now,
                source="csv",
                created_at=now,
            )
            _fill(person, row, by_code)
            db.session.add(person)
            if number % CHUNK == 0:
                db.session.flush()
                progress(number, total)
        existing = {
            v.email: v
            for v in db.session.scalars(
                select(PanelVolunteer).where(PanelVolunteer.project_id == target.id)
            )
        }
        for row in plan.update:
            _fill(existing[row.email], row, by_code)
        db.session.flush()
        result = {"created": len(plan.create), "updated": len(plan.update)}
        audit.record(
            actor,
            "panels.import_volunteers",
            target,
            now=now,
            after={"filename": options.get("filename", ""), **result},
        )
        return result

    def back_url(self, target) -> str:
        """The project's volunteers."""
        return url_for("panels.volunteers", project_id=target.id)

    def done_message(self, result: dict) -> str:
        """How many volunteers came in."""
        return gettext(
            "%(imported)s, %(updated)s.",
            imported=ngettext(
                "%(num)d volunteer imported",
                "%(num)d volunteers imported",
                result.get("created", 0),
            ),
            updated=ngettext("%(num)d updated", "%(num)d updated", result.get("updated", 0)),
        )


def _spellings(project: PanelProject) -> dict[str, dict[str, str]]:
    """Each feature's accepted spellings (code and label, lower case) → value code."""
    return {
        f.code: {
            **{v.code.lower(): v.code for v in f.values},
            **{v.label.lower(): v.code for v in f.values},
        }
        for f in project.features
    }


def _by_code(project: PanelProject) -> dict:
    """Feature code → (feature, value code → value)."""
    return {f.code: (f, {v.code: v for v in f.values}) for f in project.features}


def _comparable(row: rules.VolunteerRow, by_code) -> tuple:
    """What a line says about a volunteer, to compare with what is stored."""
    return (
        row.first_name,
        row.last_name,
        row.birth_year,
        row.postcode,
        row.is_member,
        tuple(sorted((by_code[c][0].id, by_code[c][1][v].id) for c, v in row.values.items())),
    )


def _as_row(person: PanelVolunteer) -> tuple:
    """The same for a stored volunteer."""
    return (
        person.first_name,
        person.last_name,
        person.birth_year,
        person.postcode,
        person.is_member,
        tuple(sorted((v.feature_id, v.value_id) for v in person.values)),
    )


def _fill(person: PanelVolunteer, row: rules.VolunteerRow, by_code) -> None:
    """Copy a line into a volunteer."""
    person.first_name = row.first_name
    person.last_name = row.last_name
    person.birth_year = row.birth_year
    person.postcode = row.postcode
    person.is_member = row.is_member
    person.values = [
        VolunteerValue(feature_id=by_code[c][0].id, value_id=by_code[c][1][v].id)
        for c, v in row.values.items()
    ]


def _new_key(taken: set[str]) -> str:
    """A fresh pseudonymous key, unique in the project ("V-7K2Q9D")."""
    while True:
        key = "V-" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(6))
        if key not in taken:
            taken.add(key)
            return key


VOLUNTEERS = register(Volunteers())
