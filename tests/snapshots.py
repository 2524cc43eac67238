"""Seeded random `Snapshot`s and `Eligibility`s for tests and benchmarks (reusable by any stage).

`random_snapshot(seed, ...)` builds a valid, varied day: sites with and without opening hours,
orders with deadlines or 1-3 windows over today and tomorrow, partners with rate cards (bands,
tiers, volumetric divisors, peaks, surcharges, add-ons), slots, and an own fleet with vans.
Same seed, same snapshot. `with_changes` rebuilds one part with some fields replaced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from solver.domain import CarrierKind, Reason, Requirement, bit
from solver.eligibility import Eligibility
from solver.snapshot import (
    Carriers,
    Fleet,
    Options,
    Orders,
    RateCards,
    Sites,
    Slots,
    Snapshot,
)

HOUR = 3600
DAY = 86_400
BASE_DAY_TS = 1_741_910_400  # 2025-03-14 00:00 UTC, a Friday
# Time zones of random days (a half-hour offset, daylight saving in Europe and the US), and
# the days they start on: a plain Friday, and Saturdays before the clocks change overnight.
ZONES = ("UTC", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "Asia/Kolkata")
START_DAYS = (
    dt.date(2025, 3, 14),
    dt.date(2025, 3, 29),  # Europe springs forward tonight
    dt.date(2025, 10, 25),  # Europe falls back tonight
    dt.date(2025, 11, 1),  # the US falls back tonight
)


def local_midnight(zone: str, ts: int) -> int:
    """UTC instant of the local midnight that starts the local day of `ts`."""
    local = dt.datetime.fromtimestamp(ts, ZoneInfo(zone))
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def shuffle_orders(
    snapshot: Snapshot, eligibility: Eligibility, perm: np.ndarray
) -> tuple[Snapshot, Eligibility]:
    """The same request with its orders in the order `perm` (new row r = old row perm[r])."""
    o = snapshot.orders
    counts = np.diff(o.window_offsets)[perm]
    starts = o.window_offsets[:-1][perm]
    flat = np.concatenate(
        [np.arange(s, s + n) for s, n in zip(starts, counts, strict=True)] + [np.zeros(0)]
    ).astype(np.int64)
    per_order = {
        f.name: getattr(o, f.name)[perm]
        for f in dataclasses.fields(o)
        if isinstance(getattr(o, f.name), np.ndarray)
        and getattr(o, f.name).shape == (o.count,)
        and not f.name.startswith("window_")  # flat window arrays may also have N entries
    }
    shuffled = with_changes(
        snapshot,
        "orders",
        **per_order,
        ids=tuple(o.ids[j] for j in perm),
        postal_codes=tuple(o.postal_codes[j] for j in perm),
        attributes=tuple(o.attributes[j] for j in perm),
        window_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        window_start_ts=o.window_start_ts[flat],
        window_end_ts=o.window_end_ts[flat],
    )
    elig = dataclasses.replace(
        eligibility,
        reason=eligibility.reason[perm],
        source=eligibility.source[perm],
        requirement_bits=eligibility.requirement_bits[perm],
        service_level=eligibility.service_level[perm],
        max_ride_s=eligibility.max_ride_s[perm],
        notes=tuple(eligibility.notes[j] for j in perm),
    )
    return shuffled, elig


def with_changes(snapshot: Snapshot, part: str, **changes: Any) -> Snapshot:
    """A copy of `snapshot` with fields of one part (orders, carriers, ...) replaced."""
    new_part = dataclasses.replace(getattr(snapshot, part), **changes)
    return dataclasses.replace(snapshot, **{part: new_part})


def _ragged(counts: np.ndarray) -> np.ndarray:
    off = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return off


def _windows(
    rng: np.random.Generator, day0: int, now: int, count: int, long_ok: bool
) -> list[tuple[int, int]]:
    """Sorted, disjoint windows over today, tomorrow and the day after."""
    out: list[tuple[int, int]] = []
    t = day0 + int(rng.integers(6, 30)) * HOUR // 2 + int(rng.integers(-2, 3)) * HOUR
    t = max(t, now - 6 * HOUR)
    for _ in range(count):
        t += int(rng.integers(0, 10)) * HOUR + int(rng.integers(0, 4)) * 900
        length = int(rng.choice([1, 2, 3, 4, 6])) * HOUR
        if long_ok and rng.random() < 0.15:
            length = int(rng.integers(24, 40)) * HOUR
        out.append((t, t + length))
        t += length + int(rng.integers(1, 8)) * HOUR
    return out


def random_snapshot(
    seed: int,
    n_orders: int = 40,
    n_carriers: int = 5,
    n_zones: int = 4,
    *,
    n_sites: int = 3,
    n_vans: int = 4,
    slots_per_carrier: int = 6,
    own_fleet: bool = True,
    van_types: int = 0,
    p_slots: float = 0.4,
    p_deadline: float = 0.4,
    spread_deg: float = 0.15,
    currency: str = "EUR",
) -> Snapshot:
    """A random but valid snapshot; carrier 0 is the own fleet when `own_fleet`.

    Parameters
    ----------
    seed : int
    n_orders, n_carriers, n_zones : int
    n_sites, n_vans, slots_per_carrier : int
        Vans belong to the own fleet; slots go to carriers with `has_slots` (about `p_slots`).
    own_fleet : bool
    van_types : int
        0: every van different (hard for the ETA search); k: vans copy k templates.
    p_slots, p_deadline : float
        Share of partners with slots and of orders promised a deadline (others get windows).
    spread_deg : float
        Destinations within this many degrees of the city centre.
    currency : str
        Of the request; a few rate cards use another one.

    Returns
    -------
    Snapshot
    """
    rng = np.random.default_rng(seed)
    tz = str(rng.choice(ZONES))
    day = START_DAYS[int(rng.integers(len(START_DAYS)))]
    start = dt.datetime.combine(day, dt.time(), ZoneInfo(tz))
    now = int(start.timestamp()) + int(rng.integers(5 * 3600, 21 * 3600))
    if rng.random() < 0.3:
        now += int(rng.integers(0, 7)) * DAY
    midnight = local_midnight(tz, now)
    zone_ids = tuple(f"Z{z}" for z in range(n_zones))

    # Sites: some always open, some with hours today and tomorrow, rarely closed for good.
    s_open: list[tuple[int, int]] = []
    s_counts = []
    for _ in range(n_sites):
        kind = rng.random()
        if kind < 0.4:
            s_counts.append(0)
            continue
        if kind < 0.43:
            s_open.append((midnight - 10 * HOUR, midnight - 2 * HOUR))
            s_counts.append(1)
            continue
        for d in range(2):
            s_open.append((midnight + d * DAY + 7 * HOUR, midnight + d * DAY + 20 * HOUR))
        s_counts.append(2)
    sites = Sites(
        ids=tuple(f"S{s}" for s in range(n_sites)),
        lat=48.85 + rng.uniform(-0.05, 0.05, n_sites),
        lon=2.35 + rng.uniform(-0.05, 0.05, n_sites),
        open_offsets=_ragged(np.array(s_counts, dtype=np.int64)),
        open_start_ts=np.array([a for a, _ in s_open], dtype=np.int64),
        open_end_ts=np.array([b for _, b in s_open], dtype=np.int64),
    )

    # Orders.
    deadline = np.full(n_orders, -1, dtype=np.int64)
    w_counts = np.zeros(n_orders, dtype=np.int64)
    w_all: list[tuple[int, int]] = []
    p_start = np.empty(n_orders, dtype=np.int64)
    p_end = np.empty(n_orders, dtype=np.int64)
    for i in range(n_orders):
        if rng.random() < p_deadline:
            deadline[i] = now + int(rng.integers(1, 60)) * HOUR + int(rng.integers(0, 4)) * 900
            p_start[i], p_end[i] = now, deadline[i]
        else:
            ws = _windows(rng, midnight, now, int(rng.integers(1, 4)), long_ok=True)
            w_all.extend(ws)
            w_counts[i] = len(ws)
            p_start[i], p_end[i] = ws[0][0], ws[-1][1]
    weight = np.round(rng.lognormal(1.0, 1.0, n_orders), 2).clip(0.05, 300)
    volume = np.round(rng.lognormal(2.0, 1.2, n_orders), 1).clip(0.1, 3000)
    zone = rng.integers(0, n_zones, n_orders).astype(np.int64)
    zone[rng.random(n_orders) < 0.05] = -1
    orders = Orders(
        ids=tuple(f"O{i}" for i in range(n_orders)),
        origin_site_idx=rng.integers(0, n_sites, n_orders).astype(np.int64),
        lat=48.85 + rng.uniform(-spread_deg, spread_deg, n_orders),
        lon=2.35 + rng.uniform(-spread_deg, spread_deg, n_orders) * 1.5,
        zone_idx=zone,
        postal_codes=tuple("" for _ in range(n_orders)),
        weight_kg=weight,
        volume_l=volume,
        max_length_cm=rng.uniform(10, 150, n_orders),
        parcel_count=rng.integers(1, 4, n_orders).astype(np.int64),
        tag_bits=np.zeros(n_orders, dtype=np.uint64),
        deadline_ts=deadline,
        window_offsets=_ragged(w_counts),
        window_start_ts=np.array([a for a, _ in w_all], dtype=np.int64),
        window_end_ts=np.array([b for _, b in w_all], dtype=np.int64),
        promise_start_ts=p_start,
        promise_end_ts=p_end,
        green=rng.random(n_orders) < 0.1,
        contactless=rng.random(n_orders) < 0.2,
        signature_wanted=rng.random(n_orders) < 0.1,
        declared_value_cents=rng.integers(0, 50_000, n_orders).astype(np.int64),
        created_ts=np.full(n_orders, -1, dtype=np.int64),
        attributes=tuple({} for _ in range(n_orders)),
    )

    # Rate cards: one per carrier, so carrier c (partner) uses card c.
    n_cards = n_carriers
    b_counts = rng.integers(0, 4, n_cards)
    b_up: list[float] = []
    b_rate: list[int] = []
    t_counts = rng.integers(0, 5, n_cards)
    t_up: list[float] = []
    t_cents: list[int] = []
    p_counts = rng.integers(0, 4, n_cards)
    p_bits: list[int] = []
    p_from: list[int] = []
    p_to: list[int] = []
    p_mult: list[float] = []
    for r in range(n_cards):
        up = 0.0
        for b in range(int(b_counts[r])):
            up += float(rng.choice([1.5, 2.0, 3.0, 5.0, 7.5]))
            last = b == b_counts[r] - 1
            b_up.append(np.inf if last and rng.random() < 0.5 else up)
            b_rate.append(int(rng.integers(10, 150)))
        kg = 0.0
        for t in range(int(t_counts[r])):
            kg += float(rng.choice([0.5, 1.0, 2.0, 5.0, 10.0]))
            last = t == t_counts[r] - 1
            t_up.append(np.inf if last and rng.random() < 0.6 else kg)
            t_cents.append(int(rng.integers(0, 900)))
        for _ in range(int(p_counts[r])):
            days = 0 if rng.random() < 0.4 else int(rng.integers(1, 128)) << 1
            p_bits.append(days)
            a = int(rng.integers(0, 23))
            b2 = int(rng.integers(a + 1, 25))
            if rng.random() < 0.15:
                a, b2 = int(rng.integers(18, 24)), int(rng.integers(1, 8))  # overnight
            p_from.append(a)
            p_to.append(b2)
            p_mult.append(float(rng.choice([0.9, 1.1, 1.15, 1.25, 1.5])))
    zone_sc = rng.integers(0, 300, (n_cards, n_zones)).astype(np.int64)
    zone_sc[rng.random((n_cards, n_zones)) < 0.5] = 0
    addon = rng.integers(0, 500, (n_cards, 9)).astype(np.int64)
    addon[:, 0] = 0
    rates = RateCards(
        ids=tuple(f"R{r}" for r in range(n_cards)),
        currency=tuple(
            "" if rng.random() < 0.1 else ("USD" if rng.random() < 0.1 else currency)
            for _ in range(n_cards)
        ),
        base_cents=rng.integers(0, 800, n_cards).astype(np.int64),
        band_offsets=_ragged(b_counts),
        band_up_to_km=np.array(b_up, dtype=np.float64),
        band_per_km_cents=np.array(b_rate, dtype=np.int64),
        tier_offsets=_ragged(t_counts),
        tier_up_to_kg=np.array(t_up, dtype=np.float64),
        tier_cents=np.array(t_cents, dtype=np.int64),
        dim_divisor=rng.choice([0.0, 4000.0, 5000.0, 6000.0], n_cards),
        zone_surcharge_cents=zone_sc,
        same_day_premium_cents=rng.integers(0, 600, n_cards).astype(np.int64),
        window_premium_cents=rng.integers(0, 400, n_cards).astype(np.int64),
        peak_offsets=_ragged(p_counts),
        peak_weekday_bits=np.array(p_bits, dtype=np.int64),
        peak_from_hour=np.array(p_from, dtype=np.int64),
        peak_to_hour=np.array(p_to, dtype=np.int64),
        peak_multiplier=np.array(p_mult, dtype=np.float64),
        fuel_pct=rng.choice([0.0, 5.0, 8.5, 12.0, 17.25], n_cards),
        min_charge_cents=rng.choice([0, 500, 900, 1500, 2500], n_cards).astype(np.int64),
        addon_cents=addon,
    )

    # Carriers.
    kinds = rng.choice(
        [int(k) for k in CarrierKind if k != CarrierKind.OWN_FLEET], n_carriers
    ).astype(np.int64)
    card = np.arange(n_carriers, dtype=np.int64)
    card[rng.random(n_carriers) < 0.08] = -1
    has_slots = rng.random(n_carriers) < p_slots
    if own_fleet and n_carriers:
        kinds[0] = int(CarrierKind.OWN_FLEET)
        card[0] = -1
        has_slots[0] = rng.random() < 0.2
    cutoff = rng.choice([-1, 10 * HOUR, 14 * HOUR, 17 * HOUR, 22 * HOUR], n_carriers)
    carriers = Carriers(
        ids=tuple(f"C{c}" for c in range(n_carriers)),
        names=tuple(f"Carrier {c}" for c in range(n_carriers)),
        kind=kinds,
        capability_bits=rng.integers(0, 512, n_carriers).astype(np.uint64) & ~np.uint64(1),
        serves_zone=np.ones((n_carriers, n_zones), dtype=np.bool_),
        serves_all_zones=np.ones(n_carriers, dtype=np.bool_),
        max_weight_kg=np.full(n_carriers, np.inf),
        max_volume_l=np.full(n_carriers, np.inf),
        max_length_cm=np.full(n_carriers, np.inf),
        max_parcels=np.full(n_carriers, 1 << 40, dtype=np.int64),
        same_day_cutoff_s=cutoff.astype(np.int64),
        lead_time_s=(rng.integers(0, 9, n_carriers) * 1800).astype(np.int64),
        rate_card_idx=card,
        emissions_g_per_km=rng.uniform(0, 300, n_carriers),
        reliability=rng.uniform(0.6, 1.0, n_carriers),
        speed_kmh=rng.choice([0.0, 18.0, 25.0, 32.5, 40.0], n_carriers),
        has_slots=has_slots,
    )

    # Slots in random zones over today and tomorrow.
    k_car: list[int] = []
    k_zone: list[int] = []
    k_win: list[tuple[int, int]] = []
    for c in np.flatnonzero(has_slots):
        for _ in range(slots_per_carrier):
            k_car.append(int(c))
            k_zone.append(int(rng.integers(0, n_zones)))
            start = midnight + int(rng.integers(6, 44)) * HOUR
            k_win.append((start, start + int(rng.choice([2, 3, 4, 8])) * HOUR))
    n_slots = len(k_car)
    slots = Slots(
        ids=tuple(f"K{k}" for k in range(n_slots)),
        carrier_idx=np.array(k_car, dtype=np.int64),
        zone_idx=np.array(k_zone, dtype=np.int64),
        start_ts=np.array([a for a, _ in k_win], dtype=np.int64),
        end_ts=np.array([b for _, b in k_win], dtype=np.int64),
        remaining_orders=rng.integers(0, 12, n_slots).astype(np.int64),
        remaining_weight_kg=np.round(rng.uniform(0, 200, n_slots), 1),
    )

    # Own-fleet vans: all different, or copies of `van_types` templates (a realistic fleet).
    nv = n_vans if own_fleet and n_carriers else 0
    shift_start = midnight + (rng.integers(5, 12, nv) + 24 * (rng.random(nv) < 0.3)) * HOUR
    shift_len = rng.integers(4, 11, nv) * HOUR
    skills = rng.integers(0, 512, nv).astype(np.uint64) & ~np.uint64(1)
    cap_kg = rng.choice([30.0, 300.0, 800.0], nv)
    cap_l = rng.choice([200.0, 2000.0, 6000.0], nv)
    speed = rng.choice([0.0, 22.0, 30.0], nv)
    if van_types > 0 and nv:
        templates = rng.integers(0, min(van_types, nv), nv)
        shift_start = shift_start[:van_types][templates]
        shift_len = shift_len[:van_types][templates]
        skills = skills[:van_types][templates]
        cap_kg = cap_kg[:van_types][templates]
        cap_l = cap_l[:van_types][templates]
        speed = speed[:van_types][templates]
    fleet = Fleet(
        ids=tuple(f"V{v}" for v in range(nv)),
        carrier_idx=np.zeros(nv, dtype=np.int64),
        start_site_idx=rng.integers(0, n_sites, nv).astype(np.int64),
        end_site_idx=rng.integers(0, n_sites, nv).astype(np.int64),
        shift_start_ts=shift_start.astype(np.int64),
        shift_end_ts=(shift_start + shift_len).astype(np.int64),
        capacity_kg=cap_kg,
        capacity_l=cap_l,
        capacity_stops=rng.integers(10, 60, nv).astype(np.int64),
        skill_bits=skills,
        cost_per_km_cents=rng.integers(20, 60, nv).astype(np.int64),
        cost_per_hour_cents=rng.integers(2000, 4000, nv).astype(np.int64),
        fixed_cost_cents=rng.integers(0, 8000, nv).astype(np.int64),
        break_start_ts=np.full(nv, -1, dtype=np.int64),
        break_end_ts=np.full(nv, -1, dtype=np.int64),
        break_s=np.zeros(nv, dtype=np.int64),
        max_duration_s=np.full(nv, 10 * HOUR, dtype=np.int64),
        speed_kmh=speed,
    )

    options = Options(
        cost_weight=1.0,
        lateness_cents_per_min=0.0,
        emissions_cents_per_kg=float(rng.choice([0.0, 5.0])),
        time_budget_s=2.0,
        explain=False,
        baseline=1,
        policy=2,
        circuity=float(rng.choice([1.0, 1.3, 1.45])),
        currency=currency,
        seed=seed,
    )
    return Snapshot(
        request_id=f"random-{seed}",
        now_ts=now,
        timezone=tz,
        tag_names=(),
        zone_ids=zone_ids,
        sites=sites,
        orders=orders,
        carriers=carriers,
        slots=slots,
        fleet=fleet,
        rates=rates,
        options=options,
    )


ELIGIBILITY_REASONS = (
    Reason.ZONE_NOT_SERVED,
    Reason.OVER_WEIGHT_LIMIT,
    Reason.MISSING_CAPABILITY,
    Reason.EXCLUDED_BY_RULE,
)


def random_eligibility(
    snapshot: Snapshot, seed: int, p_excluded: float = 0.15, p_requirements: float = 0.3
) -> Eligibility:
    """Random exclusions and requirements for a snapshot (not derived from any rule)."""
    rng = np.random.default_rng(seed + 1_000_003)
    n, n_carriers = snapshot.orders.count, snapshot.carriers.count
    reason = np.where(
        rng.random((n, n_carriers)) < p_excluded,
        rng.choice([int(r) for r in ELIGIBILITY_REASONS], (n, n_carriers)),
        0,
    ).astype(np.int64)
    req = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(rng.random(n) < p_requirements):
        for r in rng.choice([int(x) for x in Requirement], int(rng.integers(1, 3))):
            req[i] |= bit(int(r))
    return Eligibility(
        service_level=np.full(n, 4, dtype=np.int64),
        requirement_bits=req,
        reason=reason,
        source=np.where(reason != 0, 0, -1).astype(np.int64),
        sources=("test:random",),
        messages=("excluded at random",),
        notes=tuple(() for _ in range(n)),
        max_ride_s=np.full(n, -1, dtype=np.int64),
        version="test",
    )


def all_eligible(snapshot: Snapshot, requirement_bits: np.ndarray | None = None) -> Eligibility:
    """Every pair eligible, with the given (or no) requirements."""
    n, n_carriers = snapshot.orders.count, snapshot.carriers.count
    req = np.zeros(n, dtype=np.int64) if requirement_bits is None else requirement_bits
    return Eligibility(
        service_level=np.full(n, 4, dtype=np.int64),
        requirement_bits=np.asarray(req, dtype=np.int64),
        reason=np.zeros((n, n_carriers), dtype=np.int64),
        source=np.full((n, n_carriers), -1, dtype=np.int64),
        sources=(),
        messages=(),
        notes=tuple(() for _ in range(n)),
        max_ride_s=np.full(n, -1, dtype=np.int64),
        version="test",
    )


def one_pair_snapshot(
    *,
    now_local_h: float = 10.0,
    windows_local_h: tuple[tuple[float, float], ...] = ((14.0, 16.0),),
    deadline_local_h: float | None = None,
    north_km: float = 10.0,
    weight_kg: float = 2.0,
    volume_l: float = 5.0,
    zone_idx: int = 0,
    kind: CarrierKind = CarrierKind.LOCAL_COURIER,
) -> Snapshot:
    """One always-open site, one order `north_km` north of it, one carrier with a plain card.

    Times are local hours of Friday 2025-03-14 (UTC+1); 24 and more reach into the next days.
    The card charges only 500 base cents until a test replaces its fields (`with_changes`).
    """
    offset = 3600
    midnight = BASE_DAY_TS - offset
    now = midnight + round(now_local_h * HOUR)

    def ts(hours: float) -> int:
        return midnight + round(hours * HOUR)

    wins = [] if deadline_local_h is not None else [(ts(a), ts(b)) for a, b in windows_local_h]
    deadline = -1 if deadline_local_h is None else ts(deadline_local_h)
    p_start, p_end = (now, deadline) if deadline >= 0 else (wins[0][0], wins[-1][1])
    one_i = np.ones(1, dtype=np.int64)
    sites = Sites(
        ids=("S0",),
        lat=np.array([48.0]),
        lon=np.array([2.0]),
        open_offsets=np.zeros(2, dtype=np.int64),
        open_start_ts=np.zeros(0, dtype=np.int64),
        open_end_ts=np.zeros(0, dtype=np.int64),
    )
    orders = Orders(
        ids=("O0",),
        origin_site_idx=np.zeros(1, dtype=np.int64),
        lat=np.array([48.0 + north_km / 111.19508]),
        lon=np.array([2.0]),
        zone_idx=np.array([zone_idx], dtype=np.int64),
        postal_codes=("",),
        weight_kg=np.array([weight_kg]),
        volume_l=np.array([volume_l]),
        max_length_cm=np.array([30.0]),
        parcel_count=one_i,
        tag_bits=np.zeros(1, dtype=np.uint64),
        deadline_ts=np.array([deadline], dtype=np.int64),
        window_offsets=np.array([0, len(wins)], dtype=np.int64),
        window_start_ts=np.array([a for a, _ in wins], dtype=np.int64),
        window_end_ts=np.array([b for _, b in wins], dtype=np.int64),
        promise_start_ts=np.array([p_start], dtype=np.int64),
        promise_end_ts=np.array([p_end], dtype=np.int64),
        green=np.zeros(1, dtype=np.bool_),
        contactless=np.zeros(1, dtype=np.bool_),
        signature_wanted=np.zeros(1, dtype=np.bool_),
        declared_value_cents=np.zeros(1, dtype=np.int64),
        created_ts=np.full(1, -1, dtype=np.int64),
        attributes=({},),
    )
    own = kind == CarrierKind.OWN_FLEET
    carriers = Carriers(
        ids=("C0",),
        names=("Carrier 0",),
        kind=np.array([int(kind)], dtype=np.int64),
        capability_bits=np.zeros(1, dtype=np.uint64),
        serves_zone=np.ones((1, 2), dtype=np.bool_),
        serves_all_zones=np.ones(1, dtype=np.bool_),
        max_weight_kg=np.full(1, np.inf),
        max_volume_l=np.full(1, np.inf),
        max_length_cm=np.full(1, np.inf),
        max_parcels=np.full(1, 1 << 40, dtype=np.int64),
        same_day_cutoff_s=np.array([22 * HOUR], dtype=np.int64),
        lead_time_s=np.zeros(1, dtype=np.int64),
        rate_card_idx=np.array([-1 if own else 0], dtype=np.int64),
        emissions_g_per_km=np.array([100.0]),
        reliability=np.ones(1),
        speed_kmh=np.array([30.0]),
        has_slots=np.zeros(1, dtype=np.bool_),
    )
    empty_i = np.zeros(0, dtype=np.int64)
    slots = Slots(
        ids=(),
        carrier_idx=empty_i,
        zone_idx=empty_i,
        start_ts=empty_i,
        end_ts=empty_i,
        remaining_orders=empty_i,
        remaining_weight_kg=np.zeros(0),
    )
    nv = 1 if own else 0
    fleet = Fleet(
        ids=tuple(f"V{v}" for v in range(nv)),
        carrier_idx=np.zeros(nv, dtype=np.int64),
        start_site_idx=np.zeros(nv, dtype=np.int64),
        end_site_idx=np.zeros(nv, dtype=np.int64),
        shift_start_ts=np.full(nv, ts(8.0), dtype=np.int64),
        shift_end_ts=np.full(nv, ts(18.0), dtype=np.int64),
        capacity_kg=np.full(nv, 500.0),
        capacity_l=np.full(nv, 3000.0),
        capacity_stops=np.full(nv, 40, dtype=np.int64),
        skill_bits=np.zeros(nv, dtype=np.uint64),
        cost_per_km_cents=np.full(nv, 40, dtype=np.int64),
        cost_per_hour_cents=np.full(nv, 3000, dtype=np.int64),
        fixed_cost_cents=np.full(nv, 4000, dtype=np.int64),
        break_start_ts=np.full(nv, -1, dtype=np.int64),
        break_end_ts=np.full(nv, -1, dtype=np.int64),
        break_s=np.zeros(nv, dtype=np.int64),
        max_duration_s=np.full(nv, 10 * HOUR, dtype=np.int64),
        speed_kmh=np.full(nv, 30.0),
    )
    rates = RateCards(
        ids=("R0",),
        currency=("EUR",),
        base_cents=np.array([500], dtype=np.int64),
        band_offsets=np.zeros(2, dtype=np.int64),
        band_up_to_km=np.zeros(0),
        band_per_km_cents=empty_i,
        tier_offsets=np.zeros(2, dtype=np.int64),
        tier_up_to_kg=np.zeros(0),
        tier_cents=empty_i,
        dim_divisor=np.zeros(1),
        zone_surcharge_cents=np.zeros((1, 2), dtype=np.int64),
        same_day_premium_cents=np.zeros(1, dtype=np.int64),
        window_premium_cents=np.zeros(1, dtype=np.int64),
        peak_offsets=np.zeros(2, dtype=np.int64),
        peak_weekday_bits=empty_i,
        peak_from_hour=empty_i,
        peak_to_hour=empty_i,
        peak_multiplier=np.zeros(0),
        fuel_pct=np.zeros(1),
        min_charge_cents=np.zeros(1, dtype=np.int64),
        addon_cents=np.zeros((1, 9), dtype=np.int64),
    )
    options = Options(
        cost_weight=1.0,
        lateness_cents_per_min=0.0,
        emissions_cents_per_kg=0.0,
        time_budget_s=2.0,
        explain=False,
        baseline=1,
        policy=2,
        circuity=1.0,
        currency="EUR",
        seed=0,
    )
    return Snapshot(
        request_id="one-pair",
        now_ts=now,
        timezone="Etc/GMT-1",
        tag_names=(),
        zone_ids=("Z0", "Z1"),
        sites=sites,
        orders=orders,
        carriers=carriers,
        slots=slots,
        fleet=fleet,
        rates=rates,
        options=options,
    )
