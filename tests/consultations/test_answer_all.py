"""Answering every question in one form: all or nothing, a progress line, the server's limit."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.consultations.models import Contribution
from consult.extensions import db
from tests.conftest import EVERY_ROLE

QUESTIONS = [
    ("open", "Pourquoi notre mutuelle existe-t-elle ?"),
    ("words", "En trois mots ?"),
    ("single", "Votre priorité ?", ["La santé", "Le prix"]),
    ("multiple", "Vos canaux ?", ["Agence", "Téléphone", "Internet"]),
]


@pytest.fixture
def six(make_consultation):
    """A consultation with an open, a few-words, a single and a multiple choice question."""
    return make_consultation(questions=QUESTIONS)


def _form(consultation, **answers):
    """Form fields for the questions, by position: text for text kinds, choice labels else."""
    data = {}
    for position, value in answers.items():
        question = consultation.questions[int(position[1:])]
        if question.is_text:
            data[f"answer-{question.id}"] = value
        else:
            labels = value if isinstance(value, list) else [value]
            data[f"choice-{question.id}"] = [
                str(c.id) for c in question.choices if c.label in labels
            ]
    return data


def test_everything_saved_at_once_and_the_progress_line(client, six, make_user, login):
    """Two questions answered: saved together; the page says « 2 sur 4 »."""
    person = make_user()
    login(client, person)
    page = client.get(f"/consultations/{six.id}/answer-all").get_data(as_text=True)
    assert "0 sur 4" in page
    response = client.post(
        f"/consultations/{six.id}/answer-all", data=_form(six, q0="La solidarité", q2="Le prix")
    )
    assert response.status_code == 303
    saved = db.session.scalars(
        select(Contribution).where(Contribution.author_id == person.id)
    ).all()
    assert len(saved) == 2
    page = client.get(f"/consultations/{six.id}/answer-all").get_data(as_text=True)
    assert "2 sur 4" in page and "2 réponses enregistrées" in page
    assert "2 sur 4" in client.get(f"/consultations/{six.id}").get_data(as_text=True)


def test_one_bad_answer_saves_nothing(client, six, make_user, login, table_counts):
    """Too many words for one question: 422, the error beside it, the other answer kept typed."""
    login(client, make_user())
    before = table_counts()
    response = client.post(
        f"/consultations/{six.id}/answer-all",
        data=_form(six, q0="Un texte correct", q1="un deux trois quatre cinq"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Un texte correct" in page
    assert 'aria-invalid="true"' in page and "error-summary" in page
    assert table_counts() == before


def test_the_limit_of_the_textarea_is_the_servers(client, six, make_user, login, app):
    """The browser refuses beyond MAX_CONTRIBUTION_LENGTH; the server says so beyond it too."""
    login(client, make_user())
    limit = app.config["MAX_CONTRIBUTION_LENGTH"]
    for path in (f"/consultations/{six.id}/answer-all", f"/consultations/{six.id}"):
        assert f'maxlength="{limit}"' in client.get(path).get_data(as_text=True)
    response = client.post(
        f"/consultations/{six.id}/answer-all", data=_form(six, q0="a" * (limit + 1))
    )
    assert response.status_code == 422
    assert f"au maximum {limit}" in response.get_data(as_text=True).replace("\u202f", "").replace(
        "\u00a0", ""
    ) or "trop longue" in response.get_data(as_text=True)


def test_an_empty_form_saves_nothing_and_says_so(client, six, make_user, login):
    """Nothing typed: a warning, no row."""
    login(client, make_user())
    assert client.post(f"/consultations/{six.id}/answer-all", data={}).status_code == 303
    assert db.session.scalar(select(Contribution)) is None


def test_closed_or_other_population_cannot_answer(
    client, make_consultation, make_user, login, now, table_counts
):
    """Outside the window, or for an employee on a members' consultation: 422, nothing saved."""
    closed = make_consultation(
        questions=QUESTIONS, opens_at=now - timedelta(days=5), closes_at=now - timedelta(days=1)
    )
    login(client, make_user())
    before = table_counts()
    assert (
        client.post(
            f"/consultations/{closed.id}/answer-all", data=_form(closed, q0="Trop tard")
        ).status_code
        == 422
    )
    assert table_counts() == before


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_permission_matrix(client, six, role, sign_in_as, check_access):
    """Any signed-in person reaches the page (eligibility is the consultation's rule)."""
    sign_in_as(role)
    path = f"/consultations/{six.id}/answer-all"
    check_access(client.get(path), role, (), path, ok=(200, 302, 404))
