"""Local time of the request's time zone, daylight saving included.

Delivery hours, peak hours, "today" and the allowed hours of regulated goods are local times.
One UTC offset (the one at `now`) is wrong for an hour on every delivery past a daylight
saving change: alcohol promised until 23:00 instead of 22:00 on the Sunday the clocks go
forward. `LocalClock` holds the offsets of the zone over the request's horizon, as the
changes' instants; `solver.kernels.price` (`wall`, `utc`) reads the same two arrays in
compiled code.

Wall time: seconds since 1970-01-01 00:00 on the local clock (UTC + offset), so local time
of day = wall % DAY and local midnight = wall - wall % DAY, as with a fixed offset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

DAY_S = 86_400
HORIZON_CAP_S = 400 * DAY_S  # offsets are looked up this far past now; later ones repeat
_STEP_S = 6 * 3600  # no zone changes its offset twice within six hours
_PAST = np.iinfo(np.int64).min // 4


@dataclass(frozen=True, slots=True)
class LocalClock:
    """UTC offset `offset_s[k]` from `change_ts[k]` on (sorted; `change_ts[0]` = far past)."""

    change_ts: np.ndarray  # int64[K]
    offset_s: np.ndarray  # int64[K]

    def __post_init__(self) -> None:
        for name in ("change_ts", "offset_s"):
            value = np.ascontiguousarray(getattr(self, name), dtype=np.int64)
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        if self.change_ts.ndim != 1 or self.change_ts.shape != self.offset_s.shape:
            raise ValueError("Expected change_ts and offset_s 1-d of the same length")
        if self.change_ts.size == 0 or self.change_ts[0] != _PAST:
            raise ValueError("Expected change_ts[0] to be the far past (use fixed or of_zone)")
        if np.any(np.diff(self.change_ts) <= 0):
            raise ValueError("Expected change_ts strictly increasing")

    @staticmethod
    def fixed(offset_s: int) -> LocalClock:
        """One offset for all time (UTC, or a zone without daylight saving)."""
        return LocalClock(np.array([_PAST]), np.array([offset_s]))

    @staticmethod
    def of_zone(timezone: str, from_ts: int, to_ts: int) -> LocalClock:
        """The offsets of an IANA zone on [from_ts, to_ts] (to_ts capped at from_ts plus
        `HORIZON_CAP_S`), from the zone database."""
        from_ts = int(from_ts)
        to_ts = min(int(to_ts), from_ts + HORIZON_CAP_S)
        # Cached per zone and day: requests of one day share their table.
        change, offset = _zone_table(timezone, from_ts // DAY_S, to_ts // DAY_S + 1)
        return LocalClock(np.array(change), np.array(offset))

    @property
    def changes(self) -> int:
        """How many offset changes the horizon holds (0: a fixed offset)."""
        return int(self.change_ts.size - 1)

    def offset_at(self, ts: np.ndarray | int) -> np.ndarray:
        """UTC offset in force at each UTC instant."""
        k = np.searchsorted(self.change_ts, ts, side="right") - 1
        found: np.ndarray = self.offset_s[k]
        return found

    def wall(self, ts: np.ndarray | int) -> np.ndarray:
        """Local wall time of each UTC instant."""
        wall: np.ndarray = np.asarray(ts, dtype=np.int64) + self.offset_at(ts)
        return wall

    def utc(self, wall: np.ndarray | int) -> np.ndarray:
        """The UTC instant of each local wall time: in an hour the clocks skip, an hour later
        on the wall; in one they repeat, its second pass. Same rule as
        `solver.kernels.price.utc`."""
        w = np.asarray(wall, dtype=np.int64)
        if self.changes == 0:
            fixed: np.ndarray = w - self.offset_s[0]
            return fixed
        before, after = self.offset_s[:-1], self.offset_s[1:]
        # Change k's affected wall times: [change + min offset, change + max offset).
        lo = self.change_ts[1:] + np.minimum(before, after)
        hi = self.change_ts[1:] + np.maximum(before, after)
        k = np.searchsorted(lo, w, side="right")  # changes whose affected times began
        last = np.maximum(k - 1, 0)
        inside = (k > 0) & (w < hi[last])
        smaller = np.minimum(before, after)[last]
        utc: np.ndarray = np.where(inside, w - smaller, w - self.offset_s[k])
        return utc

    def midnight(self, ts: np.ndarray | int) -> np.ndarray:
        """UTC instant of the local midnight that starts each instant's local day."""
        w = self.wall(ts)
        return self.utc(w - w % DAY_S)

    def next_midnight(self, ts: int, days_later: int = 0) -> int:
        """UTC instant of the local midnight that ends the local day of `ts` (or the one
        `days_later` days after it)."""
        w = int(self.wall(ts))
        return int(self.utc(w - w % DAY_S + (1 + days_later) * DAY_S))

    def local_day(self, ts: np.ndarray | int) -> np.ndarray:
        """Days since 1970-01-01 on the local calendar."""
        day: np.ndarray = self.wall(ts) // DAY_S
        return day


def _offset(zone: ZoneInfo, ts: int) -> int:
    delta = datetime.fromtimestamp(ts, tz=UTC).astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@functools.lru_cache(maxsize=64)
def _zone_table(timezone: str, from_day: int, to_day: int) -> tuple[list[int], list[int]]:
    zone = ZoneInfo(timezone)
    t = from_day * DAY_S
    end = to_day * DAY_S
    change = [int(_PAST)]
    offset = [_offset(zone, t)]
    while t < end:
        nxt = min(t + _STEP_S, end)
        if _offset(zone, nxt) != offset[-1]:
            lo, hi = t, nxt  # offset(lo) = the last one, offset(hi) differs: bisect the change
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == offset[-1]:
                    lo = mid
                else:
                    hi = mid
            change.append(hi)
            offset.append(_offset(zone, hi))
        t = nxt
    return change, offset
