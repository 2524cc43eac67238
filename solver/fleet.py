"""The own fleet in the decision: snapshot + eligibility + prices -> routes -> per-order answers.

Stage ``route(snapshot, eligibility, prices, scores, orders, params) -> FleetPlan``.

Problem (:func:`build_problem`)
    Orders: every order in ``orders`` whose own-fleet pair is possible (eligible and priced).
    Each gets the skills its requirements need (``domain.capabilities_for``) plus one synthetic
    skill per (own carrier, origin site): a van only delivers what was loaded at its depot, for
    the own-fleet carrier that scored best for the order. Windows are the order's windows
    (a deadline is the window [now, deadline]), sorted and merged, clipped to now; the cold
    chain ride limit is ``eligibility.max_ride_s``; service time = base + per extra parcel +
    per requirement (:class:`FleetParams`). Lateness: ``options.lateness_cents_per_min``
    (rounded to whole cents) per minute after the last window, so windows are soft when it is
    positive, up to :attr:`FleetParams.max_lateness_s` late; never for orders with allowed
    delivery hours (regulated goods), whose windows were cut to those hours and stay hard.
    Vans: their shifts, starting no earlier than ``now`` + the own carrier's lead time;
    capacity in grams, millilitres and stops; skills; breaks; maximum route duration; fixed,
    per-km and per-hour cost; the emissions of every km at the request's emissions weight
    (in the drop prices' units), which the router minimises with the money.
    Travel: the request's road matrix (``snapshot.matrix``) between the places it covers
    (durations from it too, else its distance at the fleet speed); elsewhere haversine x
    ``options.circuity``; one speed for the whole fleet (the slowest van's unless
    :attr:`FleetParams.speed_kmh` is set), rounded up to the second and the metre.
    Keep or outsource: ``mode="keep_or_outsource"`` lets the router drop an order at the score
    of its best partner candidate, in cents (score / cost weight), so the router itself decides
    which orders the vans keep; orders without any partner candidate are mandatory (dropped
    only if no van can serve them). ``mode="vans_first"`` makes every other order cost far more
    to drop than any route change: the vans keep all they can, partners get the leftovers.
Answers (:class:`FleetPlan`)
    Per snapshot order: van, ETA (the start of service at the door; waiting for a window
    happens before it), promise window (ETA +/- the buffer of its service level, inside the
    window it is delivered in), marginal cost (what removing the stop saves on its route,
    fixed cost included for a single-stop route; never below zero), and CO2e (its route's
    distance x the carrier's g/km, shared equally by the route's stops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

from solver.domain import CarrierKind, Requirement, ServiceLevel, bit, capabilities_for
from solver.eligibility import within_hours
from solver.routing import (
    EngineName,
    Route,
    RoutingParams,
    RoutingPlan,
    RoutingProblem,
    insert,
    insertion_costs,
    solve,
)
from solver.routing import insert_profitable as routing_insert_profitable

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot

Mode = Literal["keep_or_outsource", "vans_first"]

_EARTH_RADIUS_M: Final = 6_371_000.0
#: First synthetic skill bit for (own carrier, origin site) groups; capabilities use bits 1-8.
_GROUP_BIT0: Final = 16
_MAX_GROUPS: Final = 64 - _GROUP_BIT0
#: Drop price in vans-first mode: far above any route change, so vans keep all they can.
_VANS_FIRST_DROP_CENTS: Final = 1_000_000

_DEFAULT_SERVICE_REQUIREMENT_S: Final = (
    (Requirement.AGE_VERIFICATION, 120),
    (Requirement.ID_CHECK, 120),
    (Requirement.COLD_CHAIN, 60),
    (Requirement.TWO_PERSON, 300),
    (Requirement.SIGNATURE_POD, 30),
    (Requirement.PHOTO_POD, 15),
    (Requirement.HAZMAT_CERT, 120),
)
_DEFAULT_PROMISE_BUFFER_S: Final = (
    (ServiceLevel.SAME_DAY, 1800),
    (ServiceLevel.SCHEDULED_WINDOW, 900),
    (ServiceLevel.NEXT_DAY, 3600),
    (ServiceLevel.STANDARD, 3600),
    (ServiceLevel.GREEN, 2700),
    (ServiceLevel.BULKY, 3600),
    (ServiceLevel.REGULATED, 1800),
    (ServiceLevel.REPLENISHMENT, 3600),
)


@dataclass(frozen=True, slots=True)
class FleetParams:
    """Estimates the contract leaves open; defaults are the service's.

    Attributes
    ----------
    speed_kmh
        One driving speed for all vans; ``None`` = the slowest own-fleet van's ``speed_kmh``.
    service_base_s, service_per_extra_parcel_s
        Time at the door for one parcel, and for each further parcel.
    service_requirement_s
        Extra time at the door per requirement (age check, two-person carry, ...).
    promise_buffer_s
        Half-width of the promise around the ETA, per service level.
    default_promise_buffer_s
        For service levels not listed.
    max_lateness_s
        With soft windows (lateness cost > 0): latest service start after the last window end.
    max_offered, offered_per_stop
        The router sees at most ``min(max_offered, offered_per_stop x the vans' stops)`` orders:
        those without a partner first, then by how much cheaper the van estimate is than the
        best partner (a big day keeps its routing model small; the rest go to partners).
    budget_s_per_pair
        Also at most ``sqrt(work_s / budget_s_per_pair)`` orders, so that building the
        L x L model (about 1 us per location pair here) leaves the search most of the budget.
    crowd_vans, max_crowd
        A fleet of more than ``crowd_vans`` vans counts each pair ``vans / crowd_vans`` times
        (at most ``max_crowd``): OR-Tools' first plan prices every order on every van, and
        1,500-1,900 orders on 50-75 vans found none in 2 s. Offering fewer orders, 5,000 orders
        on 500 vans delivered 4,891 on 83 routes (was 4,711 on 38), 10,000 on 2,000 vans 9,707
        on 87 (was 9,083 on 41); 200 vans cost 0.6 % more, 48 as the threshold 3 %.
    reference_orders
        A solution limit is meant for a problem of this many offered orders; a bigger one gets
        proportionally fewer solutions (to the power 1.5: each costs more than linearly more),
        at least 10, so the work, and with it the time, stays about the same per budget.
    """

    speed_kmh: float | None = None
    service_base_s: int = 120
    service_per_extra_parcel_s: int = 30
    service_requirement_s: tuple[tuple[Requirement, int], ...] = _DEFAULT_SERVICE_REQUIREMENT_S
    promise_buffer_s: tuple[tuple[ServiceLevel, int], ...] = _DEFAULT_PROMISE_BUFFER_S
    default_promise_buffer_s: int = 1800
    max_lateness_s: int = 1800
    max_offered: int = 2000
    offered_per_stop: int = 3
    budget_s_per_pair: float = 1e-6
    crowd_vans: int = 100
    max_crowd: float = 4.0
    reference_orders: int = 500

    def __post_init__(self) -> None:
        if self.speed_kmh is not None and not self.speed_kmh > 0:
            raise ValueError("Expected speed_kmh > 0 or None")
        if self.service_base_s < 0 or self.service_per_extra_parcel_s < 0:
            raise ValueError("Expected service_base_s >= 0 and service_per_extra_parcel_s >= 0")
        if any(s < 0 for _, s in self.service_requirement_s):
            raise ValueError("Expected service_requirement_s values >= 0")
        if any(s < 0 for _, s in self.promise_buffer_s) or self.default_promise_buffer_s < 0:
            raise ValueError("Expected promise buffers >= 0")
        if self.max_lateness_s < 0:
            raise ValueError("Expected max_lateness_s >= 0")
        if self.max_offered < 1 or self.offered_per_stop < 1:
            raise ValueError("Expected max_offered >= 1 and offered_per_stop >= 1")
        if self.crowd_vans < 1 or not self.max_crowd >= 1.0:
            raise ValueError("Expected crowd_vans >= 1 and max_crowd >= 1")


@dataclass(frozen=True, slots=True)
class FleetProblem:
    """A routing problem plus the maps back to the snapshot.

    ``order_idx[k]`` is the snapshot row of routing order ``k``; ``vehicle_idx[v]`` the fleet row
    of routing vehicle ``v``; routing times are seconds after ``origin_ts``.
    """

    problem: RoutingProblem | None  # None: no order or no usable van
    order_idx: np.ndarray  # int64[n]
    carrier_idx: np.ndarray  # int64[n] own carrier of each routing order
    vehicle_idx: np.ndarray  # int64[v]
    origin_ts: int
    mode: Mode


@dataclass(frozen=True, slots=True)
class Quotes:
    """What a van would cost for orders offered to the router but left off the vans, on the
    final routes (per snapshot order, length N; see :func:`quote_dropped`).

    ``quoted[i]``: asked for order i. ``cents[i]``: -1 when no van can take it (no route has
    the skills, room and time for it), -2 when not quoted (beyond the work limit); otherwise
    the money its route would cost more, with the van, the stop number it would be (1-based)
    of ``stops`` on that route, the extra distance, ETA, promise and CO2e (the extra distance
    x the carrier's g/km).
    """

    quoted: np.ndarray  # bool[N]
    carrier_idx: np.ndarray  # int64[N] the own carrier the order was offered to
    cents: np.ndarray  # int64[N]
    vehicle_idx: np.ndarray  # int64[N] fleet row
    stop: np.ndarray  # int64[N]
    stops: np.ndarray  # int64[N]
    extra_m: np.ndarray  # int64[N]
    eta_ts: np.ndarray  # int64[N]
    promise_start_ts: np.ndarray  # int64[N]
    promise_end_ts: np.ndarray  # int64[N]
    co2e_g: np.ndarray  # float64[N]


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """Routes of the own fleet and, per snapshot order (length N), what they mean for it.

    ``offered[i]``: the router could take order i; ``kept[i]``: a van serves it. Arrays hold -1
    where an order is not kept.
    """

    fleet_problem: FleetProblem
    plan: RoutingPlan | None
    offered: np.ndarray  # bool[N]
    kept: np.ndarray  # bool[N]
    carrier_idx: np.ndarray  # int64[N]
    vehicle_idx: np.ndarray  # int64[N]
    eta_ts: np.ndarray  # int64[N]
    promise_start_ts: np.ndarray  # int64[N]
    promise_end_ts: np.ndarray  # int64[N]
    marginal_cents: np.ndarray  # int64[N]
    co2e_g: np.ndarray  # float64[N]
    stop_of: dict[int, tuple[int, int]] = field(repr=False)  # order -> (route k, stop j)
    quotes: Quotes | None = None

    @property
    def routes(self) -> tuple[Route, ...]:
        """Routes in routing indices (see :meth:`vehicle_of` and :meth:`order_of`)."""
        return self.plan.routes if self.plan is not None else ()

    def vehicle_of(self, route: Route) -> int:
        """Fleet row of a route's van."""
        return int(self.fleet_problem.vehicle_idx[route.vehicle_idx])

    def order_of(self, routing_order: int) -> int:
        """Snapshot row of a routing order."""
        return int(self.fleet_problem.order_idx[routing_order])

    @property
    def route_cost_cents(self) -> int:
        """Sum of the route costs."""
        return sum(r.cost for r in self.routes)

    def ts(self, routing_s: int) -> int:
        """Routing clock to UTC epoch seconds."""
        return self.fleet_problem.origin_ts + int(routing_s)

    @property
    def status(self) -> str:
        """The router's status, ``"SKIPPED"`` when there was nothing to route."""
        return self.plan.status if self.plan is not None else "SKIPPED"

    @property
    def engine(self) -> str:
        """The engine that produced the routes ("" when nothing was routed)."""
        return self.plan.engine if self.plan is not None else ""


# --------------------------------------------------------------------------------------------
# Problem


def _haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dphi = p2 - p1
    dlam = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    out: np.ndarray = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def own_carriers(snapshot: Snapshot) -> np.ndarray:
    """bool[C]: the own-fleet carriers."""
    mask: np.ndarray = snapshot.carriers.kind == int(CarrierKind.OWN_FLEET)
    return mask


def best_partner(scores: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per order its best partner column (-1 = none) and that score (inf = none)."""
    partner = np.where(own[None, :], np.inf, scores)
    if partner.shape[1] == 0:
        n = partner.shape[0]
        return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    col = np.argmin(partner, axis=1)
    best = partner[np.arange(partner.shape[0]), col]
    return np.where(np.isfinite(best), col, -1).astype(np.int64), best


def service_time_s(snapshot: Snapshot, eligibility: Eligibility, params: FleetParams) -> np.ndarray:
    """int64[N]: time at the door from parcel count and requirements."""
    parcels = np.maximum(snapshot.orders.parcel_count.astype(np.int64), 1)
    out = params.service_base_s + params.service_per_extra_parcel_s * (parcels - 1)
    req = eligibility.requirement_bits.astype(np.int64)
    for requirement, extra in params.service_requirement_s:
        out = out + np.where((req & bit(requirement)) != 0, extra, 0)
    return np.asarray(out, dtype=np.int64)


def _windows(snapshot: Snapshot, i: int, origin_ts: int, horizon: int) -> list[tuple[int, int]]:
    """Sorted, merged windows of order i on the routing clock from 0, up to the first one that
    opens after ``horizon`` (kept so that lateness never runs into the gap before it)."""
    o = snapshot.orders
    if o.deadline_ts[i] >= 0:  # a deadline is the window [promise start, deadline]
        raw = [(int(o.promise_start_ts[i]) - origin_ts, int(o.deadline_ts[i]) - origin_ts)]
    else:
        a, b = int(o.window_offsets[i]), int(o.window_offsets[i + 1])
        raw = sorted(
            (int(s) - origin_ts, int(e) - origin_ts)
            for s, e in zip(o.window_start_ts[a:b], o.window_end_ts[a:b], strict=True)
        )
    merged: list[tuple[int, int]] = []
    for s, e in raw:
        if e < 0 or e < s:
            continue
        if s > horizon:  # keep the first window after every shift: no lateness across the gap
            if merged:
                merged.append((s, e))
            break
        s = max(s, 0)
        if merged and s <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def build_problem(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    orders: np.ndarray,
    mode: Mode = "keep_or_outsource",
    params: FleetParams | None = None,
    max_orders: int | None = None,
) -> FleetProblem:
    """The routing problem for the own fleet over the candidate ``orders``.

    Parameters
    ----------
    snapshot, eligibility, prices
        The request, its eligibility and its price table.
    scores
        float64[N, C] objective per pair (``assign.score``), inf where impossible.
    orders
        bool[N]: orders that may ride on a van (e.g. all, or the greedy's own-fleet orders).
    mode
        ``"keep_or_outsource"`` (drop at the best partner's score) or ``"vans_first"``.
    params
        Service-time, speed and promise estimates.
    max_orders
        Offer at most this many orders (on top of the limits in ``params``).

    Returns
    -------
    FleetProblem
        ``problem`` is None when no order or no van is left to route.

    Raises
    ------
    ValueError
        If ``scores`` or ``orders`` have the wrong shape.
    """
    params = params or FleetParams()
    n, n_carriers = snapshot.orders.count, snapshot.carriers.count
    if scores.shape != (n, n_carriers):
        raise ValueError(f"Expected scores of shape {(n, n_carriers)}, got {scores.shape}")
    if orders.shape != (n,):
        raise ValueError(f"Expected orders of shape ({n},), got {orders.shape}")
    fleet, sites, o = snapshot.fleet, snapshot.sites, snapshot.orders
    origin_ts = int(snapshot.now_ts)
    own = own_carriers(snapshot)
    empty = np.zeros(0, dtype=np.int64)

    # Own carrier per order: the best-scoring possible own pair.
    own_scores = np.where(own[None, :], scores, np.inf)
    own_possible = np.isfinite(own_scores) & (prices.reason == 0) & (eligibility.reason == 0)
    own_scores = np.where(own_possible, own_scores, np.inf)
    own_col = np.argmin(own_scores, axis=1) if n_carriers else np.zeros(n, dtype=np.int64)
    candidate = orders & (own_possible.any(axis=1) if n_carriers else np.zeros(n, dtype=bool))

    # Vans: start no earlier than now + lead time; drop vans with no time left.
    lead = snapshot.carriers.lead_time_s[fleet.carrier_idx] if fleet.count else empty
    start_ts = np.maximum(fleet.shift_start_ts, origin_ts + lead)
    usable = (fleet.shift_end_ts > start_ts) & own[fleet.carrier_idx]
    vans = np.flatnonzero(usable).astype(np.int64)
    groups: dict[tuple[int, int], int] = {}
    for v in vans.tolist():
        key = (int(fleet.carrier_idx[v]), int(fleet.start_site_idx[v]))
        if key not in groups and len(groups) < _MAX_GROUPS:
            groups[key] = _GROUP_BIT0 + len(groups)

    horizon = int(fleet.shift_end_ts[vans].max()) - origin_ts if vans.size else 0
    stops = int(np.where(fleet.capacity_stops[vans] > 0, fleet.capacity_stops[vans], 100).sum())
    limit = min(params.max_offered, params.offered_per_stop * max(stops, 1))
    if max_orders is not None:
        limit = min(limit, max(max_orders, 0))
    if int(candidate.sum()) > limit:
        _, partner_score = best_partner(scores, own)
        finite = np.isfinite(partner_score)
        advantage = np.full(n, -np.inf)
        advantage[finite] = own_scores.min(axis=1)[finite] - partner_score[finite]
        ranked = np.flatnonzero(candidate)[np.argsort(advantage[candidate], kind="stable")]
        candidate = np.zeros(n, dtype=bool)
        candidate[ranked[:limit]] = True
    rows: list[int] = []
    order_windows: list[list[tuple[int, int]]] = []
    order_group: list[int] = []
    for i in np.flatnonzero(candidate).tolist():
        key = (int(own_col[i]), int(o.origin_site_idx[i]))
        wins = _windows(snapshot, i, origin_ts, horizon)
        wins = within_hours(wins, snapshot, eligibility, i, origin_ts)  # regulated goods
        if key not in groups or not wins:
            continue
        rows.append(i)
        order_windows.append(wins)
        order_group.append(groups[key])
    idx = np.asarray(rows, dtype=np.int64)
    if not rows or not vans.size:
        return FleetProblem(None, idx, own_col[idx].astype(np.int64), vans, origin_ts, mode)

    # Locations: the vans' depot sites, then one per order.
    depot_sites = sorted({*fleet.start_site_idx[vans].tolist(), *fleet.end_site_idx[vans].tolist()})
    site_loc = {s: k for k, s in enumerate(depot_sites)}
    lat = np.concatenate([sites.lat[depot_sites], o.lat[idx]])
    lon = np.concatenate([sites.lon[depot_sites], o.lon[idx]])
    metres = _haversine_m(lat, lon, lat, lon) * snapshot.options.circuity
    np.fill_diagonal(metres, 0.0)
    speed = params.speed_kmh or float(np.min(fleet.speed_kmh[vans]))
    distance_m = np.ceil(metres).astype(np.int64)
    travel_s = np.ceil(metres / (speed / 3.6)).astype(np.int64)
    matrix = snapshot.matrix
    if matrix is not None:  # the caller's road network wherever it covers both ends
        row = np.concatenate(
            [np.asarray(matrix.site_row)[depot_sites], np.asarray(matrix.order_row)[idx]]
        ).astype(np.int64)
        known = np.flatnonzero(row >= 0)
        sub = np.ix_(known, known)
        road = matrix.distances_m[np.ix_(row[known], row[known])].astype(np.int64)
        distance_m[sub] = road
        if matrix.durations_s.shape == matrix.distances_m.shape:
            travel_s[sub] = matrix.durations_s[np.ix_(row[known], row[known])]
        else:
            travel_s[sub] = np.ceil(road / (speed / 3.6)).astype(np.int64)
        np.fill_diagonal(distance_m, 0)
        np.fill_diagonal(travel_s, 0)

    # Vehicles
    n_veh = vans.size
    shift_start = (start_ts[vans] - origin_ts).astype(np.int64)
    shift_end = (fleet.shift_end_ts[vans] - origin_ts).astype(np.int64)
    skills = fleet.skill_bits[vans].astype(np.uint64).copy()
    for k, v in enumerate(vans.tolist()):
        key = (int(fleet.carrier_idx[v]), int(fleet.start_site_idx[v]))
        if key in groups:
            skills[k] |= np.uint64(1 << groups[key])
    stops_cap = np.where(fleet.capacity_stops[vans] > 0, fleet.capacity_stops[vans], len(rows))
    capacity = np.column_stack(
        [
            np.floor(fleet.capacity_kg[vans] * 1000).astype(np.int64),
            np.floor(fleet.capacity_l[vans] * 1000).astype(np.int64),
            stops_cap.astype(np.int64),
        ]
    )
    brk_start = np.full(n_veh, -1, dtype=np.int64)
    brk_end = np.full(n_veh, -1, dtype=np.int64)
    brk_dur = np.zeros(n_veh, dtype=np.int64)
    for k, v in enumerate(vans.tolist()):
        bs, be, bd = int(fleet.break_start_ts[v]), int(fleet.break_end_ts[v]), int(fleet.break_s[v])
        if bs < 0 or bd <= 0:
            continue
        bs, be = max(bs - origin_ts, 0), be - origin_ts
        if be - bs >= bd:
            brk_start[k], brk_end[k], brk_dur[k] = bs, be, bd

    # Orders
    offsets = np.cumsum([0] + [len(w) for w in order_windows]).astype(np.int64)
    w_start = np.array([s for w in order_windows for s, _ in w], dtype=np.int64)
    w_end = np.array([e for w in order_windows for _, e in w], dtype=np.int64)
    demand = np.column_stack(
        [
            np.ceil(o.weight_kg[idx] * 1000).astype(np.int64),
            np.ceil(o.volume_l[idx] * 1000).astype(np.int64),
            np.ones(len(rows), dtype=np.int64),
        ]
    )
    required = np.array(
        [capabilities_for(int(eligibility.requirement_bits[i])) for i in rows], dtype=np.uint64
    )
    required |= np.array([1 << g for g in order_group], dtype=np.uint64)
    ride = eligibility.max_ride_s[idx].astype(np.int64)
    ride = np.where(ride > 0, ride, 0).astype(np.int64)
    _, partner_score = best_partner(scores[idx], own)
    weight = snapshot.options.cost_weight
    cents = partner_score / weight if weight > 0 else partner_score
    if mode == "vans_first":
        cents = np.where(np.isfinite(cents), _VANS_FIRST_DROP_CENTS, np.inf)
    outsource = np.where(np.isfinite(cents), np.rint(np.maximum(cents, 0)), -1).astype(np.int64)
    problem = RoutingProblem(
        travel_s=travel_s,
        distance_m=distance_m,
        vehicle_start_loc=np.array(
            [site_loc[int(s)] for s in fleet.start_site_idx[vans]], dtype=np.int64
        ),
        vehicle_end_loc=np.array(
            [site_loc[int(s)] for s in fleet.end_site_idx[vans]], dtype=np.int64
        ),
        shift_start_s=shift_start,
        shift_end_s=shift_end,
        vehicle_capacity=capacity,
        vehicle_skills=skills,
        fixed_cost=fleet.fixed_cost_cents[vans].astype(np.int64),
        cost_per_km=fleet.cost_per_km_cents[vans].astype(np.int64),
        cost_per_hour=fleet.cost_per_hour_cents[vans].astype(np.int64),
        max_duration_s=np.maximum(fleet.max_duration_s[vans], 0).astype(np.int64),
        break_start_s=brk_start,
        break_end_s=brk_end,
        break_duration_s=brk_dur,
        order_loc=np.arange(len(depot_sites), len(depot_sites) + len(rows), dtype=np.int64),
        order_demand=demand,
        service_s=service_time_s(snapshot, eligibility, params)[idx],
        window_offsets=offsets,
        window_start_s=w_start,
        window_end_s=w_end,
        required_skills=required,
        max_ride_s=ride,
        outsource_cost=outsource,
        lateness_cost_per_min=max(0, round(snapshot.options.lateness_cents_per_min)),
        max_lateness_s=params.max_lateness_s,
        hard_windows=eligibility.restricted_hours[idx],  # late would be unlawful, not dearer
        co2e_cost_per_km=co2e_cost_per_km(snapshot, vans),
    )
    return FleetProblem(problem, idx, own_col[idx].astype(np.int64), vans, origin_ts, mode)


def co2e_cost_per_km(snapshot: Snapshot, vans: np.ndarray) -> np.ndarray:
    """int64[V] hundredths of a cent per km: the emissions weight on each van's g CO2e per km,
    in the units of the drop prices (scores divided by the cost weight), so the router weighs a
    van's emissions as the score weighs a partner's."""
    options = snapshot.options
    g_per_km = snapshot.carriers.emissions_g_per_km[snapshot.fleet.carrier_idx[vans]]
    cents = options.emissions_cents_per_kg * g_per_km / 1000.0
    if options.cost_weight > 0:
        cents = cents / options.cost_weight
    out: np.ndarray = np.rint(np.maximum(cents, 0.0) * 100.0).astype(np.int64)
    return out


# --------------------------------------------------------------------------------------------
# Solve and read back


def scaled_solution_limit(limit: int, offered: int, params: FleetParams) -> int:
    """``limit`` for a problem of ``params.reference_orders``; fewer for bigger ones, at least
    ``min(limit, 10)`` (0 = no limit stays 0)."""
    if limit <= 0 or offered <= params.reference_orders:
        return limit
    scaled = round(limit * math.pow(params.reference_orders / offered, 1.5))
    return max(min(limit, 10), scaled)


def offered_limit(snapshot: Snapshot, work_s: float, params: FleetParams) -> int:
    """How many orders the router may be offered for `work_s` seconds of planned work (see
    `FleetParams.budget_s_per_pair` and `crowd_vans`)."""
    vans = int(own_carriers(snapshot)[snapshot.fleet.carrier_idx].sum())
    crowd = min(params.max_crowd, max(1.0, vans / params.crowd_vans))
    return math.isqrt(int(work_s / (params.budget_s_per_pair * crowd)))


def route(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    orders: np.ndarray,
    *,
    time_limit_s: float,
    mode: Mode = "keep_or_outsource",
    solution_limit: int = 0,
    engine: EngineName = "auto",
    polish: bool = True,
    params: FleetParams | None = None,
    work_s: float | None = None,
) -> FleetPlan:
    """Route the own fleet over ``orders`` and read the plan back per snapshot order.

    Parameters
    ----------
    snapshot, eligibility, prices, scores, orders, mode, params
        As for :func:`build_problem`.
    time_limit_s
        Wall-clock budget of the routing call.
    solution_limit
        ``> 0``: stop deterministically after that many solutions (see ``RoutingParams``),
        scaled down for problems above ``params.reference_orders`` offered orders.
    engine
        Routing engine; ``"auto"`` picks by the features the problem uses.
    polish
        Drop stops and routes that cost more than their partner prices after the search.
    work_s
        The planned routing time, from the request's budget rather than the clock, so the
        offered orders (and the plan) do not depend on how busy the machine is; None =
        ``time_limit_s``.

    Returns
    -------
    FleetPlan
        Routes and per-order van, ETA, promise, marginal cost and CO2e.

    Raises
    ------
    ValueError
        If shapes are wrong or the time limit is not positive.
    """
    params = params or FleetParams()
    work = time_limit_s if work_s is None else work_s
    max_orders = offered_limit(snapshot, work, params)
    fp = build_problem(snapshot, eligibility, prices, scores, orders, mode, params, max_orders)
    plan = None
    if fp.problem is not None:
        routing = RoutingParams(
            time_limit_s=time_limit_s,
            seed=max(snapshot.options.seed, 0),
            solution_limit=scaled_solution_limit(solution_limit, fp.problem.num_orders, params),
            engine=engine,
            polish=polish,
        )
        plan = solve(fp.problem, routing)
    return _read_back(snapshot, eligibility, fp, plan, params)


def insert_profitable(
    snapshot: Snapshot,
    eligibility: Eligibility,
    plan: FleetPlan,
    *,
    time_limit_s: float,
    max_orders: int | None = None,
    params: FleetParams | None = None,
) -> FleetPlan:
    """Dropped orders onto the vans wherever that costs less than their drop price (the best
    partner's score), `routing.insert_profitable`. Returns ``plan`` itself when nothing moves."""
    fp = plan.fleet_problem
    if plan.plan is None or fp.problem is None or not plan.plan.dropped:
        return plan
    new = routing_insert_profitable(fp.problem, plan.plan, time_limit_s, max_orders)
    if new is plan.plan:
        return plan
    return _read_back(snapshot, eligibility, fp, new, params or FleetParams())


def insert_orders(
    snapshot: Snapshot,
    eligibility: Eligibility,
    plan: FleetPlan,
    rows: np.ndarray,
    *,
    time_limit_s: float,
    params: FleetParams | None = None,
) -> FleetPlan:
    """Insert offered-but-dropped orders (snapshot ``rows``) at their cheapest feasible place.

    For orders the router left to partners that no partner could take after all; the ones
    that fit nowhere stay off the vans. Returns ``plan`` itself when nothing changes.
    """
    fp = plan.fleet_problem
    if plan.plan is None or fp.problem is None or not rows.size:
        return plan
    position = {int(i): k for k, i in enumerate(fp.order_idx.tolist())}
    routing_orders = [position[int(i)] for i in rows.tolist() if int(i) in position]
    new = insert(fp.problem, plan.plan, routing_orders, time_limit_s)
    if new is plan.plan:
        return plan
    return _read_back(snapshot, eligibility, fp, new, params or FleetParams())


def _promise(problem: RoutingProblem, ro: int, at: int, buffer_s: int) -> tuple[int, int]:
    """ETA +/- the buffer, inside the window the stop is served in (routing clock)."""
    lo, hi = at - buffer_s, at + buffer_s
    a, b = int(problem.window_offsets[ro]), int(problem.window_offsets[ro + 1])
    for ws, we in zip(problem.window_start_s[a:b], problem.window_end_s[a:b], strict=True):
        if ws <= at <= we:
            return max(lo, int(ws)), min(hi, int(we))
    return lo, hi


def quote_dropped(
    snapshot: Snapshot,
    eligibility: Eligibility,
    plan: FleetPlan,
    scores: np.ndarray,
    rows: np.ndarray,
    max_orders: int | None = None,
    params: FleetParams | None = None,
    time_limit_s: float | None = None,
) -> FleetPlan:
    """``plan`` with :class:`Quotes` for the snapshot ``rows`` (own-fleet pair possible) not
    kept: the first ``max_orders`` the router had, each at its cheapest feasible place on the
    final routes (``routing.insertion_costs``); the others marked not quoted (``cents`` -2:
    beyond that limit or the time limit, or never routable: no van loaded at its site or
    working in its windows, or beyond what one routing run takes). So an own-fleet candidate
    never shows the pre-route estimate once routes exist. ``scores`` name the own carrier of
    orders not routed."""
    fp = plan.fleet_problem
    if plan.plan is None or fp.problem is None:
        return plan
    params = params or FleetParams()
    n = snapshot.orders.count
    position = {int(i): k for k, i in enumerate(fp.order_idx.tolist())}
    wanted = [i for i in rows.tolist() if not plan.kept[i]]
    routed = [i for i in wanted if i in position]
    cut = len(routed) if max_orders is None else max_orders
    quote = insertion_costs(
        fp.problem, plan.plan, [position[i] for i in routed[:cut]], time_limit_s=time_limit_s
    )
    cut = len(quote.orders)  # the clock may have stopped it early
    rest = np.array(routed[cut:] + [i for i in wanted if i not in position], dtype=np.int64)
    rows = np.array(routed[:cut], dtype=np.int64)
    quoted = np.zeros(n, dtype=bool)
    quoted[rows] = True
    quoted[rest] = True
    own = np.full(n, -1, dtype=np.int64)
    own[rows] = fp.carrier_idx[[position[i] for i in rows.tolist()]]
    if rest.size:  # not in the routing problem: its best-scoring own carrier
        own_cols = np.flatnonzero(own_carriers(snapshot))
        own[rest] = own_cols[np.argmin(scores[np.ix_(rest, own_cols)], axis=1)]
    names = ("cents", "vehicle", "stop", "stops", "extra", "eta", "start", "end")
    ints = {k: np.full(n, -1, dtype=np.int64) for k in names}
    ints["cents"][rest] = -2
    co2e = np.zeros(n, dtype=np.float64)
    stops_on = {r.vehicle_idx: len(r.stops) for r in plan.plan.routes}
    buffers: dict[int, int] = {int(k): v for k, v in params.promise_buffer_s}
    g_per_km = snapshot.carriers.emissions_g_per_km
    for q, i in enumerate(rows.tolist()):
        v = int(quote.vehicle[q])
        if v < 0:
            continue
        at = int(quote.start_s[q])
        buf = buffers.get(int(eligibility.service_level[i]), params.default_promise_buffer_s)
        lo, hi = _promise(fp.problem, int(quote.orders[q]), at, buf)
        van = int(fp.vehicle_idx[v])
        ints["cents"][i] = max(0, int(quote.cents[q]))
        ints["vehicle"][i] = van
        ints["stop"][i] = int(quote.position[q]) + 1
        ints["stops"][i] = stops_on.get(v, 0) + 1
        ints["extra"][i] = int(quote.distance_m[q])
        ints["eta"][i], ints["start"][i], ints["end"][i] = (
            fp.origin_ts + at, fp.origin_ts + lo, fp.origin_ts + hi,
        )  # fmt: skip
        carrier = int(snapshot.fleet.carrier_idx[van])
        co2e[i] = max(0, int(quote.distance_m[q])) / 1000.0 * float(g_per_km[carrier])
    quotes = Quotes(
        quoted=quoted,
        carrier_idx=own,
        cents=ints["cents"],
        vehicle_idx=ints["vehicle"],
        stop=ints["stop"],
        stops=ints["stops"],
        extra_m=ints["extra"],
        eta_ts=ints["eta"],
        promise_start_ts=ints["start"],
        promise_end_ts=ints["end"],
        co2e_g=co2e,
    )
    return replace(plan, quotes=quotes)


def _read_back(
    snapshot: Snapshot,
    eligibility: Eligibility,
    fp: FleetProblem,
    plan: RoutingPlan | None,
    params: FleetParams,
) -> FleetPlan:
    n = snapshot.orders.count
    offered = np.zeros(n, dtype=bool)
    offered[fp.order_idx] = fp.problem is not None
    kept = np.zeros(n, dtype=bool)
    carrier = np.full(n, -1, dtype=np.int64)
    vehicle = np.full(n, -1, dtype=np.int64)
    eta = np.full(n, -1, dtype=np.int64)
    p_start = np.full(n, -1, dtype=np.int64)
    p_end = np.full(n, -1, dtype=np.int64)
    marginal = np.full(n, -1, dtype=np.int64)
    co2e = np.zeros(n, dtype=np.float64)
    stop_of: dict[int, tuple[int, int]] = {}
    buffers: dict[int, int] = {int(k): v for k, v in params.promise_buffer_s}
    default_buf = params.default_promise_buffer_s
    if plan is not None and fp.problem is not None:
        prob = fp.problem
        g_per_km = snapshot.carriers.emissions_g_per_km
        for k, r in enumerate(plan.routes):
            v = int(fp.vehicle_idx[r.vehicle_idx])
            route_g = r.distance_m / 1000.0 * float(g_per_km[int(snapshot.fleet.carrier_idx[v])])
            for j, stop in enumerate(r.stops):
                ro = stop.order_idx
                i = int(fp.order_idx[ro])
                kept[i] = True
                stop_of[i] = (k, j)
                carrier[i] = int(snapshot.fleet.carrier_idx[v])
                vehicle[i] = v
                at = stop.start_s
                eta[i] = fp.origin_ts + at
                buf = buffers.get(int(eligibility.service_level[i]), default_buf)
                lo, hi = _promise(prob, ro, at, buf)
                p_start[i], p_end[i] = fp.origin_ts + lo, fp.origin_ts + hi
                marginal[i] = max(0, int(plan.marginal_cost[ro]))
                co2e[i] = route_g / len(r.stops)
    return FleetPlan(
        fleet_problem=fp,
        plan=plan,
        offered=offered,
        kept=kept,
        carrier_idx=carrier,
        vehicle_idx=vehicle,
        eta_ts=eta,
        promise_start_ts=p_start,
        promise_end_ts=p_end,
        marginal_cents=marginal,
        co2e_g=co2e,
        stop_of=stop_of,
    )
