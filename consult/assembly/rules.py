"""Pure rules of the general-assembly vote (Code de la mutualité, art. L114-12).

Plain functions on plain values: no Flask, no session, no query. Every comparison between a
count and a fraction is done with integers (``part * den >= num * whole``), never with floats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cmp_to_key
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Choice(StrEnum):
    """What a delegate may answer to a resolution; each is stored and counted separately."""

    FOR = "for"
    AGAINST = "against"
    ABSTENTION = "abstention"
    BLANK = "blank"


class Category(StrEnum):
    """The kind of decision: it selects the quorum and the majority."""

    STATUTORY = "statutory"
    ORDINARY = "ordinary"


class MajorityBase(StrEnum):
    """What the majority is a fraction of, as the statutes set."""

    VOTES_CAST = "votes_cast"
    PRESENT_REPRESENTED = "present_represented"


class Outcome(StrEnum):
    """The result written in the minutes for one resolution."""

    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


class Presence(StrEnum):
    """How a delegate takes part in the assembly."""

    ABSENT = "absent"
    PRESENT = "present"
    REMOTE = "remote"
    REPRESENTED = "represented"


# --------------------------------------------------------------------------- fractions


@dataclass(frozen=True, order=True)
class Ratio:
    """A fraction kept as two integers so that thresholds are exact."""

    num: int
    den: int

    def __post_init__(self) -> None:
        """Refuse fractions outside [0, 1] and zero denominators early."""
        if self.den <= 0 or self.num < 0 or self.num > self.den:
            raise ValueError(f"invalid ratio {self.num}/{self.den}")

    @classmethod
    def parse(cls, text: str) -> Ratio:
        """Read ``"2/3"`` (or ``"1"`` / ``"0"``) as written in statutes or settings."""
        text = text.strip()
        if "/" in text:
            num, _, den = text.partition("/")
        else:
            num, den = text, "1"
        try:
            return cls(int(num.strip()), int(den.strip()))
        except ValueError as exc:
            raise ValueError(f"invalid ratio {text!r}") from exc

    def __str__(self) -> str:
        """Write the fraction the way the minutes print it."""
        return f"{self.num}/{self.den}"

    def ceil_of(self, whole: int) -> int:
        """Smallest integer ``n`` with ``n / whole >= self`` (the count needed to reach it)."""
        return -((-self.num * whole) // self.den)


def at_least(part: int, whole: int, ratio: Ratio) -> bool:
    """Whether ``part / whole >= ratio``, in integers."""
    return part * ratio.den >= ratio.num * whole


def more_than(part: int, whole: int, ratio: Ratio) -> bool:
    """Whether ``part / whole > ratio``, in integers."""
    return part * ratio.den > ratio.num * whole


# --------------------------------------------------------------------------- rule sets


@dataclass(frozen=True)
class VoteRule:
    """Quorum and majority for one category of decision on one convocation."""

    #: share of the delegates in office that must take part; None means no quorum
    quorum: Ratio | None
    #: share of the majority base that must vote for
    majority: Ratio
    #: True for "more than" (simple majority), False for "at least" (2/3)
    strict: bool


@dataclass(frozen=True)
class RuleSet:
    """The organisation's voting rules, snapshotted into each assembly and its frozen hash."""

    rules: Mapping[tuple[Category, int], VoteRule]
    majority_base: MajorityBase = MajorityBase.VOTES_CAST
    #: the choices that count as votes cast (suffrages exprimés)
    cast_choices: frozenset[Choice] = frozenset({Choice.FOR, Choice.AGAINST})

    def rule_for(self, category: Category | str, convocation: int) -> VoteRule:
        """The rule that applies to a resolution of this category on this convocation."""
        return self.rules[(Category(category), 1 if convocation <= 1 else 2)]

    def to_dict(self) -> dict:
        """A JSON-ready description, stable enough to be hashed."""
        return {
            "majority_base": self.majority_base.value,
            "cast_choices": sorted(c.value for c in self.cast_choices),
            "rules": [
                {
                    "category": category.value,
                    "convocation": convocation,
                    "quorum": str(rule.quorum) if rule.quorum else None,
                    "majority": str(rule.majority),
                    "strict": rule.strict,
                }
                for (category, convocation), rule in sorted(self.rules.items())
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> RuleSet:
        """Rebuild a rule set from :meth:`to_dict` output (or a settings file)."""
        rules = {
            (Category(item["category"]), int(item["convocation"])): VoteRule(
                quorum=Ratio.parse(item["quorum"]) if item.get("quorum") else None,
                majority=Ratio.parse(item["majority"]),
                strict=bool(item["strict"]),
            )
            for item in data["rules"]
        }
        missing = {(c, n) for c in Category for n in (1, 2)} - set(rules)
        if missing:
            raise ValueError(f"rules missing for {sorted(missing)}")
        return cls(
            rules=rules,
            majority_base=MajorityBase(data.get("majority_base", MajorityBase.VOTES_CAST)),
            cast_choices=frozenset(
                Choice(c) for c in data.get("cast_choices", (Choice.FOR, Choice.AGAINST))
            ),
        )


#: Defaults: L114-12 for statutory decisions (1/2 then 1/4, 2/3 at least); common practice for
#: ordinary ones (1/4 then none, more than half). Organisations override them in settings.
DEFAULT_RULES = RuleSet(
    rules={
        (Category.STATUTORY, 1): VoteRule(Ratio(1, 2), Ratio(2, 3), strict=False),
        (Category.STATUTORY, 2): VoteRule(Ratio(1, 4), Ratio(2, 3), strict=False),
        (Category.ORDINARY, 1): VoteRule(Ratio(1, 4), Ratio(1, 2), strict=True),
        (Category.ORDINARY, 2): VoteRule(None, Ratio(1, 2), strict=True),
    }
)


# --------------------------------------------------------------------------- tally


@dataclass(frozen=True)
class Counts:
    """Weighted totals of the counted ballots of one resolution."""

    for_: int = 0
    against: int = 0
    abstention: int = 0
    blank: int = 0

    def of(self, choice: Choice | str) -> int:
        """The total for one choice."""
        return {
            Choice.FOR: self.for_,
            Choice.AGAINST: self.against,
            Choice.ABSTENTION: self.abstention,
            Choice.BLANK: self.blank,
        }[Choice(choice)]

    @property
    def total(self) -> int:
        """Every counted ballot, whatever its choice."""
        return self.for_ + self.against + self.abstention + self.blank

    def votes_cast(self, cast_choices: Iterable[Choice] = (Choice.FOR, Choice.AGAINST)) -> int:
        """Suffrages exprimés: the choices the statutes count as cast."""
        return sum(self.of(c) for c in set(cast_choices))

    def as_dict(self) -> dict[str, int]:
        """Choice value → total, for JSON and CSV."""
        return {c.value: self.of(c) for c in Choice}


def tally(ballots: Iterable[tuple[Choice | str, int]]) -> Counts:
    """Add up ``(choice, weight)`` ballots; the tally is a pure function of the ballot list."""
    totals = dict.fromkeys(Choice, 0)
    for choice, weight in ballots:
        if weight < 0:
            raise ValueError("negative ballot weight")
        totals[Choice(choice)] += weight
    return Counts(
        for_=totals[Choice.FOR],
        against=totals[Choice.AGAINST],
        abstention=totals[Choice.ABSTENTION],
        blank=totals[Choice.BLANK],
    )


def final_ballots(casts: Iterable[tuple[K, V]]) -> dict[K, V]:
    """Keep the last cast of each voter (``(voter, ballot)`` in order): the last one counts."""
    last: dict[K, V] = {}
    for voter, ballot in casts:
        last.pop(voter, None)  # re-insert so the order reflects the last cast
        last[voter] = ballot
    return last


# --------------------------------------------------------------------------- attendance


@dataclass(frozen=True)
class Attendance:
    """The roll as the minutes state it (weighted when the statutes weight votes)."""

    in_office: int = 0
    present: int = 0
    represented: int = 0
    remote: int = 0

    @property
    def participating(self) -> int:
        """Present, represented, by correspondence or electronic: what the quorum counts."""
        return self.present + self.represented + self.remote

    def as_dict(self) -> dict[str, int]:
        """Field → value, for JSON and CSV."""
        return {
            "in_office": self.in_office,
            "present": self.present,
            "represented": self.represented,
            "remote": self.remote,
        }


def delegate_presence(marked: Presence | str, has_proxy_given: bool, voted_self: bool) -> Presence:
    """How one delegate counts: a delegate who votes takes part, which takes back a proxy given."""
    marked = Presence(marked)
    if marked in (Presence.PRESENT, Presence.REMOTE):
        return marked
    if voted_self:
        return Presence.REMOTE
    if has_proxy_given:
        return Presence.REPRESENTED
    return Presence.ABSENT


def attendance(entries: Iterable[tuple[int, Presence | str]]) -> Attendance:
    """Sum ``(weight, presence)`` over the delegates in office."""
    totals = dict.fromkeys(Presence, 0)
    in_office = 0
    for weight, presence in entries:
        in_office += weight
        totals[Presence(presence)] += weight
    return Attendance(
        in_office=in_office,
        present=totals[Presence.PRESENT],
        represented=totals[Presence.REPRESENTED],
        remote=totals[Presence.REMOTE],
    )


# --------------------------------------------------------------------------- decision


def quorum_reached(participating: int, in_office: int, quorum: Ratio | None) -> bool:
    """Whether enough delegates take part; an assembly with nobody in office never deliberates."""
    if quorum is None:
        return True
    return in_office > 0 and at_least(participating, in_office, quorum)


@dataclass(frozen=True)
class Decision:
    """Everything the minutes print for one resolution's outcome."""

    quorum: Ratio | None
    quorum_required: int
    quorum_reached: bool
    base: MajorityBase
    base_value: int
    majority: Ratio
    strict: bool
    required_for: int
    outcome: Outcome

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "quorum": str(self.quorum) if self.quorum else None,
            "quorum_required": self.quorum_required,
            "quorum_reached": self.quorum_reached,
            "majority_base": self.base.value,
            "majority_base_value": self.base_value,
            "majority": str(self.majority),
            "strict": self.strict,
            "required_for": self.required_for,
            "outcome": self.outcome.value,
        }


def required_for(base_value: int, majority: Ratio, strict: bool) -> int:
    """The smallest number of votes for that adopts (never less than 1)."""
    if strict:
        needed = (majority.num * base_value) // majority.den + 1
    else:
        needed = majority.ceil_of(base_value)
    return max(needed, 1)


def decide(
    counts: Counts,
    roll: Attendance,
    rule: VoteRule,
    base: MajorityBase = MajorityBase.VOTES_CAST,
    cast_choices: Iterable[Choice] = (Choice.FOR, Choice.AGAINST),
) -> Decision:
    """Apply quorum then majority; with no votes at all a resolution is rejected."""
    reached = quorum_reached(roll.participating, roll.in_office, rule.quorum)
    if base is MajorityBase.VOTES_CAST:
        base_value = counts.votes_cast(cast_choices)
    else:
        # Everyone present or represented counts, including those whose ballot is not cast.
        base_value = max(roll.participating, counts.total)
    needed = required_for(base_value, rule.majority, rule.strict)
    if not reached:
        outcome = Outcome.NO_QUORUM
    elif base_value > 0 and counts.for_ >= needed:
        outcome = Outcome.ADOPTED
    else:
        outcome = Outcome.REJECTED
    return Decision(
        quorum=rule.quorum,
        quorum_required=rule.quorum.ceil_of(roll.in_office) if rule.quorum else 0,
        quorum_reached=reached,
        base=base,
        base_value=base_value,
        majority=rule.majority,
        strict=rule.strict,
        required_for=needed,
        outcome=outcome,
    )


# --------------------------------------------------------------------------- proxies


class ProxyProblem(StrEnum):
    """Why a proxy cannot be given; the service turns each into a French message."""

    SELF = "self"
    ALREADY_GIVEN = "already_given"
    HOLDER_GAVE = "holder_gave"
    GIVER_HOLDS = "giver_holds"
    CAP_REACHED = "cap_reached"
    GIVER_TAKES_PART = "giver_takes_part"


def proxy_problem(
    giver: K,
    holder: K,
    active: Mapping[K, K],
    cap: int,
    giver_takes_part: bool = False,
) -> ProxyProblem | None:
    """Check a new proxy against the active ones (giver → holder); None when it may be given.

    No chains: a holder cannot have given their own proxy, and a giver cannot hold any.
    """
    if giver == holder:
        return ProxyProblem.SELF
    if giver_takes_part:
        return ProxyProblem.GIVER_TAKES_PART
    if giver in active:
        return ProxyProblem.ALREADY_GIVEN
    if holder in active:
        return ProxyProblem.HOLDER_GAVE
    if any(h == giver for h in active.values()):
        return ProxyProblem.GIVER_HOLDS
    if sum(1 for h in active.values() if h == holder) >= cap:
        return ProxyProblem.CAP_REACHED
    return None


def mandates(delegate: K, active: Mapping[K, K]) -> list[K]:
    """Whose votes a delegate casts: their own (unless given away), then each giver's once."""
    own = [] if delegate in active else [delegate]
    return own + sorted((g for g, h in active.items() if h == delegate), key=str)


class CastDecision(StrEnum):
    """What happens to a new cast for one delegate and resolution."""

    NEW = "new"
    REPLACE = "replace"
    ALREADY_VOTED = "already_voted"
    PROXY_TAKEN_BACK = "proxy_taken_back"


def cast_decision(
    existing_by_self: bool | None,
    by_self: bool,
    allow_change: bool,
) -> CastDecision:
    """Decide a cast given the existing one (None, by the delegate, or by their proxy holder).

    A delegate who votes in person takes back the proxy: their vote replaces the holder's
    even when changes are not allowed, and the holder can no longer vote for them.
    """
    if existing_by_self is None:
        return CastDecision.NEW
    if existing_by_self and not by_self:
        return CastDecision.PROXY_TAKEN_BACK
    if by_self and not existing_by_self:
        return CastDecision.REPLACE
    return CastDecision.REPLACE if allow_change else CastDecision.ALREADY_VOTED


# --------------------------------------------------------------------------- majority judgment


def _lower_median_index(counts: Sequence[int]) -> int:
    """Index (best grade first) of the lower middlemost grade of a grade distribution."""
    total = sum(counts)
    if total <= 0:
        raise ValueError("no grades")
    rank = total // 2 + 1  # 1-based rank from the best, i.e. the lower median for even totals
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= rank:
            return index
    raise AssertionError("unreachable")  # pragma: no cover


def majority_grade(counts: Sequence[int]) -> int:
    """The majority grade (lower median) of ``counts``, listed best grade first."""
    return _lower_median_index(counts)


def majority_value(counts: Sequence[int]) -> Iterator[int]:
    """Balinski-Laraki majority value: the majority grade, removed one vote at a time."""
    remaining = list(counts)
    for _ in range(sum(counts)):
        index = _lower_median_index(remaining)
        yield index
        remaining[index] -= 1


def mj_compare(a: Sequence[int], b: Sequence[int]) -> int:
    """1 when ``a`` is ranked before ``b``, -1 after, 0 for a perfect tie (same vote totals)."""
    if len(a) != len(b) or sum(a) != sum(b):
        raise ValueError("compare grade distributions over the same grades and voters")
    for grade_a, grade_b in zip(majority_value(a), majority_value(b), strict=True):
        if grade_a != grade_b:
            return 1 if grade_a < grade_b else -1  # smaller index = better grade
    return 0


@dataclass(frozen=True)
class Gauge:
    """Majority gauge (p, grade, q): shares strictly above and strictly below the grade."""

    above: int
    grade: int
    below: int


def mj_gauge(counts: Sequence[int]) -> Gauge:
    """The majority gauge shown beside each wording."""
    grade = majority_grade(counts)
    return Gauge(above=sum(counts[:grade]), grade=grade, below=sum(counts[grade + 1 :]))


@dataclass(frozen=True)
class Ranked:
    """One wording's place in a majority-judgment result."""

    key: Hashable
    rank: int
    gauge: Gauge


def mj_rank(profiles: Mapping[Hashable, Sequence[int]]) -> list[Ranked]:
    """Rank wordings by majority value; perfect ties share a rank (listed in key order)."""
    keys = sorted(profiles, key=str)
    ordered = sorted(keys, key=cmp_to_key(lambda x, y: -mj_compare(profiles[x], profiles[y])))
    ranked: list[Ranked] = []
    for position, key in enumerate(ordered):
        if ranked and mj_compare(profiles[key], profiles[ranked[-1].key]) == 0:
            rank = ranked[-1].rank
        else:
            rank = position + 1
        ranked.append(Ranked(key=key, rank=rank, gauge=mj_gauge(profiles[key])))
    return ranked


def grade_counts(grades: Iterable[int], grade_count: int) -> list[int]:
    """Turn a list of grade indexes (best first) into a distribution."""
    counts = [0] * grade_count
    for grade in grades:
        counts[grade] += 1
    return counts


# --------------------------------------------------------------------------- codes and hashes

#: Crockford's base 32: no I, L, O, U, so codes read aloud and typed back survive.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits: guessing another ballot's code is hopeless
CODE_BYTES = 8


def format_tracking_code(raw: bytes) -> str:
    """Turn random bytes (from ``secrets``) into a ``XXXX-XXXX-XXXX`` tracking code."""
    if len(raw) < CODE_BYTES:
        raise ValueError("tracking codes need 8 random bytes")
    number = int.from_bytes(raw[:CODE_BYTES], "big") >> 4  # keep 60 bits: 12 digits of 5 bits
    chars = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(CODE_ALPHABET[digit])
    code = "".join(chars)
    return "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def unit_codes(receipt: str, start: int, stop: int) -> list[str]:
    """The codes of the one-vote ballots ``start`` to ``stop - 1`` (from 1) that publish a ballot
    carrying several votes, derived from its tracking code (SHA-256): its voter finds them again
    from the receipt, nobody else can tell which published ballots came from one voter."""
    return [
        format_tracking_code(hashlib.sha256(f"assembly-unit:{receipt}:{i}".encode()).digest())
        for i in range(start, stop)
    ]


def normalize_tracking_code(text: str) -> str | None:
    """Read a code as a person types it (any case, spaces, O for 0, I/L for 1); None if invalid."""
    cleaned = "".join(text.upper().split()).replace("-", "")
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def canonical_json(value: object) -> str:
    """One spelling per value, so hashes are reproducible by anyone."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


GENESIS_HASH = "0" * 64


def chain_hash(previous: str, payload: Mapping) -> str:
    """Hash of one audit entry, bound to the previous entry's hash."""
    data = f"{previous}\n{canonical_json(payload)}".encode()
    return hashlib.sha256(data).hexdigest()


def build_chain(payloads: Iterable[Mapping]) -> list[str]:
    """The hashes of a sequence of entries, from the genesis hash."""
    hashes, previous = [], GENESIS_HASH
    for payload in payloads:
        previous = chain_hash(previous, payload)
        hashes.append(previous)
    return hashes


def first_broken_link(entries: Iterable[tuple[Mapping, str, str]]) -> int | None:
    """Index of the first ``(payload, previous, hash)`` entry that breaks the chain, or None."""
    expected_previous = GENESIS_HASH
    for index, (payload, previous, recorded) in enumerate(entries):
        if previous != expected_previous or chain_hash(previous, payload) != recorded:
            return index
        expected_previous = recorded
    return None


def freeze_digest(roll: Iterable[Mapping], texts: Iterable[Mapping], rules: Mapping) -> str:
    """SHA-256 of the frozen roll, resolution texts and rules, in a canonical order."""
    document = {
        "roll": sorted((dict(r) for r in roll), key=lambda r: str(r.get("identifier"))),
        "texts": sorted((dict(t) for t in texts), key=lambda t: (t.get("position"), t.get("id"))),
        "rules": dict(rules),
    }
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


# --------------------------------------------------------------------------- roll import


MAX_WEIGHT = 1_000_000


@dataclass(frozen=True)
class RollRow:
    """One delegate read from a line of the roll."""

    identifier: str
    name: str
    email: str
    section: str
    weight: int = 1


def read_delegate(values: dict[str, str]) -> RollRow | tuple[str, str]:
    """One line of the roll as a delegate, or the problem's code and the value at fault.

    Codes: missing_value, bad_email, bad_weight (see `consult.assembly.imports` for the words).
    """
    row = {k: " ".join((v or "").split()) for k, v in values.items()}
    identifier, name, email = row.get("identifier", ""), row.get("name", ""), row.get("email", "")
    if not identifier or not name:
        return ("missing_value", "identifier/name")
    email = email.lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        return ("bad_email", row.get("email", ""))
    weight_text = row.get("weight", "") or "1"
    if not weight_text.isdigit() or not 1 <= int(weight_text) <= MAX_WEIGHT:
        return ("bad_weight", weight_text)
    return RollRow(
        identifier[:40], name[:200], email[:254], row.get("section", "")[:120], int(weight_text)
    )
