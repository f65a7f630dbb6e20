"""The application as gunicorn serves it to the fault tests (tests/assembly/test_served_faults.py).

It is the test configuration on the database the test names (``CONSULT_TEST_DATABASE_URL``), with
one addition: a trap. When the test drops a file named ``before-commit`` or ``after-commit`` into
``CONSULT_TEST_TRAP_DIR``, the first cast to reach that moment claims it, says which process and
which mandate it is, and waits there to be killed.
"""

import os
import time
from pathlib import Path

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult import create_app
from consult.config import TestConfig
from consult.extensions import db

TRAP_DIR = Path(os.environ.get("CONSULT_TEST_TRAP_DIR", "."))


class ServedConfig(TestConfig):
    """What the suite tests with, served by real processes on the test's database."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("CONSULT_TEST_DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 300, "pool_size": 4}
    RATELIMIT_ENABLED = False


def _trap(moment: str) -> None:
    """Stop this cast at `moment` if the test set the trap (one cast claims it)."""
    if not has_request_context() or request.endpoint != "assembly.cast":
        return
    if not g.get("not_recorded_message"):  # set by consult.core.commit.commit() for the ballot
        return
    armed = TRAP_DIR / moment
    claimed = TRAP_DIR / f"{moment}.claimed"
    try:
        os.rename(armed, claimed)  # atomic: one process wins
    except FileNotFoundError:
        return
    note = TRAP_DIR / f"{moment}.tmp"
    note.write_text(f"{os.getpid()} {request.form.get('mandate')}")
    os.rename(note, TRAP_DIR / f"{moment}.trapped")
    time.sleep(120)  # the test kills this process now


def make_app():
    """Gunicorn's factory."""
    app = create_app(ServedConfig)
    with app.app_context():
        event.listen(db.engine, "commit", lambda _connection: _trap("before-commit"))
    event.listen(Session, "after_commit", lambda _session: _trap("after-commit"))
    return app
