"""Pricing kernel and assignment benchmarks, every ratio measured in the same run.

Pricing: a generated day (the sample's mix, `samples.generate`) of 100,000 orders and 8 carriers
(the sample's 6 plus a second national and a second regional carrier without slots), every pair
eligible so every pair runs the full price, ETA, slot and promise logic. Three implementations
of the same semantics on the same tables:

* kernel: `solver.kernels.price` (numba, one thread), best of `--repeat` runs;
* numpy: `numpy_price` below, vectorised over orders (Python loops only over carriers, vans,
  windows and slots), checked against the kernel entry by entry;
* plain Python: `tests.naive_pricing` (the reference the kernel is tested against) on a
  subsample of `--plain-orders` orders, scaled per pair.

Also the kernel with the built-in eligibility (excluded pairs are cheap), and the assignment of
10,000 orders x 8 carriers x 200 slots: greedy and the exact optimiser (`solver.optimize`), with
status and objective. Writes JSON (`--out`) and prints a short table.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from typing import TYPE_CHECKING

import numpy as np

from bench import results
from samples.generate import generate_day
from service.convert import to_snapshot
from solver import assign, pricing
from solver.checks import BuiltinPolicy
from solver.clock import LocalClock
from solver.eligibility import Eligibility
from solver.kernels import price as kernel

if TYPE_CHECKING:
    from collections.abc import Callable

    from lastmile.v1 import orchestrator_pb2
    from solver.snapshot import Snapshot

NEVER = kernel.NEVER
DAY = kernel.DAY_S
_EXTRA_CARRIERS = (("paket-national", "paket-zwei", 64_800), ("spree-regional", "havel", 9_000))


# --- inputs ------------------------------------------------------------------------------------


def eight_carrier_day(orders: int, seed: int = 7) -> orchestrator_pb2.DecideRequest:
    """The generated day plus two partners (a second national, a second regional without
    slots) on the existing rate cards: 8 carriers."""
    request = generate_day(seed=seed, orders=orders)
    by_id = {c.id: c for c in request.carriers}
    for source, new_id, lead_s in _EXTRA_CARRIERS:
        carrier = request.carriers.add()
        carrier.CopyFrom(by_id[source])
        carrier.id, carrier.name = new_id, new_id
        carrier.lead_time.seconds = lead_s
    return request


def all_eligible(snapshot: Snapshot, like: Eligibility) -> Eligibility:
    """Every pair eligible, with the requirements of `like` (so add-ons are priced)."""
    n, n_carriers = snapshot.orders.count, snapshot.carriers.count
    return Eligibility(
        service_level=like.service_level,
        requirement_bits=like.requirement_bits,
        reason=np.zeros((n, n_carriers), dtype=np.int64),
        source=np.full((n, n_carriers), -1, dtype=np.int64),
        sources=(),
        messages=(),
        notes=tuple(() for _ in range(n)),
        max_ride_s=like.max_ride_s,
        version="bench:all-eligible",
    )


# --- the numpy version -------------------------------------------------------------------------


def _in_hours(t: np.ndarray, p: kernel.PriceInputs, h_from: int, h_to: int) -> np.ndarray:
    if h_from <= 0 and h_to >= DAY:
        return t
    clock = _clock(p)
    w = clock.wall(t)
    sec = w % DAY
    late = np.where(sec >= h_to, np.maximum(t, clock.utc(w - sec + DAY + h_from)), t)
    out: np.ndarray = np.where(sec < h_from, np.maximum(t, clock.utc(w - sec + h_from)), late)
    return out


def _clock(p: kernel.PriceInputs) -> LocalClock:
    return LocalClock(p.tz_change, p.tz_offset)


def _rhu(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5).astype(np.int64)


def _rank(status: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.select(
        [status == kernel._CAPACITY_EXHAUSTED, status == kernel._NO_SLOT], [3, 2], 1
    )
    return out


def _place(
    p: kernel.PriceInputs,
    c: int,
    earliest: np.ndarray,
    limit: int,
    windows: tuple[np.ndarray, np.ndarray],
    hours: tuple[int, int],
    slots_on: bool,
    need_room: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earliest moment in the first window (and a slot) that fits: (t, window, slot row)."""
    ws_pad, we_pad = windows
    n = earliest.shape[0]
    found = np.full(n, NEVER, dtype=np.int64)
    fw = np.full(n, -1, dtype=np.int64)
    fk = np.full(n, -1, dtype=np.int64)
    n_zones = p.n_zones
    for w in range(ws_pad.shape[1]):
        open_ = found == NEVER
        a = _in_hours(np.maximum(earliest, ws_pad[:, w]), p, *hours)
        b = np.minimum(we_pad[:, w], limit)
        if not slots_on:
            hit = open_ & (a < b)
            found = np.where(hit, a, found)
            fw = np.where(hit, w, fw)
            continue
        for z in range(n_zones):
            in_zone = open_ & (p.o_zone == z)
            if not in_zone.any():
                continue
            for kk in range(p.cz_off[c * n_zones + z], p.cz_off[c * n_zones + z + 1]):
                ks, ke = p.ki[kk, kernel.KI_START], p.ki[kk, kernel.KI_END]
                hit = in_zone & (fk < 0) & (ks < b)
                if need_room:
                    hit &= (p.ki[kk, kernel.KI_ORDERS] >= 1) & (p.kf[kk] >= p.o_weight)
                t = np.maximum(a, ks)
                hit &= (t < ke) & (t < b)
                found = np.where(hit, t, found)
                fw = np.where(hit, w, fw)
                fk = np.where(hit, kk, fk)
    return found, fw, fk


def _distance(p: kernel.PriceInputs) -> np.ndarray:
    """Matrix entry or haversine x circuity, spelled as the kernel spells it."""
    deg = kernel.DEG
    s = p.o_site
    site_cos = np.cos(p.s_lat * deg)
    p1, p2 = p.s_lat[s] * deg, p.o_lat * deg
    sdlat = np.sin((p2 - p1) * 0.5)
    sdlon = np.sin((p.o_lon * deg - p.s_lon[s] * deg) * 0.5)
    a = sdlat * sdlat + site_cos[s] * np.cos(p2) * sdlon * sdlon
    root = np.minimum(np.sqrt(a), 1.0)
    hav = _rhu(2.0 * kernel.EARTH_RADIUS_KM * np.arcsin(root) * p.circuity * 1000.0)
    out: np.ndarray = np.where(p.o_dist_m >= 0, p.o_dist_m, hav)
    return out


def _handover(p: kernel.PriceInputs) -> np.ndarray:
    handover = np.empty(p.s_lat.shape[0], dtype=np.int64)
    for site in range(handover.shape[0]):
        lo, hi = p.s_open_off[site], p.s_open_off[site + 1]
        h = p.now_ts if lo == hi else NEVER
        for k in range(lo, hi):
            if p.s_open_end[k] > p.now_ts:
                h = min(h, max(p.now_ts, int(p.s_open_start[k])))
        handover[site] = h
    out: np.ndarray = handover[p.o_site]
    return out


def _windows(p: kernel.PriceInputs) -> tuple[np.ndarray, np.ndarray]:
    """Windows padded to [N, W]; missing ones never fit."""
    n = p.o_site.shape[0]
    counts = np.diff(p.win_off)
    width = int(counts.max(initial=1))
    ws_pad = np.full((n, width), NEVER, dtype=np.int64)
    we_pad = np.full((n, width), -NEVER, dtype=np.int64)
    for w in range(width):
        has = counts > w
        ws_pad[has, w] = p.win_start[p.win_off[:-1][has] + w]
        we_pad[has, w] = p.win_end[p.win_off[:-1][has] + w]
    return ws_pad, we_pad


def numpy_price(p: kernel.PriceInputs) -> kernel.PairMatrices:
    """The kernel's semantics, vectorised over orders with numpy (same tables, same outputs)."""
    n = p.o_site.shape[0]
    n_carriers = p.ci.shape[0]
    out = kernel.empty_matrices(n, n_carriers)
    clock = _clock(p)
    dist = _distance(p)
    km = dist / 1000.0
    d3600 = dist * 3600.0
    h = _handover(p)
    windows = _windows(p)
    ws_pad, we_pad = windows
    flags = p.o_flags
    has_windows = (flags & kernel.FLAG_WINDOWS) != 0
    tier_c0, addon0 = kernel.CI_FIXED, kernel.CI_FIXED + p.mt
    band_up0, band_rate0 = kernel.CF_FIXED, kernel.CF_FIXED + p.mb
    tier_up0 = band_rate0 + p.mb
    peak_mult0 = tier_up0 + p.mt
    rows = np.arange(n)
    for c in range(n_carriers):
        ci, cf = p.ci[c], p.cf[c]
        mode = int(ci[kernel.CI_MODE])
        r = p.elig_reason[:, c].copy()
        tier_charge = np.zeros(n, dtype=np.int64)
        if mode == kernel.MODE_NO_CARD:
            r[r == 0] = kernel._NO_RATE_CARD
        nt = int(ci[kernel.CI_NT])
        if mode == kernel.MODE_PARTNER and nt > 0:
            chargeable = p.o_weight
            if cf[kernel.CF_DIM_DIV] > 0.0:
                chargeable = np.maximum(chargeable, p.o_volume * 1000.0 / cf[kernel.CF_DIM_DIV])
            t = np.searchsorted(cf[tier_up0 : tier_up0 + nt], chargeable, side="left")
            over = t >= nt
            r[(r == 0) & over] = kernel._OVER_WEIGHT_LIMIT
            tier_charge = np.where(over, 0, p.ci[c, tier_c0 + np.minimum(t, nt - 1)])
        r[(r == 0) & (h == NEVER)] = kernel._WINDOW_UNREACHABLE
        floor = np.zeros(n, dtype=np.int64)
        if ci[kernel.CI_SAME_DAY_OK] == 0:
            r[(r == 0) & ((flags & kernel.FLAG_TODAY) != 0)] = kernel._PAST_CUTOFF
            floor[:] = p.next_midnight_ts
        live = r == 0
        ready = h + ci[kernel.CI_LEAD]
        hours = (int(ci[kernel.CI_HOURS_FROM]), int(ci[kernel.CI_HOURS_TO]))
        use_slots = bool(ci[kernel.CI_HAS_SLOTS])
        eta = np.full(n, NEVER, dtype=np.int64)
        win = np.full(n, -1, dtype=np.int64)
        slot = np.full(n, -1, dtype=np.int64)
        fail = np.full(n, kernel._WINDOW_UNREACHABLE, dtype=np.int64)
        any_fit = np.zeros(n, dtype=np.bool_)
        own = mode == kernel.MODE_OWN_FLEET
        vans = range(ci[kernel.CI_VAN_LO], ci[kernel.CI_VAN_HI]) if own else range(1)
        for v in vans:
            if own:
                caps = p.o_caps
                fits = ((p.vi[v, kernel.VI_SKILL] & caps) == caps) & (p.vi[v, kernel.VI_STOPS] >= 1)
                fits &= (p.vf[v, kernel.VF_KG] >= p.o_weight) & (p.vf[v, kernel.VF_L] >= p.o_volume)
                depart = np.maximum(ready, p.vi[v, kernel.VI_SHIFT_START])
                travel = np.ceil(d3600 / p.vf[v, kernel.VF_TRAVEL_DIV]).astype(np.int64)
                earliest = depart + travel
                limit = int(p.vi[v, kernel.VI_SHIFT_END]) + 1
            else:
                fits = np.ones(n, dtype=np.bool_)
                earliest = ready + np.ceil(d3600 / cf[kernel.CF_TRAVEL_DIV]).astype(np.int64)
                limit = NEVER
            fits &= live
            any_fit |= fits
            earliest = np.maximum(earliest, floor)
            t0, w0, k0 = _place(p, c, earliest, limit, windows, hours, use_slots, True)
            better = fits & (t0 < eta)
            eta = np.where(better, t0, eta)
            win = np.where(better, w0, win)
            slot = np.where(better, k0, slot)
            missed = fits & (t0 == NEVER)
            if missed.any():
                status = np.full(n, kernel._WINDOW_UNREACHABLE, dtype=np.int64)
                if use_slots:
                    t1 = _place(p, c, earliest, limit, windows, hours, False, False)[0]
                    t2 = _place(p, c, earliest, limit, windows, hours, True, False)[0]
                    some_slot = np.where(t2 == NEVER, kernel._NO_SLOT, kernel._CAPACITY_EXHAUSTED)
                    status = np.where(t1 == NEVER, kernel._WINDOW_UNREACHABLE, some_slot)
                fail = np.where(missed & (_rank(status) > _rank(fail)), status, fail)
        r = np.where(live & ~any_fit, kernel._NO_VEHICLE_FITS, r)
        r = np.where(live & any_fit & (eta == NEVER), fail, r)
        ok = r == 0
        # Promise.
        wsafe = np.maximum(win, 0)
        ws, we = ws_pad[rows, wsafe], we_pad[rows, wsafe]
        buf = ci[kernel.CI_BUFFER]
        kept = eta + buf < we
        p_start = np.where(kept, ws, np.maximum(eta - buf, ws))
        p_end = np.where(kept, np.where(has_windows, we, we - 1), np.minimum(eta + buf, p.o_pend))
        ksafe = np.maximum(slot, 0)
        if p.ki.shape[0]:
            in_slot = ~kept & (slot >= 0)
            p_start = np.where(in_slot, np.maximum(p_start, p.ki[ksafe, kernel.KI_START]), p_start)
            p_end = np.where(in_slot, np.minimum(p_end, p.ki[ksafe, kernel.KI_END]), p_end)
        if hours[0] > 0 or hours[1] < DAY:
            wall = clock.wall(eta)
            day0 = wall - wall % DAY  # the ETA's local midnight, wall time
            starts, ends = clock.utc(day0 + hours[0]), clock.utc(day0 + hours[1])
            p_start = np.where(kept, p_start, np.maximum(p_start, starts))
            p_end = np.where(kept, p_end, np.minimum(p_end, ends))
        # Price.
        if own:
            total = ci[kernel.CI_OWN_STOP] + _rhu(cf[kernel.CF_OWN_KM_RATE] * km)
        else:
            acc = np.zeros(n)
            lo_km = 0.0
            nb = int(ci[kernel.CI_NB])
            for bb in range(nb):
                up = cf[band_up0 + bb]
                top = np.minimum(km, up)
                acc += np.where(top > lo_km, cf[band_rate0 + bb] * (top - lo_km), 0.0)
                lo_km = up
            if nb > 0:
                acc += np.where(km > lo_km, cf[band_rate0 + nb - 1] * (km - lo_km), 0.0)
            zone_charge = np.where(p.o_zone >= 0, p.zone_sc[np.maximum(p.o_zone, 0), c], 0)
            same_day = np.where(p_end <= p.next_midnight_ts, ci[kernel.CI_SAME_DAY], 0)
            window = np.where(has_windows & (we - ws < DAY), ci[kernel.CI_WINDOW], 0)
            total = ci[kernel.CI_BASE] + _rhu(acc) + tier_charge + zone_charge + same_day + window
            entry = p.peak_how[c, (clock.wall(eta) // 3600 + 72) % 168]
            mult = np.where(entry >= 0, p.cf[c, peak_mult0 + np.maximum(entry, 0)], 1.0)
            total = total + np.where(entry >= 0, _rhu(total * (mult - 1.0)), 0)
            total = total + _rhu(total * cf[kernel.CF_FUEL_PCT] / 100.0)
            total = np.maximum(total, ci[kernel.CI_MIN_CHARGE])
            for cap in range(1, 9):
                total = total + np.where((p.o_caps >> cap) & 1 == 1, ci[addon0 + cap], 0)
        slot_idx = p.ki[ksafe, kernel.KI_IDX] if p.ki.shape[0] else np.full(n, -1)
        out.reason[:, c] = r
        out.distance_m[:, c] = dist
        out.co2e_g[:, c] = cf[kernel.CF_EMISSIONS] * km
        out.price_cents[:, c] = np.where(ok, total, -1)
        out.eta_ts[:, c] = np.where(ok, eta, -1)
        out.promise_start_ts[:, c] = np.where(ok, p_start, -1)
        out.promise_end_ts[:, c] = np.where(ok, p_end, -1)
        out.slot_idx[:, c] = np.where(ok & (slot >= 0), slot_idx, -1)
    return out


# --- measuring ---------------------------------------------------------------------------------

_COMPARED = ("price_cents", "eta_ts", "promise_start_ts", "promise_end_ts", "slot_idx", "reason")


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _agreement(a: kernel.PairMatrices, b: kernel.PairMatrices | dict[str, np.ndarray]) -> float:
    """Share of pairs on which every output agrees."""
    same = np.ones(a.reason.shape, dtype=np.bool_)
    for name in _COMPARED:
        other = b[name] if isinstance(b, dict) else getattr(b, name)
        same &= getattr(a, name) == other
    return float(same.mean())


def _speed(seconds: float, pairs: int, **extra: object) -> dict[str, object]:
    return {
        "seconds": seconds,
        "pairs_per_s": pairs / seconds,
        "ns_per_pair": seconds / pairs * 1e9,
        **extra,
    }


def bench_kernel(orders: int, repeat: int, plain_orders: int) -> dict[str, object]:
    """Kernel vs numpy vs plain Python on `orders` x 8 carriers, all measured here."""
    started = time.perf_counter()
    snapshot = to_snapshot(eight_carrier_day(orders))
    built_s = time.perf_counter() - started
    rules = BuiltinPolicy().evaluate(snapshot)
    everyone = all_eligible(snapshot, rules)
    inputs = pricing.build_inputs(snapshot, everyone)
    n_carriers = snapshot.carriers.count
    pairs = orders * n_carriers
    out = kernel.empty_matrices(orders, n_carriers)
    kernel.price_pairs(inputs, out)  # compile, or load from the cache
    kernel_s = _best(lambda: kernel.price_pairs(inputs, out), repeat)
    by_rules = pricing.build_inputs(snapshot, rules)
    out_rules = kernel.empty_matrices(orders, n_carriers)
    kernel.price_pairs(by_rules, out_rules)
    rules_s = _best(lambda: kernel.price_pairs(by_rules, out_rules), repeat)

    numpy_out: list[kernel.PairMatrices] = []
    numpy_s = _best(lambda: numpy_out.append(numpy_price(inputs)), max(1, repeat // 3))

    from tests.naive_pricing import naive_price  # the reference the kernel is tested against

    rows = np.sort(np.random.default_rng(0).choice(orders, plain_orders, replace=False))
    began = time.perf_counter()
    plain = naive_price(snapshot, everyone, orders=rows)
    plain_s = (time.perf_counter() - began) * orders / plain_orders
    sub = kernel.PairMatrices(*(getattr(out, name)[rows] for name in kernel.PairMatrices.__slots__))
    return {
        "orders": orders,
        "carriers": n_carriers,
        "pairs": pairs,
        "snapshot_build_s": built_s,
        "possible_share": float((out.reason == 0).mean()),
        "kernel": _speed(kernel_s, pairs),
        "kernel_builtin_eligibility": _speed(
            rules_s, pairs, eligible_share=float((rules.reason == 0).mean())
        ),
        "numpy": _speed(numpy_s, pairs, agreement_with_kernel=_agreement(out, numpy_out[-1])),
        "plain_python": _speed(
            plain_s,
            pairs,
            subsample_orders=plain_orders,
            scaled=True,
            agreement_with_kernel=_agreement(sub, plain),
        ),
        "kernel_vs_numpy": numpy_s / kernel_s,
        "kernel_vs_plain_python": plain_s / kernel_s,
        "targets": {"pairs_per_s": 50e6, "kernel_vs_plain_python": 50.0, "kernel_vs_numpy": 3.0},
    }


def bench_assignment(orders: int, slots: int, budget_s: float) -> dict[str, object]:
    """`orders` x 8 carriers with `slots` capacity slots (a seeded choice of the day's)."""
    request = eight_carrier_day(orders, seed=11)
    keep = sorted(random.Random(0).sample(range(len(request.capacity)), slots))
    kept = [request.capacity[k] for k in keep]
    del request.capacity[:]
    request.capacity.extend(kept)
    snapshot = to_snapshot(request)
    eligibility = BuiltinPolicy().evaluate(snapshot)
    table = pricing.price(snapshot, eligibility)
    scores = assign.score(snapshot, table)
    started = time.perf_counter()
    greedy = assign.greedy(snapshot, eligibility, table, scores)
    greedy_s = time.perf_counter() - started
    from solver import optimize

    started = time.perf_counter()
    best = optimize.optimal(snapshot, eligibility, table, scores, budget_s)
    optimal_s = time.perf_counter() - started

    def summary(a: assign.Assignment, seconds: float) -> dict[str, object]:
        idx = np.flatnonzero(a.carrier_idx >= 0)
        return {
            "seconds": seconds,
            "status": a.status.name,
            "objective": a.objective,
            "assigned": len(idx),
            "cost_cents": int(table.price_cents[idx, a.carrier_idx[idx]].sum()),
        }

    return {
        "orders": orders,
        "carriers": snapshot.carriers.count,
        "slots": snapshot.slots.count,
        "candidates": int((table.reason == 0).sum()),
        "greedy": summary(greedy, greedy_s),
        "optimal": summary(best, optimal_s),
        "objective_vs_greedy": best.objective / greedy.objective if greedy.objective else 1.0,
        "target_seconds": 1.0,
    }


def _table(k: dict[str, object], a: dict[str, object]) -> list[str]:
    lines = [
        f"Pricing {k['orders']:,} orders x {k['carriers']} carriers = {k['pairs']:,} pairs "
        "(one core, every pair eligible unless noted)"
    ]

    def row(name: str, d: object, extra: str = "") -> None:
        assert isinstance(d, dict)
        lines.append(
            f"  {name:<36} {d['seconds'] * 1000:>9.1f} ms {d['pairs_per_s'] / 1e6:>8.2f} M pairs/s"
            f" {d['ns_per_pair']:>8.1f} ns/pair  {extra}".rstrip()
        )

    numpy_, plain = k["numpy"], k["plain_python"]
    assert isinstance(numpy_, dict) and isinstance(plain, dict)
    row("kernel (numba)", k["kernel"])
    row("kernel, built-in eligibility", k["kernel_builtin_eligibility"])
    row(
        "numpy vectorised",
        numpy_,
        f"kernel {k['kernel_vs_numpy']:.1f}x; same output {numpy_['agreement_with_kernel']:.2%}",
    )
    row(
        f"plain Python ({plain['subsample_orders']:,} orders, scaled)",
        plain,
        f"kernel {k['kernel_vs_plain_python']:.0f}x; same output "
        f"{plain['agreement_with_kernel']:.2%}",
    )
    g, o = a["greedy"], a["optimal"]
    assert isinstance(g, dict) and isinstance(o, dict)
    lines.append(
        f"Assignment {a['orders']:,} orders x {a['carriers']} carriers x {a['slots']} slots "
        f"({a['candidates']:,} candidates)"
    )
    for name, d in (("greedy", g), ("optimal", o)):
        lines.append(
            f"  {name:<8} {d['seconds'] * 1000:>8.1f} ms  {d['status']:<9} assigned "
            f"{d['assigned']:,}  cost {d['cost_cents'] / 100:,.2f}  objective {d['objective']:,.0f}"
        )
    lines.append(f"  optimal objective / greedy objective = {a['objective_vs_greedy']:.4f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results/pricing.json")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--plain-orders", type=int, default=1_000)
    parser.add_argument("--assign-orders", type=int, default=10_000)
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--budget-s", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="10,000 orders, fewer repeats")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.repeat, args.plain_orders = 10_000, 3, 200
    k = bench_kernel(args.orders, args.repeat, args.plain_orders)
    a = bench_assignment(args.assign_orders, args.slots, args.budget_s)
    results.write(args.out, "pricing", {"pricing": k, "assignment": a})
    print("\n".join(_table(k, a)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
