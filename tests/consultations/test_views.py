"""Consultation pages: the permission matrix, answering, reading and reacting, organising."""

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from conftest import EVERY_ROLE
from sqlalchemy import func, select

from consult.consultations.models import (
    Consultation,
    Contribution,
    ContributionRevision,
    Question,
    Reaction,
    Theme,
)
from consult.core.clock import to_local
from consult.extensions import db

DAY = timedelta(days=1)
ORGANISER = ("organiser",)


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    """How many rows of a table match."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def local(moment) -> str:
    """A naive-UTC moment as a datetime-local field value in Paris time."""
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


# --- the permission matrix --------------------------------------------------------------------


@pytest.fixture
def world(make_user, make_consultation, make_contribution, now):
    """An open consultation with a contribution, and a draft with questions and a theme."""
    author = make_user(email="author@example.org")
    open_one = make_consultation(title="Ouverte")
    question = open_one.questions[0]
    contribution = make_contribution(question, author)
    draft = make_consultation(
        title="Brouillon",
        status="draft",
        opens_at=now + DAY,
        closes_at=now + 30 * DAY,
        questions=[("open", "Un ?"), ("open", "Deux ?")],
    )
    theme = Theme(consultation=draft, title="Raison d'être", position=0)
    db.session.add(theme)
    db.session.commit()
    return SimpleNamespace(
        open=open_one.id,
        question=question.id,
        contribution=contribution.id,
        draft=draft.id,
        draft_question=draft.questions[1].id,
        theme=theme.id,
        member=open_one.populations[0].population_id,
        now=now,
    )


def own_contribution(w, user) -> int:
    """A contribution of the acting person (the author's one when anonymous)."""
    if user is None:
        return w.contribution
    contribution = Contribution(
        consultation_id=w.open,
        question_id=w.question,
        author_id=user.id,
        body="<p>Mon avis</p>",
        state="published",
        created_at=w.now,
        updated_at=w.now,
    )
    db.session.add(contribution)
    db.session.commit()
    return contribution.id


def settings_form(w, **changes):
    """Valid consultation settings as the browser sends them."""
    values = {
        "title": "Nouvelle consultation",
        "introduction": "<p>Bienvenue</p>",
        "opens_at": local(w.now + DAY),
        "closes_at": local(w.now + 20 * DAY),
        f"eligible_{w.member}": "1200",
    }
    return values | changes


QUESTION_FORM = {"kind": "open", "prompt": "Trois ?", "help_text": "", "theme_id": "0"}

#: (endpoint, method, path(world, user), data(world, user), who may open it, success statuses)
ROUTES = [
    ("index", "GET", lambda w, u: "/", None, None, (200,)),
    ("show", "GET", lambda w, u: f"/consultations/{w.open}", None, (), (200,)),
    (
        "answer",
        "POST",
        lambda w, u: f"/questions/{w.question}/answer",
        lambda w, u: {"answer": "La proximité."},
        (),
        (302,),
    ),
    (
        "withdraw",
        "POST",
        lambda w, u: f"/contributions/{own_contribution(w, u)}/withdraw",
        lambda w, u: {},
        (),
        (302,),
    ),
    ("answer_all", "GET", lambda w, u: f"/consultations/{w.open}/answer-all", None, (), (200, 404)),
    (
        "answer_all",
        "POST",
        lambda w, u: f"/consultations/{w.open}/answer-all",
        lambda w, u: {f"answer-{w.question}": "La proximité."},
        (),
        (303, 404),
    ),
    ("mine", "GET", lambda w, u: "/my/contributions", None, (), (200,)),
    (
        "contributions",
        "GET",
        lambda w, u: f"/questions/{w.question}/contributions",
        None,
        (),
        (200,),
    ),
    (
        "react",
        "POST",
        lambda w, u: f"/contributions/{w.contribution}/react",
        lambda w, u: {"value": "1"},
        (),
        (303,),
    ),
    ("organise", "GET", lambda w, u: "/organise", None, ORGANISER, (200,)),
    ("edit", "GET", lambda w, u: "/organise/new", None, ORGANISER, (200,)),
    (
        "edit",
        "POST",
        lambda w, u: "/organise/new",
        lambda w, u: settings_form(w),
        ORGANISER,
        (302,),
    ),
    ("edit", "GET", lambda w, u: f"/organise/{w.draft}/settings", None, ORGANISER, (200,)),
    (
        "edit",
        "POST",
        lambda w, u: f"/organise/{w.draft}/settings",
        lambda w, u: settings_form(w, title="Brouillon renommé"),
        ORGANISER,
        (302,),
    ),
    ("manage", "GET", lambda w, u: f"/organise/{w.draft}", None, ORGANISER, (200,)),
    (
        "publish",
        "POST",
        lambda w, u: f"/organise/{w.draft}/publish",
        lambda w, u: {},
        ORGANISER,
        (302,),
    ),
    ("close", "POST", lambda w, u: f"/organise/{w.open}/close", lambda w, u: {}, ORGANISER, (302,)),
    ("theme", "GET", lambda w, u: f"/organise/{w.draft}/themes/new", None, ORGANISER, (200,)),
    (
        "theme",
        "POST",
        lambda w, u: f"/organise/{w.draft}/themes/new",
        lambda w, u: {"title": "Nouveau thème", "description": ""},
        ORGANISER,
        (302,),
    ),
    (
        "theme",
        "GET",
        lambda w, u: f"/organise/{w.draft}/themes/{w.theme}",
        None,
        ORGANISER,
        (200,),
    ),
    (
        "theme",
        "POST",
        lambda w, u: f"/organise/{w.draft}/themes/{w.theme}",
        lambda w, u: {"title": "Thème renommé", "description": ""},
        ORGANISER,
        (302,),
    ),
    (
        "question",
        "GET",
        lambda w, u: f"/organise/{w.draft}/questions/new",
        None,
        ORGANISER,
        (200,),
    ),
    (
        "question",
        "POST",
        lambda w, u: f"/organise/{w.draft}/questions/new",
        lambda w, u: QUESTION_FORM,
        ORGANISER,
        (302,),
    ),
    (
        "question",
        "GET",
        lambda w, u: f"/organise/{w.draft}/questions/{w.draft_question}",
        None,
        ORGANISER,
        (200,),
    ),
    (
        "question",
        "POST",
        lambda w, u: f"/organise/{w.draft}/questions/{w.draft_question}",
        lambda w, u: QUESTION_FORM | {"prompt": "Deux bis ?"},
        ORGANISER,
        (302,),
    ),
    (
        "move_question",
        "POST",
        lambda w, u: f"/organise/questions/{w.draft_question}/move",
        lambda w, u: {"direction": "up"},
        ORGANISER,
        (302,),
    ),
    (
        "delete_question",
        "POST",
        lambda w, u: f"/organise/questions/{w.draft_question}/delete",
        lambda w, u: {},
        ORGANISER,
        (302,),
    ),
]


@pytest.mark.parametrize("role", EVERY_ROLE, ids=lambda r: r or "anonymous")
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed", "ok"),
    [route[1:] for route in ROUTES],
    ids=[f"{route[1]} {route[0]} {i}" for i, route in enumerate(ROUTES)],
)
def test_permission_matrix(
    client, world, sign_in_as, check_access, table_counts, role, method, path, data, allowed, ok
):
    user = sign_in_as(role)
    url = path(world, user)
    before = table_counts()
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=data(world, user))
    check_access(response, role, allowed, url, ok)
    refused = allowed is not None and (role is None or (allowed and role not in allowed))
    if refused and role != "administrator":
        assert table_counts() == before, "a refused request changed something"


def test_every_consultation_route_and_method_is_in_the_matrix(app):
    covered = {(f"consultations.{route[0]}", route[1]) for route in ROUTES}
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("consultations.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served - covered == set()


def test_withdrawing_someone_elses_contribution_is_404(client, world, make_user, login):
    login(client, make_user())
    response = client.post(f"/contributions/{world.contribution}/withdraw")
    assert response.status_code == 404
    assert db.session.get(Contribution, world.contribution).withdrawn_at is None


def test_a_draft_is_invisible_to_participants(client, world, make_user, login):
    login(client, make_user())
    assert client.get(f"/consultations/{world.draft}").status_code == 404
    assert "Brouillon" not in text(client.get("/"))


def test_another_population_cannot_see_or_answer(client, world, make_user, login):
    login(client, make_user(population="employee"))
    assert client.get(f"/consultations/{world.open}").status_code == 404
    response = client.post(f"/questions/{world.question}/answer", data={"answer": "Avis"})
    assert response.status_code == 404
    assert client.get(f"/questions/{world.question}/contributions").status_code == 404
    assert (
        client.post(f"/contributions/{world.contribution}/react", data={"value": "1"}).status_code
        == 404
    )
    assert count(Contribution) == 1 and count(Reaction) == 0


@pytest.mark.parametrize(
    "path", ["/consultations/999999", "/questions/999999/contributions", "/organise/999999"]
)
def test_unknown_ids_are_404(client, make_user, login, path):
    login(client, make_user(roles=("participant", "organiser")))
    assert client.get(path).status_code == 404


# --- answering --------------------------------------------------------------------------------


@pytest.fixture
def member_client(client, make_user, login):
    """The client signed in as a member with a consented profile; returns (client, user)."""
    user = make_user(email="claire@example.org")
    login(client, user)
    return client, user


def test_answer_edit_and_withdraw_through_the_pages(member_client, make_consultation):
    client, user = member_client
    consultation = make_consultation()
    question = consultation.questions[0]
    page = text(client.get(f"/consultations/{consultation.id}"))
    assert question.prompt in page and "Enregistrer ma réponse" in page

    response = client.post(f"/questions/{question.id}/answer", data={"answer": "La solidarité."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/consultations/{consultation.id}#q{question.id}"
    page = text(client.get(f"/consultations/{consultation.id}"))
    assert "Votre réponse est enregistrée" in page and "La solidarité." in page
    assert "Modifier ma réponse" in page

    response = client.post(f"/questions/{question.id}/answer", data={"answer": "L'entraide."})
    assert response.status_code == 302
    contribution = db.session.scalar(select(Contribution))
    assert contribution.body == "<p>L'entraide.</p>"
    assert [r.body for r in contribution.revisions] == ["<p>La solidarité.</p>"]
    assert "L'entraide." in text(client.get("/my/contributions"))

    response = client.post(f"/contributions/{contribution.id}/withdraw")
    assert response.status_code == 302
    assert "Votre réponse est retirée." in text(client.get(response.headers["Location"]))
    assert db.session.get(Contribution, contribution.id).withdrawn_at is not None
    assert "L'entraide." not in text(client.get("/my/contributions"))


def test_an_answer_reads_only_what_it_saves_with(member_client, make_consultation, statements):
    """The person is read in one statement, and the question with the person's own answer in
    another, without the rows an answer does not need: their population and region, the
    consultation's introduction (long rich text) and the invited populations' own rows (their
    ids are on the join rows); the own answer is locked inside its sub-select on PostgreSQL."""
    client, _ = member_client
    question = make_consultation().questions[0]
    url = f"/questions/{question.id}/answer"
    with statements() as sent:
        response = client.post(url, data={"answer": "Mon idée"})
    assert response.status_code == 302
    (identity,) = [s for s in sent if "FROM sign_in_session" in s]
    (read,) = [s for s in sent if s.startswith("SELECT question.id")]
    assert "JOIN population" not in identity and "JOIN region" not in identity
    assert "JOIN consultation_population" in read and "FROM contribution" in read
    assert "introduction" not in read and "JOIN population" not in read
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE) AS" in read
    assert db.session.scalar(select(Contribution.body)) == "<p>Mon idée</p>"
    # an edit reads nothing more, and the statements are built once per process
    from consult.consultations import services as answering

    built = [answering._answer_target_query, answering._own_answer_query]
    misses = [query.cache_info().misses for query in built]
    with statements() as sent:
        response = client.post(url, data={"answer": "Autre idée"})
    assert response.status_code == 302
    assert len([s for s in sent if s.startswith("SELECT")]) == 2
    assert [query.cache_info().misses for query in built] == misses
    db.session.expire_all()
    assert db.session.scalar(select(Contribution.body)) == "<p>Autre idée</p>"


def test_an_edited_answer_writes_each_row_once(member_client, make_consultation, statements):
    """A changed text sends one INSERT (the earlier text kept) and one UPDATE of the answer and
    of its moderation row, nothing written twice, in one statement on PostgreSQL (a
    data-modifying WITH) and one after the other on SQLite; what is stored is the edit."""
    from consult.consultations.models import ContributionRevision
    from consult.moderation.models import ModerationStatus

    client, _ = member_client
    question = make_consultation().questions[0]
    url = f"/questions/{question.id}/answer"
    assert client.post(url, data={"answer": "Mon idée"}).status_code == 302
    with statements() as sent:
        assert client.post(url, data={"answer": "Une autre idée"}).status_code == 302
    sent_writes = sent.writes()
    writes = [write for statement in sent_writes for write in sent.written(statement)]
    assert sorted(writes) == [
        "INSERT INTO contribution_revision",
        "UPDATE contribution",
        "UPDATE moderation_status",
    ]
    assert len(sent_writes) == (1 if db.engine.dialect.name == "postgresql" else 3)
    db.session.expire_all()
    assert db.session.scalar(select(Contribution.body)) == "<p>Une autre idée</p>"
    assert db.session.scalars(select(ContributionRevision.body)).all() == ["<p>Mon idée</p>"]
    assert db.session.scalar(select(ModerationStatus.version)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Votre réponse est vide."),
        ("   \n ", "Votre réponse est vide."),
        ("<p></p>", "Votre réponse est vide."),
        (
            "a" * 1_000_000,
            "Votre réponse est trop longue (1000000 caractères\u00a0; 10000 au plus).",
        ),
    ],
    ids=["empty", "blank", "markup-only", "1MB"],
)
def test_bad_answers_get_422_and_nothing_is_stored(
    member_client, make_consultation, typed, message
):
    client, _ = member_client
    question = make_consultation().questions[0]
    response = client.post(f"/questions/{question.id}/answer", data={"answer": typed})
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert count(Contribution) == 0


def test_a_refused_edit_keeps_the_saved_answer(member_client, make_consultation):
    client, _ = member_client
    question = make_consultation().questions[0]
    client.post(f"/questions/{question.id}/answer", data={"answer": "Mon idée"})
    response = client.post(f"/questions/{question.id}/answer", data={"answer": ""})
    assert response.status_code == 422
    assert db.session.scalar(select(Contribution.body)) == "<p>Mon idée</p>"
    assert count(ContributionRevision) == 0


def test_answers_are_refused_after_the_close(member_client, make_consultation, make_user, login):
    client, user = member_client
    consultation = make_consultation()
    question = consultation.questions[0]
    client.post(f"/questions/{question.id}/answer", data={"answer": "Mon idée"})
    contribution = db.session.scalar(select(Contribution))
    consultation = db.session.get(Consultation, consultation.id)
    consultation.status = "closed"
    db.session.commit()

    page = text(client.get(f"/consultations/{consultation.id}"))
    assert "Clôturée le" in page and "Enregistrer ma réponse" not in page
    response = client.post(f"/questions/{question.id}/answer", data={"answer": "Changée"})
    assert response.status_code == 422
    assert "Cette consultation est clôturée" in text(response)
    response = client.post(f"/contributions/{contribution.id}/withdraw")
    assert response.status_code == 303
    contribution = db.session.get(Contribution, contribution.id)
    assert contribution.body == "<p>Mon idée</p>" and contribution.withdrawn_at is None


def test_a_scheduled_consultation_says_when_it_opens(member_client, make_consultation, now):
    client, _ = member_client
    consultation = make_consultation(opens_at=now + DAY, closes_at=now + 9 * DAY)
    question = consultation.questions[0]
    assert "Ouvre le" in text(client.get(f"/consultations/{consultation.id}"))
    response = client.post(f"/questions/{question.id}/answer", data={"answer": "Trop tôt"})
    assert response.status_code == 422
    assert "pas encore ouverte" in text(response)


def test_answering_without_a_profile_leads_to_the_profile(
    client, make_user, login, make_consultation
):
    login(
        client,
        make_user(consented=False),
    )
    consultation = make_consultation()
    question = consultation.questions[0]
    response = client.post(f"/questions/{question.id}/answer", data={"answer": "Avis"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/profile?next=")
    assert count(Contribution) == 0


def test_words_and_choice_questions(member_client, make_consultation):
    client, _ = member_client
    consultation = make_consultation(
        questions=[
            ("words", "Trois mots ?"),
            ("single", "Vous êtes ?", ["Adhérent", "Salarié"]),
            ("multiple", "Vos attentes ?", ["Prix", "Écoute", "Services"]),
        ]
    )
    words, single, multiple = consultation.questions
    assert (
        client.post(
            f"/questions/{words.id}/answer", data={"answer": "solidarité, écoute"}
        ).status_code
        == 302
    )
    response = client.post(f"/questions/{words.id}/answer", data={"answer": "un deux trois quatre"})
    assert response.status_code == 422 and "au plus 3 mots" in text(response)
    assert (
        client.post(
            f"/questions/{single.id}/answer", data={"choice": str(single.choices[1].id)}
        ).status_code
        == 302
    )
    response = client.post(
        f"/questions/{single.id}/answer", data={"choice": [str(c.id) for c in single.choices]}
    )
    assert response.status_code == 422 and "Choisissez une seule réponse." in text(response)
    response = client.post(f"/questions/{multiple.id}/answer", data={"choice": ["abc", "-1"]})
    assert response.status_code == 422 and "Choisissez une réponse." in text(response)
    chosen = [str(multiple.choices[0].id), str(multiple.choices[2].id)]
    assert (
        client.post(f"/questions/{multiple.id}/answer", data={"choice": chosen}).status_code == 302
    )
    page = text(client.get("/my/contributions"))
    assert "solidarité, écoute" in page and "Salarié" in page and "Services" in page
    # Only text questions have a page of others' contributions.
    assert client.get(f"/questions/{single.id}/contributions").status_code == 404


def test_hostile_html_is_cleaned_before_it_is_stored_and_shown(
    member_client, make_consultation, make_user, login
):
    client, _ = member_client
    question = make_consultation().questions[0]
    hostile = (
        '<p onclick="x()">Bonjour <script>alert(1)</script><a href="javascript:x()">lien</a></p>'
    )
    assert (
        client.post(f"/questions/{question.id}/answer", data={"answer": hostile}).status_code == 302
    )
    body = db.session.scalar(select(Contribution.body))
    assert "onclick" not in body and "<script" not in body and "javascript:" not in body
    client.post("/logout")
    login(client, make_user())
    page = client.get(f"/questions/{question.id}/contributions").get_data(as_text=True)
    assert "Bonjour" in page and "<script>alert" not in page and "onclick" not in page


# --- reading and reacting ---------------------------------------------------------------------


def test_reading_shows_only_published_contributions_with_their_profile(
    client, make_user, login, make_consultation, make_contribution, now
):
    question = make_consultation().questions[0]
    make_contribution(
        question,
        make_user(gender_form="m", age_band="60-80", region="Bretagne"),
        body="<p>Publiée</p>",
    )
    make_contribution(question, make_user(), body="<p>En attente</p>", state="pending")
    make_contribution(question, make_user(), body="<p>Refusée</p>", state="rejected")
    withdrawn = make_contribution(question, make_user(), body="<p>Retirée</p>")
    withdrawn.withdrawn_at = now
    db.session.commit()
    login(client, make_user())
    page = text(client.get(f"/questions/{question.id}/contributions"))
    assert "Publiée" in page and "Adhérent, 60-80 ans, Bretagne" in page
    for hidden in ("En attente", "Refusée", "Retirée"):
        assert hidden not in page
    assert "1 contribution publiée" in page
    assert "person" not in page.split("<main", 1)[1].split("</main>")[0]  # never the e-mail


def test_reacting_through_the_page(client, make_user, login, make_consultation, make_contribution):
    question = make_consultation().questions[0]
    author = make_user()
    contribution = make_contribution(question, author)
    reader = make_user()
    login(client, reader)
    url = f"/contributions/{contribution.id}/react"
    response = client.post(url, data={"value": "1", "page": "1"})
    assert response.status_code == 303
    assert (
        response.headers["Location"]
        == f"/questions/{question.id}/contributions?page=1#c{contribution.id}"
    )
    page = text(client.get(response.headers["Location"]))
    assert "D’accord (1)" in page and 'aria-pressed="true"' in page
    client.post(url, data={"value": "-1"})
    assert db.session.scalar(select(Reaction.value)) == -1
    client.post(url, data={"value": "-1"})
    assert count(Reaction) == 0
    response = client.post(url, data={"value": "7"})
    assert response.status_code == 303 and count(Reaction) == 0
    assert "Réaction inconnue." in text(client.get(response.headers["Location"]))
    client.post("/logout")
    login(client, author)
    response = client.post(url, data={"value": "1"})
    assert "propre contribution" in text(client.get(response.headers["Location"]))
    assert count(Reaction) == 0


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999"])
def test_any_page_number_gets_a_page(client, make_user, login, make_consultation, page):
    question = make_consultation().questions[0]
    login(client, make_user())
    response = client.get(f"/questions/{question.id}/contributions?page={page}")
    assert response.status_code == 200


# --- organising -------------------------------------------------------------------------------


@pytest.fixture
def organiser_client(client, make_user, login, reference_data, now):
    """The client signed in as an organiser, with what the settings form needs."""
    login(client, make_user(roles=ORGANISER, population="employee"))
    populations, _ = reference_data
    return client, SimpleNamespace(member=populations["member"].id, now=now)


def test_creating_with_a_past_opening_is_refused_in_french_and_creates_nothing(organiser_client):
    client, w = organiser_client
    response = client.post("/organise/new", data=settings_form(w, opens_at=local(w.now - DAY)))
    assert response.status_code == 422
    assert "La date et l’heure d’ouverture sont dans le passé." in text(response)
    assert count(Consultation) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closes_at": "OPENS"}, "La consultation doit se clôturer après son ouverture."),
        ({"title": ""}, "Titre"),
        ({"opens_at": "demain"}, "2026-03-01T09:00"),
        ({"opens_at": "0001-01-01T00:00"}, "Indiquez une année entre 2000 et 2100."),
        ({"closes_at": "9999-12-31T23:59"}, "Indiquez une année entre 2000 et 2100."),
        ({"eligible_MEMBER": ""}, "Invitez au moins une population."),
        ({"eligible_MEMBER": "-4"}, "Un nombre entre 0 et 10 000 000."),
    ],
)
def test_bad_settings_get_422_and_create_nothing(organiser_client, changes, message):
    client, w = organiser_client
    data = settings_form(w)
    for key, value in changes.items():
        key = key.replace("MEMBER", str(w.member))
        data[key] = data["opens_at"] if value == "OPENS" else value
    response = client.post("/organise/new", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Consultation) == 0


def test_an_organiser_creates_adds_questions_publishes_and_closes(organiser_client):
    client, w = organiser_client
    response = client.post("/organise/new", data=settings_form(w))
    assert response.status_code == 302
    consultation = db.session.scalar(select(Consultation))
    assert response.headers["Location"] == f"/organise/{consultation.id}"
    assert consultation.status == "draft"
    assert consultation.opens_at == w.now + DAY
    assert [(p.population_id, p.eligible_count) for p in consultation.populations] == [
        (w.member, 1200)
    ]
    page = text(client.get(f"/organise/{consultation.id}"))
    assert "Nouvelle consultation" in page and "Aucune question pour l’instant." in page

    response = client.post(f"/organise/{consultation.id}/publish")
    assert response.status_code == 303
    assert "Ajoutez au moins une question" in text(client.get(response.headers["Location"]))

    new_question = f"/organise/{consultation.id}/questions/new"
    assert (
        client.post(new_question, data=QUESTION_FORM | {"prompt": "Pourquoi ?"}).status_code == 302
    )
    response = client.post(new_question, data=QUESTION_FORM | {"kind": "single", "choices": "Oui"})
    assert response.status_code == 422
    assert "Indiquez au moins deux options différentes" in text(response)
    choice = QUESTION_FORM | {
        "kind": "single",
        "prompt": "Vous êtes\u00a0?",
        "choices": "Adhérent\r\nSalarié\r\n",
    }
    assert client.post(new_question, data=choice).status_code == 302
    words = QUESTION_FORM | {"kind": "words", "prompt": "Trois mots ?", "max_words": "3"}
    assert client.post(new_question, data=words).status_code == 302
    consultation = db.session.get(Consultation, consultation.id)
    assert [(q.kind, q.prompt) for q in consultation.questions] == [
        ("open", "Pourquoi ?"),
        ("single", "Vous êtes\u00a0?"),
        ("words", "Trois mots ?"),
    ]
    assert [c.label for c in consultation.questions[1].choices] == ["Adhérent", "Salarié"]

    response = client.post(f"/organise/{consultation.id}/publish")
    assert response.status_code == 302
    assert db.session.get(Consultation, consultation.id).status == "published"
    response = client.post(new_question, data=QUESTION_FORM)
    assert response.status_code == 422
    assert "tant que la consultation est un brouillon" in text(response)
    assert count(Question) == 3

    response = client.post(f"/organise/{consultation.id}/close")
    assert response.status_code == 302
    assert db.session.get(Consultation, consultation.id).status == "closed"
    response = client.post(f"/organise/{consultation.id}/close")
    assert response.status_code == 303
    response = client.post(f"/organise/{consultation.id}/settings", data=settings_form(w))
    assert response.status_code == 422
    assert "clôturée ne peut plus être modifiée" in text(response)


def test_an_open_consultation_keeps_its_past_opening_when_its_settings_are_saved(
    organiser_client, make_consultation
):
    client, w = organiser_client
    consultation = make_consultation(opens_at=w.now - 3 * DAY)
    form = settings_form(
        w, opens_at=local(consultation.opens_at), closes_at=local(w.now + 60 * DAY)
    )
    response = client.post(f"/organise/{consultation.id}/settings", data=form)
    assert response.status_code == 302
    assert db.session.get(Consultation, consultation.id).closes_at == w.now + 60 * DAY


def test_the_settings_page_shows_paris_time(organiser_client, make_consultation):
    client, w = organiser_client
    consultation = make_consultation()
    page = client.get(f"/organise/{consultation.id}/settings").get_data(as_text=True)
    assert f'value="{local(consultation.opens_at)}"' in page


def test_questions_move_and_are_deleted(organiser_client, make_consultation):
    client, w = organiser_client
    draft = make_consultation(
        status="draft", opens_at=w.now + DAY, questions=[("open", "Un ?"), ("open", "Deux ?")]
    )
    first, second = draft.questions
    assert (
        client.post(f"/organise/questions/{second.id}/move", data={"direction": "up"}).status_code
        == 302
    )
    assert [q.prompt for q in db.session.get(Consultation, draft.id).questions] == [
        "Deux ?",
        "Un ?",
    ]
    assert client.post(f"/organise/questions/{first.id}/delete").status_code == 302
    assert [q.prompt for q in db.session.get(Consultation, draft.id).questions] == ["Deux ?"]


def test_the_organiser_list_counts_contributions(
    organiser_client, make_consultation, make_contribution, make_user
):
    client, _ = organiser_client
    consultation = make_consultation(title="Baromètre")
    make_contribution(consultation.questions[0], make_user())
    page = text(client.get("/organise"))
    assert "Baromètre" in page
    assert re.search(r"Baromètre.*?\b1\b", page, re.S)


def test_a_delegate_only_account_finds_its_contributions(
    client, login, make_user, make_consultation, make_contribution
):
    """Anyone who can answer sees "My contributions", in the menu and on its page."""
    delegate = make_user(roles=("delegate",))
    consultation = make_consultation()
    make_contribution(consultation.questions[0], delegate, "<p>Ma contribution d’élu.</p>")
    login(client, delegate)
    home = text(client.get("/"))
    assert 'href="/my/contributions"' in home
    page = client.get("/my/contributions")
    assert page.status_code == 200 and "Ma contribution d’élu." in text(page)
