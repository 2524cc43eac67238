"""The columnar snapshot: one request as read-only arrays, built once, read by every stage.

Conventions: `*_ts` are UTC epoch seconds (int64), `*_s` durations in seconds, `*_cents` integer
money, `*_idx` rows in this snapshot (-1 = none). Ragged lists (windows, bands, tiers) are flat
arrays with `*_offsets` of length n + 1. Bitsets use bit `1 << enum value` (see solver.domain).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from solver.clock import DAY_S, LocalClock

if TYPE_CHECKING:
    from collections.abc import Mapping

I64 = np.int64
NO_LIMIT = np.inf


def readonly(array: np.ndarray) -> np.ndarray:
    """A C-contiguous, read-only copy-free view, so no stage can change another's input."""
    out = np.ascontiguousarray(array)
    out.setflags(write=False)
    return out


def _freeze(obj: object) -> None:
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray):
            object.__setattr__(obj, f.name, readonly(value))


@dataclass(frozen=True, slots=True)
class Sites:
    ids: tuple[str, ...]
    lat: np.ndarray  # float64[S]
    lon: np.ndarray  # float64[S]
    open_offsets: np.ndarray  # int64[S+1]; no windows = always open
    open_start_ts: np.ndarray  # int64[*]
    open_end_ts: np.ndarray  # int64[*]

    def __post_init__(self) -> None:
        _freeze(self)


@dataclass(frozen=True, slots=True)
class Orders:
    ids: tuple[str, ...]
    origin_site_idx: np.ndarray  # int64[N]
    lat: np.ndarray  # float64[N] destination
    lon: np.ndarray  # float64[N]
    zone_idx: np.ndarray  # int64[N], -1 = no zone given
    postal_codes: tuple[str, ...]
    weight_kg: np.ndarray  # float64[N] total actual weight
    volume_l: np.ndarray  # float64[N] total volume
    max_length_cm: np.ndarray  # float64[N] longest side of any parcel
    parcel_count: np.ndarray  # int64[N]
    tag_bits: np.ndarray  # uint64[N], bit i = Snapshot.tag_names[i]
    deadline_ts: np.ndarray  # int64[N], -1 = promise given as windows
    # Windows [start, end) as promised; none for a deadline order (deadline_ts >= 0).
    window_offsets: np.ndarray  # int64[N+1]
    window_start_ts: np.ndarray  # int64[W]
    window_end_ts: np.ndarray  # int64[W]
    promise_start_ts: np.ndarray  # int64[N] earliest acceptable delivery (now for deadlines)
    promise_end_ts: np.ndarray  # int64[N] latest acceptable delivery
    green: np.ndarray  # bool[N]
    contactless: np.ndarray  # bool[N]
    signature_wanted: np.ndarray  # bool[N]
    declared_value_cents: np.ndarray  # int64[N]
    created_ts: np.ndarray  # int64[N], -1 = unknown
    attributes: tuple[Mapping[str, str], ...]

    def __post_init__(self) -> None:
        _freeze(self)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Carriers:
    ids: tuple[str, ...]
    names: tuple[str, ...]
    kind: np.ndarray  # int64[C], CarrierKind
    capability_bits: np.ndarray  # uint64[C]
    serves_zone: np.ndarray  # bool[C, Z]
    serves_all_zones: np.ndarray  # bool[C]
    max_weight_kg: np.ndarray  # float64[C], inf = no limit
    max_volume_l: np.ndarray  # float64[C]
    max_length_cm: np.ndarray  # float64[C]
    max_parcels: np.ndarray  # int64[C], huge = no limit
    same_day_cutoff_s: np.ndarray  # int64[C] seconds after local midnight, -1 = no same day
    lead_time_s: np.ndarray  # int64[C]
    rate_card_idx: np.ndarray  # int64[C], -1 = none (own fleet)
    emissions_g_per_km: np.ndarray  # float64[C]
    reliability: np.ndarray  # float64[C]
    speed_kmh: np.ndarray  # float64[C]
    has_slots: np.ndarray  # bool[C]: capacity-limited by slots

    def __post_init__(self) -> None:
        _freeze(self)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Slots:
    ids: tuple[str, ...]
    carrier_idx: np.ndarray  # int64[K]
    zone_idx: np.ndarray  # int64[K]
    start_ts: np.ndarray  # int64[K]
    end_ts: np.ndarray  # int64[K]
    remaining_orders: np.ndarray  # int64[K]
    remaining_weight_kg: np.ndarray  # float64[K]

    def __post_init__(self) -> None:
        _freeze(self)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Fleet:
    """The own-fleet vans with their shifts."""

    ids: tuple[str, ...]
    carrier_idx: np.ndarray  # int64[V]
    start_site_idx: np.ndarray  # int64[V]
    end_site_idx: np.ndarray  # int64[V]
    shift_start_ts: np.ndarray  # int64[V]
    shift_end_ts: np.ndarray  # int64[V]
    capacity_kg: np.ndarray  # float64[V]
    capacity_l: np.ndarray  # float64[V]
    capacity_stops: np.ndarray  # int64[V]
    skill_bits: np.ndarray  # uint64[V]
    cost_per_km_cents: np.ndarray  # int64[V]
    cost_per_hour_cents: np.ndarray  # int64[V]
    fixed_cost_cents: np.ndarray  # int64[V]
    break_start_ts: np.ndarray  # int64[V], -1 = no break
    break_end_ts: np.ndarray  # int64[V]
    break_s: np.ndarray  # int64[V]
    max_duration_s: np.ndarray  # int64[V], shift length when unset
    speed_kmh: np.ndarray  # float64[V]

    def __post_init__(self) -> None:
        _freeze(self)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class RateCards:
    """Partner price lists; ragged parts are flat with offsets."""

    ids: tuple[str, ...]
    currency: tuple[str, ...]
    base_cents: np.ndarray  # int64[R]
    band_offsets: np.ndarray  # int64[R+1]
    band_up_to_km: np.ndarray  # float64[*], inf = unbounded
    band_per_km_cents: np.ndarray  # int64[*]
    tier_offsets: np.ndarray  # int64[R+1]
    tier_up_to_kg: np.ndarray  # float64[*], inf = unbounded
    tier_cents: np.ndarray  # int64[*]
    dim_divisor: np.ndarray  # float64[R], 0 = weight only
    zone_surcharge_cents: np.ndarray  # int64[R, Z]
    same_day_premium_cents: np.ndarray  # int64[R]
    window_premium_cents: np.ndarray  # int64[R]
    peak_offsets: np.ndarray  # int64[R+1]
    peak_weekday_bits: np.ndarray  # int64[*], bit d for ISO weekday d (1..7); 0 = every day
    peak_from_hour: np.ndarray  # int64[*]
    peak_to_hour: np.ndarray  # int64[*]
    peak_multiplier: np.ndarray  # float64[*]
    fuel_pct: np.ndarray  # float64[R]
    min_charge_cents: np.ndarray  # int64[R]
    addon_cents: np.ndarray  # int64[R, 9], by Capability value

    def __post_init__(self) -> None:
        _freeze(self)

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """The caller's road distances and durations (`DecideRequest.matrix`), row-major over
    `location_ids`; `site_row` / `order_row` give each site's / order destination's row
    (-1 = not in the matrix: haversine x circuity is used for it)."""

    location_ids: tuple[str, ...]
    distances_m: np.ndarray  # int64[L, L]
    durations_s: np.ndarray  # int64[L, L], or [0, 0] when the caller sent none
    site_row: np.ndarray  # int64[S]
    order_row: np.ndarray  # int64[N]

    def __post_init__(self) -> None:
        _freeze(self)
        n = len(self.location_ids)
        if self.distances_m.shape != (n, n):
            raise ValueError(f"Expected distances_m of shape {(n, n)}")
        if self.durations_s.shape not in ((n, n), (0, 0)):
            raise ValueError(f"Expected durations_s of shape {(n, n)} or (0, 0)")

    def order_distance_m(self, origin_site_idx: np.ndarray) -> np.ndarray:
        """int64[N]: road metres from each order's origin site to its destination, -1 where
        the site or the order is not in the matrix."""
        site = np.asarray(self.site_row, dtype=np.int64)[origin_site_idx]
        order = np.asarray(self.order_row, dtype=np.int64)
        known = (site >= 0) & (order >= 0)
        out = np.full(order.shape, -1, dtype=np.int64)
        out[known] = self.distances_m[site[known], order[known]]
        return out


@dataclass(frozen=True, slots=True)
class Options:
    cost_weight: float
    lateness_cents_per_min: float
    emissions_cents_per_kg: float
    time_budget_s: float
    explain: bool
    baseline: int  # domain.Baseline
    policy: int  # domain.Policy
    circuity: float
    currency: str
    seed: int

    def __post_init__(self) -> None:
        if self.time_budget_s <= 0:
            raise ValueError("Expected time_budget_s > 0")
        if self.circuity < 1:
            raise ValueError("Expected circuity >= 1")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one decision needs, as arrays; `now_ts` is the request's clock, not the wall's."""

    request_id: str
    now_ts: int
    timezone: str
    tag_names: tuple[str, ...]
    zone_ids: tuple[str, ...]
    sites: Sites
    orders: Orders
    carriers: Carriers
    slots: Slots
    fleet: Fleet
    rates: RateCards
    options: Options
    matrix: TravelMatrix | None = None  # None = haversine x circuity everywhere
    zone_clock: LocalClock | None = None  # None: built from `timezone` over the horizon

    def __post_init__(self) -> None:
        if self.zone_clock is None:
            latest = max(
                [self.now_ts]
                + [int(a.max()) for a in (self.orders.window_end_ts, self.orders.promise_end_ts,
                   self.slots.end_ts, self.fleet.shift_end_ts) if a.size]
            )  # fmt: skip
            clock = LocalClock.of_zone(self.timezone, self.now_ts - 2 * DAY_S, latest + 2 * DAY_S)
            object.__setattr__(self, "zone_clock", clock)

    @property
    def clock(self) -> LocalClock:
        """Local time (daylight saving included) over the request's horizon."""
        assert self.zone_clock is not None  # set by __post_init__
        return self.zone_clock

    @property
    def utc_offset_s(self) -> int:
        """The UTC offset of `timezone` at now."""
        return int(self.clock.offset_at(self.now_ts))

    @property
    def local_midnight_ts(self) -> int:
        """Start of the local day that contains now."""
        return int(self.clock.midnight(self.now_ts))

    @property
    def next_midnight_ts(self) -> int:
        """The local midnight that ends today (23 or 25 h after the last one on a change)."""
        return self.clock.next_midnight(self.now_ts)

    def tag_bit(self, tag: str) -> int:
        """The bit of a tag in Orders.tag_bits, 0 if no order of this request has it."""
        try:
            return 1 << self.tag_names.index(tag)
        except ValueError:
            return 0
