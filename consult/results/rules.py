"""Pure rules of published results: which figures the key-figures band shows, and in what order."""

from dataclasses import dataclass
from fractions import Fraction

from consult.core.i18n import lazy_gettext as _l

#: The band, in the order of the seed report.
FIGURE_ORDER = (
    "contributions",
    "participants",
    "internal_rate",
    "distinct_words",
    "panellists",
    "follow_up_share",
)
FIGURE_LABELS = {
    "contributions": _l("contributions"),
    "participants": _l("participants"),
    "internal_rate": _l("internal participation rate (employees and delegates)"),
    "distinct_words": _l("different words"),
    "panellists": _l("citizen panellists"),
    "follow_up_share": _l("of panellists want to follow the next steps"),
}


@dataclass(frozen=True)
class Figure:
    """One number of the band: a count, or a rate as an exact fraction."""

    code: str
    count: int | None = None
    rate: Fraction | None = None


def key_figures(
    *,
    contributions: int,
    participants: int,
    internal: tuple[int, int] | None,
    distinct_words: int | None,
    panellists: int,
    follow_up: tuple[int, int],
) -> dict:
    """The band as a storable dict: counts, and rates as [numerator, denominator].

    A figure that does not apply is left out: no internal population was invited (or none had a
    head-count), no few-words question, no panel, nobody answered the closing questionnaire.
    """
    figures: dict = {"contributions": contributions, "participants": participants}
    if internal is not None and internal[1] > 0:
        figures["internal_rate"] = [internal[0], internal[1]]
    if distinct_words:
        figures["distinct_words"] = distinct_words
    if panellists:
        figures["panellists"] = panellists
    if follow_up[1] > 0:
        figures["follow_up_share"] = [follow_up[0], follow_up[1]]
    return figures


def read_figures(stored: dict) -> list[Figure]:
    """The stored band, in display order."""
    band = []
    for code in FIGURE_ORDER:
        value = stored.get(code)
        if value is None:
            continue
        if isinstance(value, list):
            band.append(Figure(code, rate=Fraction(value[0], value[1])))
        else:
            band.append(Figure(code, count=int(value)))
    return band


def may_read(*, published: bool, public: bool, signed_in: bool, concerned: bool, staff: bool):
    """Who reads the results: staff always (to check before publishing); once published, the
    people concerned (invited or took part), and everyone when the organiser made it public."""
    if staff:
        return True
    if not published:
        return False
    return public or (signed_in and concerned)
