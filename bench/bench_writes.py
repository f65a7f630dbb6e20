"""Benchmark: consult's write routes against the ceiling of the stack, in interleaved rounds.

Run by hand on PostgreSQL (it empties the database's public schema first):

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/consult_writes \
        python bench/bench_writes.py --workers 2 --clients 8 --rounds 5 --requests 300

Three gunicorn servers run side by side with the same settings: the **ceiling**, a bare Flask
app whose POST does one INSERT through a connection pool; the **floor**, the same INSERT behind the
machinery of a consult form POST (signed session cookie, CSRF check, Flask-Login, a flash, a 303)
and nothing else, so what Flask, Werkzeug and these extensions cost by themselves; and **consult**
with its real routes, each request carrying a signed-in session cookie and a CSRF token.

The floor also serves `/floor/K/R`: the same POST sending K SQL statements in its transaction (K - 1
primary-key reads, then the INSERT) and running R scripts on Redis. The **answer floor** and the
**cast floor** are that route with the K and R measured for the answer and the cast (in-process,
before the rounds): what the same number of round trips costs with no ORM, no rules and no
templates. What a route costs above its own floor is consult's code; its floor is what any code
sending the same statements through this stack would pay.

Each round sends the same number of requests to the ceiling, the floor, the answer floor, the
answer POST (a participant changes their answer), the cast floor and the cast POST (a delegate
changes their vote), one after the other, from the same client threads; the ratio of each route's
throughput to the ceiling's (and to its own floor's) in the same round is printed (min / median
over the rounds), with the application's and PostgreSQL's CPU per request. Each POST is sent with
the cookie the person had once signed in, as a browser that follows the redirect (whose page takes
the flashed message or the receipt out of the session).
"""

import os
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))  # serving: the gunicorn starter the fault tests use too

from serving import Gunicorn  # noqa: E402
from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.bench_assembly import (  # noqa: E402
    PASSWORD,
    Browser,
    command_line,
    make_app,
    postgres_cpu,
    reset_database,
    run_threads,
    workers_cpu,
)

#: The server each measured route is sent to (the others go to the server of their own name).
SERVED_BY = {"answer floor": "floor", "cast floor": "floor", "answer": "consult", "cast": "consult"}


def ceiling_app():
    """Factory used by gunicorn: the bare endpoint, one INSERT through a pool, nothing else."""
    from flask import Flask

    engine = create_engine(os.environ["DATABASE_URL"], pool_size=8, max_overflow=4)
    app = Flask(__name__)

    @app.post("/ceiling")
    def ceiling():
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_ceiling (body) VALUES (:b)"), {"b": "x"})
        return "ok"

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


def floor_app():
    """Factory used by gunicorn: the ceiling's INSERT behind the machinery every consult POST
    goes through and no more (the floor of a Flask form POST): a signed session cookie, Flask-WTF's
    CSRF check, Flask-Login with "strong" session protection (its user from memory, no query), a
    flashed message and a 303 redirect, consult's security headers."""
    from flask import Flask, flash, redirect, render_template_string
    from flask_login import LoginManager, UserMixin, login_required, login_user
    from flask_wtf.csrf import CSRFProtect

    from consult import CONTENT_SECURITY_POLICY

    engine = create_engine(os.environ["DATABASE_URL"], pool_size=8, max_overflow=4)
    app = Flask(__name__)
    app.config.update(SECRET_KEY="bench-floor", WTF_CSRF_TIME_LIMIT=None)
    CSRFProtect(app)
    logins = LoginManager(app)
    logins.session_protection = "strong"

    class Person(UserMixin):
        def __init__(self, person_id):
            self.id = person_id

    logins.user_loader(Person)

    @app.post("/login")
    def login():
        login_user(Person("1"))
        return redirect("/", 302)

    @app.get("/")
    def page():
        return render_template_string('<input name="csrf_token" value="{{ csrf_token() }}">')

    redis_url = os.environ.get("BENCH_REDIS_URL")
    if redis_url:
        import redis

        count = redis.Redis.from_url(redis_url).register_script(
            "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 60) return n"
        )

    @app.post("/floor")
    @app.post("/floor/<int:statements>/<int:trips>")
    @login_required
    def floor(statements=1, trips=0):
        """The INSERT, after `statements - 1` primary-key reads in the same transaction, and
        `trips` scripts run on Redis (with BENCH_REDIS_URL; a rate limit is one)."""
        for _trip in range(trips if redis_url else 0):
            count(["bench-floor"])
        with engine.begin() as connection:
            for n in range(1, statements):
                connection.execute(
                    text("SELECT id, body FROM bench_ceiling WHERE id = :id"), {"id": n}
                ).first()
            connection.execute(text("INSERT INTO bench_ceiling (body) VALUES (:b)"), {"b": "x"})
        flash("Enregistré.", "success")
        return redirect("/", 303)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


# --------------------------------------------------------------------------- setup


def prepare(people: int) -> dict:
    """Participants with a profile, an open question, an open assembly of as many delegates."""
    from consult.accounts.models import User, UserRole
    from consult.assembly import services
    from consult.consultations.models import Consultation, ConsultationPopulation, Question
    from consult.core.clock import utcnow
    from consult.demo import _reference_data
    from consult.extensions import db

    app = make_app()
    with app.app_context(), app.test_request_context(method="POST"):
        now = utcnow()
        populations, regions = _reference_data()
        member, region = populations["member"], next(iter(regions.values()))
        cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"d{i}@bench.example",
                    "password_hash": cheap,
                    "display_name": f"D{i}",
                    "gender_form": "f",
                    "age_band": "40-60",
                    "population_id": member.id,
                    "region_id": region.id,
                    "profile_consented_at": now,
                    "created_at": now,
                    "active": True,
                }
                for i in range(1, people + 1)
            ],
        )
        ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        db.session.execute(
            insert(UserRole), [{"user_id": i, "role": r} for i in ids for r in ("participant",)]
        )
        consultation = Consultation(
            title="Bench",
            introduction="<p>Bench</p>",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=7),
            status="published",
            created_at=now,
        )
        consultation.populations = [ConsultationPopulation(population=member, eligible_count=1)]
        consultation.questions.append(
            Question(kind="open", prompt="Pourquoi ?", position=0, max_words=3)
        )
        db.session.add(consultation)
        officer = User(email="officer@bench.example", created_at=now, display_name="Officer")
        officer.roles = [UserRole(role="organiser")]
        db.session.add(officer)
        db.session.flush()
        assembly = services.create_assembly(
            officer,
            title="AG bench",
            held_on=now.date(),
            convocation=1,
            proxy_cap=1,
            allow_vote_change=True,
            now=now,
        )
        roll = ["identifier;name;email;section"] + [
            f"D{i:05d};D {i};d{i}@bench.example;S" for i in range(1, people + 1)
        ]
        services.import_roll(officer, assembly, "\n".join(roll).encode(), now=now)
        services.add_resolution(
            officer,
            assembly,
            title="Raison d'être",
            body="Texte.",
            category="statutory",
            kind="motion",
            wordings=[],
            now=now,
        )
        services.open_all(officer, assembly, now=now)
        db.session.commit()
        delegates = {d.identifier: d.id for d in assembly.delegates}
        plan = {
            "question": consultation.questions[0].id,
            "assembly": assembly.id,
            "resolution": assembly.resolutions[0].id,
            "mandates": {i: delegates[f"D{i:05d}"] for i in range(1, people + 1)},
        }
    engine = create_engine(os.environ["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_ceiling (id serial PRIMARY KEY, body text)"))
    engine.dispose()
    return plan


def sign_in(port: int, people: int, clients: int) -> dict[int, Browser]:
    """Every person signs in (apart from the measure) and keeps their cookie and CSRF token."""
    browsers: dict[int, Browser] = {}
    lock = threading.Lock()

    def work(index):
        for n in range(1 + index, people + 1, clients):
            browser = Browser(port)
            browser.request("GET", "/login")
            form = {"csrf_token": browser.token, "email": f"d{n}@bench.example"}
            status, _ = browser.request("POST", "/login", {**form, "password": PASSWORD})
            if status != 302:
                raise SystemExit(f"sign-in failed for d{n}: {status}")
            browser.request("GET", "/")  # a page with the form's CSRF token
            browser.signed_in_cookie = browser.cookie
            with lock:
                browsers[n] = browser

    run_threads(clients, work)
    return browsers


# --------------------------------------------------------------------------- measure


def redis_commands() -> int:
    """Commands the benchmark's Redis has processed so far (0 when limits are not counted)."""
    url = os.environ.get("BENCH_REDIS_URL")
    if not url:
        return 0
    import redis

    return int(redis.Redis.from_url(url).info("stats")["total_commands_processed"])


def burst(requests: int, clients: int, send) -> tuple[float, dict]:
    """`requests` calls of send(client, i) over `clients` threads; (elapsed, status counts)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(index):
        local = {}
        for i in range(index, requests, clients):
            status = send(index, i)
            local[status] = local.get(status, 0) + 1
        with lock:
            for key, value in local.items():
                statuses[key] = statuses.get(key, 0) + value

    started = time.perf_counter()
    run_threads(clients, work)
    return time.perf_counter() - started, statuses


def statements_per_request(plan: dict) -> dict[str, tuple[int, int, int]]:
    """SQL statements, pool checkouts and Redis round trips (commands the app sends, with
    BENCH_REDIS_URL) of one answer POST and one cast POST (in-process, each request in its own
    application context as under gunicorn: nothing is left in the session from the one before)."""
    from consult.extensions import db, limiter

    app = make_app()
    app.config["WTF_CSRF_ENABLED"] = False
    counts = {"statements": 0, "checkouts": 0, "redis": 0}
    found = {}
    with app.app_context():
        engine = db.engine

    def on_statement(*_args):
        counts["statements"] += 1

    def on_checkout(*_args):
        counts["checkouts"] += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine.pool, "checkout", on_checkout)
    if os.environ.get("BENCH_REDIS_URL"):
        redis = limiter.storage.get_connection()
        send = redis.execute_command

        def counted(*args, **options):
            counts["redis"] += 1
            return send(*args, **options)

        redis.execute_command = counted
    client = app.test_client()
    client.post("/login", data={"email": "d1@bench.example", "password": PASSWORD})
    signed_in = client.get_cookie("session").value
    # Counted on the second POST of each, a changed answer and a changed vote, as the rounds'.
    routes = {
        "answer": (
            f"/questions/{plan['question']}/answer",
            [{"answer": "Mesure"}, {"answer": "Autre mesure"}],
        ),
        "cast": (
            f"/assemblies/{plan['assembly']}/resolutions/{plan['resolution']}/vote",
            [{"mandate": plan["mandates"][1], "choice": c} for c in ("against", "for")],
        ),
    }
    for name, (path, forms) in routes.items():
        for form in forms:
            client.set_cookie("session", signed_in)
            counts.update(statements=0, checkouts=0, redis=0)
            client.post(path, data=form)
        found[name] = (counts["statements"], counts["checkouts"], counts["redis"])
    return found


def main() -> None:
    """Set up, serve both apps, run the interleaved rounds, print ratios and costs."""
    args, url = command_line(__doc__, people=200, workers=2, clients=8, rounds=5, requests=300)
    reset_database(url)
    plan = prepare(args.people)
    statements = statements_per_request(plan)
    servers = {
        name: Gunicorn(factory, workers=args.workers)
        for name, factory in (
            ("ceiling", "bench.bench_writes:ceiling_app()"),
            ("floor", "bench.bench_writes:floor_app()"),
            ("consult", "bench.bench_assembly:make_app()"),
        )
    }
    ceiling_port, floor_port, consult_port = (server.port for server in servers.values())
    choices = ["for", "against", "abstention", "blank"]
    work = {name: "/floor/{}/{}".format(*statements[name][::2]) for name in ("answer", "cast")}
    names = ("ceiling", "floor", "answer floor", "answer", "cast floor", "cast")
    figures = {name: [] for name in names}
    # app seconds, PostgreSQL seconds, requests, Redis commands
    cpu = {name: [0.0, 0.0, 0, 0] for name in figures}
    try:
        for server in servers.values():  # started together, they boot side by side
            server.wait_until_up(60)
        browsers = sign_in(consult_port, args.people, args.clients)
        ceilings = [Browser(ceiling_port) for _ in range(args.clients)]
        people = sorted(browsers)

        def send_ceiling(index, _i):
            return ceilings[index].request("POST", "/ceiling", {})[0]

        floors = [Browser(floor_port) for _ in range(args.clients)]
        for browser in floors:
            browser.request("GET", "/")  # the sign-in form's CSRF token
            browser.request("POST", "/login", {"csrf_token": browser.token})
            browser.request("GET", "/")
            browser.signed_in_cookie = browser.cookie

        def post(browser, path, form):
            # The browser then follows the redirect, whose page takes the flashed message (or
            # the receipt) out of the session: the next POST carries the signed-in cookie again,
            # not one that grows with every message never shown.
            status = browser.request("POST", path, form)[0]
            browser.cookie = browser.signed_in_cookie
            return status

        def send_answer(_index, i):
            browser = browsers[people[i % len(people)]]
            form = {"csrf_token": browser.token, "answer": f"Réponse {i}"}
            return post(browser, f"/questions/{plan['question']}/answer", form)

        def send_cast(_index, i):
            n = people[i % len(people)]
            browser = browsers[n]
            form = {
                "csrf_token": browser.token,
                "mandate": plan["mandates"][n],
                "choice": choices[i % 4],
            }
            path = f"/assemblies/{plan['assembly']}/resolutions/{plan['resolution']}/vote"
            return post(browser, path, form)

        def floor_sender(path):
            return lambda index, _i: post(floors[index], path, {"csrf_token": floors[index].token})

        senders = {
            "ceiling": send_ceiling,
            "floor": floor_sender("/floor"),
            "answer floor": floor_sender(work["answer"]),
            "answer": send_answer,
            "cast floor": floor_sender(work["cast"]),
            "cast": send_cast,
        }
        for round_ in range(args.rounds):
            for name, send in senders.items():
                server = servers[SERVED_BY.get(name, name)]
                app_before, pg_before = workers_cpu(server.process.pid), postgres_cpu(url)
                redis_before = redis_commands()
                elapsed, statuses = burst(args.requests, args.clients, send)
                cpu[name][3] += redis_commands() - redis_before - 1  # the INFO itself
                cpu[name][0] += workers_cpu(server.process.pid) - app_before
                cpu[name][1] += postgres_cpu(url) - pg_before
                cpu[name][2] += args.requests
                figures[name].append(args.requests / elapsed)
                expected = {200} if name == "ceiling" else {302, 303}
                if set(statuses) - expected:
                    raise SystemExit(f"round {round_ + 1}, {name}: statuses {statuses}")
    finally:
        for server in servers.values():
            server.stop()

    print(
        f"gunicorn workers {args.workers} per app, client threads {args.clients}, "
        f"{args.rounds} interleaved rounds of {args.requests} requests per route; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; rate limits "
        + ("counted in Redis" if os.environ.get("BENCH_REDIS_URL") else "not counted")
    )
    for name, rates in figures.items():
        app_ms = cpu[name][0] / cpu[name][2] * 1000
        pg_ms = cpu[name][1] / cpu[name][2] * 1000
        line = f"  {name:<12} {statistics.median(rates):7.1f} req/s median"
        if name != "ceiling":
            line += "; ratio to the ceiling " + _ratios(rates, figures["ceiling"])
        if name in statements:
            line += f" (to its floor {_ratios(rates, figures[name + ' floor'])})"
            line += "; {} statements, {} pool checkouts".format(*statements[name][:2])
        elif name != "ceiling":
            line += f"; {work[name.split()[0]] if ' ' in name else '/floor'}"
        line += f"; CPU per request: app {app_ms:.2f} ms, PostgreSQL {pg_ms:.2f} ms"
        if os.environ.get("BENCH_REDIS_URL") and name in statements:
            line += f"; Redis: {statements[name][2]} round trips, "
            line += f"{cpu[name][3] / cpu[name][2]:.1f} commands (those of scripts included)"
        print(line)


def _ratios(rates: list[float], others: list[float]) -> str:
    """Round by round ratios of two routes' throughputs, as min / median."""
    ratios = [r / o for r, o in zip(rates, others, strict=True)]
    return f"min {min(ratios):.2f} / median {statistics.median(ratios):.2f}"


if __name__ == "__main__":
    main()
