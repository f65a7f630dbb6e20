"""Running heavy analyses in the background: RQ on Redis when configured, inline otherwise.

With REDIS_URL set (production), a job is queued once the request that created it has committed,
and `consult analysis worker` runs it, saving its progress as it goes. Without Redis (the
embedded default) and in tests, the job runs inside the request that created it.
"""

from __future__ import annotations

import logging

from consult.analysis.models import AnalysisJob
from consult.core import jobs as core_jobs
from consult.core.clock import utcnow
from consult.extensions import db

QUEUE = "analysis"
log = logging.getLogger(__name__)


def uses_queue() -> bool:
    """Queue on Redis only when it is configured and the app is not told to run jobs inline."""
    return core_jobs.uses_queue("ANALYSIS_JOBS_INLINE")


def submit(job: AnalysisJob) -> None:
    """Run a job now, or queue it to run once the current transaction commits."""
    if uses_queue():
        core_jobs.queue_after_commit(QUEUE, run_queued, job.id)
    else:
        run(job.id, inline=True)


def run_queued(job_id: int) -> None:
    """Entry point of the RQ worker: run the job inside an application context."""
    core_jobs.run_in_worker(run, job_id)


def run(job_id: int, *, inline: bool) -> None:
    """Run a job, saving progress (committed as it goes when not inline) and the outcome.

    Inline, the work happens in a savepoint: a failure undoes it, and the job is marked failed
    without failing the request that started it.
    """
    from consult.analysis.services import execute

    job = db.session.get(AnalysisJob, job_id)
    if job is None or job.finished:
        return
    job.status = "running"
    job.started_at = utcnow()
    _save(inline)
    last = [0]

    def progress(fraction: float, _step: str) -> None:
        percent = max(0, min(100, int(fraction * 100)))
        if percent >= last[0] + 5 or percent == 100:
            last[0] = percent
            job.progress = percent
            _save(inline)

    try:
        if inline:
            with db.session.begin_nested():
                execute(job, now=utcnow(), progress=progress)
        else:
            execute(job, now=utcnow(), progress=progress)
    except Exception as error:  # noqa: BLE001 - any failure is reported on the job's page
        log.exception("analysis job %s failed", job_id)
        if not inline:
            db.session.rollback()
            job = db.session.get(AnalysisJob, job_id)
        job.status = "failed"
        job.error = str(getattr(error, "message", error))[:2000]
    else:
        job.status = "done"
        job.progress = 100
    job.finished_at = utcnow()
    _save(inline)


def _save(inline: bool) -> None:
    """Inline, flush (the request commits); in the worker, commit so the page shows progress."""
    if inline:
        db.session.flush()
    else:
        db.session.commit()
