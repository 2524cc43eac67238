"""Reduced-cost fixing in the optimal assignment: exact against the MIP over every pair."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from unittest import mock

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solver import assign, optimize
from solver.domain import SolverStatus
from solver.pricing import price
from tests.snapshots import shuffle_orders
from tests.test_optimize import case, feasible, integer_objective

if TYPE_CHECKING:
    from solver.assign import Assignment
    from solver.optimize import SolveInfo


def solve_both(seed: int, n_orders: int) -> tuple[Assignment, SolveInfo, Assignment, SolveInfo]:
    """The request solved with reduced-cost fixing, then with the MIP over every pair."""
    snapshot, eligibility, prices, scores = case(seed, n_orders)
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
    with mock.patch.object(optimize, "LP_SOLVERS", ()):  # no LP: the whole model to the MIP
        b, info_b = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
    assert feasible(snapshot, eligibility, prices, a.carrier_idx.copy())
    return a, info, b, info_b


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_orders=st.integers(20, 120))
def test_fixing_reaches_the_whole_mip_optimum(seed: int, n_orders: int) -> None:
    """The core MIP after reduced-cost fixing finds the optimum of the MIP over every pair,
    and its bound never claims more than the other finds."""
    a, info, b, info_b = solve_both(seed, n_orders)
    rounding = 0.5 * n_orders / optimize.COST_SCALE
    assert info.bound <= b.objective + rounding
    assert info_b.bound <= a.objective + rounding
    assume(info_b.status == SolverStatus.OPTIMAL)  # a few are too hard for SCIP in 5 s
    assert info.status == SolverStatus.OPTIMAL
    _, _, _, scores = case(seed, n_orders)
    assert integer_objective(scores, a.carrier_idx) == integer_objective(scores, b.carrier_idx)
    assert info.method == info_b.method


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_orders=st.integers(20, 120))
def test_second_core_is_exact_too(seed: int, n_orders: int) -> None:
    """With a first core too small to prove anything, the second (gap-wide) one still is."""
    with mock.patch.object(optimize, "CORE_SHARE", 10**9):
        a, info, b, info_b = solve_both(seed, n_orders)
    assume(info_b.status == SolverStatus.OPTIMAL)  # a few are too hard for SCIP in 5 s
    assert info.status == SolverStatus.OPTIMAL
    _, _, _, scores = case(seed, n_orders)
    assert integer_objective(scores, a.carrier_idx) == integer_objective(scores, b.carrier_idx)


def lp_cases(count: int) -> list[tuple[Any, ...]]:
    """(snapshot, problem, LP answer, optimal assignment) for seeds that reach the LP."""
    found = []
    real = optimize._lp_bound
    for seed in range(200):
        snapshot, eligibility, prices, scores = case(seed, 80)
        seen: list[tuple[Any, Any]] = []

        def spy(snapshot: Any, p: Any, budget_s: float, seen: list[Any] = seen) -> Any:
            out = real(snapshot, p, budget_s)
            seen.append((p, out))
            return out

        with mock.patch.object(optimize, "_lp_bound", spy):
            a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
        if seen and seen[0][1] is not None and info.status == SolverStatus.OPTIMAL:
            found.append((snapshot, seen[0][0], seen[0][1], a))
        if len(found) == count:
            return found
    raise AssertionError("too few requests reach the LP")


def test_dual_bound_holds_for_the_optimum() -> None:
    """The optimum's gain is at most the LP bound less what it pays for leaving the LP."""
    for _, p, (bound, reduced, tolerance, _), a in lp_cases(8):
        chosen = a.carrier_idx[p.pair_order] == p.pair_carrier
        paid = np.abs(reduced) * (chosen != (reduced > 0))
        assert p.pair_gain[chosen].sum() <= bound + tolerance - paid.sum()


def test_dual_bound_holds_for_any_multipliers() -> None:
    """Weak duality does not need the LP's duals: random multipliers also bound the optimum."""
    rng = np.random.default_rng(0)
    for snapshot, p, _, a in lp_cases(4):
        everything = np.ones(len(p.pair_row), dtype=np.bool_)
        model, _ = optimize._build(snapshot, p, everything, ~everything)
        chosen = a.carrier_idx[p.pair_order] == p.pair_carrier
        for scale in (1.0, 1e3, 1e6):
            duals = rng.normal(0.0, scale, len(model.rows))
            bound, _, tolerance = model.dual_bound(duals)
            assert p.pair_gain[chosen].sum() <= bound + tolerance


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_same_decision_when_orders_are_shuffled_on_the_lp_path(seed: int) -> None:
    """Larger requests (LP, fixing and core MIPs) still give each order the same carrier."""
    snapshot, eligibility, prices, scores = case(seed, 150)
    perm = np.random.default_rng(seed).permutation(150)
    s2, e2 = shuffle_orders(snapshot, eligibility, perm)
    p2 = price(s2, e2)
    a = optimize.optimal(snapshot, eligibility, prices, scores, 5.0)
    b = optimize.optimal(s2, e2, p2, assign.score(s2, p2), 5.0)
    np.testing.assert_array_equal(a.carrier_idx[perm], b.carrier_idx)
    np.testing.assert_array_equal(a.slot_idx[perm], b.slot_idx)
