"""Mission services: objectives frozen as voted, the value workflow with its versions and audit
log, computed values with provenance, proofs, the committee's opinion."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from consult.core import facts
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db
from consult.mission import committee, computed, proofs, rules, values
from consult.mission import indicators as building
from consult.mission.facts import OWNS_AN_INDICATOR
from consult.mission.models import Objective

END_2024 = date(2024, 12, 31)


def test_an_objective_freezes_the_text_as_voted(adopted, officer, now):
    resolution = adopted.resolutions[0]
    assert resolution in building.adoptable_resolutions()
    objective = building.create_objective(officer, resolution.id, title="", now=now)
    assert objective.title == "Objectif 1"
    assert objective.statement == resolution.body
    assert objective.statement_sha256 == building.statement_hash(resolution.body)
    assert objective.adopted_on == adopted.held_on
    # the resolution is taken: a second objective cannot follow it
    assert resolution not in building.adoptable_resolutions()
    with pytest.raises(RuleError):
        building.create_objective(officer, resolution.id, title="", now=now)


def test_only_an_adopted_resolution_of_a_closed_assembly_can_be_followed(officer, now, make_user):
    from consult.assembly import services as assembly_services

    open_one = assembly_services.create_assembly(
        officer,
        title="AG ouverte",
        held_on=date(2026, 6, 1),
        convocation=1,
        proxy_cap=1,
        allow_vote_change=True,
        now=now,
    )
    draft = assembly_services.add_resolution(
        officer,
        open_one,
        title="Objectif",
        body="x",
        category="statutory",
        kind="motion",
        wordings=[],
        now=now,
    )
    with pytest.raises(RuleError):
        building.create_objective(officer, draft.id, title="", now=now)
    assert db.session.scalar(select(Objective.id)) is None


def _entered(indicator, actor, now, figure="81.8", as_of=END_2024):
    return values.save_value(actor, indicator, None, now=now, as_of=as_of, figure=Decimal(figure))


def test_the_value_workflow_freezes_a_validated_value(make_indicator, officer, member, now):
    indicator = make_indicator()
    value = _entered(indicator, officer, now)
    values.transition(officer, value, "submit", now=now)
    with pytest.raises(RuleError):  # submitted: waiting, no longer editable
        values.save_value(officer, indicator, value, now=now, as_of=END_2024, figure=Decimal(1))
    with pytest.raises(RuleError):  # the officer is not the committee
        values.transition(officer, value, "validate", now=now)
    values.transition(member, value, "validate", now=now)
    assert value.state == "validated" and value.validated_by_id == member.id
    with pytest.raises(RuleError):
        values.save_value(officer, indicator, value, now=now, as_of=END_2024, figure=Decimal(1))
    with pytest.raises(RuleError):  # the audit needs the report's reference
        values.transition(officer, value, "audit", now=now)
    values.transition(officer, value, "audit", now=now, reference="Rapport OTI 2025")
    assert value.state == "audited"


def test_a_returned_value_needs_a_reason_and_goes_back_to_draft(
    make_indicator, officer, member, now
):
    value = _entered(make_indicator(), officer, now)
    values.transition(officer, value, "submit", now=now)
    with pytest.raises(RuleError):
        values.transition(member, value, "return", now=now)
    values.transition(member, value, "return", now=now, reason="Source manquante")
    assert value.state == "draft"


def test_a_correction_is_a_new_version_with_its_reason_in_the_audit_log(
    make_indicator, officer, member, now
):
    indicator = make_indicator()
    first = _entered(indicator, officer, now)
    values.transition(officer, first, "submit", now=now)
    values.transition(member, first, "validate", now=now)
    correction = values.correct(officer, first, now=now, reason="Prestations de décembre")
    assert (correction.version, correction.state, correction.corrects_id) == (2, "draft", first.id)
    values.save_value(
        officer, indicator, correction, now=now, as_of=END_2024, figure=Decimal("81.9")
    )
    # until the correction is validated, the dashboard keeps the first version
    assert rules.in_force(indicator.values, END_2024) is first
    values.transition(officer, correction, "submit", now=now)
    values.transition(member, correction, "validate", now=now)
    assert first.superseded_at == now and first.value == Decimal("81.8")
    assert rules.in_force(indicator.values, END_2024) is correction
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "mission.value_correct")
    )
    assert event.reason == "Prestations de décembre"
    assert event.before["value"] == "81.8" and event.after["version"] == 2
    with pytest.raises(RuleError):  # the superseded version cannot be corrected again
        values.correct(officer, first, now=now, reason="encore")


def test_an_owner_enters_values_of_their_indicator_only(make_indicator, owner, now):
    mine = make_indicator(owner_user_id=owner.id)
    theirs = make_indicator(title="Autre")
    _entered(mine, owner, now)
    with pytest.raises(RuleError):
        _entered(theirs, owner, now)


def test_two_values_at_the_same_date_are_refused(make_indicator, officer, now):
    indicator = make_indicator()
    _entered(indicator, officer, now)
    with pytest.raises(RuleError):
        _entered(indicator, officer, now)


def test_assembly_attendance_is_computed_from_the_roll_with_its_provenance(
    adopted, make_indicator, officer, now
):
    indicator = make_indicator(
        title="Présence à l'AG",
        computed="assembly_attendance",
        computed_params={"assembly_id": adopted.id},
    )
    value = computed.recompute(officer, indicator, as_of=date(2025, 12, 31), now=now)
    # 3 of 4 delegates voted (remotely: no presence was marked): 75 %
    assert value.value == Decimal("75.0")
    assert value.provenance["in_office"] == 4 and value.provenance["remote"] == 3
    assert value.provenance["assembly"]["id"] == adopted.id
    assert computed.still_matches(value) is True
    # computing again changes nothing while it is the same
    again = computed.recompute(officer, indicator, as_of=date(2025, 12, 31), now=now)
    assert again.id == value.id and again.version == 1


def test_the_composite_index_reads_the_settled_component_values(
    make_indicator, officer, member, now
):
    attendance = make_indicator(title="AG", target_value=None, target_year=None)
    registered = make_indicator(title="Élus", kind="count", target_value=None, target_year=None)
    index = make_indicator(
        title="Indice",
        kind="composite",
        target_value=None,
        target_year=None,
        computed="composite",
        computed_params={
            "components": [
                {"indicator_id": attendance.id, "reference": "90", "weight": 1},
                {"indicator_id": registered.id, "reference": "1500", "weight": 1},
            ]
        },
    )
    with pytest.raises(RuleError):  # no validated component value yet
        computed.recompute(officer, index, as_of=END_2024, now=now)
    for indicator, figure in ((attendance, "80"), (registered, "950")):
        value = _entered(indicator, officer, now, figure)
        values.transition(officer, value, "submit", now=now)
        values.transition(member, value, "validate", now=now)
    value = computed.recompute(officer, index, as_of=END_2024, now=now)
    # (80/90 + 950/1500) / 2 = (0.8889 + 0.6333) / 2 → 76.1
    assert value.value == Decimal("76.1")
    assert [c["value"] for c in value.provenance["components"]] == ["80", "950"]


def test_a_changed_source_makes_the_recomputation_a_correction(
    adopted, make_indicator, officer, member, now
):
    indicator = make_indicator(
        title="Présence",
        computed="assembly_attendance",
        computed_params={"assembly_id": adopted.id},
    )
    value = computed.recompute(officer, indicator, as_of=END_2024, now=now)
    values.transition(officer, value, "submit", now=now)
    values.transition(member, value, "validate", now=now)
    value.value = Decimal("70")  # as if the roll had changed since
    db.session.flush()
    assert computed.still_matches(value) is False
    correction = computed.recompute(officer, indicator, as_of=END_2024, now=now)
    assert correction.version == 2 and correction.value == Decimal("75.0")
    assert correction.correction_reason


def test_a_proof_is_linked_decided_and_made_public(
    make_proof, make_indicator, officer, member, now
):
    indicator = make_indicator()
    proof = make_proof(links=[f"i:{indicator.id}"])
    with pytest.raises(RuleError):
        proofs.decide(officer, proof, now=now, status="retained", public=True)
    with pytest.raises(RuleError):
        proofs.decide(member, proof, now=now, status="rejected", public=False)
    proofs.decide(member, proof, now=now, status="retained", public=True)
    objective_id = indicator.engagement.objective_id
    found, total = proofs.listing(public_only=True, objective_id=objective_id, year=2025)
    assert total == 1 and found == [proof]
    assert proofs.listing(public_only=True, department="Autre")[1] == 0
    with pytest.raises(RuleError):
        make_proof(title="Sans lien", happened_on=date(2025, 1, 1), department="X", links=[])


def test_the_opinion_is_written_in_versions_and_published_once(member, officer, now):
    with pytest.raises(RuleError):
        committee.write_opinion(officer, None, now=now, year=2025, title="Avis", body="x")
    opinion = committee.write_opinion(member, None, now=now, year=2025, title="Avis", body="v1")
    committee.write_opinion(member, opinion, now=now, year=2025, title="Avis", body="v2")
    assert [v.number for v in opinion.versions] == [1, 2]
    committee.publish_opinion(member, opinion, now=now)
    assert committee.published_text(opinion).body == "v2"
    with pytest.raises(RuleError):
        committee.write_opinion(member, opinion, now=now, year=2025, title="Avis", body="v3")
    with pytest.raises(RuleError):
        committee.write_opinion(member, None, now=now, year=2025, title="Bis", body="x")


def test_the_database_refuses_two_versions_being_written_at_one_date(make_indicator, now):
    """The partial unique index behind `_flush_guarded`: a race cannot leave two open drafts."""
    from sqlalchemy.exc import IntegrityError

    from consult.mission.models import IndicatorValue

    indicator = make_indicator()
    for version in (1, 2):
        db.session.add(
            IndicatorValue(
                indicator_id=indicator.id,
                as_of=END_2024,
                version=version,
                state="draft",
                value=Decimal(1),
                created_at=now,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_concurrent_second_draft_is_a_clear_refusal(make_indicator, officer, now, monkeypatch):
    """When the check in Python is passed by a race, the index answers and the person is told."""
    indicator = make_indicator()
    values.save_value(officer, indicator, None, now=now, as_of=END_2024, figure=Decimal(1))
    db.session.commit()
    # the second request did not see the first one's draft yet
    monkeypatch.setattr(type(indicator), "values", property(lambda self: []))
    with pytest.raises(RuleError) as refused:
        values.save_value(officer, indicator, None, now=now, as_of=END_2024, figure=Decimal(2))
    assert "rechargez la page" in str(refused.value.message) or "reload" in str(
        refused.value.message
    )


def test_owning_an_indicator_is_the_fact_of_its_owner_only(
    make_indicator, owner, officer, loaded_by_sign_in
):
    """The fact the menu reads ("My indicators"), asked or loaded at sign-in."""
    make_indicator(owner_user_id=owner.id)
    make_indicator(title="Sans titulaire")
    for person, owns in ((owner, True), (officer, False)):
        assert facts.holds(person, OWNS_AN_INDICATOR) is owns  # asked: loaded no other way
        user = loaded_by_sign_in(person)
        assert user.loaded_facts[OWNS_AN_INDICATOR] is owns
        assert facts.holds(user, OWNS_AN_INDICATOR) is owns


def test_changing_an_indicators_owner_forgets_what_the_sign_in_loaded(
    make_indicator, owner, officer, loaded_by_sign_in, now
):
    """A page rendered by the request that changes the owner shows both people's menus right."""
    indicator = make_indicator(owner_user_id=officer.id)
    before, after = loaded_by_sign_in(officer), loaded_by_sign_in(owner)
    assert facts.holds(before, OWNS_AN_INDICATOR) and not facts.holds(after, OWNS_AN_INDICATOR)
    building.save_indicator(
        officer,
        indicator.engagement,
        indicator,
        now=now,
        title=indicator.title,
        kind=indicator.kind,
        direction=indicator.direction,
        target_value=indicator.target_value,
        target_year=indicator.target_year,
        owner_user_id=owner.id,
    )
    assert not facts.holds(before, OWNS_AN_INDICATOR) and facts.holds(after, OWNS_AN_INDICATOR)
