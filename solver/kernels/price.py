"""Pricing kernel: price, ETA, promise, emissions, slot and reason of every order x carrier pair.

One `@njit` function, `_price_kernel`: a per-site and per-order pass (distance, handover),
then a per-pair pass reading one packed row per carrier (`ci`, `cf`: every parameter and rate
table of a carrier side by side). Breakdowns run the same function on one order and keep the
components, so a breakdown can never disagree with the matrix. `solver.pricing` builds the
tables and documents the semantics; this module only computes.

Why one big function: numba reference-counts arrays passed to a call that is not inlined, and
calls with more than 30 arguments cannot be inlined; per pair that cost more than the pricing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from solver.domain import Reason

# Component slots of one pair's price; `solver.pricing.COMPONENT_CODES` names them.
BASE = 0
DISTANCE = 1
WEIGHT = 2
ZONE = 3
SAME_DAY = 4
WINDOW = 5
PEAK = 6
FUEL = 7
MINIMUM = 8
ADDON0 = 8  # ADDON0 + capability value (1..8) -> 9..16
ROUTE_STOP = 17
ROUTE_KM = 18
N_COMPONENTS = 19

# Carrier modes.
MODE_PARTNER = 0
MODE_OWN_FLEET = 1
MODE_NO_CARD = 2

# Columns of the carrier int table `ci`; then tier cents [mt] and add-ons [9].
CI_MODE = 0
CI_LEAD = 1
CI_SAME_DAY_OK = 2
CI_BUFFER = 3
CI_HAS_SLOTS = 4
CI_BASE = 5
CI_SAME_DAY = 6
CI_WINDOW = 7
CI_MIN_CHARGE = 8
CI_NB = 9
CI_NT = 10
CI_OWN_STOP = 11
CI_VAN_LO = 12
CI_VAN_HI = 13
CI_HOURS_FROM = 14  # delivery hours, seconds after local midnight: [from, to); 0, DAY = any
CI_HOURS_TO = 15
CI_FIXED = 16
# Columns of the carrier float table `cf`; then band bounds, band rates [mb each], tier bounds
# [mt] and peak multipliers [mp]. `peak_how` [C, 168]: the peak entry applying in each local
# hour of the week (Monday 00:00 = 0), -1 for none.
CF_TRAVEL_DIV = 0
CF_EMISSIONS = 1
CF_FUEL_PCT = 2
CF_DIM_DIV = 3
CF_OWN_KM_RATE = 4
CF_OWN_MIN_DIV = 5
CF_FIXED = 6
# Vans: `vi` [V, 4] and `vf` [V, 3]; slots: `ki` [K, 4] and `kf` [K].
VI_SKILL, VI_STOPS, VI_SHIFT_START, VI_SHIFT_END = 0, 1, 2, 3
VF_KG, VF_L, VF_TRAVEL_DIV = 0, 1, 2
KI_IDX, KI_START, KI_END, KI_ORDERS = 0, 1, 2, 3
# Order flags.
FLAG_TODAY = 1  # the whole promise ends today (local)
FLAG_WINDOWS = 2  # promised as windows, not a deadline

NEVER = np.iinfo(np.int64).max // 4  # "no time": far future, safe to add durations to
DAY_S = 86_400
EARTH_RADIUS_KM = 6371.0088
DEG = math.pi / 180.0

_OK = int(Reason.OK)
_WINDOW_UNREACHABLE = int(Reason.WINDOW_UNREACHABLE)
_PAST_CUTOFF = int(Reason.PAST_CUTOFF)
_NO_RATE_CARD = int(Reason.NO_RATE_CARD)
_NO_SLOT = int(Reason.NO_SLOT)
_CAPACITY_EXHAUSTED = int(Reason.CAPACITY_EXHAUSTED)
_OVER_WEIGHT_LIMIT = int(Reason.OVER_WEIGHT_LIMIT)
_NO_VEHICLE_FITS = int(Reason.NO_VEHICLE_FITS)


@njit(cache=True, nogil=True, inline="always")
def round_half_up(x: float) -> int:
    """Money rounding used for every line: floor(x + 0.5)."""
    return math.floor(x + 0.5)


@njit(cache=True, nogil=True, inline="always")
def _road_m(
    lat1: float, lon1: float, cos_lat1: float, lat2: float, lon2: float, circuity: float
) -> int:
    """Haversine distance x circuity, rounded to the metre (`cos_lat1` precomputed per site)."""
    p1 = lat1 * DEG
    p2 = lat2 * DEG
    sdlat = math.sin((p2 - p1) * 0.5)
    sdlon = math.sin((lon2 * DEG - lon1 * DEG) * 0.5)
    a = sdlat * sdlat + cos_lat1 * math.cos(p2) * sdlon * sdlon
    root = math.sqrt(a)
    if root > 1.0:
        root = 1.0
    return round_half_up(2.0 * EARTH_RADIUS_KM * math.asin(root) * circuity * 1000.0)


# Local time (`solver.clock.LocalClock`'s rules on its two arrays): `change` (sorted,
# change[0] = far past) and `offset`, the UTC offset in force from each change on. Kept in
# this file: numba's cache would not notice an edit to a function inlined from another one.
@njit(cache=True, nogil=True, inline="always")
def _offset_at(ts, change, offset):  # type: ignore[no-untyped-def]
    """UTC offset in force at the UTC instant `ts`."""
    k = change.shape[0] - 1
    while k > 0 and change[k] > ts:
        k -= 1
    return offset[k]


@njit(cache=True, nogil=True, inline="always")
def wall(ts, change, offset):  # type: ignore[no-untyped-def]
    """Local wall time of a UTC instant."""
    return ts + _offset_at(ts, change, offset)


@njit(cache=True, nogil=True, inline="always")
def utc(w, change, offset):  # type: ignore[no-untyped-def]
    """UTC instant of a local wall time: in an hour the clocks skip, an hour later on the
    wall; in one they repeat, its second pass."""
    k = change.shape[0] - 1
    while k > 0:
        small = min(offset[k - 1], offset[k])
        if w >= change[k] + small:  # at or past the wall times change k touches
            if w < change[k] + max(offset[k - 1], offset[k]):
                return w - small
            return w - offset[k]
        k -= 1
    return w - offset[0]


@njit(cache=True, nogil=True, inline="always")
def _in_hours(t, tz_change, tz_offset, h_from, h_to):  # type: ignore[no-untyped-def]
    """The earliest moment >= t whose local time of day is in [h_from, h_to) seconds; NEVER
    when the hours are empty (h_from >= h_to)."""
    if h_from <= 0 and h_to >= DAY_S:
        return t
    if h_from >= h_to:
        return NEVER
    w = wall(t, tz_change, tz_offset)
    sec = w % DAY_S
    if sec < h_from:
        return max(t, utc(w - sec + h_from, tz_change, tz_offset))
    if sec >= h_to:
        return max(t, utc(w - sec + DAY_S + h_from, tz_change, tz_offset))
    return t


@njit(cache=True, nogil=True, inline="always")
def _failure_rank(reason):  # type: ignore[no-untyped-def]
    """How close a failed placement came: room > slot > window (for the own fleet's vans)."""
    if reason == _CAPACITY_EXHAUSTED:
        return 3
    if reason == _NO_SLOT:
        return 2
    return 1


@njit(cache=True, nogil=True, error_model="numpy")
def _price_kernel(  # type: ignore[no-untyped-def]
    i_lo,
    i_hi,
    keep_components,
    now_ts,
    next_midnight_ts,
    n_zones,
    circuity,
    mb,
    mt,
    mp,
    tz_change,
    tz_offset,
    s_lat,
    s_lon,
    s_open_off,
    s_open_start,
    s_open_end,
    o_site,
    o_lat,
    o_lon,
    o_dist_m,
    o_zone,
    o_weight,
    o_volume,
    o_caps,
    o_pend,
    o_flags,
    o_hfrom,
    o_hto,
    win_off,
    win_start,
    win_end,
    elig_reason,
    ci,
    cf,
    peak_how,
    zone_sc,
    vi,
    vf,
    cz_off,
    ki,
    kf,
    out_price,
    out_eta,
    out_pstart,
    out_pend,
    out_co2e,
    out_dist,
    out_slot,
    out_reason,
    out_components,
):
    """Rows [i_lo, i_hi) x every carrier; `out_components[row, c]` filled if asked.

    `error_model="numpy"`: every divisor is a constant or checked positive (speeds by
    `PriceInputs`, the dim divisor right before use), so numba's zero test before each
    division is dead weight in the pair loop (a few per cent of the kernel's time).
    """
    n_carriers = ci.shape[0]
    tier_c0 = CI_FIXED
    addon0 = tier_c0 + mt
    band_up0 = CF_FIXED
    band_rate0 = band_up0 + mb
    tier_up0 = band_rate0 + mb
    peak_mult0 = tier_up0 + mt

    # Per site, then per order: what does not depend on the carrier is computed once.
    n_sites = s_lat.shape[0]
    site_cos = np.empty(n_sites, dtype=np.float64)
    site_handover = np.empty(n_sites, dtype=np.int64)
    for s in range(n_sites):
        site_cos[s] = math.cos(s_lat[s] * DEG)
        lo = s_open_off[s]
        hi = s_open_off[s + 1]
        handover = now_ts if lo == hi else NEVER
        for k in range(lo, hi):
            if s_open_end[k] > now_ts:
                handover = min(handover, max(now_ts, s_open_start[k]))
        site_handover[s] = handover
    # Add-on cents of every capability set (bits 1..8) per carrier: one load per pair (a
    # breakdown, one row with its components, adds them one by one instead).
    addon_sum = np.zeros((0 if keep_components else n_carriers, 512), dtype=np.int64)
    for c in range(addon_sum.shape[0]):
        for mask in range(512):
            for cap in range(1, 9):
                if (mask >> cap) & 1:
                    addon_sum[c, mask] += ci[c, addon0 + cap]
    rows = i_hi - i_lo
    dist = np.empty(rows, dtype=np.int64)
    for row in range(rows):
        i = i_lo + row
        if o_dist_m[i] >= 0:  # the caller's road matrix
            dist[row] = o_dist_m[i]
        else:
            site = o_site[i]
            dist[row] = _road_m(
                s_lat[site], s_lon[site], site_cos[site], o_lat[i], o_lon[i], circuity
            )

    for row in range(rows):
        i = i_lo + row
        dist_m = dist[row]
        km = dist_m / 1000.0
        d3600 = dist_m * 3600.0
        h = site_handover[o_site[i]]
        weight = o_weight[i]
        volume = o_volume[i]
        zone = o_zone[i]
        caps = o_caps[i]
        flags = o_flags[i]
        wlo = win_off[i]
        whi = win_off[i + 1]
        oh_from = o_hfrom[i]
        oh_to = o_hto[i]
        for c in range(n_carriers):
            out_dist[row, c] = dist_m
            out_co2e[row, c] = cf[c, CF_EMISSIONS] * km
            mode = ci[c, CI_MODE]
            eta = NEVER
            w = -1
            k = -1
            tier_charge = 0
            r = elig_reason[i, c]
            # One pass; `break` leaves with reason r (0 = possible).
            while r == _OK:
                if mode == MODE_NO_CARD:
                    r = _NO_RATE_CARD
                    break
                nt = ci[c, CI_NT]
                if mode == MODE_PARTNER and nt > 0:
                    chargeable = weight
                    div = cf[c, CF_DIM_DIV]
                    if div > 0.0:
                        chargeable = max(chargeable, volume * 1000.0 / div)
                    r = _OVER_WEIGHT_LIMIT
                    for t in range(nt):
                        if chargeable <= cf[c, tier_up0 + t]:
                            tier_charge = ci[c, tier_c0 + t]
                            r = _OK
                            break
                    if r != _OK:
                        break
                if h == NEVER:
                    r = _WINDOW_UNREACHABLE
                    break
                floor_ts = 0
                if ci[c, CI_SAME_DAY_OK] == 0:
                    if flags & FLAG_TODAY:
                        r = _PAST_CUTOFF
                        break
                    floor_ts = next_midnight_ts
                use_slots = ci[c, CI_HAS_SLOTS] != 0
                klo = 0
                khi = 0
                if use_slots and zone >= 0:
                    klo = cz_off[c * n_zones + zone]
                    khi = cz_off[c * n_zones + zone + 1]
                # Partners place once; the own fleet once per van with the skills and room.
                ready = h + ci[c, CI_LEAD]
                v_lo = 0
                v_hi = 1
                lower = -1  # own fleet: no van can deliver before this
                if mode == MODE_OWN_FLEET:
                    v_lo = ci[c, CI_VAN_LO]
                    v_hi = ci[c, CI_VAN_HI]
                    soonest = max(ready + math.ceil(d3600 / cf[c, CF_OWN_MIN_DIV]), floor_ts)
                    for ww in range(wlo, whi):
                        if win_end[ww] > soonest:
                            lower = max(soonest, win_start[ww])
                            break
                any_fit = False
                fail = _WINDOW_UNREACHABLE
                # The carrier's delivery hours and the order's allowed hours, both local.
                h_from = max(ci[c, CI_HOURS_FROM], oh_from)
                h_to = min(ci[c, CI_HOURS_TO], oh_to)
                # Slots bound carriers without hours, so only an order's hours apply there.
                slot_hours = oh_from > 0 or oh_to < DAY_S
                for v in range(v_lo, v_hi):
                    if eta <= lower:
                        break  # a van already delivers as early as any van can
                    if mode == MODE_PARTNER:
                        earliest = ready + math.ceil(d3600 / cf[c, CF_TRAVEL_DIV])
                        limit = NEVER
                    else:
                        if (vi[v, VI_SKILL] & caps) != caps or vi[v, VI_STOPS] < 1:
                            continue
                        if vf[v, VF_KG] < weight or vf[v, VF_L] < volume:
                            continue
                        depart = max(ready, vi[v, VI_SHIFT_START])
                        if eta != NEVER:
                            bound = depart + math.ceil(d3600 / cf[c, CF_OWN_MIN_DIV])
                            if max(bound, floor_ts) >= eta:
                                break  # sorted by shift start: no later van arrives earlier
                        earliest = depart + math.ceil(d3600 / vf[v, VF_TRAVEL_DIV])
                        if eta != NEVER and max(earliest, floor_ts) >= eta:
                            any_fit = True
                            continue  # cannot beat the van found
                        limit = vi[v, VI_SHIFT_END] + 1
                    any_fit = True
                    earliest = max(earliest, floor_ts)
                    # Placement. Attempt 0: the earliest moment in a window (and a slot with
                    # room); failing that, 1: is a window reachable at all? 2: any slot at all?
                    status = _OK
                    for attempt in range(3):
                        slots_on = use_slots and attempt != 1
                        found = NEVER
                        fw = -1
                        fk = -1
                        for ww in range(wlo, whi):
                            a = _in_hours(
                                max(earliest, win_start[ww]), tz_change, tz_offset, h_from, h_to
                            )
                            b = min(win_end[ww], limit)
                            if a >= b:
                                continue
                            if not slots_on:
                                found = a
                                fw = ww
                                break
                            # Slots are sorted by start, so max(a, start) never decreases:
                            # the first slot that fits gives the earliest moment.
                            for kk in range(klo, khi):
                                ks = ki[kk, KI_START]
                                if ks >= b:
                                    break
                                if attempt == 0 and (ki[kk, KI_ORDERS] < 1 or kf[kk] < weight):
                                    continue
                                t = max(a, ks)
                                if slot_hours:
                                    t = _in_hours(t, tz_change, tz_offset, h_from, h_to)
                                    if t >= b:
                                        break  # later slots start later: none earlier
                                if t < ki[kk, KI_END]:
                                    found = t
                                    fw = ww
                                    fk = kk
                                    break
                            if fk >= 0:
                                break  # windows are sorted: a later one is not earlier
                        if attempt == 0:
                            if found != NEVER:
                                if found < eta:
                                    eta = found
                                    w = fw
                                    k = fk
                                break
                            if not use_slots:
                                status = _WINDOW_UNREACHABLE
                                break
                        elif attempt == 1:
                            if found == NEVER:
                                status = _WINDOW_UNREACHABLE
                                break
                        else:
                            status = _NO_SLOT if found == NEVER else _CAPACITY_EXHAUSTED
                    if status != _OK and _failure_rank(status) > _failure_rank(fail):
                        fail = status
                if not any_fit:
                    r = _NO_VEHICLE_FITS
                elif eta == NEVER:
                    r = fail
                break

            if r != _OK:
                out_reason[row, c] = r
                out_price[row, c] = -1
                out_eta[row, c] = -1
                out_pstart[row, c] = -1
                out_pend[row, c] = -1
                out_slot[row, c] = -1
                continue

            # Honest promise: the customer's window if kept with the buffer, else eta +- buffer.
            buf = ci[c, CI_BUFFER]
            ws = win_start[w]
            we = win_end[w]
            has_windows = (flags & FLAG_WINDOWS) != 0
            kept = eta + buf < we
            p_start = ws if kept else max(eta - buf, ws)
            p_end = (we if has_windows else we - 1) if kept else min(eta + buf, o_pend[i])
            if not kept:
                # Never promise outside the period the carrier delivers in: its slot, or
                # that day's delivery hours.
                if k >= 0:
                    p_start = max(p_start, ki[k, KI_START])
                    p_end = min(p_end, ki[k, KI_END])
                h_from = max(ci[c, CI_HOURS_FROM], oh_from)
                h_to = min(ci[c, CI_HOURS_TO], oh_to)
                if h_from > 0 or h_to < DAY_S:
                    w = wall(eta, tz_change, tz_offset)
                    day0 = w - w % DAY_S  # the ETA's local midnight, wall time
                    p_start = max(p_start, utc(day0 + h_from, tz_change, tz_offset))
                    p_end = min(p_end, utc(day0 + h_to, tz_change, tz_offset))
            if oh_from > 0 or oh_to < DAY_S:
                # Regulated goods: the promise too lies inside the order's allowed hours of
                # the ETA's local day (the ETA already does).
                w = wall(eta, tz_change, tz_offset)
                day0 = w - w % DAY_S
                p_start = max(p_start, utc(day0 + oh_from, tz_change, tz_offset))
                p_end = min(p_end, utc(day0 + oh_to, tz_change, tz_offset))

            # Components as locals (registers); written out only for breakdowns.
            base = 0
            distance = 0
            zone_charge = 0
            same_day = 0
            window = 0
            peak = 0
            fuel = 0
            minimum = 0
            route_stop = 0
            route_km = 0
            if mode == MODE_OWN_FLEET:
                route_stop = ci[c, CI_OWN_STOP]
                route_km = round_half_up(cf[c, CF_OWN_KM_RATE] * km)
                total = route_stop + route_km
            else:
                base = ci[c, CI_BASE]
                acc = 0.0
                lo_km = 0.0
                nb = ci[c, CI_NB]
                for bb in range(nb):  # branch-free: bands above km add exactly 0.0
                    up = cf[c, band_up0 + bb]
                    top = km if km < up else up
                    acc += cf[c, band_rate0 + bb] * max(top - lo_km, 0.0)
                    lo_km = up
                if nb > 0 and km > lo_km:
                    acc += cf[c, band_rate0 + nb - 1] * (km - lo_km)
                distance = round_half_up(acc)
                if zone >= 0:
                    zone_charge = zone_sc[zone, c]
                same_day = ci[c, CI_SAME_DAY] if p_end <= next_midnight_ts else 0
                window = ci[c, CI_WINDOW] if has_windows and we - ws < DAY_S else 0
                total = base + distance + tier_charge + zone_charge + same_day + window
                # Local hour of the week; 1970-01-01 00:00 was a Thursday (Monday + 72 h).
                p = peak_how[c, (wall(eta, tz_change, tz_offset) // 3600 + 72) % 168]
                if p >= 0:
                    peak = round_half_up(total * (cf[c, peak_mult0 + p] - 1.0))
                total += peak
                fuel = round_half_up(total * cf[c, CF_FUEL_PCT] / 100.0)
                total += fuel
                minimum = max(ci[c, CI_MIN_CHARGE] - total, 0)
                total += minimum
                if not keep_components:
                    total += addon_sum[c, caps & 511]
                elif caps != 0:
                    for cap in range(1, 9):
                        if (caps >> cap) & 1:
                            total += ci[c, addon0 + cap]
                            out_components[row, c, ADDON0 + cap] = ci[c, addon0 + cap]

            out_reason[row, c] = _OK
            out_price[row, c] = total
            out_eta[row, c] = eta
            out_pstart[row, c] = p_start
            out_pend[row, c] = p_end
            out_slot[row, c] = -1 if k < 0 else ki[k, KI_IDX]
            if keep_components:
                out_components[row, c, BASE] = base
                out_components[row, c, DISTANCE] = distance
                out_components[row, c, WEIGHT] = tier_charge
                out_components[row, c, ZONE] = zone_charge
                out_components[row, c, SAME_DAY] = same_day
                out_components[row, c, WINDOW] = window
                out_components[row, c, PEAK] = peak
                out_components[row, c, FUEL] = fuel
                out_components[row, c, MINIMUM] = minimum
                out_components[row, c, ROUTE_STOP] = route_stop
                out_components[row, c, ROUTE_KM] = route_km


_I = np.dtype(np.int64)
_F = np.dtype(np.float64)


@dataclass(frozen=True, slots=True)
class PriceInputs:
    """Flat, kernel-ready pricing tables (built by `solver.pricing.build_inputs`).

    Field order is the kernel's argument order. `mb`, `mt`, `mp`: widths of the band, tier
    and peak parts of the carrier tables. `s_*` per site, `o_*` per order, `win_*` the
    effective promise windows (half-open; a deadline d becomes [promise_start, d + 1)),
    `o_hfrom`/`o_hto` the order's allowed delivery hours (local seconds of the day, [0, DAY)
    = any time), `ci`/`cf` one row per carrier (see the CI_/CF_ columns), `zone_sc` [Z, C],
    `vi`/`vf` vans sorted by (carrier, shift start), `ki`/`kf` slots sorted by (carrier, zone,
    start) with `cz_off` [C * Z + 1] delimiting each (carrier, zone).
    """

    now_ts: int
    next_midnight_ts: int
    n_zones: int
    circuity: float
    mb: int
    mt: int
    mp: int
    tz_change: np.ndarray
    tz_offset: np.ndarray
    s_lat: np.ndarray
    s_lon: np.ndarray
    s_open_off: np.ndarray
    s_open_start: np.ndarray
    s_open_end: np.ndarray
    o_site: np.ndarray
    o_lat: np.ndarray
    o_lon: np.ndarray
    o_dist_m: np.ndarray
    o_zone: np.ndarray
    o_weight: np.ndarray
    o_volume: np.ndarray
    o_caps: np.ndarray
    o_pend: np.ndarray
    o_flags: np.ndarray
    o_hfrom: np.ndarray
    o_hto: np.ndarray
    win_off: np.ndarray
    win_start: np.ndarray
    win_end: np.ndarray
    elig_reason: np.ndarray
    ci: np.ndarray
    cf: np.ndarray
    peak_how: np.ndarray
    zone_sc: np.ndarray
    vi: np.ndarray
    vf: np.ndarray
    cz_off: np.ndarray
    ki: np.ndarray
    kf: np.ndarray

    def __post_init__(self) -> None:
        n = self.o_site.shape[0]
        n_carriers = self.ci.shape[0]
        n_sites = self.s_lat.shape[0]
        n_vans = self.vi.shape[0]
        n_slots = self.ki.shape[0]
        n_ci = CI_FIXED + self.mt + 9
        n_cf = CF_FIXED + 2 * self.mb + self.mt + self.mp
        expected: dict[str, tuple[np.dtype[np.generic], tuple[int, ...] | None]] = {
            "tz_change": (_I, None), "tz_offset": (_I, self.tz_change.shape),
            "s_lat": (_F, (n_sites,)), "s_lon": (_F, (n_sites,)),
            "s_open_off": (_I, (n_sites + 1,)), "s_open_start": (_I, None),
            "s_open_end": (_I, None), "o_site": (_I, (n,)), "o_lat": (_F, (n,)),
            "o_lon": (_F, (n,)), "o_dist_m": (_I, (n,)), "o_zone": (_I, (n,)),
            "o_weight": (_F, (n,)),
            "o_volume": (_F, (n,)), "o_caps": (_I, (n,)), "o_pend": (_I, (n,)),
            "o_flags": (_I, (n,)), "o_hfrom": (_I, (n,)), "o_hto": (_I, (n,)),
            "win_off": (_I, (n + 1,)), "win_start": (_I, None),
            "win_end": (_I, None), "elig_reason": (_I, (n, n_carriers)),
            "ci": (_I, (n_carriers, n_ci)), "cf": (_F, (n_carriers, n_cf)),
            "peak_how": (_I, (n_carriers, 168)),
            "zone_sc": (_I, (self.n_zones, n_carriers)), "vi": (_I, (n_vans, 4)),
            "vf": (_F, (n_vans, 3)), "cz_off": (_I, (n_carriers * self.n_zones + 1,)),
            "ki": (_I, (n_slots, 4)), "kf": (_F, (n_slots,)),
        }  # fmt: skip
        for name, (dtype, shape) in expected.items():
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.dtype != dtype:
                got = getattr(value, "dtype", type(value).__name__)
                raise TypeError(f"Expected {name} as {dtype} array, got {got}; use np.asarray")
            if shape is not None and value.shape != shape:
                raise ValueError(f"Expected {name} of shape {shape}, got {value.shape}")
        if self.win_start.shape != self.win_end.shape or self.win_start.ndim != 1:
            raise ValueError("Expected win_start and win_end 1-d of the same shape")
        if self.s_open_start.shape != self.s_open_end.shape or self.s_open_start.ndim != 1:
            raise ValueError("Expected s_open_start and s_open_end 1-d of the same shape")
        speeds = (self.cf[:, CF_TRAVEL_DIV], self.cf[:, CF_OWN_MIN_DIV], self.vf[:, VF_TRAVEL_DIV])
        if not all(bool((s > 0).all()) for s in speeds):
            raise ValueError("Expected travel divisors (speeds in m per hour) > 0")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value = np.ascontiguousarray(value)
                value.setflags(write=False)
                object.__setattr__(self, f.name, value)

    def args(self) -> tuple[object, ...]:
        """The fields in kernel argument order."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def bands(self, carrier_idx: int) -> list[tuple[float, float]]:
        """(up_to_km, cents per km) of the carrier's card."""
        row = self.cf[carrier_idx]
        nb = int(self.ci[carrier_idx, CI_NB])
        ups = row[CF_FIXED : CF_FIXED + nb]
        rates = row[CF_FIXED + self.mb : CF_FIXED + self.mb + nb]
        return [(float(u), float(r)) for u, r in zip(ups, rates, strict=True)]


@dataclass(frozen=True, slots=True)
class PairMatrices:
    """Kernel output, [N, C] each (see `solver.pricing.PriceTable`)."""

    price_cents: np.ndarray
    eta_ts: np.ndarray
    promise_start_ts: np.ndarray
    promise_end_ts: np.ndarray
    co2e_g: np.ndarray
    distance_m: np.ndarray
    slot_idx: np.ndarray
    reason: np.ndarray


def empty_matrices(n_orders: int, n_carriers: int) -> PairMatrices:
    """Uninitialised output matrices, e.g. to reuse across calls (`price_pairs(out=...)`)."""
    i64 = [np.empty((n_orders, n_carriers), dtype=np.int64) for _ in range(7)]
    co2e = np.empty((n_orders, n_carriers), dtype=np.float64)
    return PairMatrices(i64[0], i64[1], i64[2], i64[3], co2e, i64[4], i64[5], i64[6])


def _run(
    inputs: PriceInputs, i_lo: int, i_hi: int, keep: bool, out: PairMatrices | None = None
) -> tuple[PairMatrices, np.ndarray]:
    n_carriers = inputs.ci.shape[0]
    m = out if out is not None else empty_matrices(i_hi - i_lo, n_carriers)
    comps = np.zeros((i_hi - i_lo if keep else 0, n_carriers, N_COMPONENTS), dtype=np.int64)
    _price_kernel(  # type: ignore[call-arg]
        i_lo, i_hi, keep, *inputs.args(), m.price_cents, m.eta_ts, m.promise_start_ts,
        m.promise_end_ts, m.co2e_g, m.distance_m, m.slot_idx, m.reason, comps,
    )  # fmt: skip
    return m, comps


def price_pairs(inputs: PriceInputs, out: PairMatrices | None = None) -> PairMatrices:
    """Run the pricing kernel over every order x carrier pair.

    Parameters
    ----------
    inputs : PriceInputs
        Checked tables; see `solver.pricing.build_inputs`.
    out : PairMatrices, optional
        Writable [N, C] matrices to fill (from `empty_matrices`), so repeated calls do not
        allocate; new ones when omitted.

    Returns
    -------
    PairMatrices
        Eight [N, C] matrices (`out` when given).

    Raises
    ------
    ValueError
        If `out` has the wrong shape or dtype.
    """
    n = inputs.o_site.shape[0]
    n_carriers = inputs.ci.shape[0]
    if out is not None:
        ref = empty_matrices(0, 0)
        for f in fields(out):
            a, want = getattr(out, f.name), getattr(ref, f.name)
            if a.shape != (n, n_carriers) or a.dtype != want.dtype or not a.flags.writeable:
                raise ValueError(
                    f"Expected out.{f.name} writable {want.dtype}[{n}, {n_carriers}]; "
                    "use empty_matrices"
                )
    return _run(inputs, 0, n, False, out)[0]


@dataclass(frozen=True, slots=True)
class PairResult:
    """One pair computed alone, with its price components (indexed by BASE .. ROUTE_KM)."""

    reason: int
    eta_ts: int
    promise_start_ts: int
    promise_end_ts: int
    slot_idx: int
    price_cents: int
    distance_m: int
    components: np.ndarray


def pair_components(inputs: PriceInputs, order_idx: int, carrier_idx: int) -> PairResult:
    """Compute one pair with the very kernel that fills the matrices (one row of it).

    Parameters
    ----------
    inputs : PriceInputs
    order_idx, carrier_idx : int

    Returns
    -------
    PairResult

    Raises
    ------
    IndexError
        If the order or carrier index is out of range.
    """
    n = inputs.o_site.shape[0]
    n_carriers = inputs.ci.shape[0]
    if not (0 <= order_idx < n and 0 <= carrier_idx < n_carriers):
        raise IndexError(f"Expected 0 <= order_idx < {n} and 0 <= carrier_idx < {n_carriers}")
    m, comps = _run(inputs, order_idx, order_idx + 1, True)
    c = carrier_idx
    return PairResult(
        reason=int(m.reason[0, c]),
        eta_ts=int(m.eta_ts[0, c]),
        promise_start_ts=int(m.promise_start_ts[0, c]),
        promise_end_ts=int(m.promise_end_ts[0, c]),
        slot_idx=int(m.slot_idx[0, c]),
        price_cents=int(m.price_cents[0, c]),
        distance_m=int(m.distance_m[0, c]),
        components=comps[0, c].copy(),
    )


@dataclass(frozen=True, slots=True)
class PairBatch:
    """Many pairs computed together, with their price components; entry p is pair p."""

    reason: np.ndarray  # int64[P]
    eta_ts: np.ndarray  # int64[P]
    promise_start_ts: np.ndarray  # int64[P]
    promise_end_ts: np.ndarray  # int64[P]
    slot_idx: np.ndarray  # int64[P]
    price_cents: np.ndarray  # int64[P]
    distance_m: np.ndarray  # int64[P]
    components: np.ndarray  # int64[P, N_COMPONENTS]


BATCH_ROWS = 2048  # orders per kernel call of `pairs_components` (bounds its memory)


def pairs_components(
    inputs: PriceInputs, order_idx: np.ndarray, carrier_idx: np.ndarray
) -> PairBatch:
    """Compute many pairs with the very kernel that fills the matrices, components kept.

    One kernel call per block of at most `BATCH_ROWS` consecutive orders that holds a wanted
    pair (each block trimmed to its first and last wanted order), instead of one per pair.

    Parameters
    ----------
    inputs : PriceInputs
    order_idx, carrier_idx : np.ndarray
        int64[P] each: the pairs, in any order, repeats allowed.

    Returns
    -------
    PairBatch

    Raises
    ------
    ValueError
        If the index arrays are not 1-d of the same length.
    IndexError
        If an order or carrier index is out of range.
    """
    rows = np.asarray(order_idx, dtype=np.int64)
    cols = np.asarray(carrier_idx, dtype=np.int64)
    if rows.ndim != 1 or rows.shape != cols.shape:
        raise ValueError("Expected order_idx and carrier_idx 1-d of the same length")
    n = inputs.o_site.shape[0]
    n_carriers = inputs.ci.shape[0]
    if rows.size and (
        rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= n_carriers
    ):
        raise IndexError(f"Expected 0 <= order_idx < {n} and 0 <= carrier_idx < {n_carriers}")
    p = rows.shape[0]
    ints = [np.empty(p, dtype=np.int64) for _ in range(7)]
    components = np.empty((p, N_COMPONENTS), dtype=np.int64)
    by_row = np.argsort(rows, kind="stable")
    block_of = rows[by_row] // BATCH_ROWS
    starts = np.flatnonzero(np.r_[True, block_of[1:] != block_of[:-1]]) if p else by_row
    ends = np.r_[starts[1:], p][: len(starts)]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        sel = by_row[a:b]
        lo, hi = int(rows[sel[0]]), int(rows[sel[-1]]) + 1
        m, comps = _run(inputs, lo, hi, True)
        r, c = rows[sel] - lo, cols[sel]
        for out, got in zip(
            ints,
            (m.reason, m.eta_ts, m.promise_start_ts, m.promise_end_ts, m.slot_idx,
             m.price_cents, m.distance_m),
            strict=True,
        ):  # fmt: skip
            out[sel] = got[r, c]
        components[sel] = comps[r, c]
    reason, eta, p_start, p_end, slot, price, dist = ints
    return PairBatch(reason, eta, p_start, p_end, slot, price, dist, components)


def warm_up() -> None:
    """Compile (or load from cache) the kernel on a one-order table; call before serving."""
    i0, f0 = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    one_i, one_f = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.float64)
    inputs = PriceInputs(
        now_ts=0, next_midnight_ts=DAY_S, n_zones=1, circuity=1.0, mb=1, mt=1, mp=1,
        tz_change=np.array([-NEVER]), tz_offset=np.zeros(1, dtype=np.int64),
        s_lat=one_f, s_lon=one_f, s_open_off=np.zeros(2, dtype=np.int64),
        s_open_start=i0, s_open_end=i0,
        o_site=one_i, o_lat=one_f, o_lon=one_f, o_dist_m=np.full(1, -1), o_zone=one_i,
        o_weight=one_f, o_volume=one_f,
        o_caps=one_i, o_pend=np.array([DAY_S]), o_flags=one_i,
        o_hfrom=np.array([8 * 3600]), o_hto=np.array([22 * 3600]),
        win_off=np.array([0, 1]), win_start=one_i, win_end=np.array([DAY_S]),
        elig_reason=np.zeros((1, 1), dtype=np.int64),
        ci=np.zeros((1, CI_FIXED + 1 + 9), dtype=np.int64),
        cf=np.ones((1, CF_FIXED + 2 + 1 + 1), dtype=np.float64),
        peak_how=np.full((1, 168), -1, dtype=np.int64),
        zone_sc=np.zeros((1, 1), dtype=np.int64),
        vi=np.zeros((0, 4), dtype=np.int64), vf=np.zeros((0, 3), dtype=np.float64),
        cz_off=np.zeros(2, dtype=np.int64), ki=np.zeros((0, 4), dtype=np.int64), kf=f0,
    )  # fmt: skip
    price_pairs(inputs)
    pair_components(inputs, 0, 0)
    pairs_components(inputs, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64))
