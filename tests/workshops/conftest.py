"""Factories of the workshops tests."""

import pytest

from consult.extensions import db


@pytest.fixture
def make_workshop(app, make_user, make_consultation, now):
    """Factory: a workshop in a phase, with one group per list of co-authors (committed)."""
    from consult.workshops import services

    def make(phase="write", groups=1, title="La santé en 2040"):
        organiser = make_user(roles=("organiser",))
        question = make_consultation().questions[0]
        workshop = services.create_workshop(
            organiser,
            title=title,
            brief="Racontez une journée ordinaire en 2040 où chacun est bien soigné.",
            horizon="la santé en 2040",
            question_id=question.id,
            now=now,
        )
        authors = []
        for index in range(groups):
            group = services.add_group(organiser, workshop, name=f"Groupe {index + 1}", now=now)
            for _ in range(2):
                person = make_user()
                services.add_member(organiser, group, email=person.email, now=now)
                authors.append(person)
        workshop.phase = phase
        db.session.commit()
        workshop.organiser = organiser
        workshop.authors = authors
        return workshop

    return make
