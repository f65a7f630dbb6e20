"""Large files in the background (RQ) and the outbox: after the commit, at a set rate."""

import smtplib

import pytest
from spreadsheets import excel_csv, preview
from sqlalchemy import func, select

from consult.accounts.imports import INVITATIONS
from consult.core import mail
from consult.core.errors import RuleError
from consult.core.imports import jobs
from consult.core.imports import services as imports
from consult.core.imports.models import ImportBatch
from consult.core.models import OutgoingMail
from consult.extensions import db


def people(count):
    """An invitation file of `count` members."""
    rows = [["Courriel", "Catégorie"]] + [[f"p{n}@example.org", "member"] for n in range(count)]
    return excel_csv(rows)


@pytest.fixture
def queue(app, monkeypatch):
    """RQ replaced by a list of what would be queued (Redis configured, no server needed)."""
    queued = []

    class FakeQueue:
        def __init__(self, name, connection):
            self.name = name

        def enqueue(self, function, *args, **options):
            queued.append((self.name, function, args))

    import rq
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    def no_job(*args, **kwargs):
        raise NoSuchJobError

    monkeypatch.setattr(rq, "Queue", FakeQueue)
    monkeypatch.setattr(Job, "fetch", no_job)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "IMPORTS_INLINE_ROWS", 10)
    return queued


def test_a_large_file_is_previewed_and_imported_by_the_worker_after_the_commit(
    app, make_user, now, queue
):
    organiser = make_user(roles=("organiser",))
    batch = imports.upload(
        organiser, INVITATIONS, None, people(50), filename="big.csv", options={}, now=now
    )
    imports.choose_mapping(organiser, batch, batch.mapping, now=now)
    assert batch.status == "previewing" and queue == []  # nothing queued before the commit
    db.session.commit()
    assert queue == [("imports", jobs.run_queued, (batch.id,))]
    jobs.run_queued(batch.id)
    db.session.expire_all()
    assert batch.status == "previewed" and batch.plan["create"] == 50
    imports.confirm(organiser, batch, now=now)
    db.session.commit()
    assert queue[-1] == ("imports", jobs.run_queued, (batch.id,))
    jobs.run_queued(batch.id)
    db.session.expire_all()
    assert batch.status == "done" and batch.result["created"] == 50 and batch.progress == 100
    # The invitations wait in the outbox for the mail worker, queued once.
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 50
    assert [q for q in queue if q[0] == "mail"] == [("mail", mail.deliver_queued, ())]
    assert mail.outbox == []


def test_a_rolled_back_confirmation_queues_nothing(app, make_user, now, queue):
    organiser = make_user(roles=("organiser",))
    batch = preview(organiser, INVITATIONS, None, people(20), now=now)
    jobs.run_queued(batch.id)
    queued = len(queue)
    db.session.expire_all()
    imports.confirm(organiser, batch, now=now)
    db.session.rollback()
    db.session.commit()
    assert len(queue) == queued
    assert db.session.get(ImportBatch, batch.id).status == "previewed"


def test_a_second_confirmation_is_refused(app, make_user, now):
    organiser = make_user(roles=("organiser",))
    batch = preview(organiser, INVITATIONS, None, people(3), now=now)
    imports.confirm(organiser, batch, now=now)
    db.session.commit()
    with pytest.raises(RuleError):
        imports.confirm(organiser, batch, now=now)
    # One invitation each, waiting in the outbox (outside a request nothing delivers them).
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 3


def test_a_failure_during_the_import_writes_nothing_and_says_so(app, make_user, now, monkeypatch):
    from consult.accounts import imports as invitations

    organiser = make_user(roles=("organiser",))
    batch = preview(organiser, INVITATIONS, None, people(5), now=now)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(invitations, "queue_mails", broken)
    imports.confirm(organiser, batch, now=now)
    db.session.commit()
    db.session.expire_all()
    assert batch.status == "failed" and "rien n’a été enregistré" in batch.error
    from consult.accounts.models import User

    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_outbox_is_sent_after_the_commit_and_not_after_a_rollback(app, now):
    mail.queue_mail("a@example.org", "Sujet", "Corps", now=now)
    db.session.rollback()
    assert mail.pending_count() == 0
    mail.queue_mails([("b@example.org", "S", "B"), ("c@example.org", "S", "B")], now=now)
    db.session.commit()
    assert mail.outbox == []  # outside a request: `consult mail deliver` or the worker sends
    assert mail.deliver(limit=1) == 1 and mail.pending_count() == 1
    assert mail.deliver() == 1 and mail.pending_count() == 0
    assert [m["To"] for m in mail.outbox] == ["b@example.org", "c@example.org"]


def test_delivery_is_paced_and_a_failing_server_is_retried_then_given_up(app, now, monkeypatch):
    import time

    pauses = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    monkeypatch.setitem(app.config, "MAIL_RATE_PER_MINUTE", 120)
    mail.queue_mails([(f"p{n}@example.org", "S", "B") for n in range(3)], now=now)
    db.session.commit()
    assert mail.deliver(paced=True) == 3
    assert pauses == [0.5, 0.5, 0.5]

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(mail, "send_mail", refuse)
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    mail.queue_mail("d@example.org", "S", "B", now=now)
    db.session.commit()
    assert mail.deliver() == 0
    row = db.session.scalar(select(OutgoingMail))
    assert row.attempts == 2 and "gone" in row.last_error


def test_mail_deliver_command(app, runner, now):
    mail.queue_mails([("a@example.org", "S", "B")], now=now)
    db.session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0 and "1 message sent, 0 waiting." in result.output
    mail.queue_mails([("b@example.org", "S", "B"), ("c@example.org", "S", "B")], now=now)
    db.session.commit()
    assert "2 messages sent, 0 waiting." in runner.invoke(args=["mail", "deliver"]).output
    assert runner.invoke(args=["worker"]).exit_code != 0  # no REDIS_URL: nothing to run
