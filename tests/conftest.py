"""Shared fixtures: the app on SQLite or PostgreSQL, a client, a runner, factories, a browser."""

import contextvars
import os
import re
import shutil
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, event, text
from werkzeug.serving import make_server

from consult import create_app
from consult.config import TestConfig
from consult.core import mail
from consult.core.clock import utcnow
from consult.extensions import db, limiter

PASSWORD = "correct-horse-battery"

# Property tests check what is true, not how fast: no deadline per example, and no health check
# that fails a test because a loaded machine (CI, two suites at once) ran it slowly.
settings.register_profile(
    "consult", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("consult")
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


def _database_url(tmp_root: Path) -> str:
    """DATABASE_URL when set (PostgreSQL), else a fresh SQLite file for this run."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{tmp_root / 'test.sqlite'}"


def _empty_postgresql(url: str) -> None:
    """Start from an empty schema, so the migrations are tested from nothing."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own context, as in production: its own `g`, its own session.

    The test's objects are expired afterwards, so the test reads what the request committed.
    The response is read and closed, as a server does once it is sent (so work scheduled after
    the response, such as e-mail, has run); pass buffered=False to look before that.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    """One application for the run, its schema built by the migrations."""
    from flask_migrate import upgrade

    root = tmp_path_factory.mktemp("consult")
    url = _database_url(root)
    if url.startswith("postgresql"):
        _empty_postgresql(url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    os.environ.setdefault("CONSULT_INSTANCE_PATH", str(root / "instance"))
    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_app):
    """The application with an app context; every table is emptied after the test."""
    with _app.app_context():
        yield _app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
    mail.outbox.clear()
    limiter.reset()


@pytest.fixture
def client(app):
    """A test client (CSRF off unless a test turns it on)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the `consult` CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def now():
    """The current time, naive UTC, minute-aligned like a form field."""
    return utcnow().replace(second=0, microsecond=0)


@pytest.fixture
def reference_data(app):
    """The demonstration populations and regions."""
    from consult.demo import _reference_data

    populations, regions = _reference_data()
    db.session.commit()
    return populations, regions


@pytest.fixture
def make_user(app, reference_data, now):
    """Factory: an account with roles and a consented profile (committed)."""
    from consult.accounts.services import create_user

    populations, regions = reference_data
    counter = iter(range(1, 100_000))

    def make(
        email=None,
        roles=("participant",),
        population="member",
        gender_form="f",
        age_band="40-60",
        region="Occitanie",
        password=PASSWORD,
        consented=True,
        active=True,
    ):
        user = create_user(
            email or f"person{next(counter)}@example.org",
            now=now,
            password=password,
            roles=roles,
            population=populations.get(population) if population else None,
            gender_form=gender_form,
            age_band=age_band,
            region=regions.get(region) if region else None,
        )
        user.profile_consented_at = now if consented else None
        user.active = active
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_consultation(app, reference_data, now):
    """Factory: a consultation with questions, open by default (committed, no validation)."""
    from consult.consultations.models import (
        Choice,
        Consultation,
        ConsultationPopulation,
        Question,
    )

    populations, _ = reference_data

    def make(
        title="Notre raison d'être",
        status="published",
        opens_at=None,
        closes_at=None,
        populations_invited=("member",),
        eligible=100,
        questions=None,
    ):
        consultation = Consultation(
            title=title,
            introduction="<p>Introduction</p>",
            opens_at=opens_at or now - timedelta(days=1),
            closes_at=closes_at or now + timedelta(days=7),
            status=status,
            created_at=now,
        )
        consultation.populations = [
            ConsultationPopulation(population=populations[code], eligible_count=eligible)
            for code in populations_invited
        ]
        for position, spec in enumerate(
            questions or [("open", "Pourquoi notre mutuelle existe-t-elle ?")]
        ):
            kind, prompt, *options = spec
            question = Question(kind=kind, prompt=prompt, position=position, max_words=3)
            question.choices = [
                Choice(label=label, position=i)
                for i, label in enumerate(options[0] if options else [])
            ]
            consultation.questions.append(question)
        db.session.add(consultation)
        db.session.commit()
        return consultation

    return make


@pytest.fixture
def make_contribution(app, now):
    """Factory: a contribution by an author to a question, with the author's profile."""
    from consult.consultations.models import Contribution

    def make(
        question, author, body="<p>La solidarité entre adhérents.</p>", state="published", when=None
    ):
        moment = when or now
        contribution = Contribution(
            consultation_id=question.consultation_id,
            question_id=question.id,
            author_id=author.id,
            body=body,
            state=state,
            created_at=moment,
            updated_at=moment,
            published_at=moment if state == "published" else None,
            population_id=author.population_id,
            gender_form=author.gender_form,
            age_band=author.age_band,
            region_id=author.region_id,
        )
        db.session.add(contribution)
        db.session.commit()
        return contribution

    return make


@pytest.fixture
def make_seat(app, now):
    """Factory: a volunteer drawn into a panel and their seat, with their answer to the invitation
    (committed). `number` names them (key V-3, panel-3@example.org), one after the other unless
    given; `user` is the account they are linked to, none by default."""
    from consult.panels.models import PanelSeat, PanelVolunteer

    counter = iter(range(1, 100_000))

    def make(panel, draw, status="invited", number=None, user=None):
        number = next(counter) if number is None else number
        volunteer = PanelVolunteer(
            project_id=panel.project_id,
            key=f"V-{number}",
            first_name="Prénom",
            last_name=f"Nom{number}",
            email=f"panel-{number}@example.org",
            birth_year=1980,
            postcode="44000",
            consent_contact_at=now,
            consent_profile_at=now,
            source="form",
            created_at=now,
            user_id=user.id if user else None,
        )
        db.session.add(volunteer)
        db.session.flush()
        seat = PanelSeat(
            project_id=panel.project_id,
            panel_id=panel.id,
            volunteer_id=volunteer.id,
            draw_id=draw.id,
            status=status,
            # Unique, as a real token's hash is; nobody opens the link in these tests.
            token_hash=f"{volunteer.id:064d}",
            invited_at=now,
        )
        db.session.add(seat)
        db.session.commit()
        return seat

    return make


@pytest.fixture
def login():
    """Sign a test client in as a user (through the real form)."""

    def sign_in(client, user, password=PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return sign_in


# --- browser tests ----------------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """The app served on a free local port in a thread, for the browser."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: run `bash tests/run.sh`, which installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (desktop width); `page.set_viewport_size` for a phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-output/ and return its path."""
    OUTPUT_DIR.mkdir(exist_ok=True)

    def take(page, name):
        path = OUTPUT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def rq_queue(app, monkeypatch):
    """Redis configured and RQ replaced by a list of what would be queued: (queue, function,
    arguments...). No Redis server is needed."""
    import rq

    queued = []

    class Recorder:
        def __init__(self, name, connection):
            self.name = name

        def enqueue(self, function, *args, **_options):
            queued.append((self.name, function, *args))

    monkeypatch.setattr(rq, "Queue", Recorder)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    return queued


@pytest.fixture
def sign_in(live_server):
    """Sign in through the real form, in whatever language the page is: `sign_in(page, user or
    e-mail)`."""

    def fill(page, who, password=PASSWORD):
        page.goto(f"{live_server.url}/login")
        page.locator("input[name=email]").fill(getattr(who, "email", who))
        page.locator("input[name=password]").fill(password)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()

    return fill


@pytest.fixture
def sign_out():
    """Sign out as a person does: open the menu that holds the button, then press it."""

    def press(page):
        # Wide screens show "My account"; phones fold it into "Menu", as a menu inside the menu.
        for menus in (["details.nav-account"], ["details.nav-phone", "details.nav-account"]):
            outer = page.locator(f"header {menus[0]}").first
            if not outer.locator("> summary").is_visible():
                continue
            scope = page.locator("header")
            for menu in menus:
                scope = scope.locator(menu).first
                scope.locator("> summary").click()
            scope.locator("form[action='/logout'] button").click()
            page.wait_for_load_state()
            return
        raise AssertionError("no visible menu holds the sign-out button")

    return press


# --- accessibility (axe-core) ------------------------------------------------------------------

#: axe-core as installed by `npm ci` from package-lock.json (tests/run.sh does it).
AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
#: The rules checked: WCAG 2.0 and 2.1, levels A and AA (what RGAA 4 asks for).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_AXE_RUN = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                summary: n.failureSummary})),
  }));
}"""


class Axe:
    """Runs axe-core in a Playwright page: `axe(page)` returns the violations (dicts with id,
    impact, help, nodes), `axe.check(page)` fails the test with a readable list when any.

    The script goes in through the DevTools protocol (`page.evaluate`), which the page's strict
    Content-Security-Policy does not govern; a `<script>` tag added to the page would be refused.
    """

    def __init__(self, source: str):
        self.source = source

    def __call__(self, page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        return page.evaluate(_AXE_RUN, list(AXE_TAGS))

    @staticmethod
    def describe(violations: list[dict]) -> str:
        lines = []
        for violation in violations:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node['target']}: {node['html']}" for node in violation["nodes"][:5])
        return "\n".join(lines)

    def check(self, page, name: str = "") -> None:
        violations = self(page)
        assert not violations, f"{name or page.url}\n{self.describe(violations)}"


@pytest.fixture(scope="session")
def axe():
    """axe-core, WCAG 2.1 A and AA rules: `axe(page)` lists violations, `axe.check(page)` asserts
    there are none."""
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: run `bash tests/run.sh` (it runs `npm ci`).")
    return Axe(AXE_SCRIPT.read_text(encoding="utf-8"))


# --- permission matrices ----------------------------------------------------------------------

#: Who a permission matrix tries: anonymous (None), then one account per role.
EVERY_ROLE = (None, "participant", "delegate", "moderator", "analyst", "organiser", "administrator")


@pytest.fixture
def sign_in_as(client, make_user, login):
    """Sign the client in with a fresh account holding one role; None stays anonymous."""

    def sign_in(role, **profile):
        if role is None:
            return None
        user = make_user(roles=(role,), **profile)
        login(client, user)
        return user

    return sign_in


@pytest.fixture
def check_access():
    """Assert a response obeys a route's rule: `allowed` is None (public), () (any signed-in
    person) or the roles that may open it (administrators pass every role check)."""
    from urllib.parse import parse_qs, urlsplit

    def check(response, role, allowed, path, ok=(200, 302, 303)):
        status = response.status_code
        if allowed is not None and role is None:
            location = urlsplit(response.headers.get("Location", ""))
            assert status == 302 and location.path == "/login", (path, status)
            assert parse_qs(location.query)["next"] == [path.rstrip("?")]
        elif allowed and role != "administrator" and role not in allowed:
            assert status == 403, (path, role, status)
        else:
            assert status in ok, (path, role, status, response.get_data(as_text=True)[:300])

    return check


@pytest.fixture
def loaded_by_sign_in(app, now):
    """Load a person as a request's sign-in does (consult.accounts.sessions.load), facts and all."""
    from consult.accounts import sessions

    def load(user):
        token = sessions.start(user, now=now)
        db.session.commit()
        return sessions.load(user.id, token, now=now)

    return load


class Sent(list):
    """The SQL statements sent inside a block, each on one line."""

    def writes(self) -> list[str]:
        """The statements that write (a data-modifying WITH included)."""
        return [s for s in self if s.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]

    @staticmethod
    def written(statement: str) -> list[str]:
        """What one statement writes, in order: "INSERT INTO t", "UPDATE t", "DELETE FROM t"."""
        return re.findall(r"(?:INSERT INTO|UPDATE|DELETE FROM) \w+", statement)


@pytest.fixture
def statements(app):
    """Record the SQL statements sent inside a block: `with statements() as sent: ...` (a
    `Sent` list)."""

    @contextmanager
    def record():
        sent = Sent()

        def on_statement(_connection, _cursor, statement, *_args):
            sent.append(" ".join(statement.split()))

        event.listen(db.engine, "before_cursor_execute", on_statement)
        try:
            yield sent
        finally:
            event.remove(db.engine, "before_cursor_execute", on_statement)

    return record


@pytest.fixture
def table_counts(app):
    """Return a function counting the rows of every table (a refusal must change nothing)."""
    from sqlalchemy import func, select

    def counts():
        db.session.expire_all()
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }

    return counts
