"""Requests at the same instant: one thread each, with its own session, connection and commit."""

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.extensions import db


def on_postgresql() -> bool:
    """Whether the run's database is PostgreSQL (row-level concurrency) rather than SQLite."""
    return db.engine.dialect.name == "postgresql"


def run_together(app, model, work, ids, *, request: bool = True) -> list:
    """Run `work(id)` in one thread per id, then commit; returns what each returned or raised.

    Each thread waits, just before the flush that would insert a `model` row (or the INSERT
    statement that writes one, for a service that inserts without a flush), until every thread
    has arrived there: all have looked for an existing row and found none.

    `request=True` runs each thread in a POST request context, as a view would. On SQLite such a
    request takes the write lock as its transaction begins (BEGIN IMMEDIATE), so waiting inside
    the flush would hold the others out: there the threads are released together at the start and
    served in turn. `request=False` runs them in a bare app context, whose transactions begin as
    readers on both databases: they wait before the flush on SQLite too, and the second writer
    then waits for the first to commit.
    """
    arrived = threading.Barrier(len(ids), timeout=15)
    waited = threading.local()
    in_flush = on_postgresql() or not request

    def before_flush(session, _context, _instances):
        if not in_flush or getattr(waited, "done", False):
            return
        if any(isinstance(o, model) for o in session.new):
            waited.done = True
            arrived.wait()

    def before_insert(_connection, _cursor, _statement, _parameters, context, _many):
        if not in_flush or getattr(waited, "done", False) or not context.isinsert:
            return
        if getattr(context.compiled.statement, "table", None) is model.__table__:
            waited.done = True
            arrived.wait()

    results = [None] * len(ids)

    def thread_main(index, item_id):
        if not in_flush:
            arrived.wait()
        context = app.test_request_context(method="POST") if request else app.app_context()
        with context:
            try:
                results[index] = work(item_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    event.listen(Session, "before_flush", before_flush)
    event.listen(db.engine, "before_cursor_execute", before_insert)
    try:
        threads = [threading.Thread(target=thread_main, args=(i, x)) for i, x in enumerate(ids)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=40)
    finally:
        event.remove(Session, "before_flush", before_flush)
        event.remove(db.engine, "before_cursor_execute", before_insert)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results
