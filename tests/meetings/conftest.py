"""Factories of the meetings tests."""

from datetime import timedelta

import pytest

from consult.extensions import db


@pytest.fixture
def make_meeting(app, reference_data, now):
    """Factory: a published meeting for members, in three days, committed."""
    from consult.meetings.models import Meeting, MeetingPopulation

    populations, regions = reference_data

    def make(
        title="Agora de Toulouse",
        capacity=2,
        status="published",
        starts_in=timedelta(days=3),
        hours=2,
        invited=("member",),
        region="Occitanie",
        **changes,
    ):
        meeting = Meeting(
            title=title,
            kind=changes.pop("kind", "agora"),
            format=changes.pop("format", "in_person"),
            place="Salle Jean-Jaurès, Toulouse",
            region_id=regions[region].id if region else None,
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=hours),
            capacity=capacity,
            status=status,
            agenda="<p>Échanges sur la raison d’être.</p>",
            created_at=now,
            **changes,
        )
        meeting.populations = [MeetingPopulation(population=populations[c]) for c in invited]
        db.session.add(meeting)
        db.session.commit()
        return meeting

    return make
