"""Two analysts start the same computation at the same instant, on separate connections.

On PostgreSQL each thread stops right after the service has looked for a job under way and before
it inserts its own, so both believe they are first: only the partial unique index keeps one job.
The test fails when that index is dropped. On SQLite, where a writing request takes the write lock
when it begins (BEGIN IMMEDIATE), the threads are released together and served in turn.
"""

from concurrency import run_together
from sqlalchemy import func, select

from consult.analysis import services
from consult.analysis.models import AnalysisJob
from consult.consultations.models import Question
from consult.core.errors import RuleError
from consult.extensions import db


def test_two_analysts_start_one_word_count(app, make_consultation, now):
    """Both press "count the words" together: one job is recorded, the other gets a message."""
    question_id = make_consultation(questions=[("words", "En trois mots ?")]).questions[0].id
    db.session.remove()

    def start(_index):
        question = db.session.get(Question, question_id)
        job = services.start_job(None, "words", question.consultation, now=now, question=question)
        return job.id

    results = run_together(app, AnalysisJob, start, [0, 1])
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, RuleError) for r in results) == 1, results
    assert db.session.scalar(select(func.count()).select_from(AnalysisJob)) == 1
