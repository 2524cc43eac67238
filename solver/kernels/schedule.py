"""Route timing kernel: the times of a fixed visit sequence, compiled.

`solver.routing._PlainScheduler` is the reference (readable Python, same algorithm, same
results; tests compare the two on random routes with windows, lateness, breaks, duration and
ride limits); `solver.routing._Scheduler` calls these. The insertion passes time thousands of
candidate routes per decision, so this is their hot path.

A timed route is (ok, departure, end, break start, arrival[n], start[n], lateness[n]).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: No lateness limit (max_lateness_s <= 0): far beyond any horizon.
UNLIMITED = 1 << 62


@njit(cache=True, nogil=True, inline="always")
def _failed(t0):  # type: ignore[no-untyped-def]
    empty = np.empty(0, dtype=np.int64)
    return False, t0, np.int64(0), np.int64(-1), empty, empty, empty


@njit(cache=True, nogil=True, inline="always")
def _service_start(o, arrival, w_off, w_start, w_end, late_ok, max_late):  # type: ignore[no-untyped-def]
    """(start, lateness, reachable) when arriving at ``arrival``."""
    for k in range(w_off[o], w_off[o + 1]):
        if arrival <= w_end[k]:
            return (w_start[k] if w_start[k] > arrival else arrival), 0, True
    last = w_end[w_off[o + 1] - 1]
    if late_ok[o] and arrival - last <= max_late:
        return arrival, arrival - last, True
    return 0, 0, False


@njit(cache=True, nogil=True)
def forward(seq, t0, with_break, van, tables):  # type: ignore[no-untyped-def]
    """Earliest schedule leaving the start depot at ``t0`` (see `_PlainScheduler.forward`).

    ``van``: (start location, end location, break start, break end, break duration, shift
    end); ``tables``: (travel, location, service of each order, window offsets, starts, ends,
    lateness allowed per order, lateness limit).
    """
    start_loc, end_loc, bs, be, bd, shift_end = van
    travel, loc, service, w_off, w_start, w_end, late_ok, max_late = tables
    n = seq.shape[0]
    arrival = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    lateness = np.empty(n, dtype=np.int64)
    pending = with_break
    brk = -1
    t = t0
    prev = start_loc
    for i in range(n):
        o = seq[i]
        leg = travel[prev, loc[o]]
        arr = t + leg
        ps, pl, pok = _service_start(o, arr, w_off, w_start, w_end, late_ok, max_late)
        if pending:
            b = t if t > bs else bs
            wok = False
            arr_b = 0
            ws = 0
            wl = 0
            if b + bd <= be:
                arr_b = (t + leg if t + leg > bs else bs) + bd
                ws, wl, wok = _service_start(o, arr_b, w_off, w_start, w_end, late_ok, max_late)
            later_ok = pok and max(ps + service[o], bs) + bd <= be
            if wok and (not pok or ws == ps or not later_ok):
                brk = b
                pending = False
                arr = arr_b
                ps, pl, pok = ws, wl, True
        if not pok:
            return _failed(t0)
        arrival[i] = arr
        start[i] = ps
        lateness[i] = pl
        t = ps + service[o]
        prev = loc[o]
    end = t + travel[prev, end_loc]
    if pending:
        b = t if t > bs else bs
        if b + bd > be:
            return _failed(t0)
        brk = b
        end = max(end, b + bd + travel[prev, end_loc])
    if end > shift_end:
        return _failed(t0)
    return True, t0, end, brk, arrival, start, lateness


@njit(cache=True, nogil=True)
def _timed(seq, t0, with_break, van, max_dur, ride, tables):  # type: ignore[no-untyped-def]
    """`_PlainScheduler._schedule`: earliest end, then the latest departure keeping it."""
    start_loc, end_loc = van[0], van[1]
    shift_end = van[5]
    travel, loc, service, w_off, w_start, w_end = tables[:6]
    first = forward(seq, t0, with_break, van, tables)
    if not first[0]:
        return first
    best = first
    n = seq.shape[0]
    if with_break:  # bisection: the break's place varies with the departure
        lo = first[1]
        hi = first[1]
        for k in range(n):
            hi += first[5][k] - first[4][k]
        hi = min(hi, shift_end)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            cand = forward(seq, mid, True, van, tables)
            if cand[0] and cand[2] == first[2]:
                lo = mid
                best = cand
            else:
                hi = mid - 1
    else:  # one backward pass
        latest = first[2]
        nxt = end_loc
        for k in range(n - 1, -1, -1):
            o = seq[k]
            lk = latest - travel[loc[o], nxt] - service[o]
            ub = first[5][k]
            if first[6][k] <= 0:
                for w in range(w_off[o + 1] - 1, w_off[o] - 1, -1):
                    if w_start[w] <= lk:
                        ub = min(lk, w_end[w])
                        break
            latest = max(ub, first[5][k])
            nxt = loc[o]
        depart = latest - travel[start_loc, loc[seq[0]]]
        if depart > first[1]:
            again = forward(seq, depart, False, van, tables)
            if again[0] and again[2] == first[2]:
                best = again
    if max_dur > 0 and best[2] - best[1] > max_dur:
        return _failed(t0)
    for k in range(n):
        o = seq[k]
        if ride[o] > 0 and best[5][k] - best[1] > ride[o]:
            return _failed(t0)
    return best


@njit(cache=True, nogil=True)
def schedule(seq, shift_start, van, max_dur, ride, tables):  # type: ignore[no-untyped-def]
    """`_PlainScheduler.schedule`: minimum duration among earliest-end schedules; a break off
    the route (before departure or after return) first, else between two visits."""
    if seq.shape[0] == 0:
        return _failed(shift_start)
    bs, be, bd = van[2], van[3], van[4]
    plain = _timed(seq, shift_start, False, van, max_dur, ride, tables)
    if bs < 0 or not plain[0]:
        return plain
    ok, depart, end, _, arrival, start, lateness = plain
    if bs + bd <= min(depart, be):
        return ok, depart, end, bs, arrival, start, lateness
    if max(end, bs) + bd <= be:
        return ok, depart, end, max(end, bs), arrival, start, lateness
    best = _timed(seq, shift_start, True, van, max_dur, ride, tables)
    before = _timed(seq, max(shift_start, bs + bd), False, van, max_dur, ride, tables)
    if before[0]:  # leave after the break
        ok, depart, end, _, arrival, start, lateness = before
        before = (ok, depart, end, bs, arrival, start, lateness)
        shorter = end - depart < best[2] - best[1]
        tie = end - depart == best[2] - best[1] and end < best[2]
        if not best[0] or shorter or tie:
            best = before
    return best
