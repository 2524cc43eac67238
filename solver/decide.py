"""The decision path: snapshot -> eligibility -> prices -> routing + assignment, plus the baseline.

Pure: everything comes from the snapshot, so the same snapshot gives the same outcome (routing
stops on a work limit set by the budget, see `routing_solution_limit`; the clock only caps it).

Own fleet (policy OPTIMAL): keep-or-outsource in one model (`solver.fleet`). Every order the own
fleet may take is offered to the router, which may drop it at the score of its best partner;
the orders it keeps ride on the vans (price = marginal route cost), the rest go through the
capacity-aware partner assignment (`solver.optimize`) with the own fleet closed to them.
Two repairs on the routes as they are: orders no partner could take go onto the vans where they
fit, and dropped orders holding slots that capacity-starved orders could use move onto the vans
when that delivers more orders or as many for less (`_make_room`).
Baselines, both computed on every request (`Outcome.baselines`, the requested one first):
GREEDY, the foundation's policy: greedy's own-fleet orders are routed vans-first with the first
plan the router finds (a greedy plan); the ones no route takes go back through greedy with the
own fleet closed to them. Policy GREEDY answers with it, and so does policy OPTIMAL when it
serves at least as many orders for less (e.g. routing ran out of time): the answer is never
worse than the routed greedy. SINGLE_NATIONAL: one national carrier for everything it may take, as
a shipper without vans or a carrier mix would ship (`single_national`).

Budget: `options.time_budget_s` (already capped by the call's deadline) covers the whole
decision; a share is kept back for building the response, the rest is split between the
baseline's routing (first, a first plan on fewer orders), routing and the partner assignment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from solver import assign, fleet, pricing
from solver.assign import Assignment
from solver.domain import Baseline, CarrierKind, Policy, Reason, SolverStatus

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.eligibility import Policy as EligibilityPolicy
    from solver.fleet import FleetPlan
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot

#: Routing work per second of budget: OR-Tools solutions (PyVRP: iterations, see
#: `solver.routing.PYVRP_ITERATIONS_PER_SOLUTION`). The sample day (500 orders, 12 vans) needs
#: about 2 s for the 50 of its 10 s budget on this 2-core machine, so the clock, which gets
#: about 6.5 s of that budget, does not stop it even on a loaded machine.
ROUTING_SOLUTIONS_PER_S = 5
#: Share of the budget left after the baseline's routing that the main routing may use.
ROUTING_SHARE = 0.75
#: Share of the budget left after pricing for the baseline's (first-plan) routing.
BASELINE_ROUTING_SHARE = 0.3
#: After the partner assignment, move dropped orders that hold slots capacity-starved orders
#: could use onto the vans (`_make_room`); a switch so tests and benchmarks can compare.
MAKE_ROOM = True
#: Last, put dropped orders on the vans wherever that costs less than their best partner
#: (`fleet.insert_profitable`; the search's tuned operators rarely put a dropped order back); a
#: switch so tests and benchmarks can compare.
INSERT_PROFITABLE = True
#: Dropped orders tried by that pass (and quoted for the answer) per second of budget: a work
#: limit, so the answer does not depend on the clock (about 5 ms each here: 30 per budget second
#: stays well inside the budget left after routing).
INSERT_ORDERS_PER_S = 30
#: Response building, per order (explain on / off), kept back from the budget: about twice
#: what it takes here (10,000 orders: 1.3 s with explanations, 1.0 s without).
RESPONSE_S_PER_ORDER = (0.0003, 0.0002)
#: At most this share of the budget is kept back for the response: a big request's answer
#: takes most of a short budget to build (50,000 orders: about 7 s here), and deciding on
#: less time beats answering after the caller's deadline.
RESPONSE_SHARE_MAX = 0.8


@dataclass(frozen=True, slots=True)
class Comparison:
    """A baseline policy's answer on the same request, with its routes when it used vans."""

    baseline: Baseline
    assignment: Assignment
    fleet: FleetPlan | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything the answer is built from.

    ``scores`` are the assignment scores with the own-fleet pair of every routed order replaced
    by its marginal route cost. ``fleet`` holds the routes of ``assignment`` (None when nothing
    was routed). ``baselines``: every baseline policy on the same request, the requested one
    (``snapshot.options.baseline``) first.
    """

    snapshot: Snapshot
    eligibility: Eligibility
    prices: PriceTable
    scores: np.ndarray
    assignment: Assignment
    baselines: tuple[Comparison, ...]
    stage_ms: tuple[tuple[str, float], ...]
    fleet: FleetPlan | None = None

    @property
    def baseline(self) -> Assignment:
        """The requested baseline's assignment (the one savings are reported against)."""
        return self.baselines[0].assignment

    @property
    def baseline_fleet(self) -> FleetPlan | None:
        """The requested baseline's routes, if it used vans."""
        return self.baselines[0].fleet


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps.append((stage, round((now - self._last) * 1000.0, 3)))
        self._last = now


def decide(snapshot: Snapshot, policy: EligibilityPolicy) -> Outcome:
    """Run every stage on one snapshot within ``snapshot.options.time_budget_s``."""
    started = time.perf_counter()
    options = snapshot.options
    budget, n = options.time_budget_s, snapshot.orders.count

    def reserve(explain: bool) -> float:
        return min(
            RESPONSE_SHARE_MAX * budget, 0.05 + RESPONSE_S_PER_ORDER[0 if explain else 1] * n
        )

    deadline = started + budget - reserve(options.explain)
    # The work the stages plan for, never read off the clock; the same with explanations on
    # or off, so asking why never changes the decision (only the clock's cap may differ).
    planned_s = budget - reserve(True)
    watch = _Stopwatch()
    eligibility = policy.evaluate(snapshot)
    watch.lap("eligibility")
    prices = pricing.price(snapshot, eligibility)
    watch.lap("pricing")
    scores = assign.score(snapshot, prices)
    greedy = assign.greedy(snapshot, eligibility, prices, scores)
    watch.lap("assignment_greedy")
    own = fleet.own_carriers(snapshot)
    has_fleet = bool(own.any()) and snapshot.fleet.count > 0
    # The routed greedy first (it serves as a baseline, as policy GREEDY's answer and as the
    # floor of OPTIMAL's): a first plan on fewer orders, usually done well within its share.
    routed_greedy: tuple[Assignment, FleetPlan] | None = None
    by_greedy = Comparison(Baseline.GREEDY, greedy)
    if has_fleet:
        routed_greedy = _routed_greedy(
            snapshot, eligibility, prices, scores, greedy, deadline, planned_s
        )
        by_greedy = Comparison(Baseline.GREEDY, *routed_greedy)
        watch.lap("baseline_routing")
    by_national = Comparison(
        Baseline.SINGLE_NATIONAL, single_national(snapshot, eligibility, prices, scores)
    )
    watch.lap("baseline_national")
    first_national = options.baseline == Baseline.SINGLE_NATIONAL
    baselines = (by_national, by_greedy) if first_national else (by_greedy, by_national)
    chosen, plan = greedy, None
    out_scores = scores
    if options.policy == Policy.GREEDY and routed_greedy is not None:
        chosen, plan = routed_greedy
        out_scores = _route_scores(snapshot, scores, plan)
    elif options.policy == Policy.OPTIMAL and has_fleet:
        offered = np.ones(snapshot.orders.count, dtype=bool)
        plan = fleet.route(
            snapshot,
            eligibility,
            prices,
            scores,
            offered,
            time_limit_s=_share(deadline, ROUTING_SHARE),
            mode="keep_or_outsource",
            solution_limit=routing_solution_limit(snapshot),
            work_s=ROUTING_SHARE * (1.0 - BASELINE_ROUTING_SHARE) * planned_s,
        )
        watch.lap("routing")
        chosen, plan = settle(snapshot, eligibility, prices, scores, plan, deadline, watch)
        out_scores = _route_scores(snapshot, scores, plan)
        if routed_greedy is not None:
            # Never answer worse than the routed greedy on the same request: when it serves as
            # many orders for less (e.g. routing ran out of time), answer with it.
            floor, floor_plan = routed_greedy
            mine = (-int(chosen.assigned.sum()), total_cost_cents(prices, chosen, plan))
            theirs = (-int(floor.assigned.sum()), total_cost_cents(prices, floor, floor_plan))
            if theirs < mine:
                chosen, plan = floor, floor_plan
                out_scores = _route_scores(snapshot, scores, plan)
    elif options.policy == Policy.OPTIMAL:
        chosen = _optimal(snapshot, eligibility, prices, scores, greedy, deadline)
        watch.lap("assignment_optimal")
    if plan is not None and plan.plan is not None:
        # Own-fleet candidates of the orders the vans left: their real place on the routes.
        own_score = np.where(fleet.own_carriers(snapshot)[None, :], scores, np.inf).min(axis=1)
        left = np.flatnonzero(~plan.kept & np.isfinite(own_score))
        left = left[np.argsort(own_score[left], kind="stable")]  # most misleading first
        plan = fleet.quote_dropped(
            snapshot,
            eligibility,
            plan,
            scores,
            left,
            max_orders=max(1, int(INSERT_ORDERS_PER_S * options.time_budget_s)),
            time_limit_s=max(0.0, deadline - time.perf_counter()),
        )
        out_scores = _route_scores(snapshot, scores, plan)
        watch.lap("routing_quotes")
    return Outcome(
        snapshot=snapshot,
        eligibility=eligibility,
        prices=prices,
        scores=out_scores,
        assignment=chosen,
        baselines=baselines,
        stage_ms=tuple(watch.laps),
        fleet=plan,
    )


def total_cost_cents(prices: PriceTable, assignment: Assignment, plan: FleetPlan | None) -> int:
    """Partner prices of the assigned orders not on a route, plus the route costs."""
    carrier = assignment.carrier_idx
    routed = plan.kept & (carrier == plan.carrier_idx) if plan is not None else carrier < -1
    rows = np.flatnonzero((carrier >= 0) & ~routed)
    cents = int(prices.price_cents[rows, carrier[rows]].sum())
    return cents + (plan.route_cost_cents if plan is not None else 0)


def routing_solution_limit(snapshot: Snapshot) -> int:
    """A work limit in proportion to the budget, so routing stops on work done, not on the
    clock, and every replica gives the same plan for the same request whatever its load
    (`fleet.route` scales it down for big problems, so the work per budget stays about the
    same); the time limit only caps it: a machine far slower than this one stops on time and
    may vary."""
    return max(10, int(ROUTING_SOLUTIONS_PER_S * snapshot.options.time_budget_s))


def _share(deadline: float, share: float) -> float:
    left = deadline - time.perf_counter()
    return max(0.05, share * left)


def _optimal(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    greedy: Assignment,
    deadline: float,
) -> Assignment:
    try:
        from solver import optimize
    except ImportError:
        return greedy
    budget = max(0.05, deadline - time.perf_counter())
    result: Assignment = optimize.optimal(snapshot, eligibility, prices, scores, budget)
    return result


def _closed_to_vans(
    snapshot: Snapshot, scores: np.ndarray, plan: FleetPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Scores for the partner assignment: own fleet closed to all, kept orders taken out."""
    own = fleet.own_carriers(snapshot)
    partner_scores = scores.copy()
    partner_scores[:, own] = np.inf
    partner_scores[plan.kept, :] = np.inf
    return partner_scores, own


def _merge(
    snapshot: Snapshot,
    scores: np.ndarray,
    partners: Assignment,
    plan: FleetPlan,
    policy: Policy,
    status: SolverStatus,
) -> Assignment:
    """Partner assignment plus the orders the vans keep (van from the plan)."""
    carrier = partners.carrier_idx.copy()
    slot = partners.slot_idx.copy()
    vehicle = np.full(snapshot.orders.count, -1, dtype=np.int64)
    reason = partners.reason.copy()
    kept = plan.kept
    carrier[kept] = plan.carrier_idx[kept]
    slot[kept] = -1
    vehicle[kept] = plan.vehicle_idx[kept]
    reason[kept] = 0
    # Offered to the vans, left off every route, and no partner took it either.
    lost = plan.offered & ~kept & (carrier < 0)
    no_partner = ~np.isfinite(np.where(fleet.own_carriers(snapshot)[None, :], np.inf, scores)).any(
        axis=1
    )
    reason[lost & no_partner] = Reason.NO_VEHICLE_FITS
    route_scores = _route_scores(snapshot, scores, plan)
    rows = np.flatnonzero(carrier >= 0)
    penalty = assign.unassigned_penalty(scores)
    objective = float(route_scores[rows, carrier[rows]].sum())
    objective += penalty * (snapshot.orders.count - rows.size)
    return Assignment(
        carrier_idx=carrier,
        slot_idx=slot,
        vehicle_idx=vehicle,
        reason=reason,
        status=status,
        policy=policy,
        objective=objective,
    )


def _with_partners(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    plan: FleetPlan,
    deadline: float,
) -> Assignment:
    """The orders the router left go through the optimal partner assignment."""
    partner_scores, _ = _closed_to_vans(snapshot, scores, plan)
    greedy = assign.greedy(snapshot, eligibility, prices, partner_scores)
    partners = _optimal(snapshot, eligibility, prices, partner_scores, greedy, deadline)
    status = partners.status
    if plan.plan is not None and status == SolverStatus.OPTIMAL and plan.status != "OPTIMAL":
        status = SolverStatus.FEASIBLE  # the routes are not proven optimal
    return _merge(snapshot, scores, partners, plan, Policy.OPTIMAL, status)


def settle(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    plan: FleetPlan,
    deadline: float,
    watch: _Stopwatch | None = None,
) -> tuple[Assignment, FleetPlan]:
    """After keep-or-outsource routing: the optimal partner assignment of what the vans left,
    then three repairs on the routes as they are: orders no partner took onto the vans where
    they fit; room for orders left out for partner capacity; dropped orders that cost the
    vans less than their best partner onto the vans (their partner slots stay free)."""
    watch = watch or _Stopwatch()
    chosen = _with_partners(snapshot, eligibility, prices, scores, plan, deadline)
    watch.lap("assignment_optimal")
    lost = np.flatnonzero(plan.offered & ~plan.kept & (chosen.carrier_idx < 0))
    if lost.size:
        more = fleet.insert_orders(
            snapshot, eligibility, plan, lost, time_limit_s=_share(deadline, 0.8)
        )
        if more is not plan:
            plan = more
            chosen = _merge(snapshot, scores, chosen, plan, Policy.OPTIMAL, chosen.status)
        watch.lap("routing_insert")
    if MAKE_ROOM:
        chosen, plan = _make_room(snapshot, eligibility, prices, scores, chosen, plan, deadline)
        watch.lap("routing_make_room")
    if INSERT_PROFITABLE:
        more = fleet.insert_profitable(
            snapshot,
            eligibility,
            plan,
            time_limit_s=_share(deadline, 0.6),
            max_orders=max(1, int(INSERT_ORDERS_PER_S * snapshot.options.time_budget_s)),
        )
        if more is not plan:
            plan = more
            chosen = _merge(snapshot, scores, chosen, plan, Policy.OPTIMAL, chosen.status)
        watch.lap("routing_insert_profitable")
    return chosen, plan


def _make_room(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    chosen: Assignment,
    plan: FleetPlan,
    deadline: float,
) -> tuple[Assignment, FleetPlan]:
    """Orders left out for partner capacity: the orders the router dropped that hold partner
    slots they could use (same zone, a carrier possible for them) go onto the vans where they
    fit, and partners are assigned again. Kept only when it delivers more orders, or as many
    for less: the router priced its drops before partner capacity was known."""
    starved = np.flatnonzero(
        (chosen.carrier_idx < 0) & (chosen.reason == Reason.CAPACITY_EXHAUSTED)
    )
    if not starved.size or plan.plan is None:
        return chosen, plan
    own = fleet.own_carriers(snapshot)
    n_carriers = snapshot.carriers.count
    zone = snapshot.orders.zone_idx
    s_rows, s_cols = np.nonzero(np.isfinite(scores[starved]) & ~own[None, :])
    wanted = zone[starved[s_rows]] * n_carriers + s_cols
    carrier = chosen.carrier_idx
    holders = np.flatnonzero(plan.offered & ~plan.kept & (carrier >= 0) & (zone >= 0))
    holders = holders[~own[carrier[holders]]]
    blocking = holders[np.isin(zone[holders] * n_carriers + carrier[holders], wanted)]
    if not blocking.size:
        return chosen, plan
    moved = fleet.insert_orders(
        snapshot, eligibility, plan, blocking, time_limit_s=_share(deadline, 0.5)
    )
    if moved is plan:
        return chosen, plan
    again = _with_partners(snapshot, eligibility, prices, scores, moved, deadline)
    before = (-int(chosen.assigned.sum()), total_cost_cents(prices, chosen, plan))
    after = (-int(again.assigned.sum()), total_cost_cents(prices, again, moved))
    return (again, moved) if after < before else (chosen, plan)


def _routed_greedy(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    greedy: Assignment,
    deadline: float,
    planned_s: float,
) -> tuple[Assignment, FleetPlan]:
    """Greedy with real routes: its own-fleet orders routed vans-first (first plan found),
    the rest re-run through greedy with the own fleet closed to them."""
    own = fleet.own_carriers(snapshot)
    on_vans = greedy.assigned & own[np.maximum(greedy.carrier_idx, 0)]
    plan = fleet.route(
        snapshot,
        eligibility,
        prices,
        scores,
        on_vans,
        time_limit_s=_share(deadline, BASELINE_ROUTING_SHARE),
        mode="vans_first",
        solution_limit=1,
        polish=False,
        work_s=BASELINE_ROUTING_SHARE * planned_s,
    )
    partner_scores, _ = _closed_to_vans(snapshot, scores, plan)
    partners = assign.greedy(snapshot, eligibility, prices, partner_scores)
    return _merge(snapshot, scores, partners, plan, Policy.GREEDY, SolverStatus.HEURISTIC), plan


def _route_scores(snapshot: Snapshot, scores: np.ndarray, plan: FleetPlan | None) -> np.ndarray:
    """Scores with each routed order's own-fleet pair at its marginal route cost, and each
    quoted order's (`fleet.Quotes`) at its cheapest place on the routes (none: not possible)."""
    quotes = plan.quotes if plan is not None else None
    if plan is None or (not plan.kept.any() and quotes is None):
        return scores
    out = scores.copy()
    rows = np.flatnonzero(plan.kept)
    cols = plan.carrier_idx[rows]
    options = snapshot.options
    out[rows, cols] = (
        options.cost_weight * plan.marginal_cents[rows].astype(np.float64)
        + options.emissions_cents_per_kg * plan.co2e_g[rows] / 1000.0
    )
    if quotes is not None:
        rows = np.flatnonzero(quotes.quoted)
        cols = quotes.carrier_idx[rows]
        cents = quotes.cents[rows]
        out[rows, cols] = np.where(
            cents >= 0,
            options.cost_weight * cents.astype(np.float64)
            + options.emissions_cents_per_kg * quotes.co2e_g[rows] / 1000.0,
            np.inf,
        )
    return out


def single_national(
    snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable, scores: np.ndarray
) -> Assignment:
    """Baseline: one national carrier for everything, as a shipper without us would ship: of
    the national carriers, the one whose greedy answer (that carrier alone) scores best, so the
    one that delivers the most orders, then for the least. No national carrier: nothing
    delivered."""
    nationals = np.flatnonzero(snapshot.carriers.kind == CarrierKind.NATIONAL).tolist()
    best: Assignment | None = None
    for c in nationals:
        only = np.full_like(scores, np.inf)
        only[:, c] = scores[:, c]
        candidate = assign.greedy(snapshot, eligibility, prices, only)
        if best is None or candidate.objective < best.objective:
            best = candidate
    if best is None:
        best = assign.greedy(snapshot, eligibility, prices, np.full_like(scores, np.inf))
    return best
