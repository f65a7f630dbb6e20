"""Benchmark: a general assembly of 7,000 delegates voting on 5 resolutions, against gunicorn.

Run by hand on PostgreSQL (it empties the database's public schema first):

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/consult_assembly \
        python bench/bench_assembly.py --delegates 7000 --workers 4 --clients 16

Every delegate signs in through the real form (scrypt, as in production; measured apart, before
the window) and opens the voting page. Then the casts (one ballot per resolution, some changes of
vote, proxy holders also voting for their givers) are replayed **open-loop**: each is sent at its
moment in the one-minute window whether or not earlier ones were answered, and the browser follows
the redirect to the vote page. The figures: casts per second held against what the schedule
needs, p50/p95 latency from the scheduled moment (queueing included), application CPU per cast.
Then the officer closes the five votes (the tally), and the result is checked against what the
clients cast: zero lost, zero doubled ballots, and `verify` finds the chain and recounts sound.
"""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))  # serving: the gunicorn starter the fault tests use too

from serving import Gunicorn  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from consult import create_app  # noqa: E402
from consult.config import DevelopmentConfig  # noqa: E402

PASSWORD = "bench-password-1"  # noqa: S105 - a throw-away benchmark database
SIMULATED_WINDOW = 60.0
#: The goal: this many delegates cast their 5 ballots within the window.
GOAL_DELEGATES = 7000
CHOICES = ["for", "for", "for", "against", "abstention", "blank"]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class BenchConfig(DevelopmentConfig):
    """The app as served: CSRF on, plain HTTP on 127.0.0.1, no rate limit for one address."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_size": 8, "max_overflow": 4}
    SECRET_KEY = os.environ.get("SECRET_KEY", "bench-secret")
    #: BENCH_REDIS_URL counts the rate limits in Redis as production does (limits raised so that
    #: the benchmark's clients never reach them); without it no limit is counted.
    RATELIMIT_ENABLED = bool(os.environ.get("BENCH_REDIS_URL"))
    RATELIMIT_STORAGE_URI = os.environ.get("BENCH_REDIS_URL") or "memory://"
    RATE_LIMITS = dict.fromkeys(DevelopmentConfig.RATE_LIMITS, "100000 per minute; 1000000 per day")
    RATE_LIMITS_PER_ADDRESS = {"accounts.login": "1000000 per hour"}
    SIGN_IN_ACCOUNT_CEILING = "1000000 per hour"


def make_app():
    """Factory used by gunicorn (`bench.bench_assembly:make_app()`)."""
    return create_app(BenchConfig)


# --------------------------------------------------------------------------- setup


def reset_database(url: str) -> None:
    """Empty the schema, then build it with the migrations."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from flask_migrate import upgrade

    with make_app().app_context():
        upgrade()


def prepare(delegates: int, proxies: int, seed: int):
    """Accounts, roll, agenda, proxies, open votes; returns what the clients need."""
    from consult.accounts.models import User, UserRole
    from consult.assembly import services
    from consult.assembly.models import Delegate
    from consult.core.clock import utcnow
    from consult.extensions import db

    app = make_app()
    timings = {}
    with app.app_context(), app.test_request_context():
        now = utcnow()
        officer = User(email="officer@bench.example", created_at=now, display_name="Officer")
        officer.set_password(PASSWORD)
        officer.roles = [UserRole(role="organiser")]
        db.session.add(officer)
        # The product's hash (scrypt), computed once and shared: signing in costs what it costs
        # in production, and is measured apart from the voting window.
        cheap = generate_password_hash(PASSWORD)
        rows = [
            {
                "email": f"d{i}@bench.example",
                "password_hash": cheap,
                "display_name": f"D{i}",
                "gender_form": "n",
                "created_at": now,
                "active": True,
            }
            for i in range(1, delegates + 1)
        ]
        db.session.execute(insert(User), rows)
        db.session.flush()
        roll = ["identifier;name;email;section"] + [
            f"D{i:05d};Délégué {i};d{i}@bench.example;S{i % 12}" for i in range(1, delegates + 1)
        ]
        assembly = services.create_assembly(
            officer,
            title="AG bench",
            held_on=date(2026, 6, 20),
            convocation=1,
            proxy_cap=1,
            allow_vote_change=True,
            now=now,
        )
        started = time.perf_counter()
        services.import_roll(officer, assembly, "\n".join(roll).encode(), now=now)
        timings["roll import"] = time.perf_counter() - started
        for position in range(1, 6):
            title = "Raison d'être" if position == 1 else f"Objectif {position - 1}"
            services.add_resolution(
                officer,
                assembly,
                title=title,
                body=f"Texte {position}.",
                category="statutory",
                kind="motion",
                wordings=[],
                now=now,
            )
        by_identifier = {
            d.identifier: d
            for d in db.session.scalars(select(Delegate).where(Delegate.assembly_id == assembly.id))
        }
        rng = random.Random(seed)
        numbers = list(range(1, delegates + 1))
        rng.shuffle(numbers)
        carried: dict[int, list[int]] = {}
        for giver_n, holder_n in zip(
            numbers[:proxies], numbers[proxies : 2 * proxies], strict=True
        ):
            giver = by_identifier[f"D{giver_n:05d}"]
            holder = by_identifier[f"D{holder_n:05d}"]
            services.give_proxy(officer, assembly, giver, holder, now=now)
            carried.setdefault(holder_n, []).append(giver.id)
        started = time.perf_counter()
        services.open_all(officer, assembly, now=now)
        timings["freeze and open"] = time.perf_counter() - started
        db.session.commit()
        givers = set(numbers[:proxies])
        plan = {
            "assembly": assembly.id,
            "officer": officer.id,
            "resolutions": [r.id for r in assembly.resolutions],
            "delegates": {
                n: by_identifier[f"D{n:05d}"].id for n in range(1, delegates + 1) if n not in givers
            },
            "carried": carried,
            "freeze_hash": assembly.freeze_hash,
        }
    return plan, timings


# --------------------------------------------------------------------------- clients


class Browser:
    """One delegate's HTTP session: a cookie and a CSRF token, over one keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None):
        """Send one request (at most 3 attempts on a dropped connection)."""
        body = urlencode(form) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(3):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read().decode()
                break
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        found = TOKEN.search(data)
        if found:
            self.token = found.group(1)
        return response.status, data

    def close(self):
        """Release the connection."""
        self.connection.close()


def run_threads(count: int, work) -> None:
    """Start `count` threads running work(index) and wait for them."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def sign_in_all(port: int, plan: dict, clients: int):
    """Every voting delegate signs in and opens the voting page; returns their browsers."""
    numbers = sorted(set(plan["delegates"]))
    browsers: dict[int, Browser] = {}
    failures = Counter()
    lock = threading.Lock()

    def work(index):
        for n in numbers[index::clients]:
            browser = Browser(port)
            browser.request("GET", "/login")
            status, _ = browser.request(
                "POST",
                "/login",
                {"csrf_token": browser.token, "email": f"d{n}@bench.example", "password": PASSWORD},
            )
            if status != 302:
                failures["sign-in"] += 1
                continue
            status, page = browser.request("GET", f"/assemblies/{plan['assembly']}/vote")
            if status != 200 or plan["freeze_hash"] not in page:
                failures["vote page"] += 1
            browser.close()
            with lock:
                browsers[n] = browser

    run_threads(clients, work)
    return browsers, failures


def schedule(plan: dict, seed: int, change_share: float):
    """Every cast with its simulated time in the one-minute window, in time order."""
    rng = random.Random(seed + 1)
    casts = []
    for n, own_id in plan["delegates"].items():
        mandates = [own_id, *plan["carried"].get(n, [])]
        for resolution_id in plan["resolutions"]:
            for mandate in mandates:
                moment = rng.uniform(0, SIMULATED_WINDOW * 0.9)
                casts.append((moment, n, resolution_id, mandate, rng.choice(CHOICES)))
                if rng.random() < change_share:  # a change of mind, later in the window
                    later = rng.uniform(moment, SIMULATED_WINDOW)
                    casts.append((later, n, resolution_id, mandate, rng.choice(CHOICES)))
    casts.sort()
    return casts


def cast_all(port: int, plan: dict, browsers: dict, casts: list, clients: int):
    """Replay the schedule open-loop: each cast is sent at its time in the one-minute window,
    whether or not earlier ones were answered; the browser then follows the redirect to the vote
    page. A delegate's own casts go one after the other (one browser); latency runs from the
    scheduled moment to the vote page, queueing included."""
    from concurrent.futures import ThreadPoolExecutor

    latencies: list[float] = []
    statuses = Counter()
    lock = threading.Lock()
    busy = {n: threading.Lock() for n in browsers}
    for browser in browsers.values():
        browser.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(due, n, resolution_id, mandate, choice):
        browser = browsers[n]
        with busy[n]:
            status, _ = browser.request(
                "POST",
                f"/assemblies/{plan['assembly']}/resolutions/{resolution_id}/vote",
                {"csrf_token": browser.token, "mandate": mandate, "choice": choice},
            )
            if status == 303:  # as a browser does: the vote page with the receipt
                browser.request("GET", f"/assemblies/{plan['assembly']}/vote")
        done = time.perf_counter() - due
        with lock:
            latencies.append(done)
            statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for moment, n, resolution_id, mandate, choice in casts:
            due = started + moment
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            pool.submit(send, due, n, resolution_id, mandate, choice)
    elapsed = time.perf_counter() - started
    for browser in browsers.values():
        browser.close()
    return elapsed, latencies, statuses


# --------------------------------------------------------------------------- main


def workers_cpu(master_pid: int) -> float:
    """CPU seconds used so far by gunicorn's worker processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def postgres_cpu(url: str) -> float:
    """CPU seconds used so far by the backends connected to the benchmark's database."""
    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    engine.dispose()
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def command_line(doc: str, **defaults: float) -> tuple[argparse.Namespace, str]:
    """A benchmark's options (`--name` for each default, of the default's type; an underscore
    is written as a dash) and its database, from DATABASE_URL, which must be PostgreSQL."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in defaults.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (its schema is emptied)")
    return args, url


def main() -> None:
    """Set up, serve with gunicorn, sign in, cast, tally, check; print the figures."""
    args, url = command_line(
        __doc__, delegates=7000, proxies=200, workers=4, clients=16, change_share=0.05, seed=2026
    )

    started = time.perf_counter()
    reset_database(url)
    plan, timings = prepare(args.delegates, args.proxies, args.seed)
    timings["setup total"] = time.perf_counter() - started

    with Gunicorn("bench.bench_assembly:make_app()", workers=args.workers) as server:
        server.wait_until_up(60)
        port = server.port
        started = time.perf_counter()
        cpu_before = workers_cpu(server.process.pid)
        browsers, failures = sign_in_all(port, plan, args.clients)
        sign_in_cpu = (workers_cpu(server.process.pid) - cpu_before) / max(1, len(browsers))
        timings["sign-in and voting page"] = time.perf_counter() - started
        timings["  per delegate"] = timings["sign-in and voting page"] / max(1, len(browsers))
        casts = schedule(plan, args.seed, args.change_share)
        cpu_before, pg_before = workers_cpu(server.process.pid), postgres_cpu(url)
        elapsed, latencies, statuses = cast_all(port, plan, browsers, casts, args.clients)
        server_cpu = workers_cpu(server.process.pid) - cpu_before
        database_cpu = postgres_cpu(url) - pg_before

    from consult.accounts.models import User
    from consult.assembly import services
    from consult.assembly.models import Assembly, Ballot, Participation
    from consult.core.clock import utcnow
    from consult.extensions import db

    app = make_app()
    with app.app_context(), app.test_request_context():
        assembly = db.session.get(Assembly, plan["assembly"])
        started = time.perf_counter()
        services.close_all(db.session.get(User, plan["officer"]), assembly, now=utcnow())
        db.session.commit()
        tally_time = time.perf_counter() - started
        started = time.perf_counter()
        problems = services.verify(assembly)
        verify_time = time.perf_counter() - started
        expected: dict[int, Counter] = {r: Counter() for r in plan["resolutions"]}
        last = {}
        for _, _, resolution_id, mandate, choice in casts:
            last[(resolution_id, mandate)] = choice
        for (resolution_id, _), choice in last.items():
            expected[resolution_id][choice] += 1
        mismatches = 0
        for resolution in assembly.resolutions:
            counts = json.loads(resolution.result_json)["counts"]
            want = {
                c: expected[resolution.id][c] for c in ("for", "against", "abstention", "blank")
            }
            mismatches += sum(abs(counts[c] - want[c]) for c in want)
        ballots = db.session.scalar(select(func.count()).select_from(Ballot))
        participations = db.session.scalar(select(func.count()).select_from(Participation))
        outcomes = [r.outcome for r in assembly.resolutions]

    required = len(casts) / SIMULATED_WINDOW
    held = len(casts) / elapsed
    latencies.sort()
    print(
        f"delegates {args.delegates}, proxies {args.proxies}, resolutions 5, "
        f"gunicorn workers {args.workers}, client threads {args.clients}"
    )
    for label, seconds in timings.items():
        print(f"  {label:<26} {seconds:8.2f} s")
    print(
        f"  server CPU per sign-in     {sign_in_cpu * 1000:8.1f} ms (scrypt, the session, the "
        "voting page)"
    )
    print(
        f"  casts sent                 {len(casts):8d} (of which vote changes "
        f"{len(casts) - len(last)}), HTTP statuses {dict(statuses)}"
    )
    print(f"  cast phase                 {elapsed:8.2f} s for {SIMULATED_WINDOW:.0f} s simulated")
    print(
        f"  casts per second held      {held:8.1f}  (schedule needs {required:.1f}/s: "
        f"ratio {held / required:.2f})"
    )
    per_cast, database_per_cast = server_cpu / len(casts), database_cpu / len(casts)
    # The goal's rate: 7,000 delegates, 5 resolutions and this share of changes in one minute.
    goal = GOAL_DELEGATES * 5 * (1 + args.change_share) / SIMULATED_WINDOW
    print(
        f"  CPU per cast               {per_cast * 1000:8.1f} ms app (gunicorn workers, the vote "
        f"page after the redirect included) + {database_per_cast * 1000:.1f} ms PostgreSQL; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"  cores for this schedule    {required * per_cast:8.1f} app + "
        f"{required * database_per_cast:.1f} PostgreSQL; for {GOAL_DELEGATES:,} delegates "
        f"({goal:.0f} casts/s): {goal * per_cast:.1f} app + {goal * database_per_cast:.1f} "
        "PostgreSQL"
    )
    print(
        f"  cast latency p50 / p95     {statistics.median(latencies) * 1000:6.1f} / "
        f"{latencies[int(len(latencies) * 0.95)] * 1000:6.1f} ms"
    )
    print(f"  tally (close 5 votes)      {tally_time:8.2f} s;  verify {verify_time:.2f} s")
    print(
        f"  counted ballots            {ballots} = participations {participations} = "
        f"expected {len(last)}; lost or doubled: {abs(ballots - len(last)) + mismatches}"
    )
    print(
        f"  sign-in failures {dict(failures) or 0}; verify problems {problems or 0}; "
        f"outcomes {outcomes}"
    )
    ok = ballots == participations == len(last) and not mismatches and not problems
    sys.exit(0 if ok and not failures else 1)


if __name__ == "__main__":
    main()
