"""Two moderators deciding the same item at once, on PostgreSQL with real commits.

Moderator A decides and holds the transaction open; moderator B loads the same version and
decides while A has not committed; then A commits. B's guarded UPDATE waits for A's row lock,
re-reads the row and finds a newer version: B is told, and exactly one decision exists. The
control test runs the same race with the guard's version condition removed and shows that both
decisions then land — so the first test fails without the guard.
"""

import threading
import time

import pytest
from sqlalchemy import func, select, update

from consult.consultations.models import Contribution
from consult.core.errors import RuleError
from consult.extensions import db
from consult.moderation import services
from consult.moderation.models import ModerationDecision, ModerationStatus


@pytest.fixture
def race(app, moderator, admin, author, pre_consultation, write, now):
    """Run the two-moderator race; returns (outcomes by moderator, decisions written)."""
    if not db.engine.url.get_backend_name().startswith("postgresql"):
        # On SQLite B's writing transaction cannot begin before A's has ended (BEGIN IMMEDIATE):
        # B would read A's decision, so the interleaving this race needs cannot happen there.
        pytest.skip("the interleaving needs PostgreSQL's row locks")
    contribution_id = write(author, pre_consultation).id
    people = {"A": moderator.id, "B": admin.id}
    db.session.remove()

    def run():
        a_decided, b_started = threading.Event(), threading.Event()
        outcomes, errors = {}, []

        def moderator_a():
            with app.app_context():
                try:
                    contribution = db.session.get(Contribution, contribution_id)
                    seen = services.status_of(contribution).version
                    services.decide(
                        db.session.get(type(moderator), people["A"]),
                        contribution,
                        "approve",
                        expected_version=seen,
                        now=now,
                    )
                    a_decided.set()
                    b_started.wait(5)
                    time.sleep(0.5)  # B is now blocked on A's row lock (or past it)
                    db.session.commit()
                    outcomes["A"] = "decided"
                except Exception as error:  # noqa: BLE001 - reported to the main thread
                    errors.append(error)
                    a_decided.set()
                finally:
                    db.session.remove()

        def moderator_b():
            with app.app_context():
                try:
                    a_decided.wait(5)
                    contribution = db.session.get(Contribution, contribution_id)
                    seen = services.status_of(contribution).version  # A has not committed
                    b_started.set()
                    services.decide(
                        db.session.get(type(moderator), people["B"]),
                        contribution,
                        "reject",
                        expected_version=seen,
                        reason_code="off_topic",
                        now=now,
                    )
                    db.session.commit()
                    outcomes["B"] = "decided"
                except RuleError as error:
                    db.session.rollback()
                    outcomes["B"] = error
                except Exception as error:  # noqa: BLE001
                    errors.append(error)
                    b_started.set()
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=moderator_a), threading.Thread(target=moderator_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert not errors, errors
        decisions = db.session.scalars(
            select(ModerationDecision).where(ModerationDecision.contribution_id == contribution_id)
        ).all()
        return outcomes, decisions, db.session.get(Contribution, contribution_id)

    return run


def test_one_decision_wins_the_other_is_told(race):
    """A's approval lands; B is told someone decided meanwhile; one decision, one state."""
    outcomes, decisions, contribution = race()
    assert outcomes["A"] == "decided"
    assert isinstance(outcomes["B"], services.StaleDecision)
    assert "entre-temps" in outcomes["B"].message or "meantime" in str(outcomes["B"].message)
    assert [d.action for d in decisions] == ["approve"]
    assert contribution.state == "published"


def test_without_the_guard_both_decisions_land(race, monkeypatch):
    """Control: the same race with an unguarded UPDATE records two conflicting decisions."""

    def unguarded_claim(contribution_id, expected_version):
        db.session.execute(
            update(ModerationStatus)
            .where(ModerationStatus.contribution_id == contribution_id)
            .values(version=ModerationStatus.version + 1)
            .execution_options(synchronize_session=False)
        )
        return True

    monkeypatch.setattr(services, "_claim", unguarded_claim)
    outcomes, decisions, contribution = race()
    assert outcomes == {"A": "decided", "B": "decided"}
    assert sorted(d.action for d in decisions) == ["approve", "reject"]


def test_simultaneous_flags_are_all_counted(
    app, author, participants, post_consultation, write, now
):
    """Three participants flag at the same instant: three flags counted, the text hidden once."""
    contribution_id = write(author, post_consultation).id
    flagger_ids = [p.id for p in participants(3)]
    db.session.remove()
    barrier = threading.Barrier(3)
    errors = []

    # On SQLite a writing transaction holds the write lock from its start: release them before.
    before_reading = db.engine.dialect.name == "sqlite"

    def flag(user_id):
        if before_reading:
            barrier.wait(5)
        with app.test_request_context(method="POST"):
            try:
                from consult.accounts.models import User

                user = db.session.get(User, user_id)
                contribution = db.session.get(Contribution, contribution_id)
                if not before_reading:
                    barrier.wait(5)
                services.flag(user, contribution, reason_code="insulting", reason_text="", now=now)
                db.session.commit()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=flag, args=(uid,)) for uid in flagger_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    status = db.session.get(ModerationStatus, contribution_id)
    assert status.flag_count == 3
    hidden = db.session.scalar(
        select(func.count())
        .select_from(ModerationDecision)
        .where(ModerationDecision.action == "flag_threshold")
    )
    assert hidden == 1
    assert db.session.get(Contribution, contribution_id).state == "hidden"
