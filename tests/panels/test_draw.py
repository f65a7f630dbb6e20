"""The fair draw: worked examples, infeasible quotas, properties and reproducibility."""

import itertools
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consult.panels.draw import compute_lottery, draw_panels, infeasibilities, sample
from consult.panels.rules import (
    InfeasibleQuotas,
    PanelSpec,
    Quota,
    SeededStream,
    Volunteer,
    panel_meets_quotas,
)

ROOT = Path(__file__).resolve().parents[2]


def vol(key, **features):
    """A volunteer with keyword features."""
    return Volunteer.of(key, features)


def by_key(volunteers):
    """Volunteers indexed by key."""
    return {v.key: v for v in volunteers}


def assert_valid(result, pool, panels):
    """Sizes, quotas, disjointness and membership of a drawn set of panels."""
    people = by_key(pool)
    seen = set()
    for spec, members in zip(panels, result.panels, strict=True):
        assert len(members) == spec.size
        assert panel_meets_quotas([people[k] for k in members], spec) == []
        assert not seen & set(members)
        seen |= set(members)


# ---------------------------------------------------------------- worked examples


def test_pool_of_exactly_the_panel_size_selects_everybody():
    pool = [vol(f"v{i}", g="f" if i % 2 else "m") for i in range(6)]
    panels = [PanelSpec("Nantes", 6, (Quota("g", "f", 3, 3), Quota("g", "m", 3, 3)))]
    for method in ("leximin", "maximin"):
        result = draw_panels(pool, panels, "42", method)
        assert result.panels == (tuple(sorted(v.key for v in pool)),)
        assert set(result.lottery.probabilities().values()) == {1}


def test_two_panels_from_a_pool_of_exactly_their_seats():
    pool = [vol(f"v{i}", g="fm"[i % 2]) for i in range(8)]
    quotas = (Quota("g", "f", 2, 2), Quota("g", "m", 2, 2))
    panels = [PanelSpec("A", 4, quotas), PanelSpec("B", 4, quotas)]
    result = draw_panels(pool, panels, "seed")
    assert_valid(result, pool, panels)
    assert sorted(result.panels[0] + result.panels[1]) == sorted(v.key for v in pool)


def test_scarce_profile_is_always_drawn_and_the_others_share_the_rest():
    # one woman, three men; the panel of 2 needs exactly one woman
    pool = [vol("a", g="f"), vol("b", g="m"), vol("c", g="m"), vol("d", g="m")]
    panels = [PanelSpec("A", 2, (Quota("g", "f", 1, 1),))]
    lottery = compute_lottery(pool, panels, "leximin")
    assert lottery.probabilities() == {
        "a": Fraction(1),
        "b": Fraction(1, 3),
        "c": Fraction(1, 3),
        "d": Fraction(1, 3),
    }
    assert lottery.smallest_probability() == Fraction(1, 3)


def test_uniform_when_the_quotas_allow_it():
    pool = [
        vol("fy", g="f", a="y"),
        vol("fo", g="f", a="o"),
        vol("m1", g="m", a="y"),
        vol("m2", g="m", a="y"),
    ]
    panels = [PanelSpec("A", 2, (Quota("g", "f", 1, 1), Quota("a", "y", 1, 2)))]
    probabilities = compute_lottery(pool, panels).probabilities()
    assert set(probabilities.values()) == {Fraction(1, 2)}


def test_leximin_is_never_worse_than_maximin():
    # Type x (2 people) can only sit with type z; type y (4 people) fills the other panels.
    # Maximin only guarantees the smallest probability; leximin also maximises the next ones.
    pool = [vol(f"x{i}", t="x") for i in range(2)] + [vol(f"y{i}", t="y") for i in range(4)]
    pool += [vol(f"z{i}", t="z") for i in range(8)]
    panels = [
        PanelSpec("A", 3, (Quota("t", "x", 0, 1), Quota("t", "y", 0, 1), Quota("t", "z", 1, 2)))
    ]
    leximin = compute_lottery(pool, panels, "leximin")
    maximin = compute_lottery(pool, panels, "maximin")
    assert leximin.smallest_probability() == pytest.approx(
        float(maximin.smallest_probability()), abs=1e-6
    )
    lex = sorted(leximin.probabilities().values())
    assert lex >= sorted(maximin.probabilities().values()) or lex == pytest.approx(
        sorted(maximin.probabilities().values()), abs=1e-6
    )
    # every volunteer's probability is 3/14 exactly when everything is equal (3 seats, 14 people)
    assert float(leximin.smallest_probability()) == pytest.approx(3 / 14, abs=1e-6)
    assert sum(leximin.probabilities().values()) == pytest.approx(3, abs=1e-6)


def test_leximin_levels_worked_example():
    # Panel of 3 with exactly one "rare" (one person) and at most one "few" (two people):
    # rare -> 1; leximin then equalises few and many: 2 seats among 2 few + 6 many = 1/4 each.
    pool = [vol("r", t="rare")] + [vol(f"f{i}", t="few") for i in range(2)]
    pool += [vol(f"m{i}", t="many") for i in range(6)]
    panels = [PanelSpec("A", 3, (Quota("t", "rare", 1, 1), Quota("t", "few", 0, 1)))]
    probabilities = compute_lottery(pool, panels, "leximin").probabilities()
    assert float(probabilities["r"]) == pytest.approx(1)
    assert float(probabilities["f0"]) == pytest.approx(0.25, abs=1e-6)
    assert float(probabilities["m0"]) == pytest.approx(0.25, abs=1e-6)


# ---------------------------------------------------------------- infeasible quotas


def test_infeasible_quotas_name_the_counting_constraint():
    pool = [vol(f"v{i}", g="f" if i < 2 else "m") for i in range(10)]
    panels = [PanelSpec("Brest", 4, (Quota("g", "f", 3, 4),))]
    with pytest.raises(InfeasibleQuotas) as caught:
        draw_panels(pool, panels, "1")
    (constraint,) = caught.value.constraints
    assert (constraint.kind, constraint.feature, constraint.value) == (
        "not_enough_volunteers",
        "g",
        "f",
    )
    assert str(caught.value) == "The panels need at least 3 volunteers with g = f, the pool has 2."


def test_infeasible_combination_names_an_irreducible_set_of_quotas():
    # Every woman is old, and old people are excluded: "women >= 1" and "old <= 0" clash.
    pool = [vol(f"f{i}", g="f", a="old") for i in range(3)] + [
        vol(f"m{i}", g="m", a="young") for i in range(3)
    ]
    panels = [
        PanelSpec(
            "Lyon",
            2,
            (
                Quota("g", "f", 1, 2),
                Quota("g", "m", 0, 2),
                Quota("a", "old", 0, 0),
                Quota("a", "young", 0, 2),
            ),
        )
    ]
    with pytest.raises(InfeasibleQuotas) as caught:
        compute_lottery(pool, panels)
    (constraint,) = caught.value.constraints
    assert constraint.kind == "combination"
    assert constraint.bounds == (("Lyon", "g", "f", "min", 1), ("Lyon", "a", "old", "max", 0))
    assert "Panel Lyon: g = f ≥ 1; Panel Lyon: a = old ≤ 0" in str(caught.value)
    assert infeasibilities(pool, panels) == list(caught.value.constraints)


def test_infeasible_because_panels_must_be_disjoint():
    # Each panel alone is feasible; two disjoint ones need 2 young men, the pool has one.
    pool = [
        vol("ym", g="m", a="y"),
        vol("of1", g="f", a="o"),
        vol("of2", g="f", a="o"),
        vol("yf", g="f", a="y"),
    ]
    quotas = (Quota("g", "m", 1, 1), Quota("a", "y", 1, 1))
    panels = [PanelSpec("A", 1, quotas), PanelSpec("B", 1, quotas)]
    problems = infeasibilities(pool, panels)
    assert problems[0].kind in {"combination", "not_enough_volunteers"}
    with pytest.raises(InfeasibleQuotas):
        draw_panels(pool, panels, "x")


def test_feasible_quotas_report_nothing():
    pool = [vol(f"v{i}", g="fm"[i % 2]) for i in range(10)]
    assert infeasibilities(pool, [PanelSpec("A", 4, (Quota("g", "f", 2, 2),))]) == []


# ---------------------------------------------------------------- reproducibility


def test_same_inputs_and_seed_give_the_same_panels_whatever_the_listing_order():
    pool = [vol(f"v{i:02d}", g="fm"[i % 2], a="yo"[i % 3 == 0]) for i in range(30)]
    panels = [PanelSpec(n, 5, (Quota("g", "f", 2, 3), Quota("a", "o", 1, 2))) for n in ("A", "B")]
    first = draw_panels(pool, panels, "tirage du 12 mai")
    again = draw_panels(list(reversed(pool)), panels, "tirage du 12 mai")
    other = draw_panels(pool, panels, "tirage du 13 mai")
    assert first.panels == again.panels and first.commitment == again.commitment
    assert first.panels != other.panels
    assert_valid(first, pool, panels)


SCRIPT = """
import json
from consult.panels.draw import draw_panels
from consult.panels.rules import PanelSpec, Quota, Volunteer
pool = [Volunteer.of(f"v{i:03d}", {"g": "fm"[i % 2], "a": "yom"[i % 3], "r": "NSEW"[i % 4]})
        for i in range(80)]
quotas = (Quota("g", "f", 2, 3), Quota("a", "o", 1, 2),
          Quota("r", "N", 1, 2), Quota("r", "S", 1, 2))
panels = [PanelSpec(n, 5, quotas) for n in ("A", "B", "C")]
r = draw_panels(pool, panels, "4 8 15 16 23 42")
print(json.dumps({"c": r.commitment, "p": r.panels,
                  "q": {k: str(v) for k, v in r.lottery.probabilities().items()}}))
"""


#: Turns HiGHS's own logging on in the child process, as a future release might by default.
LOUD_SOLVER = """
import consult.panels.draw as draw
quiet = draw._highs
def loud():
    h = quiet()
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", True)
    return h
draw._highs = loud
"""


def test_the_printed_draw_stays_parseable_when_the_solver_logs():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", LOUD_SOLVER + SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "HiGHS" in done.stderr  # the solver did print, and not on stdout
    drawn = json.loads(done.stdout)
    assert len(drawn["p"]) == 3


def test_fresh_processes_with_any_hash_seed_draw_the_same_panels():
    outputs = set()
    for hash_seed in ("0", "1", "4242", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    drawn = json.loads(outputs.pop())
    assert len(drawn["p"]) == 3 and all(len(p) == 5 for p in drawn["p"])


def test_sampling_follows_the_published_probabilities():
    pool = [vol("a", g="f"), vol("b", g="m"), vol("c", g="m"), vol("d", g="m")]
    lottery = compute_lottery(pool, [PanelSpec("A", 2, (Quota("g", "f", 1, 1),))])
    counts = dict.fromkeys("abcd", 0)
    for i in range(900):
        _, (members,) = sample(lottery, SeededStream("ef" * 32, str(i)))
        for key in members:
            counts[key] += 1
    assert counts["a"] == 900
    assert all(240 < counts[k] < 360 for k in "bcd")  # 300 expected


# ---------------------------------------------------------------- properties


@st.composite
def instances(draw):
    """Small pools with two features and one or two panels with random quotas."""
    n = draw(st.integers(1, 9))
    pool = [
        vol(f"v{i}", g=draw(st.sampled_from("fm")), a=draw(st.sampled_from("xyz")))
        for i in range(n)
    ]
    panels = []
    for name in "AB"[: draw(st.integers(1, 2))]:
        size = draw(st.integers(1, 3))
        quotas = []
        for feature, values in (("g", "fm"), ("a", "xyz")):
            for value in values:
                if draw(st.booleans()):
                    low = draw(st.integers(0, 2))
                    quotas.append(Quota(feature, value, low, low + draw(st.integers(0, 2))))
        panels.append(PanelSpec(name, size, tuple(quotas)))
    return pool, panels


def brute_force_feasible(pool, panels):
    """Whether some assignment of distinct volunteers to the panels meets all quotas."""

    def fill(i, left):
        if i == len(panels):
            return True
        for members in itertools.combinations(left, panels[i].size):
            if not panel_meets_quotas(members, panels[i]):
                rest = [v for v in left if v not in members]
                if fill(i + 1, rest):
                    return True
        return False

    return fill(0, pool)


@settings(max_examples=80)
@given(instances(), st.sampled_from(["leximin", "maximin"]), st.text(max_size=5))
def test_every_returned_panel_meets_its_quotas(instance, method, seed):
    pool, panels = instance
    feasible = brute_force_feasible(pool, panels)
    try:
        result = draw_panels(pool, panels, seed, method)
    except InfeasibleQuotas as error:
        assert not feasible
        assert error.constraints
        return
    assert feasible
    assert_valid(result, pool, panels)
    probabilities = result.lottery.probabilities()
    assert set(probabilities) == {v.key for v in pool}
    assert all(0 <= p <= 1 for p in probabilities.values())
    assert float(sum(probabilities.values())) == pytest.approx(
        sum(p.size for p in panels), abs=1e-6
    )


# ---------------------------------------------------------------- pricing


def test_fast_pricing_builds_panel_sets_that_meet_the_quotas_and_never_beats_the_exact_one():
    import numpy as np

    from consult.panels.draw import _Problem

    pool = [
        vol(f"v{i:03d}", g="fm"[i % 2], a="yom"[i % 3], r="NSEW"[(i * 7) % 4]) for i in range(60)
    ]
    quotas = (
        Quota("g", "f", 2, 3),
        Quota("a", "o", 1, 2),
        Quota("a", "y", 1, 2),
        Quota("r", "N", 1, 2),
        Quota("r", "S", 0, 1),
    )
    panels = [PanelSpec(n, 5, quotas) for n in ("A", "B", "C")]
    problem = _Problem(pool, panels)
    h = problem.build(symmetry=True)
    rng = np.random.default_rng(7)
    for _ in range(15):
        prices = list(rng.random(problem.n_types) ** 3)
        column = problem.solve_fast(prices)
        assert column is not None
        totals = problem.totals(column)
        assert all(n <= c for n, c in zip(totals, problem.counts, strict=True))
        for spec, counts in zip(panels, column, strict=True):
            members = [
                vol(f"{t}-{i}", **dict(zip(problem.features, problem.types[t], strict=True)))
                for t, n in enumerate(counts)
                for i in range(n)
            ]
            assert len(members) == spec.size and panel_meets_quotas(members, spec) == []
        best = problem.totals(problem.solve(h, prices))
        value = sum(p * n for p, n in zip(prices, totals, strict=True))
        assert value <= sum(p * n for p, n in zip(prices, best, strict=True)) + 1e-9
        # the exact search finds nothing above the optimum, and finds it from any start
        optimum = sum(p * n for p, n in zip(prices, best, strict=True))
        assert problem.improving(h, prices, optimum + 1e-7, column) is None
        if optimum > value + 1e-7:  # the fast one fell short: the exact search beats it
            found = problem.improving(h, prices, value + 1e-7, column)
            assert sum(p * n for p, n in zip(prices, problem.totals(found), strict=True)) > value
