"""Routing benchmark: all 56 Solomon + 6 Gehring-Homberger instances, generated days.

For every instance and budget it runs our router (:func:`solver.routing.solve`, engine "auto")
and, in the same run, two references on the same integer data: VROOM (exploration level 5, one
thread; it has no time budget, so one run per instance is compared with both budgets) and plain
OR-Tools guided local search (PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH, same model).
Every solution is re-checked from the raw instance file by :func:`check_solomon`, which shares no
code with the solvers. Gaps use the ``distance_dimacs_trunc1`` best-known solutions.

Generated days (city coordinates, haversine * 1.3 at 25 km/h, 2-hour slots) measure the time to
a first feasible plan at 1,000 orders and 50 vans, and whether keep-or-outsource in one model
beats "vans first, partners for the leftovers".

Run: ``python -m bench.routing [--budgets 2,10] [--instances C101,R1] [--jobs 1]
[--out results/routing.json]``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bench import results
from solver.routing import EngineName, RoutingParams, RoutingProblem, check_plan, solve
from solver.solomon import (
    BestKnown,
    SolomonInstance,
    dimacs_distances,
    instance_path,
    read_bks,
    read_solomon,
    solomon_dir,
    to_routing_problem,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from solver.routing import RoutingPlan

SOLOMON = (
    [f"C1{i:02d}" for i in range(1, 10)]
    + [f"C2{i:02d}" for i in range(1, 9)]
    + [f"R1{i:02d}" for i in range(1, 13)]
    + [f"R2{i:02d}" for i in range(1, 12)]
    + [f"RC1{i:02d}" for i in range(1, 9)]
    + [f"RC2{i:02d}" for i in range(1, 9)]
)
GH200 = ["c1_2_1", "c2_2_1", "r1_2_1", "r2_2_1", "rc1_2_1", "rc2_2_1"]
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2", "GH200")
SOLVERS = ("ours", "vroom_x5", "ortools_gls")
#: Also available with ``--solvers``: our OR-Tools engine forced (tuned ILS), the engine the
#: service uses for requests with multiple windows, skills, breaks, ride limits or soft windows.
EXTRA_SOLVERS = ("ortools_ils",)


def instance_class(name: str) -> str:
    """Solomon class of an instance name (``GH200`` for the 200-customer files)."""
    if name in GH200:
        return "GH200"
    return name[:3] if name.startswith("RC") else name[:2]


# --------------------------------------------------------------------------------------------
# Independent feasibility check on the raw instance


@dataclass(frozen=True, slots=True)
class SolomonCheck:
    """Result of :func:`check_solomon`: distance in DIMACS tenths."""

    feasible: bool
    distance: int
    vehicles: int
    errors: tuple[str, ...]


def check_solomon(inst: SolomonInstance, routes: list[list[int]]) -> SolomonCheck:
    """Re-check customer sequences against the raw instance (not the solver's model).

    Capacity, windows (service starts by the due date, waiting allowed), return to the depot
    by its due date, each customer exactly once, fleet size. Arc lengths are recomputed here as
    ``isqrt(100 * squared distance)`` from the file's integer coordinates.

    Parameters
    ----------
    inst
        The instance as read from its file.
    routes
        Customer numbers (1-based file rows) per route; empty routes are ignored.

    Returns
    -------
    SolomonCheck
        Feasibility, summed distance (tenths) and the violations found.
    """
    errors: list[str] = []
    xs = [round(float(v)) for v in inst.x]
    ys = [round(float(v)) for v in inst.y]

    def arc(a: int, b: int) -> int:
        return math.isqrt(100 * ((xs[a] - xs[b]) ** 2 + (ys[a] - ys[b]) ** 2))

    seen: set[int] = set()
    total = 0
    used = [r for r in routes if r]
    if len(used) > inst.num_vehicles:
        errors.append(f"{len(used)} routes > fleet {inst.num_vehicles}")
    for k, route in enumerate(used):
        t, prev, load = int(inst.ready[0]) * 10, 0, 0
        for c in route:
            if not 1 <= c <= inst.num_customers or c in seen:
                errors.append(f"route {k}: customer {c} unknown or repeated")
                continue
            seen.add(c)
            total += arc(prev, c)
            t = max(t + arc(prev, c), int(inst.ready[c]) * 10)
            if t > int(inst.due[c]) * 10:
                errors.append(f"route {k}: customer {c} starts {t} > due {inst.due[c] * 10}")
            t += int(inst.service[c]) * 10
            load += int(inst.demand[c])
            prev = c
        total += arc(prev, 0)
        if t + arc(prev, 0) > int(inst.due[0]) * 10:
            errors.append(f"route {k}: back at {t + arc(prev, 0)} > depot due")
        if load > inst.capacity:
            errors.append(f"route {k}: load {load} > capacity {inst.capacity}")
    missing = inst.num_customers - len(seen)
    if missing:
        errors.append(f"{missing} customers not served")
    return SolomonCheck(not errors, total, len(used), tuple(errors))


# --------------------------------------------------------------------------------------------
# Solvers on one instance


def _run_ours(
    inst: SolomonInstance, budget: float, gls_reference: bool, engine: EngineName = "auto"
) -> tuple[list[list[int]], str, str]:
    """Our router (engine auto), or the OR-Tools GLS reference on the same model."""
    problem = to_routing_problem(inst)
    if gls_reference:
        params = RoutingParams(time_limit_s=budget, engine="ortools", ortools_search="gls")
    else:
        params = RoutingParams(time_limit_s=budget, seed=1, engine=engine)
    plan = solve(problem, params)
    routes = [[s.order_idx + 1 for s in r.stops] for r in plan.routes]
    return routes, plan.engine, plan.status


def _run_vroom(inst: SolomonInstance) -> tuple[list[list[int]], str, str]:
    import vroom  # benchmark-only reference, imported where used

    dist = dimacs_distances(inst)
    problem: Any = vroom.Input()
    problem.set_durations_matrix("car", dist.astype(np.uint32))
    for c in range(1, inst.num_customers + 1):
        problem.add_job(
            vroom.Job(
                c,
                location=c,
                default_service=int(inst.service[c]) * 10,
                delivery=[int(inst.demand[c])],
                time_windows=[(int(inst.ready[c]) * 10, int(inst.due[c]) * 10)],
            )
        )
    for k in range(inst.num_vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=(int(inst.ready[0]) * 10, int(inst.due[0]) * 10),
            )
        )
    out = problem.solve(exploration_level=5, nb_threads=1).to_dict()
    routes = [[int(s["id"]) for s in r["steps"] if s["type"] == "job"] for r in out["routes"]]
    status = "FEASIBLE" if not out["unassigned"] else "PARTIAL"
    return routes, "vroom", status


def run_task(task: tuple[str, str, float]) -> dict[str, Any]:
    """Run one (instance, solver, budget) cell and check it; returns a JSON-ready record."""
    name, solver_name, budget = task
    inst = read_solomon(instance_path(name))
    bks = read_bks()[name]
    started = time.perf_counter()
    cpu0 = time.process_time()
    if solver_name == "ours":
        routes, engine, status = _run_ours(inst, budget, gls_reference=False)
    elif solver_name == "ortools_gls":
        routes, engine, status = _run_ours(inst, budget, gls_reference=True)
    elif solver_name == "ortools_ils":
        routes, engine, status = _run_ours(inst, budget, gls_reference=False, engine="ortools")
    else:
        routes, engine, status = _run_vroom(inst)
    wall = time.perf_counter() - started
    chk = check_solomon(inst, routes)
    return {
        "instance": name,
        "class": instance_class(name),
        "solver": solver_name,
        "budget_s": budget if solver_name != "vroom_x5" else None,
        "engine": engine,
        "status": status,
        "feasible": chk.feasible,
        "vehicles": chk.vehicles,
        "distance": chk.distance / 10,
        "bks_distance": bks.distance,
        "bks_vehicles": bks.vehicles,
        "gap_pct": _gap(chk.distance, bks),
        "wall_s": round(wall, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "errors": list(chk.errors[:3]),
    }


def _gap(distance_tenths: int, bks: BestKnown) -> float:
    best = round(bks.distance * 10)
    return round(100.0 * (distance_tenths - best) / best, 3)


# --------------------------------------------------------------------------------------------
# Generated days


_CENTRE = (52.52, 13.405)  # a Berlin-sized city
_SPEED_MPS = 25 / 3.6
_CIRCUITY = 1.3
_DAY0 = 3600  # 08:00 when the clock starts at 07:00


def _haversine_m(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return np.asarray(2 * 6_371_000.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def generate_day(
    seed: int, n_orders: int, n_vehicles: int, *, features: bool = False, n_depots: int = 2
) -> RoutingProblem:
    """A synthetic city day: clustered orders around two depots, 2-hour slots, three loads.

    Vans: 08:00-16:00 or 10:00-18:00 shifts, 1 t / 8 m3 / 60 stops, EUR 60 per day,
    EUR 0.25 per km, EUR 22 per hour. Partner price per order: EUR 4.50 + EUR 0.30 per km from
    the nearest depot + EUR 0.10 per kg. With ``features`` the day also has two-window orders
    (10 %), chilled orders needing a cooled van (skill bit 0, 20 % of vans) with a 3-hour ride
    limit, and a 30-minute break between 12:00 and 14:30 for every van; only OR-Tools expresses
    those.

    Parameters
    ----------
    seed
        Random seed.
    n_orders, n_vehicles
        Size of the day.
    features
        Add multiple windows, skills, ride limits and breaks.
    n_depots
        Depots on the city edge; vans are spread over them.

    Returns
    -------
    RoutingProblem
        Locations: depots first, then one per order.
    """
    rng = np.random.default_rng(seed)
    km_lat = 1 / 111.32
    km_lon = 1 / (111.32 * math.cos(math.radians(_CENTRE[0])))
    n_clustered = int(0.7 * n_orders)
    centres = rng.uniform(-9, 9, size=(6, 2))
    pick = rng.integers(0, 6, size=n_clustered)
    pts = np.vstack(
        [
            centres[pick] + rng.normal(0, 1.8, size=(n_clustered, 2)),
            rng.uniform(-13, 13, size=(n_orders - n_clustered, 2)),
        ]
    )
    angles = np.linspace(0, 2 * np.pi, n_depots, endpoint=False) + 0.3
    depots = np.column_stack([8 * np.cos(angles), 8 * np.sin(angles)])
    xy = np.vstack([depots, pts])
    lat = _CENTRE[0] + xy[:, 1] * km_lat
    lon = _CENTRE[1] + xy[:, 0] * km_lon
    dist_f = _haversine_m(lat, lon) * _CIRCUITY
    dist = np.rint(dist_f).astype(np.int64)
    travel = np.rint(dist_f / _SPEED_MPS).astype(np.int64)

    v_depot = np.arange(n_vehicles, dtype=np.int64) % n_depots
    late_shift = rng.random(n_vehicles) < 0.5
    shift_start = np.where(late_shift, _DAY0 + 7200, _DAY0).astype(np.int64)
    shift_end = shift_start + 8 * 3600
    cap = np.tile(np.array([1_000_000, 8_000_000, 60], dtype=np.int64), (n_vehicles, 1))
    vskills = np.zeros(n_vehicles, dtype=np.uint64)

    slots = [(_DAY0 + 2 * 3600 * k, _DAY0 + 2 * 3600 * (k + 1)) for k in range(5)]
    day = (_DAY0, _DAY0 + 10 * 3600)
    windows: list[list[tuple[int, int]]] = []
    for _ in range(n_orders):
        if rng.random() < 0.25:
            windows.append([day])
        elif features and rng.random() < 0.13:
            a, b = sorted(rng.choice(5, size=2, replace=False).tolist())
            if b == a + 1:
                windows.append([(slots[a][0], slots[b][1])])
            else:
                windows.append([slots[a], slots[b]])
        else:
            windows.append([slots[int(rng.integers(0, 5))]])
    offsets = np.cumsum([0] + [len(w) for w in windows]).astype(np.int64)
    w_start = np.array([a for w in windows for a, _ in w], dtype=np.int64)
    w_end = np.array([b for w in windows for _, b in w], dtype=np.int64)

    weight_g = np.clip(rng.lognormal(math.log(4000), 0.9, n_orders), 200, 30_000).astype(np.int64)
    volume_ml = (weight_g * rng.uniform(2, 6, n_orders)).astype(np.int64)
    demand = np.column_stack([weight_g, volume_ml, np.ones(n_orders, dtype=np.int64)])
    req = np.zeros(n_orders, dtype=np.uint64)
    ride = np.zeros(n_orders, dtype=np.int64)
    brk_start = np.full(n_vehicles, -1, dtype=np.int64)
    brk_end = np.full(n_vehicles, -1, dtype=np.int64)
    brk_dur = np.zeros(n_vehicles, dtype=np.int64)
    if features:
        vskills[rng.random(n_vehicles) < 0.2] = 1
        vskills[0] = 1
        chilled = rng.random(n_orders) < 0.05
        req[chilled] = 1
        ride[chilled] = 3 * 3600
        brk_start[:] = _DAY0 + 4 * 3600
        brk_end[:] = _DAY0 + 6 * 3600 + 1800
        brk_dur[:] = 1800
    from_depot_km = dist[:n_depots, n_depots:].min(axis=0) / 1000
    price = 450 + np.rint(30 * from_depot_km + 10 * weight_g / 1000).astype(np.int64)
    return RoutingProblem(
        travel_s=travel,
        distance_m=dist,
        vehicle_start_loc=v_depot,
        vehicle_end_loc=v_depot.copy(),
        shift_start_s=shift_start,
        shift_end_s=shift_end,
        vehicle_capacity=cap,
        vehicle_skills=vskills,
        fixed_cost=np.full(n_vehicles, 6000, dtype=np.int64),
        cost_per_km=np.full(n_vehicles, 25, dtype=np.int64),
        cost_per_hour=np.full(n_vehicles, 2200, dtype=np.int64),
        max_duration_s=np.zeros(n_vehicles, dtype=np.int64),
        break_start_s=brk_start,
        break_end_s=brk_end,
        break_duration_s=brk_dur,
        order_loc=np.arange(n_depots, n_depots + n_orders, dtype=np.int64),
        order_demand=demand,
        service_s=rng.integers(120, 421, size=n_orders).astype(np.int64),
        window_offsets=offsets,
        window_start_s=w_start,
        window_end_s=w_end,
        required_skills=req,
        max_ride_s=ride,
        outsource_cost=price,
        lateness_cost_per_min=0,
    )


def _with_outsource(problem: RoutingProblem, outsource: npt.NDArray[np.int64]) -> RoutingProblem:
    fields = {name: getattr(problem, name) for name in problem.__dataclass_fields__}
    fields["outsource_cost"] = outsource
    return RoutingProblem(**fields)


def _van_cost(plan: RoutingPlan) -> int:
    return sum(r.cost for r in plan.routes)


def first_feasible(
    seed: int, n_orders: int, n_vehicles: int, features: bool, engine: EngineName
) -> dict[str, Any]:
    """Time to the first plan (``solution_limit=1``) on a generated day."""
    problem = generate_day(seed, n_orders, n_vehicles, features=features)
    started = time.perf_counter()
    plan = solve(problem, RoutingParams(time_limit_s=30.0, solution_limit=1, engine=engine))
    wall = time.perf_counter() - started
    errors = check_plan(problem, plan)
    return {
        "seed": seed,
        "orders": n_orders,
        "vehicles": n_vehicles,
        "features": features,
        "engine_requested": engine,
        "engine": plan.engine,
        "status": plan.status,
        "first_feasible_s": round(wall, 3),
        "routes": len(plan.routes),
        "dropped": len(plan.dropped),
        "objective_cents": plan.objective,
        "check_errors": errors[:3],
        "feasible": not errors,
    }


def keep_or_outsource(seed: int, n_orders: int, n_vehicles: int, budget: float) -> dict[str, Any]:
    """Joint keep-or-outsource vs vans first, partners for the leftovers (same budget/engine).

    Vans first: every order gets a penalty far above any route cost, so the vans keep all they
    can; the leftovers then pay their partner price. Joint: the penalty is the partner price.
    """
    problem = generate_day(seed, n_orders, n_vehicles)
    price = problem.outsource_cost
    params = RoutingParams(time_limit_s=budget, seed=seed)
    joint = solve(problem, params)
    big = np.full(problem.num_orders, 100_000, dtype=np.int64)
    vans_first = solve(_with_outsource(problem, big), params)
    out: dict[str, Any] = {
        "seed": seed,
        "orders": n_orders,
        "vehicles": n_vehicles,
        "budget_s": budget,
    }
    for label, plan in (("joint", joint), ("vans_first", vans_first)):
        vans = _van_cost(plan)
        partners = int(price[list(plan.dropped)].sum()) if plan.dropped else 0
        out[label] = {
            "engine": plan.engine,
            "status": plan.status,
            "routes": len(plan.routes),
            "kept": problem.num_orders - len(plan.dropped),
            "outsourced": len(plan.dropped),
            "van_cost_cents": vans,
            "partner_cost_cents": partners,
            "total_cents": vans + partners,
            "check_errors": check_plan(problem, plan)[:3],
        }
    saving = out["vans_first"]["total_cents"] - out["joint"]["total_cents"]
    out["saving_cents"] = saving
    out["saving_pct"] = round(100 * saving / out["vans_first"]["total_cents"], 2)
    return out


# --------------------------------------------------------------------------------------------
# Summary


def summarise(records: list[dict[str, Any]], budgets: list[float]) -> dict[str, Any]:
    """Per class and solver x budget: mean / max gap, feasible counts; headline means."""
    cells: dict[str, Any] = {}
    for solver_name in SOLVERS + EXTRA_SOLVERS:
        for budget in budgets:
            key = f"{solver_name}@{budget:g}s"
            rows = [
                r
                for r in records
                if r["solver"] == solver_name
                and (r["budget_s"] == budget or solver_name == "vroom_x5")
            ]
            if not rows:
                continue
            per_class: dict[str, Any] = {}
            for cls in CLASSES:
                sub = [r for r in rows if r["class"] == cls]
                gaps = [r["gap_pct"] for r in sub if r["feasible"]]
                if sub:
                    per_class[cls] = {
                        "mean_gap": round(statistics.fmean(gaps), 3) if gaps else None,
                        "max_gap": round(max(gaps), 3) if gaps else None,
                        "feasible": len(gaps),
                        "n": len(sub),
                        "mean_wall_s": round(statistics.fmean(r["wall_s"] for r in sub), 2),
                    }
            sol = [r for r in rows if r["class"] != "GH200"]
            gaps = [r["gap_pct"] for r in sol if r["feasible"]]
            engines = sorted({r["engine"] for r in rows})
            cells[key] = {
                "classes": per_class,
                "solomon_mean_gap": round(statistics.fmean(gaps), 3) if gaps else None,
                "solomon_max_gap": round(max(gaps), 3) if gaps else None,
                "solomon_feasible": len(gaps),
                "solomon_n": len(sol),
                "solomon_le_1pct": sum(g <= 1.0 for g in gaps),
                "engines": engines,
            }
    ratios: dict[str, Any] = {}
    for budget in budgets:
        ours = cells.get(f"ours@{budget:g}s", {}).get("solomon_mean_gap")
        for ref in ("vroom_x5", "ortools_gls"):
            other = cells.get(f"{ref}@{budget:g}s", {}).get("solomon_mean_gap")
            if ours is not None and other:
                ratios[f"ours/{ref}@{budget:g}s"] = round(ours / other, 3)
    return {"cells": cells, "ratios": ratios}


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_table(summary: dict[str, Any], extra: dict[str, Any]) -> None:
    """Print the short table (mean/max gap % per class, feasible counts, headline)."""
    cells = summary["cells"]
    head = "| solver @ budget | " + " | ".join(CLASSES) + " | Solomon mean / max | feasible |"
    print(head)
    print("|" + "---|" * (len(CLASSES) + 3))
    for key, cell in cells.items():
        cls = [
            f"{_fmt(c['mean_gap'])} / {_fmt(c['max_gap'])}"
            if (c := cell["classes"].get(k))
            else "-"
            for k in CLASSES
        ]
        feas = sum(c["feasible"] for c in cell["classes"].values())
        n = sum(c["n"] for c in cell["classes"].values())
        print(
            f"| {key} | "
            + " | ".join(cls)
            + f" | {_fmt(cell['solomon_mean_gap'])} / {_fmt(cell['solomon_max_gap'])}"
            + f" | {feas}/{n} |"
        )
    print(
        "(cells: mean / max gap % to BKS distance_dimacs_trunc1; vroom_x5 has no budget, the "
        "same run is shown against each budget)"
    )
    for key, val in summary["ratios"].items():
        print(f"ratio of mean Solomon gaps {key}: {val}")
    for row in extra.get("first_feasible", []):
        print(
            f"first feasible plan, {row['orders']} orders / {row['vehicles']} vans, "
            f"features={row['features']}, engine={row['engine']}: {row['first_feasible_s']} s "
            f"({row['status']}, {row['routes']} routes, {row['dropped']} dropped, "
            f"feasible={row['feasible']})"
        )
    for row in extra.get("keep_or_outsource", []):
        j, f = row["joint"], row["vans_first"]
        print(
            f"keep-or-outsource seed {row['seed']} ({row['orders']} orders, "
            f"{row['vehicles']} vans, {row['budget_s']:g} s): joint {j['total_cents'] / 100:.2f} "
            f"EUR ({j['kept']} kept, {j['routes']} vans) vs vans-first "
            f"{f['total_cents'] / 100:.2f} EUR ({f['kept']} kept, {f['routes']} vans): "
            f"saving {row['saving_pct']:.2f} %"
        )


# --------------------------------------------------------------------------------------------
# CLI


def _select(spec: str) -> list[str]:
    if not spec:
        return SOLOMON + GH200
    names: list[str] = []
    for token in spec.split(","):
        token = token.strip()
        exact = [n for n in SOLOMON + GH200 if n.lower() == token.lower()]
        names += exact or [n for n in SOLOMON + GH200 if instance_class(n) == token.upper()]
    return list(dict.fromkeys(names))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write JSON plus a printed table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budgets", default="2,10", help="seconds, comma-separated")
    parser.add_argument(
        "--instances", default="", help="names or classes (C1,R2,GH200,...); all 62 by default"
    )
    parser.add_argument("--solvers", default=",".join(SOLVERS))
    parser.add_argument("--jobs", type=int, default=1, help="parallel solver processes")
    parser.add_argument("--out", default="results/routing.json")
    parser.add_argument(
        "--generated",
        choices=("all", "none"),
        default="all",
        help="also run the generated-day experiments",
    )
    parser.add_argument(
        "--kos-budget", type=float, default=10.0, help="budget of each keep-or-outsource solve"
    )
    args = parser.parse_args(argv)
    budgets = [float(b) for b in args.budgets.split(",") if b]
    names = _select(args.instances)
    solvers = [s for s in args.solvers.split(",") if s]
    tasks: list[tuple[str, str, float]] = []
    for name in names:
        for solver_name in solvers:
            if solver_name == "vroom_x5":
                tasks.append((name, solver_name, 0.0))
            else:
                tasks.extend((name, solver_name, b) for b in budgets)
    print(
        f"{len(tasks)} runs on {len(names)} instances from {solomon_dir()}, jobs={args.jobs}",
        flush=True,
    )
    started = time.perf_counter()
    records: list[dict[str, Any]] = []

    def report(rec: dict[str, Any]) -> None:
        records.append(rec)
        print(
            f"{rec['instance']:8s} {rec['solver']:12s} {rec['budget_s'] or '-':>5} "
            f"{rec['engine']:14s} feasible={rec['feasible']!s:5s} v={rec['vehicles']:3d} "
            f"dist={rec['distance']:9.1f} gap={rec['gap_pct']:6.2f}% wall={rec['wall_s']:.2f}",
            flush=True,
        )

    if args.jobs > 1:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(args.jobs, maxtasksperchild=8) as pool:
            for rec in pool.imap_unordered(run_task, tasks):
                report(rec)
    else:
        for task in tasks:
            report(run_task(task))
    records.sort(key=lambda r: (r["instance"], r["solver"], r["budget_s"] or 0))
    extra: dict[str, Any] = {}
    if args.generated == "all":
        extra["first_feasible"] = [
            first_feasible(1, 1000, 50, False, "auto"),
            first_feasible(1, 1000, 50, False, "ortools"),
            first_feasible(1, 1000, 50, True, "auto"),
        ]
        extra["keep_or_outsource"] = [
            keep_or_outsource(seed, 400, 12, args.kos_budget) for seed in (1, 2, 3)
        ]
    summary = summarise(records, budgets)
    wall_s = round(time.perf_counter() - started, 1)
    result = {"args": vars(args), "wall_s": wall_s, "summary": summary, **extra, "runs": records}
    out = results.write(args.out, "routing", result)
    print_table(summary, extra)
    print(f"wrote {out} in {wall_s} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
