"""Plain-Python reference for `solver.pricing`: one readable loop per pair, straight from the
snapshot, written from the semantics in the `solver.pricing` docstring (not from the kernel).

Float expressions are spelled in the same order as the kernel's, so cents match exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from solver.domain import CAPABILITY_FOR_REQUIREMENT, Capability, CarrierKind, Reason, bit
from solver.pricing import PricingParams

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.snapshot import Snapshot

DAY = 86_400
R_KM = 6371.0088
DEG = math.pi / 180.0


def rhu(x: float) -> int:
    """Round half up."""
    return math.floor(x + 0.5)


@dataclass
class NaivePair:
    reason: int
    price_cents: int = -1
    eta_ts: int = -1
    promise_start_ts: int = -1
    promise_end_ts: int = -1
    slot_idx: int = -1
    distance_m: int = 0
    co2e_g: float = 0.0
    lines: dict[str, int] | None = None


def distance_m(snapshot: Snapshot, i: int) -> int:
    o, s = snapshot.orders, snapshot.sites
    site = int(o.origin_site_idx[i])
    m = snapshot.matrix
    if m is not None and m.site_row[site] >= 0 and m.order_row[i] >= 0:
        return int(m.distances_m[m.site_row[site], m.order_row[i]])
    lat1, lon1 = float(s.lat[site]), float(s.lon[site])
    lat2, lon2 = float(o.lat[i]), float(o.lon[i])
    p1, p2 = lat1 * DEG, lat2 * DEG
    a1 = math.sin((p2 - p1) * 0.5)
    a2 = math.sin((lon2 * DEG - lon1 * DEG) * 0.5)
    h = a1 * a1 + math.cos(lat1 * DEG) * math.cos(p2) * a2 * a2
    km = 2.0 * R_KM * math.asin(min(math.sqrt(h), 1.0))
    return rhu(km * float(snapshot.options.circuity) * 1000.0)


def handover_ts(snapshot: Snapshot, i: int) -> int | None:
    s = snapshot.sites
    site = int(snapshot.orders.origin_site_idx[i])
    lo, hi = int(s.open_offsets[site]), int(s.open_offsets[site + 1])
    now = int(snapshot.now_ts)
    if lo == hi:
        return now
    starts = [max(now, int(s.open_start_ts[k])) for k in range(lo, hi) if s.open_end_ts[k] > now]
    return min(starts) if starts else None


def windows(snapshot: Snapshot, i: int) -> list[tuple[int, int]]:
    """Half-open promise windows; a deadline d is [promise_start, d + 1)."""
    o = snapshot.orders
    lo, hi = int(o.window_offsets[i]), int(o.window_offsets[i + 1])
    if o.deadline_ts[i] < 0 and lo < hi:
        return [(int(o.window_start_ts[k]), int(o.window_end_ts[k])) for k in range(lo, hi)]
    return [(int(o.promise_start_ts[i]), int(o.promise_end_ts[i]) + 1)]


def capabilities(requirement_bits: int) -> list[int]:
    caps = {int(c) for r, c in CAPABILITY_FOR_REQUIREMENT.items() if requirement_bits & bit(r)}
    return sorted(caps)


def speed_div(speed_kmh: float, params: PricingParams) -> float:
    return (speed_kmh if speed_kmh > 0 else params.default_speed_kmh) * 1000.0


def slot_list(snapshot: Snapshot, c: int, zone: int) -> list[int]:
    sl = snapshot.slots
    ks = [k for k in range(sl.count) if sl.carrier_idx[k] == c and sl.zone_idx[k] == zone]
    return sorted(ks, key=lambda k: (int(sl.start_ts[k]), int(sl.end_ts[k]), k))


def delivery_hours(snapshot: Snapshot, c: int, params: PricingParams) -> tuple[int, int]:
    """Seconds after local midnight [from, to) in which carrier c delivers; (0, DAY) = any."""
    cr = snapshot.carriers
    if int(cr.kind[c]) == int(CarrierKind.OWN_FLEET) or cr.has_slots[c]:
        return 0, DAY
    return params.partner_hours[0] * 3600, params.partner_hours[1] * 3600


def allowed_hours(
    snapshot: Snapshot, eligibility: Eligibility, i: int, c: int, params: PricingParams
) -> tuple[int, int]:
    """The carrier's delivery hours intersected with order i's allowed hours (from >= to:
    no moment of the day is allowed)."""
    c_from, c_to = delivery_hours(snapshot, c, params)
    o_from, o_to = int(eligibility.delivery_from_s[i]), int(eligibility.delivery_to_s[i])
    return max(c_from, o_from), min(c_to, o_to)


def at_local(zone: ZoneInfo, day: dt.date, seconds: int) -> int:
    """The instant `seconds` after the start of local `day` on the wall clock (a wall time the
    clocks skip counts an hour later; one they repeat, its second pass)."""
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    second_pass = wall.replace(tzinfo=zone, fold=1)
    if second_pass.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return int(second_pass.timestamp())
    return int(wall.replace(tzinfo=zone, fold=0).timestamp())  # skipped: fold 0 lands later


def local(zone: ZoneInfo, t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, zone)


def next_in_hours(t: int, zone: ZoneInfo, hours: tuple[int, int]) -> int | None:
    """The first moment >= t whose local time of day lies in `hours` (None: empty hours)."""
    if hours[0] >= hours[1]:
        return None
    today = local(zone, t).date()
    for day in range(-1, 2):
        date = today + dt.timedelta(days=day)
        start, end = at_local(zone, date, hours[0]), at_local(zone, date, hours[1])
        if t < end:
            return max(t, start)
    raise AssertionError("unreachable")


def place(
    earliest: int,
    limit: int | None,
    wins: list[tuple[int, int]],
    slots: list[tuple[int, int, int]] | None,
    hours: tuple[int, int] = (0, DAY),
    zone: ZoneInfo | None = None,
) -> tuple[int, int, int] | None:
    """Minimum t >= earliest (t < limit) in a window, the delivery hours and, if given, a slot:
    (t, window, slot)."""
    best: tuple[int, int, int] | None = None
    zone = zone or ZoneInfo("UTC")
    for w, (ws, we) in enumerate(wins):
        end = we if limit is None else min(we, limit)
        if slots is None:
            t = next_in_hours(max(earliest, ws), zone, hours)
            if t is not None and t < end and (best is None or t < best[0]):
                best = (t, w, -1)
            continue
        for k, ks, ke in slots:
            t = next_in_hours(max(earliest, ws, ks), zone, hours)
            if t is not None and t < end and t < ke and (best is None or t < best[0]):
                best = (t, w, k)
    return best


def place_with_reason(
    snapshot: Snapshot,
    i: int,
    c: int,
    earliest: int,
    limit: int | None,
    hours: tuple[int, int] = (0, DAY),
) -> tuple[tuple[int, int, int] | None, int]:
    """Placement inside `hours` (see `allowed_hours`) and the reason when there is none."""
    o, sl = snapshot.orders, snapshot.slots
    wins = windows(snapshot, i)
    tz = ZoneInfo(snapshot.timezone)
    if not snapshot.carriers.has_slots[c]:
        got = place(earliest, limit, wins, None, hours, tz)
        return got, 0 if got else int(Reason.WINDOW_UNREACHABLE)
    zone = int(o.zone_idx[i])
    ks = slot_list(snapshot, c, zone) if zone >= 0 else []
    w = float(o.weight_kg[i])
    roomy = [
        (k, int(sl.start_ts[k]), int(sl.end_ts[k]))
        for k in ks
        if sl.remaining_orders[k] >= 1 and sl.remaining_weight_kg[k] >= w
    ]
    got = place(earliest, limit, wins, roomy, hours, tz)
    if got:
        return got, 0
    if place(earliest, limit, wins, None, hours, tz) is None:
        return None, int(Reason.WINDOW_UNREACHABLE)
    every = [(k, int(sl.start_ts[k]), int(sl.end_ts[k])) for k in ks]
    if place(earliest, limit, wins, every, hours, tz) is None:
        return None, int(Reason.NO_SLOT)
    return None, int(Reason.CAPACITY_EXHAUSTED)


def naive_pair(
    snapshot: Snapshot, eligibility: Eligibility, i: int, c: int, params: PricingParams
) -> NaivePair:
    o, cr, rc, fl = snapshot.orders, snapshot.carriers, snapshot.rates, snapshot.fleet
    d = distance_m(snapshot, i)
    km = d / 1000.0
    base = NaivePair(reason=0, distance_m=d, co2e_g=float(cr.emissions_g_per_km[c]) * km)
    r = int(eligibility.reason[i, c])
    if r:
        base.reason = r
        return base
    own = int(cr.kind[c]) == int(CarrierKind.OWN_FLEET)
    card = int(cr.rate_card_idx[c])
    opt_cur = snapshot.options.currency
    if not own and (card < 0 or (rc.currency[card] and opt_cur and rc.currency[card] != opt_cur)):
        base.reason = int(Reason.NO_RATE_CARD)
        return base
    weight = float(o.weight_kg[i])
    caps = capabilities(int(eligibility.requirement_bits[i]))

    tier_charge = 0
    if not own:
        lo, hi = int(rc.tier_offsets[card]), int(rc.tier_offsets[card + 1])
        if hi > lo:
            chargeable = weight
            div = float(rc.dim_divisor[card])
            if div > 0 and float(o.volume_l[i]) * 1000.0 / div > chargeable:
                chargeable = float(o.volume_l[i]) * 1000.0 / div
            fits = [k for k in range(lo, hi) if chargeable <= rc.tier_up_to_kg[k]]
            if not fits:
                base.reason = int(Reason.OVER_WEIGHT_LIMIT)
                return base
            tier_charge = int(rc.tier_cents[fits[0]])

    handover = handover_ts(snapshot, i)
    if handover is None:
        base.reason = int(Reason.WINDOW_UNREACHABLE)
        return base
    now = int(snapshot.now_ts)
    zone_info = ZoneInfo(snapshot.timezone)
    today = local(zone_info, now)
    midnight = at_local(zone_info, today.date() + dt.timedelta(days=1), 0)
    cutoff = int(cr.same_day_cutoff_s[c])
    since_midnight = today.hour * 3600 + today.minute * 60 + today.second
    same_day_ok = cutoff >= 0 and since_midnight <= cutoff
    floor = 0
    if not same_day_ok:
        if int(o.promise_end_ts[i]) <= midnight:
            base.reason = int(Reason.PAST_CUTOFF)
            return base
        floor = midnight
    lead = int(cr.lead_time_s[c])
    hours = allowed_hours(snapshot, eligibility, i, c, params)

    if not own:
        earliest = max(
            handover + lead + math.ceil(d * 3600.0 / speed_div(cr.speed_kmh[c], params)), floor
        )
        got, why = place_with_reason(snapshot, i, c, earliest, None, hours)
        if got is None:
            base.reason = why
            return base
    else:
        need = 0
        for cap in caps:
            need |= bit(cap)
        results: list[tuple[tuple[int, int, int] | None, int]] = []
        for v in range(fl.count):
            if fl.carrier_idx[v] != c or (int(fl.skill_bits[v]) & need) != need:
                continue
            if fl.capacity_kg[v] < weight or fl.capacity_l[v] < o.volume_l[i]:
                continue
            if fl.capacity_stops[v] < 1:
                continue
            depart = max(handover + lead, int(fl.shift_start_ts[v]))
            travel = math.ceil(d * 3600.0 / speed_div(fl.speed_kmh[v], params))
            results.append(
                place_with_reason(
                    snapshot, i, c, max(depart + travel, floor), int(fl.shift_end_ts[v]) + 1, hours
                )
            )
        if not results:
            base.reason = int(Reason.NO_VEHICLE_FITS)
            return base
        ok = [g for g, _ in results if g is not None]
        if not ok:
            rank = {int(Reason.CAPACITY_EXHAUSTED): 3, int(Reason.NO_SLOT): 2}
            base.reason = max((why for _, why in results), key=lambda x: rank.get(x, 1))
            return base
        got = min(ok, key=lambda g: g[0])
    eta, w, slot = got
    ws, we = windows(snapshot, i)[w]
    has_windows = o.deadline_ts[i] < 0

    rel = min(max(float(cr.reliability[c]), 0.0), 1.0)
    buf = rhu(params.promise_buffer_base_s + (1.0 - rel) * params.promise_buffer_unreliability_s)
    if eta + buf < we:
        ps, pe = ws, (we if has_windows else we - 1)
    else:
        ps, pe = max(eta - buf, ws), min(eta + buf, int(o.promise_end_ts[i]))
        if slot >= 0:
            ps = max(ps, int(snapshot.slots.start_ts[slot]))
            pe = min(pe, int(snapshot.slots.end_ts[slot]))
        if hours != (0, DAY):
            eta_day = local(zone_info, eta).date()
            ps = max(ps, at_local(zone_info, eta_day, hours[0]))
            pe = min(pe, at_local(zone_info, eta_day, hours[1]))
    o_from, o_to = int(eligibility.delivery_from_s[i]), int(eligibility.delivery_to_s[i])
    if (o_from, o_to) != (0, DAY):  # regulated goods: the promise inside the allowed hours
        eta_day = local(zone_info, eta).date()
        ps = max(ps, at_local(zone_info, eta_day, o_from))
        pe = min(pe, at_local(zone_info, eta_day, o_to))

    lines: dict[str, int] = {}
    if own:
        vans = [v for v in range(fl.count) if fl.carrier_idx[v] == c]
        n = len(vans)
        hour = math.fsum(float(fl.cost_per_hour_cents[v]) for v in vans) / n
        speed = math.fsum(speed_div(fl.speed_kmh[v], params) for v in vans) / n / 1000.0
        fixed = math.fsum(float(fl.fixed_cost_cents[v]) for v in vans) / n
        stops = max(math.fsum(float(fl.capacity_stops[v]) for v in vans) / n, 1.0)
        per_km = math.fsum(float(fl.cost_per_km_cents[v]) for v in vans) / n
        lines["ROUTE_STOP"] = rhu(
            hour * (params.own_service_s + params.own_inter_stop_km / speed * 3600.0) / 3600.0
            + fixed / stops
        )
        lines["ROUTE_KM"] = rhu(per_km * 2.0 * params.own_stem_share * km)
    else:
        lines["BASE"] = int(rc.base_cents[card])
        acc, lo_km = 0.0, 0.0
        b_lo, b_hi = int(rc.band_offsets[card]), int(rc.band_offsets[card + 1])
        for b in range(b_lo, b_hi):
            if km <= lo_km:
                break
            up = float(rc.band_up_to_km[b])
            top = min(km, up)
            if top > lo_km:
                acc += float(rc.band_per_km_cents[b]) * (top - lo_km)
            lo_km = up
        if b_hi > b_lo and km > lo_km:
            acc += float(rc.band_per_km_cents[b_hi - 1]) * (km - lo_km)
        lines["DISTANCE"] = rhu(acc)
        lines["WEIGHT"] = tier_charge
        zone = int(o.zone_idx[i])
        lines["ZONE"] = int(rc.zone_surcharge_cents[card, zone]) if zone >= 0 else 0
        lines["SAME_DAY"] = int(rc.same_day_premium_cents[card]) if pe <= midnight else 0
        short = has_windows and we - ws < DAY
        lines["WINDOW"] = int(rc.window_premium_cents[card]) if short else 0
        subtotal = sum(lines.values())
        at = local(zone_info, eta)
        hour_of_day, iso_weekday = at.hour, at.isoweekday()
        lines["PEAK"] = 0
        for p in range(int(rc.peak_offsets[card]), int(rc.peak_offsets[card + 1])):
            days = int(rc.peak_weekday_bits[p])
            if days and not days & (1 << iso_weekday):
                continue
            f, t = int(rc.peak_from_hour[p]), int(rc.peak_to_hour[p])
            hit = f <= hour_of_day < t if f < t else f > t and (hour_of_day >= f or hour_of_day < t)
            if hit:
                lines["PEAK"] = rhu(subtotal * (float(rc.peak_multiplier[p]) - 1.0))
                break
        subtotal += lines["PEAK"]
        lines["FUEL"] = rhu(subtotal * float(rc.fuel_pct[card]) / 100.0)
        subtotal += lines["FUEL"]
        lines["MINIMUM"] = max(0, int(rc.min_charge_cents[card]) - subtotal)
        for cap in caps:
            lines[f"ADDON_{Capability(cap).name}"] = int(rc.addon_cents[card, cap])
    lines = {k: v for k, v in lines.items() if v != 0}
    base.price_cents = sum(lines.values())
    base.eta_ts, base.promise_start_ts, base.promise_end_ts, base.slot_idx = eta, ps, pe, slot
    base.lines = lines
    return base


def naive_price(
    snapshot: Snapshot,
    eligibility: Eligibility,
    params: PricingParams | None = None,
    orders: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The PriceTable matrices, computed pair by pair (rows `orders` only, if given)."""
    p = params or PricingParams()
    rows = np.arange(snapshot.orders.count) if orders is None else np.asarray(orders)
    n_carriers = snapshot.carriers.count
    shape = (len(rows), n_carriers)
    out = {
        name: np.full(shape, -1, dtype=np.int64)
        for name in (
            "price_cents",
            "eta_ts",
            "promise_start_ts",
            "promise_end_ts",
            "slot_idx",
            "distance_m",
            "reason",
        )
    }
    out["co2e_g"] = np.zeros(shape, dtype=np.float64)
    for row, i in enumerate(rows):
        for c in range(n_carriers):
            r = naive_pair(snapshot, eligibility, int(i), c, p)
            for name in out:
                out[name][row, c] = getattr(r, name)
    return out
