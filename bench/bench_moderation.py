"""Benchmark: clear a queue of 1,000 pending contributions in bulk, and time the moderation pages.

Run by hand (it prints figures, asserts nothing):

    python bench/bench_moderation.py                      # a temporary SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/consult_bench python bench/...

It loads the demonstration data (4,000 + 150 contributions), adds 1,000 pending contributions
(some with personal data) to a pre-moderated consultation, signs a moderator in, then times with
the test client: the queue page, an item page, the public page, the bulk decision that clears
the whole queue in one request ("every contribution matching the filters"), and the queue again.
Each figure is also given as a ratio to the one-second budget the issue sets for a page, and
the bulk decision as a ratio to one single decision measured in the same run.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from consult import create_app  # noqa: E402
from consult.config import TestConfig  # noqa: E402
from consult.extensions import db  # noqa: E402

BUDGET = 1.0  # seconds a page may take (the bar)
PENDING = 1_000


def _app():
    """An app on DATABASE_URL (emptied) or on a fresh SQLite file, schema by the migrations."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        RATELIMIT_ENABLED = False

    app = create_app(Config)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app, url


def _timed(fn, repeat=1):
    """Median wall time of ``fn()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _seed_pending(now):
    """1,000 pending contributions by 1,000 new members, 1 in 20 with a phone number."""
    from consult.accounts.models import Population, User
    from consult.consultations.models import (
        Consultation,
        ConsultationPopulation,
        Contribution,
        Question,
    )
    from consult.moderation.services import backfill_statuses

    member = db.session.scalar(select(Population).where(Population.code == "member"))
    consultation = Consultation(
        title="Banc d'essai de la modération",
        introduction="",
        status="published",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=20),
        created_at=now,
        moderation_mode="pre",
    )
    consultation.populations = [ConsultationPopulation(population=member, eligible_count=5000)]
    consultation.questions = [Question(kind="open", prompt="Qu'attendez-vous de la mutuelle ?")]
    db.session.add(consultation)
    db.session.flush()
    question = consultation.questions[0]
    db.session.execute(
        insert(User),
        [
            {
                "email": f"banc{i:05d}@exemple.fr",
                "display_name": "",
                "population_id": member.id,
                "gender_form": "f",
                "age_band": "40-60",
                "active": True,
                "created_at": now,
                "profile_consented_at": now,
            }
            for i in range(PENDING)
        ],
    )
    authors = db.session.scalars(select(User.id).where(User.email.like("banc%"))).all()
    rows = []
    for i, author_id in enumerate(authors):
        body = (
            f"<p>Avis numéro {i} : plus de prévention et de remboursements pour les lunettes.</p>"
        )
        if i % 20 == 0:
            body = f"<p>Appelez-moi au 06 12 34 {i % 100:02d} 78, avis numéro {i}.</p>"
        moment = now - timedelta(minutes=PENDING - i)
        rows.append(
            {
                "consultation_id": consultation.id,
                "question_id": question.id,
                "author_id": author_id,
                "body": body,
                "state": "pending",
                "created_at": moment,
                "updated_at": moment,
                "population_id": member.id,
                "gender_form": "f",
                "age_band": "40-60",
            }
        )
    db.session.execute(insert(Contribution), rows)
    backfill_statuses()
    db.session.commit()
    return consultation


def main():
    """Load, seed, sign in, time, print."""
    from consult.accounts.models import User
    from consult.consultations.models import Contribution
    from consult.core.clock import utcnow
    from consult.demo import DEMO_PASSWORD, load_demo
    from consult.moderation.models import ModerationStatus

    app, url = _app()
    with app.app_context():
        start = time.perf_counter()
        load_demo(reset=False)
        now = utcnow().replace(second=0, microsecond=0)
        consultation = _seed_pending(now)
        seeded = time.perf_counter() - start
        total = db.session.scalar(select(func.count()).select_from(Contribution))
        moderator = db.session.scalar(select(User).where(User.email.like("moderat%")))
        open_question = db.session.scalar(
            select(Contribution.question_id).where(Contribution.state == "published").limit(1)
        )
        client = app.test_client()
        response = client.post("/login", data={"email": moderator.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.status_code

        def get(path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        queue_url = f"/moderation/?consultation={consultation.id}&state=review"
        queue_time, _ = _timed(lambda: get(queue_url), repeat=5)
        all_states_time, _ = _timed(lambda: get("/moderation/?state="), repeat=5)
        first = db.session.scalar(
            select(ModerationStatus.contribution_id)
            .join(Contribution)
            .where(Contribution.consultation_id == consultation.id)
            .order_by(ModerationStatus.contribution_id)
        )
        item_time, _ = _timed(lambda: get(f"/moderation/items/{first}"), repeat=5)
        public_time, _ = _timed(lambda: get(f"/questions/{open_question}/contributions"), repeat=5)

        # One single decision, for the ratio.
        version = db.session.get(ModerationStatus, first).version
        single_time, response = _timed(
            lambda: client.post(
                f"/moderation/items/{first}",
                data={"action": "reject", "reason_code": "off_topic", "version": version},
            )
        )
        assert response.status_code == 303, response.status_code

        remaining = PENDING - 1
        bulk_time, response = _timed(
            lambda: client.post(
                f"/moderation/bulk?consultation={consultation.id}&state=review",
                data={"action": "approve", "scope": "all", "publish_masked": "y"},
            )
        )
        assert response.status_code == 303, response.status_code
        db.session.expire_all()
        left = db.session.scalar(
            select(func.count())
            .select_from(ModerationStatus)
            .join(Contribution)
            .where(
                Contribution.consultation_id == consultation.id,
                ModerationStatus.needs_review.is_(True),
            )
        )
        published = db.session.scalar(
            select(func.count())
            .select_from(Contribution)
            .where(
                Contribution.consultation_id == consultation.id, Contribution.state == "published"
            )
        )
        after_time, _ = _timed(lambda: get(queue_url), repeat=5)
        hide_time, response = _timed(
            lambda: client.post(
                f"/moderation/bulk?consultation={consultation.id}&state=published",
                data={"action": "hide", "scope": "all", "reason_code": "off_topic"},
            )
        )
        assert response.status_code == 303, response.status_code
        from consult.core.mail import outbox

        before = len(outbox)
        mail_time, _ = _timed(response.close)  # the server closes the response once sent
        mails = len(outbox) - before

    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"Moderation benchmark on {engine}: {total} contributions "
        f"(demo data + {PENDING} pending), seeded in {seeded:.1f} s"
    )
    print(f"{'what':48} {'seconds':>8} {'÷ 1 s budget':>13}")
    for label, value in (
        ("queue page, 1,000 pending (50 shown)", queue_time),
        ("queue page, every state", all_states_time),
        ("item page (text, spans, history)", item_time),
        ("public page of a question", public_time),
        ("one decision (POST)", single_time),
        (f"bulk approve of {remaining} items (one POST)", bulk_time),
        ("queue page once cleared", after_time),
        (f"bulk hide of the {remaining} (one POST)", hide_time),
        (f"  then {mails} e-mails, after the response", mail_time),
    ):
        print(f"{label:48} {value:8.3f} {value / BUDGET:13.2f}")
    print(
        f"bulk decision ÷ one decision: {bulk_time / single_time:.1f} "
        f"for {remaining} items ({bulk_time / single_time / remaining:.3f} per item)"
    )
    print(
        f"left to review after the bulk decision: {left}; published: {published} "
        f"(of which masked: {PENDING // 20 - 1})"
    )


if __name__ == "__main__":
    main()
