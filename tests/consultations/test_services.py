"""Consultation services: answering in the window, editing, withdrawing, reacting, organising."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.consultations import services
from consult.consultations.models import (
    Consultation,
    Contribution,
    ContributionRevision,
    Question,
    Reaction,
)
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db

DAY = timedelta(days=1)
CLOSED_MESSAGE = (
    "Cette consultation est clôturée\u00a0: les réponses ne peuvent plus être modifiées."
)


def count(model, *where) -> int:
    """How many rows of a table match."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refused(call, *args, **kwargs) -> RuleError:
    """The refusal a service call raises; nothing it flushed survives."""
    with pytest.raises(RuleError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value


@pytest.fixture
def open_question(make_consultation):
    """The first (open-text) question of an open consultation of members."""
    return make_consultation().questions[0]


@pytest.fixture
def member(make_user):
    """A member with a consented profile: adhérente, 40-60, Occitanie."""
    return make_user(email="claire@example.org")


# --- answering --------------------------------------------------------------------------------


def test_an_answer_is_stored_clean_and_published_with_the_profile(member, open_question, now):
    contribution = services.answer(
        member, open_question, text="La solidarité.\n\nAvant tout.", now=now
    )
    db.session.commit()
    assert contribution.body == "<p>La solidarité.</p><p>Avant tout.</p>"
    assert contribution.state == "published" and contribution.published_at == now
    assert (contribution.created_at, contribution.updated_at) == (now, now)
    assert contribution.consultation_id == open_question.consultation_id
    assert contribution.attribution == "Adhérente, 40-60 ans, Occitanie"


def test_first_answers_are_stored_one_after_another_on_one_connection(
    make_user, open_question, now
):
    """Past psycopg's threshold (5) the INSERT ... ON CONFLICT is prepared, and past five more
    PostgreSQL plans it without its parameters: its conflict target must still name the
    one-answer index (a parameter in the index's predicate did not)."""
    for number in range(14):
        services.answer(make_user(), open_question, text=f"Avis {number}", now=now)
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Contribution)) == 14


def test_editing_keeps_the_earlier_text_nothing_is_lost(member, open_question, now):
    first = services.answer(member, open_question, text="Première idée", now=now)
    later = now + timedelta(hours=1)
    second = services.answer(member, open_question, text="Idée mûrie", now=later)
    db.session.commit()
    assert second.id == first.id
    assert count(Contribution) == 1
    assert second.body == "<p>Idée mûrie</p>"
    assert (second.created_at, second.updated_at) == (now, later)
    assert [(r.body, r.replaced_at, r.reason) for r in second.revisions] == [
        ("<p>Première idée</p>", later, "edit")
    ]


def test_saving_the_same_answer_again_changes_nothing(member, open_question, now):
    services.answer(member, open_question, text="Même idée", now=now)
    again = services.answer(member, open_question, text="  Même idée ", now=now + DAY)
    assert again.updated_at == now
    assert count(ContributionRevision) == 0


def test_withdrawing_keeps_the_text_and_answering_again_restores_it(member, open_question, now):
    contribution = services.answer(member, open_question, text="Une idée", now=now)
    services.withdraw(member, contribution, now=now + DAY)
    assert contribution.withdrawn_at == now + DAY
    assert contribution.body == "<p>Une idée</p>"
    assert services.my_contributions(member) == []
    services.answer(member, open_question, text="Une idée", now=now + 2 * DAY)
    assert contribution.withdrawn_at is None
    assert services.my_contributions(member) == [contribution]
    assert [r.body for r in contribution.revisions] == ["<p>Une idée</p>"]


def test_withdrawing_twice_keeps_the_first_moment(member, open_question, now):
    contribution = services.answer(member, open_question, text="Une idée", now=now)
    services.withdraw(member, contribution, now=now + DAY)
    services.withdraw(member, contribution, now=now + 2 * DAY)
    assert contribution.withdrawn_at == now + DAY


def test_nobody_withdraws_someone_elses_answer(member, make_user, open_question, now):
    other = make_user()
    contribution = services.answer(member, open_question, text="Une idée", now=now)
    db.session.commit()
    error = refused(services.withdraw, other, contribution, now=now)
    assert "vos propres réponses" in str(error.message)
    assert db.session.get(Contribution, contribution.id).withdrawn_at is None


@pytest.mark.parametrize(
    ("shift", "status", "message"),
    [
        (-DAY, "published", "Cette consultation n’est pas encore ouverte."),
        (timedelta(days=7), "published", CLOSED_MESSAGE),
        (DAY, "closed", CLOSED_MESSAGE),
        (DAY, "draft", CLOSED_MESSAGE),
    ],
)
def test_answering_outside_the_window_is_refused(
    member, make_consultation, now, shift, status, message
):
    question = make_consultation(opens_at=now, closes_at=now + timedelta(days=7), status=status)
    question = question.questions[0]
    assert (
        str(refused(services.answer, member, question, text="Trop tard", now=now + shift).message)
        == message
    )
    assert count(Contribution) == 0


def test_the_window_is_open_from_its_opening_until_just_before_its_close(
    member, make_consultation, now
):
    consultation = make_consultation(opens_at=now + DAY, closes_at=now + 2 * DAY)
    question = consultation.questions[0]
    services.answer(member, question, text="Dès l'ouverture", now=now + DAY)
    services.answer(
        member, question, text="Au dernier moment", now=now + 2 * DAY - timedelta(seconds=1)
    )
    refused(services.answer, member, question, text="Trop tard", now=now + 2 * DAY)


def test_edit_and_withdraw_are_refused_after_the_close(member, open_question, now):
    contribution = services.answer(member, open_question, text="Mon idée", now=now)
    db.session.commit()
    after = open_question.consultation.closes_at
    assert (
        str(refused(services.answer, member, open_question, text="Changée", now=after).message)
        == CLOSED_MESSAGE
    )
    assert (
        str(refused(services.withdraw, member, contribution, now=after).message) == CLOSED_MESSAGE
    )
    assert contribution.body == "<p>Mon idée</p>" and contribution.withdrawn_at is None


def test_closing_early_stops_answers_at_once(member, make_user, open_question, now):
    organiser = make_user(roles=("organiser",))
    services.close(organiser, open_question.consultation, now=now)
    assert (
        str(refused(services.answer, member, open_question, text="Idée", now=now).message)
        == CLOSED_MESSAGE
    )


def test_another_population_cannot_answer(make_user, open_question, now):
    employee = make_user(population="employee")
    nobody = make_user(population=None)
    for person in (employee, nobody):
        error = refused(services.answer, person, open_question, text="Idée", now=now)
        assert str(error.message) == "Cette consultation n’est pas ouverte à votre population."
    assert count(Contribution) == 0


def test_a_profile_must_be_consented_before_answering(make_user, open_question, now):
    person = make_user(consented=False)
    error = refused(services.answer, person, open_question, text="Idée", now=now)
    assert "Complétez votre profil" in str(error.message)


@pytest.mark.parametrize(
    ("text", "why"), [("", "vide"), ("<p></p>", "vide"), ("a" * 1_000_000, "1000000")]
)
def test_bad_open_answers_are_refused_and_nothing_is_stored(member, open_question, now, text, why):
    error = refused(services.answer, member, open_question, text=text, now=now)
    assert why in str(error.message) and error.field == "answer"
    assert count(Contribution) == 0


def test_a_refused_edit_keeps_the_answer_as_it_was(member, open_question, now):
    contribution = services.answer(member, open_question, text="Mon idée", now=now)
    db.session.commit()
    refused(services.answer, member, open_question, text="   ", now=now + DAY)
    assert db.session.get(Contribution, contribution.id).body == "<p>Mon idée</p>"
    assert count(ContributionRevision) == 0


def test_the_profile_snapshot_stays_as_it_was_when_written(
    member, open_question, reference_data, now
):
    from consult.accounts.services import save_profile

    populations, regions = reference_data
    contribution = services.answer(member, open_question, text="Mon idée", now=now)
    db.session.commit()
    member.population = populations["employee"]  # an administrator's change of population
    save_profile(
        member,
        gender_form="m",
        age_band="60-80",
        region=regions["Bretagne"],
        consent=True,
        now=now,
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Contribution, contribution.id)
    assert (stored.population.code, stored.gender_form, stored.age_band, stored.region.name) == (
        "member",
        "f",
        "40-60",
        "Occitanie",
    )
    assert stored.attribution == "Adhérente, 40-60 ans, Occitanie"


def test_a_few_words_answer(member, make_consultation, now):
    question = make_consultation(questions=[("words", "Trois mots ?")]).questions[0]
    contribution = services.answer(member, question, text="solidarité ; proximité", now=now)
    assert contribution.body == "solidarité, proximité"
    error = refused(services.answer, member, question, text="un deux trois quatre", now=now)
    assert "au plus 3 mots" in str(error.message)


def test_choice_answers_store_the_chosen_options(member, make_consultation, now):
    consultation = make_consultation(
        questions=[
            ("single", "Vous êtes ?", ["Adhérent", "Salarié"]),
            ("multiple", "Vos attentes ?", ["Prix", "Écoute", "Services"]),
        ]
    )
    single, multiple = consultation.questions
    first = services.answer(member, single, choice_ids=[single.choices[1].id], now=now)
    assert first.body == "" and [c.label for c in first.choices] == ["Salarié"]
    chosen = [multiple.choices[2].id, multiple.choices[0].id]
    second = services.answer(member, multiple, choice_ids=chosen, now=now)
    assert sorted(c.label for c in second.choices) == ["Prix", "Services"]
    services.answer(member, single, choice_ids=[single.choices[0].id], now=now + DAY)
    assert [c.label for c in first.choices] == ["Adhérent"]
    error = refused(services.answer, member, single, choice_ids=[multiple.choices[0].id], now=now)
    assert "parmi les réponses proposées" in str(error.message)


def test_own_answers_and_my_contributions(member, make_consultation, now):
    consultation = make_consultation(questions=[("open", "Un ?"), ("open", "Deux ?")])
    one, two = consultation.questions
    first = services.answer(member, one, text="Un", now=now)
    second = services.answer(member, two, text="Deux", now=now + timedelta(minutes=1))
    assert services.own_answers(member, consultation) == {one.id: first, two.id: second}
    assert services.my_contributions(member) == [second, first]


# --- reading and reacting ---------------------------------------------------------------------


def test_published_lists_only_published_contributions_not_withdrawn(
    make_user, open_question, make_contribution, now
):
    reader = make_user()
    shown = make_contribution(open_question, make_user(), when=now - DAY)
    newest = make_contribution(open_question, make_user(), when=now)
    make_contribution(open_question, make_user(), state="pending")
    make_contribution(open_question, make_user(), state="rejected")
    make_contribution(open_question, make_user(), state="hidden")
    withdrawn = make_contribution(open_question, make_user())
    withdrawn.withdrawn_at = now
    db.session.commit()
    items, total = services.published(open_question, reader, page=1)
    assert total == 2
    assert [i.contribution for i in items] == [newest, shown]
    assert all((i.agree, i.disagree, i.mine) == (0, 0, None) for i in items)


def test_published_pages(make_user, open_question, make_contribution, now):
    reader = make_user()
    made = [
        make_contribution(open_question, make_user(), when=now - timedelta(minutes=i))
        for i in range(5)
    ]
    page1, total = services.published(open_question, reader, page=1, per_page=2)
    page3, _ = services.published(open_question, reader, page=3, per_page=2)
    assert total == 5
    assert [i.contribution for i in page1] == made[:2]
    assert [i.contribution for i in page3] == made[4:]


def test_one_reaction_per_person_changeable(make_user, open_question, make_contribution, now):
    contribution = make_contribution(open_question, make_user())
    reader, other = make_user(), make_user()
    assert services.react(reader, contribution, 1, now=now) == 1
    assert services.react(other, contribution, 1, now=now) == 1
    assert services.react(reader, contribution, -1, now=now + DAY) == -1
    db.session.commit()
    assert count(Reaction) == 2
    (item,), _ = services.published(open_question, reader, page=1)
    assert (item.agree, item.disagree, item.mine) == (1, 1, -1)
    assert services.react(reader, contribution, -1, now=now + DAY) is None
    db.session.commit()
    (item,), _ = services.published(open_question, reader, page=1)
    assert (item.agree, item.disagree, item.mine) == (1, 0, None)
    assert count(Reaction) == 1


def test_reactions_refused_on_own_unpublished_or_foreign_contributions(
    make_user, open_question, make_contribution, now
):
    author = make_user()
    contribution = make_contribution(open_question, author)
    assert "propre contribution" in str(
        refused(services.react, author, contribution, 1, now=now).message
    )
    employee = make_user(population="employee")
    assert "pas ouverte à votre population" in str(
        refused(services.react, employee, contribution, 1, now=now).message
    )
    pending = make_contribution(open_question, make_user(), state="pending")
    assert "pas publiée" in str(refused(services.react, make_user(), pending, 1, now=now).message)
    assert (
        str(refused(services.react, make_user(), contribution, 0, now=now).message)
        == "Réaction inconnue."
    )
    assert count(Reaction) == 0


def test_visibility_of_consultations(make_user, make_consultation, now):
    member = make_user()
    employee = make_user(population="employee")
    organiser = make_user(roles=("organiser",), population=None)
    draft = make_consultation(title="Brouillon", status="draft")
    members_only = make_consultation(title="Adhérents", opens_at=now - 2 * DAY)
    later = make_consultation(
        title="Plus tard", opens_at=now + DAY, populations_invited=("member", "employee")
    )
    assert services.consultations_for(member, now=now) == [
        (later, "scheduled"),
        (members_only, "open"),
    ]
    assert services.consultations_for(employee, now=now) == [(later, "scheduled")]
    assert {c for c, _ in services.consultations_for(organiser, now=now)} == {later, members_only}
    assert services.get_consultation(draft.id, member, now=now) is None
    assert services.get_consultation(members_only.id, employee, now=now) is None
    assert services.get_consultation(draft.id, organiser, now=now) == draft
    assert services.get_consultation(999_999, organiser, now=now) is None


# --- organising -------------------------------------------------------------------------------


@pytest.fixture
def organiser(make_user):
    """An organiser (an employee)."""
    return make_user(roles=("organiser",), population="employee")


@pytest.fixture
def population_ids(reference_data):
    """Population ids by code."""
    populations, _ = reference_data
    return {code: p.id for code, p in populations.items()}


def settings(population_ids, now, **changes):
    """Valid settings for save_consultation, with some changed."""
    values = {
        "title": "Notre raison d'être",
        "introduction": "<p>Bienvenue</p><script>x()</script>",
        "opens_at": now + DAY,
        "closes_at": now + 30 * DAY,
        "eligible": {population_ids["member"]: 120_000, population_ids["employee"]: 900},
        "now": now,
    }
    return values | changes


def test_save_consultation_creates_a_draft(organiser, population_ids, now):
    consultation = services.save_consultation(organiser, None, **settings(population_ids, now))
    db.session.commit()
    assert consultation.status == "draft" and consultation.created_by_id == organiser.id
    assert consultation.introduction == "<p>Bienvenue</p>x()"
    assert {p.population.code: p.eligible_count for p in consultation.populations} == {
        "member": 120_000,
        "employee": 900,
    }
    assert count(AuditEvent, AuditEvent.action == "consultations.save") == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "   "}, "title", "Donnez un titre à la consultation."),
        ({"title": "x" * 201}, "title", "Le titre est trop long."),
        ({"eligible": {}}, "populations", "Invitez au moins une population."),
        ({"opens_at": None}, "opens_at", "Indiquez la date et l’heure d’ouverture."),
        ({"closes_at": None}, "closes_at", "Indiquez la date et l’heure de clôture."),
        ({"opens_at": "PAST"}, "opens_at", "La date et l’heure d’ouverture sont dans le passé."),
        (
            {"closes_at": "BEFORE"},
            "closes_at",
            "La consultation doit se clôturer après son ouverture.",
        ),
    ],
)
def test_save_consultation_refuses_bad_settings_and_creates_nothing(
    organiser, population_ids, now, changes, field, message
):
    if changes.get("opens_at") == "PAST":
        changes["opens_at"] = now - timedelta(hours=1)
    if changes.get("closes_at") == "BEFORE":
        changes["closes_at"] = now + timedelta(hours=1)
    error = refused(
        services.save_consultation, organiser, None, **settings(population_ids, now, **changes)
    )
    assert (error.field, str(error.message)) == (field, message)
    assert count(Consultation) == 0


def test_save_consultation_refuses_a_negative_head_count(organiser, population_ids, now):
    eligible = {population_ids["member"]: -1}
    error = refused(
        services.save_consultation,
        organiser,
        None,
        **settings(population_ids, now, eligible=eligible),
    )
    assert error.field == "populations"


def test_an_open_consultation_keeps_its_past_opening_when_edited(
    organiser, make_consultation, population_ids, now
):
    consultation = make_consultation()
    services.save_consultation(
        organiser,
        consultation,
        **settings(population_ids, now, opens_at=consultation.opens_at, closes_at=now + 60 * DAY),
    )
    db.session.commit()
    assert consultation.closes_at == now + 60 * DAY
    assert [p.population_id for p in consultation.populations] == [
        population_ids["member"],
        population_ids["employee"],
    ]


def test_a_draft_cannot_be_moved_to_a_past_opening(
    organiser, make_consultation, population_ids, now
):
    draft = make_consultation(status="draft", opens_at=now + DAY)
    error = refused(
        services.save_consultation,
        organiser,
        draft,
        **settings(population_ids, now, opens_at=now - DAY),
    )
    assert error.field == "opens_at"


def test_a_closed_consultation_cannot_be_changed(organiser, make_consultation, population_ids, now):
    closed = make_consultation(status="closed")
    error = refused(
        services.save_consultation,
        organiser,
        closed,
        **settings(population_ids, now, opens_at=closed.opens_at, title="Nouveau titre"),
    )
    assert "clôturée ne peut plus" in str(error.message)
    assert db.session.get(Consultation, closed.id).title == "Notre raison d'être"


def test_publish_and_close_lifecycle(organiser, population_ids, now):
    consultation = services.save_consultation(organiser, None, **settings(population_ids, now))
    assert "au moins une question" in str(
        refused(services.publish, organiser, consultation, now=now).message
    )
    consultation = services.save_consultation(organiser, None, **settings(population_ids, now))
    assert "Seule une consultation publiée" in str(
        refused(services.close, organiser, consultation, now=now).message
    )
    consultation = services.save_consultation(organiser, None, **settings(population_ids, now))
    services.save_question(
        organiser,
        consultation,
        None,
        kind="open",
        prompt="Pourquoi ?",
        help_text="",
        theme_id=None,
        max_words=3,
        choices=[],
        now=now,
    )
    services.publish(organiser, consultation, now=now)
    db.session.commit()
    assert consultation.status == "published"
    assert services.phase_of(consultation, now) == "scheduled"
    assert services.phase_of(consultation, now + DAY) == "open"
    assert "Seul un brouillon" in str(
        refused(services.publish, organiser, consultation, now=now).message
    )
    consultation = db.session.get(Consultation, consultation.id)
    services.close(organiser, consultation, now=now + 2 * DAY)
    assert (consultation.status, consultation.closed_at) == ("closed", now + 2 * DAY)
    assert services.phase_of(consultation, now + DAY) == "closed"
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["consultations.publish", "consultations.close"]


def test_a_consultation_whose_close_is_past_cannot_be_published(organiser, make_consultation, now):
    draft = make_consultation(status="draft", opens_at=now - 10 * DAY, closes_at=now - DAY)
    assert "déjà passée" in str(refused(services.publish, organiser, draft, now=now).message)


def question_values(**changes):
    """Valid values for save_question, with some changed."""
    values = {
        "kind": "open",
        "prompt": "Pourquoi ?",
        "help_text": "",
        "theme_id": None,
        "max_words": 3,
        "choices": [],
    }
    return values | changes


def test_questions_are_editable_only_in_draft(organiser, make_consultation, now):
    for status in ("published", "closed"):
        consultation = make_consultation(status=status)
        question = consultation.questions[0]
        for call, args in [
            (services.save_question, (organiser, consultation, None)),
            (services.save_question, (organiser, consultation, question)),
        ]:
            error = refused(call, *args, now=now, **question_values())
            assert "tant que la consultation est un brouillon" in str(error.message)
        refused(services.move_question, organiser, question, 1, now=now)
        refused(services.delete_question, organiser, question, now=now)
        refused(
            services.save_theme,
            organiser,
            consultation,
            None,
            title="Thème",
            description="",
            now=now,
        )
        assert count(Question, Question.consultation_id == consultation.id) == 1


def test_choice_questions_need_two_different_options(organiser, make_consultation, now):
    draft = make_consultation(status="draft")
    for choices in ([], ["Oui"], ["Oui", " Oui ", "", "   "]):
        error = refused(
            services.save_question,
            organiser,
            draft,
            None,
            now=now,
            **question_values(kind="single", choices=choices),
        )
        assert error.field == "choices"
    draft = db.session.get(Consultation, draft.id)
    question = services.save_question(
        organiser,
        draft,
        None,
        now=now,
        **question_values(kind="multiple", choices=["Oui", "Non", "Oui"]),
    )
    assert [c.label for c in question.choices] == ["Oui", "Non"]
    assert question.position == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"prompt": "  "}, "prompt"),
        ({"kind": "essay"}, "kind"),
        ({"kind": "words", "max_words": 0}, "max_words"),
        ({"kind": "words", "max_words": 11}, "max_words"),
        ({"theme_id": 999_999}, "theme_id"),
    ],
)
def test_save_question_refuses_bad_values(organiser, make_consultation, now, changes, field):
    draft = make_consultation(status="draft")
    error = refused(
        services.save_question, organiser, draft, None, now=now, **question_values(**changes)
    )
    assert error.field == field


def test_themes_group_questions_and_questions_move_and_delete(organiser, make_consultation, now):
    draft = make_consultation(
        status="draft", questions=[("open", "Un ?"), ("open", "Deux ?"), ("open", "Trois ?")]
    )
    theme = services.save_theme(
        organiser, draft, None, title=" Raison d'être ", description="", now=now
    )
    one, two, three = draft.questions
    services.save_question(
        organiser, draft, two, now=now, **question_values(prompt="Deux bis ?", theme_id=theme.id)
    )
    assert (two.prompt, two.theme.title) == ("Deux bis ?", "Raison d'être")
    services.move_question(organiser, three, -1, now=now)
    services.move_question(organiser, one, -1, now=now)  # already first: stays
    db.session.commit()
    draft = db.session.get(Consultation, draft.id)
    assert [q.prompt for q in draft.questions] == ["Un ?", "Trois ?", "Deux bis ?"]
    services.delete_question(organiser, draft.questions[1], now=now)
    db.session.commit()
    draft = db.session.get(Consultation, draft.id)
    assert [(q.prompt, q.position) for q in draft.questions] == [("Un ?", 0), ("Deux bis ?", 1)]
