"""`consult meetings ...`: the reminders of the day before (run hourly by a scheduler)."""

import click
from flask.cli import AppGroup

cli = AppGroup("meetings", help="Meetings: reminders and waiting lists.")


@cli.command("remind")
@click.option(
    "--base-url",
    default=None,
    help="The site's public address for the links in the e-mails (default: SITE_URL).",
)
def remind(base_url):
    """E-mail everyone holding a seat at a meeting that starts within 24 hours (once each).

    Run it every hour (cron, systemd timer, RQ scheduler): each registrant gets one reminder.
    """
    from flask import current_app

    from consult.core.clock import utcnow
    from consult.core.i18n import english_count
    from consult.core.mail import deliver
    from consult.extensions import db
    from consult.meetings.registration import send_reminders

    with current_app.test_request_context(base_url=base_url or current_app.config["SITE_URL"]):
        sent = send_reminders(now=utcnow())
        db.session.commit()
        deliver()
    click.echo(english_count(sent, "reminder", "reminders") + " sent.")
