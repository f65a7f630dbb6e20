"""People, their roles and profile, the populations and regions they belong to."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from consult.extensions import db


class Population(db.Model):
    """A category of people a mutual consults (members, employees, delegates, ...): configurable."""

    __tablename__ = "population"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable code used in imports and URLs ("member", "employee", ...).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: Plural name ("Adhérents").
    name: Mapped[str] = mapped_column(String(120))
    #: Singular labels by grammatical gender form, for attributed quotes.
    label_feminine: Mapped[str] = mapped_column(String(80))
    label_masculine: Mapped[str] = mapped_column(String(80))
    label_neutral: Mapped[str] = mapped_column(String(80))
    #: Internal populations (employees, delegates) make up the internal participation rate.
    internal: Mapped[bool] = mapped_column(default=False)
    #: Display order.
    position: Mapped[int] = mapped_column(default=0)

    def label_for(self, gender_form: str | None) -> str:
        """The singular label that agrees with a person's gender form."""
        return {"f": self.label_feminine, "m": self.label_masculine}.get(
            gender_form or "", self.label_neutral
        )


class Region(db.Model):
    """A region people live in: a configurable list (reports may use pre-2016 names)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name as shown and as imported ("Occitanie", "Auvergne").
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: Display order.
    position: Mapped[int] = mapped_column(default=0)


class User(UserMixin, db.Model):
    """A person who signs in; the profile is what quotes are attributed by, never the name."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("gender_form IN ('f', 'm', 'n')", name="gender_form"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased e-mail address, the sign-in identifier.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Password hash (werkzeug scrypt); None until an invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: Name shown to organisers only; never in published quotes.
    display_name: Mapped[str] = mapped_column(String(120), default="")
    #: Profile: population (category), gender form (f, m, n), age band code, region.
    population_id: Mapped[int | None] = mapped_column(ForeignKey("population.id"), index=True)
    gender_form: Mapped[str] = mapped_column(String(1), default="n")
    age_band: Mapped[str | None] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    #: When the person accepted the processing of their profile data; None means not yet.
    profile_consented_at: Mapped[datetime | None]
    #: Deactivated accounts cannot sign in; nothing they wrote is deleted.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    #: When the person deleted their account: the row stays, emptied of personal data, so that
    #: the contributions kept in the synthesis still count as one participant's.
    deleted_at: Mapped[datetime | None]

    population: Mapped[Population | None] = relationship(lazy="joined")
    region: Mapped[Region | None] = relationship(lazy="joined")
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        """The roles this person holds, as plain strings: those their sign-in loaded, until
        `roles` itself is loaded or changed in this request."""
        if self.loaded_role_names is not None and "roles" not in self.__dict__:
            return self.loaded_role_names
        return frozenset(r.role for r in self.roles)

    #: The random id of the sign-in session this object was loaded for (never stored here).
    session_token = None
    #: The names of the roles their sign-in loaded with them (consult.accounts.sessions; never
    #: stored); None for a person loaded any other way.
    loaded_role_names = None
    #: The facts about the person their sign-in loaded with them, by name (consult.core.facts;
    #: never stored); None for a person loaded any other way.
    loaded_facts = None

    def get_id(self) -> str:
        """Flask-Login: the id plus the sign-in session's random token, checked against the
        sign_in_session table on every request (consult.accounts.sessions), so ending a session
        there signs its cookie out, even a copy taken before."""
        return f"{self.id}.{self.session_token or ''}"

    @property
    def is_active(self) -> bool:
        """Flask-Login: deactivated accounts cannot sign in."""
        return self.active

    def has_role(self, *roles) -> bool:
        """True when the person holds one of the roles (administrators hold them all)."""
        from consult.core.permissions import has_any_role

        return has_any_role(self, roles)

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (werkzeug's scrypt)."""
        from flask import current_app

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True when the password matches; always False for accounts without one yet."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def profile_complete(self) -> bool:
        """True when the profile was filled in and consented to."""
        return self.profile_consented_at is not None


class UserRole(db.Model):
    """One role held by one person."""

    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(
            "role IN ('participant', 'delegate', 'moderator', 'analyst', 'organiser',"
            " 'administrator', 'committee', 'auditor')",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: One of consult.core.permissions.Role.
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="roles")


class AccountToken(db.Model):
    """A single-use link sent by e-mail (invitation or password reset); only its hash is stored."""

    __tablename__ = "account_token"
    __table_args__ = (
        CheckConstraint("purpose IN ('invitation', 'password_reset')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: "invitation" or "password_reset".
    purpose: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the random token sent in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    #: When the link was used; a used link never works again.
    used_at: Mapped[datetime | None]
    #: Free note (e.g. the CSV file an invitation came from).
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()


class SignInSession(db.Model):
    """One signed-in browser: the cookie holds a random token, the table its hash and its state.

    A session lives here, not only in the signed cookie, so that signing out, ending a session
    from the sessions page or choosing a new password makes every copy of the cookie useless.
    """

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token the cookie carries (a database leak gives no usable cookie).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: True when the person ticked "stay signed in" (the remember-me cookie then restores it).
    remember: Mapped[bool] = mapped_column(default=False)
    #: The browser's User-Agent, cut to 200 characters, so a person recognises their devices.
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    #: Last request seen (updated at most every few minutes).
    last_seen_at: Mapped[datetime]
    #: When the session was ended (sign-out, ended from the list, new password); None: active.
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
