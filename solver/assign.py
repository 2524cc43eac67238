"""Who delivers each order, under live capacity: the greedy baseline.

`greedy` gives each order, most urgent promise first, its best-scoring possible candidate that
still has room in its slot (partners) or on a van (own fleet). It stays in the product as the
baseline every better policy reports its savings against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from solver.domain import (
    CAPABILITY_FOR_REQUIREMENT,
    CarrierKind,
    Policy,
    Reason,
    SolverStatus,
    bit,
)
from solver.snapshot import readonly

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Assignment:
    """One carrier (and slot, and van for the own fleet) per order, or a reason why none."""

    carrier_idx: np.ndarray  # int64[N], -1 = unassigned
    slot_idx: np.ndarray  # int64[N], -1 = no slot used
    vehicle_idx: np.ndarray  # int64[N], own fleet only, else -1
    reason: np.ndarray  # int64[N], Reason; 0 when assigned
    status: SolverStatus
    policy: Policy
    objective: float  # total score of the assigned orders plus unassigned penalties
    bound: float | None = None  # proven lower bound of the objective; None: none proven

    def __post_init__(self) -> None:
        for name in ("carrier_idx", "slot_idx", "vehicle_idx", "reason"):
            object.__setattr__(self, name, readonly(getattr(self, name)))

    @property
    def assigned(self) -> np.ndarray:
        mask: np.ndarray = self.carrier_idx >= 0
        return mask


def score(snapshot: Snapshot, prices: PriceTable) -> np.ndarray:
    """Objective value of every pair (lower is better); inf where the pair is impossible."""
    options = snapshot.options
    value = options.cost_weight * prices.price_cents.astype(np.float64)
    value += options.emissions_cents_per_kg * prices.co2e_g / 1000.0
    value[prices.reason != 0] = np.inf
    return value


def required_capabilities(eligibility: Eligibility) -> np.ndarray:
    """uint64[N]: the capability bits each order needs from whoever carries it."""
    needed = np.zeros(eligibility.requirement_bits.shape[0], dtype=np.uint64)
    for requirement, capability in CAPABILITY_FOR_REQUIREMENT.items():
        mask = (eligibility.requirement_bits & bit(requirement)) != 0
        needed[mask] |= np.uint64(bit(capability))
    return needed


def unassigned_penalty(scores: np.ndarray) -> float:
    """Cost of leaving an order out: above any possible score, so serving more always wins."""
    finite = scores[np.isfinite(scores)]
    return float(finite.max() * 10.0 + 1e6) if finite.size else 1e6


def priority_order(snapshot: Snapshot) -> np.ndarray:
    """The fixed order greedy serves orders in: earliest promise end first, then snapshot order
    (by order id from the service, so the baseline too ignores how the request lists them)."""
    sequence: np.ndarray = np.lexsort(
        (np.arange(snapshot.orders.count), snapshot.orders.promise_end_ts)
    )
    return sequence


def greedy(
    snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable, scores: np.ndarray
) -> Assignment:
    """Assign each order, most urgent first, to its best candidate that still has room."""
    orders, carriers, slots, fleet = (
        snapshot.orders,
        snapshot.carriers,
        snapshot.slots,
        snapshot.fleet,
    )
    carrier, slot, vehicle, reason = _greedy(
        priority_order(snapshot),
        np.ascontiguousarray(scores, dtype=np.float64),
        np.ascontiguousarray(prices.reason, dtype=np.int64),
        np.ascontiguousarray(prices.slot_idx, dtype=np.int64),
        np.ascontiguousarray(eligibility.reason, dtype=np.int64),
        orders.weight_kg,
        orders.volume_l,
        orders.promise_start_ts,
        orders.promise_end_ts,
        required_capabilities(eligibility),
        (carriers.kind == CarrierKind.OWN_FLEET),
        slots.remaining_orders.copy(),
        slots.remaining_weight_kg.copy(),
        fleet.carrier_idx,
        fleet.skill_bits,
        fleet.capacity_kg.copy(),
        fleet.capacity_l.copy(),
        fleet.capacity_stops.copy(),
        fleet.shift_start_ts,
        fleet.shift_end_ts,
    )
    penalty = unassigned_penalty(scores)
    rows = np.flatnonzero(carrier >= 0)
    objective = float(scores[rows, carrier[rows]].sum()) + penalty * (orders.count - rows.size)
    return Assignment(
        carrier_idx=carrier,
        slot_idx=slot,
        vehicle_idx=vehicle,
        reason=reason,
        status=SolverStatus.HEURISTIC,
        policy=Policy.GREEDY,
        objective=objective,
    )


@njit(cache=True, nogil=True)
def _greedy(
    sequence: np.ndarray,
    scores: np.ndarray,
    pair_reason: np.ndarray,
    pair_slot: np.ndarray,
    rule_reason: np.ndarray,
    weight_kg: np.ndarray,
    volume_l: np.ndarray,
    promise_start_ts: np.ndarray,
    promise_end_ts: np.ndarray,
    needed: np.ndarray,
    own_fleet: np.ndarray,
    slot_orders: np.ndarray,
    slot_kg: np.ndarray,
    van_carrier: np.ndarray,
    van_skills: np.ndarray,
    van_kg: np.ndarray,
    van_l: np.ndarray,
    van_stops: np.ndarray,
    van_start_ts: np.ndarray,
    van_end_ts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n, c = scores.shape
    carrier = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    vehicle = np.full(n, -1, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int64)
    order = np.empty(c, dtype=np.int64)
    for i in sequence:
        # Candidates by score, ties by carrier index (deterministic).
        for k in range(c):
            order[k] = k
        for a in range(1, c):
            b = a
            while b > 0 and scores[i, order[b]] < scores[i, order[b - 1]]:
                order[b], order[b - 1] = order[b - 1], order[b]
                b -= 1
        any_rule_ok = False
        any_possible = False
        capacity_full = False
        van_full = False
        for k in range(c):
            j = order[k]
            if rule_reason[i, j] == 0:
                any_rule_ok = True
            if pair_reason[i, j] != 0 or not np.isfinite(scores[i, j]):
                continue
            any_possible = True
            if own_fleet[j]:
                chosen = -1
                for v in range(van_carrier.shape[0]):
                    if (
                        van_carrier[v] == j
                        and (van_skills[v] & needed[i]) == needed[i]
                        and van_stops[v] >= 1
                        and van_kg[v] >= weight_kg[i]
                        and van_l[v] >= volume_l[i]
                        and van_start_ts[v] < promise_end_ts[i]
                        and van_end_ts[v] > promise_start_ts[i]
                    ):
                        chosen = v
                        break
                if chosen < 0:
                    van_full = True
                    continue
                van_stops[chosen] -= 1
                van_kg[chosen] -= weight_kg[i]
                van_l[chosen] -= volume_l[i]
                vehicle[i] = chosen
            else:
                s = pair_slot[i, j]
                if s >= 0:
                    if slot_orders[s] < 1 or slot_kg[s] < weight_kg[i]:
                        capacity_full = True
                        continue
                    slot_orders[s] -= 1
                    slot_kg[s] -= weight_kg[i]
                    slot[i] = s
            carrier[i] = j
            break
        if carrier[i] < 0:
            if not any_rule_ok:
                reason[i] = 1  # NO_ELIGIBLE_CARRIER
            elif not any_possible:
                reason[i] = 3  # WINDOW_UNREACHABLE (or another pricing reason; refined below)
            elif capacity_full:
                reason[i] = 2  # CAPACITY_EXHAUSTED
            elif van_full:
                reason[i] = 13  # NO_VEHICLE_FITS
            else:
                reason[i] = 2
    return carrier, slot, vehicle, reason


def unassigned_reasons(
    eligibility: Eligibility, prices: PriceTable, assignment: Assignment, i: int
) -> tuple[Reason, ...]:
    """All reasons an order went unassigned, the main one first."""
    main = Reason(int(assignment.reason[i]))
    priced_row: list[int] = prices.reason[i].tolist()
    if main == Reason.WINDOW_UNREACHABLE:
        rule_row: list[int] = eligibility.reason[i].tolist()
        priced = [r for r, rule in zip(priced_row, rule_row, strict=True) if rule == 0 and r != 0]
        if priced:
            values, counts = np.unique(np.asarray(priced), return_counts=True)
            main = Reason(int(values[np.argmax(counts)]))
    others = sorted({r for r in priced_row if r != 0 and r != main})
    return (main, *(Reason(r) for r in others))


def full_slots(prices: PriceTable, eligible_pairs: np.ndarray, i: int) -> tuple[int, ...]:
    """Slots an order could have used but found full (for CAPACITY_EXHAUSTED)."""
    cols = np.flatnonzero(eligible_pairs[i] & (prices.slot_idx[i] >= 0))
    return tuple(int(s) for s in np.unique(prices.slot_idx[i, cols]))
