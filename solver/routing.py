"""Own-fleet routing with keep-or-outsource in one model.

Every order either rides on one of the shipper's vans or is dropped at a penalty equal to the
price of its best partner, so the router decides jointly which orders the vans keep and how
they drive. Two engines sit behind :func:`solve`:

* OR-Tools routing (engine of record) expresses everything: multiple windows per order, skills,
  breaks, cold-chain ride limits, soft windows. It runs the tuned iterated local search of
  ``shared/notes/routing-and-kernels.md``. The model uses only constructs OR-Tools' local-search
  filters understand (see :func:`_solve_ortools`); generic CP constraints made it unusable at
  1,000 orders.
* PyVRP (iterated local search, MIT) is markedly stronger on plain VRPTW but cannot express the
  features above; ``engine="auto"`` uses it whenever the problem does not need them.

Money is exact: costs are kept in integer units of 1/3,600,000 cent so that cents per km
(per metre / 1000), cents per hour (per second / 3600) and cents per minute of lateness are
all integers, then divided by their common divisor before they reach an engine. Priced
emissions (hundredths of a cent per km) join the per-metre cost the engines minimise but not
the money a route reports. Reported costs are cents, rounded half up once per route and once
for the objective.

Times in the plan do not come from the engines: a small scheduler re-times every route the same
way (earliest feasible end, then the latest depot departure that keeps it, i.e. minimum
duration), so both engines report comparable plans and marginal costs use the same clock. If the
scheduler cannot time an engine route (possible only with breaks or ride limits, which it places
greedily) the engine's own times are kept.
"""

from __future__ import annotations

import functools
import importlib
import math
import time
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from solver.kernels import schedule as timing

if TYPE_CHECKING:
    from collections.abc import Sequence

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

EngineName = Literal["auto", "ortools", "pyvrp"]
OrtoolsSearch = Literal["ils", "gls"]

#: Internal money unit per cent: makes per-metre, per-second and per-lateness-second rates exact.
UNITS_PER_CENT: Final = 3_600_000
_PER_KM_TO_UNITS_PER_M: Final = 3_600  # (cents/km) / 1000 m * 3.6e6
_PER_HOUR_TO_UNITS_PER_S: Final = 1_000  # (cents/h) / 3600 s * 3.6e6
_PER_MIN_TO_UNITS_PER_S: Final = 60_000  # (cents/min) / 60 s * 3.6e6
_CENTI_PER_KM_TO_UNITS_PER_M: Final = 36  # (cents/100 per km) / 1000 m * 3.6e6
_MANDATORY_FLOOR: Final = 1_000_000
_FULL_INSERTION_MAX_NODES: Final = 500
_FIRST_SOLUTION_NEIGHBOURS: Final = 50
#: From this many nodes the first plan comes from LOCAL_CHEAPEST_INSERTION: on a 1,000-order
#: generated day 2.2 s instead of 5.2 s (parallel cheapest insertion) and a 3% lower objective;
#: on the 470-order sample parallel insertion is as fast (0.6 s) and 5% better, so it stays.
_LOCAL_INSERTION_MIN_NODES: Final = 800
#: From this many servable orders, problems with breaks or ride limits are first solved without
#: them (OR-Tools' break intervals and pickup-delivery pairs slow its first solution 3-10x) and
#: repaired on the scheduler's clock; the full model then gets the rest of the budget.
_RELAX_MIN_ORDERS: Final = 100
#: The search sees at most about this many (order, van) pairs, and never fewer than
#: `_SEARCH_VANS_MIN` vans: OR-Tools' first solution does not look at its time limit while it
#: prices insertions, so 1,534 orders on 500 vans overran a 0.9 s limit by 3-6 s and found no
#: plan at all. The vans left out stay open to the insertion passes (`insert`).
_SEARCH_PAIRS: Final = 100_000
_SEARCH_VANS_MIN: Final = 24
#: Per-vehicle fields of `RoutingProblem` (what a sub-fleet keeps).
_VEHICLE_FIELDS: Final = (
    "vehicle_start_loc", "vehicle_end_loc", "shift_start_s", "shift_end_s", "vehicle_capacity",
    "vehicle_skills", "fixed_cost", "cost_per_km", "cost_per_hour", "max_duration_s",
    "break_start_s", "break_end_s", "break_duration_s", "co2e_cost_per_km",
)  # fmt: skip

#: Features that only the OR-Tools model expresses (PyVRP 0.14 has one window per client, no
#: per-client vehicle restrictions, no breaks, no per-client ride limits and no soft windows).
ORTOOLS_ONLY_FEATURES: Final = frozenset(
    {"multiple_windows", "skills", "breaks", "max_ride", "soft_windows"}
)


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    view = arr.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    """Struct of arrays describing one routing request (L locations, V vehicles, N orders).

    Money is in cents, time in seconds on a common clock (small non-negative ints), distance in
    metres. All arrays are int64 (bitsets uint64) and become read-only views.

    Attributes
    ----------
    travel_s, distance_m
        ``int64[L, L]`` travel time and distance, zero diagonal.
    vehicle_start_loc, vehicle_end_loc
        ``int64[V]`` depot locations.
    shift_start_s, shift_end_s
        ``int64[V]`` the van leaves the start depot no earlier and is back no later than these.
    vehicle_capacity
        ``int64[V, D]`` capacity per load dimension (e.g. grams, millilitres, stops).
    vehicle_skills
        ``uint64[V]`` skill bitset.
    fixed_cost, cost_per_km, cost_per_hour
        ``int64[V]`` cents if used, cents per km, cents per hour of route duration.
    max_duration_s
        ``int64[V]`` route duration limit; ``<= 0`` means only the shift limits it.
    break_start_s, break_end_s, break_duration_s
        ``int64[V]`` the break (duration) must start at or after ``break_start_s`` and end by
        ``break_end_s``; ``break_start_s = -1`` means no break. As in OR-Tools, the break may
        also fall before the van leaves or after it is back (the driver is off duty then); a van
        on the road across the whole break window stops between two visits.
    order_loc
        ``int64[N]`` location of each order.
    order_demand
        ``int64[N, D]`` demand per load dimension (deliveries from the start depot).
    service_s
        ``int64[N]`` service time.
    window_offsets, window_start_s, window_end_s
        Order ``i`` has windows ``k`` in ``window_offsets[i]:window_offsets[i + 1]`` (at least
        one each, sorted, disjoint); service must start inside one of them.
    required_skills
        ``uint64[N]``: a van serves the order only if it has all these skill bits.
    max_ride_s
        ``int64[N]`` cold chain: service start minus the van's depot departure, at most this
        (``<= 0``: no limit). Waiting at the door counts: the goods are still in the van.
    outsource_cost
        ``int64[N]`` the best partner price, paid if the vans drop the order; ``-1`` = mandatory.
    lateness_cost_per_min
        ``0``: hard windows. ``> 0``: service may start after the order's last window end, for
        this many cents per minute late (gaps between windows stay closed).
    max_lateness_s
        With soft windows: service starts at most this long after the last window end
        (``0`` = no cap, only the shift limits it).
    hard_windows
        ``bool[N]`` or None: orders whose windows stay hard even when lateness is priced (goods
        that may only be delivered inside allowed hours, where late is unlawful, not dearer).
    co2e_cost_per_km
        ``int64[V]`` or None: the emissions of driving, priced in hundredths of a cent per km
        (the caller's weight per kg CO2e times the van's grams per km). Routing minimises it
        with the money; a route's ``cost`` stays money (and lateness) only.
    """

    travel_s: I64
    distance_m: I64
    vehicle_start_loc: I64
    vehicle_end_loc: I64
    shift_start_s: I64
    shift_end_s: I64
    vehicle_capacity: I64
    vehicle_skills: U64
    fixed_cost: I64
    cost_per_km: I64
    cost_per_hour: I64
    max_duration_s: I64
    break_start_s: I64
    break_end_s: I64
    break_duration_s: I64
    order_loc: I64
    order_demand: I64
    service_s: I64
    window_offsets: I64
    window_start_s: I64
    window_end_s: I64
    required_skills: U64
    max_ride_s: I64
    outsource_cost: I64
    lateness_cost_per_min: int
    max_lateness_s: int = 0
    hard_windows: np.ndarray | None = None
    co2e_cost_per_km: np.ndarray | None = None

    def __post_init__(self) -> None:
        errors = _validate_problem(self)
        if errors:
            raise ValueError("; ".join(errors))
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                object.__setattr__(self, name, _readonly(value))

    @property
    def num_locations(self) -> int:
        """L."""
        return int(self.travel_s.shape[0])

    @property
    def num_vehicles(self) -> int:
        """V."""
        return int(self.vehicle_start_loc.shape[0])

    @property
    def num_orders(self) -> int:
        """N."""
        return int(self.order_loc.shape[0])

    @property
    def num_dims(self) -> int:
        """D, the number of load dimensions."""
        return int(self.vehicle_capacity.shape[1])

    @property
    def late_ok(self) -> np.ndarray:
        """``bool[N]``: may service start after the order's last window (at a price)?"""
        soft = np.full(self.num_orders, self.lateness_cost_per_min > 0)
        return soft if self.hard_windows is None else soft & ~self.hard_windows


_INT_FIELDS_V: Final = (
    "vehicle_start_loc",
    "vehicle_end_loc",
    "shift_start_s",
    "shift_end_s",
    "fixed_cost",
    "cost_per_km",
    "cost_per_hour",
    "max_duration_s",
    "break_start_s",
    "break_end_s",
    "break_duration_s",
)
_INT_FIELDS_N: Final = ("order_loc", "service_s", "max_ride_s", "outsource_cost")
_NON_NEGATIVE: Final = (
    "travel_s",
    "distance_m",
    "shift_start_s",
    "fixed_cost",
    "cost_per_km",
    "cost_per_hour",
    "break_duration_s",
    "vehicle_capacity",
    "order_demand",
    "service_s",
    "window_start_s",
)


def _validate_problem(p: RoutingProblem) -> list[str]:
    """Collect every violation so the caller sees all of them at once."""
    errors: list[str] = []

    def expect(name: str, dtype: type[np.generic], ndim: int) -> bool:
        arr = getattr(p, name)
        if not isinstance(arr, np.ndarray):
            errors.append(f"Expected {name} to be a numpy array, got {type(arr).__name__}")
            return False
        if arr.dtype != dtype:
            errors.append(
                f"Expected {name} dtype {np.dtype(dtype).name}, got {arr.dtype}; "
                f"cast with .astype(np.{np.dtype(dtype).name})"
            )
            return False
        if arr.ndim != ndim:
            errors.append(f"Expected {name} with {ndim} dimension(s), got shape {arr.shape}")
            return False
        return True

    ok = all(
        [
            expect("travel_s", np.int64, 2),
            expect("distance_m", np.int64, 2),
            expect("vehicle_capacity", np.int64, 2),
            expect("order_demand", np.int64, 2),
            expect("vehicle_skills", np.uint64, 1),
            expect("required_skills", np.uint64, 1),
            expect("window_offsets", np.int64, 1),
            expect("window_start_s", np.int64, 1),
            expect("window_end_s", np.int64, 1),
            *[expect(n, np.int64, 1) for n in _INT_FIELDS_V + _INT_FIELDS_N],
        ]
    )
    if not isinstance(p.lateness_cost_per_min, int) or p.lateness_cost_per_min < 0:
        errors.append("Expected lateness_cost_per_min >= 0 (int)")
    if not isinstance(p.max_lateness_s, int) or p.max_lateness_s < 0:
        errors.append("Expected max_lateness_s >= 0 (int)")
    if p.hard_windows is not None:
        ok = expect("hard_windows", np.bool_, 1) and ok
    if p.co2e_cost_per_km is not None:
        ok = expect("co2e_cost_per_km", np.int64, 1) and ok
    if not ok:
        return errors

    n_loc = p.travel_s.shape[0]
    if p.travel_s.shape != (n_loc, n_loc) or p.distance_m.shape != (n_loc, n_loc):
        errors.append(
            f"Expected travel_s and distance_m of shape (L, L), got {p.travel_s.shape} "
            f"and {p.distance_m.shape}"
        )
        return errors
    n_veh = p.vehicle_start_loc.shape[0]
    n_ord = p.order_loc.shape[0]
    if n_veh < 1:
        errors.append("Expected at least one vehicle")
    for name in (*_INT_FIELDS_V, "vehicle_skills"):
        if getattr(p, name).shape != (n_veh,):
            errors.append(f"Expected {name} of shape (V,) = ({n_veh},)")
    if p.co2e_cost_per_km is not None:
        if p.co2e_cost_per_km.shape != (n_veh,):
            errors.append(f"Expected co2e_cost_per_km of shape (V,) = ({n_veh},)")
        elif p.co2e_cost_per_km.size and int(p.co2e_cost_per_km.min()) < 0:
            errors.append("Expected co2e_cost_per_km >= 0")
    for name in (*_INT_FIELDS_N, "required_skills"):
        if getattr(p, name).shape != (n_ord,):
            errors.append(f"Expected {name} of shape (N,) = ({n_ord},)")
    n_dim = p.vehicle_capacity.shape[1]
    if p.vehicle_capacity.shape[0] != n_veh:
        errors.append(f"Expected vehicle_capacity of shape (V, D) with V = {n_veh}")
    if p.order_demand.shape != (n_ord, n_dim):
        errors.append(f"Expected order_demand of shape (N, D) = ({n_ord}, {n_dim})")
    if errors:
        return errors

    for name in _NON_NEGATIVE:
        arr = getattr(p, name)
        if arr.size and int(arr.min()) < 0:
            errors.append(f"Expected {name} >= 0")
    if n_loc and (np.any(np.diagonal(p.travel_s)) or np.any(np.diagonal(p.distance_m))):
        errors.append("Expected travel_s and distance_m with a zero diagonal")
    for name in ("vehicle_start_loc", "vehicle_end_loc", "order_loc"):
        arr = getattr(p, name)
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= n_loc):
            errors.append(f"Expected 0 <= {name} < L = {n_loc}")
    bad = np.flatnonzero(p.shift_end_s < p.shift_start_s)
    if bad.size:
        errors.append(f"Expected shift_end_s >= shift_start_s (vehicle {int(bad[0])})")
    has_break = p.break_start_s >= 0
    bad = np.flatnonzero(has_break & (p.break_end_s - p.break_start_s < p.break_duration_s))
    if bad.size:
        errors.append(
            f"Expected break_end_s - break_start_s >= break_duration_s (vehicle {int(bad[0])})"
        )
    bad = np.flatnonzero(p.outsource_cost < -1)
    if bad.size:
        errors.append(f"Expected outsource_cost >= 0 or -1 = mandatory (order {int(bad[0])})")

    off = p.window_offsets
    n_win = p.window_start_s.shape[0]
    if off.shape != (n_ord + 1,) or p.window_end_s.shape != (n_win,):
        errors.append("Expected window_offsets of shape (N + 1,) and window_end_s like start")
        return errors
    if int(off[0]) != 0 or int(off[-1]) != n_win:
        errors.append(f"Expected window_offsets[0] == 0 and window_offsets[-1] == W = {n_win}")
    elif n_ord and int(np.diff(off).min()) < 1:
        bad_i = int(np.flatnonzero(np.diff(off) < 1)[0])
        errors.append(f"Expected at least one window per order (order {bad_i})")
    else:
        bad = np.flatnonzero(p.window_end_s < p.window_start_s)
        if bad.size:
            errors.append(f"Expected window_end_s >= window_start_s (window {int(bad[0])})")
        if n_win > 1:
            same_order = np.ones(n_win - 1, dtype=bool)
            same_order[off[1:-1] - 1] = False
            overlap = same_order & (p.window_start_s[1:] <= p.window_end_s[:-1])
            if overlap.any():
                errors.append(
                    "Expected the windows of an order sorted and disjoint "
                    f"(window {int(np.flatnonzero(overlap)[0]) + 1})"
                )
    return errors


@dataclass(frozen=True, slots=True)
class RoutingParams:
    """Search settings.

    Attributes
    ----------
    time_limit_s
        Wall-clock budget for the whole call, model building included.
    seed
        PyVRP seed (OR-Tools routing has no seed; its search is deterministic for a fixed
        ``solution_limit``).
    solution_limit
        ``> 0``: stop deterministically, after that many OR-Tools solutions or
        ``PYVRP_ITERATIONS_PER_SOLUTION`` times as many PyVRP iterations (the time limit still
        caps the call). Use it where plans must repeat.
    engine
        ``"auto"`` picks PyVRP unless the problem uses a feature in
        :data:`ORTOOLS_ONLY_FEATURES`; ``"ortools"`` / ``"pyvrp"`` force one.
    ortools_search
        ``"ils"``: tuned iterated local search (default). ``"gls"``: reference setting,
        PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH with default operators.
    polish
        Drop optional stops, and whole routes, that cost more than their outsource prices
        after the engine stops (:func:`_drop_unprofitable`); only optional orders are touched.
    """

    time_limit_s: float
    seed: int = 0
    solution_limit: int = 0
    engine: EngineName = "auto"
    ortools_search: OrtoolsSearch = "ils"
    polish: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.time_limit_s) or self.time_limit_s <= 0:
            raise ValueError(f"Expected time_limit_s > 0, got {self.time_limit_s}")
        if self.seed < 0:
            raise ValueError(f"Expected seed >= 0, got {self.seed}")
        if self.solution_limit < 0:
            raise ValueError(f"Expected solution_limit >= 0, got {self.solution_limit}")
        if self.engine not in ("auto", "ortools", "pyvrp"):
            raise ValueError(f"Expected engine in auto|ortools|pyvrp, got {self.engine!r}")
        if self.ortools_search not in ("ils", "gls"):
            raise ValueError(f"Expected ortools_search in ils|gls, got {self.ortools_search!r}")


@dataclass(frozen=True, slots=True)
class Stop:
    """One served order on a route; ``load`` is what is still on board after the stop."""

    order_idx: int
    arrival_s: int
    start_s: int
    departure_s: int
    load: tuple[int, ...]
    lateness_s: int


@dataclass(frozen=True, slots=True)
class Route:
    """One used van: leaves its start depot at ``start_s``, is back at ``end_s``.

    ``cost`` (cents) = fixed + per km * distance + per hour * duration + lateness.
    ``break_start_s`` is -1 when the van has no break.
    """

    vehicle_idx: int
    stops: tuple[Stop, ...]
    start_s: int
    end_s: int
    distance_m: int
    duration_s: int
    cost: int
    break_start_s: int = -1


@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """Result of :func:`solve`.

    ``marginal_cost[i]`` (cents) is what removing served order ``i`` saves on its route
    (fixed cost included when it is the only stop); -1 for dropped orders. ``objective`` (cents)
    is the route costs plus their priced emissions (``co2e_cost_per_km``) plus the outsource
    prices of dropped optional orders; route costs and marginal costs are money only. ``status``:
    ``"OPTIMAL"`` (proved, or no orders), ``"FEASIBLE"``, ``"PARTIAL"`` (a plan, but some
    mandatory orders could not be served; they are in ``dropped``), ``"NO_SOLUTION"``.
    """

    routes: tuple[Route, ...]
    dropped: tuple[int, ...]
    marginal_cost: I64
    objective: int
    status: str
    engine: str
    elapsed_s: float
    unservable: tuple[int, ...] = field(default=())


# --------------------------------------------------------------------------------------------
# Features and engine choice


def problem_features(problem: RoutingProblem) -> frozenset[str]:
    """Return the model features a problem uses.

    Parameters
    ----------
    problem
        The routing problem.

    Returns
    -------
    frozenset[str]
        Subset of ``multiple_windows``, ``skills`` (some order excludes some van),
        ``breaks``, ``max_ride``, ``soft_windows``, ``max_duration``, ``fixed_costs``,
        ``optional_orders``, ``multiple_depots``, ``heterogeneous_fleet``.
    """
    feats: set[str] = set()
    if problem.num_orders and int(np.diff(problem.window_offsets).max()) > 1:
        feats.add("multiple_windows")
    req = problem.required_skills
    if np.any(req):
        capable = (problem.vehicle_skills[None, :] & req[:, None]) == req[:, None]
        if not np.all(capable[capable.any(axis=1)]):
            feats.add("skills")
    if np.any(problem.break_start_s >= 0):
        feats.add("breaks")
    if np.any(problem.max_ride_s > 0):
        feats.add("max_ride")
    if problem.lateness_cost_per_min > 0:
        feats.add("soft_windows")
    if np.any(problem.max_duration_s > 0):
        feats.add("max_duration")
    if np.any(problem.fixed_cost > 0):
        feats.add("fixed_costs")
    if np.any(problem.outsource_cost >= 0):
        feats.add("optional_orders")
    depots = np.concatenate([problem.vehicle_start_loc, problem.vehicle_end_loc])
    if np.unique(depots).size > 1:
        feats.add("multiple_depots")
    if len(_vehicle_type_keys(problem)) > 1:
        feats.add("heterogeneous_fleet")
    return frozenset(feats)


def pyvrp_available() -> bool:
    """Whether the optional PyVRP engine can be imported."""
    try:
        importlib.import_module("pyvrp")
    except ImportError:
        return False
    return True


def select_engine(problem: RoutingProblem, engine: EngineName = "auto") -> str:
    """Resolve ``engine`` to ``"ortools"`` or ``"pyvrp"``.

    Parameters
    ----------
    problem
        The routing problem.
    engine
        Requested engine; ``"auto"`` picks PyVRP when no OR-Tools-only feature is used.

    Returns
    -------
    str
        ``"ortools"`` or ``"pyvrp"``.

    Raises
    ------
    ValueError
        If ``"pyvrp"`` is forced on a problem it cannot express, or is not installed.
    """
    needs = problem_features(problem) & ORTOOLS_ONLY_FEATURES
    if engine == "ortools":
        return "ortools"
    if engine == "pyvrp":
        if needs:
            raise ValueError(f"Expected a problem PyVRP can express; it uses {sorted(needs)}")
        if not pyvrp_available():
            raise ValueError("Expected pyvrp to be installed for engine='pyvrp'")
        return "pyvrp"
    return "ortools" if needs or not pyvrp_available() else "pyvrp"


def _vehicle_type_key(p: RoutingProblem, v: int) -> tuple[int, ...]:
    """Vehicles that PyVRP can pool into one vehicle type share one key."""
    return (
        int(p.vehicle_start_loc[v]),
        int(p.vehicle_end_loc[v]),
        int(p.shift_start_s[v]),
        int(p.shift_end_s[v]),
        int(p.fixed_cost[v]),
        int(p.cost_per_km[v]),
        int(p.cost_per_hour[v]),
        int(p.co2e_cost_per_km[v]) if p.co2e_cost_per_km is not None else 0,
        int(max(p.max_duration_s[v], 0)),
        *[int(c) for c in p.vehicle_capacity[v]],
    )


def _vehicle_type_keys(p: RoutingProblem) -> list[tuple[int, ...]]:
    return sorted({_vehicle_type_key(p, v) for v in range(p.num_vehicles)})


# --------------------------------------------------------------------------------------------
# Money


@dataclass(frozen=True, slots=True)
class _Scale:
    """Integer cost coefficients shared by both engines (internal unit = ``divisor`` units)."""

    divisor: int
    per_m: list[int]  # per vehicle, per metre: money and priced emissions
    co2e_per_m: list[int]  # per vehicle, per metre: the priced emissions alone
    per_s: list[int]  # per vehicle, per second of route duration
    fixed: list[int]  # per vehicle
    late_per_s: int
    penalty: list[int]  # per order; mandatory orders get a penalty above any route change

    def to_cents(self, internal: int) -> int:
        """Round internal units to cents, half up."""
        units = internal * self.divisor
        return (units + UNITS_PER_CENT // 2) // UNITS_PER_CENT

    def money(self, internal: int, v: int, distance_m: int) -> int:
        """Internal units of a route on vehicle ``v`` without its priced emissions."""
        return internal - self.co2e_per_m[v] * distance_m


def _scale(problem: RoutingProblem) -> _Scale:
    p = problem
    per_m = [int(c) * _PER_KM_TO_UNITS_PER_M for c in p.cost_per_km]
    co2e = p.co2e_cost_per_km if p.co2e_cost_per_km is not None else np.zeros(len(per_m))
    co2e_per_m = [int(c) * _CENTI_PER_KM_TO_UNITS_PER_M for c in co2e]
    per_s = [int(c) * _PER_HOUR_TO_UNITS_PER_S for c in p.cost_per_hour]
    fixed = [int(c) * UNITS_PER_CENT for c in p.fixed_cost]
    late = p.lateness_cost_per_min * _PER_MIN_TO_UNITS_PER_S
    outs = [int(c) * UNITS_PER_CENT if c >= 0 else -1 for c in p.outsource_cost]
    divisor = 0
    for c in (*per_m, *co2e_per_m, *per_s, *fixed, late, *outs):
        if c > 0:
            divisor = math.gcd(divisor, c)
    divisor = max(divisor, 1)
    per_m = [(m + e) // divisor for m, e in zip(per_m, co2e_per_m, strict=True)]
    co2e_per_m = [c // divisor for c in co2e_per_m]
    per_s = [c // divisor for c in per_s]
    fixed = [c // divisor for c in fixed]
    late //= divisor
    horizon = int(p.shift_end_s.max()) if p.num_vehicles else 0
    max_dist = int(p.distance_m.max()) if p.distance_m.size else 0
    bound = max(fixed, default=0) + 2 * max_dist * max(per_m, default=0)
    bound += horizon * (max(per_s, default=0) + late)
    big = min(max(_MANDATORY_FLOOR, 100 * bound), (1 << 62) // max(1, p.num_orders + 1))
    penalty = [c // divisor if c >= 0 else big for c in outs]
    return _Scale(divisor, per_m, co2e_per_m, per_s, fixed, late, penalty)


# --------------------------------------------------------------------------------------------
# Scheduling (times of a fixed sequence)


@dataclass(slots=True)
class _Timed:
    start_s: int
    end_s: int
    arrival: list[int]
    start: list[int]
    lateness: list[int]
    break_start_s: int


class _PlainScheduler:
    """Times a fixed visit sequence: minimum duration among earliest-end schedules.

    Breaks are placed greedily: in the first gap where they cost no time, else in the last gap
    that still lets them start in their window. Plain Python, the reference of the compiled
    `_Scheduler` (same algorithm, same results).
    """

    def __init__(self, problem: RoutingProblem) -> None:
        p = problem
        self.p = p
        self.loc: list[int] = p.order_loc.tolist()
        self.service: list[int] = p.service_s.tolist()
        off: list[int] = p.window_offsets.tolist()
        ws: list[int] = p.window_start_s.tolist()
        we: list[int] = p.window_end_s.tolist()
        self.wins = [
            list(zip(ws[off[i] : off[i + 1]], we[off[i] : off[i + 1]], strict=True))
            for i in range(p.num_orders)
        ]
        self.late_ok: list[bool] = p.late_ok.tolist()
        self.max_late = p.max_lateness_s if p.max_lateness_s > 0 else math.inf
        self.ride: list[int] = p.max_ride_s.tolist()

    @functools.cached_property
    def travel(self) -> list[list[int]]:
        """Travel seconds as nested lists (fast to index in Python); the compiled subclass
        never builds them."""
        travel: list[list[int]] = self.p.travel_s.tolist()
        return travel

    def _service_start(self, o: int, arrival: int) -> tuple[int, int] | None:
        """(start, lateness) for arriving at ``arrival``; None if no window is reachable."""
        for s, e in self.wins[o]:
            if arrival <= e:
                return (s if s > arrival else arrival), 0
        if self.late_ok[o] and arrival - self.wins[o][-1][1] <= self.max_late:
            return arrival, arrival - self.wins[o][-1][1]
        return None

    def forward(self, v: int, seq: Sequence[int], t0: int, with_break: bool) -> _Timed | None:
        """Earliest schedule when leaving the start depot at ``t0``."""
        p = self.p
        travel, loc, service = self.travel, self.loc, self.service
        pending = with_break
        bs, be, bd = int(p.break_start_s[v]), int(p.break_end_s[v]), int(p.break_duration_s[v])
        brk = -1
        t = t0
        prev = int(p.vehicle_start_loc[v])
        arrival: list[int] = []
        start: list[int] = []
        lateness: list[int] = []
        for o in seq:
            leg = travel[prev][loc[o]]
            arr = t + leg
            plain = self._service_start(o, arr)
            if pending:
                b = t if t > bs else bs
                with_brk = None
                if b + bd <= be:
                    arr_b = (t + leg if t + leg > bs else bs) + bd
                    with_brk = self._service_start(o, arr_b)
                later_ok = plain is not None and max(plain[0] + service[o], bs) + bd <= be
                if with_brk is not None and (
                    plain is None or with_brk[0] == plain[0] or not later_ok
                ):
                    brk, pending, arr = b, False, arr_b
                    plain = with_brk
            if plain is None:
                return None
            arrival.append(arr)
            start.append(plain[0])
            lateness.append(plain[1])
            t = plain[0] + service[o]
            prev = loc[o]
        end = t + travel[prev][int(p.vehicle_end_loc[v])]
        if pending:
            b = t if t > bs else bs
            if b + bd > be:
                return None
            brk = b
            end = max(end, b + bd + travel[prev][int(p.vehicle_end_loc[v])])
        if end > int(p.shift_end_s[v]):
            return None
        return _Timed(t0, end, arrival, start, lateness, brk)

    def schedule(self, v: int, seq: Sequence[int]) -> _Timed | None:
        """Minimum-duration schedule with the earliest end; None if this scheduler fails.

        A break is first tried off the route (before departure or after return, inside its
        window), as OR-Tools allows; otherwise it is placed between two visits.
        """
        p = self.p
        if not seq:
            return None
        bs, be, bd = int(p.break_start_s[v]), int(p.break_end_s[v]), int(p.break_duration_s[v])
        plain = self._schedule(v, seq, int(p.shift_start_s[v]), with_break=False)
        if bs < 0 or plain is None:
            return plain
        if bs + bd <= min(plain.start_s, be):
            plain.break_start_s = bs
            return plain
        if max(plain.end_s, bs) + bd <= be:
            plain.break_start_s = max(plain.end_s, bs)
            return plain
        options = [self._schedule(v, seq, int(p.shift_start_s[v]), with_break=True)]
        before = self._schedule(v, seq, max(int(p.shift_start_s[v]), bs + bd), with_break=False)
        if before is not None:  # leave after the break
            before.break_start_s = bs
            options.append(before)
        found = [t for t in options if t is not None]
        return min(found, key=lambda t: (t.end_s - t.start_s, t.end_s)) if found else None

    def _schedule(self, v: int, seq: Sequence[int], t0: int, with_break: bool) -> _Timed | None:
        p = self.p
        first = self.forward(v, seq, t0, with_break)
        if first is None:
            return None
        if with_break:
            best = self._latest_start_search(v, seq, first)
        else:
            best = self._latest_start_backward(v, seq, first)
        max_dur = int(p.max_duration_s[v])
        if max_dur > 0 and best.end_s - best.start_s > max_dur:
            return None
        for o, s in zip(seq, best.start, strict=True):
            if self.ride[o] > 0 and s - best.start_s > self.ride[o]:
                return None
        return best

    def _latest_start_backward(self, v: int, seq: Sequence[int], first: _Timed) -> _Timed:
        """Latest departure keeping the earliest end: one backward pass (no break)."""
        travel, loc, service = self.travel, self.loc, self.service
        latest = first.end_s
        nxt = int(self.p.vehicle_end_loc[v])
        for k in range(len(seq) - 1, -1, -1):
            o = seq[k]
            lk = latest - travel[loc[o]][nxt] - service[o]
            if first.lateness[k] > 0:
                ub = first.start[k]
            else:
                ub = first.start[k]
                for s, e in reversed(self.wins[o]):
                    if s <= lk:
                        ub = min(lk, e)
                        break
            latest = max(ub, first.start[k])
            nxt = loc[o]
        t0 = latest - travel[int(self.p.vehicle_start_loc[v])][loc[seq[0]]]
        if t0 <= first.start_s:
            return first
        again = self.forward(v, seq, t0, with_break=False)
        return again if again is not None and again.end_s == first.end_s else first

    def _latest_start_search(self, v: int, seq: Sequence[int], first: _Timed) -> _Timed:
        """Latest departure keeping the earliest end, by bisection (break placement varies)."""
        lo, best = first.start_s, first
        hi = first.start_s + sum(s - a for s, a in zip(first.start, first.arrival, strict=True))
        hi = min(hi, int(self.p.shift_end_s[v]))
        while lo < hi:
            mid = (lo + hi + 1) // 2
            cand = self.forward(v, seq, mid, with_break=True)
            if cand is not None and cand.end_s == first.end_s:
                lo, best = mid, cand
            else:
                hi = mid - 1
        return best


class _Scheduler(_PlainScheduler):
    """`_PlainScheduler` with `forward` and `schedule` compiled (`solver.kernels.schedule`)."""

    def __init__(self, problem: RoutingProblem) -> None:
        super().__init__(problem)
        p = problem
        max_late = p.max_lateness_s if p.max_lateness_s > 0 else timing.UNLIMITED
        self._tables = (
            p.travel_s, p.order_loc, p.service_s, p.window_offsets, p.window_start_s,
            p.window_end_s, np.ascontiguousarray(p.late_ok, dtype=np.bool_), np.int64(max_late),
        )  # fmt: skip
        vans = np.stack(
            [p.vehicle_start_loc, p.vehicle_end_loc, p.break_start_s, p.break_end_s,
             p.break_duration_s, p.shift_end_s],
            axis=1,
        ).tolist()  # fmt: skip
        self._vans = [tuple(row) for row in vans]

    def forward(self, v: int, seq: Sequence[int], t0: int, with_break: bool) -> _Timed | None:
        order = np.asarray(seq, dtype=np.int64)
        return _to_timed(timing.forward(order, t0, with_break, self._vans[v], self._tables))

    def schedule(self, v: int, seq: Sequence[int]) -> _Timed | None:
        p = self.p
        order = np.asarray(seq, dtype=np.int64)
        got = timing.schedule(
            order, int(p.shift_start_s[v]), self._vans[v], int(p.max_duration_s[v]),
            p.max_ride_s, self._tables,
        )  # fmt: skip
        return _to_timed(got)


def _to_timed(got: tuple[Any, ...]) -> _Timed | None:
    ok, depart, end, brk, arrival, start, lateness = got
    if not ok:
        return None
    return _Timed(
        int(depart), int(end), arrival.tolist(), start.tolist(), lateness.tolist(), int(brk)
    )


def _route_units(
    problem: RoutingProblem, scale: _Scale, v: int, seq: Sequence[int], tm: _Timed
) -> tuple[int, int]:
    """(internal cost, distance_m) of a timed route."""
    if not seq:
        return 0, 0
    d = problem.distance_m
    locs = [int(problem.vehicle_start_loc[v])]
    locs += [int(problem.order_loc[o]) for o in seq]
    locs.append(int(problem.vehicle_end_loc[v]))
    dist = int(d[locs[:-1], locs[1:]].sum())
    cost = scale.fixed[v] + scale.per_m[v] * dist + scale.per_s[v] * (tm.end_s - tm.start_s)
    cost += scale.late_per_s * sum(tm.lateness)
    return cost, dist


# --------------------------------------------------------------------------------------------
# Engines


@dataclass(slots=True)
class _RawRoute:
    vehicle: int
    orders: list[int]
    times: _Timed | None = None  # the engine's own times, kept as a fallback


@dataclass(slots=True)
class _EngineResult:
    routes: list[_RawRoute]
    found: bool
    proved_optimal: bool = False


def _ortools_search_parameters(params: RoutingParams, seconds: float, num_nodes: int) -> Any:
    rp: Any = importlib.import_module("ortools.constraint_solver.pywrapcp")
    enums: Any = importlib.import_module("ortools.constraint_solver.routing_enums_pb2")
    ils_pb: Any = importlib.import_module("ortools.constraint_solver.routing_ils_pb2")
    ob: Any = importlib.import_module("ortools.util.optional_boolean_pb2")
    sp = rp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = enums.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    if params.ortools_search == "gls":
        sp.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    else:
        # Tuned setting from shared/notes/routing-and-kernels.md; only effective with
        # SolveWithIteratedLocalSearch.
        sp.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GREEDY_DESCENT
        sp.use_iterated_local_search = True
        ils = sp.iterated_local_search_parameters
        ils.perturbation_strategy = ils_pb.PerturbationStrategy.RUIN_AND_RECREATE
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 15
        sisr.avg_num_removed_visits = 15
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = enums.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
        ils.improve_perturbed_solution = True
        ops = sp.local_search_operators
        off = ob.BOOL_FALSE
        ops.use_global_cheapest_insertion_path_lns = off
        ops.use_local_cheapest_insertion_path_lns = off
        ops.use_relocate_path_global_cheapest_insertion_insert_unperformed = off
        ops.use_global_cheapest_insertion_visit_types_lns = off
        ops.use_local_cheapest_insertion_visit_types_lns = off
    if num_nodes >= _LOCAL_INSERTION_MIN_NODES:
        sp.first_solution_strategy = enums.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    if num_nodes > _FULL_INSERTION_MAX_NODES:
        # Large days: the first insertion pass looks at the 50 nearest candidates per node
        # instead of all of them (at 1,000 orders with ride limits: 16-27 s -> ~5 s).
        gci = sp.global_cheapest_insertion_first_solution_parameters
        gci.neighbors_ratio = _FIRST_SOLUTION_NEIGHBOURS / num_nodes
        gci.min_neighbors = _FIRST_SOLUTION_NEIGHBOURS
    sp.time_limit.FromMilliseconds(max(10, int(seconds * 1000)))
    if params.solution_limit > 0:
        sp.solution_limit = params.solution_limit
    return sp


class _ConstantLimit:
    """Pickup-to-delivery limit callback (OR-Tools asks per pickup/delivery alternative)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, pickup_alternative: int, delivery_alternative: int) -> int:
        return self.limit


def _allowed_vehicles(problem: RoutingProblem, o: int) -> list[int]:
    req = int(problem.required_skills[o])
    skills = problem.vehicle_skills.tolist()
    return [v for v in range(problem.num_vehicles) if int(skills[v]) & req == req]


def _solve_ortools(
    problem: RoutingProblem,
    params: RoutingParams,
    scale: _Scale,
    orders: list[int],
    deadline: float,
) -> _EngineResult:
    """Build the OR-Tools model over ``orders`` (the servable ones) and solve it.

    Everything is expressed with what OR-Tools' local-search filters understand, because a
    single extra CP constraint (e.g. an Element over the serving van's start time) sends every
    move through the CP solver: at 1,000 orders no first solution came within 40 s that way.

    * Multiple windows: one node per (order, window) in a disjunction of cardinality 1.
    * Ride limit: a zero-length "loading" node at the van's start depot paired with the order
      (pickup and delivery), with a pickup-to-delivery time limit; a "phase" dimension forces
      loading nodes before any delivery, so the loading time is the departure.
    """
    rp: Any = importlib.import_module("ortools.constraint_solver.pywrapcp")
    p = problem
    off = p.window_offsets
    n_veh = p.num_vehicles
    node_order: list[int] = []  # order of each delivery node
    node_window: list[int] = []
    last_end = int(p.shift_end_s.max())
    for o in orders:
        for w in range(int(off[o]), int(off[o + 1])):
            if int(p.window_start_s[w]) > last_end:
                continue  # opens after every shift has ended: no van can use it
            node_order.append(o)
            node_window.append(w)
    n_del = len(node_order)
    start_locs = p.vehicle_start_loc.tolist()
    # Loading nodes: (order, start depot) for ride-limited orders, one per depot its vans use.
    loading: list[tuple[int, int, list[int]]] = []
    for o in orders:
        if int(p.max_ride_s[o]) > 0:
            allowed = _allowed_vehicles(p, o)
            for depot in sorted({start_locs[v] for v in allowed}):
                loading.append((o, depot, [v for v in allowed if start_locs[v] == depot]))
    n_real = n_del + len(loading)
    depot_locs = sorted({*start_locs, *p.vehicle_end_loc.tolist()})
    depot_node = {loc: n_real + k for k, loc in enumerate(depot_locs)}
    node_loc = np.array(
        [int(p.order_loc[o]) for o in node_order] + [d for _, d, _ in loading] + depot_locs,
        dtype=np.int64,
    )
    node_service = np.zeros(node_loc.size, dtype=np.int64)
    node_service[:n_del] = p.service_s[node_order]
    starts = [depot_node[int(x)] for x in start_locs]
    ends = [depot_node[int(x)] for x in p.vehicle_end_loc]
    manager = rp.RoutingIndexManager(int(node_loc.size), n_veh, starts, ends)
    routing = rp.RoutingModel(manager)
    solver = routing.solver()

    sub = np.ix_(node_loc, node_loc)
    dist = p.distance_m[sub]
    transit = p.travel_s[sub] + node_service[:, None]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    cost_cb: dict[int, int] = {}
    for v in range(n_veh):
        coef = scale.per_m[v]
        if coef not in cost_cb:
            cost_cb[coef] = routing.RegisterTransitMatrix((dist * coef).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[coef], v)
        if scale.fixed[v]:
            routing.SetFixedCostOfVehicle(scale.fixed[v], v)

    for d in range(p.num_dims):
        demand = np.zeros(node_loc.size, dtype=np.int64)
        demand[:n_del] = p.order_demand[node_order, d]
        cb = routing.RegisterUnaryTransitVector(demand.tolist())
        routing.AddDimensionWithVehicleCapacity(
            cb, 0, p.vehicle_capacity[:, d].tolist(), True, f"load{d}"
        )

    horizon = int(p.shift_end_s.max())
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    copies: dict[int, list[int]] = {}
    late_ok = p.late_ok
    for node, (o, w) in enumerate(zip(node_order, node_window, strict=True)):
        idx = manager.NodeToIndex(node)
        copies.setdefault(o, []).append(idx)
        w_start, w_end = int(p.window_start_s[w]), min(int(p.window_end_s[w]), horizon)
        if scale.late_per_s > 0 and late_ok[o] and w == int(off[o + 1]) - 1:
            late_cap = horizon
            if p.max_lateness_s > 0:
                late_cap = min(horizon, int(p.window_end_s[w]) + p.max_lateness_s)
            tdim.CumulVar(idx).SetRange(w_start, late_cap)
            tdim.SetCumulVarSoftUpperBound(idx, w_end, scale.late_per_s)
        else:
            tdim.CumulVar(idx).SetRange(w_start, w_end)
        if int(p.required_skills[o]):
            allowed = _allowed_vehicles(p, o)
            if len(allowed) < n_veh:
                routing.VehicleVar(idx).SetValues([-1, *allowed])  # -1: unperformed
    disjunction = {
        o: routing.AddDisjunction(idxs, scale.penalty[o], 1) for o, idxs in copies.items()
    }

    if loading:
        phase = [1] * n_del + [0] * (node_loc.size - n_del)
        routing.AddDimension(routing.RegisterUnaryTransitVector(phase), 0, n_del, True, "phase")
        phase_dim = routing.GetDimensionOrDie("phase")
        by_order: dict[int, list[int]] = {}
        keep_alive: list[_ConstantLimit] = []
        for k, (o, _, vehicles) in enumerate(loading):
            idx = manager.NodeToIndex(n_del + k)
            by_order.setdefault(o, []).append(idx)
            phase_dim.CumulVar(idx).SetMax(0)  # loaded before the first delivery
            routing.VehicleVar(idx).SetValues([-1, *vehicles])
        for pair, (o, idxs) in enumerate(by_order.items()):
            pick = routing.AddDisjunction(idxs, 0, 1)
            routing.AddPickupAndDeliverySets(pick, disjunction[o])
            keep_alive.append(_ConstantLimit(int(p.max_ride_s[o])))
            tdim.SetPickupToDeliveryLimitFunctionForPair(keep_alive[-1], pair)

    for v in range(n_veh):
        s_idx, e_idx = routing.Start(v), routing.End(v)
        tdim.CumulVar(s_idx).SetRange(int(p.shift_start_s[v]), int(p.shift_end_s[v]))
        tdim.CumulVar(e_idx).SetRange(int(p.shift_start_s[v]), int(p.shift_end_s[v]))
        if int(p.max_duration_s[v]) > 0:
            tdim.SetSpanUpperBoundForVehicle(int(p.max_duration_s[v]), v)
        if scale.per_s[v]:
            tdim.SetSpanCostCoefficientForVehicle(scale.per_s[v], v)

    visit_transit = [0] * routing.Size()
    for idx in range(routing.Size()):
        visit_transit[idx] = int(node_service[manager.IndexToNode(idx)])
    breaks: dict[int, Any] = {}
    for v in range(n_veh):
        bs = int(p.break_start_s[v])
        if bs < 0:
            continue
        bd = int(p.break_duration_s[v])
        # OR-Tools lets a break lie before the route starts or after it ends: a van on the road
        # across the whole break window stops between two visits, others rest off duty.
        brk = solver.FixedDurationIntervalVar(bs, int(p.break_end_s[v]) - bd, bd, False, f"b{v}")
        tdim.SetBreakIntervalsOfVehicle([brk], v, visit_transit)
        breaks[v] = brk

    sp = _ortools_search_parameters(params, deadline - time.perf_counter(), int(node_loc.size))
    if params.ortools_search == "ils":
        sol = routing.SolveWithIteratedLocalSearch(sp)
    else:
        sol = routing.SolveWithParameters(sp)
    if sol is None:
        return _EngineResult([], found=False)
    routes: list[_RawRoute] = []
    for v in range(n_veh):
        idx = sol.Value(routing.NextVar(routing.Start(v)))
        seq: list[int] = []
        starts_s: list[int] = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node < n_del:
                seq.append(node_order[node])
                starts_s.append(int(sol.Min(tdim.CumulVar(idx))))
            idx = sol.Value(routing.NextVar(idx))
        if not seq:
            continue
        t_start = int(sol.Min(tdim.CumulVar(routing.Start(v))))
        t_end = int(sol.Min(tdim.CumulVar(routing.End(v))))
        brk_s = int(sol.StartMin(breaks[v])) if v in breaks else -1
        routes.append(_RawRoute(v, seq, _Timed(t_start, t_end, [], starts_s, [], brk_s)))
    status_optimal = 7  # RoutingSearchStatus.ROUTING_OPTIMAL
    return _EngineResult(routes, found=True, proved_optimal=routing.status() == status_optimal)


#: PyVRP iterations are far cheaper than OR-Tools solutions: a solution limit of n stops PyVRP
#: after n times this many iterations.
PYVRP_ITERATIONS_PER_SOLUTION: Final = 100


class _PyvrpStop:
    """Stops PyVRP at the deadline or, for reproducible runs, after a fixed iteration count."""

    def __init__(self, deadline: float, max_iterations: int) -> None:
        self.deadline = deadline
        self.max_iterations = max_iterations
        self.iterations = 0

    def __call__(self, best_cost: int) -> bool:
        self.iterations += 1
        if self.max_iterations and self.iterations > self.max_iterations:
            return True
        return time.perf_counter() >= self.deadline


def _solve_pyvrp(
    problem: RoutingProblem,
    params: RoutingParams,
    scale: _Scale,
    orders: list[int],
    deadline: float,
) -> _EngineResult:
    """Map the problem onto PyVRP 0.14 (one window per order, no skills/breaks/ride limits)."""
    pv: Any = importlib.import_module("pyvrp")
    p = problem
    n_dim = p.num_dims
    depot_locs = sorted({*p.vehicle_start_loc.tolist(), *p.vehicle_end_loc.tolist()})
    depot_of = {loc: k for k, loc in enumerate(depot_locs)}
    horizon = int(p.shift_end_s.max())
    depots = [pv.Depot(location=loc, tw_early=0, tw_late=horizon) for loc in depot_locs]
    keys = _vehicle_type_keys(p)
    members: dict[tuple[int, ...], list[int]] = {k: [] for k in keys}
    for v in range(p.num_vehicles):
        members[_vehicle_type_key(p, v)].append(v)
    vehicle_types = []
    for key in keys:
        v = members[key][0]
        max_dur = int(p.max_duration_s[v])
        vehicle_types.append(
            pv.VehicleType(
                num_available=len(members[key]),
                capacity=[int(c) for c in p.vehicle_capacity[v]],
                start_depot=depot_of[int(p.vehicle_start_loc[v])],
                end_depot=depot_of[int(p.vehicle_end_loc[v])],
                fixed_cost=scale.fixed[v],
                tw_early=int(p.shift_start_s[v]),
                tw_late=int(p.shift_end_s[v]),
                shift_duration=max_dur if max_dur > 0 else np.iinfo(np.int64).max,
                unit_distance_cost=scale.per_m[v],
                unit_duration_cost=scale.per_s[v],
            )
        )
    off = p.window_offsets
    clients = []
    for o in orders:
        w = int(off[o])
        mandatory = int(p.outsource_cost[o]) < 0
        clients.append(
            pv.Client(
                location=int(p.order_loc[o]),
                delivery=[int(x) for x in p.order_demand[o]] if n_dim else [],
                service_duration=int(p.service_s[o]),
                tw_early=int(p.window_start_s[w]),
                tw_late=int(p.window_end_s[w]),
                prize=0 if mandatory else scale.penalty[o],
                required=mandatory,
            )
        )
    locations = [pv.Location(0.0, 0.0) for _ in range(p.num_locations)]
    data = pv.ProblemData(
        locations,
        clients,
        depots,
        vehicle_types,
        [np.array(p.distance_m, dtype=np.int64)],
        [np.array(p.travel_s, dtype=np.int64)],
    )
    stop = _PyvrpStop(deadline, params.solution_limit * PYVRP_ITERATIONS_PER_SOLUTION)
    with warnings.catch_warnings():
        # An infeasible best plan is handled by the caller (OR-Tools fallback); no stderr noise.
        warnings.simplefilter("ignore", pv.exceptions.PenaltyBoundWarning)
        res = pv.solve(data, stop, seed=params.seed, collect_stats=False, display=False)
    best = res.best
    if not best.is_feasible():
        return _EngineResult([], found=False)
    free = {k: list(members[k]) for k in keys}
    routes: list[_RawRoute] = []
    for route in best.routes():
        v = free[keys[route.vehicle_type()]].pop(0)
        seq: list[int] = []
        starts_s: list[int] = []
        for act in route:
            if act.is_client():
                seq.append(orders[act.idx])
                starts_s.append(int(act.start_time))
        if seq:
            routes.append(
                _RawRoute(
                    v,
                    seq,
                    _Timed(int(route.start_time()), int(route.end_time()), [], starts_s, [], -1),
                )
            )
    return _EngineResult(routes, found=True)


# --------------------------------------------------------------------------------------------
# Plan assembly


def _servable_orders(problem: RoutingProblem) -> tuple[list[int], list[int]]:
    """Split orders into those some van could serve and those none can (skills, size, time).

    Dropping the hopeless ones up front keeps PyVRP from searching for a plan that cannot
    exist (it would then fall back to OR-Tools) and shrinks the OR-Tools model.
    """
    p = problem
    if p.num_orders == 0:
        return [], []
    req = p.required_skills
    capable = (p.vehicle_skills[None, :] & req[:, None]) == req[:, None]
    if p.num_dims:
        fits = np.all(p.order_demand[:, None, :] <= p.vehicle_capacity[None, :, :], axis=2)
        capable &= fits
    # Necessary timing conditions for a van serving the order alone (never excludes a servable
    # order): reach a window, be back by the shift end, within ride and duration limits.
    first_open = p.window_start_s[p.window_offsets[:-1]][:, None]
    last_end = p.window_end_s[p.window_offsets[1:] - 1][:, None]
    out = p.travel_s[p.vehicle_start_loc[None, :], p.order_loc[:, None]]
    back = p.travel_s[p.order_loc[:, None], p.vehicle_end_loc[None, :]]
    arrive = p.shift_start_s[None, :] + out
    late = p.max_lateness_s if p.max_lateness_s > 0 else np.iinfo(np.int64).max // 4
    capable &= arrive <= last_end + np.where(p.late_ok, late, 0)[:, None]
    done = np.maximum(arrive, first_open) + p.service_s[:, None] + back
    capable &= done <= p.shift_end_s[None, :]
    ride = p.max_ride_s[:, None]
    capable &= (ride <= 0) | (out <= ride)
    max_dur = p.max_duration_s[None, :]
    capable &= (max_dur <= 0) | (out + p.service_s[:, None] + back <= max_dur)
    ok = capable.any(axis=1)
    return np.flatnonzero(ok).tolist(), np.flatnonzero(~ok).tolist()


def _engine_times(problem: RoutingProblem, scheduler: _Scheduler, raw: _RawRoute) -> _Timed:
    """Complete the engine's own times (arrivals, lateness) for a route the scheduler refused."""
    p, v = problem, raw.vehicle
    assert raw.times is not None
    tm = raw.times
    arrival, lateness = [], []
    dep, prev = tm.start_s, int(p.vehicle_start_loc[v])
    bd = int(p.break_duration_s[v])
    for o, s in zip(raw.orders, tm.start, strict=True):
        arr = dep + int(p.travel_s[prev, p.order_loc[o]])
        if tm.break_start_s >= dep and tm.break_start_s < s:
            arr += bd
        arrival.append(min(arr, s))
        last_end = scheduler.wins[o][-1][1]
        lateness.append(max(0, s - last_end) if scheduler.late_ok[o] else 0)
        dep, prev = s + int(p.service_s[o]), int(p.order_loc[o])
    return _Timed(tm.start_s, tm.end_s, arrival, list(tm.start), lateness, tm.break_start_s)


def _without(seq: Sequence[int], k: int) -> list[int]:
    return [o for j, o in enumerate(seq) if j != k]


def _relaxed(problem: RoutingProblem) -> RoutingProblem | None:
    """The problem without breaks and ride limits; None if it has neither."""
    p = problem
    if not (np.any(p.break_start_s >= 0) or np.any(p.max_ride_s > 0)):
        return None
    none_v = np.full(p.num_vehicles, -1, dtype=np.int64)
    return replace(
        p,
        break_start_s=none_v,
        break_end_s=none_v.copy(),
        break_duration_s=np.zeros(p.num_vehicles, dtype=np.int64),
        max_ride_s=np.zeros(p.num_orders, dtype=np.int64),
    )


def _repair(problem: RoutingProblem, result: _EngineResult) -> _EngineResult:
    """Make routes of the relaxed problem feasible for the full one: drop one stop whose removal
    lets the scheduler time the route (ride-limited stops first, then optional ones, latest
    first), or else the latest ride-limited or optional stop (else the last), until it does."""
    sched = _Scheduler(problem)
    ride = problem.max_ride_s
    optional = problem.outsource_cost >= 0
    routes: list[_RawRoute] = []
    for raw in result.routes:
        v, seq = raw.vehicle, list(raw.orders)
        while seq and sched.schedule(v, seq) is None:
            fixed = None
            limited = [k for k, o in enumerate(seq) if ride[o] > 0]
            droppable = [k for k, o in enumerate(seq) if optional[o] and ride[o] <= 0]
            for k in [*reversed(limited), *reversed(droppable)]:
                candidate = _without(seq, k)
                if candidate and sched.schedule(v, candidate) is not None:
                    fixed = candidate
                    break
            if fixed is None:  # drop the latest ride-limited or optional stop, else the last
                either = sorted([*limited, *droppable])
                fixed = _without(seq, either[-1] if either else len(seq) - 1)
            seq = fixed
        if seq:
            routes.append(_RawRoute(v, seq, None))
    return _EngineResult(routes, result.found)


def _result_units(problem: RoutingProblem, scale: _Scale, result: _EngineResult) -> int:
    """Objective of an engine result on the scheduler's clock (dropped orders at penalty)."""
    sched = _Scheduler(problem)
    total = 0
    served: set[int] = set()
    for raw in result.routes:
        tm = sched.schedule(raw.vehicle, raw.orders)
        if tm is None:
            if raw.times is None:
                return 1 << 62
            tm = _engine_times(problem, sched, raw)
        total += _route_units(problem, scale, raw.vehicle, raw.orders, tm)[0]
        served.update(raw.orders)
    total += sum(scale.penalty[o] for o in range(problem.num_orders) if o not in served)
    return total


def _solve_ortools_staged(
    problem: RoutingProblem,
    params: RoutingParams,
    scale: _Scale,
    orders: list[int],
    deadline: float,
) -> _EngineResult:
    """OR-Tools, with a relaxed-then-repaired plan first on big problems with breaks or ride
    limits (see ``_RELAX_MIN_ORDERS``); the better of that and the full model's plan wins.
    With a solution limit the repaired plan is final (so the plan repeats)."""
    relaxed = _relaxed(problem)
    if relaxed is None or len(orders) < _RELAX_MIN_ORDERS:
        return _solve_ortools(problem, params, scale, orders, deadline)
    now = time.perf_counter()
    # The full model only pays off with time to build and search it (see below); with a
    # solution limit, or under about 2 s, the relaxed plan gets the whole budget.
    share = 0.7 if params.solution_limit == 0 and deadline - now > 2.0 else 1.0
    first = _solve_ortools(relaxed, params, scale, orders, now + share * (deadline - now))
    found = [_repair(problem, first)] if first.found else []
    if found and params.solution_limit > 0:
        return found[0]  # repeatable: the full model would stop on the clock, not on its limit
    if deadline - time.perf_counter() > 0.2 + 0.2 * (deadline - now):  # room to build and search
        full = _solve_ortools(problem, params, scale, orders, deadline)
        if full.found:
            found.append(full)
    if not found:
        return _EngineResult([], found=False)
    return min(found, key=lambda r: _result_units(problem, scale, r))


def _drop_unprofitable(
    problem: RoutingProblem, scale: _Scale, result: _EngineResult, deadline: float
) -> _EngineResult:
    """Keep-or-outsource polish on the engine's routes (never makes the objective worse).

    Local search moves one visit at a time, so it cannot see that a whole route (fixed cost and
    the hours it spans) costs more than paying partners for all of its orders, nor that a few
    far stops do. Per route, on the scheduler's clock: drop at once every optional stop whose
    removal saves more than its outsource price, keep the change if the route plus the new
    penalties is cheaper (up to three rounds), then drop the whole route if its optional orders'
    prices are below its cost.
    """
    p = problem
    sched = _Scheduler(p)
    optional = p.outsource_cost >= 0
    routes: list[_RawRoute] = []
    for raw in result.routes:
        seq = list(raw.orders)
        v = raw.vehicle
        if time.perf_counter() > deadline or not bool(optional[seq].any()):
            routes.append(raw)
            continue
        tm = sched.schedule(v, seq)
        if tm is None:
            routes.append(raw)
            continue
        units = _route_units(p, scale, v, seq, tm)[0]
        for _ in range(3):
            drop: list[int] = []
            for k, o in enumerate(seq):
                if not optional[o] or len(seq) == 1:
                    continue
                rest = _without(seq, k)
                tm_rest = sched.schedule(v, rest)
                if tm_rest is None:
                    continue
                if units - _route_units(p, scale, v, rest, tm_rest)[0] > scale.penalty[o]:
                    drop.append(o)
            if not drop or len(drop) == len(seq):
                break
            keep = [o for o in seq if o not in set(drop)]
            tm_keep = sched.schedule(v, keep)
            if tm_keep is None:
                break
            keep_units = _route_units(p, scale, v, keep, tm_keep)[0]
            if keep_units + sum(scale.penalty[o] for o in drop) >= units:
                break
            seq, units = keep, keep_units
        seq, units = _trim_ends(p, scale, sched, v, seq, units, optional)
        if bool(optional[seq].all()) and sum(scale.penalty[o] for o in seq) < units:
            continue  # the whole route costs more than its orders' partner prices
        routes.append(raw if seq == raw.orders else _RawRoute(v, seq, None))
    return _EngineResult(routes, result.found, result.proved_optimal)


def _trim_ends(
    p: RoutingProblem,
    scale: _Scale,
    sched: _Scheduler,
    v: int,
    seq: list[int],
    units: int,
    optional: npt.NDArray[np.bool_],
) -> tuple[list[int], int]:
    """Best cut of optional stops off the start and the end of a route (shortens its span)."""

    def cost(a: int, b: int) -> int | None:
        rest = seq[a : len(seq) - b]
        tm = sched.schedule(v, rest)
        if tm is None:
            return None
        cut = seq[:a] + seq[len(seq) - b :]
        return _route_units(p, scale, v, rest, tm)[0] + sum(scale.penalty[o] for o in cut)

    def best_cut(head: bool) -> int:
        best_k, best_total = 0, units
        for k in range(1, len(seq)):
            o = seq[k - 1] if head else seq[len(seq) - k]
            if not optional[o]:
                break
            total = cost(k, 0) if head else cost(0, k)
            if total is not None and total < best_total:
                best_k, best_total = k, total
        return best_k

    a, b = best_cut(True), best_cut(False)
    if a + b >= len(seq) or (a == 0 and b == 0):
        a, b = (a, 0) if a else (0, b)
    if a + b == 0 or a + b >= len(seq):
        return seq, units
    total = cost(a, b)
    if total is None or total >= units:
        return seq, units
    rest = seq[a : len(seq) - b]
    tm = sched.schedule(v, rest)
    assert tm is not None
    return rest, _route_units(p, scale, v, rest, tm)[0]


def _assemble(
    problem: RoutingProblem,
    scale: _Scale,
    result: _EngineResult,
    engine: str,
    unservable: list[int],
    t_begin: float,
) -> RoutingPlan:
    p = problem
    sched = _Scheduler(p)
    routes: list[Route] = []
    marginal = np.full(p.num_orders, -1, dtype=np.int64)
    total_units = 0
    served: set[int] = set()
    for raw in sorted(result.routes, key=lambda r: r.vehicle):
        v, seq = raw.vehicle, raw.orders
        tm = sched.schedule(v, seq)
        if tm is None:
            tm = _engine_times(p, sched, raw)
        units, dist = _route_units(p, scale, v, seq, tm)
        total_units += units
        money = scale.money(units, v, dist)
        served.update(seq)
        load = p.order_demand[seq].sum(axis=0) if p.num_dims else np.zeros(0, dtype=np.int64)
        stops = []
        for k, o in enumerate(seq):
            load = load - p.order_demand[o]
            stops.append(
                Stop(
                    order_idx=o,
                    arrival_s=tm.arrival[k],
                    start_s=tm.start[k],
                    departure_s=tm.start[k] + int(p.service_s[o]),
                    load=tuple(int(x) for x in load),
                    lateness_s=tm.lateness[k],
                )
            )
        routes.append(
            Route(
                vehicle_idx=v,
                stops=tuple(stops),
                start_s=tm.start_s,
                end_s=tm.end_s,
                distance_m=dist,
                duration_s=tm.end_s - tm.start_s,
                cost=scale.to_cents(money),
                break_start_s=tm.break_start_s,
            )
        )
        for k, o in enumerate(seq):
            rest = _without(seq, k)
            if not rest:
                marginal[o] = scale.to_cents(money)
                continue
            tm_rest = sched.schedule(v, rest)
            if tm_rest is None:  # same clock minus the stop: feasible for metric travel times
                keep = [j for j in range(len(seq)) if j != k]
                tm_rest = _Timed(
                    tm.start_s,
                    tm.end_s,
                    [tm.arrival[j] for j in keep],
                    [tm.start[j] for j in keep],
                    [tm.lateness[j] for j in keep],
                    tm.break_start_s,
                )
            rest_units, rest_m = _route_units(p, scale, v, rest, tm_rest)
            rest_money = scale.money(rest_units, v, rest_m)
            marginal[o] = scale.to_cents(money) - scale.to_cents(rest_money)
    dropped = [o for o in range(p.num_orders) if o not in served]
    mandatory_dropped = [o for o in dropped if int(p.outsource_cost[o]) < 0]
    total_units += sum(scale.penalty[o] for o in dropped if int(p.outsource_cost[o]) >= 0)
    if p.num_orders == 0:
        status = "OPTIMAL"
    elif not result.found:
        status = "NO_SOLUTION"
    elif mandatory_dropped:
        status = "PARTIAL"
    else:
        status = "OPTIMAL" if result.proved_optimal else "FEASIBLE"
    return RoutingPlan(
        routes=tuple(routes),
        dropped=tuple(dropped),
        marginal_cost=_readonly(marginal),
        objective=scale.to_cents(total_units),
        status=status,
        engine=engine,
        elapsed_s=time.perf_counter() - t_begin,
        unservable=tuple(unservable),
    )


def search_vans(problem: RoutingProblem, num_orders: int) -> list[int]:
    """The vans the search routes `num_orders` servable orders on: all of them, or for a big
    fleet about `_SEARCH_PAIRS / num_orders` (at least `_SEARCH_VANS_MIN`), taken in turn from
    each group of vans alike in depots, shift, break and skills (largest group first, vans in
    index order), so every kind of van stays in the search."""
    n_vans = problem.num_vehicles
    room = max(_SEARCH_VANS_MIN, _SEARCH_PAIRS // max(1, num_orders))
    if n_vans <= room:
        return list(range(n_vans))
    p = problem
    keys = np.stack(
        [
            p.vehicle_start_loc,
            p.vehicle_end_loc,
            p.shift_start_s,
            p.shift_end_s,
            p.break_start_s,
            p.break_end_s,
            p.vehicle_skills.astype(np.int64),
        ],
        axis=1,
    )
    _, group, sizes = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    # Rank of each van in its group, then round-robin: rank 0 of every group first.
    order = np.lexsort((np.arange(n_vans), group))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.empty(n_vans, dtype=np.int64)
    rank[order] = np.arange(n_vans) - starts[group[order]]
    # Within a round, groups by size (largest first), then by key order.
    turn = np.lexsort((np.arange(n_vans), group, -sizes[group], rank))
    return sorted(turn[:room].tolist())


def _with_vans(problem: RoutingProblem, vans: list[int]) -> RoutingProblem:
    """The same problem on a sub-fleet (van k of it is `vans[k]` of the problem)."""
    idx = np.asarray(vans, dtype=np.int64)
    changes = {
        name: getattr(problem, name)[idx]
        for name in _VEHICLE_FIELDS
        if getattr(problem, name) is not None
    }
    return replace(problem, **changes)


def _scale_of_vans(scale: _Scale, vans: list[int]) -> _Scale:
    """The problem's scale (same divisor, so units compare) for a sub-fleet."""
    return replace(
        scale,
        per_m=[scale.per_m[v] for v in vans],
        co2e_per_m=[scale.co2e_per_m[v] for v in vans],
        per_s=[scale.per_s[v] for v in vans],
        fixed=[scale.fixed[v] for v in vans],
    )


def solve(problem: RoutingProblem, params: RoutingParams) -> RoutingPlan:
    """Route the vans and decide which orders they keep (the rest go to partners).

    A big fleet is searched on a sub-fleet (`search_vans`); the plan names the problem's vans.

    Parameters
    ----------
    problem
        Validated problem arrays.
    params
        Budget, seed, deterministic solution limit and engine choice.

    Returns
    -------
    RoutingPlan
        Routes of used vans, dropped orders (outsourced, or mandatory but unservable), marginal
        costs, objective in cents, status and the engine that produced the routes
        (``"pyvrp+ortools"`` when PyVRP found no feasible plan and OR-Tools took over).

    Raises
    ------
    ValueError
        If ``params.engine="pyvrp"`` is forced on a problem PyVRP cannot express.
    """
    t_begin = time.perf_counter()
    # Leave time to re-time routes and price marginal costs (0.15-0.6 s at 1,000 orders, more
    # with breaks and on a loaded machine).
    margin = min(0.25 * params.time_limit_s, 0.05 + 0.0006 * problem.num_orders)
    # ... and to polish keep-or-outsource (about 0.1 s at 500 orders).
    polish_s = min(0.1 * params.time_limit_s, 0.0003 * problem.num_orders) if params.polish else 0
    deadline = t_begin + params.time_limit_s - margin - polish_s
    engine = select_engine(problem, params.engine)
    scale = _scale(problem)
    orders, unservable = _servable_orders(problem)
    if not orders:
        return _assemble(problem, scale, _EngineResult([], True), engine, unservable, t_begin)
    vans = search_vans(problem, len(orders))
    fleet, fleet_scale, fleet_orders = problem, scale, orders
    if len(vans) < problem.num_vehicles:
        fleet = _with_vans(problem, vans)
        fleet_scale = _scale_of_vans(scale, vans)
        fleet_orders = _servable_orders(fleet)[0]
    if not fleet_orders:  # nothing the sub-fleet can serve: the insertion passes may
        result = _EngineResult([], True)
    elif engine == "pyvrp":
        result = _solve_pyvrp(fleet, params, fleet_scale, fleet_orders, deadline)
        if not result.found:
            # PyVRP has no feasible plan (e.g. mandatory orders that do not fit): OR-Tools drops
            # at a penalty instead, which still yields a usable partial plan.
            remaining = max(deadline - time.perf_counter(), 0.1 * params.time_limit_s)
            result = _solve_ortools(
                fleet, params, fleet_scale, fleet_orders, time.perf_counter() + remaining
            )
            engine = "pyvrp+ortools"
    else:
        result = _solve_ortools_staged(fleet, params, fleet_scale, fleet_orders, deadline)
    if fleet is not problem:
        for r in result.routes:
            r.vehicle = vans[r.vehicle]
    if result.found and params.polish:
        result = _drop_unprofitable(problem, scale, result, deadline + polish_s)
    return _assemble(problem, scale, result, engine, unservable, t_begin)


def insert(
    problem: RoutingProblem,
    plan: RoutingPlan,
    orders: Sequence[int],
    time_limit_s: float,
    max_tries: int = 256,
) -> RoutingPlan:
    """Insert dropped orders into a plan's routes, each at its cheapest feasible place.

    For orders the router left out that must be served after all (e.g. their partner turned
    out to be full): each in turn goes where it costs the objective least, on a route or on a
    van not used yet (see `_Inserter` for the search); an order that fits nowhere stays
    dropped. The plan is then re-timed and re-priced like any other (marginal costs included).

    Parameters
    ----------
    problem
        The problem ``plan`` answers.
    plan
        A plan from :func:`solve`.
    orders
        Dropped orders to insert, in this order.
    time_limit_s
        Stop trying further orders after this many seconds.
    max_tries
        Exact schedules tried per order at most (screened places, cheapest bound first).

    Returns
    -------
    RoutingPlan
        The plan with the orders that fit inserted (the same plan if none fits).
    """
    t_begin = time.perf_counter()
    inserter = _Inserter(problem, plan, max_tries)
    if inserter.frozen:
        return plan  # a route only the engine could time: leave the plan as it is
    dropped = set(plan.dropped)
    changed = False
    for o in orders:
        if time.perf_counter() - t_begin > time_limit_s:
            break
        if o not in dropped:
            continue
        found = inserter.best(o)
        if found is not None:
            inserter.place(found[1], found[3])
            dropped.discard(o)
            changed = True
    if not changed:
        return plan
    return _reassemble(problem, inserter, plan, t_begin)


@dataclass(frozen=True, slots=True)
class Insertion:
    """Where each of some dropped orders would go on a plan's vans, and what it would cost.

    Entry ``q`` answers ``orders[q]``: ``vehicle`` -1 when no van can take it (no route with
    the skills, room and time for it, used or not); else the van, the stop index the order
    would have on its route (``position``), its service start (``start_s``), the money the
    route would cost more (``cents``: route cents with the order minus without, fixed cost
    included for a van not used yet) and the extra distance (``distance_m``).
    """

    orders: I64
    vehicle: I64
    position: I64
    start_s: I64
    cents: I64
    distance_m: I64


class _Inserter:
    """Cheapest feasible insertion of single orders into a plan's routes, routes updatable.

    Every position of every route (and one van per type not used yet, as a route of its own;
    once it takes an order, the next unused van of its type joins) is screened with necessary
    conditions: skills, capacity, the earliest arrival at the order
    (leaving at shift start) inside its last window, and the next stop still reachable by its
    latest start (windows, shift end). Survivors are tried on the scheduler's clock in order of
    their extra distance cost, a lower bound of the extra cost, until that bound reaches the
    best extra cost found or ``max_tries`` schedules were tried; the cheapest by the routing
    objective (priced emissions included) wins.
    """

    def __init__(self, problem: RoutingProblem, plan: RoutingPlan, max_tries: int) -> None:
        p = problem
        self.p, self.scale, self.sched = p, _scale(p), _Scheduler(p)
        self.max_tries = max_tries
        self.last_end = [wins[-1][1] for wins in self.sched.wins]
        self.vehicle: list[int] = []
        self.seq: list[list[int]] = []
        self.units: list[int] = []
        self.money: list[int] = []  # cents
        self.metres: list[int] = []
        self.load: list[np.ndarray] = []
        self.prev_loc: list[np.ndarray] = []
        self.next_loc: list[np.ndarray] = []
        self.dep: list[np.ndarray] = []
        self.latest: list[np.ndarray] = []
        self.frozen: set[int] = set()  # routes only the engine could time
        used: set[int] = set()
        for r in plan.routes:
            used.add(r.vehicle_idx)
            self._add(r.vehicle_idx, [s.order_idx for s in r.stops])
        # Unused vans by type, the first of each type offered as an empty route.
        self.spare: dict[tuple[int, ...], list[int]] = {}
        for v in range(p.num_vehicles):
            if v not in used:
                self.spare.setdefault(self._type(v), []).append(v)
        for vans in self.spare.values():
            self._add(vans.pop(0), [])

    def _type(self, v: int) -> tuple[int, ...]:
        return (*_vehicle_type_key(self.p, v), int(self.p.vehicle_skills[v]))

    def place(self, r: int, seq: list[int]) -> None:
        """Route ``r`` now drives ``seq``; if it was an unused van, the next unused van of its
        type is offered in its place."""
        was_empty = not self.seq[r]
        self._set(r, seq)
        if was_empty and seq and (vans := self.spare.get(self._type(self.vehicle[r]))):
            self._add(vans.pop(0), [])

    def _add(self, v: int, seq: list[int]) -> None:
        self.vehicle.append(v)
        self.seq.append([])
        for name in ("units", "money", "metres"):
            getattr(self, name).append(0)
        for name in ("load", "prev_loc", "next_loc", "dep", "latest"):
            getattr(self, name).append(np.zeros(0, dtype=np.int64))
        self._set(len(self.vehicle) - 1, seq)

    def _set(self, r: int, seq: list[int]) -> None:
        """Route ``r`` now drives ``seq``: its cost and screening arrays."""
        p, sched, scale = self.p, self.sched, self.scale
        v = self.vehicle[r]
        self.seq[r] = seq
        if seq:
            tm = sched.schedule(v, seq)
            if tm is None:
                self.frozen.add(r)
                return
            units, metres = _route_units(p, scale, v, seq, tm)
            self.units[r], self.metres[r] = units, metres
            self.money[r] = scale.to_cents(scale.money(units, v, metres))
        else:  # a van not used yet: its route would be depot - order - depot
            self.metres[r] = int(p.distance_m[p.vehicle_start_loc[v], p.vehicle_end_loc[v]])
        self.load[r] = p.order_demand[seq].sum(axis=0)
        locs = [int(p.vehicle_start_loc[v]), *[int(p.order_loc[o]) for o in seq]]
        locs.append(int(p.vehicle_end_loc[v]))
        self.prev_loc[r] = np.array(locs[:-1], dtype=np.int64)
        self.next_loc[r] = np.array(locs[1:], dtype=np.int64)
        shift_start = int(p.shift_start_s[v])
        early = sched.forward(v, seq, shift_start, with_break=False) if seq else None
        starts = early.start if early is not None else [shift_start] * len(seq)
        service = [int(p.service_s[o]) for o in seq]
        self.dep[r] = np.array(
            [shift_start] + [t + s for t, s in zip(starts, service, strict=True)], dtype=np.int64
        )
        late = [int(p.shift_end_s[v])]
        for k in range(len(seq) - 1, -1, -1):
            o = seq[k]
            slack = p.max_lateness_s if p.max_lateness_s > 0 else int(p.shift_end_s[v])
            end = self.last_end[o] + (slack if sched.late_ok[o] else 0)
            leg = int(p.travel_s[locs[k + 1], locs[k + 2]])
            late.append(min(end, late[-1] - service[k] - leg))
        self.latest[r] = np.array(late[::-1], dtype=np.int64)

    def best(self, o: int, below: int | None = None) -> tuple[int, int, int, list[int], Any] | None:
        """(objective increase, route, position, new sequence, its times) of the cheapest
        feasible place for order ``o``; None if it fits nowhere (or nowhere for less than
        ``below``: places whose bound reaches it are not tried)."""
        p, sched = self.p, self.sched
        d, travel = p.distance_m, p.travel_s
        loc = int(p.order_loc[o])
        req = int(p.required_skills[o])
        first_start = sched.wins[o][0][0]
        late = (p.max_lateness_s if p.max_lateness_s > 0 else 1 << 40) if sched.late_ok[o] else 0
        end_ok = self.last_end[o] + late
        service = int(p.service_s[o])
        cands: list[tuple[int, int, int]] = []  # (bound, route, position)
        for r, v in enumerate(self.vehicle):
            if r in self.frozen or int(p.vehicle_skills[v]) & req != req:
                continue
            if np.any(self.load[r] + p.order_demand[o] > p.vehicle_capacity[v]):
                continue
            a, b = self.prev_loc[r], self.next_loc[r]
            arrive = self.dep[r] + travel[a, loc]
            start = np.maximum(arrive, first_start)
            ok = (arrive <= end_ok) & (start + service + travel[loc, b] <= self.latest[r])
            extra = d[a, loc] + d[loc, b] - d[a, b]
            per_m = self.scale.per_m[v]
            cands.extend((per_m * int(extra[k]), r, k) for k in np.flatnonzero(ok).tolist())
        cands.sort()
        found: tuple[int, int, int, list[int], Any] | None = None
        for bound, r, k in cands[: self.max_tries]:
            if found is not None and bound >= found[0]:
                break
            if below is not None and bound >= below:
                break
            v, seq = self.vehicle[r], self.seq[r]
            cand = [*seq[:k], o, *seq[k:]]
            tm = sched.schedule(v, cand)
            if tm is None:
                continue
            delta = _route_units(p, self.scale, v, cand, tm)[0] - self.units[r]
            if found is None or delta < found[0]:
                found = (delta, r, k, cand, tm)
        return found

    def money_after(self, r: int, seq: list[int], tm: _Timed) -> tuple[int, int]:
        """(route cents, metres) of route ``r`` driving ``seq`` with times ``tm``."""
        v = self.vehicle[r]
        units, metres = _route_units(self.p, self.scale, v, seq, tm)
        return self.scale.to_cents(self.scale.money(units, v, metres)), metres


def insertion_costs(
    problem: RoutingProblem,
    plan: RoutingPlan,
    orders: Sequence[int],
    max_tries: int = 64,
    time_limit_s: float | None = None,
) -> Insertion:
    """Cheapest feasible place for each order on the plan's routes, the plan left unchanged.

    Each order is placed alone (see `_Inserter` for the search); its extra money is reported.
    A time limit only caps the work: orders are priced in the given order, and those the clock
    leaves out are not in the answer (its ``orders`` is then a prefix of ``orders``).

    Parameters
    ----------
    problem
        The problem ``plan`` answers.
    plan
        A plan from :func:`solve` (or :func:`insert`).
    orders
        Orders to price, normally dropped ones.
    max_tries
        Exact schedules tried per order at most.
    time_limit_s
        Stop pricing after this long; None: price every order.

    Returns
    -------
    Insertion
    """
    stop_at = None if time_limit_s is None else time.perf_counter() + time_limit_s
    inserter = _Inserter(problem, plan, max_tries)
    n = len(orders)
    out = {
        name: np.full(n, -1, dtype=np.int64)
        for name in ("vehicle", "position", "start_s", "cents", "distance_m")
    }
    for q, o in enumerate(orders):
        if stop_at is not None and time.perf_counter() >= stop_at:
            n = q
            break
        found = inserter.best(o)
        if found is None:
            continue
        _, r, k, cand, tm = found
        cents, metres = inserter.money_after(r, cand, tm)
        out["vehicle"][q], out["position"][q], out["start_s"][q] = (
            inserter.vehicle[r],
            k,
            tm.start[k],
        )
        out["cents"][q] = cents - inserter.money[r]
        out["distance_m"][q] = metres - inserter.metres[r]
    return Insertion(
        orders=_readonly(np.asarray(list(orders)[:n], dtype=np.int64)),
        **{name: _readonly(arr[:n]) for name, arr in out.items()},
    )


def insert_profitable(
    problem: RoutingProblem,
    plan: RoutingPlan,
    time_limit_s: float,
    max_orders: int | None = None,
    max_tries: int = 64,
) -> RoutingPlan:
    """Put dropped optional orders on the vans wherever that costs less than their outsource
    price, one at a time, the best saving first (re-checked on the routes as they change).

    The engines' local search (with the insertion operators the tuned search turns off) rarely
    puts a dropped order back; this pass does, at each order's cheapest feasible place
    (`_Inserter`). At most ``max_orders`` dropped orders are tried, the dearest to outsource
    first, so the work, not the clock, bounds it (the clock only caps it). Returns ``plan``
    itself when nothing moves.
    """
    t_begin = time.perf_counter()
    p = problem
    inserter = _Inserter(p, plan, max_tries)
    if inserter.frozen:
        return plan  # a route only the engine could time: leave the plan as it is
    penalty = inserter.scale.penalty
    optional = sorted(
        (o for o in plan.dropped if int(p.outsource_cost[o]) >= 0),
        key=lambda o: (-int(p.outsource_cost[o]), o),
    )[:max_orders]
    quotes: list[tuple[int, int, int, list[int]]] = []  # (saving < 0, order, route, stops)
    for o in optional:
        if time.perf_counter() - t_begin > time_limit_s:
            break
        found = inserter.best(o, below=penalty[o])
        if found is not None and found[0] < penalty[o]:
            quotes.append((found[0] - penalty[o], o, found[1], found[3]))
    quotes.sort(key=lambda q: (q[0], q[1]))
    touched: set[int] = set()
    for _, o, r, cand in quotes:
        if time.perf_counter() - t_begin > time_limit_s:
            break
        if r in touched:  # its route changed since the quote: place it again
            found = inserter.best(o, below=penalty[o])
            if found is None or found[0] >= penalty[o]:
                continue
            r, cand = found[1], found[3]
        inserter.place(r, cand)
        touched.add(r)
    if not touched:
        return plan
    return _reassemble(p, inserter, plan, t_begin)


def _reassemble(
    problem: RoutingProblem, inserter: _Inserter, plan: RoutingPlan, t_begin: float
) -> RoutingPlan:
    """The inserter's routes as a plan, re-timed and re-priced like any other."""
    routes = [
        _RawRoute(v, seq, None)
        for v, seq in zip(inserter.vehicle, inserter.seq, strict=True)
        if seq
    ]
    result = _EngineResult(routes, found=True, proved_optimal=False)
    assembled = _assemble(
        problem, inserter.scale, result, plan.engine, list(plan.unservable), t_begin
    )
    return replace(assembled, elapsed_s=plan.elapsed_s + assembled.elapsed_s)


# --------------------------------------------------------------------------------------------
# Independent checker


def check_plan(problem: RoutingProblem, plan: RoutingPlan) -> list[str]:
    """Re-check a plan against the problem, independently of how it was built.

    Checks each order at most once and dropped exactly when not served, mandatory orders,
    skills, capacity and loads, travel times between stops, windows (or recorded lateness),
    shifts, depot return, max duration, ride limits, breaks, distances and route costs.

    Parameters
    ----------
    problem
        The problem the plan answers.
    plan
        The plan to check.

    Returns
    -------
    list[str]
        One message per violation; empty when the plan is feasible.
    """
    p = problem
    errs: list[str] = []
    seen: dict[int, int] = {}
    used: set[int] = set()
    late_ok = p.late_ok
    for r in plan.routes:
        v = r.vehicle_idx
        if not 0 <= v < p.num_vehicles or v in used:
            errs.append(f"route of vehicle {v}: unknown or repeated vehicle")
            continue
        used.add(v)
        tag = f"vehicle {v}"
        if not r.stops:
            errs.append(f"{tag}: route without stops")
        if r.start_s < int(p.shift_start_s[v]) or r.end_s > int(p.shift_end_s[v]):
            errs.append(f"{tag}: outside shift [{p.shift_start_s[v]}, {p.shift_end_s[v]}]")
        if r.duration_s != r.end_s - r.start_s:
            errs.append(f"{tag}: duration_s {r.duration_s} != end_s - start_s")
        if int(p.max_duration_s[v]) > 0 and r.end_s - r.start_s > int(p.max_duration_s[v]):
            errs.append(f"{tag}: duration {r.end_s - r.start_s} > {p.max_duration_s[v]}")
        total = np.zeros(p.num_dims, dtype=np.int64)
        dep, prev = r.start_s, int(p.vehicle_start_loc[v])
        dist = 0
        late_total = 0
        gaps: list[tuple[int, int, int]] = []  # (free from, free until, travel) per leg
        for s in r.stops:
            o = s.order_idx
            if not 0 <= o < p.num_orders:
                errs.append(f"{tag}: unknown order {o}")
                continue
            if o in seen:
                errs.append(f"order {o}: served by vehicles {seen[o]} and {v}")
            seen[o] = v
            req = int(p.required_skills[o])
            if int(p.vehicle_skills[v]) & req != req:
                errs.append(f"order {o}: vehicle {v} lacks skills {req:#x}")
            leg = int(p.travel_s[prev, p.order_loc[o]])
            dist += int(p.distance_m[prev, p.order_loc[o]])
            gaps.append((dep, s.start_s, leg))
            if s.arrival_s < dep + leg or s.start_s < s.arrival_s:
                errs.append(
                    f"order {o}: arrival {s.arrival_s} / start {s.start_s} before "
                    f"departure {dep} + travel {leg}"
                )
            w0, w1 = int(p.window_offsets[o]), int(p.window_offsets[o + 1])
            wins = list(
                zip(p.window_start_s[w0:w1].tolist(), p.window_end_s[w0:w1].tolist(), strict=True)
            )
            inside = any(a <= s.start_s <= b for a, b in wins)
            late = max(0, s.start_s - wins[-1][1])
            soft = bool(late_ok[o])
            if not inside and not (soft and late > 0):
                errs.append(f"order {o}: start {s.start_s} outside its windows {wins}")
            if soft and p.max_lateness_s > 0 and late > p.max_lateness_s:
                errs.append(f"order {o}: {late} s late > max_lateness_s {p.max_lateness_s}")
            if s.lateness_s != (late if soft else 0):
                errs.append(f"order {o}: lateness_s {s.lateness_s}, expected {late}")
            late_total += late if soft else 0
            if s.departure_s != s.start_s + int(p.service_s[o]):
                errs.append(f"order {o}: departure != start + service")
            ride = int(p.max_ride_s[o])
            if ride > 0 and s.start_s - r.start_s > ride:
                errs.append(f"order {o}: ride {s.start_s - r.start_s} s > {ride} s")
            total += p.order_demand[o]
            dep, prev = s.departure_s, int(p.order_loc[o])
        leg = int(p.travel_s[prev, p.vehicle_end_loc[v]])
        dist += int(p.distance_m[prev, p.vehicle_end_loc[v]])
        gaps.append((dep, r.end_s, leg))
        if r.end_s < dep + leg:
            errs.append(f"{tag}: back at {r.end_s} before last departure {dep} + travel {leg}")
        if np.any(total > p.vehicle_capacity[v]):
            errs.append(f"{tag}: load {total.tolist()} > capacity {p.vehicle_capacity[v].tolist()}")
        on_board = total.copy()
        for s in r.stops:
            if 0 <= s.order_idx < p.num_orders:
                on_board = on_board - p.order_demand[s.order_idx]
                if list(s.load) != on_board.tolist():
                    errs.append(f"order {s.order_idx}: load {s.load} != {on_board.tolist()}")
        if dist != r.distance_m:
            errs.append(f"{tag}: distance_m {r.distance_m} != recomputed {dist}")
        bs = int(p.break_start_s[v])
        if bs >= 0 and r.stops:
            b, bd = r.break_start_s, int(p.break_duration_s[v])
            off_route = b + bd <= r.start_s or b >= r.end_s
            if b < bs or b + bd > int(p.break_end_s[v]):
                errs.append(f"{tag}: break at {b} outside [{bs}, {p.break_end_s[v]}]")
            elif not off_route and not any(
                a <= b and b + bd <= e and e - a >= leg_ + bd for a, e, leg_ in gaps
            ):
                errs.append(f"{tag}: break at {b} neither off the route nor between stops")
        cost = int(p.fixed_cost[v]) * UNITS_PER_CENT
        cost += int(p.cost_per_km[v]) * _PER_KM_TO_UNITS_PER_M * dist
        cost += int(p.cost_per_hour[v]) * _PER_HOUR_TO_UNITS_PER_S * (r.end_s - r.start_s)
        cost += p.lateness_cost_per_min * _PER_MIN_TO_UNITS_PER_S * late_total
        cents = (cost + UNITS_PER_CENT // 2) // UNITS_PER_CENT
        if cents != r.cost:
            errs.append(f"{tag}: cost {r.cost} != recomputed {cents}")
    dropped = set(plan.dropped)
    for o in range(p.num_orders):
        if (o in seen) == (o in dropped):
            errs.append(f"order {o}: must be either served or dropped, exactly once")
        elif o in dropped and int(p.outsource_cost[o]) < 0:
            errs.append(f"order {o}: mandatory but dropped")
    return errs
