"""Optimal assignment: minimise the total score under slot and own-fleet capacity, exactly.

Stage `optimal(snapshot, eligibility, prices, scores, budget_s) -> Assignment`, the same
objective `solver.assign.greedy` reports: the sum of the chosen pairs' scores plus
`assign.unassigned_penalty(scores)` per unassigned order (above any score, so an order with a
free candidate is never left out). It only chooses among the pairs pricing found possible,
each with the slot pricing gave it (`prices.slot_idx`), so greedy's answer is always feasible
here and `optimal` is never worse (up to the cost rounding below).

Model
    x[i, c] = 1 when order i goes to carrier c; at most one per order.
    Slots: sum x <= remaining_orders and sum weight <= remaining_weight_kg per slot.
    Own fleet (before routing): aggregate van capacity. The orders' stops, kilograms and
    litres must fit the vans whose skills cover their capabilities, each resource as its own
    fractional flow from capability classes to vans of matching skills (so an order's kg may
    spread over vans; shifts and driving time are left to routing).
    Weights are counted in grams and volumes in millilitres (rounded), costs in 1/100 of a
    score unit (`COST_SCALE`): the optimum is exact for those integers, within half a
    hundredth of a cent per order of the float objective.
Exact reductions before solving
    Carriers without slots or vans never compete for capacity, and neither do slots that all
    their possible pairs fit together (by count and weight); so each order keeps only its best
    such "free" pair, and only constrained pairs that beat it. Orders left without a
    constrained pair are decided at once.
Solvers (OR-Tools)
    First a min-cost flow on the count-only relaxation (slots by remaining orders, the own
    fleet by stops through capability classes to van skill groups). If its optimum also
    respects kilograms and litres it is optimal for the full model (OPTIMAL, no MIP needed).
    Otherwise the full model's LP relaxation (`LP_SOLVERS`) gives a bound U and reduced
    costs d. Reduced-cost fixing: any answer at least as good as a known one of gain v keeps
    every pair with |d| > U - v on its side of the LP (weak duality, recomputed here from
    the duals, so it does not trust the LP solver's tolerances). So a single-threaded MIP
    (`MIP_SOLVER`, SCIP) over only the other pairs, the rest fixed, is exact: first over the
    1/CORE_SHARE pairs of least |d|, then, if the answer leaves a wider gap, over all pairs
    within that gap (on the 10k bench the first core of 1,600 of 9,800 pairs suffices: the
    LP bound is within 1e-8 of the optimum). Without an LP the whole model goes to the MIP.
    Models reach the solvers as `MPModelProto`s built from numpy (no per-term calls), with
    own-fleet resources left out when even all candidates fit, and a slot's kilograms when
    the heaviest candidates that fit by count fit by weight. The MIP is hinted with the LP's
    whole pairs and stopped at `budget_s`: OPTIMAL when the gap is closed, else FEASIBLE
    with the proven bound (`solve` returns it in `SolveInfo`; `Assignment` has no bound
    field yet). CP-SAT was tried first: on 10,000 orders its single-worker presolve alone
    outran a 2 s budget.
Determinism
    The model is built with orders sorted by id and carriers by index and every solver is
    deterministic, so the same request in any order of orders gives the same decision (when
    solved to optimality: a FEASIBLE stop at the wall-clock budget depends on machine speed).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow
from ortools.linear_solver import linear_solver_pb2, pywraplp

from solver import assign
from solver.assign import Assignment
from solver.domain import CarrierKind, Policy, Reason, SolverStatus
from solver.pricing import required_capabilities

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot

# single-threaded, deterministic; twice CBC's speed on the 10k bench
MIP_SOLVER = linear_solver_pb2.MPModelRequest.SCIP_MIXED_INTEGER_PROGRAMMING
# What `pywraplp.Solver.Solve` used to set: prove the gap exactly, primal and dual tolerance.
SCIP_PARAMS = "limits/gap = 1e-12\nnumerics/feastol = 1e-7\nnumerics/dualfeastol = 1e-7"
# LP relaxation for reduced-cost fixing: CLP (3x GLOP's speed on the 10k bench), else GLOP.
LP_SOLVERS = (
    linear_solver_pb2.MPModelRequest.CLP_LINEAR_PROGRAMMING,
    linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING,
)
CORE_SHARE = 6  # first core: the 1/CORE_SHARE pairs of least reduced cost (a guess, checked)
COST_SCALE = 100  # integer objective unit: 1/100 of a score unit (a hundredth of a cent)
MILLI = 1000  # grams per kg, millilitres per litre
_BIG = 10**15  # "no limit" in integer units


@dataclass(frozen=True, slots=True)
class SolveInfo:
    """How the optimum was found: solver, status, objective and the proven bound."""

    status: SolverStatus
    method: str  # "trivial", "min_cost_flow", "mip" or "flow+repair"
    objective: float  # the shared objective (float scores + penalties)
    bound: float  # proven lower bound of the objective, in the same units
    wall_s: float
    orders_in_model: int
    candidates: int


@dataclass(frozen=True, slots=True)
class _Problem:
    """The reduced problem in integer units, orders in canonical (id) order."""

    rows: np.ndarray  # int64[M] orders with constrained candidates
    pair_row: np.ndarray  # int64[P] index into rows
    pair_order: np.ndarray  # int64[P] order index
    pair_carrier: np.ndarray  # int64[P]
    pair_slot: np.ndarray  # int64[P], -1 = none
    pair_own: np.ndarray  # bool[P]
    pair_gain: np.ndarray  # int64[P] (free cost - pair cost) > 0: what choosing it saves
    grams: np.ndarray  # int64[N]
    millilitres: np.ndarray  # int64[N]
    caps: np.ndarray  # int64[N] capability bits
    slot_orders: np.ndarray  # int64[K]
    slot_grams: np.ndarray  # int64[K]


def _milli(values: np.ndarray) -> np.ndarray:
    scaled = np.where(np.isfinite(values), values * MILLI, _BIG)
    return np.asarray(np.rint(np.clip(scaled, 0, _BIG)), dtype=np.int64)


def _check(snapshot: Snapshot, prices: PriceTable, scores: np.ndarray, budget_s: float) -> None:
    shape = (snapshot.orders.count, snapshot.carriers.count)
    if scores.shape != shape:
        raise ValueError(f"Expected scores of shape {shape}, got {scores.shape}")
    if prices.reason.shape != shape:
        raise ValueError(f"Expected prices of shape {shape}, got {prices.reason.shape}")
    if not budget_s > 0:
        raise ValueError("Expected budget_s > 0")


def _free_choice(cost: np.ndarray, free: np.ndarray, penalty: int) -> tuple[np.ndarray, np.ndarray]:
    """Per order the best free pair (lowest cost, then lowest carrier) and its cost, or -1 and
    the penalty when it has none."""
    n, n_carriers = cost.shape
    if n_carriers == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, penalty, dtype=np.int64)
    masked = np.where(free, cost, np.iinfo(np.int64).max)
    best = np.argmin(masked, axis=1)
    best_cost = masked[np.arange(n), best]
    has = best_cost < penalty
    return np.where(has, best, -1).astype(np.int64), np.where(has, best_cost, penalty)


def _slack(snapshot: Snapshot, prices: PriceTable, possible: np.ndarray) -> np.ndarray:
    """bool[N, C]: possible pairs in a slot that every possible pair of it fits together (by
    count and grams). Such a slot can never overflow, so its pairs compete for nothing."""
    sl = snapshot.slots
    in_slot = possible & (prices.slot_idx >= 0)
    if not in_slot.any():
        return np.zeros(possible.shape, dtype=np.bool_)
    rows, _ = np.nonzero(in_slot)
    ks = prices.slot_idx[in_slot]
    count = np.bincount(ks, minlength=sl.count)
    grams = np.zeros(sl.count, dtype=np.int64)
    np.add.at(grams, ks, _milli(snapshot.orders.weight_kg)[rows])
    slack = (count <= np.maximum(sl.remaining_orders, 0)) & (
        grams <= _milli(sl.remaining_weight_kg)
    )
    out: np.ndarray = in_slot & slack[np.maximum(prices.slot_idx, 0)]
    return out


def _reduce(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    possible: np.ndarray,
    cost: np.ndarray,
    free_cost: np.ndarray,
    canon: np.ndarray,
    free: np.ndarray,
) -> _Problem:
    own = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    constrained = (
        possible & ((prices.slot_idx >= 0) | own[None, :]) & ~free & (cost < free_cost[:, None])
    )
    # Carriers without slots or vans never compete: only pairs beating the free choice matter.
    sub = constrained[canon]
    r, c = np.nonzero(sub)  # row-major: canonical order, then carrier index
    order = canon[r]
    rows, pair_row = np.unique(r, return_inverse=True)
    sl = snapshot.slots
    return _Problem(
        rows=canon[rows],
        pair_row=pair_row.astype(np.int64),
        pair_order=order.astype(np.int64),
        pair_carrier=c.astype(np.int64),
        pair_slot=prices.slot_idx[order, c].astype(np.int64),
        pair_own=own[c],
        pair_gain=(free_cost[order] - cost[order, c]).astype(np.int64),
        grams=_milli(snapshot.orders.weight_kg),
        millilitres=_milli(snapshot.orders.volume_l),
        caps=required_capabilities(eligibility.requirement_bits),
        slot_orders=np.maximum(sl.remaining_orders, 0).astype(np.int64),
        slot_grams=_milli(sl.remaining_weight_kg),
    )


def _van_groups(snapshot: Snapshot, carrier: int) -> list[tuple[int, int, int, int]]:
    """Vans of an own-fleet carrier merged by skills: (skills, stops, grams, millilitres)."""
    fl = snapshot.fleet
    vans = np.flatnonzero(fl.carrier_idx == carrier)
    groups: dict[int, list[int]] = {}
    for v in vans:
        g = groups.setdefault(int(fl.skill_bits[v]), [0, 0, 0])
        g[0] += int(max(fl.capacity_stops[v], 0))
        g[1] += int(_milli(fl.capacity_kg[v : v + 1])[0])
        g[2] += int(_milli(fl.capacity_l[v : v + 1])[0])
    return [(skills, *vals) for skills, vals in sorted(groups.items())]  # type: ignore[misc]


def _flow_network_applies(p: _Problem) -> bool:
    """The count-only relaxation is a network unless some own-fleet pair also uses a slot."""
    return not bool(np.any(p.pair_own & (p.pair_slot >= 0)))


def _solve_flow(snapshot: Snapshot, p: _Problem) -> np.ndarray:
    """Min-cost flow on the count-only relaxation (kilograms and litres dropped).

    order -> slot -> sink (remaining orders); order -> (own carrier, capability class) -> van
    skill group covering the class -> sink (its stops); order -> sink for its free choice (or
    staying unassigned). Returns the chosen pairs.
    """
    m = len(p.rows)
    n_pairs = len(p.pair_row)
    slots = np.unique(p.pair_slot[p.pair_slot >= 0])
    slot_node = {k: m + i for i, k in enumerate(slots.tolist())}
    # (own carrier, capability class) nodes, numbered in order of first appearance.
    own_js = np.flatnonzero(p.pair_own)
    keys = np.stack([p.pair_carrier[own_js], p.caps[p.pair_order[own_js]].astype(np.int64)], 1)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    node = m + len(slots)
    class_node = {
        (int(uniq[u, 0]), int(uniq[u, 1])): node + int(rank[u])
        for u in np.argsort(first, kind="stable").tolist()
    }
    node += len(uniq)
    group_node: dict[tuple[int, int], tuple[int, int]] = {}  # (carrier, skills) -> node, stops
    for c in sorted({c for c, _ in class_node}):
        for skills, stops, _, _ in _van_groups(snapshot, c):
            group_node[(c, skills)] = (node, stops)
            node += 1
    sink = node
    head = np.empty(n_pairs, dtype=np.int64)
    head[~p.pair_own] = m + np.searchsorted(slots, p.pair_slot[~p.pair_own])
    head[own_js] = m + len(slots) + rank[inverse.reshape(-1)]
    # pairs first (their flows are read back by index), then each order -> sink: keep the
    # free choice (or stay unassigned), gain 0
    tails = [p.pair_row, np.arange(m, dtype=np.int64)]
    heads = [head, np.full(m, sink, dtype=np.int64)]
    caps = [np.ones(n_pairs + m, dtype=np.int64)]
    costs = [-p.pair_gain, np.zeros(m, dtype=np.int64)]
    small: list[tuple[int, int, int]] = []  # (tail, head, capacity), cost 0
    for k, n_k in slot_node.items():
        small.append((n_k, sink, min(int(p.slot_orders[k]), m)))
    for (c, q), n_q in class_node.items():
        for (c2, skills), (n_g, _) in group_node.items():
            if c2 == c and (skills & q) == q:
                small.append((n_q, n_g, m))
    for n_g, stops in group_node.values():
        small.append((n_g, sink, min(int(stops), m)))
    arcs = np.array(small, dtype=np.int64).reshape(-1, 3)
    tails.append(arcs[:, 0])
    heads.append(arcs[:, 1])
    caps.append(arcs[:, 2])
    costs.append(np.zeros(len(arcs), dtype=np.int64))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails), np.concatenate(heads), np.concatenate(caps),
        np.concatenate(costs),
    )  # fmt: skip
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:m] = 1
    supplies[sink] = -m
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return np.asarray(flow.flows(np.arange(n_pairs, dtype=np.int64)), dtype=np.int64) > 0


def _hall_holds(
    demand_by_class: dict[int, int], groups: list[tuple[int, int, int, int]], resource: int
) -> bool:
    """Whether class demands fit the skill groups that cover them (a max-flow, i.e. Hall's
    condition over every set of classes)."""
    classes = [(q, d) for q, d in sorted(demand_by_class.items()) if d > 0]
    if not classes:
        return True
    total = sum(d for _, d in classes)
    if total > sum(g[resource] for g in groups):
        return False
    source, sink = 0, 1 + len(classes) + len(groups)
    tails, heads, caps = [], [], []
    for a, (q, d) in enumerate(classes):
        tails.append(source)
        heads.append(1 + a)
        caps.append(d)
        for b, grp in enumerate(groups):
            if (grp[0] & q) == q:
                tails.append(1 + a)
                heads.append(1 + len(classes) + b)
                caps.append(d)
    for b, grp in enumerate(groups):
        tails.append(1 + len(classes) + b)
        heads.append(sink)
        caps.append(grp[resource])
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
        np.array(caps, dtype=np.int64),
    )  # fmt: skip
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("max-flow failed")
    return bool(flow.optimal_flow() == total)


def _weights_hold(snapshot: Snapshot, p: _Problem, chosen: np.ndarray) -> bool:
    """Whether a count-feasible choice also respects slot kilograms and own-fleet kg and litres."""
    js = np.flatnonzero(chosen & (p.pair_slot >= 0))
    used = np.zeros(len(p.slot_grams), dtype=np.int64)
    np.add.at(used, p.pair_slot[js], p.grams[p.pair_order[js]])
    if np.any(used > p.slot_grams):
        return False
    for c in np.unique(p.pair_carrier[chosen & p.pair_own]).tolist():
        js = np.flatnonzero(chosen & p.pair_own & (p.pair_carrier == c))
        groups = _van_groups(snapshot, c)
        for resource, demand in ((2, p.grams), (3, p.millilitres)):
            by_class: dict[int, int] = {}
            for j in js.tolist():
                q = int(p.caps[p.pair_order[j]])
                by_class[q] = by_class.get(q, 0) + int(demand[p.pair_order[j]])
            if not _hall_holds(by_class, groups, resource):
                return False
    return True


class _Model:
    """A linear model built straight into an `MPModelProto` (no per-term Python calls into a
    solver object: those cost ~30 us a term on 30,000 terms), its rows kept as arrays too.

    Columns 0..len(gains)-1 are the pairs (0/1, objective = gain), the rest continuous flows.
    """

    def __init__(self, gains: np.ndarray) -> None:
        self.gains = gains.astype(np.float64)
        self.flow_upper: list[float] = []
        self.rows: list[tuple[float, float, np.ndarray, np.ndarray]] = []

    def continuous(self, upper: float) -> int:
        """A new column in [0, upper], outside the objective; returns its index."""
        self.flow_upper.append(upper)
        return len(self.gains) + len(self.flow_upper) - 1

    def add(self, lower: float, upper: float, cols: np.ndarray, coefs: np.ndarray) -> None:
        """lower <= sum coef * column <= upper."""
        self.rows.append((lower, upper, cols.astype(np.int64), coefs.astype(np.float64)))

    def solve(
        self, solver_type: int, budget_s: float, *, integer: bool, params: str = "",
        hint: np.ndarray | None = None,
    ) -> linear_solver_pb2.MPSolutionResponse:  # fmt: skip
        """Solve with `solver_type` (an `MPModelRequest.SolverType`), the pair columns 0/1 when
        `integer`, else in [0, 1]; `hint` gives a value per pair column."""
        model = linear_solver_pb2.MPModelProto(maximize=True)
        add_var = model.variable.add
        binary = {"lower_bound": 0.0, "upper_bound": 1.0, "is_integer": integer}
        for gain in self.gains.tolist():
            add_var(objective_coefficient=gain, **binary)
        for upper in self.flow_upper:
            add_var(lower_bound=0.0, upper_bound=upper)
        add_row = model.constraint.add
        for lower, upper, cols, coefs in self.rows:
            row = add_row(lower_bound=lower, upper_bound=upper)
            row.var_index.extend(cols.tolist())
            row.coefficient.extend(coefs.tolist())
        if hint is not None:
            model.solution_hint.var_index.extend(range(len(hint)))
            model.solution_hint.var_value.extend(hint.astype(np.float64).tolist())
        request = linear_solver_pb2.MPModelRequest(
            model=model,
            solver_type=solver_type,
            solver_time_limit_seconds=max(budget_s, 0.01),
            solver_specific_parameters=params,
        )
        response = linear_solver_pb2.MPSolutionResponse()
        pywraplp.Solver.SolveWithProto(request, response)
        return response

    def dual_bound(self, duals: np.ndarray) -> tuple[float, np.ndarray, float]:
        """Weak duality with any row multipliers: (bound on the objective, reduced costs of
        the pair columns, float tolerance of the bound).

        For every feasible x, objective(x) <= bound - sum over pairs of |reduced cost| times
        |x - (1 if reduced cost > 0 else 0)|. This holds whatever solver produced `duals`:
        the bound is recomputed here, multipliers of the wrong sign clipped to 0.
        """
        lower = np.array([r[0] for r in self.rows], dtype=np.float64)
        upper = np.array([r[1] for r in self.rows], dtype=np.float64)
        y = np.asarray(duals, dtype=np.float64)[: len(self.rows)]
        y = np.where(np.isfinite(upper), y, np.minimum(y, 0.0))
        y = np.where(np.isfinite(lower), y, np.maximum(y, 0.0))
        lengths = [len(r[2]) for r in self.rows]
        cols = np.concatenate([r[2] for r in self.rows] + [np.zeros(0, dtype=np.int64)])
        coefs = np.concatenate([r[3] for r in self.rows] + [np.zeros(0)])
        n_cols = len(self.gains) + len(self.flow_upper)
        objective = np.concatenate([self.gains, np.zeros(len(self.flow_upper))])
        col_upper = np.concatenate([np.ones(len(self.gains)), np.array(self.flow_upper)])
        weights = coefs * np.repeat(y, lengths)
        reduced = objective - np.bincount(cols, weights=weights, minlength=n_cols)
        row_terms = np.where(
            y > 0, y * np.where(np.isfinite(upper), upper, 0.0),
            y * np.where(np.isfinite(lower), lower, 0.0),
        )  # fmt: skip
        col_terms = np.maximum(reduced, 0.0) * col_upper
        bound = float(row_terms.sum() + col_terms.sum())
        # float64 sums of these terms are good to ~1e-12 of their size; keep a wide margin
        scale = np.abs(row_terms).sum() + col_terms.sum() + np.abs(weights).sum()
        return bound, reduced[: len(self.gains)], 1.0 + 1e-9 * float(scale)


def _build(
    snapshot: Snapshot, p: _Problem, act: np.ndarray, fix: np.ndarray
) -> tuple[_Model, np.ndarray]:
    """The model over the `act` pairs, the `fix` ones counted as chosen, and its pair ids."""
    ids = np.flatnonzero(act)
    col = np.full(len(p.pair_row), -1, dtype=np.int64)
    col[ids] = np.arange(len(ids))
    mip = _Model(p.pair_gain[ids])
    inf = float("inf")
    # At most one pair per order: pairs are sorted by row, so each order's columns are a run.
    _, starts, counts = np.unique(p.pair_row[ids], return_index=True, return_counts=True)
    for s, n in zip(starts[counts > 1].tolist(), counts[counts > 1].tolist(), strict=True):
        mip.add(-inf, 1.0, np.arange(s, s + n), np.ones(n))
    slotted = np.flatnonzero((act | fix) & (p.pair_slot >= 0))
    by_slot = slotted[np.argsort(p.pair_slot[slotted], kind="stable")]
    slots, slot_starts = np.unique(p.pair_slot[by_slot], return_index=True)
    members = np.split(by_slot, slot_starts[1:]) if len(by_slot) else []
    for k, js in zip(slots.tolist(), members, strict=True):
        var = js[act[js]]
        room = int(p.slot_orders[k]) - int(fix[js].sum())
        if len(var) > room:
            mip.add(-inf, float(room), col[var], np.ones(len(var)))
        w = p.grams[p.pair_order[var]]
        room_g = int(p.slot_grams[k]) - int(p.grams[p.pair_order[js[fix[js]]]].sum())
        # When the `room` heaviest candidates fit, the count row implies the grams (LP too).
        if np.sort(w)[::-1][: max(room, 0)].sum() > room_g:
            mip.add(-inf, float(room_g), col[var], w)
    # Own fleet: per resource, a fractional flow from capability classes to van skill groups.
    for c in np.unique(p.pair_carrier[p.pair_own & (act | fix)]).tolist():
        js = np.flatnonzero(p.pair_own & (p.pair_carrier == c) & (act | fix))
        groups = _van_groups(snapshot, c)
        order_caps = p.caps[p.pair_order[js]]
        classes = np.unique(order_caps).tolist()
        for resource, demand in ((1, None), (2, p.grams), (3, p.millilitres)):
            need = np.ones(len(js), dtype=np.int64) if demand is None else demand[p.pair_order[js]]
            total = {q: int(need[order_caps == q].sum()) for q in classes}
            if _hall_holds(total, groups, resource):
                continue  # even every candidate together fits: the resource never binds
            inflow: list[list[int]] = [[] for _ in groups]
            for q in classes:
                in_q = order_caps == q
                fits = [g for g, grp in enumerate(groups) if (grp[0] & q) == q]
                f = [mip.continuous(float(groups[g][resource])) for g in fits]
                const = float(need[in_q & fix[js]].sum())
                var_q = in_q & act[js]
                mip.add(  # sum d x - sum f = -const
                    -const, -const, np.concatenate([col[js[var_q]], f]),
                    np.concatenate([need[var_q], -np.ones(len(f))]),
                )  # fmt: skip
                for g, v in zip(fits, f, strict=True):
                    inflow[g].append(v)
            for g, cols in enumerate(inflow):
                if len(cols) > 1:
                    mip.add(-inf, float(groups[g][resource]), np.array(cols), np.ones(len(cols)))
    return mip, ids


def _solve_mip(
    snapshot: Snapshot,
    p: _Problem,
    hint: np.ndarray | None,
    budget_s: float,
    active: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray | None, SolverStatus, float]:
    """The model as a single-threaded MIP over the `active` pairs (default all), the `fixed`
    ones counted as chosen. Returns (chosen pairs incl. fixed, status, bound on the gain)."""
    n_pairs = len(p.pair_row)
    act = np.ones(n_pairs, dtype=np.bool_) if active is None else active
    fix = np.zeros(n_pairs, dtype=np.bool_) if fixed is None else fixed
    taken = np.zeros(len(p.rows), dtype=np.bool_)
    taken[p.pair_row[fix]] = True
    act = act & ~taken[p.pair_row]  # an order with a fixed pair has no other
    mip, ids = _build(snapshot, p, act, fix)
    response = mip.solve(
        MIP_SOLVER, budget_s, integer=True, params=SCIP_PARAMS,
        hint=None if hint is None else hint[ids],
    )  # fmt: skip
    if response.status == linear_solver_pb2.MPSOLVER_SOLVER_TYPE_UNAVAILABLE:
        raise RuntimeError("OR-Tools was built without SCIP")
    optimal = response.status == linear_solver_pb2.MPSOLVER_OPTIMAL
    if not optimal and response.status != linear_solver_pb2.MPSOLVER_FEASIBLE:
        return None, SolverStatus.NO_SOLUTION, float("inf")
    chosen = fix.copy()
    chosen[ids] = np.asarray(response.variable_value, dtype=np.float64)[: len(ids)] > 0.5
    value = float(p.pair_gain[chosen & act].sum())
    bound = max(float(response.best_objective_bound), value)
    proven = optimal and bound - value < 1.0
    fixed_gain = float(p.pair_gain[fix].sum())
    return chosen, SolverStatus.OPTIMAL if proven else SolverStatus.FEASIBLE, bound + fixed_gain


def _lp_bound(
    snapshot: Snapshot, p: _Problem, budget_s: float
) -> tuple[float, np.ndarray, float, np.ndarray] | None:
    """The LP relaxation of the whole model: (gain bound, reduced cost per pair, tolerance of
    the bound, LP value per pair), or None when no LP solver answers in time."""
    everything = np.ones(len(p.pair_row), dtype=np.bool_)
    lp, _ = _build(snapshot, p, everything, ~everything)
    for solver_type in LP_SOLVERS:
        response = lp.solve(solver_type, budget_s, integer=False)
        if response.status == linear_solver_pb2.MPSOLVER_OPTIMAL:
            bound, reduced, tolerance = lp.dual_bound(np.asarray(response.dual_value))
            values = np.asarray(response.variable_value, dtype=np.float64)[: len(p.pair_row)]
            return bound, reduced, tolerance, values
        if response.status != linear_solver_pb2.MPSOLVER_SOLVER_TYPE_UNAVAILABLE:
            return None
    return None


def _repair(snapshot: Snapshot, p: _Problem, relaxed: np.ndarray) -> np.ndarray:
    """A feasible answer near the relaxation: drop the orders with the least gain per gram from
    overfull slots, then from the own fleet until its kilograms and litres fit."""
    chosen = relaxed.copy()
    js = np.flatnonzero(chosen & (p.pair_slot >= 0))
    used = np.zeros(len(p.slot_grams), dtype=np.int64)
    np.add.at(used, p.pair_slot[js], p.grams[p.pair_order[js]])
    for k in np.flatnonzero(used > p.slot_grams).tolist():
        members = js[p.pair_slot[js] == k]
        grams = p.grams[p.pair_order[members]]
        for j in members[np.lexsort((members, p.pair_gain[members] / np.maximum(grams, 1)))]:
            if used[k] <= p.slot_grams[k]:
                break
            chosen[j] = False
            used[k] -= p.grams[p.pair_order[j]]
    for c in np.unique(p.pair_carrier[chosen & p.pair_own]).tolist():
        mine = np.flatnonzero(chosen & p.pair_own & (p.pair_carrier == c))
        groups = _van_groups(snapshot, c)
        heavy = p.grams[p.pair_order[mine]] + p.millilitres[p.pair_order[mine]]
        mine = mine[np.lexsort((mine, p.pair_gain[mine] / np.maximum(heavy, 1)))]

        def fits(keep: np.ndarray, groups: list[tuple[int, int, int, int]] = groups) -> bool:
            for resource, demand in ((2, p.grams), (3, p.millilitres)):
                by_class: dict[int, int] = {}
                for j in keep.tolist():
                    q = int(p.caps[p.pair_order[j]])
                    by_class[q] = by_class.get(q, 0) + int(demand[p.pair_order[j]])
                if not _hall_holds(by_class, groups, resource):
                    return False
            return True

        lo, hi = 0, len(mine)  # drop the first `hi` (least gain per unit) and it fits
        if fits(mine):
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(mine[mid:]):
                hi = mid
            else:
                lo = mid + 1
        chosen[mine[:hi]] = False
    return chosen


def _solve_hard(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    p: _Problem,
    relaxed: np.ndarray | None,
    deadline: float,
) -> tuple[np.ndarray, SolverStatus, float, str]:
    """Weights bind: the best of greedy and the repaired relaxation, then the MIP on the pairs
    the LP relaxation cannot settle (reduced-cost fixing), or on all pairs without an LP.

    With the LP bound U and reduced costs d, every answer at least as good as a known one of
    gain v keeps each pair with |d| > U - v on its side of the LP (chosen when d > 0), so the
    MIP over the other pairs, the rest fixed, is exact. The first core holds the 1/CORE_SHARE
    pairs of least |d|; when the gap its answer leaves is wider than the core, a second core
    that wide follows, hinted with the first answer.
    Returns (chosen pairs, status, gain bound, method).
    """

    def gain(chosen: np.ndarray) -> float:
        return float(p.pair_gain[chosen].sum())

    baseline = assign.greedy(snapshot, eligibility, prices, scores)
    best = baseline.carrier_idx[p.pair_order] == p.pair_carrier
    if not _weights_hold(snapshot, p, best) or not _counts_hold(snapshot, p, best):
        best = np.zeros(len(p.pair_row), dtype=np.bool_)  # greedy broke a model capacity
    bound, method = float("inf"), "mip"
    if relaxed is not None:
        bound = gain(relaxed)
        repaired = _repair(snapshot, p, relaxed)
        if gain(repaired) >= gain(best):
            best, method = repaired, "flow+repair"
    lp = None
    if bound - gain(best) >= 1.0 and deadline - time.perf_counter() > 0.05:
        lp = _lp_bound(snapshot, p, deadline - time.perf_counter())
    if lp is not None:
        lp_bound, reduced, tolerance, values = lp
        bound = min(bound, lp_bound + tolerance)
        size = np.abs(reduced)
        k = min(len(size) // CORE_SHARE, len(size) - 1)
        width = max(float(np.partition(size, k)[k]), 1.0)
        hint = values > 1.0 - 1e-6  # the LP's whole pairs
        while bound - gain(best) >= 1.0 and deadline - time.perf_counter() > 0.01:
            core = size <= width
            got, _, core_bound = _solve_mip(
                snapshot, p, hint, deadline - time.perf_counter(), core, ~core & (reduced > 0)
            )
            if got is not None and gain(got) >= gain(best):
                best, method = got, "mip"
            gap = lp_bound + tolerance - gain(best)
            if width >= gap:  # the fixing holds: nothing better lies outside the core
                if got is not None:
                    bound = min(bound, max(core_bound, gain(best)))
                break
            if got is None:
                break
            width, hint = gap, best
    elif bound - gain(best) >= 1.0 and deadline - time.perf_counter() > 0.05:
        got, _, mip_bound = _solve_mip(snapshot, p, best, deadline - time.perf_counter())
        bound = min(bound, mip_bound)
        if got is not None and gain(got) >= gain(best):
            best, method = got, "mip"
    value = gain(best)
    status = SolverStatus.OPTIMAL if bound - value < 1.0 else SolverStatus.FEASIBLE
    return best, status, max(bound, value), method


def _counts_hold(snapshot: Snapshot, p: _Problem, chosen: np.ndarray) -> bool:
    """Whether a choice respects slot order counts and own-fleet stops."""
    js = np.flatnonzero(chosen & (p.pair_slot >= 0))
    count = np.bincount(p.pair_slot[js], minlength=len(p.slot_orders))
    if np.any(count > p.slot_orders):
        return False
    for c in np.unique(p.pair_carrier[chosen & p.pair_own]).tolist():
        mine = np.flatnonzero(chosen & p.pair_own & (p.pair_carrier == c))
        classes, counts = np.unique(p.caps[p.pair_order[mine]], return_counts=True)
        by_class = {int(q): int(n) for q, n in zip(classes, counts, strict=True)}
        if not _hall_holds(by_class, _van_groups(snapshot, c), 1):
            return False
    return True


def _vehicles(
    snapshot: Snapshot, eligibility: Eligibility, carrier: np.ndarray, canon: np.ndarray
) -> np.ndarray:
    """A van per own-fleet order, first fit by weight (heaviest first); -1 if none has room."""
    fl, o = snapshot.fleet, snapshot.orders
    vehicle = np.full(o.count, -1, dtype=np.int64)
    own = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    served = canon[(carrier[canon] >= 0) & own[np.maximum(carrier[canon], 0)]]
    if not len(served):
        return vehicle
    stops = fl.capacity_stops.astype(np.int64).copy()
    kg = fl.capacity_kg.astype(np.float64).copy()
    litres = fl.capacity_l.astype(np.float64).copy()
    skills = fl.skill_bits.astype(np.int64)
    caps = required_capabilities(eligibility.requirement_bits)
    for i in served[np.argsort(-o.weight_kg[served], kind="stable")]:
        fits = np.flatnonzero(
            (fl.carrier_idx == carrier[i])
            & ((skills & caps[i]) == caps[i])
            & (stops >= 1)
            & (kg >= o.weight_kg[i])
            & (litres >= o.volume_l[i])
            & (fl.shift_start_ts < o.promise_end_ts[i])
            & (fl.shift_end_ts > o.promise_start_ts[i])
        )
        if len(fits):
            v = int(fits[0])
            vehicle[i] = v
            stops[v] -= 1
            kg[v] -= o.weight_kg[i]
            litres[v] -= o.volume_l[i]
    return vehicle


def _reasons(
    snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable, possible: np.ndarray,
    carrier: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Why each unassigned order is: no eligible carrier, the commonest pricing reason, or
    capacity (slots) / no van (own fleet) when possible pairs lost to others."""
    reason = np.zeros(snapshot.orders.count, dtype=np.int64)
    own = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    out = carrier < 0
    eligible = (eligibility.reason == 0).any(axis=1)
    lost = out & possible.any(axis=1)  # possible pairs lost to others
    by_slot = (possible & (prices.slot_idx >= 0)).any(axis=1) | ~(possible & own).any(axis=1)
    reason[lost] = np.where(by_slot[lost], Reason.CAPACITY_EXHAUSTED, Reason.NO_VEHICLE_FITS)
    reason[out & ~eligible] = Reason.NO_ELIGIBLE_CARRIER
    for i in np.flatnonzero(out & eligible & ~lost).tolist():
        priced = prices.reason[i][(eligibility.reason[i] == 0) & (prices.reason[i] != 0)]
        values, counts = np.unique(priced, return_counts=True)
        reason[i] = int(values[np.argmax(counts)]) if len(values) else Reason.NO_RATE_CARD
    return reason


def solve(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    budget_s: float,
    *,
    method: str = "auto",
) -> tuple[Assignment, SolveInfo]:
    """`optimal`, plus how it was solved (status, bound, method).

    Parameters
    ----------
    snapshot, eligibility, prices
        The request, its eligibility and its price table.
    scores : np.ndarray
        float64[N, C] objective per pair (`assign.score`), inf where impossible.
    budget_s : float
        Wall-clock budget for the whole call.
    method : {"auto", "mip"}
        "mip" skips the min-cost flow shortcut (to cross-check it).

    Returns
    -------
    (Assignment, SolveInfo)

    Raises
    ------
    ValueError
        If shapes disagree, the budget is not positive or the method unknown.
    """
    start = time.perf_counter()
    if method not in ("auto", "mip"):
        raise ValueError(f"Expected method 'auto' or 'mip', got {method!r}")
    _check(snapshot, prices, scores, budget_s)
    n = snapshot.orders.count
    canon = np.argsort(np.asarray(snapshot.orders.ids, dtype=object), kind="stable").astype(
        np.int64
    )
    penalty = assign.unassigned_penalty(scores)
    possible = (prices.reason == 0) & (eligibility.reason == 0) & np.isfinite(scores)
    cost = np.where(possible, np.rint(np.where(possible, scores, 0.0) * COST_SCALE), 0).astype(
        np.int64
    )
    penalty_int = round(penalty * COST_SCALE)
    own = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    free = possible & ~own[None, :] & ((prices.slot_idx < 0) | _slack(snapshot, prices, possible))
    free_best, free_cost = _free_choice(cost, free, penalty_int)
    p = _reduce(snapshot, eligibility, prices, possible, cost, free_cost, canon, free)
    carrier = free_best.copy()
    slot = np.full(n, -1, dtype=np.int64)
    status, method_used, gain_bound = SolverStatus.OPTIMAL, "trivial", 0.0
    chosen = np.zeros(len(p.pair_row), dtype=np.bool_)
    if len(p.pair_row):
        relaxed = None
        if method == "auto" and _flow_network_applies(p):
            relaxed = _solve_flow(snapshot, p)
        if relaxed is not None and _weights_hold(snapshot, p, relaxed):
            # The count-only optimum respects the weights too, so it is optimal for the model.
            chosen, method_used = relaxed, "min_cost_flow"
            gain_bound = float(p.pair_gain[chosen].sum())
        else:
            chosen, status, gain_bound, method_used = _solve_hard(
                snapshot, eligibility, prices, scores, p, relaxed, start + budget_s
            )
    carrier[p.pair_order[chosen]] = p.pair_carrier[chosen]
    rows = np.flatnonzero(carrier >= 0)
    slot[rows] = prices.slot_idx[rows, carrier[rows]]
    objective = float(scores[rows, carrier[rows]].sum()) + penalty * (n - len(rows))
    # Bound: integer optimum of the reduced problem, back in score units.
    base_int = float(free_cost.sum())
    bound = objective if status == SolverStatus.OPTIMAL else (base_int - gain_bound) / COST_SCALE
    assignment = Assignment(
        carrier_idx=carrier,
        slot_idx=slot,
        vehicle_idx=_vehicles(snapshot, eligibility, carrier, canon),
        reason=_reasons(snapshot, eligibility, prices, possible, carrier),
        status=status,
        policy=Policy.OPTIMAL,
        objective=objective,
        bound=bound if status != SolverStatus.HEURISTIC and math.isfinite(bound) else None,
    )
    info = SolveInfo(
        status, method_used, objective, bound, time.perf_counter() - start, len(p.rows),
        len(p.pair_row),
    )  # fmt: skip
    return assignment, info


def optimal(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    budget_s: float,
) -> Assignment:
    """Assign orders to minimise the total score under capacity, exactly (see module doc).

    Parameters
    ----------
    snapshot, eligibility, prices
        The request, its eligibility and its price table.
    scores : np.ndarray
        float64[N, C] objective per pair (`assign.score`), inf where impossible.
    budget_s : float
        Wall-clock budget; the MIP stops there with its best answer (FEASIBLE).

    Returns
    -------
    Assignment
        status OPTIMAL or FEASIBLE (HEURISTIC: greedy, if the MIP found nothing in time).

    Raises
    ------
    ValueError
        If shapes disagree or the budget is not positive.
    """
    return solve(snapshot, eligibility, prices, scores, budget_s)[0]
