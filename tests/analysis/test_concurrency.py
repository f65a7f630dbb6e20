"""Two analysts start the same computation at the same instant, on separate connections.

On PostgreSQL each thread stops right after the service has looked for a job under way and before
it inserts its own, so both believe they are first: only the partial unique index keeps one job.
The test fails when that index is dropped. On SQLite, where a writing request takes the write lock
when it begins (BEGIN IMMEDIATE), the threads are released together and served in turn.
"""

import threading

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from consult.analysis import services
from consult.analysis.models import AnalysisJob
from consult.consultations.models import Question
from consult.core.errors import RuleError
from consult.extensions import db


def test_two_analysts_start_one_word_count(app, make_consultation, now):
    """Both press "count the words" together: one job is recorded, the other gets a message."""
    question_id = make_consultation(questions=[("words", "En trois mots ?")]).questions[0].id
    db.session.remove()
    arrived = threading.Barrier(2, timeout=10)
    waited = threading.local()
    in_flush = db.engine.dialect.name == "postgresql"

    def before_flush(session, _context, _instances):
        if not in_flush or getattr(waited, "done", False):
            return
        if any(isinstance(o, AnalysisJob) for o in session.new):
            waited.done = True
            arrived.wait()

    results = [None, None]

    def start(index):
        if not in_flush:
            arrived.wait()
        with app.test_request_context(method="POST"):
            try:
                question = db.session.get(Question, question_id)
                job = services.start_job(
                    None, "words", question.consultation, now=now, question=question
                )
                db.session.commit()
                results[index] = job.id
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    event.listen(Session, "before_flush", before_flush)
    try:
        threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(Session, "before_flush", before_flush)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, RuleError) for r in results) == 1, results
    assert db.session.scalar(select(func.count()).select_from(AnalysisJob)) == 1
