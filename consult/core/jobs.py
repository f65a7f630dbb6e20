"""Background jobs on RQ when REDIS_URL is set, handed to the queue once the request commits.

Areas keep their own job table (progress, outcome) and runner; this module only says whether
a queue is in use and queues a runner after the commit that created the job's row (a worker
must find that row when it starts, and a rolled-back row must never be queued).
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.extensions import db

PENDING = "jobs_to_queue"
#: Longest a job may run in a worker before RQ stops it.
JOB_TIMEOUT = 3600


def uses_queue(inline_setting: str) -> bool:
    """Queue on Redis only when it is configured and ``inline_setting`` does not ask otherwise."""
    config = current_app.config
    return bool(config.get("REDIS_URL")) and not config.get(inline_setting, False)


def run_in_worker(run, ident: int) -> None:
    """What a worker's entry point does: ``run(ident, inline=False)`` inside an application
    context (a fresh app's when the worker has none)."""
    if has_app_context():
        run(ident, inline=False)
        return
    from consult import create_app

    with create_app().app_context():
        run(ident, inline=False)


def queue_after_commit(queue: str, function, *args) -> None:
    """Queue ``function(*args)`` on the RQ queue named ``queue`` once this transaction commits."""
    db.session.info.setdefault(PENDING, []).append((queue, function, args))


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session) -> None:
    """Hand the committed jobs to RQ."""
    pending = session.info.pop(PENDING, None)
    if pending:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(current_app.config["REDIS_URL"])
        for queue, function, args in pending:
            Queue(queue, connection=connection).enqueue(function, *args, job_timeout=JOB_TIMEOUT)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    """A job whose row was rolled back must not be queued."""
    session.info.pop(PENDING, None)
