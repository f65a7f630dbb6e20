"""Benchmark: does a password-reset request take longer for an address that has an account?

Run by hand (SQLite in a temporary file by default; with DATABASE_URL, PostgreSQL, whose public
schema is emptied first):

    python bench/bench_reset.py --rounds 7 --requests 200

In-process, through the WSGI test client, CSRF on, one request after the other. Each round posts
the form the same number of times for a known address and for an unknown one, interleaved (known,
unknown, known...), so that the machine's noise falls on both alike. Two modes:

- **queued**: with Redis in production the worker delivers the outbox; here the request's end
  delivers nothing (MAIL_INLINE_LIMIT = 0) and the outbox is emptied between rounds, untimed;
- **inline**: without Redis, the end of the request delivers the outbox, so it writes the link
  and the mail of a known address before the answer leaves (the mail is only logged here).

Printed per mode: the median time of each kind, and the ratio known / unknown (per round: min
and median). A ratio near 1.00 in the queued mode is the property issue 11 asks for; the inline
mode shows what is left without a worker.
"""

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consult import create_app  # noqa: E402
from consult.config import DevelopmentConfig  # noqa: E402

KNOWN = "claire.martin@bench.example"
UNKNOWN = "personne@bench.example"


def make_config(url: str):
    class BenchConfig(DevelopmentConfig):
        """The app as served, without a worker: CSRF on, no rate limit, mail to the log."""

        SQLALCHEMY_DATABASE_URI = url
        RATELIMIT_ENABLED = False
        SECRET_KEY = "bench-secret"  # noqa: S105 - a throwaway key for a local benchmark
        MAIL_BACKEND = "log"
        REDIS_URL = None

    return BenchConfig


def prepare(app) -> None:
    """The schema and one active account."""
    from consult.accounts.services import create_user
    from consult.core.clock import utcnow
    from consult.extensions import db

    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            from sqlalchemy import text

            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.create_all()
        create_user(KNOWN, now=utcnow(), password="une-phrase-de-passe-42")
        db.session.commit()


def csrf_token(client) -> str:
    page = client.get("/password/forgotten").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def timed_post(client, email: str, token: str) -> float:
    started = time.perf_counter()
    response = client.post("/password/forgotten", data={"email": email, "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed


def run_mode(app, mode: str, rounds: int, requests: int) -> dict:
    from consult.core import mail
    from consult.extensions import db

    app.config["MAIL_INLINE_LIMIT"] = 0 if mode == "queued" else 200
    client = app.test_client()
    token = csrf_token(client)
    for _ in range(20):  # warm-up: caches, the pool, the first compiled statements
        timed_post(client, KNOWN, token)
        timed_post(client, UNKNOWN, token)
    times = {"known": [], "unknown": []}
    ratios = []
    for _ in range(rounds):
        with app.app_context():
            mail.deliver()  # the worker's part, untimed
            db.session.remove()
        this_round = {"known": [], "unknown": []}
        for number in range(2 * requests):
            kind = "known" if number % 2 == 0 else "unknown"
            this_round[kind].append(
                timed_post(client, KNOWN if kind == "known" else UNKNOWN, token)
            )
        ratios.append(
            statistics.median(this_round["known"]) / statistics.median(this_round["unknown"])
        )
        for kind in times:
            times[kind].extend(this_round[kind])
    with app.app_context():
        mail.deliver()
    return {
        "known_ms": 1000 * statistics.median(times["known"]),
        "unknown_ms": 1000 * statistics.median(times["unknown"]),
        "ratio_min": min(ratios),
        "ratio_median": statistics.median(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200, help="per kind and round")
    args = parser.parse_args()
    logging.getLogger("consult.mail").setLevel(logging.ERROR)  # the logged mail is not the point
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench-reset.db"
        app = create_app(make_config(url))
        prepare(app)
        print(f"database: {url.split(':', 1)[0]}; {args.rounds} rounds × {args.requests} per kind")
        print(
            f"{'mode':8} {'known ms':>9} {'unknown ms':>11} {'ratio min':>10} {'ratio median':>13}"
        )
        for mode in ("queued", "inline"):
            figures = run_mode(app, mode, args.rounds, args.requests)
            print(
                f"{mode:8} {figures['known_ms']:9.2f} {figures['unknown_ms']:11.2f}"
                f" {figures['ratio_min']:10.2f} {figures['ratio_median']:13.2f}"
            )


if __name__ == "__main__":
    main()
