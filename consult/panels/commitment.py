"""The commitment of a draw round as a background job: the LEXIMIN lottery of 2,000 volunteers
takes long enough that the organiser should not wait on a request for it.

With REDIS_URL set, `consult panels worker` runs the job (RQ queue "panels") and commits its
progress as the rounds go; without it, the job runs inside the request that starts it, in a
savepoint, so that a failure leaves nothing behind but the failed job. Either way the lottery is
computed first, the inputs are read again, and the commitment is stored only if they did not
change meanwhile (a volunteer added while the lottery was computed would not be in it).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from consult.core import audit
from consult.core import jobs as core_jobs
from consult.core.clock import utcnow
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import db
from consult.panels import rules, services
from consult.panels.models import PanelJob, PanelProject

QUEUE = "panels"
KINDS = ("main", "replacement")
#: A job queued or running for longer than this lost its worker: it is marked failed.
ABANDONED_AFTER = timedelta(hours=2)
UNDER_WAY = ("queued", "running")
log = logging.getLogger(__name__)

ALREADY = _l("A commitment is already being computed for this project.")
CHANGED = _l(
    "The volunteers or the quotas changed while the lottery was computed: start the "
    "commitment again."
)


def inputs_of(project: PanelProject, kind: str):
    """The pool and panels a commitment of this kind would use (refusals as RuleError)."""
    return services.main_inputs(project) if kind == "main" else services.replacement_inputs(project)


def under_way(project: PanelProject) -> PanelJob | None:
    """The commitment being computed for this project, if any."""
    return db.session.scalar(
        select(PanelJob).where(PanelJob.project_id == project.id, PanelJob.status.in_(UNDER_WAY))
    )


def latest(project: PanelProject) -> PanelJob | None:
    """The project's latest commitment job."""
    return db.session.scalar(
        select(PanelJob)
        .where(PanelJob.project_id == project.id)
        .order_by(PanelJob.created_at.desc(), PanelJob.id.desc())
        .limit(1)
    )


def start(actor, project: PanelProject, kind: str, *, now: datetime) -> PanelJob:
    """Record a commitment job (one under way per project); refused at once when the inputs
    cannot be committed (no panel, wrong stage, quotas obviously impossible)."""
    if kind not in KINDS:
        raise RuleError(_l("Unknown kind of draw."))
    pool, specs = inputs_of(project, kind)
    if not specs:
        raise RuleError(_l("Nothing to draw."))
    obvious = rules.obvious_infeasibilities(pool, specs)
    if obvious:
        raise RuleError(services.constraint_message(obvious[0]))
    db.session.execute(
        update(PanelJob)
        .where(
            PanelJob.project_id == project.id,
            PanelJob.status.in_(UNDER_WAY),
            PanelJob.created_at < now - ABANDONED_AFTER,
        )
        .values(status="failed", error="abandoned", finished_at=now)
    )
    if under_way(project) is not None:
        raise RuleError(ALREADY)
    job = PanelJob(
        project_id=project.id, kind=kind, created_at=now, created_by_id=getattr(actor, "id", None)
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
            db.session.flush()
    except IntegrityError:
        # another organiser started it at the same instant (the partial unique index)
        raise RuleError(ALREADY) from None
    audit.record(actor, "panels.commit_job", job, now=now, after={"kind": kind})
    return job


def submit(job: PanelJob) -> None:
    """Run the job now, or queue it for the worker once the current transaction commits."""
    if core_jobs.uses_queue("PANELS_JOBS_INLINE"):
        core_jobs.queue_after_commit(QUEUE, run_queued, job.id)
    else:
        run(job.id, inline=True)


def run_queued(job_id: int) -> None:
    """Entry point of the RQ worker: run the job inside an application context."""
    core_jobs.run_in_worker(run, job_id)


def _save(inline: bool) -> None:
    """Inline, flush (the request commits); in the worker, commit so the page shows progress."""
    if inline:
        db.session.flush()
    else:
        db.session.commit()


def run(job_id: int, *, inline: bool) -> None:
    """Compute the lottery with progress, then store the commitment; or fail with the reason."""
    job = db.session.get(PanelJob, job_id)
    if job is None or job.finished:
        return
    job.status, job.started_at = "running", utcnow()
    _save(inline)
    last = [0]

    def progress(fraction: float, _stage: str) -> None:
        percent = max(0, min(99, int(fraction * 100)))
        if percent >= last[0] + 2:
            last[0] = job.progress = percent
            _save(inline)

    stats: dict = {}
    started = time.perf_counter()
    try:
        if inline:
            with db.session.begin_nested():
                record = _commit(job, progress, stats)
        else:
            record = _commit(job, progress, stats)
    except Exception as error:  # noqa: BLE001 - any failure is shown on the job's page
        if not isinstance(error, RuleError):
            log.exception("panel commitment job %s failed", job_id)
        if not inline:
            db.session.rollback()
            job = db.session.get(PanelJob, job_id)
        job.status = "failed"
        job.error = str(getattr(error, "message", error))[:2000]
    else:
        stats["total_seconds"] = time.perf_counter() - started
        job.status, job.progress, job.draw_id, job.stats = "done", 100, record.id, stats
    job.finished_at = utcnow()
    _save(inline)


def _commit(job: PanelJob, progress, stats: dict):
    """The heavy part: the lottery of the inputs as they are now, stored if they held still."""
    project = job.project
    pool, specs = inputs_of(project, job.kind)
    lottery = services.compute_lottery_of(project, pool, specs, progress=progress, stats=stats)
    db.session.refresh(project)
    again = inputs_of(project, job.kind)
    if rules.commitment(*again, project.method) != rules.commitment(pool, specs, project.method):
        raise RuleError(CHANGED)
    commit = services.commit_main_draw if job.kind == "main" else services.commit_replacement
    return commit(job.created_by, project, now=utcnow(), lottery=lottery)
