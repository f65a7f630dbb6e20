"""Accounts as an attacker tries them: sessions that end, limits that slow without locking,
timing that tells nothing, passwords that are not common, populations nobody picks."""

import html
import re
import time
from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from consult.accounts import services, sessions
from consult.accounts.models import SignInSession, User
from consult.core import mail
from consult.core.ratelimits import describe_limits
from consult.extensions import db

NEW_PASSWORD = "une-nouvelle-phrase-42"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _sign_in(client, user, password=PASSWORD, **extra):
    return client.post("/login", data={"email": user.email, "password": password, **extra})


# --- revocable sessions ------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_no_longer_works(app, client, make_user):
    user = make_user()
    assert _sign_in(client, user).status_code == 302
    with client.session_transaction() as cookie:
        copied = dict(cookie)
    client.post("/logout")
    thief = app.test_client()
    with thief.session_transaction() as cookie:
        cookie.update(copied)
    assert thief.get("/profile").status_code == 302


def test_a_copied_remember_me_cookie_stops_with_its_session(app, client, make_user):
    user = make_user()
    _sign_in(client, user, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/profile").status_code == 200  # the cookie is genuine...
    (row,) = sessions.active(db.session.get(User, user.id), now=_now())
    services_user = db.session.get(User, user.id)
    sessions.end(services_user, row.id, now=_now())
    db.session.commit()
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/profile").status_code == 302  # ...until its session is ended


def _now():
    from consult.core.clock import utcnow

    return utcnow()


def test_a_person_lists_and_ends_their_sessions(app, client, make_user):
    user = make_user()
    laptop = app.test_client()
    _sign_in(laptop, user)
    _sign_in(client, user, remember="y")
    page = text(client.get("/account/sessions"))
    assert "2 sessions actives" in page and "Cette session" in page
    (other,) = [r for r in db.session.query(SignInSession).all() if not r.remember]
    other_id = other.id
    assert client.post(f"/account/sessions/{other_id}/end").status_code == 303
    assert laptop.get("/profile").status_code == 302
    assert client.get("/profile").status_code == 200
    stranger = make_user()
    _sign_in(laptop, stranger)
    theirs = db.session.query(SignInSession).filter_by(user_id=stranger.id).one().id
    assert client.post(f"/account/sessions/{theirs}/end").status_code == 404
    assert laptop.get("/profile").status_code == 200


def test_sessions_expire_when_unused(app, client, make_user):
    user = make_user()
    _sign_in(client, user)
    row = db.session.query(SignInSession).one()
    row.last_seen_at -= timedelta(hours=app.config["SESSION_IDLE_HOURS"] + 1)
    db.session.commit()
    assert client.get("/profile").status_code == 302


def test_a_deactivated_account_is_signed_out_everywhere(client, login, make_user, now):
    user = make_user()
    _sign_in(client, user)
    admin = make_user(roles=("administrator",))
    services.set_active(admin, db.session.get(User, user.id), False, now=now)
    db.session.commit()
    assert client.get("/profile").status_code == 302


# --- changing one's password -------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(app, client, make_user):
    user = make_user()
    elsewhere = app.test_client()
    _sign_in(elsewhere, user)
    _sign_in(client, user)
    wrong = client.post(
        "/account/password",
        data={"current": "not-it-at-all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "Ce n’est pas votre mot de passe actuel." in text(wrong)
    weak = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "azertyuiop", "confirm": "azertyuiop"},
    )
    assert weak.status_code == 422 and "trop courant" in text(weak)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert elsewhere.get("/profile").status_code == 302
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_a_reset_link_refuses_a_common_password(client, make_user):
    make_user(email="claire@example.org")
    client.post("/password/forgotten", data={"email": "claire@example.org"})
    link = mail.outbox[-1].get_content().split("consult.test", 1)[1].split()[0]
    response = client.post(link, data={"password": "1234567890", "confirm": "1234567890"})
    assert response.status_code == 422 and "trop courant" in text(response)


# --- limits: per account and address, slowed per account, never locked --------------------------


@pytest.fixture
def limits(app):
    """Real limits for one test: 10 per account and address, the account slowed after 15."""
    saved = {
        k: app.config[k] for k in ("RATE_LIMITS", "SIGN_IN_ACCOUNT_CEILING", "SIGN_IN_ACCOUNT_PACE")
    }
    app.config["RATE_LIMITS"] = {**saved["RATE_LIMITS"], "accounts.login": "10 per minute"}
    app.config["SIGN_IN_ACCOUNT_CEILING"] = "15 per hour"
    app.config["SIGN_IN_ACCOUNT_PACE"] = "1 per 2 seconds"
    yield
    app.config.update(saved)


def _from(client, address, user, password):
    return client.post(
        "/login",
        data={"email": user.email, "password": password},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_guessing_from_one_address_does_not_lock_the_owner_out(client, make_user, limits):
    victim = make_user(email="claire@example.org")
    for _ in range(10):
        assert _from(client, "203.0.113.7", victim, "wrong-guess-1").status_code == 422
    assert _from(client, "203.0.113.7", victim, PASSWORD).status_code == 429
    assert _from(client, "198.51.100.2", victim, PASSWORD).status_code == 302


def test_a_guesser_spread_over_addresses_slows_the_account_but_never_locks_it(
    app, make_user, limits
):
    victim = make_user(email="claire@example.org")
    for number in range(15):
        response = _from(app.test_client(), f"203.0.113.{number}", victim, "wrong-guess-1")
        assert response.status_code == 422
    owner = app.test_client()
    _from(app.test_client(), "203.0.113.99", victim, "wrong-guess-1")  # takes the slot
    slowed = _from(owner, "198.51.100.2", victim, PASSWORD)
    assert slowed.status_code == 429 and "réessayez dans" in text(slowed)
    time.sleep(2.1)
    assert _from(owner, "198.51.100.2", victim, PASSWORD).status_code == 302


def test_every_limit_is_described_once(app):
    described = describe_limits()
    settings = {(d.setting, d.endpoint) for d in described}
    assert ("RATE_LIMITS", "accounts.login") in settings
    assert ("RATE_LIMITS_PER_ADDRESS", "accounts.login") in settings
    assert ("SIGN_IN_ACCOUNT_CEILING", "accounts.login") in settings
    assert ("PASSWORD_RESET_LIMIT", "accounts.forgotten_password") in settings
    assert ("API_RATE_LIMIT", "api") in settings
    assert all(d.value and str(d.counted) and str(d.action) for d in described)


def test_no_limit_is_applied_that_the_description_leaves_out(app):
    """Whatever Flask-Limiter holds (a decorator on a view, a limit on a blueprint) is in
    describe_limits(): a limit written anywhere else would be missing from the admin page."""
    from flask_limiter.util import get_qualified_name

    from consult.extensions import limiter

    with app.test_request_context():
        described = {d.endpoint for d in describe_limits()}
    by_function = {}
    for endpoint, view in app.view_functions.items():
        by_function.setdefault(get_qualified_name(view), set()).add(endpoint)
    manager = limiter.limit_manager
    decorated = set().union(*(by_function.get(name, {name}) for name in manager._decorated_limits))
    assert decorated and decorated <= described
    assert set(manager._blueprint_limits) == {"api", "assembly_api"} and "api" in described


# --- timing and mail ----------------------------------------------------------------------------


def test_an_unknown_address_costs_a_password_hash_too(app, make_user, monkeypatch, now):
    """The same work either way: a hash is checked whether or not the account exists."""
    import consult.accounts.services as accounts

    make_user(email="claire@example.org")
    checked = []
    real = accounts.check_password_hash
    monkeypatch.setattr(
        accounts, "check_password_hash", lambda h, p: checked.append(h) or real(h, p)
    )
    monkeypatch.setattr(
        "consult.accounts.models.check_password_hash",
        lambda h, p: checked.append(h) or real(h, p),
    )
    assert services.authenticate("nobody@example.org", "x", now=now) is None
    assert services.authenticate("claire@example.org", "x", now=now) is None
    assert len(checked) == 2
    method = app.config["PASSWORD_HASH_METHOD"].split(":")[0]
    assert all(h.startswith(method) for h in checked)


def test_a_reset_request_costs_the_same_whether_the_address_has_an_account(
    app, client, make_user, monkeypatch
):
    """The request queues the typed address alone (one row of the outbox, no token), the same
    statements for a known and an unknown address; the delivery, after the commit, makes the
    link and the mail for an account, and drops the row for an unknown address."""
    from sqlalchemy import event

    from consult.accounts.models import AccountToken
    from consult.core.models import OutgoingMail

    make_user(email="claire@example.org")
    monkeypatch.setitem(app.config, "MAIL_INLINE_LIMIT", 0)  # the worker's part, done below
    statements = []

    def record(_conn, _cursor, statement, *_args):
        written = re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement, re.I)
        if written:
            statements.append(f"{written.group(1).upper()} {written.group(2)}")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        seen = []
        for email in ("claire@example.org", "nobody@example.org"):
            statements.clear()
            response = client.post("/password/forgotten", data={"email": email})
            assert response.status_code == 302
            seen.append(list(statements))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen[0] == seen[1]
    assert seen[0] == ["INSERT INTO mail_outbox"]
    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    assert [(r.recipient, r.composer, r.body) for r in rows] == [
        ("claire@example.org", "accounts.password_reset", ""),
        ("nobody@example.org", "accounts.password_reset", ""),
    ]
    assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
    assert mail.deliver() == 1  # the unknown address's row is dropped, not sent
    assert [m["To"] for m in mail.outbox] == ["claire@example.org"]
    assert "/password/reset/" in mail.outbox[0].get_content()
    assert mail.pending_count() == 0


def test_the_reset_mail_speaks_the_language_it_was_asked_in(client, make_user):
    make_user(email="claire@example.org")
    client.post("/language", data={"lang": "en", "next": "/"})
    client.post("/password/forgotten", data={"email": "Claire@Example.org "})
    (message,) = mail.outbox
    assert message["To"] == "claire@example.org" and message["Subject"] == "Choose a new password"
    assert message.get_content().startswith("To choose a new password")


def test_the_sign_in_loads_the_role_names_and_a_change_of_roles_is_seen_at_once(
    app, make_user, now
):
    """The request's one sign-in query brings the names of the person's roles (no role object
    is loaded for the checks); once their roles change in the request, the change is what
    the checks see."""
    admin = make_user(roles=["administrator", "moderator"])
    admin_id, token = admin.id, sessions.start(admin, now=now)
    db.session.commit()
    db.session.expunge_all()
    loaded = sessions.load(admin_id, token, now=now)
    assert loaded.role_names == {"administrator", "moderator"}
    assert "roles" not in loaded.__dict__  # not loaded as objects
    assert loaded.has_role("analyst")  # an administrator holds every role
    services.set_roles(loaded, loaded, ["administrator", "analyst"], now=now)
    assert loaded.role_names == {"administrator", "analyst"}
    db.session.commit()
    db.session.expunge_all()
    assert sessions.load(admin_id, token, now=now).role_names == {"administrator", "analyst"}
    bare = make_user(roles=[])
    bare_id, token = bare.id, sessions.start(bare, now=now)
    db.session.commit()
    assert sessions.load(bare_id, token, now=now).role_names == frozenset()
