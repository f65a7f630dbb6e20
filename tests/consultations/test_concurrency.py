"""Two requests at the same instant, on separate connections with real commits.

On PostgreSQL each thread stops right after its service has looked for an existing row and before
it writes, so both believe they are first: only the database's unique constraint can then keep one
row. Each test fails when that constraint is dropped. On SQLite a request that writes takes the
write lock when its transaction begins (BEGIN IMMEDIATE), so the threads, released together, are
served one after the other: the second sees the first's row, and nobody gets an error.
"""

import threading

import pytest
from concurrency import on_postgresql, run_together
from sqlalchemy import func, select

from consult.consultations import services
from consult.consultations.models import Contribution, Question, Reaction
from consult.core.errors import RuleError
from consult.extensions import db


def test_two_first_answers_at_once_store_one_contribution(app, make_user, make_consultation, now):
    question_id = make_consultation().questions[0].id
    user_id = make_user().id
    db.session.remove()

    def answer(text):
        from consult.accounts.models import User

        user = db.session.get(User, user_id)
        question = db.session.get(Question, question_id)
        contribution = services.answer(user, question, text=text, now=now)
        # The request renders the page after the service: the session must still answer.
        services.own_answers(user, question.consultation)
        return contribution.id

    results = run_together(app, Contribution, answer, ["Depuis un onglet", "Depuis un autre"])
    stored = db.session.scalars(select(Contribution)).all()
    assert len(stored) == 1
    if not on_postgresql():  # served in turn: the second answer replaced the first
        assert results == [stored[0].id, stored[0].id]
        return
    assert sorted(type(r).__name__ for r in results) == ["RuleError", "int"]
    refusal = next(r for r in results if isinstance(r, RuleError))
    assert "autre fenêtre" in str(refusal.message)


def test_two_first_reactions_at_once_store_one_reaction(
    app, make_user, make_consultation, make_contribution, now
):
    question = make_consultation().questions[0]
    contribution_id = make_contribution(question, make_user()).id
    reader_id = make_user().id
    db.session.remove()

    def react(value):
        from consult.accounts.models import User

        user = db.session.get(User, reader_id)
        contribution = db.session.get(Contribution, contribution_id)
        result = services.react(user, contribution, value, now=now)
        services.published(contribution.question, user, page=1)
        return result

    results = run_together(app, Reaction, react, [1, 1])
    if not on_postgresql():  # served in turn: the second press took the reaction back
        assert sorted(results, key=str) == [1, None]
        assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
        return
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 1
    assert sorted(type(r).__name__ for r in results) == ["RuleError", "int"]
    refusal = next(r for r in results if isinstance(r, RuleError))
    assert "déjà enregistrée" in str(refusal.message)


@pytest.mark.postgres
def test_two_edits_at_once_keep_each_others_text(app, make_user, make_consultation, now):
    """An edit reads the person's answer with the question and locks it (inside the sub-select
    the row lock can be taken in): a second edit from another tab waits for the first to commit,
    then keeps the first's text as a revision, so no text is lost."""
    from consult.accounts.models import User
    from consult.consultations.models import ContributionRevision

    question = make_consultation().questions[0]
    user = make_user()
    services.answer(user, question, text="Premier", now=now)
    db.session.commit()
    question_id, user_id = question.id, user.id
    db.session.remove()
    first_read, release = threading.Event(), threading.Event()
    failures = []

    def edit(text, hold):
        with app.test_request_context(method="POST"):
            try:
                person = db.session.get(User, user_id)
                target = services.answer_target(person, question_id)
                if hold:
                    first_read.set()
                    release.wait(10)
                services.answer(person, target.question, text=text, now=now, own=target.own)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                failures.append(error)
            finally:
                db.session.remove()

    first = threading.Thread(target=edit, args=("Deuxième", True))
    first.start()
    assert first_read.wait(10)
    second = threading.Thread(target=edit, args=("Troisième", False))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first edit's lock
    release.set()
    first.join(20)
    second.join(20)
    assert failures == []
    assert db.session.scalar(select(Contribution.body)) == "<p>Troisième</p>"
    kept = db.session.scalars(select(ContributionRevision.body).order_by(ContributionRevision.id))
    assert kept.all() == ["<p>Premier</p>", "<p>Deuxième</p>"]
