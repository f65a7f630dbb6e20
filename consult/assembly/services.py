"""General assembly: roll, proxies, resolutions, secret ballots, tally, minutes and audit chain.

Services take the acting user and ``now``, flush and never commit (the request commits once).
"""

import functools
import hashlib
import hmac
import json
import secrets
import weakref
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, delete, event, func, insert, select, union_all, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from consult.accounts.models import User
from consult.assembly import rules
from consult.assembly.models import (
    Assembly,
    AssemblyLogEntry,
    Ballot,
    Delegate,
    Participation,
    PendingLogEntry,
    Proxy,
    Resolution,
    Wording,
)
from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.extensions import (
    db,
    dialect_insert,
    execute_together,
    on_postgresql,
    table_params,
    table_values,
)

#: Majority-judgment grades, best first (the scale French civic practice uses).
GRADES = (
    _l("Very good"),
    _l("Good"),
    _l("Fairly good"),
    _l("Passable"),
    _l("Insufficient"),
    _l("To reject"),
)

CHOICE_LABELS = {
    rules.Choice.FOR: _l("For"),
    rules.Choice.AGAINST: _l("Against"),
    rules.Choice.ABSTENTION: _l("Abstention"),
    rules.Choice.BLANK: _l("Blank"),
}

OUTCOME_LABELS = {
    rules.Outcome.ADOPTED: _l("Adopted"),
    rules.Outcome.REJECTED: _l("Rejected by the assembly"),
    rules.Outcome.NO_QUORUM: _l("Quorum not reached"),
}

CATEGORY_LABELS = {
    rules.Category.STATUTORY: _l("Statutory (category I)"),
    rules.Category.ORDINARY: _l("Ordinary"),
}

PRESENCE_LABELS = {
    rules.Presence.ABSENT: _l("Absent"),
    rules.Presence.PRESENT: _l("Present"),
    rules.Presence.REMOTE: _l("Remote"),
    rules.Presence.REPRESENTED: _l("Represented"),
}

PROXY_MESSAGES = {
    rules.ProxyProblem.SELF: _l("A delegate cannot give a proxy to themselves."),
    rules.ProxyProblem.ALREADY_GIVEN: _l("This delegate has already given a proxy."),
    rules.ProxyProblem.HOLDER_GAVE: _l(
        "The holder has given their own proxy and cannot carry one."
    ),
    rules.ProxyProblem.GIVER_HOLDS: _l(
        "This delegate carries proxies and cannot give their own (no chains)."
    ),
    rules.ProxyProblem.CAP_REACHED: _l("The holder already carries the most proxies allowed."),
    rules.ProxyProblem.GIVER_TAKES_PART: _l(
        "This delegate takes part in the assembly: record them absent first."
    ),
}

MAX_RESOLUTIONS = 50
MAX_WORDINGS = 8
MAX_TEXT = 20_000


# --------------------------------------------------------------------------- settings


def organisation_rules() -> rules.RuleSet:
    """The organisation's voting rules in force (administration settings, whose first values
    come from ``ASSEMBLY_RULES``, a RuleSet.to_dict() mapping or its JSON, and
    ``ASSEMBLY_MAJORITY_BASE``; without them, L114-12 defaults)."""
    from consult.admin import settings

    try:
        data = dict(settings.current("assembly.rules"))
        data["majority_base"] = settings.current("assembly.majority_base")
        return rules.RuleSet.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise RuntimeError(
            f"invalid ASSEMBLY_RULES / ASSEMBLY_MAJORITY_BASE setting: {error}"
        ) from error


def rule_set(assembly: Assembly) -> rules.RuleSet:
    """The rules snapshotted into this assembly."""
    return rules.RuleSet.from_dict(json.loads(assembly.rules_json))


# --------------------------------------------------------------------------- hash-chained log


def _lock_assembly(assembly: Assembly, *, wait: bool = True) -> bool:
    """Take the head of this assembly's chain (a row lock on PostgreSQL; SQLite serialises every
    writer already). With ``wait=False``, give up at once when another transaction holds it.

    ``FOR NO KEY UPDATE``: holders exclude one another, but not the key-share lock that inserting
    a row referencing the assembly takes (a cast's pending entry), which ``FOR UPDATE`` would.
    """
    held = db.session.execute(_lock_assembly_query(wait), {"assembly_id": assembly.id})
    return held.scalar_one_or_none() is not None


@functools.cache
def _lock_assembly_query(wait: bool):
    """The statement of `_lock_assembly`, built once for each way of waiting."""
    return (
        select(Assembly.id)
        .where(Assembly.id == bindparam("assembly_id"))
        .with_for_update(key_share=True, skip_locked=not wait)
    )


#: The last entry of an assembly's chain (read once its head is held).
_CHAIN_HEAD = (
    select(AssemblyLogEntry.seq, AssemblyLogEntry.hash)
    .where(AssemblyLogEntry.assembly_id == bindparam("assembly_id"))
    .order_by(AssemblyLogEntry.seq.desc())
    .limit(1)
)

#: The queued chain entries of an assembly, taken out of the queue in one statement.
_TAKE_PENDING = (
    delete(PendingLogEntry.__table__)
    .where(PendingLogEntry.__table__.c.assembly_id == bindparam("assembly_id"))
    .returning(PendingLogEntry.__table__.c.id, PendingLogEntry.__table__.c.payload)
)


def _extend_chain(assembly: Assembly, entries: list[dict]) -> AssemblyLogEntry | None:
    """Append entries (payloads without their sequence number) to the chain; the head is held."""
    last = db.session.execute(_CHAIN_HEAD, {"assembly_id": assembly.id}).first()
    seq, previous = (last.seq, last.hash) if last else (0, rules.GENESIS_HASH)
    entry = None
    for fields in entries:
        seq += 1
        payload = {**fields, "seq": seq}
        entry = AssemblyLogEntry(
            assembly_id=assembly.id,
            seq=seq,
            payload=rules.canonical_json(payload),
            previous_hash=previous,
            hash=rules.chain_hash(previous, payload),
        )
        previous = entry.hash
        db.session.add(entry)
    db.session.flush()
    return entry


def _take_pending(assembly: Assembly) -> list[dict]:
    """Take the committed casts still waiting (and this transaction's own) out of the queue, in
    the order they were queued, in one statement; the head is held, so they go into the chain
    before whatever this transaction appends."""
    taken = db.session.execute(_TAKE_PENDING, {"assembly_id": assembly.id}).all()
    return [json.loads(row.payload) for row in sorted(taken)]


def append_log(assembly: Assembly, action: str, *, now: datetime, **fields) -> AssemblyLogEntry:
    """Append one entry to the assembly's hash chain (never a ballot's content), after the casts
    still waiting to be sealed: what the chain says before an opening or a close is complete."""
    seal(assembly)
    entry = {"action": action, "at": now.isoformat(timespec="microseconds"), **fields}
    return _extend_chain(assembly, [entry])


#: On PostgreSQL a cast queues its chain entry, and the cast whose entry's number is a multiple
#: of this seals the queue into the chain (when no other transaction holds the head): a cast
#: sends one statement for the chain, the sealing cast four more for every entry sealed with it.
SEAL_EVERY = 32

#: A cast's chain entry put in the queue, with its number.
_QUEUE_ENTRY = (
    insert(PendingLogEntry.__table__)
    .values(assembly_id=bindparam("queued_for"), payload=bindparam("queued_payload"))
    .returning(PendingLogEntry.__table__.c.id)
)


def _write_cast(assembly: Assembly, writes: tuple, values: dict, *, now: datetime, **fields):
    """Send a cast's writes (statements built once, their parameters in `values`) and record the
    cast for the chain without waiting for its head.

    On PostgreSQL the chain entry is queued by the same statement as the writes (a data-modifying
    WITH: one round trip), so it is durable with the ballot, or lost with it. One cast in
    `SEAL_EVERY` then seals every committed entry and its own into the chain, unless another
    transaction holds the head; what is left is sealed by a later one, by `seal`, or at the
    latest by the close of the vote (which seals before it tallies): casts never wait for one
    another. On SQLite every writing transaction runs alone (``BEGIN IMMEDIATE``): the writes
    are sent one after the other and the entry is chained at once.

    An IntegrityError of the writes reaches the caller before anything is chained.
    """
    payload = {"action": "cast", "at": now.isoformat(timespec="microseconds"), **fields}
    if not on_postgresql():
        execute_together(writes, values)
        _extend_chain(assembly, [payload])  # SQLite: this transaction is the only writer
        return
    queued = {"queued_for": assembly.id, "queued_payload": rules.canonical_json(payload)}
    number = execute_together((*writes, _QUEUE_ENTRY), values | queued).scalar_one()
    if number % SEAL_EVERY == 0:
        seal(assembly, wait=False)


def seal(assembly: Assembly, *, wait: bool = True) -> int | None:
    """Seal the casts still queued into the chain now, holding its head (and keeping it until
    the commit); how many. With ``wait=False``, None at once when another transaction holds it."""
    if not _lock_assembly(assembly, wait=wait):
        return None
    pending = _take_pending(assembly)
    if pending:
        _extend_chain(assembly, pending)
    return len(pending)


def log_entries(assembly: Assembly) -> list[AssemblyLogEntry]:
    """The chain in order."""
    return list(
        db.session.scalars(
            select(AssemblyLogEntry)
            .where(AssemblyLogEntry.assembly_id == assembly.id)
            .order_by(AssemblyLogEntry.seq)
        )
    )


# --------------------------------------------------------------------------- assemblies


def create_assembly(
    actor: User,
    *,
    title: str,
    held_on: date,
    convocation: int,
    proxy_cap: int,
    allow_vote_change: bool,
    now: datetime,
) -> Assembly:
    """Create an assembly with the organisation's current rules."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise RuleError(_l("Give the assembly a title (200 characters at most)."), field="title")
    if convocation not in (1, 2):
        raise RuleError(_l("The convocation is the first or the second."), field="convocation")
    if not 0 <= proxy_cap <= 10:
        raise RuleError(_l("The proxy cap is between 0 and 10."), field="proxy_cap")
    assembly = Assembly(
        title=title,
        held_on=held_on,
        convocation=convocation,
        proxy_cap=proxy_cap,
        allow_vote_change=allow_vote_change,
        rules_json=rules.canonical_json(organisation_rules().to_dict()),
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(assembly)
    db.session.flush()
    audit.record(actor, "assembly.create", assembly, now=now, after={"title": title})
    append_log(assembly, "create", now=now, title=title, rules=json.loads(assembly.rules_json))
    return assembly


def _refuse_if_frozen(assembly: Assembly) -> None:
    """The roll and the texts cannot change once voting has opened."""
    if assembly.frozen_at is not None:
        raise RuleError(_l("Voting has opened: the roll and the texts are frozen."))


def import_roll(actor: User, assembly: Assembly, raw: bytes, *, now: datetime) -> int:
    """Replace the roll from a file in one call (demonstration, command line, tests); the pages
    go through the shared import instead. See `consult.assembly.imports.import_roll`."""
    from consult.assembly.imports import import_roll as replace_roll

    return replace_roll(actor, assembly, raw, now=now)


def add_resolution(
    actor: User,
    assembly: Assembly,
    *,
    title: str,
    body: str,
    category: str,
    kind: str,
    wordings: list[str],
    now: datetime,
) -> Resolution:
    """Put a text on the agenda; a 'wordings' resolution needs two alternatives or more."""
    _refuse_if_frozen(assembly)
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > 200:
        raise RuleError(_l("Give the resolution a title (200 characters at most)."), field="title")
    if not body or len(body) > MAX_TEXT:
        raise RuleError(_l("Write the text put to the vote."), field="body")
    if category not in set(rules.Category) or kind not in ("motion", "wordings"):
        raise RuleError(_l("Choose a category and a kind of vote."), field="category")
    wordings = [w.strip() for w in wordings if w.strip()]
    if kind == "wordings" and not 2 <= len(wordings) <= MAX_WORDINGS:
        raise RuleError(
            _l("Give between 2 and 8 alternative wordings, one per paragraph."), field="wordings"
        )
    if kind == "motion":
        wordings = []
    if len(assembly.resolutions) >= MAX_RESOLUTIONS:
        raise RuleError(_l("An assembly holds 50 resolutions at most."))
    position = max((r.position for r in assembly.resolutions), default=0) + 1
    resolution = Resolution(
        assembly=assembly,
        position=position,
        title=title,
        body=body,
        category=category,
        kind=kind,
        wordings=[Wording(position=i, body=w[:MAX_TEXT]) for i, w in enumerate(wordings, 1)],
    )
    db.session.add(resolution)
    db.session.flush()
    audit.record(actor, "assembly.resolution_add", resolution, now=now, after={"title": title})
    return resolution


def remove_resolution(actor: User, resolution: Resolution, *, now: datetime) -> None:
    """Take a draft resolution off the agenda before the freeze."""
    _refuse_if_frozen(resolution.assembly)
    audit.record(actor, "assembly.resolution_remove", resolution, now=now)
    resolution.assembly.resolutions.remove(resolution)
    db.session.flush()


def frozen_document(assembly: Assembly) -> tuple[list[dict], list[dict], dict]:
    """What the freeze hash covers: the roll, the texts and the rules."""
    roll = [
        {
            "identifier": d.identifier,
            "name": d.name,
            "email": d.email,
            "section": d.section,
            "weight": d.weight,
        }
        for d in assembly.delegates
    ]
    texts = [
        {
            "id": r.id,
            "position": r.position,
            "title": r.title,
            "body": r.body,
            "category": r.category,
            "kind": r.kind,
            "wordings": [w.body for w in r.wordings],
        }
        for r in assembly.resolutions
    ]
    return roll, texts, json.loads(assembly.rules_json)


def compute_freeze_hash(assembly: Assembly) -> str:
    """SHA-256 of the roll, texts and rules as they stand."""
    return rules.freeze_digest(*frozen_document(assembly))


def _freeze(actor: User, assembly: Assembly, now: datetime) -> None:
    """Freeze the roll and the texts and publish their hash (first opening only)."""
    if assembly.frozen_at is not None:
        return
    if not assembly.delegates:
        raise RuleError(_l("Import the roll before opening the vote."))
    assembly.frozen_at = now
    assembly.freeze_hash = compute_freeze_hash(assembly)
    audit.record(actor, "assembly.freeze", assembly, now=now, after={"hash": assembly.freeze_hash})
    append_log(
        assembly,
        "freeze",
        now=now,
        hash=assembly.freeze_hash,
        delegates=len(assembly.delegates),
        resolutions=len(assembly.resolutions),
    )


def _read_locked(*where, exclusive: bool) -> Resolution | None:
    """Read a resolution under a row lock; remember a shared one for this transaction."""
    found = db.session.execute(
        select(Resolution)
        .where(*where)
        .with_for_update(read=not exclusive)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is not None and not exclusive:
        _remember_shared_lock(found)
    return found


def _remember_shared_lock(resolution: Resolution) -> None:
    """This transaction holds the resolution's shared lock: its cast need not take it again."""
    transaction = weakref.ref(db.session().get_transaction())
    db.session.info["resolution_shared_lock"] = (transaction, resolution.id)


def _lock_resolution(resolution: Resolution, *, exclusive: bool) -> Resolution:
    """Re-read the resolution under a row lock: casts share it, opening and closing take it.

    A shared lock this transaction has already taken (cast_target) is not taken again:
    the row was read under it, and the lock is held until the transaction ends."""
    held = db.session.info.get("resolution_shared_lock")
    if (
        not exclusive
        and held is not None
        and held[0]() is db.session().get_transaction()
        and held[1] == resolution.id
    ):
        return resolution
    return _read_locked(Resolution.id == resolution.id, exclusive=exclusive)


class CastTarget(NamedTuple):
    """What a cast request reads before it casts, in one query."""

    #: the resolution, read under the shared lock its cast then holds, with its assembly
    resolution: Resolution
    #: the signed-in person's roll line in the assembly (None: they are not on its roll)
    caster: Delegate | None
    #: whether that roll line gave a proxy still in force (taken back if they vote in person)
    gives_proxy: bool


@functools.cache
def _cast_target_query():
    """The statement of `cast_target`, built once (the person, assembly and resolution are
    bound parameters)."""
    gives_proxy = (
        select(Proxy.id)
        .where(Proxy.giver_id == Delegate.id, Proxy.revoked_at.is_(None))
        .exists()
        .label("gives_proxy")
    )
    return (
        select(Resolution, Delegate, gives_proxy)
        .join(Resolution.assembly)
        .outerjoin(
            Delegate,
            (Delegate.assembly_id == Resolution.assembly_id)
            & (Delegate.user_id == bindparam("user_id")),
        )
        .where(
            Resolution.id == bindparam("resolution_id"),
            Resolution.assembly_id == bindparam("assembly_id"),
        )
        .options(contains_eager(Resolution.assembly))
        .with_for_update(read=True, of=Resolution)
        .execution_options(populate_existing=True)
    )


def cast_target(user, assembly_id: int, resolution_id: int) -> CastTarget | None:
    """The resolution, its assembly and the person's roll line with whether it gave a proxy, in
    one statement (the cast reads none of them again); None if the resolution is not one of this
    assembly's."""
    values = {
        "user_id": getattr(user, "id", None),
        "assembly_id": assembly_id,
        "resolution_id": resolution_id,
    }
    found = db.session.execute(_cast_target_query(), values).first()
    if found is None:
        return None
    _remember_shared_lock(found.Resolution)
    return CastTarget(found.Resolution, found.Delegate, bool(found.gives_proxy))


def open_resolution(actor: User, resolution: Resolution, *, now: datetime) -> None:
    """Open the vote on one resolution; the first opening freezes roll and texts."""
    resolution = _lock_resolution(resolution, exclusive=True)
    if resolution.status != "draft":
        raise RuleError(_l("This resolution has already been opened."))
    assembly = resolution.assembly
    _freeze(actor, assembly, now)
    resolution.status = "open"
    resolution.opened_at = now
    audit.record(actor, "assembly.open", resolution, now=now)
    append_log(assembly, "open", now=now, resolution=resolution.id, position=resolution.position)


def open_all(actor: User, assembly: Assembly, *, now: datetime) -> int:
    """Open every resolution still in draft."""
    drafts = [r for r in assembly.resolutions if r.status == "draft"]
    if not drafts:
        raise RuleError(_l("No resolution is waiting to be opened."))
    for resolution in drafts:
        open_resolution(actor, resolution, now=now)
    return len(drafts)


def close_all(actor: User, assembly: Assembly, *, now: datetime) -> int:
    """Close every open resolution."""
    opened = [r for r in assembly.resolutions if r.status == "open"]
    if not opened:
        raise RuleError(_l("No resolution is open."))
    for resolution in opened:
        close_resolution(actor, resolution, now=now)
    return len(opened)


# --------------------------------------------------------------------------- roll and proxies


def active_proxies(assembly: Assembly) -> list[Proxy]:
    """Proxies in force, oldest first."""
    return list(
        db.session.scalars(
            select(Proxy)
            .where(Proxy.assembly_id == assembly.id, Proxy.revoked_at.is_(None))
            .order_by(Proxy.given_at, Proxy.id)
        )
    )


def _proxy_map(assembly: Assembly) -> dict[int, int]:
    """giver id → holder id for the proxies in force."""
    return {p.giver_id: p.holder_id for p in active_proxies(assembly)}


def _take_back(
    delegate: Delegate, reason: str, *, actor, now: datetime, gives_proxy: bool | None = None
) -> None:
    """End the proxy a delegate gave, because they now take part themselves (``gives_proxy``
    False: read in this transaction already, none is in force)."""
    if gives_proxy is False:
        return
    for proxy in db.session.scalars(
        select(Proxy).where(Proxy.giver_id == delegate.id, Proxy.revoked_at.is_(None))
    ):
        proxy.revoked_at = now
        proxy.revoked_reason = reason
        audit.record(actor, "assembly.proxy_taken_back", proxy, now=now, reason=reason)


def record_presence(actor: User, delegate: Delegate, presence: str, *, now: datetime) -> None:
    """Record a delegate absent, present or remote; taking part takes back a proxy given."""
    if presence not in ("absent", "present", "remote"):
        raise RuleError(_l("Choose absent, present or remote."), field="presence")
    if delegate.assembly.closed_at is not None:
        raise RuleError(_l("The assembly is closed."))
    before = delegate.presence
    delegate.presence = presence
    delegate.presence_at = now
    if presence != "absent":
        _take_back(delegate, "present", actor=actor, now=now)
    db.session.flush()
    audit.record(
        actor,
        "assembly.presence",
        delegate,
        now=now,
        before={"presence": before},
        after={"presence": presence},
    )


def find_delegate(assembly: Assembly, identifier: str) -> Delegate | None:
    """A delegate of this assembly by roll identifier."""
    return db.session.scalar(
        select(Delegate).where(
            Delegate.assembly_id == assembly.id, Delegate.identifier == (identifier or "").strip()
        )
    )


def give_proxy(
    actor: User, assembly: Assembly, giver: Delegate, holder: Delegate, *, now: datetime
) -> Proxy:
    """Record a proxy within the statutes' cap; no chains, no proxy from a delegate taking part."""
    if assembly.closed_at is not None:
        raise RuleError(_l("The assembly is closed."))
    # Lock the holder so two proxies given at once cannot both pass the cap.
    db.session.execute(
        select(Delegate.id).where(Delegate.id == holder.id).with_for_update()
    ).scalar_one()
    voted_self = db.session.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.delegate_id == giver.id, Participation.cast_by_id == giver.id)
    )
    problem = rules.proxy_problem(
        giver.id,
        holder.id,
        _proxy_map(assembly),
        assembly.proxy_cap,
        giver_takes_part=giver.presence != "absent" or bool(voted_self),
    )
    if problem:
        raise RuleError(PROXY_MESSAGES[problem])
    proxy = Proxy(assembly_id=assembly.id, giver_id=giver.id, holder_id=holder.id, given_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(proxy)
            db.session.flush()
    except IntegrityError:
        raise RuleError(PROXY_MESSAGES[rules.ProxyProblem.ALREADY_GIVEN]) from None
    audit.record(
        actor,
        "assembly.proxy",
        proxy,
        now=now,
        after={"giver": giver.identifier, "holder": holder.identifier},
    )
    append_log(assembly, "proxy", now=now, giver=giver.identifier, holder=holder.identifier)
    return proxy


def revoke_proxy(actor: User, proxy: Proxy, *, now: datetime) -> None:
    """End a proxy at the officer's request."""
    if proxy.revoked_at is not None:
        raise RuleError(_l("This proxy has already ended."))
    proxy.revoked_at = now
    proxy.revoked_reason = "officer"
    audit.record(actor, "assembly.proxy_revoke", proxy, now=now)
    append_log(
        db.session.get(Assembly, proxy.assembly_id),
        "proxy_revoke",
        now=now,
        giver=proxy.giver.identifier,
        holder=proxy.holder.identifier,
    )


# --------------------------------------------------------------------------- voting


#: The statement of `roll_line`, built once: the agenda comes in the same statement (one row per
#: resolution), as the vote page shows it.
_ROLL_LINE = (
    select(Delegate)
    .join(Delegate.assembly)
    .options(contains_eager(Delegate.assembly).joinedload(Assembly.resolutions))
    .where(
        Delegate.assembly_id == bindparam("assembly_id"),
        Delegate.user_id == bindparam("user_id"),
    )
)


def roll_line(user, assembly_id: int) -> Delegate | None:
    """This signed-in person's roll line in an assembly, with the assembly and its resolutions,
    in one statement."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    found = db.session.execute(_ROLL_LINE, {"assembly_id": assembly_id, "user_id": user.id})
    return found.unique().scalar_one_or_none()


@dataclass
class Mandate:
    """A vote a delegate casts: their own or one they carry by proxy."""

    delegate: Delegate
    by_proxy: bool
    #: resolution id → who cast the counted ballot (True: the delegate themselves), if any.
    cast: dict[int, bool]


def _mandates_of_query():
    """The statement of `mandates_of`: the delegate's own roll line, then the roll line of each
    giver of a proxy in force that they carry, each with its participations (one row per
    resolution voted). Two branches of a UNION ALL rather than one WHERE with an OR, so that
    PostgreSQL finds each by an index (delegate's key, proxy's holder) instead of scanning the
    assembly's roll."""

    def lines(chosen):
        return chosen.add_columns(Participation.resolution_id, Participation.cast_by_id).outerjoin(
            Participation, Participation.delegate_id == Delegate.id
        )

    own = lines(select(Delegate)).where(
        Delegate.id == bindparam("delegate_id"), Delegate.assembly_id == bindparam("assembly_id")
    )
    carried = lines(select(Delegate).join(Proxy, Proxy.giver_id == Delegate.id)).where(
        Proxy.holder_id == bindparam("delegate_id"),
        Proxy.assembly_id == bindparam("assembly_id"),
        Proxy.revoked_at.is_(None),
    )
    both = union_all(own, carried).subquery()
    line = aliased(Delegate, both)
    return select(line, both.c.resolution_id, both.c.cast_by_id)


#: The statement of `mandates_of`, built once.
_MANDATES_OF = _mandates_of_query()


def mandates_of(delegate: Delegate) -> list[Mandate]:
    """Every vote this delegate casts, their own first, then once per proxy carried, in one
    statement. Their own is listed even when they gave it away (`rules.mandates` is asked about
    the proxies they carry only), so that they can take it back by voting."""
    delegates: dict[int, Delegate] = {}
    cast: dict[int, dict[int, bool]] = {}
    for found, resolution_id, cast_by_id in db.session.execute(
        _MANDATES_OF, {"delegate_id": delegate.id, "assembly_id": delegate.assembly_id}
    ):
        delegates[found.id] = found
        voted = cast.setdefault(found.id, {})
        if resolution_id is not None:
            voted[resolution_id] = cast_by_id == found.id
    ids = rules.mandates(delegate.id, {i: delegate.id for i in delegates if i != delegate.id})
    return [Mandate(delegates[i], i != delegate.id, cast[i]) for i in ids]


def _carries(holder: Delegate, giver: Delegate) -> bool:
    """Whether a proxy from the giver to the holder is in force."""
    return (
        db.session.scalar(
            select(Proxy.id).where(
                Proxy.giver_id == giver.id,
                Proxy.holder_id == holder.id,
                Proxy.revoked_at.is_(None),
            )
        )
        is not None
    )


def _seal(resolution_id: int, delegate_id: int) -> str:
    """The keyed link between a ballot and its voter while the vote is open.

    The key is ``ASSEMBLY_SEAL_KEY``, apart from the session key; the seals are erased at the
    close (and the rows holding them rewritten), so the key links nothing once the vote is over.
    """
    key = current_app.config["ASSEMBLY_SEAL_KEY"].encode()
    message = f"assembly-seal:{resolution_id}:{delegate_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _parse_grades(resolution: Resolution, grades) -> str:
    """Check one grade per wording and return them as canonical JSON."""
    if grades is None or len(grades) != len(resolution.wordings):
        raise RuleError(_l("Give a grade to every wording."), field="grades")
    try:
        values = [int(g) for g in grades]
    except (TypeError, ValueError):
        raise RuleError(_l("Give a grade to every wording."), field="grades") from None
    if any(not 0 <= g < len(GRADES) for g in values):
        raise RuleError(_l("Give a grade to every wording."), field="grades")
    return json.dumps(values, separators=(",", ":"))


# A cast's statements, built once. They are Core statements on the tables: a cast makes no ORM
# object of its participation or its ballot, so the session has nothing to flush or synchronise
# for them (an ORM-enabled statement, or an object and a flush, cost about 0.4 ms more each).
_PARTICIPATIONS, _BALLOTS = Participation.__table__, Ballot.__table__
#: Every column of a ballot row (its key is its random tracking code: no id orders the casts).
_BALLOT_FIELDS = ("code", "resolution_id", "choice", "grades", "weight", "seal")

#: A mandate's participation in a vote, locked until the cast commits.
_PARTICIPATION_TO_CAST = (
    select(_PARTICIPATIONS.c.id, _PARTICIPATIONS.c.delegate_id, _PARTICIPATIONS.c.cast_by_id)
    .where(
        _PARTICIPATIONS.c.resolution_id == bindparam("resolution_id"),
        _PARTICIPATIONS.c.delegate_id == bindparam("delegate_id"),
    )
    .with_for_update()
)

#: A changed vote: who cast the one that counts now, and one change more.
_CHANGE_PARTICIPATION = (
    update(_PARTICIPATIONS)
    .where(_PARTICIPATIONS.c.id == bindparam("participation_id"))
    .values(cast_by_id=bindparam("caster_id"), changes=_PARTICIPATIONS.c.changes + 1)
)

#: The ballot a changed vote replaces, found by its seal.
_REPLACED_BALLOT = delete(_BALLOTS).where(
    _BALLOTS.c.resolution_id == bindparam("resolution_id"),
    _BALLOTS.c.seal == bindparam("seal"),
)

#: The counted ballot.
_NEW_BALLOT = insert(_BALLOTS).values(table_params(_BALLOTS, _BALLOT_FIELDS))


def cast(
    actor: User,
    resolution: Resolution,
    mandate: Delegate,
    *,
    choice: str | None = None,
    grades=None,
    now: datetime,
    caster: Delegate | None = None,
    gives_proxy: bool | None = None,
) -> str:
    """Record a secret ballot for a mandate and return its tracking code.

    ``caster`` is the actor's roll line when the caller has already loaded it (checked again),
    and ``gives_proxy`` whether that line gave a proxy in force, when read with it (cast_target).
    """
    assembly = resolution.assembly
    if caster is None or caster.user_id != actor.id or caster.assembly_id != assembly.id:
        caster, gives_proxy = roll_line(actor, assembly.id), None
    if caster is None or mandate.assembly_id != assembly.id:
        raise RuleError(_l("You are not on the roll of this assembly."))
    resolution = _lock_resolution(resolution, exclusive=False)
    if resolution.status != "open":
        raise RuleError(
            _l("Voting on this resolution is closed.")
            if resolution.status == "closed"
            else _l("Voting on this resolution has not opened yet.")
        )
    by_self = mandate.id == caster.id
    if not by_self and not _carries(caster, mandate):
        raise RuleError(_l("You do not carry a proxy from this delegate."))
    if resolution.kind == "motion":
        if choice not in set(rules.Choice):
            raise RuleError(_l("Choose for, against, abstention or blank."), field="choice")
        grades_json = None
    else:
        grades_json, choice = _parse_grades(resolution, grades), None
    existing = db.session.execute(
        _PARTICIPATION_TO_CAST, {"resolution_id": resolution.id, "delegate_id": mandate.id}
    ).first()
    decision = rules.cast_decision(
        None if existing is None else existing.cast_by_id == existing.delegate_id,
        by_self,
        assembly.allow_vote_change,
    )
    if decision is rules.CastDecision.ALREADY_VOTED:
        raise RuleError(_l("A ballot is already counted for this vote; it cannot be changed."))
    if decision is rules.CastDecision.PROXY_TAKEN_BACK:
        raise RuleError(_l("This delegate has voted in person: the proxy no longer applies."))
    if by_self:
        _take_back(mandate, "voted", actor=actor, now=now, gives_proxy=gives_proxy)
    seal = _seal(resolution.id, mandate.id)
    code = rules.format_tracking_code(secrets.token_bytes(rules.CODE_BYTES))
    weight = mandate.weight
    at_the_same_moment = _l(
        "Another ballot for this vote was recorded at the same moment; yours was not"
        " counted. Reload the page to see the vote that counts."
    )
    if existing is None:
        # The one-participation constraint decides between first casts at the same moment: the
        # second inserts nothing (on PostgreSQL once the first's transaction has ended) and its
        # ballot is never written. Any unique guard, not one named target: without the guards
        # the inserts would all go through (tests/assembly/test_concurrency.py shows it).
        taken = db.session.execute(
            dialect_insert(_PARTICIPATIONS)
            .values(resolution_id=resolution.id, delegate_id=mandate.id, cast_by_id=caster.id)
            .on_conflict_do_nothing()
            .returning(_PARTICIPATIONS.c.id)
        ).scalar_one_or_none()
        if taken is None:
            raise RuleError(at_the_same_moment)
        writes, values = (_NEW_BALLOT,), {}
    else:
        db.session.execute(_REPLACED_BALLOT, {"resolution_id": resolution.id, "seal": seal})
        writes = (_CHANGE_PARTICIPATION, _NEW_BALLOT)
        values = {"participation_id": existing.id, "caster_id": caster.id}
    row = (code, resolution.id, choice, grades_json, weight, seal)
    values |= table_values(_BALLOTS, dict(zip(_BALLOT_FIELDS, row, strict=True)))
    try:
        _write_cast(
            assembly,
            writes,
            values,
            now=now,
            resolution=resolution.id,
            delegate=mandate.identifier,
            by=caster.identifier,
            replaces=existing is not None,
        )
    except IntegrityError:
        # (resolution, seal) or a tracking code already taken: the caller rolls back.
        raise RuleError(at_the_same_moment) from None
    return code


# --------------------------------------------------------------------------- tally


def ballots_of(resolution: Resolution) -> list[Ballot]:
    """The counted ballots, ordered by tracking code (which hides the casting order)."""
    return list(
        db.session.scalars(
            select(Ballot).where(Ballot.resolution_id == resolution.id).order_by(Ballot.code)
        )
    )


def published_list(ballots) -> list[dict]:
    """The public form of ballots: tracking code, choice or grades, weight."""
    return [
        {
            "code": b.code,
            "choice": b.choice,
            "grades": json.loads(b.grades) if b.grades else None,
            "weight": b.weight,
        }
        for b in ballots
    ]


def ballots_digest(published: list[dict]) -> str:
    """SHA-256 of the published ballot list, written in the chain at the tally."""
    ordered = sorted(published, key=lambda b: b["code"])
    return hashlib.sha256(rules.canonical_json(ordered).encode()).hexdigest()


def attendance_of(resolution: Resolution) -> rules.Attendance:
    """The roll as it stands for this resolution (weighted)."""
    assembly = resolution.assembly
    proxies = _proxy_map(assembly)
    voted_self = set(
        db.session.scalars(
            select(Participation.delegate_id).where(
                Participation.resolution_id == resolution.id,
                Participation.cast_by_id == Participation.delegate_id,
            )
        )
    )
    return rules.attendance(
        (d.weight, rules.delegate_presence(d.presence, d.id in proxies, d.id in voted_self))
        for d in assembly.delegates
    )


def compute_result(resolution: Resolution, published: list[dict], roll: rules.Attendance) -> dict:
    """The tally of a resolution from its published ballots: pure given its inputs."""
    assembly = resolution.assembly
    ruleset = rule_set(assembly)
    rule = ruleset.rule_for(resolution.category, assembly.convocation)
    result = {"attendance": roll.as_dict(), "ballots": len(published)}
    if resolution.kind == "motion":
        counts = rules.tally((b["choice"], b["weight"]) for b in published)
        decision = rules.decide(counts, roll, rule, ruleset.majority_base, ruleset.cast_choices)
        result.update(counts=counts.as_dict(), decision=decision.as_dict())
        result["outcome"] = decision.outcome.value
        return result
    # Alternative wordings: majority judgment, each ballot weighing its delegate's weight.
    profiles = {w.position: [0] * len(GRADES) for w in resolution.wordings}
    for ballot in published:
        for wording, grade in zip(resolution.wordings, ballot["grades"], strict=True):
            profiles[wording.position][grade] += ballot["weight"]
    reached = rules.quorum_reached(roll.participating, roll.in_office, rule.quorum)
    ranking = rules.mj_rank(profiles) if published else []
    winners = [r.key for r in ranking if r.rank == 1]
    result["profiles"] = {str(k): v for k, v in profiles.items()}
    result["ranking"] = [
        {
            "wording": r.key,
            "rank": r.rank,
            "grade": r.gauge.grade,
            "above": r.gauge.above,
            "below": r.gauge.below,
        }
        for r in ranking
    ]
    result["quorum_reached"] = reached
    result["quorum"] = str(rule.quorum) if rule.quorum else None
    result["quorum_required"] = rule.quorum.ceil_of(roll.in_office) if rule.quorum else 0
    if not reached:
        result["outcome"] = rules.Outcome.NO_QUORUM.value
    elif len(winners) == 1:
        result["outcome"] = rules.Outcome.ADOPTED.value
        result["chosen"] = winners[0]
    else:
        result["outcome"] = rules.Outcome.REJECTED.value  # no ballot, or a perfect tie
    return result


def _unit_rows(resolution_id: int, rows) -> list[dict]:
    """The closed resolution's ballots as stored for good: a ballot of one vote as it is, a ballot
    carrying a weight w as w ballots of one vote with codes derived from its own (a weight held by
    one delegate would otherwise single out their ballot), all without seals, in code order."""
    stored = []
    for row in rows:
        codes = [row.code] if row.weight == 1 else rules.unit_codes(row.code, 1, row.weight + 1)
        stored.extend(
            {
                "code": code,
                "resolution_id": resolution_id,
                "choice": row.choice,
                "grades": row.grades,
                "weight": 1,
                "seal": None,
            }
            for code in codes
        )
    return sorted(stored, key=lambda ballot: ballot["code"])


def _rewrite_ballots(resolution: Resolution) -> None:
    """Store the closed resolution's ballots anew, one vote each, without seals, in code order.

    Rows written as votes arrived sit in casting order (SQLite's rowid, PostgreSQL's physical
    order), the order in which the chain records who voted: rewritten in the order of their random
    codes, they keep nothing of it. The old row versions are scrubbed after the commit.
    """
    rows = db.session.execute(
        select(Ballot.code, Ballot.choice, Ballot.grades, Ballot.weight).where(
            Ballot.resolution_id == resolution.id
        )
    ).all()
    db.session.execute(delete(Ballot).where(Ballot.resolution_id == resolution.id))
    stored = _unit_rows(resolution.id, rows)
    for start in range(0, len(stored), 5000):
        db.session.execute(insert(Ballot), stored[start : start + 5000])
    scrub_after_commit()


def scrub_after_commit() -> None:
    """Scrub the ballot table's old row versions once this transaction has committed."""
    session = db.session()
    if not session.info.get("assembly_scrub"):
        session.info["assembly_scrub"] = True

        @event.listens_for(session, "after_commit", once=True)
        def _scrub(committed):
            committed.info.pop("assembly_scrub", None)
            scrub_storage(db.engine)

        @event.listens_for(session, "after_rollback", once=True)
        def _forget(rolled_back):
            rolled_back.info.pop("assembly_scrub", None)


def scrub_storage(engine) -> bool:
    """Make the deleted versions of ballot rows unreadable; True when done, False if put off.

    PostgreSQL keeps dead row versions (with their seals and casting order) in the table's pages.
    ``VACUUM FULL`` is not enough: it copies every version that a snapshot still open anywhere in
    the database might see (a report, an idle transaction), seals included. So the table is
    emptied with ``TRUNCATE``, which gives it new files whatever the snapshots, and its live rows
    are written back in tracking-code order, in one transaction under an exclusive lock (given up
    after a few seconds if a transaction is using the table, a backup for example; ``consult
    assembly scrub`` retries). The old files are dropped at the commit. SQLite zeroes deleted
    content itself (``secure_delete``); its write-ahead log still holds the old pages until a
    checkpoint truncates it, which a reader still on them puts off.
    """
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                connection.exec_driver_sql("LOCK TABLE assembly_ballot IN ACCESS EXCLUSIVE MODE")
                connection.exec_driver_sql(
                    "CREATE TEMPORARY TABLE assembly_ballot_kept ON COMMIT DROP"
                    " AS SELECT * FROM assembly_ballot"
                )
                connection.exec_driver_sql("TRUNCATE assembly_ballot")
                connection.exec_driver_sql(
                    "INSERT INTO assembly_ballot SELECT * FROM assembly_ballot_kept"
                    " ORDER BY resolution_id, code"
                )
            return True
        raw = engine.raw_connection()
        try:
            busy, _, _ = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        return not busy
    except DBAPIError:
        current_app.logger.warning(
            "assembly: ballot storage not scrubbed yet; run the scrub command"
        )
        return False


def close_resolution(actor: User, resolution: Resolution, *, now: datetime) -> dict:
    """Close the vote, tally it, rewrite the ballots without seals and chain the result."""
    resolution = _lock_resolution(resolution, exclusive=True)
    if resolution.status != "open":
        raise RuleError(_l("This resolution is not open."))
    assembly = resolution.assembly
    resolution.status = "closed"
    resolution.closed_at = now
    _rewrite_ballots(resolution)
    published = published_list(ballots_of(resolution))
    result = compute_result(resolution, published, attendance_of(resolution))
    resolution.result_json = rules.canonical_json(result)
    resolution.outcome = result["outcome"]
    audit.record(actor, "assembly.close", resolution, now=now, after={"outcome": result["outcome"]})
    append_log(assembly, "close", now=now, resolution=resolution.id)
    append_log(
        assembly,
        "tally",
        now=now,
        resolution=resolution.id,
        ballots_digest=ballots_digest(published),
        result=result,
    )
    if all(r.status == "closed" for r in assembly.resolutions):
        assembly.closed_at = now
        append_log(assembly, "assembly_closed", now=now)
    return result


def is_public(assembly: Assembly) -> bool:
    """Results, minutes and tracking codes are public once the assembly is closed."""
    return assembly.closed_at is not None


def results(assembly: Assembly) -> dict:
    """Everything the minutes, the CSV and the JSON API publish."""
    ruleset = rule_set(assembly)
    return {
        "assembly": {
            "id": assembly.id,
            "title": assembly.title,
            "held_on": assembly.held_on.isoformat(),
            "convocation": assembly.convocation,
            "freeze_hash": assembly.freeze_hash,
            "frozen_at": assembly.frozen_at.isoformat() if assembly.frozen_at else None,
            "closed_at": assembly.closed_at.isoformat() if assembly.closed_at else None,
            "majority_base": ruleset.majority_base.value,
            "proxy_cap": assembly.proxy_cap,
        },
        "resolutions": [
            {
                "position": r.position,
                "title": r.title,
                "text": r.body,
                "category": r.category,
                "kind": r.kind,
                "status": r.status,
                "wordings": [{"position": w.position, "text": w.body} for w in r.wordings],
                "result": json.loads(r.result_json) if r.result_json else None,
            }
            for r in assembly.resolutions
        ],
    }


def ballots_page(resolution: Resolution, page: int, per_page: int) -> tuple[list[dict], int]:
    """One page of a closed resolution's published ballots, and how many there are."""
    total = db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.resolution_id == resolution.id)
    )
    ballots = db.session.scalars(
        select(Ballot)
        .where(Ballot.resolution_id == resolution.id)
        .order_by(Ballot.code)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return published_list(ballots), total


def tracking_codes(assembly: Assembly) -> list[tuple[Resolution, list[dict]]]:
    """The published ballots of each closed resolution."""
    return [
        (r, published_list(ballots_of(r))) for r in assembly.resolutions if r.status == "closed"
    ]


class Found(NamedTuple):
    """A tracking code looked up: its resolution, its (first) published ballot, and how many
    votes the published ballots it gave carry (more than 1 for a weighted delegate)."""

    resolution: Resolution
    ballot: Ballot
    votes: int
    #: The tracking code as looked up (normalised).
    code: str


UNIT_LOOKUP = 500


def find_code(assembly: Assembly, text: str) -> Found | None:
    """The ballot behind a tracking code, once its resolution is closed; for a weighted ballot,
    the one-vote ballots derived from the code that carry the same choice."""
    code = rules.normalize_tracking_code(text or "")
    if code is None:
        return None
    ballot, votes = db.session.get(Ballot, code), 1
    if ballot is None:
        units, start = [], 1
        while True:
            wanted = rules.unit_codes(code, start, start + UNIT_LOOKUP)
            found = {
                b.code: b for b in db.session.scalars(select(Ballot).where(Ballot.code.in_(wanted)))
            }
            units.extend(found[c] for c in wanted if c in found)
            if len(found) < UNIT_LOOKUP:
                break
            start += UNIT_LOOKUP
        if not units:
            return None
        ballot = units[0]
        votes = sum(
            1
            for unit in units
            if (unit.resolution_id, unit.choice, unit.grades)
            == (ballot.resolution_id, ballot.choice, ballot.grades)
        )
    resolution = db.session.get(Resolution, ballot.resolution_id)
    if resolution.assembly_id != assembly.id or resolution.status != "closed":
        return None
    return Found(resolution, ballot, votes * ballot.weight, code)


# --------------------------------------------------------------------------- verification


def verify(assembly: Assembly) -> list[str]:
    """Recompute every tally from the published ballots and check the chain; [] when sound."""
    problems: list[str] = []
    entries = log_entries(assembly)
    payloads = [json.loads(e.payload) for e in entries]
    broken = rules.first_broken_link(
        (p, e.previous_hash, e.hash) for p, e in zip(payloads, entries, strict=True)
    )
    if broken is not None:
        problems.append(f"chain broken at entry {entries[broken].seq}")
    if [e.seq for e in entries] != list(range(1, len(entries) + 1)):
        problems.append("chain has gaps in its sequence numbers")
    freezes = [p for p in payloads if p.get("action") == "freeze"]
    if assembly.frozen_at is not None:
        if compute_freeze_hash(assembly) != assembly.freeze_hash:
            problems.append("roll or texts changed after the freeze")
        if not freezes or freezes[-1].get("hash") != assembly.freeze_hash:
            problems.append("freeze hash differs from the chain")
    if assembly.closed_at is not None and db.session.scalar(
        select(func.count())
        .select_from(PendingLogEntry)
        .where(PendingLogEntry.assembly_id == assembly.id)
    ):
        problems.append("casts recorded but never sealed into the chain")
    tallies = {p["resolution"]: p for p in payloads if p.get("action") == "tally"}
    weights = {d.identifier: d.weight for d in assembly.delegates}  # the frozen roll's
    for resolution in assembly.resolutions:
        if resolution.status != "closed":
            continue
        published = published_list(ballots_of(resolution))
        entry = tallies.get(resolution.id)
        label = f"resolution {resolution.position}"
        if entry is None:
            problems.append(f"{label}: no tally in the chain")
            continue
        if entry["ballots_digest"] != ballots_digest(published):
            problems.append(f"{label}: published ballots differ from those tallied")
        roll = rules.Attendance(**entry["result"]["attendance"])
        recomputed = compute_result(resolution, published, roll)
        if recomputed != entry["result"]:
            problems.append(f"{label}: recount differs from the chained tally")
        if resolution.result_json != rules.canonical_json(entry["result"]):
            problems.append(f"{label}: stored result differs from the chained tally")
        casts = {
            p["delegate"]
            for p in payloads
            if p.get("action") == "cast" and p.get("resolution") == resolution.id
        }
        votes = sum(weights.get(identifier, 0) for identifier in casts)
        published_votes = sum(b["weight"] for b in published)
        if votes != published_votes:
            problems.append(
                f"{label}: {len(casts)} voters in the chain carrying {votes} votes,"
                f" {published_votes} votes in the published ballots"
            )
    return problems
