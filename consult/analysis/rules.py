"""Participation statistics, group comparison and quote attribution (pure, exact arithmetic).

Everything here works on plain rows and returns plain values: counts are integers, rates are
`fractions.Fraction`, and rounding to a displayed percentage is done once, half up, at the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from consult.core import spreadsheet

NBSP = "\u00a0"

# ---------------------------------------------------------------------------------------------
# Percentages


def percent(rate: Fraction | None, places: int = 0) -> Decimal | None:
    """Round a rate to a percentage half up, exactly (1/3 → 33, 2/3 → 67, 1/8 → 13)."""
    if rate is None:
        return None
    scaled = Fraction(rate) * 100
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(scaled.numerator) / Decimal(scaled.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> Fraction | None:
    """Return part/whole as an exact fraction, or None when the whole is empty."""
    return Fraction(part, whole) if whole > 0 else None


# ---------------------------------------------------------------------------------------------
# Participation


@dataclass(frozen=True)
class ContributorRow:
    """One participant who contributed: profile snapshot and how many contributions they made."""

    participant_id: int
    population: str
    contributions: int
    region: str | None = None
    age_band: str | None = None
    gender: str | None = None


@dataclass(frozen=True)
class PopulationParticipation:
    """Who took part in one population, against its eligible head-count."""

    population: str
    eligible: int | None
    contributors: int
    contributions: int

    @property
    def rate(self) -> Fraction | None:
        """Share of the eligible people who contributed (None when the head-count is unknown)."""
        return share(self.contributors, self.eligible) if self.eligible else None

    @property
    def per_contributor(self) -> Fraction | None:
        """Average number of contributions per contributor."""
        return share(self.contributions, self.contributors)


def participation_by_population(
    contributors: Iterable[ContributorRow],
    eligible: Mapping[str, int],
    order: Sequence[str] = (),
) -> list[PopulationParticipation]:
    """Count contributors and contributions per population, with each population's head-count.

    Populations with a head-count but no contributor appear with zero; the result follows
    `order`, then the other populations alphabetically.
    """
    people: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    for row in contributors:
        people[row.population] += 1
        texts[row.population] += row.contributions
    names = set(people) | set(eligible)
    ranked = [name for name in order if name in names]
    ranked += sorted(names - set(ranked))
    return [
        PopulationParticipation(
            population=name,
            eligible=eligible.get(name),
            contributors=people[name],
            contributions=texts[name],
        )
        for name in ranked
    ]


def combined_participation(
    rows: Iterable[PopulationParticipation], populations: Iterable[str], label: str = "*"
) -> PopulationParticipation:
    """Merge several populations into one ("employees and delegates": 33 % took part).

    The head-count is unknown as soon as one merged population has none.
    """
    wanted = set(populations)
    chosen = [row for row in rows if row.population in wanted]
    eligible: int | None = sum(row.eligible or 0 for row in chosen)
    if any(row.eligible is None for row in chosen) or not chosen:
        eligible = None
    return PopulationParticipation(
        population=label,
        eligible=eligible,
        contributors=sum(row.contributors for row in chosen),
        contributions=sum(row.contributions for row in chosen),
    )


def total_participation(rows: Iterable[PopulationParticipation]) -> PopulationParticipation:
    """Sum every population (the overall line of the participation table)."""
    rows = list(rows)
    return combined_participation(rows, [row.population for row in rows], label="*")


@dataclass(frozen=True)
class BreakdownRow:
    """Contributors and contributions for one value of a profile field (a region, an age band)."""

    value: str | None
    contributors: int
    contributions: int
    #: contributors with this value among all contributors
    share: Fraction | None


BREAKDOWN_FIELDS = ("population", "region", "age_band", "gender")


def breakdown(
    contributors: Iterable[ContributorRow], field: str, order: Sequence[str] = ()
) -> list[BreakdownRow]:
    """Break contributors down by one profile field; unknown values (None) come last.

    Values follow `order` when given (age bands read youngest first), else most contributors
    first, ties alphabetically.
    """
    if field not in BREAKDOWN_FIELDS:
        raise ValueError(f"unknown breakdown field {field!r}")
    people: Counter[str | None] = Counter()
    texts: Counter[str | None] = Counter()
    for row in contributors:
        value = getattr(row, field) or None
        people[value] += 1
        texts[value] += row.contributions
    total = sum(people.values())
    known = [value for value in people if value is not None]
    positions = {value: index for index, value in enumerate(order)}
    known.sort(key=lambda v: (positions.get(v, len(positions)), -people[v], v))
    values: list[str | None] = [*known, None] if None in people else known
    return [
        BreakdownRow(
            value=value,
            contributors=people[value],
            contributions=texts[value],
            share=share(people[value], total),
        )
        for value in values
    ]


@dataclass(frozen=True)
class DayRow:
    """Activity of one calendar day (local time)."""

    day: date
    contributions: int
    #: people whose first contribution was that day
    new_contributors: int
    #: distinct people who had contributed by the end of that day
    cumulative_contributors: int


def daily_participation(
    contributions: Iterable[tuple[date, int]], first_days: Iterable[date]
) -> list[DayRow]:
    """One row per day from the first to the last active day, quiet days included.

    `contributions` holds (local day, number of contributions) pairs, possibly several per day
    (e.g. one per hour); `first_days` holds each contributor's first day of contribution.
    """
    per_day: Counter[date] = Counter()
    for day, count in contributions:
        per_day[day] += count
    newcomers = Counter(first_days)
    days = set(per_day) | set(newcomers)
    if not days:
        return []
    rows: list[DayRow] = []
    cumulative = 0
    day, last = min(days), max(days)
    while day <= last:
        cumulative += newcomers[day]
        rows.append(DayRow(day, per_day[day], newcomers[day], cumulative))
        day += timedelta(days=1)
    return rows


def snapshot_is_stale(
    computed_at: datetime | None, now: datetime, ends_at: datetime, max_age: timedelta
) -> bool:
    """Participation figures need computing again: none yet, or too old while answers come in.

    Figures computed after the consultation ended stay valid (moderation may still change them:
    analysts refresh them by hand).
    """
    if computed_at is None:
        return True
    if computed_at >= ends_at:
        return False
    return now - computed_at > max_age


# ---------------------------------------------------------------------------------------------
# Comparing groups


DEFAULT_MINIMUM_GROUP = 30


@dataclass(frozen=True)
class GroupShare:
    """How many people of a group mention something, out of the group's base."""

    group: str
    base: int
    count: int
    #: True when the base is below the minimum: the share must not be compared
    too_small: bool

    @property
    def share(self) -> Fraction | None:
        """Share of the base that mentions it (None for an empty group)."""
        return share(self.count, self.base)


def too_small(size: int, minimum: int = DEFAULT_MINIMUM_GROUP) -> bool:
    """A group under the minimum size gives shares that a handful of people can swing."""
    return size < minimum


def compare_groups(
    bases: Mapping[str, int],
    counts: Mapping[str, int],
    minimum: int = DEFAULT_MINIMUM_GROUP,
    order: Sequence[str] = (),
) -> list[GroupShare]:
    """Put the same theme or word side by side across groups, flagging groups too small.

    `bases` is how many people of each group answered; `counts` how many of them mention the
    theme or word. A count larger than its base is a caller error.
    """
    if minimum < 1:
        raise ValueError("the minimum group size must be at least 1")
    names = [name for name in order if name in bases]
    names += sorted(set(bases) - set(names))
    rows = []
    for name in names:
        base, count = bases[name], counts.get(name, 0)
        if count > base or count < 0:
            raise ValueError(f"group {name!r}: {count} mentions for {base} people")
        rows.append(GroupShare(name, base, count, too_small(base, minimum)))
    return rows


# ---------------------------------------------------------------------------------------------
# Quotes (the profile line itself is `Contribution.attribution`)


def shorten(text: str, limit: int) -> str:
    """Cut a long quote at a word boundary and mark the cut with "…"."""
    text = " ".join(text.split())
    if limit < 2 or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def quote(text: str, profile_line: str | None, limit: int | None = None) -> str:
    """A quote as printed in reports: "« … » — Adhérente, 40-60 ans, Pays de la Loire".

    Quotes are attributed by profile, never by name; with no profile they read "Participant·e".
    """
    body = shorten(text, limit) if limit else " ".join(text.split())
    return f"«{NBSP}{body}{NBSP}» — {(profile_line or '').strip() or 'Participant·e'}"


# ---------------------------------------------------------------------------------------------
# Who may see what


def may_export_unpublished(role_names: Iterable[str]) -> bool:
    """Only moderators and administrators may export contributions that are not published."""
    held = set(role_names)
    return bool(held & {"moderator", "administrator"})


#: Far beyond any real listing; keeps OFFSET inside a 64-bit integer (as core.paging).
MAX_PAGE = 100_000


def page_window(page: object, per_page: object, maximum: int = 100) -> tuple[int, int]:
    """Read page and page size from a request, refusing nonsense (ValueError), capping the size."""
    try:
        number = int(page) if page not in (None, "") else 1
        size = int(per_page) if per_page not in (None, "") else 20
    except (TypeError, ValueError):
        raise ValueError("page and per_page must be whole numbers") from None
    if number < 1 or size < 1:
        raise ValueError("page and per_page start at 1")
    if number > MAX_PAGE:
        raise ValueError(f"page goes up to {MAX_PAGE}")
    return number, min(size, maximum)


# ---------------------------------------------------------------------------------------------
# Re-running the theme proposal without losing the analysts' work


@dataclass(frozen=True)
class ExistingTopic:
    """A theme already saved: its automatic members and whether an analyst has worked on it."""

    id: int
    #: contributions placed in this theme by the automatic proposal
    members: frozenset[int]
    #: renamed, merged, split, discarded, tagged or quoted by an analyst: never replaced
    touched: bool


@dataclass(frozen=True)
class TopicPlan:
    """What to do with the saved themes after a new automatic proposal.

    `update`: saved untouched theme id → (proposal index, members) replacing its automatic content.
    `absorb`: analysts' theme id → members the new proposal adds to it (its own stay).
    `create`: (proposal index, members) for each new theme. `delete`: untouched themes to drop.
    """

    update: dict[int, tuple[int, frozenset[int]]]
    absorb: dict[int, frozenset[int]]
    create: list[tuple[int, frozenset[int]]]
    delete: list[int]


def reconcile_topics(
    existing: Sequence[ExistingTopic],
    proposed: Sequence[frozenset[int]],
    owned: frozenset[int] = frozenset(),
    threshold: Fraction = Fraction(1, 2),
) -> TopicPlan:
    """Fold a new proposal into the saved themes so that no analyst's work is lost.

    A proposed theme mostly made (≥ threshold of its members) of one saved theme's members is
    that theme again: an untouched one is refreshed in place (same id, so links stay valid), an
    analyst's one absorbs the proposed members (it never loses any). Other proposed themes are
    created. Contributions in `owned` (tagged by hand or already in an analyst's theme) never move.
    Untouched saved themes that match nothing are deleted.
    """
    owned = frozenset(owned) | frozenset().union(*(t.members for t in existing if t.touched))
    by_member: dict[int, list[int]] = defaultdict(list)
    for position, topic in enumerate(existing):
        for member in topic.members:
            by_member[member].append(position)

    candidates = []
    for index, members in enumerate(proposed):
        overlap: Counter[int] = Counter()
        for member in members:
            overlap.update(by_member.get(member, ()))
        if members and overlap:
            position, common = min(overlap.items(), key=lambda item: (-item[1], item[0]))
            if Fraction(common, len(members)) >= threshold:
                candidates.append((common, index, position))
    # the strongest overlaps choose first, so each untouched theme is refreshed by its best match
    candidates.sort(key=lambda c: (-c[0], c[1]))
    update: dict[int, tuple[int, frozenset[int]]] = {}
    absorb: dict[int, set[int]] = defaultdict(set)
    matched: set[int] = set()
    for _common, index, position in candidates:
        topic = existing[position]
        if topic.touched:
            absorb[topic.id] |= proposed[index] - owned
            matched.add(index)
        elif topic.id not in update:
            update[topic.id] = (index, frozenset(proposed[index] - owned))
            matched.add(index)
    create = [
        (index, frozenset(members - owned))
        for index, members in enumerate(proposed)
        if index not in matched and members - owned
    ]
    delete = [t.id for t in existing if not t.touched and t.id not in update]
    return TopicPlan(
        update=update,
        absorb={key: frozenset(value) for key, value in absorb.items() if value},
        create=create,
        delete=delete,
    )


# ---------------------------------------------------------------------------------------------
# Exports

#: Exports neutralise formulas with the one writer every export uses.
safe_cell = spreadsheet.safe_cell
