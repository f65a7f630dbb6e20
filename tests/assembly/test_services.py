"""Assembly services on the database: roll, freeze, proxies, secret ballots, tally, audit chain."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from consult.accounts.services import find_user_by_email
from consult.assembly import rules, services
from consult.assembly.imports import RollErrors
from consult.assembly.models import AssemblyLogEntry, Ballot, Delegate, Participation, Proxy
from consult.core.errors import RuleError
from consult.core.models import AuditEvent
from consult.extensions import db


@pytest.fixture(autouse=True)
def _request_context(app):
    """Refusals carry translated messages, which need a request (as in the views): English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def delegate(assembly, n):
    """The n-th delegate of the roll."""
    return services.find_delegate(assembly, f"D{n:03d}")


def count(model, *where):
    """Rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --------------------------------------------------------------------------- roll and agenda


def test_roll_import_creates_delegate_accounts_with_weights(make_assembly):
    assembly = make_assembly(delegates=3, weights=[1, 2, 5])
    assert [(d.identifier, d.weight) for d in assembly.delegates] == [
        ("D001", 1),
        ("D002", 2),
        ("D003", 5),
    ]
    user = find_user_by_email("delegate2@example.org")
    assert "delegate" in user.role_names
    assert delegate(assembly, 2).user_id == user.id


def test_roll_import_reports_every_problem_and_changes_nothing(make_assembly, officer, now):
    assembly = make_assembly(delegates=2)
    bad = (
        b"identifier;name;email;section\nX1;A;a@example.org;S\nX1;B;b@example.org;S\nX3;C;nope;S\n"
    )
    with pytest.raises(RollErrors) as caught:
        services.import_roll(officer, assembly, bad, now=now)
    assert [line for line, _ in caught.value.refused] == [3, 4]
    db.session.rollback()
    assert count(Delegate, Delegate.assembly_id == assembly.id) == 2
    with pytest.raises(RuleError, match="CSV"):
        services.import_roll(officer, assembly, b"\x89PNG\r\n\x1a\n\x00\x00", now=now)


def test_reimport_replaces_the_roll_and_reuses_accounts(make_assembly, make_roll, officer, now):
    assembly = make_assembly(delegates=3)
    services.import_roll(officer, assembly, make_roll(2), now=now)
    db.session.commit()
    assert count(Delegate, Delegate.assembly_id == assembly.id) == 2
    assert find_user_by_email("delegate1@example.org") is not None


def test_wordings_resolution_needs_two_wordings(make_assembly, officer, now):
    assembly = make_assembly()
    with pytest.raises(RuleError):
        services.add_resolution(
            officer,
            assembly,
            title="T",
            body="B",
            category="statutory",
            kind="wordings",
            wordings=["only one"],
            now=now,
        )
    with pytest.raises(RuleError):
        services.add_resolution(
            officer,
            assembly,
            title="",
            body="B",
            category="statutory",
            kind="motion",
            wordings=[],
            now=now,
        )


def test_first_opening_freezes_roll_and_texts(make_assembly, make_roll, officer, now):
    assembly = make_assembly(
        resolutions=(("Raison d'être", "statutory"), ("Objectif 1", "statutory"))
    )
    first, second = assembly.resolutions
    services.open_resolution(officer, first, now=now)
    db.session.commit()
    assert assembly.frozen_at == now
    assert assembly.freeze_hash == services.compute_freeze_hash(assembly)
    assert len(assembly.freeze_hash) == 64
    with pytest.raises(RuleError, match="frozen"):
        services.import_roll(officer, assembly, make_roll(3), now=now)
    with pytest.raises(RuleError, match="frozen"):
        services.add_resolution(
            officer,
            assembly,
            title="T",
            body="B",
            category="ordinary",
            kind="motion",
            wordings=[],
            now=now,
        )
    with pytest.raises(RuleError, match="frozen"):
        services.remove_resolution(officer, second, now=now)
    with pytest.raises(RuleError):
        services.open_resolution(officer, first, now=now)
    actions = [json.loads(e.payload)["action"] for e in services.log_entries(assembly)]
    assert actions == ["create", "roll", "freeze", "open"]


def test_opening_needs_a_roll(make_assembly, officer, now):
    assembly = make_assembly(delegates=0)
    with pytest.raises(RuleError, match="roll"):
        services.open_resolution(officer, assembly.resolutions[0], now=now)


# --------------------------------------------------------------------------- casting


@pytest.fixture
def open_assembly(make_assembly, officer, now):
    """Factory: an assembly whose resolutions are all open."""

    def make(**kwargs):
        assembly = make_assembly(**kwargs)
        services.open_all(officer, assembly, now=now)
        db.session.commit()
        return assembly

    return make


def test_cast_keeps_who_apart_from_what(open_assembly, delegate_user, now):
    assembly = open_assembly()
    resolution = assembly.resolutions[0]
    code = services.cast(delegate_user(1), resolution, delegate(assembly, 1), choice="for", now=now)
    db.session.commit()
    assert rules.normalize_tracking_code(code) == code
    participation = db.session.scalar(select(Participation))
    assert participation.delegate_id == delegate(assembly, 1).id
    ballot = db.session.get(Ballot, code)
    assert (ballot.choice, ballot.weight) == ("for", 1)
    # The ballot table has no column naming a delegate or a time.
    assert not {"delegate_id", "cast_by_id", "cast_at", "user_id"} & set(Ballot.__table__.c.keys())
    services.seal(assembly)  # on PostgreSQL the entry may still be queued
    db.session.commit()
    cast_entry = json.loads(services.log_entries(assembly)[-1].payload)
    assert cast_entry["action"] == "cast" and "for" not in json.dumps(cast_entry)


def test_vote_change_replaces_the_ballot(open_assembly, delegate_user, now):
    assembly = open_assembly(allow_vote_change=True)
    resolution, voter = assembly.resolutions[0], delegate(assembly, 1)
    first = services.cast(delegate_user(1), resolution, voter, choice="for", now=now)
    second = services.cast(
        delegate_user(1), resolution, voter, choice="against", now=now + timedelta(seconds=5)
    )
    db.session.commit()
    assert first != second
    assert db.session.get(Ballot, first) is None
    assert db.session.get(Ballot, second).choice == "against"
    assert count(Ballot) == 1
    assert db.session.scalar(select(Participation.changes)) == 1


def test_a_casts_writes_are_one_statement_on_postgresql(
    open_assembly, delegate_user, statements, monkeypatch, now
):
    """After the participation's own statement (inserted for a first vote; for a changed vote,
    the replaced ballot deleted), a cast's writes, its chain entry queued with them, are one
    data-modifying WITH on PostgreSQL; on SQLite each is sent alone and the entry is chained at
    once. Either way each row is written once and the vote counts."""
    monkeypatch.setattr(services, "SEAL_EVERY", 10**6)  # no cast here seals the queue
    assembly = open_assembly(allow_vote_change=True)
    resolution, voter = assembly.resolutions[0], delegate(assembly, 1)
    postgres = db.engine.dialect.name == "postgresql"
    together = {
        "first": ["INSERT INTO assembly_ballot", "INSERT INTO assembly_pending_log"],
        "changed": [
            "UPDATE assembly_participation",
            "INSERT INTO assembly_ballot",
            "INSERT INTO assembly_pending_log",
        ],
    }
    codes = []
    for vote, choice in (("first", "for"), ("changed", "against")):
        with statements() as sent:
            codes.append(services.cast(delegate_user(1), resolution, voter, choice=choice, now=now))
        writes = sent.writes()
        ahead = {
            "first": "INSERT INTO assembly_participation",
            "changed": "DELETE FROM assembly_ballot",
        }[vote]
        assert writes[0].startswith(ahead)
        found = [sent.written(s) for s in writes[1:]]
        if postgres:
            assert found == [together[vote]] and writes[1].startswith("WITH write_0 AS")
        else:
            assert found == [[w] for w in together[vote][:-1]] + [["INSERT INTO assembly_log"]]
    db.session.commit()
    assert [b.code for b in services.ballots_of(resolution)] == codes[1:]
    assert db.session.scalar(select(Participation.changes)) == 1
    services.seal(assembly)
    db.session.commit()
    casts = [json.loads(e.payload) for e in services.log_entries(assembly)]
    assert [c.get("replaces") for c in casts if c["action"] == "cast"] == [False, True]
    assert services.verify(assembly) == []


def test_vote_change_refused_when_not_allowed(open_assembly, delegate_user, now):
    assembly = open_assembly(allow_vote_change=False)
    resolution, voter = assembly.resolutions[0], delegate(assembly, 1)
    services.cast(delegate_user(1), resolution, voter, choice="for", now=now)
    with pytest.raises(RuleError, match="already counted"):
        services.cast(delegate_user(1), resolution, voter, choice="against", now=now)


@pytest.mark.parametrize("choice", [None, "", "maybe", "FOR"])
def test_bad_choice_is_refused(open_assembly, delegate_user, now, choice):
    assembly = open_assembly()
    with pytest.raises(RuleError):
        services.cast(
            delegate_user(1), assembly.resolutions[0], delegate(assembly, 1), choice=choice, now=now
        )
    assert count(Participation) == 0


def test_only_delegates_on_the_roll_vote_and_only_for_themselves(
    open_assembly, delegate_user, make_user, now
):
    assembly = open_assembly()
    resolution = assembly.resolutions[0]
    outsider = make_user(roles=("delegate",))
    with pytest.raises(RuleError, match="roll"):
        services.cast(outsider, resolution, delegate(assembly, 1), choice="for", now=now)
    with pytest.raises(RuleError, match="proxy"):
        services.cast(delegate_user(2), resolution, delegate(assembly, 1), choice="for", now=now)


def test_cast_refused_before_opening_and_after_close(make_assembly, officer, delegate_user, now):
    assembly = make_assembly()
    resolution = assembly.resolutions[0]
    with pytest.raises(RuleError, match="not opened"):
        services.cast(delegate_user(1), resolution, delegate(assembly, 1), choice="for", now=now)
    services.open_resolution(officer, resolution, now=now)
    services.close_resolution(officer, resolution, now=now)
    db.session.commit()
    with pytest.raises(RuleError, match="closed"):
        services.cast(delegate_user(1), resolution, delegate(assembly, 1), choice="for", now=now)


# --------------------------------------------------------------------------- proxies


def test_proxy_cap_and_chains(make_assembly, officer, now):
    assembly = make_assembly(delegates=5, proxy_cap=1)
    d1, d2, d3, d4 = (delegate(assembly, n) for n in range(1, 5))
    services.give_proxy(officer, assembly, d2, d1, now=now)
    with pytest.raises(RuleError, match="most proxies"):
        services.give_proxy(officer, assembly, d3, d1, now=now)
    with pytest.raises(RuleError, match="chains"):
        services.give_proxy(officer, assembly, d1, d4, now=now)
    with pytest.raises(RuleError, match="own proxy"):
        services.give_proxy(officer, assembly, d4, d2, now=now)
    with pytest.raises(RuleError, match="themselves"):
        services.give_proxy(officer, assembly, d4, d4, now=now)
    services.record_presence(officer, d3, "present", now=now)
    with pytest.raises(RuleError, match="absent first"):
        services.give_proxy(officer, assembly, d3, d4, now=now)


def test_holder_votes_once_per_mandate_and_giver_takes_back(
    open_assembly, officer, delegate_user, now
):
    assembly = open_assembly(delegates=4, proxy_cap=2, allow_vote_change=False)
    resolution = assembly.resolutions[0]
    holder, giver = delegate(assembly, 1), delegate(assembly, 2)
    services.give_proxy(officer, assembly, giver, holder, now=now)
    db.session.commit()
    mandates = services.mandates_of(holder)
    assert [(m.delegate.identifier, m.by_proxy) for m in mandates] == [
        ("D001", False),
        ("D002", True),
    ]
    services.cast(delegate_user(1), resolution, holder, choice="for", now=now)
    services.cast(delegate_user(1), resolution, giver, choice="for", now=now)
    with pytest.raises(RuleError, match="already counted"):
        services.cast(delegate_user(1), resolution, giver, choice="against", now=now)
    # The giver votes in person: their vote replaces the holder's, and the proxy ends.
    services.cast(delegate_user(2), resolution, giver, choice="against", now=now)
    db.session.commit()
    assert db.session.scalar(select(Proxy.revoked_reason)) == "voted"
    assert sorted(b.choice for b in services.ballots_of(resolution)) == ["against", "for"]
    with pytest.raises(RuleError):
        services.cast(delegate_user(1), resolution, giver, choice="for", now=now)
    assert [m.delegate.identifier for m in services.mandates_of(holder)] == ["D001"]


def test_a_vote_page_reads_only_the_proxies_its_delegate_carries(
    make_assembly, officer, statements, now
):
    """Others' proxies change nothing on a delegate's page, and are not read for it."""
    assembly = make_assembly(delegates=6, proxy_cap=2)
    d = {n: delegate(assembly, n) for n in range(1, 7)}
    services.give_proxy(officer, assembly, d[2], d[1], now=now)  # carried by 1
    services.give_proxy(officer, assembly, d[4], d[5], now=now)  # between others
    services.give_proxy(officer, assembly, d[6], d[5], now=now)
    db.session.commit()
    with statements() as sent:
        mandates = services.mandates_of(d[1])
    assert [(m.delegate.identifier, m.by_proxy) for m in mandates] == [
        ("D001", False),
        ("D002", True),
    ]
    # One statement reads the proxies, with the roll lines and their participations: only the
    # ones the delegate carries, found by their holder.
    (read,) = [s for s in sent if "assembly_proxy" in s]
    own, carried = read.split("UNION ALL")
    assert "assembly_proxy" not in own
    assert "JOIN assembly_proxy ON assembly_proxy.giver_id = assembly_delegate.id" in carried
    assert "assembly_proxy.holder_id = " in carried.split("WHERE", 1)[1]
    giver = services.mandates_of(d[6])
    assert [(m.delegate.identifier, m.by_proxy) for m in giver] == [("D006", False)]
    assert [m.delegate.identifier for m in services.mandates_of(d[5])] == ["D005", "D004", "D006"]


def test_presence_takes_back_the_proxy(make_assembly, officer, now):
    assembly = make_assembly(delegates=3)
    proxy = services.give_proxy(
        officer, assembly, delegate(assembly, 2), delegate(assembly, 1), now=now
    )
    services.record_presence(officer, delegate(assembly, 2), "present", now=now)
    assert proxy.revoked_at == now and proxy.revoked_reason == "present"
    with pytest.raises(RuleError):
        services.record_presence(officer, delegate(assembly, 2), "elsewhere", now=now)
    with pytest.raises(RuleError, match="ended"):
        services.revoke_proxy(officer, proxy, now=now)


# --------------------------------------------------------------------------- close and tally


def test_close_tallies_snapshots_the_roll_and_erases_seals(
    open_assembly, officer, delegate_user, now
):
    assembly = open_assembly(delegates=6, weights=[1, 1, 1, 1, 2, 1])
    resolution = assembly.resolutions[0]
    services.record_presence(officer, delegate(assembly, 1), "present", now=now)
    services.give_proxy(officer, assembly, delegate(assembly, 2), delegate(assembly, 1), now=now)
    services.cast(delegate_user(1), resolution, delegate(assembly, 1), choice="for", now=now)
    services.cast(delegate_user(1), resolution, delegate(assembly, 2), choice="for", now=now)
    services.cast(delegate_user(3), resolution, delegate(assembly, 3), choice="against", now=now)
    services.cast(delegate_user(5), resolution, delegate(assembly, 5), choice="for", now=now)
    result = services.close_resolution(officer, resolution, now=now)
    db.session.commit()
    assert result["attendance"] == {"in_office": 7, "present": 1, "represented": 1, "remote": 3}
    assert result["counts"] == {"for": 4, "against": 1, "abstention": 0, "blank": 0}
    # Quorum 1/2 of 7 → 4; participating 5. Majority 2/3 of 5 votes cast → 4.
    assert result["decision"]["quorum_required"] == 4
    assert result["decision"]["required_for"] == 4
    assert result["outcome"] == "adopted" == resolution.outcome
    assert count(Ballot, Ballot.seal.is_not(None)) == 0
    assert assembly.closed_at == now
    actions = [json.loads(e.payload)["action"] for e in services.log_entries(assembly)][-3:]
    assert actions == ["close", "tally", "assembly_closed"]
    assert count(AuditEvent, AuditEvent.action == "assembly.close") == 1
    assert services.verify(assembly) == []


def test_no_vote_at_all(open_assembly, officer, now):
    assembly = open_assembly(resolutions=(("Ordinaire", "ordinary"),), convocation=2)
    result = services.close_resolution(officer, assembly.resolutions[0], now=now)
    assert result["counts"] == {"for": 0, "against": 0, "abstention": 0, "blank": 0}
    assert result["outcome"] == "rejected"  # no quorum on second convocation, but nothing cast
    assert result["decision"]["quorum"] is None


def test_quorum_not_reached(open_assembly, officer, delegate_user, now):
    assembly = open_assembly(delegates=5)
    resolution = assembly.resolutions[0]
    services.cast(delegate_user(1), resolution, delegate(assembly, 1), choice="for", now=now)
    services.cast(delegate_user(2), resolution, delegate(assembly, 2), choice="for", now=now)
    result = services.close_resolution(officer, resolution, now=now)
    assert result["decision"]["quorum_required"] == 3
    assert result["outcome"] == "no_quorum"


def test_majority_base_is_an_organisation_setting(app, open_assembly, officer, delegate_user, now):
    app.config["ASSEMBLY_MAJORITY_BASE"] = "present_represented"
    try:
        assembly = open_assembly(delegates=6)
    finally:
        app.config["ASSEMBLY_MAJORITY_BASE"] = None
    resolution = assembly.resolutions[0]
    for n, choice in [(1, "for"), (2, "for"), (3, "for"), (4, "for"), (5, "against")]:
        services.cast(delegate_user(n), resolution, delegate(assembly, n), choice=choice, now=now)
    services.cast(delegate_user(6), resolution, delegate(assembly, 6), choice="abstention", now=now)
    result = services.close_resolution(officer, resolution, now=now)
    # 4 for out of 6 present: exactly 2/3 → adopted; on votes cast it would be 4 of 5 too.
    assert result["decision"]["majority_base"] == "present_represented"
    assert result["decision"]["majority_base_value"] == 6
    assert result["outcome"] == "adopted"


def test_majority_judgment_on_wordings(open_assembly, officer, delegate_user, now):
    assembly = open_assembly(
        delegates=3, resolutions=(), wordings=["Prendre soin", "Protéger", "Accompagner"]
    )
    resolution = assembly.resolutions[0]
    grades = {1: [0, 2, 3], 2: [1, 1, 5], 3: [1, 0, 2]}
    for n, given in grades.items():
        services.cast(delegate_user(n), resolution, delegate(assembly, n), grades=given, now=now)
    with pytest.raises(RuleError, match="every wording"):
        services.cast(
            delegate_user(1), resolution, delegate(assembly, 1), grades=[0, 9, 1], now=now
        )
    result = services.close_resolution(officer, resolution, now=now)
    assert result["profiles"]["1"] == [1, 2, 0, 0, 0, 0]
    assert result["ranking"][0]["wording"] == 1
    assert result["outcome"] == "adopted" and result["chosen"] == 1
    assert services.verify(assembly) == []


# --------------------------------------------------------------------------- verification


@pytest.fixture
def closed_assembly(open_assembly, officer, delegate_user, now):
    """An assembly with three ballots, closed and tallied."""
    assembly = open_assembly(delegates=3)
    resolution = assembly.resolutions[0]
    for n, choice in [(1, "for"), (2, "for"), (3, "against")]:
        services.cast(delegate_user(n), resolution, delegate(assembly, n), choice=choice, now=now)
    services.close_resolution(officer, resolution, now=now)
    db.session.commit()
    return assembly


def test_verify_detects_a_changed_ballot(closed_assembly):
    assert services.verify(closed_assembly) == []
    db.session.execute(update(Ballot).where(Ballot.choice == "against").values(choice="for"))
    problems = services.verify(closed_assembly)
    assert any("published ballots differ" in p for p in problems)


def test_verify_detects_a_removed_ballot(closed_assembly):
    db.session.delete(db.session.scalars(select(Ballot)).first())
    problems = services.verify(closed_assembly)
    assert any(
        "3 voters in the chain carrying 3 votes, 2 votes in the published ballots" in p
        for p in problems
    )


def test_verify_detects_an_edited_log(closed_assembly):
    entry = services.log_entries(closed_assembly)[1]
    entry.payload = entry.payload.replace('"roll"', '"r0ll"')
    problems = services.verify(closed_assembly)
    assert any("chain broken" in p for p in problems)


def test_verify_detects_a_changed_roll(closed_assembly):
    closed_assembly.delegates[0].weight = 9
    assert "roll or texts changed after the freeze" in services.verify(closed_assembly)


def test_verify_detects_a_changed_result(closed_assembly):
    resolution = closed_assembly.resolutions[0]
    resolution.result_json = resolution.result_json.replace('"adopted"', '"rejected"')
    problems = services.verify(closed_assembly)
    assert any("stored result differs" in p for p in problems)


def test_tracking_code_lookup(closed_assembly):
    code = db.session.scalars(select(Ballot.code)).first()
    found = services.find_code(closed_assembly, code.lower().replace("-", " "))
    assert found is not None and found[1].code == code
    assert services.find_code(closed_assembly, "0000-0000-0000") is None
    assert services.find_code(closed_assembly, "not a code") is None


def test_log_sequence_is_unique(closed_assembly):
    assert count(AssemblyLogEntry) == len(services.log_entries(closed_assembly))
    seqs = [e.seq for e in services.log_entries(closed_assembly)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_rules_setting_as_json_and_refused_when_invalid(app):
    custom = rules.DEFAULT_RULES.to_dict()
    custom["rules"][0]["majority"] = "3/4"
    app.config["ASSEMBLY_RULES"] = json.dumps(custom)
    try:
        assert services.organisation_rules().rules[("ordinary", 1)].majority == rules.Ratio(3, 4)
        app.config["ASSEMBLY_RULES"] = '{"rules": []}'
        with pytest.raises(RuntimeError, match="ASSEMBLY_RULES"):
            services.organisation_rules()
        app.config["ASSEMBLY_RULES"] = None
        app.config["ASSEMBLY_MAJORITY_BASE"] = "everyone"
        with pytest.raises(RuntimeError):
            services.organisation_rules()
    finally:
        app.config["ASSEMBLY_RULES"] = None
        app.config["ASSEMBLY_MAJORITY_BASE"] = None
    assert services.organisation_rules() == rules.DEFAULT_RULES


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_casts_and_changes_tally_to_the_last_choices(
    open_assembly, officer, delegate_user, now, seed
):
    """Whatever the order of casts, changes and proxy votes, the tally is the last choices."""
    import random

    rng = random.Random(seed)
    assembly = open_assembly(delegates=8, weights=[1, 2, 1, 3, 1, 1, 2, 1], proxy_cap=2)
    resolution = assembly.resolutions[0]
    services.give_proxy(officer, assembly, delegate(assembly, 8), delegate(assembly, 1), now=now)
    final = {}
    for _ in range(40):
        n = rng.randint(1, 7)
        mandate = delegate(assembly, 8) if n == 1 and rng.random() < 0.3 else delegate(assembly, n)
        choice = rng.choice(list(rules.Choice))
        services.cast(delegate_user(n), resolution, mandate, choice=choice.value, now=now)
        final[mandate.identifier] = (choice, mandate.weight)
    result = services.close_resolution(officer, resolution, now=now)
    assert result["counts"] == rules.tally(final.values()).as_dict()
    assert count(Participation) == len(final)
    # Closed, a ballot carrying w votes is stored as w ballots of one vote (see test_secrecy).
    assert count(Ballot) == sum(weight for _, weight in final.values())
    assert services.verify(assembly) == []
