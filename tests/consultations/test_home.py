"""A participant's home page: open consultations with progress, answers, panels, assemblies."""

from datetime import timedelta

from consult.assembly.models import Assembly, Delegate
from consult.extensions import db
from consult.notifications import services as notifications


def test_home_shows_progress_answers_assemblies_and_news(
    app, client, make_user, make_consultation, make_contribution, login, now
):
    """One of two questions answered; a closed consultation answered; a roll line; a notice."""
    person = make_user(roles=("participant", "delegate"))
    open_one = make_consultation(
        title="Raison d’être", questions=[("open", "Pourquoi ?"), ("words", "En trois mots ?")]
    )
    closed = make_consultation(
        title="Baromètre", opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=2)
    )
    make_contribution(open_one.questions[0], person)
    make_contribution(closed.questions[0], person)
    assembly = Assembly(title="AG 2027", held_on=now.date(), rules_json="{}", created_at=now)
    db.session.add(assembly)
    db.session.flush()
    db.session.add(
        Delegate(
            assembly_id=assembly.id,
            user_id=person.id,
            identifier="D1",
            name="X",
            email=person.email,
        )
    )
    with app.test_request_context():
        notifications.notify(
            [person.id],
            "results_published",
            ("consultation", closed.id),
            params={"title": "Baromètre"},
            url=f"/results/{closed.id}",
            now=now,
        )
    db.session.commit()
    login(client, person)
    page = client.get("/").get_data(as_text=True)
    assert "Questions répondues\u00a0: 1 sur 2" in page
    assert f'href="/consultations/{open_one.id}/answer-all"' in page
    assert "Ce à quoi j’ai répondu" in page and "Baromètre" in page
    assert "AG 2027" in page and f'href="/assemblies/{assembly.id}/vote"' in page
    assert "1 nouvelle notification" in page


def test_home_of_someone_with_nothing_yet(client, make_user, login):
    """No section is shown empty; the list says nothing is open."""
    login(client, make_user())
    page = client.get("/").get_data(as_text=True)
    assert "Ce à quoi j’ai répondu" not in page and "Mes panels citoyens" not in page
