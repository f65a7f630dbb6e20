"""Pure rules for citizen panels: profiles, quotas, duplicates, commitment, seeds, questionnaires.

No Flask, no session, no query: plain values in, plain values out. The draw itself (linear
programming with HiGHS) lives in :mod:`consult.panels.draw`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from consult.accounts.rules import normalise_email as valid_email
from consult.core.i18n import lazy_gettext as _l

#: Version of the canonical serialisation and of the draw; part of every commitment.
DRAW_FORMAT = "consult-panels/1"

#: The draw methods an organiser may choose.
METHODS = ("leximin", "maximin")


class PanelInputError(ValueError):
    """Inputs that cannot describe a draw (unknown feature, duplicate key, bad size)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Volunteer:
    """A volunteer as the draw sees them: a published pseudonymous key and profile values."""

    key: str
    features: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, key: str, features: Mapping[str, str]) -> Volunteer:
        """Build from a mapping, sorted so that two equal profiles compare equal."""
        return cls(str(key), tuple(sorted((str(f), str(v)) for f, v in features.items())))

    def value(self, feature: str) -> str | None:
        """The volunteer's value for a feature, or None when it is missing."""
        for name, value in self.features:
            if name == feature:
                return value
        return None


@dataclass(frozen=True)
class Quota:
    """Per panel, the number of seats for one feature value: minimum and maximum inclusive."""

    feature: str
    value: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class PanelSpec:
    """One panel to fill: its name, its number of seats and its quotas."""

    name: str
    size: int
    quotas: tuple[Quota, ...] = field(default=())

    def quota_for(self, feature: str, value: str) -> Quota | None:
        """The quota on one feature value, or None when that value is unconstrained."""
        for quota in self.quotas:
            if quota.feature == feature and quota.value == value:
                return quota
        return None


def quoted_features(panels: Sequence[PanelSpec]) -> tuple[str, ...]:
    """The features constrained by at least one panel, sorted (they define volunteer types)."""
    return tuple(sorted({q.feature for p in panels for q in p.quotas}))


def check_inputs(volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec]) -> None:
    """Refuse inputs that do not describe a draw, before any solver runs."""
    if not panels:
        raise PanelInputError("At least one panel is needed.")
    names = [p.name for p in panels]
    if len(set(names)) != len(names):
        raise PanelInputError("Two panels have the same name.")
    for panel in panels:
        if panel.size < 1:
            raise PanelInputError(f"Panel {panel.name!r} must have at least one seat.")
        seen = set()
        for quota in panel.quotas:
            if (quota.feature, quota.value) in seen:
                raise PanelInputError(
                    f"Panel {panel.name!r} has two quotas for {quota.feature} = {quota.value}."
                )
            seen.add((quota.feature, quota.value))
            if quota.minimum < 0 or quota.maximum < 0:
                raise PanelInputError("Quotas cannot be negative.")
    keys = [v.key for v in volunteers]
    if len(set(keys)) != len(keys):
        raise PanelInputError("Two volunteers have the same key.")
    features = quoted_features(panels)
    for volunteer in volunteers:
        for feature in features:
            if volunteer.value(feature) is None:
                raise PanelInputError(
                    f"Volunteer {volunteer.key!r} has no value for the feature {feature!r}."
                )


# --------------------------------------------------------------------------- infeasibility


@dataclass(frozen=True)
class Constraint:
    """One reason why quotas cannot be met, with the figures that prove it.

    ``kind`` is one of:
    ``min_above_max`` (a quota whose minimum exceeds its maximum),
    ``minimums_exceed_size`` (the minimums of one feature add up to more than the seats),
    ``maximums_below_size`` (the maximums of one feature, counting the volunteers' values,
    leave seats that nobody may take), ``not_enough_volunteers`` (the panels together need more
    people with one value than the pool holds), ``pool_too_small`` (fewer volunteers than seats),
    and ``combination`` (quotas that each hold alone but not together: ``bounds`` lists them).
    """

    kind: str
    panel: str | None = None
    feature: str | None = None
    value: str | None = None
    needed: int | None = None
    available: int | None = None
    bounds: tuple[tuple[str, str, str, str, int], ...] = ()

    def describe(self) -> str:
        """An English sentence naming the constraint (the services translate with the fields)."""
        if self.kind == "min_above_max":
            return (
                f"Panel {self.panel}: the minimum for {self.feature} = {self.value} "
                f"({self.needed}) is above its maximum ({self.available})."
            )
        if self.kind == "minimums_exceed_size":
            return (
                f"Panel {self.panel}: the minimums for {self.feature} add up to {self.needed}, "
                f"more than the {self.available} seats."
            )
        if self.kind == "maximums_below_size":
            return (
                f"Panel {self.panel}: the maximums for {self.feature} add up to "
                f"{self.available}, fewer than the {self.needed} seats."
            )
        if self.kind == "not_enough_volunteers":
            return (
                f"The panels need at least {self.needed} volunteers with "
                f"{self.feature} = {self.value}, the pool has {self.available}."
            )
        if self.kind == "pool_too_small":
            return f"The panels have {self.needed} seats, the pool has {self.available} volunteers."
        parts = "; ".join(describe_bound(b) for b in self.bounds)
        return f"These quotas cannot all hold together: {parts}."


def describe_bound(bound: tuple[str, str, str, str, int]) -> str:
    """One bound of a combination, e.g. ``Panel A: gender = woman ≥ 6``."""
    panel, feature, value, sense, number = bound
    sign = "≥" if sense == "min" else "≤"
    return f"Panel {panel}: {feature} = {value} {sign} {number}"


class InfeasibleQuotas(Exception):
    """No set of panels meets every quota: the constraints say why. Never relaxed silently."""

    def __init__(self, constraints: Sequence[Constraint]):
        self.constraints = tuple(constraints)
        super().__init__(" ".join(c.describe() for c in self.constraints))


def pool_counts(volunteers: Iterable[Volunteer], features: Sequence[str]) -> dict[tuple, int]:
    """Number of volunteers per (feature, value), for the features given."""
    counts: Counter = Counter()
    for volunteer in volunteers:
        for feature in features:
            counts[(feature, volunteer.value(feature))] += 1
    return dict(counts)


def obvious_infeasibilities(
    volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec]
) -> list[Constraint]:
    """Quotas that fail on their own, found by counting (clearer than a solver's answer)."""
    features = quoted_features(panels)
    counts = pool_counts(volunteers, features)
    values_in_pool: dict[str, list[str]] = {}
    for feature, value in sorted(counts):
        values_in_pool.setdefault(feature, []).append(value)
    problems: list[Constraint] = []
    for panel in panels:
        for quota in panel.quotas:
            if quota.minimum > quota.maximum:
                problems.append(
                    Constraint(
                        "min_above_max",
                        panel=panel.name,
                        feature=quota.feature,
                        value=quota.value,
                        needed=quota.minimum,
                        available=quota.maximum,
                    )
                )
        for feature in features:
            minimums = sum(q.minimum for q in panel.quotas if q.feature == feature)
            if minimums > panel.size:
                problems.append(
                    Constraint(
                        "minimums_exceed_size",
                        panel=panel.name,
                        feature=feature,
                        needed=minimums,
                        available=panel.size,
                    )
                )
            maximums = 0
            for value in values_in_pool.get(feature, []):
                quota = panel.quota_for(feature, value)
                maximums += panel.size if quota is None else min(quota.maximum, panel.size)
            if maximums < panel.size:
                problems.append(
                    Constraint(
                        "maximums_below_size",
                        panel=panel.name,
                        feature=feature,
                        needed=panel.size,
                        available=maximums,
                    )
                )
    wanted: dict[tuple[str, str], int] = {}
    for panel in panels:
        for quota in panel.quotas:
            key = (quota.feature, quota.value)
            wanted[key] = wanted.get(key, 0) + quota.minimum
    for (feature, value), needed in sorted(wanted.items()):
        available = counts.get((feature, value), 0)
        if needed > available:
            problems.append(
                Constraint(
                    "not_enough_volunteers",
                    feature=feature,
                    value=value,
                    needed=needed,
                    available=available,
                )
            )
    seats = sum(p.size for p in panels)
    if seats > len(volunteers):
        problems.append(Constraint("pool_too_small", needed=seats, available=len(volunteers)))
    return problems


# --------------------------------------------------------------------------- commitment and seed


def canonical_inputs(
    volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec], method: str
) -> bytes:
    """The published inputs of a draw as canonical JSON bytes (sorted, compact, UTF-8).

    Only pseudonymous keys and profile values go in: the document is meant to be published.
    """
    if method not in METHODS:
        raise PanelInputError(f"Unknown draw method {method!r}.")
    document = inputs_document(volunteers, panels, method)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def inputs_document(
    volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec], method: str
) -> dict:
    """The published inputs as a JSON-ready dict (panels in their order, pool sorted by key)."""
    return {
        "format": DRAW_FORMAT,
        "method": method,
        "panels": [
            {
                "name": p.name,
                "size": p.size,
                "quotas": sorted([q.feature, q.value, q.minimum, q.maximum] for q in p.quotas),
            }
            for p in panels
        ],
        "pool": sorted([v.key, [list(fv) for fv in v.features]] for v in volunteers),
    }


def parse_inputs_document(document: Mapping) -> tuple[list[Volunteer], list[PanelSpec], str]:
    """Read back a published inputs document (the verifier's entry point)."""
    try:
        if document["format"] != DRAW_FORMAT:
            raise PanelInputError(f"Unsupported format {document['format']!r}.")
        panels = [
            PanelSpec(
                name=str(p["name"]),
                size=int(p["size"]),
                quotas=tuple(
                    Quota(str(f), str(v), int(lo), int(hi)) for f, v, lo, hi in p["quotas"]
                ),
            )
            for p in document["panels"]
        ]
        volunteers = [
            Volunteer(str(k), tuple((str(f), str(v)) for f, v in fs)) for k, fs in document["pool"]
        ]
        method = str(document["method"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PanelInputError):
            raise
        raise PanelInputError(f"Malformed inputs document: {exc}") from exc
    return volunteers, panels, method


def commitment(volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec], method: str) -> str:
    """SHA-256 (hex) of the canonical inputs: published before the seed is known."""
    return hashlib.sha256(canonical_inputs(volunteers, panels, method)).hexdigest()


def normalise_seed(seed: str) -> str:
    """The seed as it enters the draw: Unicode NFC, outer spaces removed, inner runs collapsed."""
    return " ".join(unicodedata.normalize("NFC", seed).split())


class SeededStream:
    """Uniform integers from SHA-256 in counter mode: the same on every machine and Python.

    ``random.Random`` would also be reproducible, but its ``shuffle``/``randrange`` algorithms are
    not a documented contract across Python versions; this one is a few lines
    anyone can re-implement.
    """

    def __init__(self, commitment_hex: str, seed: str):
        self._key = f"{DRAW_FORMAT}\n{commitment_hex}\n{normalise_seed(seed)}".encode()
        self._counter = 0

    def _block(self) -> int:
        """The next 256 pseudo-random bits."""
        digest = hashlib.sha256(self._key + b"\n" + str(self._counter).encode()).digest()
        self._counter += 1
        return int.from_bytes(digest, "big")

    def below(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection so that no value is favoured."""
        if n < 1:
            raise ValueError("n must be positive")
        limit = (1 << 256) - (1 << 256) % n
        while True:
            x = self._block()
            if x < limit:
                return x % n

    def shuffled(self, items: Sequence) -> list:
        """A uniformly shuffled copy (Fisher-Yates)."""
        result = list(items)
        for i in range(len(result) - 1, 0, -1):
            j = self.below(i + 1)
            result[i], result[j] = result[j], result[i]
        return result


# --------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Identity:
    """What duplicate detection looks at for one volunteer."""

    key: str
    email: str
    first_name: str
    last_name: str
    birth_year: int | None
    postcode: str


@dataclass(frozen=True)
class DuplicateGroup:
    """Volunteers who are probably one person, and why (``email``, ``name_year_postcode``)."""

    keys: tuple[str, ...]
    reasons: tuple[str, ...]


def normalise_email(email: str) -> str:
    """E-mail as compared: trimmed and case-folded (mailbox case is ignored in practice)."""
    return email.strip().casefold()


def normalise_name(first_name: str, last_name: str) -> str:
    """Full name as compared: no accents, no case, no punctuation, words in sorted order.

    Sorting the words makes "Marie Dupont" and "DUPONT Marie" (a common form mistake) one name.
    """
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(sorted(words))


def normalise_postcode(postcode: str) -> str:
    """Postcode as compared: digits and letters only, upper case."""
    return re.sub(r"[^0-9A-Za-z]", "", postcode).upper()


def _identity_keys(person: Identity) -> list[tuple[str, tuple]]:
    """The matching keys of one person (a key left empty never matches)."""
    keys = []
    email = normalise_email(person.email)
    if email:
        keys.append(("email", (email,)))
    name = normalise_name(person.first_name, person.last_name)
    postcode = normalise_postcode(person.postcode)
    if name and postcode and person.birth_year is not None:
        keys.append(("name_year_postcode", (name, person.birth_year, postcode)))
    return keys


def find_duplicates(people: Sequence[Identity]) -> list[DuplicateGroup]:
    """Groups of volunteers sharing an e-mail, or a name with birth year and postcode.

    Matches are transitive (A=B by e-mail and B=C by name make one group of three). Groups come
    sorted by their first key; keys inside a group are sorted.
    """
    parent = {p.key: p.key for p in people}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    first_with: dict[tuple[str, tuple], str] = {}
    reasons: dict[str, set[str]] = {}
    for person in people:
        for kind, value in _identity_keys(person):
            other = first_with.setdefault((kind, value), person.key)
            if other != person.key:
                a, b = find(other), find(person.key)
                if a != b:
                    parent[max(a, b)] = min(a, b)
                reasons.setdefault(other, set()).add(kind)
                reasons.setdefault(person.key, set()).add(kind)
    groups: dict[str, list[str]] = {}
    for person in people:
        groups.setdefault(find(person.key), []).append(person.key)
    result = []
    for members in groups.values():
        if len(members) > 1:
            why = set().union(*(reasons.get(k, set()) for k in members))
            result.append(DuplicateGroup(tuple(sorted(members)), tuple(sorted(why))))
    return sorted(result, key=lambda g: g.keys)


def matches_existing(candidate: Identity, existing: Sequence[Identity]) -> list[str]:
    """Keys of the existing volunteers the candidate duplicates (for the public form and import)."""
    mine = set(_identity_keys(candidate))
    return sorted(p.key for p in existing if mine & set(_identity_keys(p)))


# --------------------------------------------------------------------------- invitations


#: Invitation states and the answers that move them.
INVITATION_TRANSITIONS = {
    ("invited", "accept"): "accepted",
    ("invited", "decline"): "declined",
    ("accepted", "withdraw"): "declined",
    ("declined", "replace"): "replaced",
}


def next_invitation_status(status: str, action: str) -> str | None:
    """The status after an action, or None when the action is not allowed from that status."""
    return INVITATION_TRANSITIONS.get((status, action))


def replacement_specs(
    panels: Sequence[PanelSpec], kept: Mapping[str, Sequence[Volunteer]]
) -> list[PanelSpec]:
    """The panels still to fill once the kept members are counted, quotas shifted accordingly.

    ``kept`` maps a panel name to the members who stay (accepted or still invited). A panel with
    no free seat is left out. Minimums already reached drop to zero; maximums shrink by what the
    kept members use. A maximum the kept members already exceed is an input error (the panel was
    not valid to start with).
    """
    specs = []
    for panel in panels:
        members = list(kept.get(panel.name, ()))
        free = panel.size - len(members)
        if free < 0:
            raise PanelInputError(f"Panel {panel.name!r} keeps more members than it has seats.")
        if free == 0:
            continue
        quotas = []
        for quota in panel.quotas:
            used = sum(1 for m in members if m.value(quota.feature) == quota.value)
            if used > quota.maximum:
                raise PanelInputError(
                    f"Panel {panel.name!r} already has {used} members with "
                    f"{quota.feature} = {quota.value}, above its maximum {quota.maximum}."
                )
            quotas.append(
                Quota(
                    quota.feature, quota.value, max(0, quota.minimum - used), quota.maximum - used
                )
            )
        specs.append(PanelSpec(panel.name, free, tuple(quotas)))
    return specs


def panel_meets_quotas(members: Sequence[Volunteer], panel: PanelSpec) -> list[Quota]:
    """The quotas a list of members breaks (empty when the panel is valid); size not included."""
    broken = []
    for quota in panel.quotas:
        n = sum(1 for m in members if m.value(quota.feature) == quota.value)
        if not quota.minimum <= n <= quota.maximum:
            broken.append(quota)
    return broken


# --------------------------------------------------------------------------- questionnaire


@dataclass(frozen=True)
class QuestionnaireAnswer:
    """One panellist's closing answers."""

    satisfaction: int  # 1 (not at all) to 5 (very satisfied)
    wants_follow_up: bool
    words: str


@dataclass(frozen=True)
class QuestionnaireSummary:
    """Results of a closing questionnaire, as shown to organisers."""

    respondents: int
    satisfaction_counts: tuple[int, ...]  # index 0 is grade 1
    satisfaction_mean_tenths: int | None  # mean x 10, rounded half up: 42 means 4.2
    follow_up_yes: int
    follow_up_percent: int | None  # rounded half up
    words: tuple[tuple[str, int], ...]  # most frequent first, then alphabetical


#: Short words left out of the word counts.
STOP_WORDS = frozenset(
    "a au aux avec ce ces dans de des du en et il je la le les mais me mon ne nous on ou par pas "
    "pour qu que qui sa se ses son sur ta te tes ton tu un une vous y est été être très "
    "plus".split()
)


def split_words(text: str) -> list[str]:
    """Words of a free answer, lower case, without stop words or one-letter words."""
    words = re.findall(r"[\w'’-]+", text.casefold())
    result = []
    for word in words:
        word = word.strip("'’-")
        if "'" in word or "’" in word:
            word = re.split(r"['’]", word)[-1]
        if len(word) > 1 and word not in STOP_WORDS:
            result.append(word)
    return result


def summarise_questionnaire(
    answers: Sequence[QuestionnaireAnswer], top_words: int = 20
) -> QuestionnaireSummary:
    """Counts, mean and follow-up share with integer arithmetic, and the most used words."""
    n = len(answers)
    counts = [0] * 5
    for answer in answers:
        if not 1 <= answer.satisfaction <= 5:
            raise ValueError("satisfaction is a grade from 1 to 5")
        counts[answer.satisfaction - 1] += 1
    total = sum(a.satisfaction for a in answers)
    yes = sum(1 for a in answers if a.wants_follow_up)
    words: Counter = Counter()
    for answer in answers:
        words.update(split_words(answer.words))
    ranked = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:top_words]
    return QuestionnaireSummary(
        respondents=n,
        satisfaction_counts=tuple(counts),
        satisfaction_mean_tenths=(20 * total + n) // (2 * n) if n else None,
        follow_up_yes=yes,
        follow_up_percent=(200 * yes + n) // (2 * n) if n else None,
        words=tuple(ranked),
    )


# --------------------------------------------------------------------------- volunteer CSV

#: Fields every volunteer file fills; one more per feature, named by the feature's code.
VOLUNTEER_COLUMNS = ("first_name", "last_name", "email", "birth_year", "postcode", "member")
MAX_VOLUNTEER_ROWS = 50_000
YES = frozenset({"yes", "oui", "o", "y", "1", "true", "vrai", "x"})
NO = frozenset({"no", "non", "n", "0", "false", "faux", ""})


@dataclass(frozen=True)
class VolunteerRow:
    """One volunteer read from a line of a partner's file."""

    line: int
    first_name: str
    last_name: str
    email: str
    birth_year: int
    postcode: str
    is_member: bool
    values: dict[str, str]  # feature code -> value code


def read_volunteer(
    line: int,
    values: Mapping[str, str],
    features: Mapping[str, Mapping[str, str]],
    current_year: int,
) -> VolunteerRow | list:
    """One line of a partner's file as a volunteer, or every reason it is refused.

    ``features`` maps each feature code to its accepted spellings (value code and label, lower
    case) and the value code they stand for.
    """
    values = {k: (v or "").strip() for k, v in values.items()}
    problems = []
    try:
        email = valid_email(values.get("email", ""))
    except ValueError:
        email = ""
        problems.append(
            _l("“%(value)s” is not a valid e-mail address.", value=values.get("email", ""))
        )
    for name in ("first_name", "last_name", "postcode"):
        if not values.get(name):
            problems.append(_l("The column %(col)s is empty.", col=name))
    year = birth_year_problem(values.get("birth_year", ""), current_year)
    if not isinstance(year, int):
        problems.append(year)
    member = values.get("member", "").lower()
    if member not in YES | NO:
        problems.append(_l("member must be yes or no, not “%(value)s”.", value=values["member"]))
    chosen = {}
    for code, spellings in features.items():
        given = values.get(code, "").lower()
        if given not in spellings:
            problems.append(
                _l(
                    "Unknown value “%(value)s” for %(feature)s (expected one of: %(known)s).",
                    value=values.get(code, ""),
                    feature=code,
                    known=", ".join(sorted(set(spellings.values()))),
                )
            )
        else:
            chosen[code] = spellings[given]
    if problems:
        return problems
    postcode = values["postcode"][:10].upper()
    if postcode.isdigit() and len(postcode) == 4:
        postcode = "0" + postcode  # a spreadsheet stored 01000 as the number 1000
    return VolunteerRow(
        line=line,
        first_name=values["first_name"][:100],
        last_name=values["last_name"][:100],
        email=email,
        birth_year=year,
        postcode=postcode,
        is_member=member in YES,
        values=chosen,
    )


def birth_year_problem(text: str, current_year: int):
    """The birth year as an int, or why it is not acceptable (adults only, born after 1900)."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return _l("The birth year must be a number such as 1975.")
    year = int(text)
    if not 1900 <= year <= current_year - 18:
        return _l(
            "The birth year must be between 1900 and %(last)d (adults only).",
            last=current_year - 18,
        )
    return year
