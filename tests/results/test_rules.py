"""The key-figures band and who reads results (no app, no database)."""

from fractions import Fraction

import pytest

from consult.results import rules


def test_the_band_of_the_seed_report():
    """348,000 contributions, 17,000 participants, 33 % internal, 47 words, 56 panellists, 85 %."""
    figures = rules.key_figures(
        contributions=348_000,
        participants=17_000,
        internal=(330, 1000),
        distinct_words=47,
        panellists=56,
        follow_up=(17, 20),
    )
    band = rules.read_figures(figures)
    assert [f.code for f in band] == list(rules.FIGURE_ORDER)
    assert band[0].count == 348_000
    assert band[2].rate == Fraction(33, 100)
    assert band[5].rate == Fraction(85, 100)


def test_figures_that_do_not_apply_are_left_out():
    """No internal population, no words question, no panel, no questionnaire answer."""
    figures = rules.key_figures(
        contributions=10,
        participants=4,
        internal=None,
        distinct_words=None,
        panellists=0,
        follow_up=(0, 0),
    )
    assert figures == {"contributions": 10, "participants": 4}
    assert rules.key_figures(
        contributions=1,
        participants=1,
        internal=(0, 0),
        distinct_words=0,
        panellists=0,
        follow_up=(0, 0),
    ) == {"contributions": 1, "participants": 1}


@pytest.mark.parametrize(
    ("published", "public", "signed_in", "concerned", "staff", "allowed"),
    [
        (False, True, True, True, False, False),  # not published: only staff
        (False, False, True, False, True, True),
        (True, False, False, False, False, False),  # a visitor, not public
        (True, True, False, False, False, True),  # a visitor, public
        (True, False, True, False, False, False),  # signed in, not concerned
        (True, False, True, True, False, True),
    ],
)
def test_who_reads_the_results(published, public, signed_in, concerned, staff, allowed):
    """Staff always; the people concerned once published; everyone when public."""
    assert (
        rules.may_read(
            published=published,
            public=public,
            signed_in=signed_in,
            concerned=concerned,
            staff=staff,
        )
        is allowed
    )
