"""Running a preview or an import: in the worker (RQ) with Redis, inside the request without.

Small files run inside the request even with Redis (waiting for a worker would be slower than
the work). A large one is queued once the request that confirmed it has committed; `consult
worker` then runs it in one transaction (all or nothing) and reports its progress through a
connection of its own, so the organiser's page can show a progress bar meanwhile.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from consult.core import jobs as core_jobs
from consult.core.clock import utcnow
from consult.extensions import db

QUEUE = "imports"
PENDING = "import_batches_to_queue"
#: Files with at most this many rows are previewed and imported inside the request.
INLINE_ROWS = 2_000
log = logging.getLogger(__name__)


def uses_queue(batch) -> bool:
    """Queue on Redis only when it is configured, and only for files worth a background job."""
    config = current_app.config
    return (
        bool(config.get("REDIS_URL"))
        and not config.get("IMPORTS_INLINE", False)
        and batch.row_count > config.get("IMPORTS_INLINE_ROWS", INLINE_ROWS)
    )


def submit(batch) -> None:
    """Run the batch's next step now, or queue it to run once the current transaction commits."""
    if uses_queue(batch):
        db.session.info.setdefault(PENDING, []).append(batch.id)
    else:
        run(batch.id, inline=True)


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session) -> None:
    """Hand committed batches to RQ (the worker must find the batch's row when it starts)."""
    pending = session.info.pop(PENDING, None)
    if pending:
        from redis import Redis
        from rq import Queue

        queue = Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))
        for batch_id in pending:
            queue.enqueue(run_queued, batch_id, job_timeout=4 * 3600)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    """A batch whose change was rolled back must not be queued."""
    session.info.pop(PENDING, None)


def run_queued(batch_id: int) -> None:
    """Entry point of the RQ worker: run the batch inside an application context."""
    core_jobs.run_in_worker(run, batch_id)


def run(batch_id: int, *, inline: bool) -> None:
    """Run the batch's step (preview or import) and record how it went.

    Inline, the work happens in a savepoint: a failure undoes it and the batch is marked failed
    without failing the request. In the worker, the whole import is one transaction.
    """
    from consult.core.errors import RuleError
    from consult.core.imports import services
    from consult.core.imports.models import ImportBatch

    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status not in ("previewing", "queued"):
        return
    step = services.run_preview if batch.status == "previewing" else services.run_import
    if batch.status == "queued":
        batch.status = "running"
        if not inline:
            db.session.commit()
    last = [0]

    def progress(done: int, total: int) -> None:
        percent = max(0, min(100, (100 * done) // max(total, 1)))
        if not inline and percent >= last[0] + 2:
            last[0] = percent
            _report(batch_id, percent)

    try:
        if inline:
            with db.session.begin_nested():
                step(batch, now=utcnow(), progress=progress)
        else:
            step(batch, now=utcnow(), progress=progress)
            db.session.commit()
    except Exception as error:  # noqa: BLE001 - any failure is shown on the batch's page
        if not isinstance(error, RuleError):
            log.exception("import batch %s failed", batch_id)
        if not inline:
            db.session.rollback()
        batch = db.session.get(ImportBatch, batch_id)
        batch.status = "failed"
        batch.error = str(getattr(error, "message", None) or _failure_message())[:2000]
        batch.finished_at = utcnow()
        if not inline:
            db.session.commit()
        return
    if batch.status == "done":
        batch.finished_at = utcnow()
    batch.progress = 100
    db.session.flush() if inline else db.session.commit()


def _failure_message() -> str:
    """What the organiser reads when the import failed for a reason that is not theirs."""
    from consult.core.i18n import gettext

    return gettext("The import failed and nothing was written. Try again later.")


def _report(batch_id: int, percent: int) -> None:
    """Save progress through a separate connection (the import's own transaction is still open).

    SQLite lets one connection write at a time, and the import holds it: there the bar jumps at
    the end, which only matters for a worker on SQLite (production runs PostgreSQL).
    """
    from consult.core.imports.models import ImportBatch

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(ImportBatch).where(ImportBatch.id == batch_id).values(progress=percent)
        )
