"""Analysis services on a real database: participation, words, themes, findings, search, exports."""

import csv
import io
from collections import Counter
from datetime import timedelta
from fractions import Fraction

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from consult.analysis import exports, jobs, services
from consult.analysis.models import AnalysisJob, Finding, Topic, TopicMember
from consult.consultations.models import Contribution
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db


def run_job(kind, scenario, now, question=None, topic=None, **params):
    """Start and run a job inline, as a request on the embedded default does."""
    job = services.start_job(
        None,
        kind,
        scenario.consultation,
        now=now,
        question=question or scenario.open_question,
        topic=topic,
        params=params,
    )
    jobs.submit(job)
    db.session.commit()
    return db.session.get(AnalysisJob, job.id)


# --- participation ----------------------------------------------------------------------------


def test_participation_counts_populations_rates_and_days(
    scenario, make_contribution, make_user, now
):
    """36 people, 72 contributions; rates against head-counts; withdrawn and rejected left out."""
    make_contribution(scenario.open_question, make_user(population="member"), state="rejected")
    withdrawn = make_contribution(scenario.open_question, make_user(population="member"))
    withdrawn.withdrawn_at = now
    db.session.commit()
    report = services.participation(scenario.consultation)
    by_code = {population.code: row for population, row in report.populations}
    assert (by_code["member"].contributors, by_code["member"].contributions) == (30, 60)
    assert by_code["member"].rate == Fraction(30, 100)
    assert by_code["employee"].rate == Fraction(4, 6)
    assert (report.total.contributors, report.total.contributions) == (36, 72)
    # employees and delegates: 6 of 9 took part
    assert report.internal.rate == Fraction(6, 9)
    assert {r.value: r.contributors for r in report.by_region} == {"Occitanie": 32, "Bretagne": 4}
    assert [r.value for r in report.by_age] == ["30-40 ans", "40-60 ans", "60-80 ans"]
    assert sum(d.contributions for d in report.days) == 72
    assert report.days[-1].cumulative_contributors == 36
    assert len(report.days) == 3


def test_participation_of_an_empty_consultation(make_consultation):
    """No contribution yet: zero everywhere, no day, no error."""
    report = services.participation(make_consultation())
    assert report.total.contributors == 0 and report.days == []


# --- words ------------------------------------------------------------------------------------


def test_word_counts_merge_spellings_and_count_per_population(scenario, now):
    """ "Santé" and "santé" are one word; the per-population counts feed the comparison."""
    job = run_job("words", scenario, now, question=scenario.words_question)
    assert job.status == "done" and job.progress == 100
    counts = {c.display: c for c in services.word_counts(job)}
    assert counts["santé"].texts == 24 and counts["santé"].variants == 2
    comparison = services.compare_word(scenario.words_question, job, "sante", minimum=5)
    shares = {name: share for name, share in comparison.rows}
    assert shares["Adhérents"].count == 20 and not shares["Adhérents"].too_small
    assert shares["Élus et délégués"].too_small
    assert comparison.any_too_small
    assert services.compare_word(scenario.words_question, job, "inconnu", 5) is None


def test_a_second_job_of_the_same_kind_is_refused_while_one_runs(scenario, now):
    """Two analysts pressing the button at once start one computation."""
    services.start_job(
        None, "words", scenario.consultation, now=now, question=scenario.words_question
    )
    with pytest.raises(RuleError):
        services.start_job(
            None, "words", scenario.consultation, now=now, question=scenario.words_question
        )


def test_a_failing_job_is_reported_and_undone(scenario, now, monkeypatch):
    """A job that fails inline is marked failed with its reason; its partial work is undone."""

    def broken(*args, **kwargs):
        db.session.add(
            Topic(question_id=scenario.open_question.id, name="x", created_at=now, updated_at=now)
        )
        db.session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "run_proposal", broken)
    job = run_job("topics", scenario, now, n_topics=3)
    assert job.status == "failed" and "disk full" in job.error
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 0


def test_jobs_are_queued_after_commit_when_redis_is_configured(app, scenario, now, rq_queue):
    """With REDIS_URL, the job waits for the commit and goes to RQ; a rollback forgets it."""
    job = services.start_job(
        None, "words", scenario.consultation, now=now, question=scenario.words_question
    )
    jobs.submit(job)
    assert rq_queue == [] and job.status == "queued"
    db.session.commit()
    assert rq_queue == [("analysis", jobs.run_queued, job.id)]
    # the worker's side: runs it with commits as it goes
    jobs.run_queued(job.id)
    assert db.session.get(AnalysisJob, job.id).status == "done"
    second = services.start_job(
        None, "topics", scenario.consultation, now=now, question=scenario.open_question
    )
    jobs.submit(second)
    db.session.rollback()
    db.session.commit()
    assert len(rq_queue) == 1


# --- themes -----------------------------------------------------------------------------------


def members(topic):
    """Contribution ids of a theme (automatic and by hand)."""
    return set(services.topic_members(topic))


def test_proposal_finds_the_themes_and_saves_them(scenario, now):
    """Three clear themes come out with their contributions, terms and examples."""
    job = run_job("topics", scenario, now, n_topics=3)
    assert job.status == "done", job.error
    topics = services.topics_of(scenario.open_question)
    assert len(topics) == 3
    for topic in topics:
        truth = Counter(scenario.answers[c] for c in members(topic))
        assert truth.most_common(1)[0][1] == sum(truth.values())  # pure themes
        assert topic.key_terms and topic.representative_ids
        assert len(services.representatives(topic)) >= 1
    assert sum(services.topic_sizes(scenario.open_question).values()) == 36


def test_rerunning_the_proposal_keeps_the_analysts_work(scenario, now, make_user):
    """Renamed, merged, discarded, hand-tagged and quoted themes survive a new proposal."""
    analyst = make_user(roles=("analyst",))
    run_job("topics", scenario, now, n_topics=3)
    first, second, third = services.topics_of(scenario.open_question)
    services.rename_topic(analyst, first, "Accès aux soins", now=now)
    moved = sorted(members(third))[0]
    contribution = db.session.get(Contribution, moved)
    services.tag(analyst, contribution, first, now=now)
    services.untag(analyst, contribution, third, now=now)
    services.discard_topic(analyst, second, now=now)
    finding = services.save_finding(
        analyst,
        scenario.consultation,
        None,
        title="Le coût",
        text="",
        topic_ids=[third.id],
        now=now,
    )
    db.session.commit()
    first_members = members(first)

    job = run_job("topics", scenario, now, n_topics=3)
    assert job.status == "done", job.error
    db.session.expire_all()
    assert db.session.get(Topic, first.id).name == "Accès aux soins"
    assert members(db.session.get(Topic, first.id)) >= first_members
    assert db.session.get(Topic, second.id).state == "discarded"
    assert moved in members(db.session.get(Topic, first.id))
    assert moved not in members(db.session.get(Topic, third.id))
    assert db.session.get(Finding, finding.id).topics[0].id == third.id
    # the discarded theme did not come back under another name
    assert len(services.topics_of(scenario.open_question)) == 2


def test_merge_and_split(scenario, now, make_user):
    """Merging moves contributions and keeps the merged themes; splitting divides one theme."""
    analyst = make_user(roles=("analyst",))
    run_job("topics", scenario, now, n_topics=3)
    a, b, c = services.topics_of(scenario.open_question)
    total = members(a) | members(b)
    services.merge_topics(analyst, a, [b], now=now)
    assert members(a) == total and members(b) == set()
    assert b.state == "merged" and b.merged_into_id == a.id and a.touched
    with pytest.raises(RuleError):
        services.merge_topics(analyst, a, [b], now=now)  # b is no longer active
    db.session.commit()

    job = run_job("split", scenario, now, topic=a, parts=2)
    assert job.status == "done", job.error
    db.session.expire_all()
    parts = [db.session.get(Topic, i) for i in job.result["parts"]]
    assert db.session.get(Topic, a.id).state == "split"
    assert set().union(*(members(p) for p in parts)) == total
    assert all(p.touched and p.origin == "analyst" for p in parts)


def test_topic_operations_refuse_bad_input(scenario, now, make_user):
    """Empty names, other questions' contributions and double removals are refused."""
    analyst = make_user(roles=("analyst",))
    run_job("topics", scenario, now, n_topics=3)
    topic = services.topics_of(scenario.open_question)[0]
    with pytest.raises(RuleError):
        services.rename_topic(analyst, topic, "   ", now=now)
    with pytest.raises(RuleError):
        services.rename_topic(analyst, topic, "x" * 201, now=now)
    other = db.session.scalar(
        select(Contribution).where(Contribution.question_id == scenario.words_question.id)
    )
    with pytest.raises(RuleError):
        services.tag(analyst, other, topic, now=now)
    outsider = db.session.scalar(
        select(Contribution).where(
            Contribution.question_id == scenario.open_question.id,
            Contribution.id.not_in(members(topic)),
        )
    )
    with pytest.raises(RuleError):
        services.untag(analyst, outsider, topic, now=now)
    with pytest.raises(RuleError):
        services.restore_topic(analyst, topic, now=now)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("analysis.%"))
        )
        >= 1
    )


def test_compare_topics_across_populations(scenario, now):
    """Every theme's share per population; small groups carry the caveat."""
    run_job("topics", scenario, now, n_topics=3)
    comparisons = services.compare_topics(scenario.open_question, minimum=10)
    assert len(comparisons) == 3
    for comparison in comparisons:
        shares = dict(comparison.rows)
        assert shares["Adhérents"].base == 30 and not shares["Adhérents"].too_small
        assert shares["Salariés"].too_small
    assert sum(dict(c.rows)["Adhérents"].count for c in comparisons) == 30
    single = services.compare_topic(services.topics_of(scenario.open_question)[0], 10)
    assert single.rows == comparisons[0].rows


def test_comparison_names_its_unnamed_row(scenario, now):
    """Respondents outside every named population share one row named in the interface's words,
    which the page keeps in its own language (every other name is one the organisers wrote)."""
    run_job("topics", scenario, now, n_topics=3)
    question = scenario.open_question
    for contribution in db.session.scalars(
        select(Contribution).where(Contribution.question_id == question.id).limit(2)
    ):
        contribution.population_id = None
    db.session.flush()
    comparison = services.compare_topics(question, minimum=10)[0]
    names = [name for name, _share in comparison.rows]
    assert comparison.unnamed == "Non renseigné" and comparison.unnamed in names
    assert "Adhérents" in names and "Adhérents" != comparison.unnamed


# --- findings and quotes ----------------------------------------------------------------------


def test_findings_with_attributed_quotes(scenario, now, make_user, make_consultation):
    """A finding quotes published contributions, attributed by profile, never by name."""
    analyst = make_user(roles=("analyst",))
    finding = services.save_finding(
        analyst,
        scenario.consultation,
        None,
        title="  La santé d'abord ",
        text="Premier paragraphe.\n\nSecond.",
        topic_ids=[],
        now=now,
    )
    assert finding.title == "La santé d'abord" and finding.body.count("<p>") == 2
    contribution = db.session.scalar(
        select(Contribution).where(
            Contribution.author_id == scenario.members[0].id,
            Contribution.question_id == scenario.open_question.id,
        )
    )
    quote = services.add_quote(analyst, finding, contribution, max_length=40, now=now)
    text = services.quote_text(quote)
    assert text.startswith("«\u00a0Pour moi,") and text.endswith(
        "» — Adhérente, 40-60 ans, Occitanie"
    )
    assert "…" in text and scenario.members[0].email not in text
    with pytest.raises(RuleError):
        services.add_quote(analyst, finding, contribution, max_length=None, now=now)
    with pytest.raises(RuleError):
        services.add_quote(analyst, finding, contribution, max_length=5, now=now)
    contribution.withdrawn_at = now
    assert services.quote_text(quote) is None  # left out of the report
    with pytest.raises(RuleError):
        services.save_finding(
            analyst, scenario.consultation, None, title=" ", text="", topic_ids=[], now=now
        )
    other = make_consultation(title="Autre")
    with pytest.raises(RuleError):
        services.save_finding(analyst, other, finding, title="x", text="", topic_ids=[999], now=now)


def test_findings_keep_their_order(scenario, now, make_user):
    """Findings move up and down; deleting one renumbers the others."""
    analyst = make_user(roles=("analyst",))
    made = [
        services.save_finding(
            analyst, scenario.consultation, None, title=t, text="", topic_ids=[], now=now
        )
        for t in ("Un", "Deux", "Trois")
    ]
    services.move_finding(analyst, made[2], -1, now=now)
    assert [f.title for f in services.findings_of(scenario.consultation)] == ["Un", "Trois", "Deux"]
    services.delete_finding(analyst, made[0], now=now)
    assert [f.position for f in services.findings_of(scenario.consultation)] == [0, 1]


# --- search and exports -----------------------------------------------------------------------


def test_search_ignores_case_and_accents(scenario):
    """ "hopital" finds "l'hôpital"; every word must appear; nothing unpublished shows."""
    items, more = services.search(scenario.consultation, "HOPITAL", page=1, per_page=50)
    assert items and all("hôpital" in c.body for c in items)
    both, _ = services.search(scenario.consultation, "hôpital cotisations", page=1)
    assert all("hôpital" in c.body and "cotisations" in c.body for c in both)
    assert services.search(scenario.consultation, "  ", page=1) == ([], False)
    first, more = services.search(scenario.consultation, "Santé", page=1, per_page=2)
    assert len(first) == 2 and more


def test_search_is_stemmed_on_every_database(make_user, make_consultation, make_contribution):
    """ "soin" finds "soins" and back (PostgreSQL's french configuration, Snowball on SQLite);
    a word that merely contains the stem ("besoin") is not found, and every stem must appear."""
    consultation = make_consultation()
    question = consultation.questions[0]
    plural = make_contribution(question, make_user(), "<p>Les <em>soins</em> dentaires.</p>")
    singular = make_contribution(question, make_user(), "<p>Un soin d’urgence à l’hôpital.</p>")
    make_contribution(question, make_user(), "<p>Un besoin de proximité.</p>")
    make_contribution(question, make_user(), "<p>Des soins cachés.</p>", state="pending")

    def ids(query):
        return sorted(c.id for c in services.search(consultation, query, page=1)[0])

    assert ids("soin") == ids("Soins") == sorted([plural.id, singular.id])
    assert ids("hôpitaux") == [singular.id]
    assert ids("soins dentaire") == [plural.id]
    assert ids("soins inexistant") == []


def exported_csv(consultation, **options):
    """The CSV export read back as rows."""
    text = "".join(exports.csv_chunks(exports.prepare(consultation, **options)))
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_exports_published_only_unless_asked(scenario, make_contribution, make_user, now):
    """Pending contributions stay out by default; formulas are neutralised; no author names."""
    late = make_user(population="member")
    make_contribution(scenario.open_question, late, body='<p>=HYPERLINK("x")</p>', state="pending")
    rows = exported_csv(scenario.consultation)
    assert rows[0][0] == "Numéro" and len(rows) == 1 + 72
    assert all(late.email not in ";".join(r) for r in rows)
    everything = exported_csv(scenario.consultation, include_unpublished=True)
    assert len(everything) == 1 + 73
    assert any(r[4] == '\'=HYPERLINK("x")' for r in everything)
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(exports.prepare(scenario.consultation))))
    sheet = book.active
    assert sheet.max_row == 73
    first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[8] == "Adhérente, 40-60 ans, Occitanie"


def test_exports_show_the_themes(scenario, now):
    """Each exported contribution lists its active themes."""
    run_job("topics", scenario, now, n_topics=3)
    names = {t.name for t in services.topics_of(scenario.open_question)}
    rows = exported_csv(scenario.consultation)
    open_rows = [r for r in rows[1:] if r[1].startswith("1.")]
    assert all(r[9] in names for r in open_rows)
    assert db.session.scalar(select(func.count()).select_from(TopicMember)) == 36


def test_participation_snapshot_is_computed_once_then_reused(
    scenario, now, make_contribution, make_user
):
    """Pages read stored figures; a stale snapshot of an open consultation is refreshed."""
    report, computed, refreshing = services.participation_snapshot(
        None, scenario.consultation, now=now
    )
    assert report.total.contributors == 36 and refreshing is None
    make_contribution(scenario.open_question, make_user(population="member"))
    again, same, _ = services.participation_snapshot(None, scenario.consultation, now=now)
    assert same.id == computed.id and again.total.contributors == 36
    later = now + timedelta(hours=1)
    fresh, newer, _ = services.participation_snapshot(None, scenario.consultation, now=later)
    assert newer.id != computed.id and fresh.total.contributors == 37
    assert fresh.by_age[0].value == "30-40 ans"


def test_participation_snapshot_waits_for_the_worker(app, scenario, now, rq_queue):
    """With Redis, the first visit queues the computation and shows no figures yet."""
    report, computed, refreshing = services.participation_snapshot(
        None, scenario.consultation, now=now
    )
    assert report is None and computed is None and refreshing.status == "queued"
    db.session.commit()
    again = services.participation_snapshot(None, scenario.consultation, now=now)
    assert again[2].id == refreshing.id  # no second job while one waits


def test_a_job_abandoned_by_its_worker_does_not_block_the_next(scenario, now):
    """A job still queued hours later is marked failed, and a new one may start."""
    stuck = services.start_job(
        None,
        "words",
        scenario.consultation,
        now=now - timedelta(hours=3),
        question=scenario.words_question,
    )
    db.session.commit()
    fresh = services.start_job(
        None, "words", scenario.consultation, now=now, question=scenario.words_question
    )
    assert fresh.id != stuck.id
    assert db.session.get(AnalysisJob, stuck.id).status == "failed"


def test_text_masked_by_moderation_stays_masked(make_user, make_consultation, now):
    """A social security number masked by a moderator never comes back in exports or quotes."""
    from consult.consultations import services as consultations
    from consult.moderation import services as moderation

    consultation = make_consultation()
    author = make_user()
    moderator = make_user(roles=("moderator",))
    text = "Mon numéro de sécurité sociale est le 1 85 05 78 006 084 91, rappelez-moi."
    contribution = consultations.answer(author, consultation.questions[0], text=text, now=now)
    db.session.commit()
    status = moderation.status_of(contribution)
    moderation.decide(
        moderator,
        contribution,
        "approve",
        expected_version=status.version,
        publish_masked=True,
        now=now,
    )
    db.session.commit()
    assert contribution.state == "published"
    exported = "".join(exports.csv_chunks(exports.prepare(consultation)))
    assert "006 084" not in exported and "rappelez-moi" in exported
    finding = services.save_finding(
        moderator, consultation, None, title="Données", text="", topic_ids=[], now=now
    )
    quote = services.add_quote(moderator, finding, contribution, max_length=None, now=now)
    assert "006 084" not in services.quote_text(quote)
    found, _more = services.search(consultation, "rappelez", page=1)
    assert [c.id for c in found] == [contribution.id]
    assert services.search(consultation, "006", page=1) == ([], False)
