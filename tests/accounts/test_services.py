"""Account services: sign-in, links sent by e-mail, the CSV invitation import, roles, profiles."""

from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from consult.accounts import services
from consult.accounts.models import AccountToken, User
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db

WEEK = timedelta(days=7)


def count(model) -> int:
    """How many rows a table holds."""
    return db.session.scalar(select(func.count()).select_from(model))


# --- signing in -------------------------------------------------------------------------------


def test_authenticate_with_the_right_password_records_the_sign_in(make_user, now):
    user = make_user(email="claire@example.org")
    assert services.authenticate(" Claire@Example.org ", PASSWORD, now=now) == user
    assert user.last_login_at == now


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("claire@example.org", "wrong-password-1"),
        ("claire@example.org", ""),
        ("claire@example.org", None),
        ("nobody@example.org", PASSWORD),
        ("", ""),
    ],
)
def test_authenticate_refuses_wrong_credentials_without_saying_which(
    make_user, now, email, password
):
    make_user(email="claire@example.org")
    assert services.authenticate(email, password, now=now) is None


def test_a_deactivated_account_cannot_sign_in(make_user, now):
    make_user(email="claire@example.org", active=False)
    assert services.authenticate("claire@example.org", PASSWORD, now=now) is None


def test_an_invited_person_without_a_password_cannot_sign_in(make_user, now):
    user = make_user(email="claire@example.org", password=None)
    assert user.password_hash is None
    assert services.authenticate("claire@example.org", "", now=now) is None


def test_passwords_are_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD.upper())


# --- creating accounts ------------------------------------------------------------------------


def test_one_account_per_address_whatever_its_case(app, now):
    services.create_user("claire@example.org", now=now)
    with pytest.raises(RuleError) as caught:
        services.create_user("CLAIRE@example.org", now=now)
    assert caught.value.field == "email"
    assert count(User) == 1


def test_creating_an_account_refuses_a_bad_address_or_password(app, now):
    with pytest.raises(RuleError) as caught:
        services.create_user("claire", now=now)
    assert caught.value.field == "email"
    with pytest.raises(RuleError) as caught:
        services.create_user("claire@example.org", now=now, password="short")
    assert caught.value.field == "password"


def test_the_database_refuses_an_upper_case_address(app, now):
    from sqlalchemy.exc import IntegrityError

    db.session.add(User(email="Claire@example.org", created_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- links sent by e-mail ---------------------------------------------------------------------


def test_a_link_sets_a_password_once(make_user, now):
    user = make_user(password=None)
    token = services.issue_token(user, "invitation", now=now, valid_for=WEEK)
    assert services.peek_token(token, "invitation", now=now).user == user
    assert services.redeem_token(token, "invitation", "a-new-password-42", now=now) == user
    assert user.check_password("a-new-password-42")
    with pytest.raises(RuleError, match="déjà été utilisé"):
        services.redeem_token(token, "invitation", "another-password-42", now=now)
    assert user.check_password("a-new-password-42")


def test_only_a_hash_of_the_link_is_stored(make_user, now):
    user = make_user()
    token = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    stored = db.session.scalar(select(AccountToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_a_link_expires(make_user, now):
    user = make_user()
    token = services.issue_token(user, "password_reset", now=now, valid_for=timedelta(hours=2))
    assert services.peek_token(
        token, "password_reset", now=now + timedelta(hours=2) - timedelta(seconds=1)
    )
    with pytest.raises(RuleError, match="a expiré"):
        services.peek_token(token, "password_reset", now=now + timedelta(hours=2))
    with pytest.raises(RuleError, match="a expiré"):
        services.redeem_token(token, "password_reset", "a-new-password-42", now=now + WEEK)
    assert user.check_password(PASSWORD)


def test_a_new_link_supersedes_the_earlier_ones(make_user, now):
    user = make_user()
    first = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    second = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    with pytest.raises(RuleError, match="pas valide"):
        services.peek_token(first, "password_reset", now=now)
    assert services.peek_token(second, "password_reset", now=now)


def test_a_link_of_one_kind_does_not_open_the_other(make_user, now):
    user = make_user()
    invitation = services.issue_token(user, "invitation", now=now, valid_for=WEEK)
    reset = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    with pytest.raises(RuleError):
        services.peek_token(invitation, "password_reset", now=now)
    # A reset link does not cancel a pending invitation, and the other way round.
    assert services.peek_token(invitation, "invitation", now=now)
    assert services.peek_token(reset, "password_reset", now=now)


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 500])
def test_unknown_links_are_refused(app, now, token):
    with pytest.raises(RuleError, match="pas valide"):
        services.peek_token(token, "invitation", now=now)


def test_a_link_of_a_deactivated_account_is_refused(make_user, now):
    user = make_user(active=False)
    token = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    with pytest.raises(RuleError, match="compte est désactivé"):
        services.peek_token(token, "password_reset", now=now)


def test_a_link_does_not_accept_a_weak_password_and_stays_usable(make_user, now):
    user = make_user()
    token = services.issue_token(user, "password_reset", now=now, valid_for=WEEK)
    with pytest.raises(RuleError) as caught:
        services.redeem_token(token, "password_reset", "short", now=now)
    assert caught.value.field == "password"
    assert services.peek_token(token, "password_reset", now=now)


# --- roles, deactivation, profile -------------------------------------------------------------


def test_set_roles_replaces_roles_and_is_audited(make_user, now):
    admin = make_user(roles=("administrator",))
    user = make_user(roles=("participant",))
    services.set_roles(admin, user, ["moderator", "analyst"], now=now)
    db.session.commit()
    assert user.role_names == {"moderator", "analyst"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "accounts.roles"))
    assert event.before == {"roles": ["participant"]}
    assert event.after == {"roles": ["analyst", "moderator"]}


def test_an_administrator_cannot_remove_their_own_administrator_role(make_user, now):
    admin = make_user(roles=("administrator", "organiser"))
    with pytest.raises(RuleError, match="votre propre rôle d’administrat"):
        services.set_roles(admin, admin, ["organiser"], now=now)
    assert admin.role_names == {"administrator", "organiser"}
    services.set_roles(admin, admin, ["administrator"], now=now)
    assert admin.role_names == {"administrator"}


def test_set_roles_refuses_an_unknown_role(make_user, now):
    admin = make_user(roles=("administrator",))
    user = make_user()
    with pytest.raises(ValueError):
        services.set_roles(admin, user, ["emperor"], now=now)
    assert user.role_names == {"participant"}


def test_an_administrator_cannot_deactivate_themselves(make_user, now):
    admin = make_user(roles=("administrator",))
    user = make_user()
    with pytest.raises(RuleError, match="désactiver votre propre compte"):
        services.set_active(admin, admin, False, now=now)
    services.set_active(admin, user, False, now=now)
    assert user.active is False and not user.is_active


def test_saving_the_profile_needs_consent_and_records_it_once(make_user, reference_data, now):
    populations, regions = reference_data
    user = make_user(consented=False)
    with pytest.raises(RuleError) as caught:
        services.save_profile(
            user, gender_form="m", age_band="20-30", region=None, consent=False, now=now
        )
    assert caught.value.field == "consent"
    assert user.population.code == "member" and user.profile_consented_at is None
    services.save_profile(
        user, gender_form="m", age_band="20-30", region=regions["Bretagne"], consent=True, now=now
    )
    assert (user.population.code, user.gender_form, user.age_band, user.region.name) == (
        "member",
        "m",
        "20-30",
        "Bretagne",
    )
    assert user.profile_consented_at == now
    later = now + WEEK
    services.save_profile(
        user, gender_form="n", age_band=None, region=None, consent=True, now=later
    )
    assert user.profile_consented_at == now


@pytest.mark.parametrize(("field", "value"), [("gender_form", "x"), ("age_band", "15-18")])
def test_saving_the_profile_refuses_values_outside_the_lists(make_user, now, field, value):
    user = make_user()
    values = {"gender_form": "f", "age_band": "40-60"} | {field: value}
    with pytest.raises(RuleError) as caught:
        services.save_profile(user, region=None, consent=True, now=now, **values)
    assert caught.value.field == field


def test_only_an_administrator_sets_a_population_and_it_is_audited(make_user, reference_data, now):
    from consult.core.models import AuditEvent

    populations, _regions = reference_data
    admin = make_user(roles=("administrator",))
    user = make_user(population="citizen")
    services.set_population(admin, user, populations["employee"], now=now)
    assert user.population.code == "employee"
    event = db.session.query(AuditEvent).filter_by(action="accounts.population_of").one()
    assert event.before == {"population": "citizen"} and event.after == {"population": "employee"}
