"""Panel services: recruitment, quotas, commitment, draw, invitations, replacement, follow-up."""

import json

import pytest
from spreadsheets import import_file, preview

from consult.core import facts
from consult.core.errors import RuleError
from consult.extensions import db
from consult.panels import rules, services
from consult.panels.draw import draw_panels
from consult.panels.facts import SITS_IN_A_PANEL
from consult.panels.imports import VOLUNTEERS
from consult.panels.models import Panel, PanelDraw, PanelProject, PanelSeat, PanelVolunteer
from tests.panels.conftest import VOLUNTEER_COLUMNS

PROFILES = [("woman", "young"), ("man", "old"), ("woman", "old"), ("man", "young")]


def application(project, email="claire@example.org", **changes):
    """A valid public-form application (a young woman)."""
    values = {}
    for feature in project.features:
        values[feature.id] = feature.values[0].id
    data = dict(
        first_name="Claire",
        last_name="Martin",
        email=email,
        birth_year=1985,
        postcode="44000",
        is_member=False,
        values=values,
        consent_contact=True,
        consent_profile=True,
    )
    data.update(changes)
    return services.Application(**data)


def test_public_application_creates_a_pseudonymous_volunteer(make_project, now):
    project = make_project()
    person, created = services.volunteer(project, application(project), now=now)
    assert created and person.key.startswith("V-") and len(person.key) == 8
    assert person.email == "claire@example.org" and person.consent_profile_at == now
    assert {v.value.code for v in person.values} == {"woman", "young"}
    again, created = services.volunteer(
        project, application(project, "CLAIRE@example.org"), now=now
    )
    assert not created and again.id == person.id
    assert db.session.query(PanelVolunteer).count() == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"consent_profile": False}, "consent_profile"),
        ({"email": "not-an-address"}, "email"),
        ({"birth_year": 2020}, "birth_year"),
        ({"postcode": "<b>"}, "postcode"),
        ({"values": {}}, "genre"),
    ],
)
def test_bad_applications_are_refused_with_their_field(make_project, now, changes, field):
    project = make_project()
    with pytest.raises(RuleError) as caught:
        services.volunteer(project, application(project, **changes), now=now)
    assert caught.value.field == field
    assert db.session.query(PanelVolunteer).count() == 0


def test_a_partner_file_is_previewed_imported_and_duplicates_flagged(make_project, organiser, now):
    project = make_project()
    good = (
        "first_name;last_name;email;birth_year;postcode;member;genre;age\n"
        "Anne;Le Gall;anne@example.org;1970;29200;non;Une femme;old\n"
        "Paul;Martin;paul@example.org;1990;44000;oui;man;20-40 ans\n"
        "ANNE;le gall;anne2@example.org;1970;29 200;no;woman;old\n"
    )
    batch = import_file(organiser, VOLUNTEERS, project, good.encode(), now=now)
    assert batch.status == "done" and batch.result["created"] == 3
    people = services.volunteers_of(project)
    assert sorted(p.is_member for p in people) == [False, False, True]
    assert {p.source for p in people} == {"csv"}
    groups = services.duplicates_of(people)
    assert [g.reasons for g in groups] == [("name_year_postcode",)]
    bad = (
        "first_name,last_name,email,birth_year,postcode,member,genre,age\n"
        "Zoé,Roy,anne@example.org,1970,29200,no,woman,old\n"
        "Léo,Roy,leo@example.org,19x0,29200,peut-être,alien,old\n"
    )
    batch = preview(organiser, VOLUNTEERS, project, bad.encode(), now=now)
    # Anne's line changes her name: an update; Léo's line has three problems.
    assert (batch.plan["create"], batch.plan["update"], batch.plan["refused"]) == (0, 1, 1)
    assert [line for line, *_ in batch.plan["refusals"]] == [3, 3, 3]
    assert len(services.volunteers_of(project)) == 3
    # The same good file again changes nothing.
    batch = preview(organiser, VOLUNTEERS, project, good.encode(), now=now)
    assert batch.plan["unchanged"] == 3 and batch.plan["create"] == batch.plan["update"] == 0


def test_a_form_volunteer_keeps_their_own_answers(make_project, organiser, now):
    project = make_project()
    services.volunteer(project, application(project, "anne@example.org"), now=now)
    raw = (
        "Prénom;Nom;Courriel;Année de naissance;Code postal;Adhérent;genre;age\n"
        "Anne;Autre;anne@example.org;1970;01000;non;woman;old\n"
    )
    batch = preview(organiser, VOLUNTEERS, project, raw.encode(), now=now)
    assert batch.mapping == VOLUNTEER_COLUMNS
    assert (
        batch.plan["refused"] == 1
        and "formulaire" in str(batch.plan["refusals"])
        or ("form" in batch.plan["refusals"][0][1])
    )


def test_an_import_needs_consent_features_and_an_open_pool(make_project, organiser, now):
    from consult.panels.imports import check_upload

    project = make_project()
    with pytest.raises(RuleError, match="consentements"):
        check_upload(project, False)
    check_upload(project, True)


def test_members_and_excluded_volunteers_are_not_in_the_pool(
    make_project, add_volunteers, organiser, now
):
    project = make_project()
    people = add_volunteers(project, PROFILES)
    add_volunteers(project, [("woman", "old")], member=True, start=10)
    services.set_excluded(organiser, people[0], True, reason="doublon", now=now)
    pool = services.eligible_pool(project)
    assert sorted(v.key for v in pool) == ["V-00001", "V-00002", "V-00003"]


def test_feasibility_names_the_constraint_and_commit_refuses(
    make_project, add_volunteers, organiser, now
):
    project = make_project(quotas={"woman": (3, 4)})
    add_volunteers(project, PROFILES * 2)  # 4 women for two panels needing 3 each
    (problem,) = services.feasibility(project)
    assert "genre = woman" in str(problem) and "6" in str(problem) and "4" in str(problem)
    with pytest.raises(RuleError):
        services.commit_main_draw(organiser, project, now=now)
    assert project.status == "recruiting" and not project.draws


def test_set_quotas_refuses_min_above_max_and_applies_to_all(make_project, organiser, now):
    project = make_project()
    woman = project.features[0].values[0]
    with pytest.raises(RuleError, match="minimum"):
        services.set_quotas(
            organiser, project.panels[0], {woman.id: (3, 2)}, apply_to_all=False, now=now
        )
    services.set_quotas(
        organiser, project.panels[0], {woman.id: (2, None)}, apply_to_all=True, now=now
    )
    assert [(q.minimum, q.maximum) for p in project.panels for q in p.quotas] == [(2, 4), (2, 4)]


def test_commit_draw_invite_accept_decline_replace(
    make_project, add_volunteers, organiser, now, make_user
):
    project = make_project(quotas={"woman": (2, 2), "old": (1, 3)})
    add_volunteers(project, PROFILES * 5)
    record = services.commit_main_draw(organiser, project, now=now)
    assert project.status == "committed" and len(record.commitment) == 64
    with pytest.raises(RuleError):
        services.add_panel(organiser, project, name="Lyon", size=3, place="", now=now)
    seats = services.perform_draw(organiser, project, " 7 14 21 ", now=now)
    db.session.commit()
    assert project.status == "drawn" and record.seed == "7 14 21"
    assert len(seats) == 8
    # the stored result is what anyone re-running the published inputs finds
    volunteers, specs, method = rules.parse_inputs_document(json.loads(record.inputs))
    rerun = draw_panels(volunteers, specs, "7 14 21", method)
    published = json.loads(record.result)
    assert published["panels"] == {
        s.name: list(k) for s, k in zip(specs, rerun.panels, strict=True)
    }
    for panel in project.panels:
        members = [s.volunteer for s, _ in seats if s.panel_id == panel.id]
        genders = [
            v.value.code for m in members for v in m.values if v.value.code in ("woman", "man")
        ]
        assert genders.count("woman") == 2
    # accept: an account is opened; decline: the seat can be replaced keeping the quotas
    first, token_one = seats[0]
    account_token = services.answer_invitation(first, True, now=now)
    assert account_token and first.volunteer.user.email == first.volunteer.email
    with pytest.raises(RuleError, match="déjà reçu une réponse"):
        services.answer_invitation(first, False, now=now)
    second = next(s for s, _ in seats if s.panel_id == first.panel_id and s is not first)
    services.answer_invitation(second, False, now=now)
    replacement = services.commit_replacement(organiser, project, now=now)
    assert replacement.round == 1
    inputs = json.loads(replacement.inputs)
    assert [p["name"] for p in inputs["panels"]] == [first.panel.name]
    assert inputs["panels"][0]["size"] == 1
    drawn_keys = {s.volunteer.key for s, _ in seats}
    assert not drawn_keys & {key for key, _ in inputs["pool"]}
    new = services.perform_draw(organiser, project, "dice 4 2", now=now)
    assert len(new) == 1 and new[0][0].panel_id == first.panel_id
    assert second.status == "replaced"
    kept = [
        s
        for s in services.seats_of(project)
        if s.panel_id == first.panel_id and s.status != "replaced"
    ]
    genders = [v.value.code for s in kept for v in s.volunteer.values if v.value.code == "woman"]
    assert len(kept) == 4 and len(genders) == 2


def test_draw_needs_a_commitment_and_a_seed(make_project, add_volunteers, organiser, now):
    project = make_project()
    add_volunteers(project, PROFILES * 3)
    with pytest.raises(RuleError, match="Engagez"):
        services.perform_draw(organiser, project, "1", now=now)
    services.commit_main_draw(organiser, project, now=now)
    with pytest.raises(RuleError) as caught:
        services.perform_draw(organiser, project, "   ", now=now)
    assert caught.value.field == "seed"
    assert db.session.query(PanelSeat).count() == 0


def test_altered_inputs_are_refused(make_project, add_volunteers, organiser, now):
    project = make_project()
    add_volunteers(project, PROFILES * 3)
    record = services.commit_main_draw(organiser, project, now=now)
    record.inputs = record.inputs.replace("V-00001", "V-99999")
    with pytest.raises(RuleError, match="engagement"):
        services.perform_draw(organiser, project, "1", now=now)


def test_questionnaire_once_per_panellist_and_results(make_project, add_volunteers, organiser, now):
    project = make_project(panels=(("Nantes", 2),))
    add_volunteers(project, PROFILES)
    services.commit_main_draw(organiser, project, now=now)
    seats = [s for s, _ in services.perform_draw(organiser, project, "x", now=now)]
    for seat in seats:
        services.answer_invitation(seat, True, now=now)
    with pytest.raises(RuleError, match="pas ouvert"):
        services.answer_questionnaire(
            seats[0], satisfaction=5, wants_follow_up=True, words="", now=now
        )
    services.set_questionnaire_open(organiser, project, True, now=now)
    services.answer_questionnaire(
        seats[0], satisfaction=5, wants_follow_up=True, words="écoute, partage", now=now
    )
    services.answer_questionnaire(
        seats[1], satisfaction=4, wants_follow_up=False, words="partage", now=now
    )
    with pytest.raises(RuleError, match="déjà répondu"):
        services.answer_questionnaire(
            seats[0], satisfaction=1, wants_follow_up=False, words="", now=now
        )
    summary = services.questionnaire_results(project)
    assert summary.respondents == 2 and summary.follow_up_percent == 50
    assert summary.satisfaction_mean_tenths == 45 and summary.words[0] == ("partage", 2)


def test_documents_need_an_http_link(make_project, organiser, now):
    project = make_project()
    with pytest.raises(RuleError) as caught:
        services.add_document(
            organiser, project, title="Note", url="javascript:alert(1)", summary="", now=now
        )
    assert caught.value.field == "url"
    document = services.add_document(
        organiser, project, title="Note", url="https://example.org/note.pdf", summary="", now=now
    )
    assert document.id


# --- what the navigation knows about a person ---------------------------------------------------


@pytest.fixture
def drawn_panel(app, now):
    """A panel whose draw is done, and that draw (straight into the database)."""
    project = PanelProject(title="Panel citoyen", status="drawn", created_at=now)
    panel = Panel(name="Nantes", size=12, place="Nantes")
    project.panels.append(panel)
    draw = PanelDraw(round=0, inputs="{}", commitment="0" * 64, committed_at=now, lottery="{}")
    project.draws.append(draw)
    db.session.add(project)
    db.session.commit()
    return panel, draw


@pytest.mark.parametrize(
    ("status", "sits"),
    [
        ("accepted", True),
        ("invited", False),
        ("declined", False),
        ("replaced", False),
        (None, False),
    ],
)
def test_a_person_sits_in_a_panel_once_they_accepted_a_seat(
    drawn_panel, make_seat, make_user, loaded_by_sign_in, status, sits
):
    """The fact the menu reads agrees with the panels page, asked or loaded at sign-in."""
    person = make_user()
    make_seat(*drawn_panel, "accepted")  # someone else's seat says nothing of this person
    if status is not None:
        make_seat(*drawn_panel, status, user=person)
    assert bool(services.seats_of_user(person)) is sits
    assert facts.holds(person, SITS_IN_A_PANEL) is sits  # asked: loaded no other way
    user = loaded_by_sign_in(person)
    assert user.loaded_facts[SITS_IN_A_PANEL] is sits
    assert facts.holds(user, SITS_IN_A_PANEL) is sits


def test_accepting_a_seat_forgets_what_the_sign_in_loaded(
    drawn_panel, make_seat, make_user, loaded_by_sign_in, now
):
    """A page rendered by the request that accepts already shows "My panel"."""
    person = loaded_by_sign_in(make_user())
    seat = make_seat(*drawn_panel, user=person)
    assert facts.holds(person, SITS_IN_A_PANEL) is False
    services.answer_invitation(seat, True, now=now)
    assert facts.holds(person, SITS_IN_A_PANEL) is True
