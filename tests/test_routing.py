"""Own-fleet routing: solve() on small real and hand-made instances, both engines."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.routing import (
    EngineName,
    RoutingParams,
    RoutingPlan,
    RoutingProblem,
    _PlainScheduler,
    _route_units,
    _scale,
    _Scheduler,
    check_plan,
    insert,
    insert_profitable,
    insertion_costs,
    problem_features,
    select_engine,
    solve,
)
from solver.solomon import gap_pct, instance_path, read_bks, read_solomon, to_routing_problem


def fixed(engine: EngineName = "auto") -> RoutingParams:
    """Deterministic settings: stop after 30 solutions (or PyVRP iterations)."""
    return RoutingParams(time_limit_s=10.0, solution_limit=30, engine=engine)


def make_problem(
    xy_m: list[tuple[float, float]],
    n_vehicles: int = 1,
    **overrides: Any,
) -> RoutingProblem:
    """Depot at xy_m[0], one order per further point; 10 m/s, 60 s service, wide windows.

    Defaults: cost = distance (1000 cents/km), every order mandatory, capacity 100 with
    demand 10, no skills, breaks, ride limits or lateness. ``overrides`` replace fields.
    """
    pts = np.asarray(xy_m, dtype=np.float64)
    diff = pts[:, None, :] - pts[None, :, :]
    dist = np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)
    n = len(xy_m) - 1
    v = n_vehicles
    zeros_v = np.zeros(v, dtype=np.int64)
    fields: dict[str, Any] = {
        "travel_s": dist // 10,
        "distance_m": dist,
        "vehicle_start_loc": zeros_v.copy(),
        "vehicle_end_loc": zeros_v.copy(),
        "shift_start_s": zeros_v.copy(),
        "shift_end_s": np.full(v, 36_000, dtype=np.int64),
        "vehicle_capacity": np.full((v, 1), 100, dtype=np.int64),
        "vehicle_skills": np.zeros(v, dtype=np.uint64),
        "fixed_cost": zeros_v.copy(),
        "cost_per_km": np.full(v, 1000, dtype=np.int64),
        "cost_per_hour": zeros_v.copy(),
        "max_duration_s": zeros_v.copy(),
        "break_start_s": np.full(v, -1, dtype=np.int64),
        "break_end_s": np.full(v, -1, dtype=np.int64),
        "break_duration_s": zeros_v.copy(),
        "order_loc": np.arange(1, n + 1, dtype=np.int64),
        "order_demand": np.full((n, 1), 10, dtype=np.int64),
        "service_s": np.full(n, 60, dtype=np.int64),
        "window_offsets": np.arange(n + 1, dtype=np.int64),
        "window_start_s": np.zeros(n, dtype=np.int64),
        "window_end_s": np.full(n, 30_000, dtype=np.int64),
        "required_skills": np.zeros(n, dtype=np.uint64),
        "max_ride_s": np.zeros(n, dtype=np.int64),
        "outsource_cost": np.full(n, -1, dtype=np.int64),
        "lateness_cost_per_min": 0,
    }
    fields.update(overrides)
    return RoutingProblem(**fields)


def with_windows(windows: list[list[tuple[int, int]]]) -> dict[str, Any]:
    """Overrides for per-order window lists."""
    offsets = np.cumsum([0] + [len(w) for w in windows]).astype(np.int64)
    return {
        "window_offsets": offsets,
        "window_start_s": np.array([a for w in windows for a, _ in w], dtype=np.int64),
        "window_end_s": np.array([b for w in windows for _, b in w], dtype=np.int64),
    }


def served(plan: RoutingPlan) -> dict[int, tuple[int, int]]:
    """order -> (vehicle, service start)."""
    return {s.order_idx: (r.vehicle_idx, s.start_s) for r in plan.routes for s in r.stops}


def plan_signature(plan: RoutingPlan) -> list[tuple[int, list[int], list[int]]]:
    """Routes as comparable data."""
    return [
        (r.vehicle_idx, [s.order_idx for s in r.stops], [s.start_s for s in r.stops])
        for r in plan.routes
    ]


RING = [(0.0, 0.0)] + [
    (3000 * np.cos(a), 3000 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)
]


@pytest.fixture(scope="module")
def c101() -> RoutingProblem:
    """Solomon C101 in the DIMACS convention (cost == truncated distance)."""
    return to_routing_problem(read_solomon(instance_path("C101")))


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_c101_within_3pct_of_bks(c101: RoutingProblem, engine: EngineName) -> None:
    """Both engines reach 3 % of the C101 best-known distance in 2 s, and the plan checks out."""
    plan = solve(c101, RoutingParams(time_limit_s=2.0, seed=1, engine=engine))
    assert plan.status == "FEASIBLE"
    assert plan.engine == engine
    assert not plan.dropped
    assert check_plan(c101, plan) == []
    distance = sum(r.distance_m for r in plan.routes)
    assert plan.objective == distance
    assert gap_pct(distance, read_bks()["C101"]) <= 3.0
    assert plan.elapsed_s < 2.5


def test_checker_flags_tampered_plans(c101: RoutingProblem) -> None:
    """The checker accepts a solved plan and catches late starts, lost orders and overloads."""
    plan = solve(c101, RoutingParams(time_limit_s=2.0, solution_limit=1, engine="ortools"))
    assert check_plan(c101, plan) == []
    route = plan.routes[0]
    late_stop = dataclasses.replace(route.stops[0], start_s=10**6, departure_s=10**6 + 900)
    late = dataclasses.replace(route, stops=(late_stop, *route.stops[1:]))
    tampered = dataclasses.replace(plan, routes=(late, *plan.routes[1:]))
    assert any("outside its windows" in e for e in check_plan(c101, tampered))
    lost = dataclasses.replace(plan, routes=plan.routes[1:])
    assert any("either served or dropped" in e for e in check_plan(c101, lost))
    merged = dataclasses.replace(plan.routes[0], stops=plan.routes[0].stops + plan.routes[1].stops)
    overloaded = dataclasses.replace(plan, routes=(merged, *plan.routes[2:]))
    assert any("capacity" in e for e in check_plan(c101, overloaded))


def test_multiple_windows_respected() -> None:
    """An order with two windows is served inside one of them (here only the later one fits)."""
    windows = [[(0, 50), (3000, 3600)], [(100, 500), (5000, 5200)], [(0, 30_000)]]
    problem = make_problem(RING[:4], **with_windows(windows))
    assert "multiple_windows" in problem_features(problem)
    plan = solve(problem, fixed())
    assert plan.engine == "ortools"
    assert check_plan(problem, plan) == []
    starts = served(plan)
    assert 3000 <= starts[0][1] <= 3600
    assert 100 <= starts[1][1] <= 500 or 5000 <= starts[1][1] <= 5200


def test_skills_respected() -> None:
    """Orders needing a skill ride only on vans that have it; no capable van means dropped."""
    required = np.array([0b10, 0b10, 0, 0, 0b100, 0, 0, 0], dtype=np.uint64)
    outsource = np.full(8, -1, dtype=np.int64)
    outsource[4] = 900
    problem = make_problem(
        RING,
        n_vehicles=2,
        vehicle_skills=np.array([0b01, 0b11], dtype=np.uint64),
        required_skills=required,
        outsource_cost=outsource,
    )
    plan = solve(problem, fixed())
    assert plan.engine == "ortools"
    assert check_plan(problem, plan) == []
    where = served(plan)
    assert where[0][0] == 1 and where[1][0] == 1
    assert plan.dropped == (4,) and plan.unservable == (4,)


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
@pytest.mark.parametrize(("price", "kept"), [(500, False), (50_000, True)])
def test_keep_or_outsource(engine: EngineName, price: int, kept: bool) -> None:
    """A far order is dropped when its partner price is below the detour, kept when above."""
    pts = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 500.0), (0.0, 20_000.0)]
    problem = make_problem(pts, outsource_cost=np.array([-1, -1, price], dtype=np.int64))
    plan = solve(problem, fixed(engine))
    assert check_plan(problem, plan) == []
    assert (2 not in plan.dropped) is kept
    vans = sum(r.cost for r in plan.routes)
    assert plan.objective == vans + (0 if kept else price)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    capacity=st.integers(20, 60),
    engine=st.sampled_from(["ortools", "pyvrp"]),
)
def test_capacity_never_exceeded(seed: int, capacity: int, engine: EngineName) -> None:
    """Random small days: loads never exceed any dimension, each order appears once."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-4000, 4000, size=(12, 2))
    pts = [(0.0, 0.0)] + [(float(x), float(y)) for x, y in xy]
    demand = rng.integers(1, 25, size=(12, 2)).astype(np.int64)
    problem = make_problem(
        pts,
        n_vehicles=3,
        vehicle_capacity=np.array([[capacity, 40], [capacity, 40], [capacity // 2, 90]]),
        order_demand=demand,
        outsource_cost=rng.integers(500, 20_000, size=12).astype(np.int64),
    )
    plan = solve(problem, fixed(engine))
    assert check_plan(problem, plan) == []
    for route in plan.routes:
        load = demand[[s.order_idx for s in route.stops]].sum(axis=0)
        assert np.all(load <= problem.vehicle_capacity[route.vehicle_idx])
    ids = [s.order_idx for r in plan.routes for s in r.stops] + list(plan.dropped)
    assert sorted(ids) == list(range(12))


def test_max_ride_respected() -> None:
    """Chilled orders start service within their ride limit after the van left the depot."""
    pts = [(0.0, 0.0), (3000.0, 0.0), (6000.0, 0.0), (9000.0, 0.0), (12_000.0, 0.0)]
    free = make_problem(pts)
    free_plan = solve(free, fixed())
    last = max(s.start_s - r.start_s for r in free_plan.routes for s in r.stops)
    assert last >= 1380  # one van along the line: 4 legs of 300 s and 3 services of 60 s
    ride = np.full(4, 1300, dtype=np.int64)
    problem = make_problem(pts, n_vehicles=4, max_ride_s=ride)
    plan = solve(problem, fixed())
    assert plan.engine == "ortools" and plan.status == "FEASIBLE"
    assert check_plan(problem, plan) == []
    for route in plan.routes:
        assert all(s.start_s - route.start_s <= 1300 for s in route.stops)
    assert len(plan.routes) == 2


def test_soft_windows_charge_lateness_instead_of_dropping() -> None:
    """With a lateness rate, unreachable windows are served late and priced, not dropped."""
    windows = [[(0, 200)], [(0, 200)], [(0, 200)], [(0, 200)]]
    pts = [(0.0, 0.0), (3000.0, 0.0), (3000.0, 3000.0), (0.0, 3000.0), (-3000.0, 0.0)]
    outsource = np.full(4, 100_000, dtype=np.int64)
    hard = make_problem(pts, outsource_cost=outsource, **with_windows(windows))
    hard_plan = solve(hard, fixed())
    assert len(hard_plan.dropped) >= 3
    soft = make_problem(
        pts, outsource_cost=outsource, lateness_cost_per_min=10, **with_windows(windows)
    )
    plan = solve(soft, fixed())
    assert plan.engine == "ortools"
    assert plan.dropped == ()
    assert check_plan(soft, plan) == []
    late_s = sum(s.lateness_s for r in plan.routes for s in r.stops)
    assert late_s > 0
    distance = sum(r.distance_m for r in plan.routes)
    assert plan.objective == distance + round(late_s * 10 / 60)


def test_break_taken() -> None:
    """A van on the road across its break window stops for the break between two visits."""
    windows = [[(0, 400)], [(0, 30_000)], [(6000, 6500)]]
    pts = [(0.0, 0.0), (2000.0, 0.0), (2000.0, 2000.0), (0.0, 2000.0)]
    problem = make_problem(
        pts,
        break_start_s=np.array([2000], dtype=np.int64),
        break_end_s=np.array([5000], dtype=np.int64),
        break_duration_s=np.array([1800], dtype=np.int64),
        **with_windows(windows),
    )
    plan = solve(problem, fixed())
    assert plan.engine == "ortools" and plan.status == "FEASIBLE"
    assert check_plan(problem, plan) == []
    (route,) = plan.routes
    assert route.start_s < 2000 and route.end_s > 5000
    b = route.break_start_s
    assert b >= 2000 and b + 1800 <= 5000
    gaps = zip(route.stops[:-1], route.stops[1:], strict=True)
    assert any(x.departure_s <= b and b + 1800 <= y.start_s for x, y in gaps)


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_same_seed_and_limit_give_same_plan(c101: RoutingProblem, engine: EngineName) -> None:
    """Fixed seed and solution limit reproduce the plan exactly."""
    params = RoutingParams(time_limit_s=20.0, seed=3, solution_limit=40, engine=engine)
    first, second = solve(c101, params), solve(c101, params)
    assert plan_signature(first) == plan_signature(second)
    assert first.objective == second.objective


def test_auto_selects_engine_by_features(c101: RoutingProblem) -> None:
    """Plain VRPTW goes to PyVRP; multiple windows or skills force OR-Tools."""
    assert select_engine(c101) == "pyvrp"
    two_windows = make_problem(RING[:3], **with_windows([[(0, 100), (500, 900)], [(0, 900)]]))
    assert select_engine(two_windows) == "ortools"
    skills = make_problem(
        RING[:3],
        n_vehicles=2,
        vehicle_skills=np.array([0, 1], dtype=np.uint64),
        required_skills=np.array([1, 0], dtype=np.uint64),
    )
    assert select_engine(skills) == "ortools"
    with pytest.raises(ValueError, match="PyVRP can express"):
        select_engine(skills, "pyvrp")


def test_marginal_cost_equals_removal_difference() -> None:
    """marginal_cost is the route cost minus the hand-recomputed cost without the order."""
    pts = [(0.0, 0.0), (1000.0, 0.0), (2000.0, 500.0), (1000.0, 1500.0), (-800.0, 900.0)]
    outsource = np.array([5000, 5000, 5000, 5000], dtype=np.int64)
    problem = make_problem(
        pts, fixed_cost=np.array([300], dtype=np.int64), outsource_cost=outsource
    )
    plan = solve(problem, fixed())
    assert check_plan(problem, plan) == []
    (route,) = plan.routes
    seq = [s.order_idx for s in route.stops]
    d = problem.distance_m

    def cost(orders: list[int]) -> int:
        if not orders:
            return 0
        locs = [0, *[int(problem.order_loc[o]) for o in orders], 0]
        return 300 + sum(int(d[a, b]) for a, b in itertools.pairwise(locs))

    assert route.cost == cost(seq)
    for k, o in enumerate(seq):
        rest = seq[:k] + seq[k + 1 :]
        assert plan.marginal_cost[o] == cost(seq) - cost(rest)
        assert plan.objective - plan.marginal_cost[o] + outsource[o] == cost(rest) + outsource[o]


def test_problem_arrays_are_read_only(c101: RoutingProblem) -> None:
    """Stages cannot change a problem after it was checked."""
    with pytest.raises(ValueError, match="read-only"):
        c101.travel_s[0, 1] = 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit_s": 0.0}, "Expected time_limit_s > 0"),
        ({"time_limit_s": -1.0}, "Expected time_limit_s > 0"),
        ({"time_limit_s": float("nan")}, "Expected time_limit_s > 0"),
        ({"time_limit_s": 1.0, "seed": -1}, "Expected seed >= 0"),
        ({"time_limit_s": 1.0, "solution_limit": -2}, "Expected solution_limit >= 0"),
        ({"time_limit_s": 1.0, "engine": "gurobi"}, "Expected engine"),
        ({"time_limit_s": 1.0, "ortools_search": "tabu"}, "Expected ortools_search"),
    ],
)
def test_invalid_params_raise(kwargs: dict[str, Any], message: str) -> None:
    """Bad parameters fail loudly with the field in the message."""
    with pytest.raises(ValueError, match=message):
        RoutingParams(**kwargs)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"travel_s": np.zeros((5, 5))}, "Expected travel_s dtype int64"),
        ({"service_s": np.zeros(3, dtype=np.int64)}, r"Expected service_s of shape \(N,\)"),
        ({"outsource_cost": np.array([-5, -1, -1, -1])}, "Expected outsource_cost >= 0 or -1"),
        ({"window_offsets": np.array([0, 1, 1, 3, 4])}, "at least one window per order"),
        (with_windows([[(0, 10), (5, 20)], [(0, 9)], [(0, 9)], [(0, 9)]]), "sorted and disjoint"),
        ({"lateness_cost_per_min": -1}, "Expected lateness_cost_per_min >= 0"),
        ({"vehicle_start_loc": np.array([9])}, "Expected 0 <= vehicle_start_loc < L"),
        ({"co2e_cost_per_km": np.array([-1])}, "Expected co2e_cost_per_km >= 0"),
        ({"co2e_cost_per_km": np.array([1, 2])}, r"Expected co2e_cost_per_km of shape \(V,\)"),
        ({"co2e_cost_per_km": np.array([1.5])}, "Expected co2e_cost_per_km dtype int64"),
    ],
)
def test_invalid_problem_raises(overrides: dict[str, Any], message: str) -> None:
    """Malformed arrays are rejected when the problem is built, naming the field."""
    with pytest.raises(ValueError, match=message):
        make_problem(RING[:5], **overrides)


def test_lateness_cap_is_respected() -> None:
    """Soft windows never go later than max_lateness_s after the last window end."""
    windows = [[(0, 200)], [(0, 200)], [(0, 200)], [(0, 200)]]
    pts = [(0.0, 0.0), (3000.0, 0.0), (3000.0, 3000.0), (0.0, 3000.0), (-3000.0, 0.0)]
    outsource = np.full(4, 100_000, dtype=np.int64)
    capped = make_problem(
        pts,
        outsource_cost=outsource,
        lateness_cost_per_min=10,
        max_lateness_s=400,
        **with_windows(windows),
    )
    plan = solve(capped, fixed())
    assert check_plan(capped, plan) == []
    assert all(s.lateness_s <= 400 for r in plan.routes for s in r.stops)
    assert plan.dropped, "some order is out of reach even 400 s late"


def test_hard_window_orders_are_never_served_late() -> None:
    """Orders marked hard (allowed delivery hours) are dropped rather than delivered late, while
    the others in the same problem may still be late at a price; the checker agrees."""
    windows = [[(0, 200)], [(0, 200)], [(0, 200)], [(0, 200)]]
    pts = [(0.0, 0.0), (3000.0, 0.0), (3000.0, 3000.0), (0.0, 3000.0), (-3000.0, 0.0)]
    outsource = np.full(4, 100_000, dtype=np.int64)
    hard = np.array([False, True, True, False])
    problem = make_problem(
        pts,
        outsource_cost=outsource,
        lateness_cost_per_min=10,
        hard_windows=hard,
        **with_windows(windows),
    )
    assert problem.late_ok.tolist() == [True, False, False, True]
    plan = solve(problem, fixed())
    assert check_plan(problem, plan) == []
    served = {s.order_idx: s for r in plan.routes for s in r.stops}
    for o in (1, 2):
        assert o in plan.dropped or (served[o].lateness_s == 0 and served[o].start_s <= 200)
    assert any(s.lateness_s > 0 for s in served.values()), "soft orders still go late"
    assert {1, 2} & set(plan.dropped), "one van cannot reach both hard orders by t=200"
    late = {o: s for o, s in served.items() if s.start_s > 200}
    assert not set(late) & {1, 2}


def _generated(orders: int, vehicles: int, features: bool) -> RoutingProblem:
    from bench.routing import generate_day

    return generate_day(3, orders, vehicles, features=features)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    late_per_min=st.sampled_from([0, 5]),
    max_duration_h=st.sampled_from([0, 5]),
)
def test_compiled_scheduler_equals_the_plain_one(
    seed: int, late_per_min: int, max_duration_h: int
) -> None:
    """The compiled route timing gives exactly the plain reference's schedules (or the same
    refusal) on random routes of a day with two-window orders, breaks, ride limits, soft
    windows and duration limits, and so does a forward pass from any departure."""
    base = _generated(60, 4, features=True)
    problem = dataclasses.replace(
        base,
        lateness_cost_per_min=late_per_min,
        max_lateness_s=1800 if late_per_min else 0,
        max_duration_s=np.full(base.num_vehicles, max_duration_h * 3600, dtype=np.int64),
    )
    compiled, plain = _Scheduler(problem), _PlainScheduler(problem)
    rng = np.random.default_rng(seed)
    first_window = problem.window_start_s[problem.window_offsets[:-1]]
    timed = 0
    for _ in range(150):
        v = int(rng.integers(problem.num_vehicles))
        picked = rng.choice(problem.num_orders, int(rng.integers(0, 9)), replace=False)
        seq = sorted(picked.tolist(), key=lambda o: (int(first_window[o]), o))
        if rng.random() < 0.2:
            rng.shuffle(seq)
        want = plain.schedule(v, seq)
        assert compiled.schedule(v, seq) == want, (v, seq)
        timed += want is not None
        t0 = int(problem.shift_start_s[v]) + int(rng.integers(0, 4 * 3600))
        for with_break in (False, True):
            assert compiled.forward(v, seq, t0, with_break) == plain.forward(v, seq, t0, with_break)
    assert timed >= 10  # enough feasible routes to compare times, not only refusals


def test_polish_never_worsens_the_objective() -> None:
    """The keep-or-outsource polish only drops stops and routes when that is cheaper."""
    problem = _generated(120, 6, features=False)
    plain = solve(problem, dataclasses.replace(fixed("ortools"), polish=False))
    polished = solve(problem, fixed("ortools"))
    assert check_plan(problem, polished) == []
    assert polished.objective <= plain.objective


def test_relaxed_then_repaired_plan_is_feasible() -> None:
    """A big day with breaks and ride limits gets a plan that respects both."""
    problem = _generated(150, 6, features=True)
    assert {"breaks", "max_ride"} <= problem_features(problem)
    plan = solve(problem, RoutingParams(time_limit_s=10.0, solution_limit=3))
    assert plan.engine == "ortools"
    assert plan.routes
    assert check_plan(problem, plan) == []


def test_insert_puts_a_dropped_order_on_a_route() -> None:
    """insert() serves a dropped order at its cheapest feasible place and keeps the plan valid."""
    pts = [(0.0, 0.0), (2000.0, 0.0), (2100.0, 100.0)]
    outsource = np.array([-1, 1], dtype=np.int64)  # the second is cheaper to drop than to serve
    problem = make_problem(pts, outsource_cost=outsource)
    plan = solve(problem, fixed("ortools"))
    assert plan.dropped == (1,)
    more = insert(problem, plan, [1], time_limit_s=5.0)
    assert more.dropped == ()
    assert check_plan(problem, more) == []
    assert more.objective > plan.objective - 1  # serving it costs more than its drop price


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
@pytest.mark.parametrize(("co2e", "kept"), [(0, True), (500, False)])
def test_priced_emissions_count_in_the_objective_not_in_the_cost(
    engine: EngineName, co2e: int, kept: bool
) -> None:
    """A far order worth keeping for its money (detour about 384 cents against a 500-cent
    partner) is dropped once its emissions are priced (5 cents per km more); routes still
    cost money only."""
    pts = [(0.0, 0.0), (1000.0, 0.0), (1000.0, 500.0), (0.0, 20_000.0)]
    problem = make_problem(
        pts,
        cost_per_km=np.array([10], dtype=np.int64),
        co2e_cost_per_km=np.array([co2e], dtype=np.int64),
        outsource_cost=np.array([-1, -1, 500], dtype=np.int64),
    )
    plan = solve(problem, fixed(engine))
    assert check_plan(problem, plan) == []  # recomputes each route's cost as money
    assert (2 not in plan.dropped) is kept
    km = sum(r.distance_m for r in plan.routes) / 1000.0
    money = sum(r.cost for r in plan.routes)
    assert money == round(10 * km)
    emissions = co2e / 100.0 * km
    assert abs(plan.objective - (money + emissions + (0 if kept else 500))) <= 1


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_priced_emissions_choose_the_cleaner_van(engine: EngineName) -> None:
    """Two vans at the same money per km: the one with fewer priced emissions drives."""
    for clean in (0, 1):
        co2e = np.array([900, 900], dtype=np.int64)
        co2e[clean] = 100
        problem = make_problem(RING[:4], n_vehicles=2, co2e_cost_per_km=co2e)
        plan = solve(problem, fixed(engine))
        assert check_plan(problem, plan) == []
        assert [r.vehicle_idx for r in plan.routes] == [clean]
        (route,) = plan.routes
        assert route.cost == round(1000 * route.distance_m / 1000.0)


def test_marginal_cost_leaves_priced_emissions_out() -> None:
    """With priced emissions, marginal costs are still the money a stop adds to its route."""
    pts = [(0.0, 0.0), (1000.0, 0.0), (2000.0, 500.0), (1000.0, 1500.0)]
    problem = make_problem(pts, co2e_cost_per_km=np.array([700], dtype=np.int64))
    plan = solve(problem, fixed())
    (route,) = plan.routes
    seq = [s.order_idx for s in route.stops]
    d = problem.distance_m

    def metres(orders: list[int]) -> int:
        locs = [0, *[int(problem.order_loc[o]) for o in orders], 0]
        return sum(int(d[a, b]) for a, b in itertools.pairwise(locs))

    assert route.cost == metres(seq)  # 1000 cents per km = 1 cent per metre
    for k, o in enumerate(seq):
        assert plan.marginal_cost[o] == metres(seq) - metres(seq[:k] + seq[k + 1 :])


def _optional_day(
    seed: int, vans: int, n: int, min_window: int, capacity: int, min_price: int, **extra: Any
) -> RoutingProblem:
    """Seeded random orders, all optional (outsource prices from ``min_price`` to 9,000),
    one window each at least ``min_window`` long; vans with fixed and hourly costs."""
    rng = np.random.default_rng(seed)
    pts = [(0.0, 0.0)] + [tuple(rng.uniform(-6000, 6000, 2)) for _ in range(n)]
    starts = rng.integers(0, 20_000, n)
    windows = [[(int(s), int(s) + int(rng.integers(min_window, 12_000)))] for s in starts]
    return make_problem(
        pts,
        n_vehicles=vans,
        fixed_cost=np.full(vans, 500, dtype=np.int64),
        cost_per_hour=np.full(vans, 1_800, dtype=np.int64),
        vehicle_capacity=np.full((vans, 1), capacity, dtype=np.int64),
        outsource_cost=rng.integers(min_price, 9_000, n).astype(np.int64),
        **extra,
        **with_windows(windows),
    )


def _brute_insertion(problem: RoutingProblem, plan: RoutingPlan, o: int) -> int | None:
    """Cheapest objective increase of order ``o`` over every place of every van, exactly."""
    scale, sched = _scale(problem), _Scheduler(problem)
    routes = {r.vehicle_idx: [s.order_idx for s in r.stops] for r in plan.routes}
    best = None
    for v in range(problem.num_vehicles):
        seq = routes.get(v, [])
        base = 0
        if seq:
            tm = sched.schedule(v, seq)
            assert tm is not None
            base = _route_units(problem, scale, v, seq, tm)[0]
        for k in range(len(seq) + 1):
            cand = [*seq[:k], o, *seq[k:]]
            demand = problem.order_demand[cand].sum(axis=0)
            if np.any(demand > problem.vehicle_capacity[v]):
                continue
            req = int(problem.required_skills[o])
            if int(problem.vehicle_skills[v]) & req != req:
                continue
            tm = sched.schedule(v, cand)
            if tm is None:
                continue
            delta = _route_units(problem, scale, v, cand, tm)[0] - base
            best = delta if best is None else min(best, delta)
    return None if best is None else scale.to_cents(best)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vans=st.integers(1, 3))
def test_insertion_costs_match_trying_every_place(seed: int, vans: int) -> None:
    """The quoted insertion of each dropped order is the cheapest place over every position
    of every van (used or not), and its money equals the route cents with minus without."""
    co2e = np.full(vans, 150, dtype=np.int64)
    problem = _optional_day(seed, vans, 14, 1_500, 60, 800, co2e_cost_per_km=co2e)
    plan = solve(problem, fixed())
    assert plan.dropped
    quote = insertion_costs(problem, plan, list(plan.dropped))
    scale = _scale(problem)
    for q, o in enumerate(plan.dropped):
        want = _brute_insertion(problem, plan, o)
        if want is None:
            assert quote.vehicle[q] == -1
            continue
        v, k = int(quote.vehicle[q]), int(quote.position[q])
        assert v >= 0
        seq = next(([s.order_idx for s in r.stops] for r in plan.routes if r.vehicle_idx == v), [])
        cand = [*seq[:k], o, *seq[k:]]
        sched = _Scheduler(problem)
        tm = sched.schedule(v, cand)
        assert tm is not None and tm.start[k] == quote.start_s[q]
        units, dist = _route_units(problem, scale, v, cand, tm)
        old = 0
        if seq:
            tm_old = sched.schedule(v, seq)
            assert tm_old is not None
            old = _route_units(problem, scale, v, seq, tm_old)[0]
        assert abs(scale.to_cents(units - old) - want) <= 1  # cheapest by the objective
        route = next((r for r in plan.routes if r.vehicle_idx == v), None)
        money_before = route.cost if route is not None else 0
        assert quote.cents[q] == scale.to_cents(scale.money(units, v, dist)) - money_before


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vans=st.integers(1, 3))
def test_insert_serves_each_order_at_its_cheapest_place(seed: int, vans: int) -> None:
    """Each dropped order, in turn, goes where it raises the objective least over every place
    of every van (used or not); an order left dropped fits nowhere on the final plan (routes
    only grow, so it fit nowhere at its turn either), and the plan stays valid."""
    problem = _optional_day(seed, vans, 14, 1_500, 60, 800)
    plan = solve(problem, fixed())
    dropped = list(plan.dropped)
    assert dropped
    want = _brute_insertion(problem, plan, dropped[0])
    first = insert(problem, plan, dropped[:1], time_limit_s=30.0)
    if want is None:
        assert first is plan
    else:
        assert dropped[0] not in first.dropped
        scale = _scale(problem)  # the objective no longer counts its drop penalty
        change = want - scale.to_cents(scale.penalty[dropped[0]])
        assert abs(first.objective - plan.objective - change) <= 2
    every = insert(problem, plan, dropped, time_limit_s=30.0)
    assert check_plan(problem, every) == []
    assert set(every.dropped) <= set(dropped)
    for o in every.dropped:
        assert _brute_insertion(problem, every, o) is None


def test_insertion_costs_time_limit_prices_a_prefix() -> None:
    """A clock that has run out prices nothing; no limit prices every order, and a limit that
    is not reached gives the same answer."""
    problem = _optional_day(3, 2, 14, 1_500, 60, 800)
    plan = solve(problem, fixed())
    dropped = list(plan.dropped)
    assert dropped
    none = insertion_costs(problem, plan, dropped, time_limit_s=0.0)
    assert none.orders.size == 0 and none.cents.size == 0
    every = insertion_costs(problem, plan, dropped)
    roomy = insertion_costs(problem, plan, dropped, time_limit_s=60.0)
    assert every.orders.tolist() == dropped
    for name in ("orders", "vehicle", "position", "start_s", "cents", "distance_m"):
        assert np.array_equal(getattr(every, name), getattr(roomy, name)), name


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), vans=st.integers(1, 3))
def test_profitable_insertion_only_lowers_the_objective(seed: int, vans: int) -> None:
    """Dropped orders go on the vans only where that costs less than their outsource price:
    the plan stays feasible, keeps every order it had, and its objective never rises."""
    problem = _optional_day(seed, vans, 16, 2_000, 80, 500)
    # OR-Tools' tuned search (insertion operators off) leaves some profitable orders out.
    plan = solve(problem, RoutingParams(time_limit_s=5.0, solution_limit=2, engine="ortools"))
    new = insert_profitable(problem, plan, time_limit_s=5.0)
    assert check_plan(problem, new) == []
    assert set(new.dropped) <= set(plan.dropped)
    assert new.objective <= plan.objective
    if new is not plan:
        assert new.objective < plan.objective


def test_profitable_insertion_moves_orders_the_search_left_out() -> None:
    """On seeded days where the tuned search leaves profitable orders out, they move onto the
    vans and each one that moved cost less than its outsource price where it went."""
    moved = 0
    for seed in range(6, 13):
        problem = _optional_day(seed, 2, 16, 2_000, 80, 500)
        plan = solve(problem, RoutingParams(time_limit_s=5.0, solution_limit=2, engine="ortools"))
        new = insert_profitable(problem, plan, time_limit_s=5.0)
        gone = sorted(set(plan.dropped) - set(new.dropped))
        moved += len(gone)
        saved = plan.objective - new.objective
        assert saved >= 0
        if gone:
            assert saved > 0
            assert check_plan(problem, new) == []
    assert moved > 0


def _two_kinds_of_van(n_vans: int = 60, n_skilled: int = 10, n_orders: int = 30) -> RoutingProblem:
    """A ring of orders; the last `n_skilled` vans alone have skill bit 0, which the first ten
    orders need."""
    angles = np.linspace(0, 2 * np.pi, n_orders, endpoint=False)
    pts = [(0.0, 0.0)] + [(3000 * np.cos(a), 3000 * np.sin(a)) for a in angles]
    skills = np.zeros(n_vans, dtype=np.uint64)
    skills[n_vans - n_skilled :] = 1
    needs = np.zeros(n_orders, dtype=np.uint64)
    needs[:10] = 1
    return make_problem(
        pts,
        n_vehicles=n_vans,
        vehicle_skills=skills,
        required_skills=needs,
        vehicle_capacity=np.full((n_vans, 1), 40, dtype=np.int64),
    )


def test_big_fleet_search_takes_every_kind_of_van_in_turn() -> None:
    """A fleet too big for the search: vans are taken a group at a time (rank 0 of every
    group, then rank 1, ...), so the small skilled group is all in, and the pick repeats."""
    from solver import routing

    problem = _two_kinds_of_van()
    assert routing.search_vans(problem, 100) == list(range(60))  # small enough: every van
    vans = routing.search_vans(problem, 1_000_000)  # room for the minimum only
    assert len(vans) == routing._SEARCH_VANS_MIN == 24
    assert vans == [*range(14), *range(50, 60)]  # 10 rounds of both, then the big group's
    assert routing.search_vans(problem, 1_000_000) == vans


def test_big_fleet_plan_uses_the_fleets_own_van_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routed on a sub-fleet, the plan names the problem's vans (the skilled orders ride the
    skilled vans 50-59, not the sub-fleet's positions) and passes the checker."""
    from solver import routing

    monkeypatch.setattr(routing, "_SEARCH_PAIRS", 1)  # every search gets the minimum
    problem = _two_kinds_of_van()
    vans = set(routing.search_vans(problem, problem.num_orders))
    plan = solve(problem, fixed("ortools"))
    assert check_plan(problem, plan) == []
    assert plan.dropped == ()
    assert {r.vehicle_idx for r in plan.routes} <= vans
    for order, (van, _) in served(plan).items():
        if order < 10:
            assert van >= 50, (order, van)


def test_sub_fleet_that_serves_nothing_leaves_every_order_to_the_insertions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Thirty one-van groups, the only skilled van outside the 24 searched: the search has
    nothing to route, the plan drops every order and stays valid."""
    from solver import routing

    monkeypatch.setattr(routing, "_SEARCH_PAIRS", 1)
    n_vans, n_orders = 30, 10
    angles = np.linspace(0, 2 * np.pi, n_orders, endpoint=False)
    skills = np.zeros(n_vans, dtype=np.uint64)
    skills[-1] = 1
    problem = make_problem(
        [(0.0, 0.0)] + [(3000 * np.cos(a), 3000 * np.sin(a)) for a in angles],
        n_vehicles=n_vans,
        vehicle_skills=skills,
        required_skills=np.ones(n_orders, dtype=np.uint64),
        shift_start_s=np.arange(n_vans, dtype=np.int64) * 10,
        outsource_cost=np.full(n_orders, 5000, dtype=np.int64),
    )
    assert n_vans - 1 not in routing.search_vans(problem, n_orders)
    plan = solve(problem, fixed("ortools"))
    assert plan.dropped == tuple(range(n_orders))
    assert check_plan(problem, plan) == []
    more = insert(problem, plan, [0], time_limit_s=5.0)
    assert served(more)[0][0] == n_vans - 1  # the repairs still reach the skilled van
    assert check_plan(problem, more) == []
