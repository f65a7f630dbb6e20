"""Inviting people from a file (an HR or members' extract): the accounts' import kind.

A line whose e-mail has no account yet creates one and queues its invitation link; a line whose
account exists updates that profile when it differs, and sends nothing. Importing the same file
twice therefore creates nothing more.
"""

import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import insert, select

from consult.accounts import rules
from consult.accounts.models import AccountToken, Population, Region, User, UserRole
from consult.accounts.services import _token_hash, find_users_by_email
from consult.core.i18n import gettext, ngettext
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import COMMON_SYNONYMS, Field, ImportKind, Plan, register
from consult.core.mail import queue_mails, url_builder
from consult.core.permissions import Role
from consult.extensions import db

#: Rows written between two flushes (and two progress reports).
CHUNK = 500


def invitation_mail(link: str, days: int) -> tuple[str, str]:
    """Subject and body of the e-mail that lets an invited person choose a password."""
    return (
        gettext("You are invited to take part in a consultation"),
        gettext(
            "You are invited to give your opinion on consult.\n\nTo take part, choose "
            "your password with this link (valid %(days)d days):\n\n%(link)s",
            days=days,
            link=link,
        ),
    )


class Invitations(ImportKind):
    """People to invite: one account and one invitation link per new e-mail address."""

    key = "accounts.invitations"
    title = _l("Invite people from a file")
    roles = (Role.ORGANISER,)
    max_rows = rules.MAX_INVITATION_ROWS
    example = "examples/invitations.csv"
    fields = (
        Field("email", _l("E-mail"), COMMON_SYNONYMS["email"], required=True),
        Field(
            "category",
            _l("Category"),
            COMMON_SYNONYMS["category"] + ("profil", "qualité", "collège"),
            required=True,
            hint=_l("The population: its code (member, employee...), its name or a label."),
        ),
        Field("region", _l("Region"), COMMON_SYNONYMS["region"]),
        Field(
            "age_band",
            _l("Age band"),
            COMMON_SYNONYMS["age_band"],
            hint=_l("20-30, 30-40, 40-60, 60-80, “moins de 20” or “plus de 80”."),
        ),
        Field(
            "gender",
            _l("Gender form"),
            COMMON_SYNONYMS["gender"],
            hint=_l("f, m or n (also Femme, Homme, Madame, Monsieur...)."),
        ),
        Field("name", _l("Name"), COMMON_SYNONYMS["name"] + ("nom",)),
    )

    def plan(self, target, records, options, now) -> Plan:
        """Each line: a new account, a profile to update, nothing to do, or a refusal."""
        populations = list(db.session.scalars(select(Population)))
        categories = {}
        for p in populations:
            for name in (p.code, p.name, p.label_feminine, p.label_masculine, p.label_neutral):
                categories.setdefault(rules.spelling(name), p.code)
        regions = {rules.spelling(r.name): r.name for r in db.session.scalars(select(Region))}
        plan = Plan()
        rows = [
            row
            for _line, row in plan.accepted(
                records,
                lambda line, values: rules.read_invitation(line, values, categories, regions),
                rules.InvitationRow,
                email=lambda email, n: _l(
                    "%(email)s already appears on line %(n)d.", email=email, n=n
                ),
            )
        ]
        existing = find_users_by_email([row.email for row in rows])
        for row in rows:
            user = existing.get(row.email)
            if user is None:
                plan.create.append(row)
            elif _changes(user, row):
                plan.update.append(row)
            else:
                plan.unchanged += 1
        return plan

    def apply(self, actor, target, plan, options, now, progress) -> dict:
        """Create the new accounts with their links (e-mails queued), update the others."""
        populations = {p.code: p for p in db.session.scalars(select(Population))}
        regions = {r.name: r for r in db.session.scalars(select(Region))}
        days = current_app.config["INVITATION_VALID_DAYS"]
        total = len(plan.create) + len(plan.update)
        link = url_builder(options.get("base_url"))
        expires = now + timedelta(days=days)
        note = options.get("filename") or None
        # Rows go in with one statement per chunk and table: the ORM's unit of work would cost
        # more than the work itself at 100,000 people.
        for start in range(0, len(plan.create), CHUNK):
            chunk = plan.create[start : start + CHUNK]
            ids = (
                db.session.execute(
                    insert(User).returning(User.id, sort_by_parameter_order=True),
                    [
                        {
                            "email": row.email,
                            "display_name": row.name,
                            "population_id": populations[row.category].id,
                            "gender_form": row.gender,
                            "age_band": row.age_band,
                            "region_id": regions[row.region].id if row.region else None,
                            "created_at": now,
                        }
                        for row in chunk
                    ],
                )
                .scalars()
                .all()
            )
            db.session.execute(
                insert(UserRole),
                [
                    {"user_id": user_id, "role": str(role)}
                    for user_id, row in zip(ids, chunk, strict=True)
                    for role in _roles(row)
                ],
            )
            tokens = [secrets.token_urlsafe(32) for _ in chunk]
            db.session.execute(
                insert(AccountToken),
                [
                    {
                        "user_id": user_id,
                        "purpose": "invitation",
                        "token_hash": _token_hash(token),
                        "created_at": now,
                        "expires_at": expires,
                        "note": note,
                    }
                    for user_id, token in zip(ids, tokens, strict=True)
                ],
            )
            queue_mails(
                [
                    (
                        row.email,
                        *invitation_mail(link("accounts.accept_invitation", token=token), days),
                    )
                    for row, token in zip(chunk, tokens, strict=True)
                ],
                now=now,
            )
            progress(start + len(chunk), total)
        existing = find_users_by_email([row.email for row in plan.update])
        for number, row in enumerate(plan.update, 1):
            user = existing[row.email]
            changes = _changes(user, row)
            if "category" in changes:
                user.population = populations[row.category]
            if "region" in changes:
                user.region = regions[row.region]
            if "age_band" in changes:
                user.age_band = row.age_band
            if "gender" in changes:
                user.gender_form = row.gender
            if "name" in changes:
                user.display_name = row.name
            if "delegate" in changes:
                user.roles.append(UserRole(role=str(Role.DELEGATE)))
            if number % CHUNK == 0:
                db.session.flush()
                progress(len(plan.create) + number, total)
        db.session.flush()
        return {"created": len(plan.create), "updated": len(plan.update)}

    def back_url(self, target) -> str:
        """The list of people."""
        return url_for("accounts.people")

    def done_message(self, result: dict) -> str:
        """How many people were invited and updated."""
        return gettext(
            "%(invited)s, %(updated)s.",
            invited=ngettext(
                "%(num)d invitation queued for sending",
                "%(num)d invitations queued for sending",
                result.get("created", 0),
            ),
            updated=ngettext(
                "%(num)d profile updated", "%(num)d profiles updated", result.get("updated", 0)
            ),
        )


def _roles(row: rules.InvitationRow) -> tuple[Role, ...]:
    """An invited person participates; a delegate also votes in the assembly."""
    return (Role.PARTICIPANT, Role.DELEGATE) if row.category == "delegate" else (Role.PARTICIPANT,)


def _changes(user: User, row: rules.InvitationRow) -> dict:
    """What a line changes in an existing account: the values it gives (an empty cell keeps
    what the account holds)."""
    current = {
        "category": user.population.code if user.population else None,
        "region": user.region.name if user.region else None,
        "age_band": user.age_band,
        "gender": user.gender_form,
        "name": user.display_name,
    }
    changes = {
        key: getattr(row, key)
        for key in current
        if key in row.given and getattr(row, key) != current[key]
    }
    if Role.DELEGATE in _roles(row) and Role.DELEGATE not in user.role_names:
        changes["delegate"] = True
    return changes


INVITATIONS = register(Invitations())
