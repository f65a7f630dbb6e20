"""The fair draw of several disjoint panels by lot (Flanigan et al., Nature 596, 2021).

Among all sets of panels that meet every quota, the draw computes a lottery (a probability
distribution over such sets) whose selection probabilities are as equal as possible, publishes each
volunteer's probability, then samples one set of panels with a seed revealed after the commitment.

Two facts keep this fast and exact with an open-source solver (HiGHS via ``highspy``):

* Volunteers with the same values on the quoted features (a *type*) are interchangeable for the
  quotas. By symmetry the LEXIMIN-optimal probabilities are equal within a type, so the lottery is
  computed over *how many* people of each type sit in each panel, and the people of a type are then
  chosen uniformly at random: each gets exactly the type's probability.
* Column generation (Flanigan et al., appendix): a linear program over a growing portfolio of
  feasible panel sets, priced by finding a panel set with a better dual weight. LEXIMIN repeats
  it, fixing at each round the types whose probability cannot rise.

Pricing is where the time goes, so it comes in tiers, cheapest first. Any panel set that beats
the current price improves the lottery, so a fast one is tried first: each panel in turn from
its one-panel linear relaxation, rounded and improved by exchanges in numpy (no integer
program). Only when it finds nothing do exact programs run, and the last one, over the whole
panel set, is what proves that nothing better is left (its linear relaxation's bound often
suffices; otherwise it starts from the portfolio's best panel set and stops as soon as its
bound is within the price). The lottery LP keeps one row per type and gains a column per panel
set, so it restarts warm with a small basis.

Everything here is pure and deterministic: HiGHS is run single-threaded on inputs built in sorted
order, lottery weights are rounded to integers, and the random stream is SHA-256 of the commitment
and the seed, so a fresh process reproduces a draw whatever ``PYTHONHASHSEED`` is.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import highspy
import numpy as np

from consult.panels.rules import (
    METHODS,
    Constraint,
    InfeasibleQuotas,
    PanelInputError,
    PanelSpec,
    SeededStream,
    Volunteer,
    check_inputs,
    commitment,
    obvious_infeasibilities,
    quoted_features,
)

#: Optimality tolerance of column generation (in probability units).
EPS = 1e-7
#: A dual weight above this marks a type whose probability is fixed at the current level.
EPS_FIX = 1e-6
#: Lottery weights are integers summing to about this (exact probabilities from integers).
WEIGHT_SCALE = 10**9
#: Bound on pricing rounds, far above what the benchmark needs; reaching it is a bug report.
MAX_ROUNDS = 5000
#: Panel sets generated before column generation, favouring types not seen yet.
WARM_START = 20

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Lottery:
    """A distribution over panel sets, described by type counts.

    ``columns[c][p][t]`` is the number of people of type ``t`` in panel ``p`` when panel set ``c``
    is drawn, which happens with probability ``weights[c] / sum(weights)``.
    """

    method: str
    features: tuple[str, ...]
    types: tuple[tuple[str, ...], ...]
    members: tuple[tuple[str, ...], ...]
    columns: tuple[tuple[tuple[int, ...], ...], ...]
    weights: tuple[int, ...]

    def type_probability(self, t: int) -> Fraction:
        """Exact probability that a given volunteer of type ``t`` sits in some panel."""
        total = sum(self.weights)
        chosen = sum(w * sum(col[p][t] for p in range(len(col))) for col, w in self._pairs())
        return Fraction(chosen, total * len(self.members[t]))

    def _pairs(self):
        """Columns with their weights."""
        return zip(self.columns, self.weights, strict=True)

    def probabilities(self) -> dict[str, Fraction]:
        """Each volunteer's exact selection probability, by key (sorted)."""
        result = {}
        for t, keys in enumerate(self.members):
            p = self.type_probability(t)
            for key in keys:
                result[key] = p
        return dict(sorted(result.items()))

    def smallest_probability(self) -> Fraction:
        """The smallest selection probability (what maximin maximises)."""
        return min(self.type_probability(t) for t in range(len(self.types)))

    def to_json(self) -> str:
        """The lottery as canonical JSON, stored at commitment time and published."""
        return json.dumps(
            {
                "method": self.method,
                "features": self.features,
                "types": self.types,
                "members": self.members,
                "columns": self.columns,
                "weights": self.weights,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Lottery:
        """Read back a stored lottery."""
        data = json.loads(text)
        return cls(
            method=data["method"],
            features=tuple(data["features"]),
            types=tuple(tuple(t) for t in data["types"]),
            members=tuple(tuple(m) for m in data["members"]),
            columns=tuple(tuple(tuple(p) for p in c) for c in data["columns"]),
            weights=tuple(data["weights"]),
        )


@dataclass(frozen=True)
class DrawResult:
    """A finished draw: the panels (keys sorted inside each), the lottery and the inputs' hash."""

    commitment: str
    seed: str
    panels: tuple[tuple[str, ...], ...]
    column: int
    lottery: Lottery


# --------------------------------------------------------------------------- HiGHS plumbing

_redirect_lock = threading.Lock()
_redirect_depth = 0
_saved_stdout_fd: int | None = None


@contextmanager
def solver_output_to_stderr():
    """Point file descriptor 1 at standard error while HiGHS works.

    HiGHS writes to the process's standard output from C++ (1.16 prints a banner when an instance
    is created, whatever ``output_flag`` says), in front of the JSON or text that a command prints
    for people and programs. Re-pointing the descriptor keeps that output off stdout whatever the
    solver's version or options; nested and concurrent uses share one redirection.
    """
    global _redirect_depth, _saved_stdout_fd
    with _redirect_lock:
        if _redirect_depth == 0:
            sys.stdout.flush()
            _saved_stdout_fd = os.dup(1)
            os.dup2(2, 1)
        _redirect_depth += 1
    try:
        yield
    finally:
        with _redirect_lock:
            _redirect_depth -= 1
            if _redirect_depth == 0:
                sys.stdout.flush()
                os.dup2(_saved_stdout_fd, 1)
                os.close(_saved_stdout_fd)
                _saved_stdout_fd = None


def _solver_quiet(function):
    """Run a public entry point of the draw with the solver's output sent to stderr."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with solver_output_to_stderr():
            return function(*args, **kwargs)

    return wrapper


def _highs() -> highspy.Highs:
    """A silent, single-threaded, deterministic HiGHS instance."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-12)
    return h


def _pass_model(h, cost, lower, upper, rows, row_lower, row_upper, maximise, integer):
    """Load a model given row-wise as a list of (indices, values)."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.asarray(upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    starts, index, value = [0], [], []
    for idx, val in rows:
        index.extend(idx)
        value.extend(val)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cost)
    h.passModel(lp)


# --------------------------------------------------------------------------- the pricing model


class _Seats:
    """One panel's seats and quotas over the types, for the fast pricing (numpy, no solver).

    ``group[f, t]`` is the group (feature and value) of type ``t`` for feature ``f``;
    ``low[g]``/``high[g]`` bound how many of the panel's seats go to group ``g``.
    """

    def __init__(self, problem: _Problem, panel: PanelSpec):
        self.size = panel.size
        self.group, self.starts = problem.group, problem.group_starts
        n_groups = len(problem.groups)
        self.low = np.zeros(n_groups, dtype=np.int64)
        self.high = np.full(n_groups, panel.size, dtype=np.int64)
        for quota in panel.quotas:
            g = problem.groups.get((quota.feature, quota.value))
            if g is not None:  # nobody has this value: only a minimum of 0 can hold
                self.low[g], self.high[g] = quota.minimum, min(quota.maximum, panel.size)

    def round(self, relaxed, weights, available) -> np.ndarray | None:
        """A good panel near a solution of the linear relaxation (None if none was found).

        The whole people of the relaxed solution are kept and the seats left go to its
        fractional types first (:meth:`_fill`); exchanges of one person for another then meet
        the minimums and raise the weight (:meth:`_exchange`). The result is a local optimum,
        most often the best panel: the exact programs prove that no better panel set is left.
        """
        relaxed = np.asarray(relaxed)
        whole = np.clip(np.floor(relaxed + 1e-9).astype(np.int64), 0, available)
        if whole.sum() > self.size:
            return None
        top = max(float(weights.max(initial=0.0)), 1e-300)
        panel = self._fill(relaxed - whole + 1e-3 * weights / top, available, whole)
        return None if panel is None else self._exchange(panel, weights, available)

    def _counts(self, panel: np.ndarray) -> np.ndarray:
        """Seats taken in each group."""
        return np.bincount(
            self.group.ravel(), weights=np.tile(panel, len(self.group)), minlength=len(self.low)
        ).astype(np.int64)

    def _fill(self, preference, available, start):
        """Fill the seats left one at a time, by preference, within the maximums.

        A type is preferred when every feature's missing minimums stay within the seats left
        once it is seated; when no type is, the minimums are left to :meth:`_exchange`. None
        when the maximums (or the people available) leave a seat that nobody may take.
        """
        panel = start.copy()
        taken = self._counts(panel)
        for left in range(self.size - int(panel.sum()), 0, -1):
            ok = (panel < available) & (taken < self.high)[self.group].all(axis=0)
            if not ok.any():
                return None
            if len(self.starts):
                short = np.maximum(self.low - taken, 0)
                after = np.add.reduceat(short, self.starts)[:, None] - (short[self.group] > 0)
                reachable = ok & (after <= left - 1).all(axis=0)
                if reachable.any():
                    ok = reachable
            t = int(np.argmax(np.where(ok, preference, -np.inf)))
            panel[t] += 1
            taken[self.group[:, t]] += 1
        return panel

    def _exchange(self, panel, weights, available):
        """Exchange one seated person for one of another type, best move first, until no move
        helps: first the moves that meet more minimums, then those that raise the weight
        (never missing a minimum met). None if some minimum is still missed at the end."""
        taken = self._counts(panel)
        n = len(weights)
        while True:
            seated = np.flatnonzero(panel)
            groups = self.group[:, seated]  # features x seated
            differ = groups[:, :, None] != self.group[:, None, :]  # features x seated x types
            ok = ~(differ & ~(taken < self.high)[self.group][:, None, :]).any(axis=0)
            ok &= (panel < available)[None, :]
            # minimums missed after the move, relative to now
            lost = (taken <= self.low)[groups][:, :, None] & differ
            met = (taken < self.low)[self.group][:, None, :] & differ
            missed = lost.sum(axis=0) - met.sum(axis=0)
            gain = np.where(ok, weights[None, :] - weights[seated][:, None], -np.inf)
            fewest = int(missed[ok].min()) if ok.any() else 0
            if fewest < 0:
                gain = np.where(missed == fewest, gain, -np.inf)
            else:
                gain = np.where(missed == 0, gain, -np.inf)
                if not gain.max() > 1e-12:
                    return None if (taken < self.low).any() else panel
            i, b = divmod(int(np.argmax(gain)), n)
            a = seated[i]
            panel[a] -= 1
            panel[b] += 1
            taken[self.group[:, a]] -= 1
            taken[self.group[:, b]] += 1


class _Problem:
    """Types, their members and the integer program whose solutions are valid panel sets."""

    def __init__(self, volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec]):
        self.panels = list(panels)
        self.features = quoted_features(panels)
        by_type: dict[tuple[str, ...], list[str]] = {}
        for v in volunteers:
            by_type.setdefault(tuple(v.value(f) for f in self.features), []).append(v.key)
        self.types = tuple(sorted(by_type))
        self.members = tuple(tuple(sorted(by_type[t])) for t in self.types)
        self.counts = [len(m) for m in self.members]
        self.count_array = np.asarray(self.counts, dtype=np.int64)
        # the value of each quoted feature of each type, numbered across features (one group per
        # feature and value, each feature's groups in a row): what the fast pricing counts
        values = [sorted({t[f] for t in self.types}) for f in range(len(self.features))]
        self.group_starts = np.cumsum([0] + [len(v) for v in values])[:-1].astype(np.int64)
        self.groups = {
            (feature, value): int(start) + i
            for feature, start, vals in zip(self.features, self.group_starts, values, strict=True)
            for i, value in enumerate(vals)
        }
        self.group = np.array(
            [
                [self.groups[feature, t[f]] for t in self.types]
                for f, feature in enumerate(self.features)
            ],
            dtype=np.int64,
        ).reshape(len(self.features), len(self.types))
        self._seats: dict[tuple, _Seats] = {}
        # bound rows: (panel index, quota, sense) -> row index, filled by _build
        self.bound_rows: list[tuple[int, object, str, int]] = []
        # each integer program with its linear relaxation, by id of the integer one
        self._twins: dict[int, tuple[highspy.Highs, highspy.Highs]] = {}

    @property
    def n_types(self) -> int:
        """Number of volunteer types."""
        return len(self.types)

    def var(self, p: int, t: int) -> int:
        """Column index of y[t, p], people of type t in panel p."""
        return p * self.n_types + t

    def build(self, symmetry: bool) -> highspy.Highs:
        """The integer program: seats filled, quotas met, nobody in two panels."""
        T, P = self.n_types, len(self.panels)
        lower = [0.0] * (T * P)
        upper = [
            float(min(self.counts[t], self.panels[p].size)) for p in range(P) for t in range(T)
        ]
        rows, row_lower, row_upper = [], [], []
        self.bound_rows = []
        for p, panel in enumerate(self.panels):
            rows.append(([self.var(p, t) for t in range(T)], [1.0] * T))
            row_lower.append(panel.size)
            row_upper.append(panel.size)
            for quota in panel.quotas:
                f = self.features.index(quota.feature)
                idx = [self.var(p, t) for t in range(T) if self.types[t][f] == quota.value]
                self.bound_rows.append((p, quota, "min", len(rows)))
                self.bound_rows.append((p, quota, "max", len(rows)))
                rows.append((idx, [1.0] * len(idx)))
                row_lower.append(quota.minimum)
                row_upper.append(quota.maximum)
        if P > 1:
            for t in range(T):
                rows.append(([self.var(p, t) for p in range(P)], [1.0] * P))
                row_lower.append(-INF)
                row_upper.append(self.counts[t])
        if symmetry:
            # Identical panels are interchangeable: order them by a fixed linear key.
            for p in range(P - 1):
                if _same_spec(self.panels[p], self.panels[p + 1]):
                    idx = [self.var(p, t) for t in range(T)] + [
                        self.var(p + 1, t) for t in range(T)
                    ]
                    key = [float(t + 1) for t in range(T)]
                    rows.append((idx, key + [-k for k in key]))
                    row_lower.append(0.0)
                    row_upper.append(INF)
        h = _highs()
        # these programs are small and solved hundreds of times: presolve costs more than it saves
        h.setOptionValue("presolve", "off")
        _pass_model(h, [0.0] * (T * P), lower, upper, rows, row_lower, row_upper, True, True)
        # its linear relaxation, tried first: 15 times faster, and often already integral
        twin = _highs()
        _pass_model(twin, [0.0] * (T * P), lower, upper, rows, row_lower, row_upper, True, False)
        self._twins[id(h)] = (h, twin)
        return h

    def set_upper_bounds(self, h: highspy.Highs, upper: Sequence[float]) -> None:
        """Change the variables' upper bounds of a program and of its relaxation."""
        n = len(upper)
        for model in self._twins[id(h)]:
            model.changeColsBounds(
                n, np.arange(n, dtype=np.int32), np.zeros(n), np.asarray(upper, dtype=float)
            )

    def set_row_bounds(self, h: highspy.Highs, lower: Sequence[float], upper: Sequence[float]):
        """Change the rows' bounds of a program and of its relaxation."""
        n = len(lower)
        for model in self._twins[id(h)]:
            model.changeRowsBounds(
                n,
                np.arange(n, dtype=np.int32),
                np.asarray(lower, dtype=float),
                np.asarray(upper, dtype=float),
            )

    def solve(self, h: highspy.Highs, type_weights: Sequence[float] | None):
        """Best panel set for the weights (or any feasible one), as a column; None if infeasible."""
        T, P = self.n_types, len(self.panels)
        weights = [0.0] * T if type_weights is None else list(type_weights)
        costs = np.asarray(weights * P, dtype=float)
        index = np.arange(T * P, dtype=np.int32)
        relaxation = self._twins[id(h)][1]
        relaxation.changeColsCost(T * P, index, costs)
        relaxation.run()
        status = relaxation.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None  # no fractional solution, so no integer one either
        if status == highspy.HighsModelStatus.kOptimal:
            values = relaxation.getSolution().col_value
            if all(abs(v - round(v)) < 1e-9 for v in values):
                return self._column(values)  # an integral optimum of the relaxation is optimal
        h.changeColsCost(T * P, index, costs)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS stopped with status {h.modelStatusToString(status)}")
        return self._column(h.getSolution().col_value)

    def improving(self, h: highspy.Highs, prices: Sequence[float], target: float, start):
        """A panel set worth more than ``target`` at these prices, or None when none is.

        Exact, and cheaper than :meth:`solve` when no such panel set exists: the linear
        relaxation's bound may already prove it, and the integer program starts from ``start``
        (the portfolio's best panel set) and stops once its bound is within ``target``.
        """
        T, P = self.n_types, len(self.panels)
        costs = np.asarray(list(prices) * P, dtype=float)
        index = np.arange(T * P, dtype=np.int32)
        relaxation = self._twins[id(h)][1]
        relaxation.changeColsCost(T * P, index, costs)
        relaxation.run()
        status = relaxation.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status == highspy.HighsModelStatus.kOptimal:
            if relaxation.getInfo().objective_function_value <= target:
                return None  # the relaxation bounds every panel set's value
            values = relaxation.getSolution().col_value
            if all(abs(v - round(v)) < 1e-9 for v in values):
                return self._column(values)
        h.changeColsCost(T * P, index, costs)
        ordered = self._symmetric_order(start)
        value = sum(_price(prices, panel) for panel in ordered)
        h.setSolution(T * P, index, np.asarray([n for panel in ordered for n in panel], float))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", max(target - value, 1e-12))
        try:
            h.run()
        finally:
            h.setOptionValue("mip_rel_gap", 1e-9)
            h.setOptionValue("mip_abs_gap", 1e-12)
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS stopped with status {h.modelStatusToString(status)}")
        found = self._column(h.getSolution().col_value)
        if _price(prices, self.totals(found)) > target:
            return found
        if h.getInfo().mip_dual_bound <= target:
            return None  # proved: no panel set is worth more than the target
        return self.solve(h, prices)  # the incumbent improved but not enough: solve exactly

    def _symmetric_order(self, column):
        """A column's panels reordered to meet the symmetry rows of :meth:`build`."""
        column, T = list(column), self.n_types
        key = lambda panel: sum((t + 1) * panel[t] for t in range(T))  # noqa: E731
        start = 0
        for p in range(1, len(column) + 1):
            if p == len(column) or not _same_spec(self.panels[p - 1], self.panels[p]):
                column[start:p] = sorted(column[start:p], key=key, reverse=True)
                start = p
        return column

    def _column(self, values):
        """A solution as a column: per panel, the number of people of each type."""
        T, P = self.n_types, len(self.panels)
        return tuple(tuple(int(round(values[self.var(p, t)])) for t in range(T)) for p in range(P))

    def _single_model(self, panel: PanelSpec):
        """A cached one-panel program for a panel's size and quotas."""
        if not hasattr(self, "_single"):
            self._single = {}
        key = (panel.size, tuple(sorted(panel.quotas, key=_quota_key)))
        if key not in self._single:
            sub = _Problem.__new__(_Problem)
            sub.panels, sub.features, sub.types = [panel], self.features, self.types
            sub.members, sub.counts = self.members, self.counts
            sub._twins = {}
            self._single[key] = (sub, sub.build(symmetry=False))
        return self._single[key]

    def solve_replicated(self, type_weights: Sequence[float]):
        """When every panel has the same quotas: the best panel that fits k times, k times.

        One small program instead of k; None when the panels differ or no such panel exists.
        """
        k, first = len(self.panels), self.panels[0]
        if not all(_same_spec(first, p) for p in self.panels[1:]):
            return None
        sub, h = self._single_model(first)
        sub.set_upper_bounds(h, [float(min(c // k, first.size)) for c in self.counts])
        found = sub.solve(h, type_weights)
        return None if found is None else found * k

    def seats(self, panel: PanelSpec) -> _Seats:
        """The fast pricing's view of a panel (one per distinct seats and quotas)."""
        key = (panel.size, tuple(sorted(panel.quotas, key=_quota_key)))
        if key not in self._seats:
            self._seats[key] = _Seats(self, panel)
        return self._seats[key]

    def solve_fast(self, type_weights: Sequence[float]):
        """A good panel set fast: the panels one after another, each rounded from the linear
        relaxation among the people left (:meth:`_Seats.round`); None if that gets stuck."""
        weights = np.asarray(type_weights, dtype=float)
        left = self.count_array.copy()
        column = []
        best: dict[int, np.ndarray] = {}
        for panel in self.panels:
            seats = self.seats(panel)
            found = best.get(id(seats))
            if found is None or (found > left).any():
                available = np.minimum(left, panel.size)
                relaxed = self._relaxed(panel, weights, available)
                if relaxed is None:
                    return None
                found = seats.round(relaxed, weights, available)
                if found is None:
                    return None
                best[id(seats)] = found
            column.append(tuple(int(n) for n in found))
            left = left - found
        return tuple(column)

    def _relaxed(self, panel: PanelSpec, weights: np.ndarray, available: np.ndarray):
        """The linear relaxation's best panel for the weights within ``available`` (or None)."""
        sub, h = self._single_model(panel)
        relaxation = sub._twins[id(h)][1]
        n = len(weights)
        index = np.arange(n, dtype=np.int32)
        relaxation.changeColsBounds(n, index, np.zeros(n), available.astype(float))
        relaxation.changeColsCost(n, index, weights)
        relaxation.run()
        if relaxation.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(relaxation.getSolution().col_value)

    def solve_greedy(self, type_weights: Sequence[float]):
        """A good panel set fast: the best panels one after another (None if that gets stuck).

        Used before the exact program in column generation: any improving column will do, the
        exact one is only needed to prove that none is left.
        """
        left = list(self.counts)
        column = []
        best: dict[int, tuple[int, ...]] = {}  # best panel found for each (model) spec
        for panel in self.panels:
            sub, h = self._single_model(panel)
            previous = best.get(id(h))
            if previous is not None and all(n <= c for n, c in zip(previous, left, strict=True)):
                # the best panel for more room still fits in less room: it is still the best
                found = previous
            else:
                sub.set_upper_bounds(h, [float(min(c, panel.size)) for c in left])
                solved = sub.solve(h, type_weights)
                if solved is None:
                    return None
                found = best[id(h)] = solved[0]
            column.append(found)
            left = [c - n for c, n in zip(left, found, strict=True)]
        return tuple(column)

    def totals(self, column) -> tuple[int, ...]:
        """People of each type across all panels of a column."""
        return tuple(sum(panel[t] for panel in column) for t in range(self.n_types))


def _same_spec(a: PanelSpec, b: PanelSpec) -> bool:
    """Whether two panels have the same seats and quotas (names aside)."""
    return a.size == b.size and sorted(a.quotas, key=_quota_key) == sorted(b.quotas, key=_quota_key)


def _quota_key(q):
    """Sort key of a quota."""
    return (q.feature, q.value, q.minimum, q.maximum)


# --------------------------------------------------------------------------- feasibility


@_solver_quiet
def infeasibilities(
    volunteers: Sequence[Volunteer], panels: Sequence[PanelSpec]
) -> list[Constraint]:
    """Why no panel set meets the quotas, or an empty list when one does.

    Counting arguments come first (they name one quota with its figures). Otherwise a deletion
    filter over the quota bounds keeps an irreducible set: each of its bounds can be met alone, all
    of them together cannot, and dropping any one of them makes the rest feasible.
    """
    check_inputs(volunteers, panels)
    obvious = obvious_infeasibilities(volunteers, panels)
    if obvious:
        return obvious
    problem = _Problem(volunteers, panels)
    h = problem.build(symmetry=False)
    if problem.solve(h, None) is not None:
        return []
    active = [
        (p, quota, sense, row)
        for p, quota, sense, row in problem.bound_rows
        if (sense == "min" and quota.minimum > 0)
        or (sense == "max" and quota.maximum < problem.panels[p].size)
    ]
    lp = h.getLp()
    row_lower = list(lp.row_lower_)
    row_upper = list(lp.row_upper_)

    def apply():
        problem.set_row_bounds(h, row_lower, row_upper)

    kept = []
    for p, quota, sense, row in active:
        saved = (row_lower[row], row_upper[row])
        if sense == "min":
            row_lower[row] = 0.0
        else:
            row_upper[row] = float(problem.panels[p].size)
        apply()
        if problem.solve(h, None) is not None:
            row_lower[row], row_upper[row] = saved  # needed for infeasibility: keep it
            kept.append((p, quota, sense))
    bounds = tuple(
        (
            problem.panels[p].name,
            quota.feature,
            quota.value,
            sense,
            quota.minimum if sense == "min" else quota.maximum,
        )
        for p, quota, sense in kept
    )
    return [Constraint("combination", bounds=bounds)]


# --------------------------------------------------------------------------- the lottery


class _Master:
    """The lottery LP over the portfolio, "maximise the smallest unfixed probability", kept warm.

    Variables: z (free), then one weight per panel set P of the portfolio. Maximise z subject to
    sum_P w_P = 1, and for each type t, sum_P a_t(P) w_P >= z while t is unfixed, >= p_t once
    its probability p_t is fixed, where a_t(P) is a type-t volunteer's chance in P. Its duals
    are the prices of column generation: y_t >= 0 per type (summing to 1 over the unfixed
    ones) and yhat for sum_P w_P = 1, the price that a new panel set must beat.

    Panel sets enter as columns, so the basis keeps its T + 1 rows whatever the portfolio's
    size, and each round restarts from the last basis (a fixed type's row stays satisfied).
    """

    def __init__(self, problem: _Problem):
        self.problem = problem
        T = problem.n_types
        self.h = _highs()
        self.h.setOptionValue("presolve", "off")
        # a new column keeps the basis primal feasible: the primal simplex goes on from there
        self.h.setOptionValue("simplex_strategy", 4)
        rows = [([0], [-1.0]) for _ in range(T)] + [([], [])]
        lower, upper = [0.0] * T + [1.0], [INF] * T + [1.0]
        _pass_model(self.h, [1.0], [-INF], [INF], rows, lower, upper, True, False)

    def add(self, totals: Sequence[int]) -> None:
        """A new panel set in the portfolio: one more column."""
        T, counts = self.problem.n_types, self.problem.counts
        idx = [t for t in range(T) if totals[t]] + [T]
        val = [totals[t] / counts[t] for t in range(T) if totals[t]] + [1.0]
        self.h.addCol(0.0, 0.0, INF, len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val))

    def fix(self, t: int, level: float) -> None:
        """Type t's probability is fixed: its row no longer follows z but keeps the level."""
        self.h.changeCoeff(t, 0, 0.0)
        self.h.changeRowBounds(t, level - EPS, INF)

    def solve(self):
        """Prices y per type, yhat and the objective value (the best achievable smallest level)."""
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("the lottery LP did not solve")
        duals = np.asarray(self.h.getSolution().row_dual)
        T = self.problem.n_types
        # HiGHS's duals of a maximisation: non-positive on the >= rows (the prices are their
        # opposites), and on the equality the price a panel set must beat (a column's reduced
        # cost is -(sum_t dual_t a_t(P) + dual_T) <= 0 at the optimum)
        y = np.maximum(-duals[:T], 0.0)
        return list(y), float(duals[T]), self.h.getInfo().objective_function_value


def _final_distribution(problem: _Problem, portfolio, fixed: dict[int, float]) -> list[float]:
    """Weights over the portfolio giving every type at least its fixed probability (up to slack)."""
    T, C = problem.n_types, len(portfolio)
    rows, lo, hi = [([*range(C)], [1.0] * C)], [1.0], [1.0]
    for t in range(T):
        idx = [c for c in range(C) if portfolio[c][t]] + [C]
        val = [portfolio[c][t] / problem.counts[t] for c in range(C) if portfolio[c][t]] + [1.0]
        rows.append((idx, val))
        lo.append(fixed[t])
        hi.append(INF)
    h = _highs()
    _pass_model(h, [0.0] * C + [1.0], [0.0] * (C + 1), [INF] * (C + 1), rows, lo, hi, False, False)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError("the primal of the lottery LP did not solve")
    return [max(0.0, x) for x in list(h.getSolution().col_value)[:C]]


def _price(prices: Sequence[float], totals: Sequence[int]) -> float:
    """Dual value of a panel set: the weighted number of people of each type it seats."""
    return sum(p * n for p, n in zip(prices, totals, strict=True))


#: Share of the progress given to the warm start; LEXIMIN's rounds share the rest, each type
#: whose probability is fixed moving it on (the final distribution takes the last step).
WARM_SHARE, FINAL_SHARE = 0.05, 0.05


#: Where the time goes, in the order of the computation (the benchmark prints them).
PARTS = ("warm_start", "dual", "pricing_fast", "pricing_heuristic", "pricing_exact", "final")


class _Clock:
    """Seconds spent in each part of the computation, for the benchmark and the job's page."""

    def __init__(self, stats: dict | None):
        self.stats = stats if stats is not None else {}
        for name in PARTS:
            self.stats.setdefault(f"{name}_seconds", 0.0)

    def timed(self, name: str, call, *args):
        """Run ``call`` and add its duration to ``name``."""
        start = time.perf_counter()
        try:
            return call(*args)
        finally:
            self.stats[f"{name}_seconds"] += time.perf_counter() - start


@_solver_quiet
def compute_lottery(
    volunteers: Sequence[Volunteer],
    panels: Sequence[PanelSpec],
    method: str = "leximin",
    *,
    progress: Callable[[float, str], None] | None = None,
    stats: dict | None = None,
) -> Lottery:
    """The fair lottery over quota-respecting panel sets (LEXIMIN, or maximin only).

    Raises :class:`InfeasibleQuotas` naming the constraint when no panel set exists.
    ``progress(fraction, stage)`` is told how far it is; ``stats`` is filled with the number of
    column-generation rounds, of panel sets generated and the seconds spent in each part.
    """
    clock = _Clock(stats)
    report = progress or (lambda _fraction, _stage: None)
    if method not in METHODS:
        raise PanelInputError(f"Unknown draw method {method!r}.")
    check_inputs(volunteers, panels)
    obvious = obvious_infeasibilities(volunteers, panels)
    if obvious:
        raise InfeasibleQuotas(obvious)
    problem = _Problem(volunteers, panels)
    h = problem.build(symmetry=True)
    first = problem.solve(h, None)
    if first is None:
        raise InfeasibleQuotas(infeasibilities(volunteers, panels))
    T = problem.n_types
    portfolio: dict[tuple[int, ...], tuple] = {problem.totals(first): first}
    report(0.0, "warm_start")

    # Warm start with multiplicative weights: favour types not yet seen in a panel set.
    weights = [1.0] * T
    warm_start = time.perf_counter()
    for _ in range(min(T, WARM_START)):
        prices = [w / c for w, c in zip(weights, problem.counts, strict=True)]
        column = (
            problem.solve_replicated(prices)
            or problem.solve_greedy(prices)
            or problem.solve(h, prices)
        )
        totals = problem.totals(column)
        portfolio.setdefault(totals, column)
        for t in range(T):
            if totals[t]:
                weights[t] *= 0.8
        scale = T / sum(weights)
        weights = [w * scale for w in weights]
    clock.stats["warm_start_seconds"] += time.perf_counter() - warm_start
    report(WARM_SHARE, "rounds")

    dual = _Master(problem)
    for totals in portfolio:
        dual.add(totals)
    tiers = [("pricing_fast", problem.solve_fast)]
    if len(problem.panels) > 1:
        tiers.append(("pricing_heuristic", problem.solve_greedy))
    columns: list[tuple] = list(portfolio.values())
    totals_matrix = np.asarray(list(portfolio), dtype=float)

    def exact(prices, target):
        best = int(np.argmax(totals_matrix @ np.asarray(prices)))
        return problem.improving(h, prices, target, columns[best])

    tiers.append(("pricing_exact", exact))
    fixed: dict[int, float] = {}
    rounds = 0
    while len(fixed) < T:
        y, yhat, value = clock.timed("dual", dual.solve)
        prices = [y[t] / problem.counts[t] for t in range(T)]
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError("column generation did not converge")
        improved = False
        for name, tier in tiers:  # cheap heuristics first; the exact program proves optimality
            if name == "pricing_exact":
                column = clock.timed(name, tier, prices, yhat + EPS)
            else:
                column = clock.timed(name, tier, prices)
            if column is None:
                continue
            totals = problem.totals(column)
            if _price(prices, totals) > yhat + EPS and totals not in portfolio:
                portfolio[totals] = column
                columns.append(column)
                totals_matrix = np.vstack([totals_matrix, np.asarray(totals, dtype=float)])
                dual.add(totals)
                improved = True
                clock.stats[f"{name}_columns"] = clock.stats.get(f"{name}_columns", 0) + 1
                break
        if improved:
            continue
        level = min(1.0, max(0.0, value))
        if method == "maximin":
            fixed = dict.fromkeys(range(T), level)
            break
        newly = [t for t in range(T) if t not in fixed and y[t] > EPS_FIX]
        if not newly:  # numerical corner: fix the heaviest remaining type
            newly = [max((t for t in range(T) if t not in fixed), key=lambda t: (y[t], -t))]
        for t in newly:
            fixed[t] = level
            dual.fix(t, level)
        report(WARM_SHARE + (1 - WARM_SHARE - FINAL_SHARE) * len(fixed) / T, "rounds")

    clock.stats.update(rounds=rounds, panel_sets=len(portfolio), types=T)
    report(1 - FINAL_SHARE, "final")
    keys = list(portfolio)
    lam = clock.timed("final", _final_distribution, problem, keys, fixed)
    total = sum(lam)
    pairs = []
    for totals, x in zip(keys, lam, strict=True):
        weight = round(x / total * WEIGHT_SCALE)
        if weight > 0:
            pairs.append((portfolio[totals], weight))
    pairs.sort(key=lambda cw: cw[0])
    return Lottery(
        method=method,
        features=problem.features,
        types=problem.types,
        members=problem.members,
        columns=tuple(c for c, _ in pairs),
        weights=tuple(w for _, w in pairs),
    )


def sample(lottery: Lottery, stream: SeededStream) -> tuple[int, tuple[tuple[str, ...], ...]]:
    """Draw one panel set from the lottery, then the people of each type uniformly.

    Returns the index of the drawn column and, per panel, the sorted keys of its members.
    """
    r = stream.below(sum(lottery.weights))
    index = 0
    while r >= lottery.weights[index]:
        r -= lottery.weights[index]
        index += 1
    column = lottery.columns[index]
    panels: list[list[str]] = [[] for _ in column]
    for t, keys in enumerate(lottery.members):
        order = stream.shuffled(keys)
        start = 0
        for p, counts in enumerate(column):
            panels[p].extend(order[start : start + counts[t]])
            start += counts[t]
    return index, tuple(tuple(sorted(members)) for members in panels)


def draw_panels(
    volunteers: Sequence[Volunteer],
    panels: Sequence[PanelSpec],
    seed: str,
    method: str = "leximin",
) -> DrawResult:
    """The whole draw from published inputs and a seed: what ``consult panels verify`` re-runs."""
    digest = commitment(volunteers, panels, method)
    return draw_from_lottery(committed_lottery(volunteers, panels, method), digest, seed)


def committed_lottery(
    volunteers: Sequence[Volunteer],
    panels: Sequence[PanelSpec],
    method: str = "leximin",
    *,
    progress: Callable[[float, str], None] | None = None,
    stats: dict | None = None,
) -> Lottery:
    """The lottery of the published inputs: it does not depend on the seed, so the platform
    computes and publishes it (with every selection probability) at commitment time."""
    # Canonical order, so that the lottery depends on the inputs and not on how they were listed.
    return compute_lottery(
        sorted(volunteers, key=lambda v: v.key), panels, method, progress=progress, stats=stats
    )


def draw_from_lottery(lottery: Lottery, digest: str, seed: str) -> DrawResult:
    """Sample the committed lottery with the revealed seed."""
    index, drawn = sample(lottery, SeededStream(digest, seed))
    return DrawResult(commitment=digest, seed=seed, panels=drawn, column=index, lottery=lottery)
