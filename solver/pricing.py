"""Pricing: what each order x carrier pair costs, when it arrives and what we can promise.

Stage `price(snapshot, eligibility) -> PriceTable`. The numbers come from one numba kernel
(`solver.kernels.price`); this module turns the snapshot into carrier-contiguous tables, and
explains prices (`breakdowns`, `breakdown`) by rerunning the kernel with its components kept.

Semantics (the contract in `types.proto`, plus the decisions it leaves open):

Distance and time
    `distance_m` = the request's road matrix entry (origin site -> order) when the request has a
    `matrix` naming both, else haversine(origin site, destination) x `options.circuity`, rounded
    to the metre; the same for every carrier of an order (matrix durations are not used: each
    carrier drives at its own speed). Travel time = ceil(distance / speed), speed
    `Carrier.speed_kmh` (van speed for the own fleet), <= 0 meaning `default_speed_kmh`.
    Handover = the first moment at or after `now` when the origin site is open (always open
    without opening hours); a site that never opens again makes the order WINDOW_UNREACHABLE.
Same day and cut-off
    "Today" ends at the next local midnight (`Snapshot.next_midnight_ts`). A carrier does
    same-day deliveries when `same_day_cutoff_s >= 0` and the local time of `now` is at or
    before it. Otherwise an
    order whose whole promise ends today is PAST_CUTOFF, and any other order cannot arrive
    before tomorrow's local midnight. The same rule holds for the own fleet.
ETA
    Partners: earliest = handover + lead time + travel. The ETA is the earliest moment >= that
    inside the first promise window that still has room (windows are half-open [start, end); a
    deadline d is the window [promise_start, d], inclusive) and inside the carrier's delivery
    hours: `PricingParams.partner_hours` (local, default 08:00-20:00) for partners without
    slots, the slot for partners with slots; none -> WINDOW_UNREACHABLE. A national carrier
    with a 20 h lead time therefore delivers tomorrow from 08:00, never at night.
Allowed delivery hours (regulated goods)
    `Eligibility.delivery_from_s` / `delivery_to_s`: local seconds of the day [from, to) in
    which the order may be delivered (the rules' `set_delivery_hours`, e.g. alcohol 08-22),
    the whole day otherwise. Every ETA search (partner, slot, van) only accepts moments inside
    both these hours and the carrier's own delivery hours, on any day of the order's windows;
    when no such moment exists the pair is WINDOW_UNREACHABLE (as when the carrier's and the
    order's hours do not overlap at all). The promise of such an order is also clipped to the
    allowed hours of the ETA's local day (see Promise).
    Own fleet: per van with the order's capabilities (`Fleet.skill_bits`) and room for its
    weight and volume, earliest = max(handover + lead time, shift start) + travel at the van's
    speed, and the ETA must be at or before the shift end; the earliest van wins. No such van
    -> NO_VEHICLE_FITS. Vans are assumed to load at the order's origin site (routing replaces
    this estimate).
Slots
    A carrier with `has_slots` must deliver inside one of its slots of the order's zone: the ETA
    becomes the earliest moment inside a window, a slot and (own fleet) a shift. Slots without
    room for this order alone (remaining_orders < 1 or remaining_weight_kg < its weight) are
    skipped. If none fits: CAPACITY_EXHAUSTED when a full slot would have fitted in time, else
    NO_SLOT. One slot per pair: the earliest; the optimiser may try the others
    (`solver.optimize`).
Promise
    buffer = `promise_buffer_base_s` + (1 - reliability) x `promise_buffer_unreliability_s`.
    If ETA + buffer still falls inside the customer's window (for a deadline order: at or before
    the deadline), the promise is that window ([promise start, deadline] for deadlines). If not,
    it is [ETA - buffer, ETA + buffer] clipped to the window start, the order's last
    acceptable time and the carrier's delivery period (its slot, or that day's delivery hours),
    so we never promise more precision than the carrier delivers. An order with allowed
    delivery hours then has its promise clipped to those hours on the ETA's local day (local
    = `Snapshot.clock`, daylight saving included). The ETA always lies in the promise.
Rate card (partners), every line rounded half up to the cent, so lines sum exactly:
    BASE; DISTANCE = sum over bands of per-km x km inside the band, km beyond the last bounded
    band at the last band's rate; WEIGHT = the flat charge of the first tier whose bound is >=
    the chargeable weight max(kg, litres x 1000 / dim_divisor); above the last bounded tier
    the card has no price for the parcel -> OVER_WEIGHT_LIMIT (no tiers = no weight charge);
    ZONE surcharge of the order's zone; SAME_DAY premium when the promise ends today; WINDOW
    premium when the order was promised windows and the one used is shorter than 24 h; PEAK =
    subtotal x (multiplier - 1) for the first peak entry matching the ETA's local ISO weekday
    and hour (local time of the ETA, `Snapshot.clock`); FUEL = % of the subtotal after peaks;
    MINIMUM tops the subtotal up to the minimum charge; then ADDON_<CAPABILITY> once per
    capability the order's requirements need (ID check and age verification share one).
    A carrier without a rate card, or whose card is in another currency than the request's,
    is NO_RATE_CARD (no conversion).
Own fleet (before routing), lines ROUTE_STOP and ROUTE_KM from the averages over the carrier's
    vans: ROUTE_STOP = hourly cost x (service time + an inter-stop leg at average speed) + fixed
    cost / stops capacity; ROUTE_KM = cost per km x 2 x distance x `own_stem_share` (a stop's
    share of the out-and-back drive from the depot).
Impossible pairs carry their reason and -1 in price, ETA, promise and slot; distance and
    CO2e (`emissions_g_per_km` x km) are filled for every pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from solver.domain import CAPABILITY_FOR_REQUIREMENT, Capability, CarrierKind, bit
from solver.kernels import price as kernel

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.snapshot import Fleet, RateCards, Snapshot

COMPONENT_CODES: tuple[str, ...] = (
    "BASE",
    "DISTANCE",
    "WEIGHT",
    "ZONE",
    "SAME_DAY",
    "WINDOW",
    "PEAK",
    "FUEL",
    "MINIMUM",
    *(f"ADDON_{Capability(v).name}" for v in range(1, 9)),
    "ROUTE_STOP",
    "ROUTE_KM",
)
assert len(COMPONENT_CODES) == kernel.N_COMPONENTS


@dataclass(frozen=True, slots=True)
class PricingParams:
    """Estimates the contract leaves open. Defaults are the service's."""

    default_speed_kmh: float = 25.0
    promise_buffer_base_s: int = 1800
    promise_buffer_unreliability_s: int = 14_400
    own_service_s: int = 300
    own_inter_stop_km: float = 2.0
    own_stem_share: float = 0.25
    # Local hours [from, to) in which partners without slots deliver (slots and van shifts
    # bound the others); the contract has no per-carrier field for it.
    partner_hours: tuple[int, int] = (8, 20)

    def __post_init__(self) -> None:
        if not self.default_speed_kmh > 0:
            raise ValueError("Expected default_speed_kmh > 0")
        if self.promise_buffer_base_s < 0 or self.promise_buffer_unreliability_s < 0:
            raise ValueError("Expected promise buffers >= 0")
        if self.own_service_s < 0 or self.own_inter_stop_km < 0:
            raise ValueError("Expected own_service_s >= 0 and own_inter_stop_km >= 0")
        if not 0 <= self.own_stem_share <= 1:
            raise ValueError("Expected 0 <= own_stem_share <= 1")
        h_from, h_to = self.partner_hours
        if not 0 <= h_from < h_to <= 24:
            raise ValueError("Expected partner_hours (from, to) with 0 <= from < to <= 24")


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Every order x carrier pair priced; [N, C] matrices (see the module docstring).

    `reason[i, c] == 0` marks a possible pair. `inputs` are the kernel tables it was computed
    from, kept so `breakdowns` reruns the very same kernel.
    """

    price_cents: np.ndarray  # int64[N, C], -1 where impossible
    eta_ts: np.ndarray  # int64[N, C]
    promise_start_ts: np.ndarray  # int64[N, C]
    promise_end_ts: np.ndarray  # int64[N, C]
    co2e_g: np.ndarray  # float64[N, C]
    distance_m: np.ndarray  # int64[N, C]
    slot_idx: np.ndarray  # int64[N, C], -1 = no slot
    reason: np.ndarray  # int64[N, C], 0 = possible
    inputs: kernel.PriceInputs = field(repr=False)

    def __post_init__(self) -> None:
        for name in (
            "price_cents", "eta_ts", "promise_start_ts", "promise_end_ts", "co2e_g",
            "distance_m", "slot_idx", "reason",
        ):  # fmt: skip
            value = getattr(self, name)
            value.setflags(write=False)

    @property
    def possible(self) -> np.ndarray:
        """bool[N, C]: the pair can be served."""
        return np.asarray(self.reason == 0, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One line of a price; the lines of a pair sum exactly to its price."""

    code: str
    description: str
    cents: int


def _mean(values: np.ndarray) -> float:
    """Order-independent mean (fsum), so references reproduce it bit for bit."""
    return math.fsum(float(v) for v in values) / len(values) if len(values) else 0.0


def _speed_div(speed_kmh: np.ndarray, default_kmh: float) -> np.ndarray:
    """Travel seconds = distance_m * 3600 / div; div = speed in m per hour."""
    speed = np.where(speed_kmh > 0, speed_kmh, default_kmh).astype(np.float64)
    return np.asarray(speed * 1000.0, dtype=np.float64)


def required_capabilities(requirement_bits: np.ndarray) -> np.ndarray:
    """int64[N] capability bits the carrier (or van) needs for each order's requirements."""
    req = np.asarray(requirement_bits, dtype=np.int64)
    caps = np.zeros(req.shape, dtype=np.int64)
    for requirement, capability in CAPABILITY_FOR_REQUIREMENT.items():
        caps |= np.where(req & bit(requirement), bit(capability), 0)
    return caps


def _effective_windows(snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order windows as one half-open CSR; a deadline d is [promise_start, d + 1)."""
    o = snapshot.orders
    n = o.count
    counts = np.diff(o.window_offsets)
    has = counts > 0
    new_counts = np.where(has, counts, 1)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(new_counts, out=off[1:])
    owner = np.repeat(np.arange(n, dtype=np.int64), new_counts)
    j = np.arange(int(off[-1]), dtype=np.int64) - off[owner]
    start = o.promise_start_ts[owner].astype(np.int64)
    end = o.promise_end_ts[owner].astype(np.int64) + 1
    if len(o.window_start_ts):
        src = np.minimum(o.window_offsets[owner] + j, len(o.window_start_ts) - 1)
        mask = has[owner]
        start = np.where(mask, o.window_start_ts[src], start)
        end = np.where(mask, o.window_end_ts[src], end)
    return off, start, end


def _padded(
    offsets: np.ndarray, values: np.ndarray, cards: np.ndarray, width: int, fill: float
) -> np.ndarray:
    """Ragged per-card lists as a [C, width] block, one row per carrier (-1 card = empty)."""
    table = np.full((len(cards), width), fill, dtype=np.float64)
    for c, r in enumerate(cards):
        if r >= 0:
            count = offsets[r + 1] - offsets[r]
            table[c, :count] = values[offsets[r] : offsets[r + 1]]
    return table


def _peak_hours(rc: RateCards, cards: np.ndarray) -> np.ndarray:
    """[C, 168]: the first peak entry of the carrier's card matching each local hour of the
    week (Monday 00:00 = 0), -1 for none. Overnight entries (from > to) wrap past midnight."""
    table = np.full((len(cards), 168), -1, dtype=np.int64)
    for c, r in enumerate(cards):
        if r < 0:
            continue
        for j, p in enumerate(range(int(rc.peak_offsets[r]), int(rc.peak_offsets[r + 1]))):
            days = int(rc.peak_weekday_bits[p])
            f, t = int(rc.peak_from_hour[p]), int(rc.peak_to_hour[p])
            hours = [h for h in range(24) if (f <= h < t if f < t else f > t and (h >= f or h < t))]
            for d in range(1, 8):
                if days and not days >> d & 1:
                    continue
                for h in hours:
                    how = (d - 1) * 24 + h
                    if table[c, how] < 0:
                        table[c, how] = j
    return table


def _undominated(fleet: Fleet, van_div: np.ndarray) -> np.ndarray:
    """bool[V]: vans no other van of the carrier beats on every ETA-relevant attribute.

    A van that starts no earlier, ends no later, drives no faster, has no more skills and no
    more room than another can never deliver earlier, nor fail more informatively, so the ETA
    search skips it (identical vans: the first one stays). Costs are averaged over all vans.
    """
    v = fleet
    keep = np.ones(v.count, dtype=np.bool_)
    skills = v.skill_bits.astype(np.uint64)
    for j in range(v.count):
        same = v.carrier_idx == v.carrier_idx[j]
        better = (
            same
            & (v.shift_start_ts <= v.shift_start_ts[j])
            & (v.shift_end_ts >= v.shift_end_ts[j])
            & (van_div >= van_div[j])
            & ((skills & skills[j]) == skills[j])
            & (v.capacity_kg >= v.capacity_kg[j])
            & (v.capacity_l >= v.capacity_l[j])
            & ((v.capacity_stops >= 1) | (v.capacity_stops[j] < 1))
        )
        equal = (
            (v.shift_start_ts == v.shift_start_ts[j])
            & (v.shift_end_ts == v.shift_end_ts[j])
            & (van_div == van_div[j])
            & (skills == skills[j])
            & (v.capacity_kg == v.capacity_kg[j])
            & (v.capacity_l == v.capacity_l[j])
            & ((v.capacity_stops >= 1) == (v.capacity_stops[j] >= 1))
        )
        # Strictly better somewhere, or identical and earlier in the list.
        beaten = better & (~equal | (np.arange(v.count) < j))
        beaten[j] = False
        keep[j] = not beaten.any()
    return keep


def _counts(offsets: np.ndarray, cards: np.ndarray) -> np.ndarray:
    return np.where(cards >= 0, offsets[cards + 1] - offsets[np.maximum(cards, 0)], 0).astype(
        np.int64
    )


def build_inputs(
    snapshot: Snapshot, eligibility: Eligibility, params: PricingParams | None = None
) -> kernel.PriceInputs:
    """Flatten a snapshot into the kernel's tables: one packed row per carrier.

    Parameters
    ----------
    snapshot : Snapshot
    eligibility : Eligibility
        Its `reason` must be [N, C] for this snapshot.
    params : PricingParams, optional

    Returns
    -------
    PriceInputs

    Raises
    ------
    ValueError
        If the eligibility does not match the snapshot.
    """
    p = params or PricingParams()
    o, cr, rc, fl, sl = (
        snapshot.orders, snapshot.carriers, snapshot.rates, snapshot.fleet, snapshot.slots
    )  # fmt: skip
    n, n_carriers, n_zones = o.count, cr.count, len(snapshot.zone_ids)
    if eligibility.reason.shape != (n, n_carriers):
        raise ValueError(
            f"Expected eligibility.reason of shape {(n, n_carriers)}, "
            f"got {eligibility.reason.shape}; evaluate the policy on this snapshot"
        )
    if eligibility.requirement_bits.shape != (n,):
        raise ValueError(f"Expected eligibility.requirement_bits of shape {(n,)}")
    next_midnight = snapshot.next_midnight_ts
    now_local = int(snapshot.clock.wall(snapshot.now_ts)) % kernel.DAY_S

    # Carrier modes: own fleet, partner with a usable card (same currency), or no price.
    own = cr.kind == int(CarrierKind.OWN_FLEET)
    cards = np.where(own, -1, cr.rate_card_idx).astype(np.int64)
    for c in np.flatnonzero(cards >= 0):
        card_currency, wanted = rc.currency[cards[c]], snapshot.options.currency
        if card_currency and wanted and card_currency != wanted:
            cards[c] = -1
    usable = cards >= 0
    mode = np.where(own, kernel.MODE_OWN_FLEET, np.where(usable, 0, kernel.MODE_NO_CARD))
    safe = np.maximum(cards, 0)

    def per_card(values: np.ndarray) -> np.ndarray:
        return np.where(usable, values[safe] if len(values) else 0, 0)

    nb, nt, npk = (
        _counts(off, cards) for off in (rc.band_offsets, rc.tier_offsets, rc.peak_offsets)
    )
    mb, mt, mp = (max(int(x.max(initial=0)), 1) for x in (nb, nt, npk))

    # Vans grouped by carrier, earliest shift first; own-fleet estimates from their averages.
    van_div = _speed_div(fl.speed_kmh, p.default_speed_kmh)
    van_order = np.lexsort((np.arange(fl.count), fl.shift_start_ts, fl.carrier_idx))
    van_order = van_order[_undominated(fl, van_div)[van_order]]
    van_off = np.searchsorted(fl.carrier_idx[van_order], np.arange(n_carriers + 1), side="left")
    own_stop = np.zeros(n_carriers, dtype=np.int64)
    own_km = np.zeros(n_carriers, dtype=np.float64)
    own_min_div = np.ones(n_carriers, dtype=np.float64)
    for c in np.flatnonzero(own):
        vans = np.flatnonzero(fl.carrier_idx == c)
        if len(vans) == 0:
            continue
        speed = _mean(van_div[vans]) / 1000.0
        per_stop = _mean(fl.cost_per_hour_cents[vans]) * (
            p.own_service_s + p.own_inter_stop_km / speed * 3600.0
        ) / 3600.0 + _mean(fl.fixed_cost_cents[vans]) / max(_mean(fl.capacity_stops[vans]), 1.0)
        own_stop[c] = kernel.round_half_up(per_stop)
        own_km[c] = _mean(fl.cost_per_km_cents[vans]) * 2.0 * p.own_stem_share
        own_min_div[c] = float(van_div[vans].max())

    reliability = np.clip(cr.reliability, 0.0, 1.0)
    buffer_s = np.floor(
        p.promise_buffer_base_s + (1.0 - reliability) * p.promise_buffer_unreliability_s + 0.5
    )
    same_day_ok = (cr.same_day_cutoff_s >= 0) & (now_local <= cr.same_day_cutoff_s)

    ci_fixed = np.zeros((n_carriers, kernel.CI_FIXED), dtype=np.int64)
    ci_fixed[:, kernel.CI_MODE] = mode
    ci_fixed[:, kernel.CI_LEAD] = cr.lead_time_s
    ci_fixed[:, kernel.CI_SAME_DAY_OK] = same_day_ok
    ci_fixed[:, kernel.CI_BUFFER] = buffer_s
    ci_fixed[:, kernel.CI_HAS_SLOTS] = cr.has_slots
    ci_fixed[:, kernel.CI_BASE] = per_card(rc.base_cents)
    ci_fixed[:, kernel.CI_SAME_DAY] = per_card(rc.same_day_premium_cents)
    ci_fixed[:, kernel.CI_WINDOW] = per_card(rc.window_premium_cents)
    ci_fixed[:, kernel.CI_MIN_CHARGE] = per_card(rc.min_charge_cents)
    ci_fixed[:, kernel.CI_NB] = nb
    ci_fixed[:, kernel.CI_NT] = nt
    ci_fixed[:, kernel.CI_OWN_STOP] = own_stop
    ci_fixed[:, kernel.CI_VAN_LO] = van_off[:-1]
    ci_fixed[:, kernel.CI_VAN_HI] = van_off[1:]
    hours = (mode == kernel.MODE_PARTNER) & ~cr.has_slots.astype(np.bool_)
    ci_fixed[:, kernel.CI_HOURS_FROM] = np.where(hours, p.partner_hours[0] * 3600, 0)
    ci_fixed[:, kernel.CI_HOURS_TO] = np.where(hours, p.partner_hours[1] * 3600, kernel.DAY_S)
    addon = np.zeros((n_carriers, 9), dtype=np.int64)
    addon[usable] = rc.addon_cents[cards[usable]]
    ci = np.hstack(
        [
            ci_fixed,
            _padded(rc.tier_offsets, rc.tier_cents, cards, mt, 0),
            addon,
        ]
    ).astype(np.int64)
    cf_fixed = np.zeros((n_carriers, kernel.CF_FIXED), dtype=np.float64)
    cf_fixed[:, kernel.CF_TRAVEL_DIV] = _speed_div(cr.speed_kmh, p.default_speed_kmh)
    cf_fixed[:, kernel.CF_EMISSIONS] = cr.emissions_g_per_km
    cf_fixed[:, kernel.CF_FUEL_PCT] = per_card(rc.fuel_pct)
    cf_fixed[:, kernel.CF_DIM_DIV] = per_card(rc.dim_divisor)
    cf_fixed[:, kernel.CF_OWN_KM_RATE] = own_km
    cf_fixed[:, kernel.CF_OWN_MIN_DIV] = own_min_div
    cf = np.hstack(
        [
            cf_fixed,
            _padded(rc.band_offsets, rc.band_up_to_km, cards, mb, np.inf),
            _padded(rc.band_offsets, rc.band_per_km_cents, cards, mb, 0.0),
            _padded(rc.tier_offsets, rc.tier_up_to_kg, cards, mt, np.inf),
            _padded(rc.peak_offsets, rc.peak_multiplier, cards, mp, 1.0),
        ]
    )
    zone_sc = np.zeros((n_zones, n_carriers), dtype=np.int64)
    if usable.any():
        zone_sc[:, usable] = rc.zone_surcharge_cents[cards[usable]].T

    vi = (
        np.stack(
            [
                fl.skill_bits[van_order].astype(np.int64),
                fl.capacity_stops[van_order],
                fl.shift_start_ts[van_order],
                fl.shift_end_ts[van_order],
            ],
            axis=1,
        )
        .astype(np.int64)
        .reshape(len(van_order), 4)
    )
    vf = (
        np.stack([fl.capacity_kg[van_order], fl.capacity_l[van_order], van_div[van_order]], axis=1)
        .astype(np.float64)
        .reshape(len(van_order), 3)
    )

    # Slots grouped by (carrier, zone), earliest first.
    valid = (sl.carrier_idx >= 0) & (sl.zone_idx >= 0)
    keys = np.where(valid, sl.carrier_idx * n_zones + sl.zone_idx, n_carriers * n_zones)
    slot_order = np.lexsort((np.arange(sl.count), sl.end_ts, sl.start_ts, keys))
    slot_order = slot_order[valid[slot_order]]
    cz_off = np.searchsorted(keys[slot_order], np.arange(n_carriers * n_zones + 1), side="left")
    ki = (
        np.stack(
            [
                slot_order,
                sl.start_ts[slot_order],
                sl.end_ts[slot_order],
                sl.remaining_orders[slot_order],
            ],
            axis=1,
        )
        .astype(np.int64)
        .reshape(len(slot_order), 4)
    )

    win_off, win_start, win_end = _effective_windows(snapshot)
    has_windows = o.deadline_ts < 0  # promised as windows, not by a deadline
    flags = np.where(o.promise_end_ts <= next_midnight, kernel.FLAG_TODAY, 0) | np.where(
        has_windows, kernel.FLAG_WINDOWS, 0
    )

    def i64(a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.int64)

    def f64(a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.float64)

    s = snapshot.sites
    return kernel.PriceInputs(
        now_ts=int(snapshot.now_ts),
        next_midnight_ts=next_midnight,
        n_zones=n_zones,
        circuity=float(snapshot.options.circuity),
        mb=mb,
        mt=mt,
        mp=mp,
        tz_change=snapshot.clock.change_ts,
        tz_offset=snapshot.clock.offset_s,
        s_lat=f64(s.lat),
        s_lon=f64(s.lon),
        s_open_off=i64(s.open_offsets),
        s_open_start=i64(s.open_start_ts),
        s_open_end=i64(s.open_end_ts),
        o_site=i64(o.origin_site_idx),
        o_lat=f64(o.lat),
        o_lon=f64(o.lon),
        o_dist_m=(
            snapshot.matrix.order_distance_m(o.origin_site_idx)
            if snapshot.matrix is not None
            else np.full(n, -1, dtype=np.int64)
        ),
        o_zone=i64(o.zone_idx),
        o_weight=f64(o.weight_kg),
        o_volume=f64(o.volume_l),
        o_caps=required_capabilities(eligibility.requirement_bits),
        o_pend=i64(o.promise_end_ts),
        o_flags=i64(flags),
        o_hfrom=i64(eligibility.delivery_from_s),
        o_hto=i64(eligibility.delivery_to_s),
        win_off=win_off,
        win_start=win_start,
        win_end=win_end,
        elig_reason=i64(eligibility.reason),
        ci=ci,
        cf=cf,
        peak_how=_peak_hours(rc, cards),
        zone_sc=zone_sc,
        vi=vi,
        vf=vf,
        cz_off=i64(cz_off),
        ki=ki,
        kf=f64(sl.remaining_weight_kg[slot_order]),
    )


def price(
    snapshot: Snapshot, eligibility: Eligibility, params: PricingParams | None = None
) -> PriceTable:
    """Price, ETA, promise, emissions and slot of every order x carrier pair.

    Parameters
    ----------
    snapshot : Snapshot
    eligibility : Eligibility
        Pairs it excludes keep its reason and are not priced.
    params : PricingParams, optional
        Estimates the contract leaves open; defaults when omitted.

    Returns
    -------
    PriceTable
        [N, C] matrices; `reason == 0` where the pair is possible.

    Raises
    ------
    ValueError
        If the eligibility does not match the snapshot.
    """
    inputs = build_inputs(snapshot, eligibility, params)
    m = kernel.price_pairs(inputs)
    return PriceTable(
        price_cents=m.price_cents,
        eta_ts=m.eta_ts,
        promise_start_ts=m.promise_start_ts,
        promise_end_ts=m.promise_end_ts,
        co2e_g=m.co2e_g,
        distance_m=m.distance_m,
        slot_idx=m.slot_idx,
        reason=m.reason,
        inputs=inputs,
    )


def _money(cents: float, currency: str) -> str:
    return f"{cents / 100:.2f} {currency}".strip()


def _describe(
    snapshot: Snapshot,
    inputs: kernel.PriceInputs,
    i: int,
    c: int,
    code: str,
    distance_m: int,
    eta_ts: int,
    bands: list[tuple[float, float]] | None = None,
) -> str:
    """A human sentence for one line (descriptions only; the cents come from the kernel);
    `bands` are `inputs.bands(c)` when the caller has them.

    What it reads per code is what `_line_keys` keys on: keep the two in step."""
    cur = snapshot.options.currency
    km = distance_m / 1000.0
    if code == "DISTANCE":
        parts, lo = [], 0.0
        bands = inputs.bands(c) if bands is None else bands
        for b, (up, rate) in enumerate(bands):
            hi = km if b == len(bands) - 1 else min(km, up)
            if hi > lo:
                parts.append(f"{hi - lo:.1f} km x {_money(rate, cur)}/km")
            lo = up
            if km <= lo:
                break
        return f"{km:.1f} km: " + " + ".join(parts)
    if code == "WEIGHT":
        w = float(snapshot.orders.weight_kg[i])
        div = float(inputs.cf[c, kernel.CF_DIM_DIV])
        vol = float(snapshot.orders.volume_l[i]) * 1000.0 / div if div > 0 else 0.0
        return f"chargeable weight {max(w, vol):.2f} kg (actual {w:.2f}, volumetric {vol:.2f})"
    if code == "ZONE":
        return f"zone {snapshot.zone_ids[int(snapshot.orders.zone_idx[i])]} surcharge"
    if code == "PEAK":
        local = datetime.fromtimestamp(int(snapshot.clock.wall(eta_ts)), tz=UTC)
        return f"peak pricing for delivery {local:%a %H:%M} local time"
    if code == "FUEL":
        return f"fuel surcharge {float(inputs.cf[c, kernel.CF_FUEL_PCT]):g}%"
    if code == "MINIMUM":
        minimum = int(inputs.ci[c, kernel.CI_MIN_CHARGE])
        return f"top-up to the minimum charge of {_money(minimum, cur)}"
    if code.startswith("ADDON_"):
        return f"{code[6:].lower().replace('_', ' ')} handling"
    if code == "ROUTE_KM":
        rate = float(inputs.cf[c, kernel.CF_OWN_KM_RATE])
        return f"own fleet: {km:.1f} km x {_money(rate, cur)}/km (share of the out-and-back drive)"
    return _FIXED_DESCRIPTIONS[code]


_FIXED_DESCRIPTIONS = {
    "BASE": "base charge",
    "SAME_DAY": "same-day delivery premium",
    "WINDOW": "delivery window shorter than a day",
    "ROUTE_STOP": "own fleet: estimated cost of one stop (time and fixed cost share)",
}


@dataclass(frozen=True, slots=True)
class Breakdowns:
    """The price lines of many possible pairs, columnar (built by `breakdowns`).

    Pair p (`order_idx[p]`, `carrier_idx[p]`) owns lines `line_offsets[p]` up to
    `line_offsets[p + 1]` of `codes`, `descriptions` and `cents`, in `COMPONENT_CODES` order;
    they sum exactly to `price_cents[p]`.
    """

    order_idx: np.ndarray  # int64[P]
    carrier_idx: np.ndarray  # int64[P]
    price_cents: np.ndarray  # int64[P]
    line_offsets: np.ndarray  # int64[P + 1]
    codes: tuple[str, ...]  # [L]
    descriptions: tuple[str, ...]  # [L]
    cents: np.ndarray  # int64[L]

    def lines(self, p: int) -> tuple[PriceLine, ...]:
        """The lines of pair p as PriceLine objects."""
        a, b = int(self.line_offsets[p]), int(self.line_offsets[p + 1])
        return tuple(
            PriceLine(code, description, int(cents))
            for code, description, cents in zip(
                self.codes[a:b], self.descriptions[a:b], self.cents[a:b].tolist(), strict=True
            )
        )


_CODE_INDEX = {code: k for k, code in enumerate(COMPONENT_CODES)}
_CODES = np.array(COMPONENT_CODES, dtype=object)


def _line_keys(
    snapshot: Snapshot,
    code: str,
    i: np.ndarray,
    c: np.ndarray,
    distance_m: np.ndarray,
    eta_ts: np.ndarray,
) -> np.ndarray:
    """int64 per line: lines of `code` with equal keys get equal `_describe` sentences."""
    n_carriers = snapshot.carriers.count
    if code in ("DISTANCE", "ROUTE_KM"):
        return np.asarray(distance_m * n_carriers + c, dtype=np.int64)
    if code == "WEIGHT":
        return np.asarray(i * n_carriers + c, dtype=np.int64)
    if code == "ZONE":
        return np.asarray(snapshot.orders.zone_idx[i], dtype=np.int64)
    if code == "PEAK":  # weekday and minute of the local time
        return np.asarray(snapshot.clock.wall(eta_ts) // 60, dtype=np.int64)
    if code in ("FUEL", "MINIMUM"):
        return c
    return np.zeros(len(i), dtype=np.int64)


def breakdowns(
    snapshot: Snapshot, table: PriceTable, order_idx: np.ndarray, carrier_idx: np.ndarray
) -> Breakdowns:
    """The price lines of many possible pairs at once; each pair's lines sum exactly to its
    `table.price_cents`.

    The components come from one kernel run per block of orders (`kernel.pairs_components`,
    the very kernel that filled the table); each distinct sentence is written once.

    Parameters
    ----------
    snapshot : Snapshot
        The snapshot `table` was priced from (for names and currency).
    table : PriceTable
    order_idx, carrier_idx : np.ndarray
        int64[P]: the pairs, in any order, repeats allowed.

    Returns
    -------
    Breakdowns
        Per pair: BASE first for partners, ROUTE_STOP and ROUTE_KM for the own fleet; zero
        lines omitted.

    Raises
    ------
    ValueError
        If a pair is not possible (it has no price), or the index arrays do not match.
    IndexError
        If an index is out of range.
    """
    inputs = table.inputs
    batch = kernel.pairs_components(inputs, order_idx, carrier_idx)
    rows = np.asarray(order_idx, dtype=np.int64)
    cols = np.asarray(carrier_idx, dtype=np.int64)
    bad = np.flatnonzero(batch.reason != 0)
    if bad.size:
        p = int(bad[0])
        raise ValueError(
            f"Expected a possible pair, order {rows[p]} x carrier {cols[p]} has reason "
            f"{batch.reason[p]}; check table.reason first"
        )
    assert np.array_equal(batch.price_cents, table.price_cents[rows, cols]), "kernel disagreement"
    comps = batch.components
    own = inputs.ci[cols, kernel.CI_MODE] == kernel.MODE_OWN_FLEET
    keep = comps != 0
    keep[own, _CODE_INDEX["ROUTE_STOP"]] = True
    keep[own, _CODE_INDEX["ROUTE_KM"]] = True
    keep[~own, _CODE_INDEX["BASE"]] = True
    pair, k = np.nonzero(keep)  # by pair, then in COMPONENT_CODES order
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    i, c = rows[pair], cols[pair]
    distance_m, eta_ts = batch.distance_m[pair], batch.eta_ts[pair]
    descriptions = np.empty(len(pair), dtype=object)
    bands = [inputs.bands(carrier) for carrier in range(inputs.ci.shape[0])]
    for code_k in np.unique(k).tolist():
        code = COMPONENT_CODES[code_k]
        sel = np.flatnonzero(k == code_k)
        keys = _line_keys(snapshot, code, i[sel], c[sel], distance_m[sel], eta_ts[sel])
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        texts = np.empty(len(first), dtype=object)
        for u, line in enumerate(sel[first].tolist()):
            carrier = int(c[line])
            texts[u] = _describe(
                snapshot, inputs, int(i[line]), carrier, code,
                int(distance_m[line]), int(eta_ts[line]), bands[carrier],
            )  # fmt: skip
        descriptions[sel] = texts[inverse.reshape(-1)]
    return Breakdowns(
        order_idx=rows,
        carrier_idx=cols,
        price_cents=batch.price_cents,
        line_offsets=offsets,
        codes=tuple(_CODES[k].tolist()),
        descriptions=tuple(descriptions.tolist()),
        cents=comps[pair, k],
    )


def breakdown(
    snapshot: Snapshot, table: PriceTable, order_idx: int, carrier_idx: int
) -> tuple[PriceLine, ...]:
    """The price lines of one possible pair; they sum exactly to `table.price_cents`
    (`breakdowns` for one pair; use that for many).

    Parameters
    ----------
    snapshot : Snapshot
        The snapshot `table` was priced from (for names and currency).
    table : PriceTable
    order_idx, carrier_idx : int

    Returns
    -------
    tuple of PriceLine
        BASE first for partners, ROUTE_STOP and ROUTE_KM for the own fleet; zero lines omitted.

    Raises
    ------
    ValueError
        If the pair is not possible (it has no price).
    IndexError
        If an index is out of range.
    """
    pair = np.array([order_idx], dtype=np.int64), np.array([carrier_idx], dtype=np.int64)
    return breakdowns(snapshot, table, *pair).lines(0)
