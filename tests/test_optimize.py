"""Optimal assignment: feasibility, never worse than greedy, order-independent, truly optimal."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import assign, optimize
from solver.domain import CarrierKind, Policy, SolverStatus
from solver.pricing import price, required_capabilities
from tests.snapshots import (
    all_eligible,
    random_eligibility,
    random_snapshot,
    shuffle_orders,
    with_changes,
)

if TYPE_CHECKING:
    from solver.assign import Assignment
    from solver.eligibility import Eligibility
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot

Case = tuple["Snapshot", "Eligibility", "PriceTable", np.ndarray]


def case(seed: int, n_orders: int = 40, n_carriers: int = 5, **kwargs: object) -> Case:
    """A priced random request with tight capacity, and its scores."""
    defaults: dict[str, object] = {
        "n_zones": 2, "p_slots": 0.7, "slots_per_carrier": 3, "van_types": seed % 3,
    }  # fmt: skip
    defaults.update(kwargs)
    snapshot = random_snapshot(seed, n_orders, n_carriers, **defaults)  # type: ignore[arg-type]
    eligibility = random_eligibility(snapshot, seed)
    prices = price(snapshot, eligibility)
    return snapshot, eligibility, prices, assign.score(snapshot, prices)


def milli(x: np.ndarray) -> np.ndarray:
    return optimize._milli(np.asarray(x, dtype=np.float64))


def feasible(snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable,
             carrier: np.ndarray) -> bool:  # fmt: skip
    """The model's constraints, checked from scratch (integer grams and millilitres)."""
    o, sl, fl = snapshot.orders, snapshot.slots, snapshot.fleet
    rows = np.flatnonzero(carrier >= 0)
    if np.any(prices.reason[rows, carrier[rows]] != 0):
        return False
    slot = prices.slot_idx[rows, carrier[rows]]
    grams, ml = milli(o.weight_kg), milli(o.volume_l)
    for k in np.unique(slot[slot >= 0]):
        members = rows[slot == k]
        if len(members) > max(sl.remaining_orders[k], 0):
            return False
        if grams[members].sum() > milli(sl.remaining_weight_kg[k : k + 1])[0]:
            return False
    caps = required_capabilities(eligibility.requirement_bits)
    own = np.flatnonzero(snapshot.carriers.kind == int(CarrierKind.OWN_FLEET))
    for c in own:
        members = rows[carrier[rows] == c]
        vans = np.flatnonzero(fl.carrier_idx == c)
        classes = np.unique(caps[members])
        supply = [
            (np.maximum(fl.capacity_stops[vans], 0), np.ones(len(members), dtype=np.int64)),
            (milli(fl.capacity_kg[vans]), grams[members]),
            (milli(fl.capacity_l[vans]), ml[members]),
        ]
        # Hall's condition per resource: every set of classes fits the vans serving any of them.
        for r in range(1, len(classes) + 1):
            for subset in itertools.combinations(classes.tolist(), r):
                in_subset = np.isin(caps[members], subset)
                serves = np.array(
                    [any((int(fl.skill_bits[v]) & q) == q for q in subset) for v in vans],
                    dtype=np.bool_,
                )
                for cap, demand in supply:
                    if demand[in_subset].sum() > cap[serves].sum():
                        return False
    return True


def integer_objective(scores: np.ndarray, carrier: np.ndarray) -> int:
    """The objective in the solver's integer units."""
    penalty = round(assign.unassigned_penalty(scores) * optimize.COST_SCALE)
    rows = np.flatnonzero(carrier >= 0)
    cost = np.rint(scores[rows, carrier[rows]] * optimize.COST_SCALE).astype(np.int64).sum()
    return int(cost) + penalty * (len(carrier) - len(rows))


def brute_force(snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable,
                scores: np.ndarray) -> int:  # fmt: skip
    """The best integer objective over every feasible assignment."""
    options = [
        [-1, *np.flatnonzero((prices.reason[i] == 0) & np.isfinite(scores[i])).tolist()]
        for i in range(snapshot.orders.count)
    ]
    best = None
    for combo in itertools.product(*options):
        carrier = np.array(combo, dtype=np.int64)
        if feasible(snapshot, eligibility, prices, carrier):
            value = integer_objective(scores, carrier)
            best = value if best is None else min(best, value)
    assert best is not None
    return best


def check(snapshot: Snapshot, prices: PriceTable, a: Assignment) -> None:
    """Shape and bookkeeping of an assignment: slots follow the pairs, reasons the gaps."""
    rows = np.flatnonzero(a.carrier_idx >= 0)
    np.testing.assert_array_equal(a.slot_idx[rows], prices.slot_idx[rows, a.carrier_idx[rows]])
    assert np.all(a.slot_idx[a.carrier_idx < 0] == -1)
    assert np.all((a.reason == 0) == (a.carrier_idx >= 0))
    own = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    vans = a.vehicle_idx[a.vehicle_idx >= 0]
    assert np.all(own[a.carrier_idx[a.vehicle_idx >= 0]])
    assert np.all(snapshot.fleet.carrier_idx[vans] == a.carrier_idx[a.vehicle_idx >= 0])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_orders=st.integers(1, 5), n_carriers=st.integers(1, 3))
def test_equals_brute_force_on_tiny_requests(seed: int, n_orders: int, n_carriers: int) -> None:
    """On tiny requests the optimum equals exhaustive search over every assignment."""
    snapshot, eligibility, prices, scores = case(
        seed, n_orders, n_carriers, n_vans=3, slots_per_carrier=2
    )
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
    assert info.status == SolverStatus.OPTIMAL
    assert a.bound == a.objective  # proven optimal: the bound is the objective
    assert feasible(snapshot, eligibility, prices, a.carrier_idx.copy())
    assert integer_objective(scores, a.carrier_idx) == brute_force(
        snapshot, eligibility, prices, scores
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_orders=st.integers(5, 60))
def test_feasible_and_never_worse_than_greedy(seed: int, n_orders: int) -> None:
    """Capacity holds, only possible pairs are used, and the total is at most greedy's."""
    snapshot, eligibility, prices, scores = case(seed, n_orders)
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
    greedy = assign.greedy(snapshot, eligibility, prices, scores)
    assert feasible(snapshot, eligibility, prices, a.carrier_idx.copy())
    check(snapshot, prices, a)
    rounding = 0.5 * n_orders / optimize.COST_SCALE
    # Greedy does not count own-fleet pairs against the own fleet's slots; where that makes
    # its answer infeasible here the comparison does not apply.
    if feasible(snapshot, eligibility, prices, greedy.carrier_idx.copy()):
        assert a.objective <= greedy.objective + rounding
    assert info.bound <= a.objective + rounding
    assert a.bound == info.bound
    assert a.policy == Policy.OPTIMAL


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_same_decision_when_orders_are_shuffled(seed: int) -> None:
    """Each order gets the same carrier whatever its position in the request."""
    snapshot, eligibility, prices, scores = case(seed, 40)
    perm = np.random.default_rng(seed).permutation(40)
    s2, e2 = shuffle_orders(snapshot, eligibility, perm)
    p2 = price(s2, e2)
    a = optimize.optimal(snapshot, eligibility, prices, scores, 5.0)
    b = optimize.optimal(s2, e2, p2, assign.score(s2, p2), 5.0)
    np.testing.assert_array_equal(a.carrier_idx[perm], b.carrier_idx)
    np.testing.assert_array_equal(a.slot_idx[perm], b.slot_idx)
    np.testing.assert_array_equal(a.reason[perm], b.reason)


@pytest.mark.parametrize("seed", range(6))
def test_min_cost_flow_agrees_with_mip(seed: int) -> None:
    """Where the flow shortcut applies, the MIP on the full model finds the same optimum."""
    snapshot, eligibility, prices, scores = case(seed, 50, van_types=1)
    snapshot = with_changes(  # weights never bind: every capacity is an order count
        snapshot, "slots", remaining_weight_kg=np.full(snapshot.slots.count, 1e6)
    )
    prices = price(snapshot, eligibility)
    scores = assign.score(snapshot, prices)
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
    b, info_b = optimize.solve(snapshot, eligibility, prices, scores, 5.0, method="mip")
    assert info_b.method in ("mip", "trivial")  # trivial: every slot fits all its candidates
    assert info_b.status == SolverStatus.OPTIMAL
    assert integer_objective(scores, a.carrier_idx) == integer_objective(scores, b.carrier_idx)
    if info.method == "min_cost_flow":
        assert info.status == SolverStatus.OPTIMAL


def test_weight_capacity_uses_mip_and_holds() -> None:
    """A slot whose kilograms bind is solved by the MIP and never overfilled."""
    for seed in range(20):
        snapshot, eligibility, prices, scores = case(seed, 60, p_slots=1.0, own_fleet=False)
        a, info = optimize.solve(snapshot, eligibility, prices, scores, 5.0)
        if info.method == "mip":
            assert feasible(snapshot, eligibility, prices, a.carrier_idx.copy())
            return
    pytest.fail("no request with binding slot weights among the seeds")


def test_everything_free_is_trivial() -> None:
    """Without slots or vans every order simply takes its best pair."""
    snapshot = random_snapshot(3, 30, 4, p_slots=0.0, own_fleet=False)
    eligibility = all_eligible(snapshot)
    prices = price(snapshot, eligibility)
    scores = assign.score(snapshot, prices)
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 1.0)
    assert info.method == "trivial"
    best = np.where(np.isfinite(scores).any(axis=1), np.argmin(scores, axis=1), -1)
    np.testing.assert_array_equal(a.carrier_idx, best)


def test_unassigned_orders_say_why() -> None:
    """An order left out carries a reason; assigned orders carry 0."""
    snapshot, eligibility, prices, scores = case(5, 60, slots_per_carrier=1)
    a = optimize.optimal(snapshot, eligibility, prices, scores, 5.0)
    assert np.all((a.reason == 0) == (a.carrier_idx >= 0))
    no_eligible = ~(eligibility.reason == 0).any(axis=1)
    assert np.all(a.reason[no_eligible] == 1)


def test_inputs_are_checked() -> None:
    """Wrong shapes, a non-positive budget or an unknown method are refused."""
    snapshot, eligibility, prices, scores = case(1, 5)
    with pytest.raises(ValueError, match="scores"):
        optimize.optimal(snapshot, eligibility, prices, scores[:2], 1.0)
    with pytest.raises(ValueError, match="budget_s"):
        optimize.optimal(snapshot, eligibility, prices, scores, 0.0)
    with pytest.raises(ValueError, match="method"):
        optimize.solve(snapshot, eligibility, prices, scores, 1.0, method="simplex")


def test_tiny_budget_still_answers() -> None:
    """A very small budget still returns a feasible assignment with an honest status."""
    snapshot, eligibility, prices, scores = case(9, 300, 6, p_slots=1.0, slots_per_carrier=4)
    a, info = optimize.solve(snapshot, eligibility, prices, scores, 0.001)
    assert info.status in (SolverStatus.OPTIMAL, SolverStatus.FEASIBLE, SolverStatus.HEURISTIC)
    assert feasible(snapshot, eligibility, prices, a.carrier_idx.copy())
    if a.bound is None:  # nothing proven: greedy, or no bound within the budget
        assert info.status == SolverStatus.HEURISTIC or not np.isfinite(info.bound)
    else:
        assert a.bound == info.bound <= a.objective + 0.5 * 300 / optimize.COST_SCALE


@pytest.mark.parametrize("seed", range(8))
def test_never_worse_than_greedy_when_own_fleet_has_no_slots(seed: int) -> None:
    """With slots only on partners, greedy's answer is feasible here and never better."""
    snapshot, eligibility, _, _ = case(seed, 60, slots_per_carrier=2)
    has_slots = snapshot.carriers.has_slots.copy()
    has_slots[snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)] = False
    snapshot = with_changes(snapshot, "carriers", has_slots=has_slots)
    prices = price(snapshot, eligibility)
    scores = assign.score(snapshot, prices)
    greedy = assign.greedy(snapshot, eligibility, prices, scores)
    assert feasible(snapshot, eligibility, prices, greedy.carrier_idx.copy())
    a = optimize.optimal(snapshot, eligibility, prices, scores, 5.0)
    assert a.objective <= greedy.objective + 0.5 * 60 / optimize.COST_SCALE
