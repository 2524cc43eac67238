"""Own fleet inside the decision: keep-or-outsource vs vans first, and time to a first plan.

For the bundled sample day and generated days (``samples.generate.generate_day``), in the same
run and with the same routing budget, the whole own-fleet + partner decision two ways:

* joint (the service): the router may drop each order at its best partner's score, the orders
  it leaves go through the optimal partner assignment and its two repairs
  (``solver.decide.settle``, exactly what the service runs);
* vans first: the router keeps every order it can fit (dropping costs far more than any route
  change), then the same ``settle``.

Total cost = route costs + partner prices of the assigned orders; orders nobody takes are
counted separately (an unassigned order costs nothing here, so compare the counts too).
Then a 1,000-order, 50-van generated day: wall time from the snapshot to the first feasible
plan (``solution_limit=1``), re-checked with ``solver.routing.check_plan``.

Run: ``python -m bench.fleet [--budget 10] [--days 3] [--out results/fleet.json]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench import results
from clients.client import load_request
from samples.generate import generate_day
from service import convert
from solver import assign, fleet, pricing
from solver.checks import BuiltinPolicy
from solver.decide import settle
from solver.routing import check_plan

if TYPE_CHECKING:
    from lastmile.v1 import orchestrator_pb2 as pb
    from solver.fleet import Mode

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample_day.json"


def _one_way(request: pb.DecideRequest, mode: Mode, budget_s: float) -> dict[str, Any]:
    snapshot = convert.to_snapshot(request)
    started = time.perf_counter()
    eligibility = BuiltinPolicy().evaluate(snapshot)
    prices = pricing.price(snapshot, eligibility)
    scores = assign.score(snapshot, prices)
    everyone = np.ones(snapshot.orders.count, dtype=bool)
    plan = fleet.route(
        snapshot, eligibility, prices, scores, everyone, time_limit_s=budget_s, mode=mode
    )
    routed_s = time.perf_counter() - started
    # As in solver.decide: the partner assignment, then the two repairs.
    deadline = time.perf_counter() + max(2.0, budget_s / 2)
    chosen, plan = settle(snapshot, eligibility, prices, scores, plan, deadline)
    wall = time.perf_counter() - started
    assigned = chosen.carrier_idx >= 0
    partner_rows = np.flatnonzero(assigned & ~plan.kept)
    partner_cents = int(prices.price_cents[partner_rows, chosen.carrier_idx[partner_rows]].sum())
    route_cents = plan.route_cost_cents
    errors: list[str] = []
    if plan.plan is not None and plan.fleet_problem.problem is not None:
        errors = [
            e for e in check_plan(plan.fleet_problem.problem, plan.plan) if "mandatory" not in e
        ]
    return {
        "mode": mode,
        "engine": plan.engine,
        "routing_status": plan.status,
        "routes": len(plan.routes),
        "offered": int(plan.offered.sum()),
        "kept": int(plan.kept.sum()),
        "partner_orders": int(partner_rows.size),
        "unassigned": int((~assigned).sum()),
        "route_cost_cents": route_cents,
        "partner_cost_cents": partner_cents,
        "total_cents": route_cents + partner_cents,
        "cents_per_assigned": round((route_cents + partner_cents) / max(1, int(assigned.sum())), 1),
        "routing_s": round(routed_s, 2),
        "wall_s": round(wall, 2),
        "check_errors": errors[:3],
    }


def compare(name: str, request: pb.DecideRequest, budget_s: float) -> dict[str, Any]:
    """Joint keep-or-outsource vs vans first on one day, same budget, same run."""
    joint = _one_way(request, "keep_or_outsource", budget_s)
    first = _one_way(request, "vans_first", budget_s)
    saving = first["total_cents"] - joint["total_cents"]
    return {
        "day": name,
        "orders": len(request.orders),
        "vehicles": len(request.vehicles),
        "budget_s": budget_s,
        "joint": joint,
        "vans_first": first,
        "saving_cents": saving,
        "saving_pct": round(100.0 * saving / first["total_cents"], 2)
        if first["total_cents"]
        else 0,
    }


def first_feasible(seed: int, orders: int, vehicles: int) -> dict[str, Any]:
    """Snapshot to the first feasible own-fleet plan on a generated day."""
    request = generate_day(seed=seed, orders=orders, vehicles=vehicles)
    snapshot = convert.to_snapshot(request)
    started = time.perf_counter()
    eligibility = BuiltinPolicy().evaluate(snapshot)
    prices = pricing.price(snapshot, eligibility)
    scores = assign.score(snapshot, prices)
    everyone = np.ones(snapshot.orders.count, dtype=bool)
    plan = fleet.route(
        snapshot,
        eligibility,
        prices,
        scores,
        everyone,
        time_limit_s=60.0,
        solution_limit=1,
        polish=False,
    )
    wall = time.perf_counter() - started
    errors: list[str] = []
    problem = plan.fleet_problem.problem
    if plan.plan is not None and problem is not None:
        errors = [e for e in check_plan(problem, plan.plan) if "mandatory" not in e]
    return {
        "seed": seed,
        "orders": orders,
        "vehicles": vehicles,
        "offered": int(plan.offered.sum()),
        "first_feasible_s": round(wall, 2),
        "routing_s": round(plan.plan.elapsed_s, 2) if plan.plan is not None else None,
        "status": plan.status,
        "engine": plan.engine,
        "routes": len(plan.routes),
        "kept": int(plan.kept.sum()),
        "feasible": plan.plan is not None and plan.status != "NO_SOLUTION" and not errors,
        "check_errors": errors[:3],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and the first-plan timing; write JSON and print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", type=float, default=10.0, help="routing seconds per solve")
    parser.add_argument("--days", type=int, default=3, help="generated days (300 orders, 8 vans)")
    parser.add_argument("--out", default="results/fleet.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    days: list[tuple[str, pb.DecideRequest]] = [("sample", load_request(SAMPLE))]
    days += [
        (f"generated-{seed}", generate_day(seed=seed, orders=300, vehicles=8))
        for seed in range(11, 11 + args.days)
    ]
    rows = []
    for name, request in days:
        row = compare(name, request, args.budget)
        rows.append(row)
        j, f = row["joint"], row["vans_first"]
        print(
            f"{name:14s} joint {j['total_cents'] / 100:9.2f} EUR ({j['kept']} on "
            f"{j['routes']} vans, {j['unassigned']} unassigned) | vans first "
            f"{f['total_cents'] / 100:9.2f} EUR ({f['kept']} on {f['routes']} vans, "
            f"{f['unassigned']} unassigned) | saving {row['saving_pct']:.2f} %, per assigned "
            f"order {j['cents_per_assigned'] / 100:.2f} vs {f['cents_per_assigned'] / 100:.2f} EUR",
            flush=True,
        )
    big = first_feasible(1, 1000, 50)
    print(
        f"first feasible plan, 1,000 orders / 50 vans: {big['first_feasible_s']} s "
        f"(routing {big['routing_s']} s, {big['status']}, {big['routes']} routes, "
        f"{big['kept']} of {big['offered']} offered kept, feasible={big['feasible']})",
        flush=True,
    )
    wall_s = round(time.perf_counter() - started, 1)
    result = {"args": vars(args), "wall_s": wall_s, "keep_or_outsource": rows}
    result["first_feasible"] = big
    out = results.write(args.out, "fleet", result)
    print(f"wrote {out} in {wall_s} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
