"""`consult privacy erase-expired`: erase the personal data whose retention period has ended.

Run it once a day (cron, systemd timer); it is idempotent and writes each erasure to the audit
log.
"""

import click
from flask.cli import AppGroup

cli = AppGroup("privacy", help="Personal data: retention.")


@cli.command("erase-expired")
def erase_expired():
    """Erase volunteers' and invitees' data whose retention period after the end has passed."""
    from consult.core.clock import utcnow
    from consult.core.i18n import english_count
    from consult.extensions import db
    from consult.privacy.retention import erase_expired as run

    done = run(now=utcnow())
    db.session.commit()
    for item in done:
        subject = item.pop("subject")
        figures = ", ".join(f"{key} {value}" for key, value in item.items())
        click.echo(f"{subject.__tablename__} {subject.id}: erased {figures}")
    click.echo(english_count(len(done), "retention period", "retention periods") + " ended.")
