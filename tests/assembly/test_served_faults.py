"""Faults in real processes: gunicorn workers killed in the middle of a cast, and the database
server going away and coming back while casts run.

Voters are HTTP clients with their own cookies. Each one votes as a person would: on a page that
says the vote was not recorded, or on no answer at all, it votes again; a tracking code counts as
received only when the vote page showed it. What must hold afterwards: 0 acknowledged ballots
missing, 0 stored ballots that nobody was given a receipt for, one ballot per delegate,
`consult assembly verify` agreeing once the vote is closed, and the same server processes serving
again without a restart.

The database restart is simulated with a TCP proxy that the test owns: the served app reaches
PostgreSQL only through it, and the test cuts every connection and refuses new ones for a while,
then accepts them again. Seen from the app that is what a restart does (connections dropped
mid-transaction and mid-COMMIT, then refused while the server starts), and it disturbs no one
else using the same PostgreSQL server, which `pg_ctlcluster ... restart` would.
"""

import os
import re
import signal
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from serving import Gunicorn, free_port, worker_pids
from sqlalchemy import func, select

from consult.assembly import services
from consult.assembly.models import Assembly, Ballot, Participation
from consult.core.clock import utcnow
from consult.extensions import db

PASSWORD = "correct-horse-battery"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
HERE = Path(__file__).resolve().parent
#: How long a voter's browser waits for an answer (a browser waits minutes; a shorter wait would
#: make the voter send again while the first request still sits in the server's queue).
BROWSER_WAIT = 150


# --------------------------------------------------------------------------- the served app


@contextmanager
def served(database_url: str, trap_dir: Path, workers: int = 3):
    """gunicorn with `workers` sync workers on the given database; yields (base URL, master)."""
    env = {"CONSULT_TEST_DATABASE_URL": database_url, "CONSULT_TEST_TRAP_DIR": str(trap_dir)}
    options = ["--timeout", "120", "--graceful-timeout", "2"]
    server = Gunicorn(
        "served_app:make_app()", workers=workers, options=options, env=env, path=[HERE]
    )
    with server:
        server.wait_until_up(180)  # a loaded machine boots workers slowly
        yield server.base, server.process


# --------------------------------------------------------------------------- voters


class Voter:
    """One delegate's browser: signs in, votes until a tracking code is shown to them."""

    def __init__(self, base: str, assembly_id: int, resolution_id: int, mandate: int, email: str):
        self.base, self.email = base, email
        self.vote_page = f"{base}/assemblies/{assembly_id}/vote"
        self.url = f"{base}/assemblies/{assembly_id}/resolutions/{resolution_id}/vote"
        self.mandate = mandate
        self.browser = requests.Session()
        self.receipts: list[str] = []  # every code shown, in order; the last one counts
        self.troubles: list[str] = []  # what went wrong on the way (503 pages, no answer)

    def sign_in(self) -> None:
        response = self.browser.post(
            f"{self.base}/login",
            data={"email": self.email, "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text[:300]

    def vote(self, choice: str, deadline: float) -> None:
        """Cast until the receipt is shown, as a person told "not recorded" votes again."""
        form = {"mandate": self.mandate, "choice": choice}
        while time.monotonic() < deadline:
            try:
                response = self.browser.post(
                    self.url, data=form, allow_redirects=False, timeout=BROWSER_WAIT
                )
            except requests.RequestException as error:
                self.troubles.append(f"no answer: {type(error).__name__}")
                time.sleep(0.1)
                continue
            if response.status_code == 303:
                self.receipts.append(self.receipt(deadline))
                return
            assert response.status_code == 503, (response.status_code, response.text[:500])
            assert "n’a pas été enregistré" in response.text
            assert not CODE.search(response.text)
            self.troubles.append("503 not recorded")
            time.sleep(0.1)
        raise AssertionError(f"{self.email} could not vote: {self.troubles}")

    def receipt(self, deadline: float) -> str:
        """The tracking code the vote page shows (the cookie keeps it until a page showed it)."""
        while time.monotonic() < deadline:
            try:
                response = self.browser.get(self.vote_page, timeout=BROWSER_WAIT)
            except requests.RequestException as error:
                self.troubles.append(f"vote page, no answer: {type(error).__name__}")
                time.sleep(0.1)
                continue
            if response.status_code == 200:
                found = CODE.search(response.text)
                assert found, "the vote was acknowledged, but no code was shown"
                return found.group(0)
            assert response.status_code == 503, response.status_code
            self.troubles.append("vote page 503")
            time.sleep(0.1)
        raise AssertionError(f"{self.email}: the vote page never came back")


def run_all(voters, work) -> None:
    """Run work(voter) for every voter in its own thread; re-raise the first failure."""
    failures = []

    def run(voter):
        try:
            work(voter)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(v,)) for v in voters]
    for thread in threads:
        thread.start()
    return threads, failures


def join(threads, failures) -> None:
    for thread in threads:
        thread.join(timeout=300)
    if failures:
        raise failures[0]


# --------------------------------------------------------------------------- fixtures


VOTERS = 12


@pytest.fixture
def open_vote(app, make_assembly, officer, now, delegate_user):
    """An open assembly of 12 delegates with passwords (vote changes allowed)."""
    assembly = make_assembly(delegates=VOTERS)
    for n in range(1, VOTERS + 1):
        delegate_user(n).set_password(PASSWORD)
    with app.test_request_context(method="POST"):
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    return assembly


def voters_of(base: str, assembly: Assembly) -> list[Voter]:
    resolution_id = assembly.resolutions[0].id
    return [
        Voter(
            base, assembly.id, resolution_id, d.id, f"delegate{int(d.identifier[1:])}@example.org"
        )
        for d in assembly.delegates
    ]


def what_holds(app, runner, officer, assembly_id: int, voters: list[Voter]) -> dict:
    """Compare what the voters were shown with what is stored; close and verify."""
    db.session.remove()
    assembly = db.session.get(Assembly, assembly_id)
    resolution_id = assembly.resolutions[0].id
    stored = set(
        db.session.scalars(select(Ballot.code).where(Ballot.resolution_id == resolution_id))
    )
    acknowledged = {v.receipts[-1] for v in voters if v.receipts}
    participations = db.session.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.resolution_id == resolution_id)
    )
    with app.test_request_context(method="POST"):
        services.close_all(db.session.merge(officer), assembly, now=utcnow())
        db.session.commit()
    verified = runner.invoke(args=["assembly", "verify", str(assembly_id)])
    return {
        "acknowledged missing": len(acknowledged - stored),
        "stored without receipt": len(stored - acknowledged),
        "voters with a receipt": sum(1 for v in voters if v.receipts),
        "ballots": len(stored),
        "participations": participations,
        "verify": (verified.exit_code, verified.output.strip().splitlines()[-1]),
    }


def sound(voters: int) -> dict:
    return {
        "acknowledged missing": 0,
        "stored without receipt": 0,
        "voters with a receipt": voters,
        "ballots": voters,
        "participations": voters,
        "verify": (0, "OK: the chain is intact and every recount matches."),
    }


def wait_for(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"nothing reached {path.name}"
        time.sleep(0.01)
    return path.read_text()


# --------------------------------------------------------------------------- a worker killed


def test_workers_killed_mid_cast_lose_nothing_acknowledged(
    app, open_vote, officer, runner, tmp_path
):
    """SIGKILL a worker whose cast is about to COMMIT (the ballot is lost, and nobody was told it
    counted), then one whose cast has just committed (stored; the voter never saw the code, votes
    again and replaces it). The master replaces the workers; everyone ends with a receipt."""
    assembly_id = open_vote.id
    with served(str(db.engine.url.render_as_string(hide_password=False)), tmp_path) as (
        base,
        master,
    ):
        voters = voters_of(base, open_vote)
        for voter in voters:
            voter.sign_in()
        first_workers = worker_pids(master)
        (tmp_path / "before-commit").touch()
        (tmp_path / "after-commit").touch()
        deadline = time.monotonic() + 180
        threads, failures = run_all(voters, lambda v: v.vote("for", deadline))
        killed = {}
        for moment in ("before-commit", "after-commit"):
            pid, mandate = wait_for(tmp_path / f"{moment}.trapped").split()
            os.kill(int(pid), signal.SIGKILL)
            killed[moment] = (int(pid), int(mandate))
        join(threads, failures)
        assert {pid for pid, _ in killed.values()} <= first_workers
        assert not worker_pids(master) & {pid for pid, _ in killed.values()}  # replaced
        assert master.poll() is None
    victims = {mandate: moment for moment, (_, mandate) in killed.items()}
    by_mandate = {v.mandate: v for v in voters}
    for mandate in victims:
        assert any("no answer" in t for t in by_mandate[mandate].troubles)
    db.session.remove()
    changes = dict(
        db.session.execute(
            select(Participation.delegate_id, Participation.changes).where(
                Participation.delegate_id.in_(victims)
            )
        ).all()
    )
    # Killed before its COMMIT: nothing was stored, the second vote is the first ballot.
    # Killed after it: the first ballot was stored, and the second vote replaced it.
    assert {victims[m]: c for m, c in changes.items()} == {"before-commit": 0, "after-commit": 1}, [
        (victims[m], by_mandate[m].troubles, by_mandate[m].receipts) for m in victims
    ]
    assert what_holds(app, runner, officer, assembly_id, voters) == sound(VOTERS)


# --------------------------------------------------------------------------- the database restarts


class Outage:
    """A TCP proxy in front of PostgreSQL that the test can take down and bring back."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.listener = None
        self.cut = 0  # connections cut while in use
        self.come_back()

    def come_back(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def go_down(self) -> None:
        """Refuse new connections and drop every open one, as a stopping server does."""
        self.listener.close()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        self.cut += len(pairs)

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.pairs.append((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self.go_down()


@pytest.mark.postgres
def test_casts_survive_the_database_going_away_and_coming_back(
    app, open_vote, officer, runner, tmp_path
):
    """Each voter changes their vote 4 times while the server drops every connection and refuses
    new ones for 1.5 s, twice. Voters caught by it are told their vote was not recorded (or get
    no answer) and vote again; the same worker processes serve once the database is back."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    url = db.engine.url
    proxy = Outage((url.host or "127.0.0.1", url.port or 5432))
    assembly_id = open_vote.id
    rounds = ["for", "against", "abstention", "for"]
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with served(proxied, tmp_path) as (base, master):
            voters = voters_of(base, open_vote)
            for voter in voters:
                voter.sign_in()
            workers = worker_pids(master)
            deadline = time.monotonic() + 240

            def vote_rounds(voter):
                for choice in rounds:
                    voter.vote(choice, deadline)

            threads, failures = run_all(voters, vote_rounds)
            planned = len(voters) * len(rounds)
            for share in (0.25, 0.6):
                while sum(len(v.receipts) for v in voters) < share * planned:
                    assert time.monotonic() < deadline and not failures, failures
                    time.sleep(0.01)
                proxy.go_down()
                time.sleep(1.5)
                proxy.come_back()
            join(threads, failures)
            assert worker_pids(master) == workers  # served again, no process restarted
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    finally:
        proxy.close()
    assert proxy.cut >= 2
    assert sum(len(v.troubles) for v in voters) >= 1  # the outages did reach casts
    assert all(len(v.receipts) == len(rounds) for v in voters)
    assert what_holds(app, runner, officer, assembly_id, voters) == sound(VOTERS)
