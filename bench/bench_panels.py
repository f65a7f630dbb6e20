"""Benchmark: 6 panels of 12 from 2,000 volunteers with 4 features, against sortition-algorithms.

Run by hand (it prints figures, asserts nothing); `pip install -e .[bench]` first:

    python bench/bench_panels.py                         # 2,000 volunteers, 6 panels of 12
    python bench/bench_panels.py --pool 400 --sortition-timeout 600

The same inputs go to both:

* consult (``consult.panels.draw``): one lottery over sets of 6 disjoint panels, each meeting the
  per-panel quotas; maximin, then LEXIMIN; HiGHS through highspy.
* sortition-algorithms (GPL-3.0, ``find_distribution_maximin`` with its default HiGHS backend):
  it draws one panel, so it gets one panel of 72 seats with the quotas multiplied by 6, which is
  the closest it can express. Each committee of its lottery is then checked: can its 72 people
  be split into 6 panels of 12 that each meet the quotas? (our integer program answers).

Figures: time, smallest selection probability, and the share of each lottery (by probability)
whose panels meet the quotas; where consult's time goes (column-generation rounds, seconds in the
lottery LP, in the fast pricing (rounded relaxations, no integer program), the greedy of exact
one-panel programs and the exact panel-set program, warm start and final distribution, with the
panel sets each pricing found), each part and the whole as a ratio to the 30 s target of a
committed lottery for 2,000 volunteers; then consult's figures as ratios to sortition's, from
this run. sortition-algorithms runs in a child process with a time limit, reported if reached
(``--sortition-timeout 0`` skips it).
"""

import argparse
import multiprocessing
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult.panels.draw import _Problem, committed_lottery, draw_from_lottery  # noqa: E402
from consult.panels.rules import (  # noqa: E402
    PanelSpec,
    Quota,
    Volunteer,
    commitment,
    panel_meets_quotas,
)

#: feature -> (values, share of the pool, per-panel quota (min, max)); the pool is skewed
#: (few young people, many in Bretagne) so that equal chances are out of reach.
FEATURES = {
    "gender": (["woman", "man"], [0.6, 0.4], {"woman": (5, 7), "man": (5, 7)}),
    "age": (
        ["20-30", "30-40", "40-60", "60-80", "80+"],
        [0.07, 0.13, 0.35, 0.35, 0.10],
        {"20-30": (2, 3), "30-40": (2, 3), "40-60": (3, 4), "60-80": (2, 4), "80+": (0, 1)},
    ),
    "region": (
        ["Bretagne", "Grand-Est", "Normandie", "Occitanie", "Pays de la Loire", "Auvergne"],
        [0.3, 0.1, 0.1, 0.25, 0.2, 0.05],
        {
            "Bretagne": (1, 4),
            "Grand-Est": (1, 3),
            "Normandie": (1, 3),
            "Occitanie": (1, 4),
            "Pays de la Loire": (1, 4),
            "Auvergne": (1, 2),
        },
    ),
    "education": (
        ["none", "secondary", "bachelor", "master"],
        [0.1, 0.45, 0.25, 0.2],
        {"none": (1, 3), "secondary": (3, 5), "bachelor": (2, 4), "master": (1, 3)},
    ),
}


#: Committees of sortition-algorithms' lottery checked for a split into panels.
CHECKED = 40
#: The compass target: a committed lottery for 2,000 volunteers in under 30 s (issue 17).
TARGET_SECONDS = 30.0
from consult.panels.draw import PARTS  # noqa: E402


def instance(pool: int, panels: int, size: int, seed: int):
    """A reproducible pool and identical panels with the quotas above."""
    rng = random.Random(seed)
    volunteers = [
        Volunteer.of(f"v{i:05d}", {f: rng.choices(v, w)[0] for f, (v, w, _) in FEATURES.items()})
        for i in range(pool)
    ]
    quotas = tuple(
        Quota(f, value, low, high)
        for f, (_, _, bounds) in FEATURES.items()
        for value, (low, high) in bounds.items()
    )
    return volunteers, [PanelSpec(f"Panel {i + 1}", size, quotas) for i in range(panels)]


def splittable(members, specs) -> bool | None:
    """Whether these people can fill the panels meeting the quotas (None: undecided in 20 s)."""
    problem = _Problem(members, specs)
    h = problem.build(symmetry=True)
    h.setOptionValue("time_limit", 20.0)
    try:
        return problem.solve(h, None) is not None
    except RuntimeError:  # the time limit was reached
        return None


def run_consult(volunteers, specs, method):
    """consult's lottery: time, smallest probability, share of panel sets meeting the quotas."""
    stats = {}
    start = time.perf_counter()
    lottery = committed_lottery(volunteers, specs, method, stats=stats)
    elapsed = time.perf_counter() - start
    total = sum(lottery.weights)
    # every panel set in the support, rebuilt from its type counts, checked against the quotas
    ok = 0
    for column, weight in zip(lottery.columns, lottery.weights, strict=True):
        valid = True
        for spec, counts in zip(specs, column, strict=True):
            members = [
                Volunteer(f"x{t}-{i}", tuple(zip(lottery.features, lottery.types[t], strict=True)))
                for t, n in enumerate(counts)
                for i in range(n)
            ]
            valid &= len(members) == spec.size and not panel_meets_quotas(members, spec)
        ok += weight if valid else 0
    drawn = draw_from_lottery(lottery, commitment(volunteers, specs, method), "bench seed")
    people = {v.key: v for v in volunteers}
    sample_ok = all(
        len(keys) == spec.size and not panel_meets_quotas([people[k] for k in keys], spec)
        for spec, keys in zip(specs, drawn.panels, strict=True)
    )
    return {
        "time": elapsed,
        "min": float(lottery.smallest_probability()),
        "valid_share": ok / total,
        "support": len(lottery.columns),
        "sample_ok": sample_ok,
        "stats": stats,
    }


def print_breakdown(method: str, r: dict) -> None:
    """Where the time went, each part and the whole as a ratio to the target."""
    stats, total = r["stats"], r["time"]
    parts = ", ".join(
        f"{name.replace('_', ' ')} {stats[name + '_seconds']:.1f} s "
        f"({stats[name + '_seconds'] / TARGET_SECONDS:.2f} of the target, "
        f"{stats.get(name + '_columns', 0)} panel sets)"
        if name.startswith("pricing")
        else f"{name.replace('_', ' ')} {stats[name + '_seconds']:.1f} s "
        f"({stats[name + '_seconds'] / TARGET_SECONDS:.2f})"
        for name in PARTS
    )
    other = total - sum(stats[name + "_seconds"] for name in PARTS)
    print(
        f"  {method}: {stats['rounds']} column-generation rounds, {stats['panel_sets']} panel "
        f"sets, {stats['types']} types; seconds and ratio to the {TARGET_SECONDS:.0f} s target: "
        f"{parts}; model building and the rest {other:.1f} s ({other / TARGET_SECONDS:.2f})"
    )
    print(f"  {method}: time / {TARGET_SECONDS:.0f} s target = {total / TARGET_SECONDS:.2f}")


def _sortition_child(volunteers, specs, queue):
    """Run sortition-algorithms' maximin on one panel of all the seats (in a child process)."""
    from requests.structures import CaseInsensitiveDict
    from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
    from sortition_algorithms.features import FeatureValueMinMax
    from sortition_algorithms.people import People

    k, seats = len(specs), sum(s.size for s in specs)
    features = CaseInsensitiveDict()
    for feature, (_, _, bounds) in FEATURES.items():
        features[feature] = CaseInsensitiveDict(
            {v: FeatureValueMinMax(min=k * lo, max=k * hi) for v, (lo, hi) in bounds.items()}
        )
    people = People([])
    for row, volunteer in enumerate(volunteers, start=2):
        people.add(volunteer.key, CaseInsensitiveDict(dict(volunteer.features)), features, row)
    start = time.perf_counter()
    committees, probabilities, _ = find_distribution_maximin(features, people, seats, [])
    elapsed = time.perf_counter() - start
    queue.put((elapsed, [sorted(c) for c in committees], list(probabilities)))


def run_sortition(volunteers, specs, timeout):
    """sortition-algorithms' maximin, with a time limit; None when it is reached."""
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_sortition_child, args=(volunteers, specs, queue))
    child.start()
    try:
        elapsed, committees, probabilities = queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - queue.Empty: the time limit was reached
        child.terminate()
        child.join()
        return None
    child.join()
    marginal = dict.fromkeys((v.key for v in volunteers), 0.0)
    people = {v.key: v for v in volunteers}
    for committee, p in zip(committees, probabilities, strict=True):
        for key in committee:
            marginal[key] += p
    # the most likely committees first, at most CHECKED of them (each check may take seconds)
    ranked = sorted(zip(probabilities, committees, strict=True), key=lambda pc: -pc[0])
    valid = unknown = checked = 0.0
    for p, committee in ranked[:CHECKED]:
        answer = splittable([people[k] for k in committee], specs)
        checked += p
        valid += p if answer else 0.0
        unknown += p if answer is None else 0.0
    return {
        "time": elapsed,
        "min": min(marginal.values()),
        "valid_share": valid / checked,
        "unknown_share": unknown / checked,
        "checked_share": checked / sum(probabilities),
        "support": len(committees),
    }


def main():
    """Run both on the same inputs and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--panels", type=int, default=6)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sortition-timeout", type=float, default=1800)
    args = parser.parse_args()
    volunteers, specs = instance(args.pool, args.panels, args.size, args.seed)
    seats = args.panels * args.size
    print(
        f"{args.pool} volunteers, {len(FEATURES)} features, {args.panels} panels of {args.size} "
        f"(uniform chance would be {seats / args.pool:.4f})"
    )
    results = {}
    for method in ("maximin", "leximin"):
        results[method] = run_consult(volunteers, specs, method)
        r = results[method]
        print(
            f"consult {method:8} time {r['time']:8.1f} s   smallest probability {r['min']:.5f}   "
            f"panel sets meeting the per-panel quotas {r['valid_share']:.0%} "
            f"({r['support']} in the lottery)   drawn panels meet quotas: {r['sample_ok']}"
        )
        print_breakdown(method, r)
    if args.sortition_timeout <= 0:
        return
    s = run_sortition(volunteers, specs, args.sortition_timeout)
    if s is None:
        print(f"sortition-algorithms maximin: not finished after {args.sortition_timeout:.0f} s")
        m = results["maximin"]
        print(f"ratio: consult maximin took < {m['time'] / args.sortition_timeout:.3f} of its time")
        return
    print(
        f"sortition-algorithms maximin time {s['time']:8.1f} s   smallest probability "
        f"{s['min']:.5f}   committees splittable into {args.panels} panels meeting the "
        f"per-panel quotas {s['valid_share']:.0%} (undecided in 20 s: {s['unknown_share']:.0%}; "
        f"{s['support']} in the lottery, the likeliest {CHECKED} checked, "
        f"{s['checked_share']:.0%} of the probability)"
    )
    for method, r in results.items():
        print(
            f"ratio consult {method}/sortition maximin: time {r['time'] / s['time']:.3f}, "
            f"smallest probability {r['min'] / s['min']:.3f}"
        )


if __name__ == "__main__":
    main()
