"""Two people take the last seat at the same instant, on separate connections with real commits.

Each thread stops after it has chosen the free seat and just before it writes its registration,
until the other has chosen too: both believe the seat is theirs. On PostgreSQL the unique seat
number (meeting, seat) then keeps one of them, and the other is put on the waiting list; without
that constraint both would hold seat 1. On SQLite the second writer waits for the first to commit
(one writer at a time), then meets the same constraint.
"""

from concurrency import run_together
from sqlalchemy import select

from consult.accounts.models import User
from consult.extensions import db
from consult.meetings import registration
from consult.meetings.models import Meeting, Registration


def test_two_people_taking_the_last_seat_at_once(app, make_user, make_meeting, now):
    meeting = make_meeting(capacity=2)
    holder = make_user()
    registration.register(holder, meeting, answers={}, now=now)
    db.session.commit()
    meeting_id = meeting.id
    contenders = [make_user().id, make_user().id]
    db.session.remove()

    def take(user_id):
        user = db.session.get(User, user_id)
        found = db.session.get(Meeting, meeting_id)
        return registration.register(user, found, answers={}, now=now).status

    results = run_together(app, Registration, take, contenders, request=False)
    assert sorted(results) == ["confirmed", "waiting"], results
    rows = db.session.scalars(select(Registration).where(Registration.meeting_id == meeting_id))
    seats = sorted(r.seat for r in rows if r.seat is not None)
    assert seats == [1, 2]
