"""Faults: a COMMIT that fails, a connection killed, the database gone. Nobody is told "counted"
(or "saved") before the commit succeeded, and the pages that say so need no database."""

import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from consult.assembly import services
from consult.assembly.models import Assembly, Ballot, Participation
from consult.core import mail
from consult.extensions import db

PASSWORD = "correct-horse-battery"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
LOST = OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


@contextmanager
def failing_commits(times=1):
    """The next `times` COMMITs fail as when the connection drops at that moment."""
    left = {"n": times}

    def fail(_connection):
        if left["n"] > 0:
            left["n"] -= 1
            raise LOST

    event.listen(db.engine, "commit", fail)
    try:
        yield left
    finally:
        event.remove(db.engine, "commit", fail)


@contextmanager
def database_down(after_commit=False):
    """Every statement fails (the database is gone); with after_commit, only once one committed."""
    state = {"committed": not after_commit}

    def committed(_connection):
        state["committed"] = True

    def refuse(_connection, _cursor, statement, *_args):
        if state["committed"]:
            raise OperationalError(statement, {}, Exception("connection refused"))

    event.listen(db.engine, "commit", committed)
    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)
        event.remove(db.engine, "commit", committed)


@pytest.fixture
def open_vote(app, make_assembly, officer, now, delegate_user):
    """An open assembly of 6 delegates whose accounts have a password."""
    assembly = make_assembly(delegates=6)
    for n in range(1, 7):
        delegate_user(n).set_password(PASSWORD)
    with app.test_request_context(method="POST"):
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    return assembly


def signed_in(app, login, user):
    """A fresh client signed in as `user`."""
    client = app.test_client()
    login(client, user)
    return client


def ballot_form(assembly, n, choice="for"):
    """The URL and the form of one ballot for delegate n's own mandate."""
    resolution = assembly.resolutions[0]
    mandate = services.find_delegate(assembly, f"D{n:03d}").id
    url = f"/assemblies/{assembly.id}/resolutions/{resolution.id}/vote"
    return url, {"mandate": mandate, "choice": choice}


def cast(client, assembly, n, choice="for"):
    """POST one ballot for delegate n's own mandate."""
    url, form = ballot_form(assembly, n, choice)
    return client.post(url, data=form)


def session_of(client) -> dict:
    """What the browser's session cookie holds."""
    with client.session_transaction() as stored:
        return dict(stored)


def stored_ballots(assembly) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            select(Ballot.code).where(Ballot.resolution_id == assembly.resolutions[0].id)
        )
    )


def test_a_failed_commit_gives_no_receipt_and_says_the_vote_was_not_recorded(
    app, open_vote, login, delegate_user
):
    client = signed_in(app, login, delegate_user(1))
    with failing_commits():
        response = cast(client, open_vote, 1)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "n’a pas été enregistré" in page and "Votez à nouveau" in page
    assert not CODE.search(page) and "pris en compte" not in page
    cookie = session_of(client)
    assert "_flashes" not in cookie and "assembly_receipt" not in cookie
    assert stored_ballots(open_vote) == set()
    vote_page = client.get(f"/assemblies/{open_vote.id}/vote").get_data(as_text=True)
    assert "pris en compte" not in vote_page and not CODE.search(vote_page)
    # Voting again works, and only then is a code given.
    assert cast(client, open_vote, 1).status_code == 303
    code = CODE.search(client.get(f"/assemblies/{open_vote.id}/vote").get_data(as_text=True))
    assert code and stored_ballots(open_vote) == {code.group(0)}
    assert services.verify(db.session.get(Assembly, open_vote.id)) == []


def test_under_failing_commits_every_receipt_is_a_stored_ballot(
    app, open_vote, login, delegate_user
):
    """Figures: 0 acknowledged ballots missing, 0 receipts for ballots not stored."""
    clients = {n: signed_in(app, login, delegate_user(n)) for n in range(1, 7)}
    acknowledged, refused = {}, []
    for round_ in range(2):
        for n, client in clients.items():
            if n in acknowledged:
                continue
            with failing_commits(times=1 if (n + round_) % 2 else 0):
                response = cast(client, open_vote, n)
            if response.status_code == 303:
                page = client.get(f"/assemblies/{open_vote.id}/vote").get_data(as_text=True)
                acknowledged[n] = CODE.search(page).group(0)
            else:
                assert response.status_code == 503
                assert "assembly_receipt" not in session_of(client)
                refused.append(n)
    assert refused and len(acknowledged) == 6
    stored = stored_ballots(open_vote)
    missing = set(acknowledged.values()) - stored
    unbacked = stored - set(acknowledged.values())
    assert (len(missing), len(unbacked)) == (0, 0)
    assert services.verify(db.session.get(Assembly, open_vote.id)) == []


def test_the_receipt_is_shown_once_and_not_kept_in_the_cookie(app, open_vote, login, delegate_user):
    client = signed_in(app, login, delegate_user(1))
    assert cast(client, open_vote, 1).status_code == 303
    first = client.get(f"/assemblies/{open_vote.id}/vote").get_data(as_text=True)
    code = CODE.search(first).group(0)
    assert "ne sera plus affiché" in first
    assert code not in str(session_of(client))
    again = client.get(f"/assemblies/{open_vote.id}/vote").get_data(as_text=True)
    assert "Votre vote est pris en compte" in again and code not in again


def test_signing_out_clears_the_session(app, open_vote, login, delegate_user):
    client = signed_in(app, login, delegate_user(1))
    client.post("/language", data={"lang": "fr", "next": "/"})
    assert cast(client, open_vote, 1).status_code == 303  # receipt not yet shown
    assert client.post("/logout").status_code == 302
    cookie = session_of(client)
    assert set(cookie) <= {"lang", "_flashes"}, cookie
    assert not CODE.search(str(cookie))


def test_error_pages_need_no_database(app, open_vote, login, delegate_user):
    client = signed_in(app, login, delegate_user(1))
    url, form = ballot_form(open_vote, 1)
    with database_down():
        page = client.get(f"/assemblies/{open_vote.id}/vote")
        vote = client.post(url, data=form)
    assert page.status_code == 503
    assert "temporairement indisponible" in page.get_data(as_text=True)
    assert vote.status_code == 503
    assert "n’a pas été enregistré" in vote.get_data(as_text=True)
    assert client.get(f"/assemblies/{open_vote.id}/vote").status_code == 200  # served again


def test_no_query_after_the_commit(app, open_vote, login, delegate_user):
    """The signed-in person is not reloaded after the commit; a database that drops just then
    does not turn a stored ballot into an error."""
    client = signed_in(app, login, delegate_user(1))
    url, form = ballot_form(open_vote, 1)
    with database_down(after_commit=True):
        response = client.post(url, data=form)
    assert response.status_code == 303
    assert "assembly_receipt" in session_of(client)
    assert len(stored_ballots(open_vote)) == 1


def test_the_same_rule_for_answers_proxies_and_mails(
    app, open_vote, login, officer, make_user, make_consultation, now
):
    """An answer, a proxy: a failed commit leaves no "saved" message, no row, no e-mail."""
    question = make_consultation().questions[0]
    author = make_user()
    client = signed_in(app, login, author)
    with failing_commits():
        response = client.post(f"/questions/{question.id}/answer", data={"answer": "Entraide"})
    assert response.status_code == 503
    assert "_flashes" not in session_of(client)
    from consult.consultations.models import Contribution

    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 0

    officer_client = signed_in(app, login, officer)
    with failing_commits():
        response = officer_client.post(
            f"/assemblies/{open_vote.id}/proxies", data={"giver": "D005", "holder": "D006"}
        )
    assert response.status_code == 503
    assert "_flashes" not in session_of(officer_client)
    assert services.active_proxies(db.session.get(Assembly, open_vote.id)) == []

    mail.outbox.clear()
    with app.test_request_context(method="POST"):
        mail.queue_mail("someone@example.org", "Accepted", "Your place is confirmed.", now=now)
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        mail.deliver()
    assert mail.outbox == []


@pytest.mark.postgres
def test_a_backend_killed_at_commit_time_loses_the_ballot_and_says_so(
    app, open_vote, login, delegate_user
):
    """pg_terminate_backend just before COMMIT: the voter is told; the app serves again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    killer = create_engine(db.engine.url)
    armed = threading.Event()
    armed.set()

    def terminate(connection):
        if armed.is_set():
            armed.clear()
            pid = connection.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()

    client = signed_in(app, login, delegate_user(1))
    event.listen(db.engine, "commit", terminate)
    try:
        response = cast(client, open_vote, 1)
    finally:
        event.remove(db.engine, "commit", terminate)
        killer.dispose()
    assert response.status_code == 503
    assert "n’a pas été enregistré" in response.get_data(as_text=True)
    assert "assembly_receipt" not in session_of(client)
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    assert cast(client, open_vote, 1).status_code == 303  # a new connection, no restart
    assert len(stored_ballots(open_vote)) == 1
    assert services.verify(db.session.get(Assembly, open_vote.id)) == []
