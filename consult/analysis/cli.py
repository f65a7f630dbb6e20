"""`consult analysis ...`: the background worker and analyses run from the command line."""

import click
from flask import current_app
from flask.cli import with_appcontext

from consult.extensions import db


@click.group("analysis")
def cli():
    """Synthesis of contributions: worker, theme proposal, word counts."""


@cli.command("worker")
@with_appcontext
def worker():
    """Run the RQ worker that executes analysis jobs and sends queued e-mail (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    from consult.analysis.jobs import QUEUE
    from consult.core.mail import QUEUE as MAIL_QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")
    Worker([QUEUE, MAIL_QUEUE], connection=Redis.from_url(url)).work()


@cli.command("propose")
@click.argument("question_id", type=int)
@click.option("--topics", "n_topics", default=8, show_default=True, help="Number of themes.")
@with_appcontext
def propose(question_id, n_topics):
    """Propose themes for a question now (analysts' themes are kept)."""
    _run("topics", question_id, {"n_topics": n_topics})


@cli.command("words")
@click.argument("question_id", type=int)
@with_appcontext
def words(question_id):
    """Count a question's words now."""
    _run("words", question_id, {})


def _run(kind, question_id, params):
    """Record and run a job in this process, printing its outcome."""
    from consult.analysis import jobs, services
    from consult.consultations.models import Question
    from consult.core.clock import utcnow
    from consult.core.errors import RuleError

    question = db.session.get(Question, question_id)
    if question is None or not question.is_text:
        raise click.ClickException("No question answered in words has this number.")
    try:
        job = services.start_job(
            None, kind, question.consultation, now=utcnow(), question=question, params=params
        )
        db.session.commit()
        jobs.run(job.id, inline=False)
    except RuleError as error:
        raise click.ClickException(str(error.message)) from None
    job = db.session.get(type(job), job.id)
    click.echo(f"{job.status}: {job.result or job.error}")
