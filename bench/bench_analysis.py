"""Analysis benchmark: 350,000 contributions from 17,000 participants over 5 questions.

Run by hand:  python bench/bench_analysis.py  [--contributions N] [--participants N] [--keep]
(a fresh SQLite file by default; DATABASE_URL=postgresql+psycopg://... for PostgreSQL, whose
schema is then emptied). Everything is measured in one run and printed, timings as ratios too:

- the floor: a bare pass that reads the 350,000 texts from the database and tokenises them;
- the theme proposal on the same 350,000 texts (read, normalise, TF-IDF, NMF), in a fresh
  process, as a ratio to the floor, with that process's peak memory;
- a real proposal job on one question (70,000 texts, themes and members saved);
- participation statistics, the word count job, the CSV and XLSX exports;
- every analyst's page, as an analyst's browser would ask for it (target: under one second).

The foundation accepts one answer per person and question; the real consultation collected about
20 contributions per person, so the benchmark database drops that one unique constraint to reach
the volume asked (350,000 from 17,000 over 5 questions). Nothing else differs from production.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_corpus import SHORT, answer  # noqa: E402

QUESTIONS = [
    ("words", "En trois mots, qu'est-ce qu'une mutuelle pour vous ?"),
    ("open", "Pourquoi notre mutuelle existe-t-elle ?"),
    ("open", "Que devrions-nous faire de plus pour nos adhérents ?"),
    ("open", "Qu'attendez-vous de votre mutuelle dans dix ans ?"),
    ("open", "Quel engagement pour la société et l'environnement ?"),
]
#: population code → (share of participants, eligible head-count)
POPULATIONS = {"member": (0.62, 40_000), "employee": (0.30, 15_500), "delegate": (0.08, 1_400)}
AGE_BANDS = ("20-30", "30-40", "40-60", "60-80", "80-plus")


def build_app(url: str):
    """The application on the benchmark database, schema built by the migrations."""
    from consult import create_app
    from consult.config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    return create_app(BenchConfig)


def create_schema(app, url: str) -> None:
    """Migrate an empty database, then allow several answers per person and question."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from flask_migrate import upgrade
    from sqlalchemy import text

    from consult.extensions import db

    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        with db.engine.begin() as connection:
            operations = Operations(MigrationContext.configure(connection))
            with operations.batch_alter_table("contribution") as batch:
                batch.drop_constraint("uq_contribution_question_id_author_id", type_="unique")


def generate(app, participants: int, contributions: int, seed: int = 7) -> dict:
    """Insert the people, the consultation and the contributions with bulk inserts."""
    from sqlalchemy import insert, select
    from sqlalchemy import text as sql

    from consult.accounts.models import User, UserRole
    from consult.consultations.models import (
        Consultation,
        ConsultationPopulation,
        Contribution,
        Question,
    )
    from consult.demo import _reference_data
    from consult.extensions import db

    rng = random.Random(seed)
    start = datetime(2021, 3, 1, 7, 0)
    with app.app_context():
        populations, regions = _reference_data()
        region_ids = [r.id for r in regions.values()]
        consultation = Consultation(
            title="Notre raison d'être (banc d'essai)",
            introduction="",
            opens_at=start,
            closes_at=start + timedelta(days=35),
            status="closed",
            closed_at=start + timedelta(days=35),
            created_at=start - timedelta(days=7),
        )
        consultation.populations = [
            ConsultationPopulation(population=populations[code], eligible_count=eligible)
            for code, (_share, eligible) in POPULATIONS.items()
        ]
        for position, (kind, prompt) in enumerate(QUESTIONS):
            consultation.questions.append(
                Question(kind=kind, prompt=prompt, position=position, max_words=3)
            )
        db.session.add(consultation)
        db.session.flush()
        codes = list(POPULATIONS)
        weights = [POPULATIONS[c][0] for c in codes]
        people = []
        for number in range(participants):
            code = rng.choices(codes, weights)[0]
            people.append(
                {
                    "email": f"p{number}@bench.example",
                    "display_name": "",
                    "population_id": populations[code].id,
                    "gender_form": rng.choice("ffmmn"),
                    "age_band": rng.choice(AGE_BANDS),
                    "region_id": rng.choice(region_ids),
                    "profile_consented_at": start,
                    "active": True,
                    "created_at": start,
                }
            )
        db.session.execute(insert(User), people)
        analyst = User(
            email="analyste@bench.example",
            display_name="",
            created_at=start,
            active=True,
            profile_consented_at=start,
        )
        analyst.set_password("banc-d-essai-2026")
        db.session.add(analyst)
        db.session.flush()
        db.session.add(UserRole(user_id=analyst.id, role="analyst"))
        users = db.session.execute(
            select(
                User.id, User.population_id, User.gender_form, User.age_band, User.region_id
            ).where(User.email.like("p%@bench.example"))
        ).all()
        questions = [q.id for q in consultation.questions]
        batch = []
        for number in range(contributions):
            question = number % len(questions)
            author = users[rng.randrange(len(users))]
            moment = start + timedelta(seconds=rng.triangular(0, 35 * 86400, 3 * 86400))
            state = "published" if rng.random() < 0.96 else rng.choice(("pending", "hidden"))
            text = answer(rng, question) if question else ", ".join(rng.sample(SHORT, 2))
            batch.append(
                {
                    "consultation_id": consultation.id,
                    "question_id": questions[question],
                    "author_id": author[0],
                    "body": f"<p>{text}</p>" if question else text,
                    "state": state,
                    "created_at": moment,
                    "updated_at": moment,
                    "published_at": moment if state == "published" else None,
                    "population_id": author[1],
                    "gender_form": author[2],
                    "age_band": author[3],
                    "region_id": author[4],
                }
            )
            if len(batch) == 10_000:
                db.session.execute(insert(Contribution), batch)
                batch = []
        if batch:
            db.session.execute(insert(Contribution), batch)
        ids = {"consultation": consultation.id, "questions": questions, "analyst": analyst.email}
        db.session.commit()
        with db.engine.connect() as connection:
            # what PostgreSQL's autovacuum (and a maintained SQLite) do after a bulk load: without
            # statistics the planners scan instead of using the search and foreign-key indexes
            connection.execute(sql("ANALYZE"))
            connection.commit()
        return ids


def floor_pass(url: str) -> tuple[float, int]:
    """Read every text and tokenise it, nothing more: the cost any analysis pays.

    It reads the way the proposal below reads (one connection, rows streamed), so the ratio
    compares the analysis itself.
    """
    from sqlalchemy import create_engine, select

    from consult.analysis.words import TOKEN_RE, markup_text
    from consult.consultations.models import Contribution

    engine = create_engine(url)
    started = time.perf_counter()
    tokens = 0
    with engine.connect() as connection:
        for (body,) in connection.execution_options(yield_per=10_000).execute(
            select(Contribution.body)
        ):
            tokens += len(TOKEN_RE.findall(markup_text(body).lower()))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, tokens


def _proposal_child(url: str, queue) -> None:
    """In a fresh process: read the same texts and propose themes; report time and peak memory."""
    from sqlalchemy import create_engine, select

    from consult.analysis.topics import propose_topics
    from consult.analysis.words import markup_text
    from consult.consultations.models import Contribution

    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        texts = [
            markup_text(body)
            for (body,) in connection.execution_options(yield_per=10_000).execute(
                select(Contribution.body)
            )
        ]
    proposal = propose_topics(texts, 10)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put((elapsed, peak, len(texts), [(t.size, t.label) for t in proposal.topics]))


def proposal_in_fresh_process(url: str):
    """Run the 350,000-text proposal alone in a new interpreter (its own peak memory)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_proposal_child, args=(url, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def timed(function, *args, **kwargs):
    """Run a function once; return (seconds, result)."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def measure_services(app, ids: dict) -> dict:
    """Participation statistics, the proposal and word jobs, exports."""
    from consult.analysis import exports, jobs, services
    from consult.consultations.models import Consultation, Question
    from consult.core.clock import utcnow
    from consult.extensions import db

    figures = {}
    with app.test_request_context():
        consultation = db.session.get(Consultation, ids["consultation"])
        figures["participation"], report = timed(services.participation, consultation)
        figures["contributors"] = report.total.contributors
        for kind, question_id, params in (
            ("words", ids["questions"][0], {}),
            ("topics", ids["questions"][1], {"n_topics": 8}),
        ):
            question = db.session.get(Question, question_id)
            job = services.start_job(
                None, kind, consultation, now=utcnow(), question=question, params=params
            )
            db.session.commit()
            figures[f"job_{kind}"], _ = timed(jobs.run, job.id, inline=False)
            assert db.session.get(type(job), job.id).status == "done"
        export = exports.prepare(consultation)
        figures["export_csv"], size = timed(lambda: sum(len(c) for c in exports.csv_chunks(export)))
        figures["export_csv_mb"] = size / 1e6
        figures["export_xlsx"], data = timed(exports.xlsx_bytes, export)
        figures["export_xlsx_mb"] = len(data) / 1e6
    return figures


def measure_pages(app, ids: dict) -> list[tuple[str, float, int]]:
    """Every analyst's page, asked twice (the second time is what a person waits for)."""
    from sqlalchemy import select

    from consult.analysis.models import Finding, Topic
    from consult.consultations.models import Contribution
    from consult.extensions import db

    client = app.test_client()
    response = client.post(
        "/login", data={"email": ids["analyst"], "password": "banc-d-essai-2026"}
    )
    assert response.status_code == 302, response.status_code
    c, words, open_question = ids["consultation"], ids["questions"][0], ids["questions"][1]
    client.post(f"/analysis/consultations/{c}/findings", data={"title": "La santé d'abord"})
    with app.app_context():
        topic = db.session.scalar(select(Topic.id).where(Topic.question_id == open_question))
        finding = db.session.scalar(select(Finding.id))
        contribution = db.session.scalar(
            select(Contribution.id).where(Contribution.question_id == open_question)
        )
    client.post(f"/analysis/contributions/{contribution}/quote", data={"finding_id": finding})
    urls = [
        "/analysis/",
        f"/analysis/consultations/{c}",
        f"/analysis/questions/{words}/words",
        f"/analysis/questions/{words}/words/sante",
        f"/analysis/questions/{open_question}/topics",
        f"/analysis/topics/{topic}",
        f"/analysis/topics/{topic}?page=200",
        f"/analysis/topics/{topic}/compare",
        f"/analysis/questions/{open_question}/compare",
        f"/analysis/consultations/{c}/findings",
        f"/analysis/findings/{finding}",
        f"/analysis/consultations/{c}/report",
        f"/analysis/consultations/{c}/search?q=sant%C3%A9+pr%C3%A9vention",
        f"/analysis/consultations/{c}/search?q=t%C3%A9l%C3%A9consultation&page=3",
        f"/api/v1/consultations/{c}/contributions?page=3000&per_page=100",
        f"/api/v1/consultations/{c}/participation",
    ]
    results = []
    for url in urls:
        client.get(url)
        started = time.perf_counter()
        response = client.get(url)
        results.append((url, time.perf_counter() - started, response.status_code))
    return results


def main() -> None:
    """Generate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=350_000)
    parser.add_argument("--participants", type=int, default=17_000)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="consult-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite'}"
    os.environ.setdefault("CONSULT_INSTANCE_PATH", str(workdir / "instance"))
    app = build_app(url)
    print(f"database: {url.split('@')[-1]}")
    create_schema(app, url)
    seconds, ids = timed(generate, app, args.participants, args.contributions)
    print(
        f"generated {args.contributions:,} contributions from {args.participants:,}"
        f" participants over {len(QUESTIONS)} questions in {seconds:.1f} s"
    )

    floor, tokens = floor_pass(url)
    print(
        f"\nfloor (read + tokenise {args.contributions:,} texts, {tokens:,} tokens): {floor:.2f} s"
    )
    elapsed, peak, count, topics = proposal_in_fresh_process(url)
    print(
        f"theme proposal on {count:,} texts (fresh process): {elapsed:.2f} s"
        f" = {elapsed / floor:.1f} x floor; peak memory {peak / 2**20:.0f} MiB"
    )
    for size, label in topics:
        print(f"    {size:>7,}  {label}")

    figures = measure_services(app, ids)
    print(
        f"\nparticipation statistics ({figures['contributors']:,} contributors): "
        f"{figures['participation']:.2f} s = {figures['participation'] / floor:.2f} x floor"
    )
    print(
        f"word count job (question 1, {args.contributions // 5:,} texts): "
        f"{figures['job_words']:.2f} s = {figures['job_words'] / floor:.2f} x floor"
    )
    print(
        f"theme proposal job, saved (question 2, {args.contributions // 5:,} texts): "
        f"{figures['job_topics']:.2f} s = {figures['job_topics'] / floor:.2f} x floor"
    )
    print(
        f"CSV export: {figures['export_csv']:.2f} s = {figures['export_csv'] / floor:.2f} x"
        f" floor ({figures['export_csv_mb']:.0f} MB)"
    )
    print(
        f"XLSX export: {figures['export_xlsx']:.2f} s = {figures['export_xlsx'] / floor:.2f} x"
        f" floor ({figures['export_xlsx_mb']:.0f} MB)"
    )

    print("\nanalysts' pages (second request):")
    slowest = 0.0
    for page, seconds, status in measure_pages(app, ids):
        slowest = max(slowest, seconds)
        flag = "" if seconds < 1 else "   <-- over one second"
        print(f"  {seconds * 1000:7.0f} ms  {status}  {page}{flag}")
    print(f"slowest page: {slowest * 1000:.0f} ms")
    if not args.keep and url.startswith("sqlite"):
        (workdir / "bench.sqlite").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
