"""Local time with daylight saving: `LocalClock` (numpy) and its compiled twin against zoneinfo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from solver.clock import HORIZON_CAP_S, LocalClock
from solver.kernels import price as compiled

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
YEAR = 365 * 86_400


def _wall(zone: ZoneInfo, ts: int) -> int:
    """Wall seconds since 1970-01-01 00:00 local, from zoneinfo."""
    local = datetime.fromtimestamp(ts, zone).replace(tzinfo=None)
    return int((local - datetime(1970, 1, 1)).total_seconds())


def _first_pass(zone: ZoneInfo, ts: int) -> bool:
    """In the first pass of an hour the clocks repeat."""
    local = datetime.fromtimestamp(ts, zone)
    return local.fold == 0 and local.replace(fold=1).utcoffset() != local.utcoffset()


@njit
def _compiled(ts, change, offset):  # type: ignore[no-untyped-def]
    walls = np.empty_like(ts)
    back = np.empty_like(ts)
    for k in range(ts.shape[0]):
        walls[k] = compiled.wall(ts[k], change, offset)
        back[k] = compiled.utc(walls[k], change, offset)
    return walls, back


@pytest.mark.parametrize("name", ZONES)
def test_wall_time_equals_zoneinfo_all_year(name: str) -> None:
    """Every instant of a year (seeded sample plus each change +- 1 s): the wall time and
    its way back to UTC equal zoneinfo's, compiled and numpy alike."""
    zone = ZoneInfo(name)
    clock = LocalClock.of_zone(name, START, START + YEAR)
    rng = np.random.default_rng(7)
    ts = np.concatenate(
        [
            rng.integers(START, START + YEAR, 2_000),
            *(clock.change_ts[1:] + d for d in (-1, 0, 1)),
        ]
    ).astype(np.int64)
    expected = np.array([_wall(zone, int(t)) for t in ts])
    np.testing.assert_array_equal(clock.wall(ts), expected)
    walls, back = _compiled(ts, clock.change_ts, clock.offset_s)
    np.testing.assert_array_equal(walls, expected)
    # Back to UTC: exact, except in the hour a fall-back repeats (the second pass is meant).
    first_pass = np.array([_first_pass(zone, int(t)) for t in ts])
    assert first_pass.sum() < 10
    np.testing.assert_array_equal(back[~first_pass], ts[~first_pass])
    assert np.all(back[first_pass] > ts[first_pass])
    np.testing.assert_array_equal(clock.wall(back[first_pass]), expected[first_pass])
    np.testing.assert_array_equal(clock.utc(expected), back)
    assert clock.changes == (0 if name in ("Asia/Kolkata", "UTC") else 2)


@pytest.mark.parametrize(
    ("name", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("America/New_York", date(2026, 3, 8), 23),
        ("Europe/Berlin", date(2026, 11, 24), 24),
        ("Australia/Lord_Howe", date(2026, 4, 5), 24.5),
    ],
)
def test_midnights_bound_days_of_23_and_25_hours(name: str, day: date, hours: float) -> None:
    zone = ZoneInfo(name)
    clock = LocalClock.of_zone(name, START, START + YEAR)
    midnight = int(datetime.combine(day, time(), zone).timestamp())
    noon = midnight + 12 * 3600
    assert int(clock.midnight(noon)) == midnight
    assert clock.next_midnight(noon) - midnight == hours * 3600
    next_day = datetime.combine(day + timedelta(days=2), time(), zone)
    assert clock.next_midnight(noon, days_later=1) == int(next_day.timestamp())
    assert int(clock.local_day(noon)) == (day - date(1970, 1, 1)).days


def test_skipped_wall_time_lands_an_hour_later() -> None:
    """02:30 does not exist in Berlin on 2026-03-29: it reads as 03:30 CEST."""
    clock = LocalClock.of_zone("Europe/Berlin", START, START + YEAR)
    wall = _wall(ZoneInfo("UTC"), int(datetime(2026, 3, 29, 2, 30, tzinfo=UTC).timestamp()))
    assert int(clock.utc(wall)) == int(datetime(2026, 3, 29, 1, 30, tzinfo=UTC).timestamp())


def test_fixed_clock_and_horizon_cap() -> None:
    fixed = LocalClock.fixed(19_800)
    assert fixed.changes == 0
    assert int(fixed.wall(START)) == START + 19_800
    capped = LocalClock.of_zone("Europe/Berlin", START, START + 10 * YEAR)
    assert capped.change_ts[-1] <= START + HORIZON_CAP_S
    with pytest.raises(ValueError, match="far past"):
        LocalClock(np.array([0]), np.array([0]))
    with pytest.raises(ValueError, match="increasing"):
        LocalClock(np.r_[fixed.change_ts, 5, 5], np.array([0, 1, 2]))


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(ZONES),
    ts=st.integers(START, START + YEAR),
    hours=st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda h: h[0] < h[1]),
)
def test_local_hours_of_the_day_like_zoneinfo(name: str, ts: int, hours: tuple[int, int]) -> None:
    """The instant of local hour h on the local day of ts, from the wall clock, is zoneinfo's
    (outside the hour a change skips or repeats)."""
    zone = ZoneInfo(name)
    clock = LocalClock.of_zone(name, START, START + YEAR)
    day = datetime.fromtimestamp(ts, zone).date()
    for h in hours:
        local = datetime.combine(day, time()) + timedelta(hours=h)
        aware = local.replace(tzinfo=zone)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local or (
            aware.replace(fold=1).utcoffset() != aware.utcoffset()
        ):
            continue  # skipped or repeated
        wall = int(clock.wall(ts))
        assert int(clock.utc(wall - wall % 86_400 + h * 3600)) == int(aware.timestamp())
