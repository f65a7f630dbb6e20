"""The secret ballot as a property of what is stored: try to pair ballots with delegates.

Each delegate grades the wordings differently, so every ballot's content names its voter to the
test (the truth). The attacks use only what someone holding the database, a copy of its files or
the published lists has: the rows' order, the chain, the published ballots, the keys. With a
random permutation the expected number of right pairs is 1; the attacks must do no better than
guessing (fewer than half right), where the casting order used to give every pair.
"""

import hashlib
import hmac
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import DateTime, select, text

from consult.assembly import services
from consult.assembly.models import Assembly, Ballot, Participation
from consult.extensions import db

VOTERS = 16


@pytest.fixture
def voted(app, make_assembly, officer, now, delegate_user):
    """An open assembly where 16 delegates voted one after the other; and the truth."""
    assembly = make_assembly(
        delegates=VOTERS, resolutions=(), wordings=["Première", "Deuxième", "Troisième"]
    )
    with app.test_request_context(method="POST"):
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    resolution = assembly.resolutions[0]
    truth = {}  # tracking code -> delegate identifier
    for n in range(1, VOTERS + 1):
        delegate = services.find_delegate(assembly, f"D{n:03d}")
        grades = [n // 36 % 6, n // 6 % 6, n % 6]  # a different ballot for every delegate
        with app.test_request_context(method="POST"):
            code = services.cast(delegate_user(n), resolution, delegate, grades=grades, now=now)
            db.session.commit()
        truth[code] = delegate.identifier
    seals_while_open = set(db.session.scalars(select(Ballot.seal)))
    return assembly.id, resolution.id, truth, seals_while_open


def close_vote(app, officer, assembly_id, now):
    """The officer closes every resolution (the storage is scrubbed after the commit)."""
    with app.test_request_context(method="POST"):
        services.close_all(officer, db.session.get(Assembly, assembly_id), now=now)
        db.session.commit()
    db.session.remove()


@pytest.fixture
def closed_vote(app, voted, officer, now):
    """The same assembly once closed: no second scrub, the close's own must have done it."""
    assembly_id, resolution_id, truth, seals_while_open = voted
    close_vote(app, officer, assembly_id, now)
    return db.session.get(Assembly, assembly_id), resolution_id, truth, seals_while_open


def physical_order(resolution_id) -> list[str]:
    """Tracking codes in the order the rows are stored (SQLite's rowid, PostgreSQL's ctid)."""
    column = "ctid" if db.engine.dialect.name == "postgresql" else "rowid"
    return list(
        db.session.scalars(
            text(
                f"SELECT code FROM assembly_ballot WHERE resolution_id = :r ORDER BY {column}"  # noqa: S608
            ),
            {"r": resolution_id},
        )
    )


def participation_order(resolution_id, identifiers) -> list[str]:
    """Delegates in the order their participations are stored (id, and any time column)."""
    times = [c for c in Participation.__table__.c if isinstance(c.type, DateTime)]
    rows = db.session.scalars(
        select(Participation.delegate_id)
        .where(Participation.resolution_id == resolution_id)
        .order_by(*times, Participation.id)
    )
    return [identifiers[i] for i in rows]


def chain_order(assembly) -> list[str]:
    """Delegates in the order the public chain records that they voted."""
    payloads = [json.loads(e.payload) for e in services.log_entries(assembly)]
    return [p["delegate"] for p in payloads if p["action"] == "cast"]


def right_pairs(voters: list[str], codes: list[str], truth: dict) -> int:
    """How many ballots an attacker pairing the two orders attributes to the right delegate."""
    return sum(1 for voter, code in zip(voters, codes, strict=True) if truth[code] == voter)


def test_no_order_stored_or_published_pairs_ballots_with_delegates(closed_vote, client):
    assembly, resolution_id, truth, _ = closed_vote
    identifiers = {d.id: d.identifier for d in assembly.delegates}
    by_participation = participation_order(resolution_id, identifiers)
    by_chain = chain_order(assembly)
    assert sorted(by_chain) == sorted(truth.values())  # the chain does say who voted
    # What is published: the ballots and the chain, as the public JSON gives them.
    public = client.get(f"/api/v1/assemblies/{assembly.id}/ballots").get_json()
    published = [b["code"] for b in public["resolutions"][0]["ballots"]]
    by_public_chain = [
        e["payload"]["delegate"] for e in public["log"] if e["payload"]["action"] == "cast"
    ]
    stored = physical_order(resolution_id)
    assert sorted(stored) == sorted(published) == sorted(truth)
    for codes in (stored, published):
        for voters in (by_participation, by_chain, by_public_chain):
            assert right_pairs(voters, codes, truth) < VOTERS // 2, (voters, codes)


def test_no_time_is_kept_with_a_participation():
    assert not [c.name for c in Participation.__table__.c if isinstance(c.type, DateTime)]


def test_the_session_key_does_not_open_the_seals(app, closed_vote):
    """Finding: the seals were an HMAC under SECRET_KEY, which also signs sessions."""
    assembly, resolution_id, _, seals_while_open = closed_vote
    assert len(seals_while_open) == VOTERS and None not in seals_while_open
    session_key = str(app.secret_key).encode()
    recomputed = {
        hmac.new(
            session_key, f"assembly-seal:{resolution_id}:{d.id}".encode(), hashlib.sha256
        ).hexdigest()
        for d in assembly.delegates
    }
    assert not recomputed & seals_while_open
    assert app.config["ASSEMBLY_SEAL_KEY"] != app.config["SECRET_KEY"]


def seals_of(app, assembly, resolution_id) -> list[str]:
    """The seals the seal key gives for every delegate of the roll."""
    key = str(app.config.get("ASSEMBLY_SEAL_KEY") or app.secret_key).encode()  # before: the latter
    return [
        hmac.new(key, f"assembly-seal:{resolution_id}:{d.id}".encode(), hashlib.sha256).hexdigest()
        for d in assembly.delegates
    ]


def test_after_the_close_the_seal_key_finds_nothing_stored(app, closed_vote):
    assembly, resolution_id, _, seals_while_open = closed_vote
    seals = seals_of(app, assembly, resolution_id)
    assert set(seals) >= seals_while_open  # the key did name every voter while open
    assert db.session.scalar(select(Ballot.seal).where(Ballot.seal.is_not(None))) is None
    assert not [seal for seal in seals if seal.encode() in stored_bytes()]


def stored_bytes() -> bytes:
    """What a copy of the database's files holds for the ballots, old row versions included."""
    if db.engine.dialect.name == "sqlite":
        database = Path(db.engine.url.database)
        return b"".join(
            path.read_bytes()
            for path in (database, database.with_name(database.name + "-wal"))
            if path.exists()
        )
    return postgresql_ballot_pages()


@pytest.mark.postgres
def test_a_snapshot_open_elsewhere_does_not_keep_the_seals(app, voted, officer, now):
    """Finding: VACUUM FULL copies every row version that a snapshot still open in the database
    might see, so a long report or an idle transaction elsewhere kept the seals in the pages."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    assembly_id, resolution_id, _, seals_while_open = voted
    elsewhere = db.engine.connect()
    try:
        elsewhere.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        elsewhere.exec_driver_sql("SELECT count(*) FROM assembly_log").scalar()  # the snapshot
        close_vote(app, officer, assembly_id, now)
        raw = stored_bytes()
        assert not [seal for seal in seals_while_open if seal.encode() in raw]
    finally:
        elsewhere.rollback()
        elsewhere.close()


@pytest.mark.postgres
def test_a_transaction_on_the_ballots_puts_the_scrub_off_and_the_command_does_it(
    app, voted, officer, now, runner, caplog
):
    """A transaction reading the ballots (a backup) holds the table: the close does not wait for
    it, says so in the log, and `consult assembly scrub` does it once the table is free."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL")
    assembly_id, resolution_id, _, seals_while_open = voted
    reader = db.engine.connect()
    try:
        reader.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        reader.exec_driver_sql("SELECT count(*) FROM assembly_ballot").scalar()
        close_vote(app, officer, assembly_id, now)
    finally:
        reader.rollback()
        reader.close()
    assert "ballot storage not scrubbed yet" in caplog.text
    raw = stored_bytes()
    assert [seal for seal in seals_while_open if seal.encode() in raw]  # still there
    result = runner.invoke(args=["assembly", "scrub"])
    assert result.exit_code == 0, result.output
    raw = stored_bytes()
    assert not [seal for seal in seals_while_open if seal.encode() in raw]
    assembly = db.session.get(Assembly, assembly_id)
    assert services.verify(assembly) == []


def postgresql_ballot_pages() -> bytes:
    """Every page of the ballot table and of its indexes, as on disk (free space and dead row
    versions included: pageinspect's raw pages)."""
    with db.engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        relations = connection.scalars(
            text(
                "SELECT 'assembly_ballot' UNION ALL"
                " SELECT indexrelid::regclass::text FROM pg_index"
                " WHERE indrelid = 'assembly_ballot'::regclass"
            )
        ).all()
        chunks = []
        for relation in relations:
            pages = connection.scalar(
                text("SELECT pg_relation_size(:r) / current_setting('block_size')::int"),
                {"r": relation},
            )
            chunks.extend(
                connection.scalar(text("SELECT get_raw_page(:r, :p)"), {"r": relation, "p": page})
                for page in range(pages)
            )
        connection.commit()
    return b"".join(bytes(c) for c in chunks)


def test_a_weight_held_by_one_delegate_does_not_single_out_their_ballot(
    app, make_assembly, officer, now, delegate_user, client
):
    """Finding: a ballot was published with its voter's weight, and the roll (public, frozen)
    gives every delegate's weight, so the only delegate of weight 5 was known to vote against."""
    assembly = make_assembly(delegates=5, weights=[5, 1, 1, 1, 1])
    with app.test_request_context(method="POST"):
        services.open_all(officer, assembly, now=now)
    db.session.commit()
    resolution = assembly.resolutions[0]
    choices = {1: "against", 2: "for", 3: "for", 4: "abstention", 5: "for"}
    receipts = {}
    for n, choice in choices.items():
        with app.test_request_context(method="POST"):
            delegate = services.find_delegate(assembly, f"D{n:03d}")
            receipts[n] = services.cast(
                delegate_user(n), resolution, delegate, choice=choice, now=now
            )
            db.session.commit()
    assembly_id = assembly.id
    close_vote(app, officer, assembly_id, now)
    public = client.get(f"/api/v1/assemblies/{assembly_id}/ballots").get_json()
    published = public["resolutions"][0]["ballots"]
    assert {b["weight"] for b in published} == {1}  # no weight names anyone
    assert Counter(b["choice"] for b in published) == {"against": 5, "for": 3, "abstention": 1}
    assert receipts[1] not in {b["code"] for b in published}  # nor its receipt
    assembly = db.session.get(Assembly, assembly_id)
    result = json.loads(assembly.resolutions[0].result_json)
    assert result["counts"] == {"for": 3, "against": 5, "abstention": 1, "blank": 0}
    # The weighted delegate still finds their ballot, and all its votes, from the receipt.
    found = services.find_code(assembly, receipts[1])
    assert (found.ballot.choice, found.votes, found.code) == ("against", 5, receipts[1])
    page = client.get(f"/assemblies/{assembly_id}/codes", query_string={"code": receipts[1]})
    assert receipts[1] in page.get_data(as_text=True) and "5 voix" in page.get_data(as_text=True)
    assert services.find_code(assembly, receipts[2]).votes == 1
    assert services.verify(assembly) == []


def test_production_needs_a_seal_key_of_its_own():
    from consult import create_app
    from consult.config import Config

    class Production(Config):
        SECRET_KEY = "a-session-key"  # noqa: S105 - a test value
        ASSEMBLY_SEAL_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="ASSEMBLY_SEAL_KEY must be set"):
        create_app(Production)

    class SameKey(Production):
        ASSEMBLY_SEAL_KEY = "a-session-key"

    with pytest.raises(RuntimeError, match="must differ from SECRET_KEY"):
        create_app(SameKey)


def test_the_seal_key_is_never_logged(app, make_assembly, officer, now, delegate_user, caplog):
    from consult.accounts.models import User

    assembly_id, officer_id = make_assembly(delegates=2).id, officer.id
    db.session.remove()  # the next connection logs its statements and their parameters
    caplog.set_level("INFO", logger="sqlalchemy.engine")
    caplog.set_level("DEBUG")
    with app.test_request_context(method="POST"):
        assembly, actor = db.session.get(Assembly, assembly_id), db.session.get(User, officer_id)
        services.open_all(actor, assembly, now=now)
        services.cast(
            delegate_user(1), assembly.resolutions[0], assembly.delegates[0], choice="for", now=now
        )
        services.close_all(actor, assembly, now=now)
        db.session.commit()
    key = app.config["ASSEMBLY_SEAL_KEY"]
    logged = [r.getMessage() for r in caplog.records]
    assert any("INSERT INTO assembly_ballot" in line for line in logged)
    assert not [line for line in logged if key in line]
