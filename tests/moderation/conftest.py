"""Fixtures of the moderation tests: people with roles, consultations in each mode, answers."""

import pytest

from consult.consultations import services as consultations
from consult.extensions import db


@pytest.fixture
def moderator(make_user):
    """A moderator (profile complete, not a participant)."""
    return make_user(email="moderatrice@example.org", roles=("moderator",))


@pytest.fixture
def admin(make_user):
    """An administrator, who holds every role."""
    return make_user(email="admin@example.org", roles=("administrator",))


@pytest.fixture
def organiser(make_user):
    """An organiser, who chooses the moderation mode."""
    return make_user(email="organisatrice@example.org", roles=("organiser",))


@pytest.fixture
def author(make_user):
    """A participant who writes."""
    return make_user(email="autrice@example.org")


@pytest.fixture
def participants(make_user):
    """Factory: n more participants."""

    def make(n):
        return [make_user() for _ in range(n)]

    return make


@pytest.fixture
def consultation_in(make_consultation):
    """Factory: an open consultation in "pre" or "post" moderation, with an open question."""

    def make(mode="post", **kwargs):
        consultation = make_consultation(**kwargs)
        consultation.moderation_mode = mode
        db.session.commit()
        return consultation

    return make


@pytest.fixture
def post_consultation(consultation_in):
    """A post-moderated open consultation."""
    return consultation_in("post")


@pytest.fixture
def pre_consultation(consultation_in):
    """A pre-moderated open consultation."""
    return consultation_in("pre")


@pytest.fixture
def write(now):
    """Answer the first question of a consultation through the posting service (committed)."""

    def answer(user, consultation, text="La solidarité avant tout.", question=None):
        contribution = consultations.answer(
            user, question or consultation.questions[0], text=text, now=now
        )
        db.session.commit()
        return contribution

    return answer
