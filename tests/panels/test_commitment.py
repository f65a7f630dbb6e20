"""The commitment as a background job: progress, one job per project, result, clean failures."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.core.errors import RuleError
from consult.extensions import db
from consult.panels import commitment, services
from consult.panels.draw import compute_lottery
from consult.panels.models import PanelDraw, PanelJob

PROFILES = [("woman", "young"), ("man", "old"), ("woman", "old"), ("man", "young")]
ROLES = [None, "participant", "moderator", "analyst", "organiser", "administrator"]


@pytest.fixture
def ready(make_project, add_volunteers):
    """A recruiting project whose quotas can be met."""
    project = make_project(quotas={"woman": (2, 2)})
    add_volunteers(project, PROFILES * 4)
    return project


@pytest.fixture
def with_queue(rq_queue):
    """REDIS_URL set, RQ replaced by a list of what it would queue."""
    return rq_queue


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_lottery_reports_its_progress_and_where_the_time_goes(ready):
    pool, specs = services.main_inputs(ready)
    seen, stats = [], {}
    compute_lottery(pool, specs, progress=lambda f, stage: seen.append((f, stage)), stats=stats)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 0.95
    assert {stage for _, stage in seen} == {"warm_start", "rounds", "final"}
    assert stats["rounds"] >= 1 and stats["panel_sets"] >= 1
    assert stats["types"] == 2  # only gender is quoted
    for part in ("warm_start", "dual", "pricing_heuristic", "pricing_exact", "final"):
        assert stats[f"{part}_seconds"] >= 0


def test_a_commitment_started_from_the_page_runs_and_shows_its_result(
    client, login, organiser, ready
):
    login(client, organiser)
    response = client.post(f"/panels/organise/{ready.id}/commit")
    job = db.session.scalars(select(PanelJob)).one()
    assert response.headers["Location"] == f"/panels/organise/{ready.id}/commitments/{job.id}"
    assert (job.status, job.progress, job.kind) == ("done", 100, "main")
    assert job.draw.commitment and ready.status == "committed"
    assert job.stats["rounds"] >= 1 and job.stats["total_seconds"] > 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert job.draw.commitment in page and 'http-equiv="refresh"' not in page
    assert "tours de génération de colonnes" in page


def test_one_commitment_at_a_time_per_project(ready, organiser, now, with_queue):
    first = commitment.start(organiser, ready, "main", now=now)
    commitment.submit(first)
    db.session.commit()
    assert with_queue == [("panels", commitment.run_queued, first.id)]
    with pytest.raises(RuleError, match="déjà en cours"):
        commitment.start(organiser, ready, "main", now=now)
    # the database refuses a second one too (two requests at the same instant)
    db.session.add(PanelJob(project_id=ready.id, kind="main", status="running", created_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # a job whose worker died long ago no longer blocks the project
    later = now + commitment.ABANDONED_AFTER + timedelta(minutes=1)
    second = commitment.start(organiser, ready, "main", now=later)
    assert db.session.get(PanelJob, first.id).status == "failed"
    assert second.status == "queued"


def test_the_worker_commits_progress_and_stores_the_commitment(
    ready, organiser, now, with_queue, monkeypatch
):
    job = commitment.start(organiser, ready, "main", now=now)
    commitment.submit(job)
    db.session.commit()
    assert job.status == "queued" and count(PanelDraw) == 0
    commits = []
    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", lambda: (commits.append(1), real_commit())[1])
    commitment.run_queued(job.id)
    job = db.session.get(PanelJob, job.id)
    assert job.status == "done" and job.draw_id is not None and len(commits) >= 3
    assert db.session.get(PanelDraw, job.draw_id).commitment == job.draw.commitment


def test_a_failure_leaves_a_clear_page_and_nothing_committed(
    client, login, organiser, ready, monkeypatch
):
    def crash(*args, **kwargs):
        raise RuntimeError("the dual of the lottery LP did not solve")

    monkeypatch.setattr(services, "compute_lottery_of", crash)
    login(client, organiser)
    response = client.post(f"/panels/organise/{ready.id}/commit")
    job = db.session.scalars(select(PanelJob)).one()
    assert job.status == "failed" and "did not solve" in job.error
    assert count(PanelDraw) == 0 and ready.status == "recruiting"
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "L’engagement n’a pas pu être calculé" in text
    assert "Rien n’a été publié" in text and 'http-equiv="refresh"' not in text
    # the project can be committed again once the cause is gone
    monkeypatch.undo()
    again = client.post(f"/panels/organise/{ready.id}/commit")
    assert again.status_code == 302 and db.session.get(PanelJob, job.id + 1).status == "done"


def test_inputs_changed_during_the_computation_are_not_committed(
    ready, organiser, now, add_volunteers, monkeypatch, with_queue
):
    real = services.compute_lottery_of

    def slow(project, pool, specs, **options):
        lottery = real(project, pool, specs, **options)
        add_volunteers(project, [("man", "old")], start=90)  # someone volunteers meanwhile
        return lottery

    monkeypatch.setattr(services, "compute_lottery_of", slow)
    job = commitment.start(organiser, ready, "main", now=now)
    commitment.submit(job)
    db.session.commit()
    commitment.run_queued(job.id)  # the worker, while the volunteer form stays open
    job = db.session.get(PanelJob, job.id)
    assert job.status == "failed" and "ont changé" in job.error
    assert count(PanelDraw) == 0


def test_refusals_come_before_any_job(ready, organiser, now, client, login):
    services.commit_main_draw(organiser, ready, now=now)
    db.session.commit()
    with pytest.raises(RuleError):
        commitment.start(organiser, ready, "main", now=now)
    with pytest.raises(RuleError):
        commitment.start(organiser, ready, "replacement", now=now)
    login(client, organiser)
    assert client.post(f"/panels/organise/{ready.id}/commit").status_code == 303
    assert count(PanelJob) == 0


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_job_page(
    client, ready, organiser, now, role, sign_in_as, check_access
):
    job = commitment.start(organiser, ready, "main", now=now)
    commitment.submit(job)
    db.session.commit()
    sign_in_as(role)
    path = f"/panels/organise/{ready.id}/commitments/{job.id}"
    check_access(client.get(path), role, ("organiser",), path, ok=(200,))
    if role == "organiser":
        other = f"/panels/organise/{ready.id}/commitments/{job.id + 7}"
        assert client.get(other).status_code == 404
