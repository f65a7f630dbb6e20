"""Facts about the signed-in person: loaded with them by the sign-in query, asked otherwise."""

import pytest
from flask_login import current_user
from sqlalchemy import select

from consult.accounts import sessions
from consult.accounts.models import UserRole
from consult.core import facts
from consult.extensions import db

MODERATES = "tests.moderates"


def moderates(user_id):
    """The test's own fact: the person holds the moderator role."""
    return (
        select(UserRole.id)
        .where(UserRole.user_id == user_id, UserRole.role == "moderator")
        .exists()
    )


@pytest.fixture
def registered(monkeypatch):
    """The test's fact registered beside the areas' own, for this test only."""
    monkeypatch.setitem(facts.FACTS, MODERATES, moderates)


@pytest.mark.parametrize(("roles", "expected"), [(("moderator",), True), (("participant",), False)])
def test_the_sign_in_query_loads_every_fact_and_asking_sends_nothing_more(
    registered, make_user, now, statements, roles, expected
):
    person = make_user(roles=roles)
    user_id, token = person.id, sessions.start(person, now=now)
    db.session.commit()
    with statements() as sent:
        user = sessions.load(user_id, token, now=now)
        assert facts.holds(user, MODERATES) is expected
    assert len(sent) == 1  # the sign-in query, every fact included
    assert set(user.loaded_facts) == set(facts.FACTS)


@pytest.mark.parametrize(("roles", "expected"), [(("moderator",), True), (("participant",), False)])
def test_a_person_loaded_any_other_way_is_asked_with_one_statement(
    registered, make_user, statements, roles, expected
):
    """Tests, the CLI, an API token's owner: nothing was loaded, so the database answers (each
    time: nothing is kept that could go stale)."""
    person = make_user(roles=roles)
    assert person.id and person.loaded_facts is None
    with statements() as sent:
        assert facts.holds(person, MODERATES) is expected
        assert facts.holds(person, MODERATES) is expected
    assert len(sent) == 2 and all("EXISTS" in s for s in sent)


def test_nobody_signed_in_holds_no_fact_and_costs_no_statement(app, statements):
    with app.test_request_context():
        with statements() as sent:
            assert facts.holds(current_user, MODERATES) is False
            assert facts.holds(None, MODERATES) is False
    assert sent == []


@pytest.mark.parametrize("by", ["user", "id"])
def test_a_fact_the_request_changed_is_asked_again_once_forgotten(
    registered, make_user, loaded_by_sign_in, by
):
    user = loaded_by_sign_in(make_user())
    assert facts.holds(user, MODERATES) is False
    db.session.add(UserRole(user_id=user.id, role="moderator"))
    db.session.flush()
    assert facts.holds(user, MODERATES) is False  # what the sign-in loaded, until forgotten
    facts.forget(user if by == "user" else user.id, None)
    assert facts.holds(user, MODERATES) is True


def test_a_signed_in_page_sends_one_statement_fewer_per_fact_of_the_menu(
    client, login, make_user, statements, monkeypatch
):
    """Each page asks "My panel" and "My indicators" of a participant: answered by the sign-in
    query rather than by one query each, the page sends 2 statements fewer."""
    login(client, make_user(roles=("participant",)))

    def profile_page() -> list[str]:
        with statements() as sent:
            assert client.get("/profile").status_code == 200
        return sent

    loaded = profile_page()
    monkeypatch.setattr(facts, "keep", lambda user, answers: None)  # as if nothing was loaded
    asked = profile_page()
    assert len(asked) - len(loaded) == 2
    assert sum(s.startswith("SELECT EXISTS") for s in asked) == 2
    # with them loaded, the sign-in query is the only statement about seats or indicators
    assert sum("panel_seat" in s or "mission_indicator" in s for s in loaded) == 1


def test_the_sign_in_query_is_built_once_for_the_facts_registered(
    make_user, loaded_by_sign_in, monkeypatch
):
    """Requests reuse one statement while the registered facts stay the same; a fact
    registered later gets a statement of its own that loads it too."""
    person = make_user()
    loaded_by_sign_in(person)
    built = sessions._sign_in_query.cache_info().misses
    loaded_by_sign_in(person)
    assert sessions._sign_in_query.cache_info().misses == built
    monkeypatch.setitem(facts.FACTS, MODERATES, moderates)
    assert MODERATES in loaded_by_sign_in(person).loaded_facts
    built = sessions._sign_in_query.cache_info().misses
    assert MODERATES in loaded_by_sign_in(person).loaded_facts
    assert sessions._sign_in_query.cache_info().misses == built
