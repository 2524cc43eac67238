"""Pricing: the kernel against the plain-Python reference, and each rule on a one-pair day."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import pricing
from solver.domain import CarrierKind, Reason, Requirement, bit
from solver.kernels import price as kernel
from solver.pricing import (
    PriceTable,
    PricingParams,
    breakdown,
    breakdowns,
    build_inputs,
    price,
)
from solver.snapshot import TravelMatrix
from tests.naive_pricing import at_local, naive_pair, naive_price
from tests.naive_pricing import local as local_time
from tests.snapshots import (
    HOUR,
    all_eligible,
    one_pair_snapshot,
    random_eligibility,
    random_snapshot,
    shuffle_orders,
    with_changes,
)

if TYPE_CHECKING:
    from solver.eligibility import Eligibility
    from solver.snapshot import Snapshot

MATRICES = (
    "price_cents", "eta_ts", "promise_start_ts", "promise_end_ts", "co2e_g", "distance_m",
    "slot_idx", "reason",
)  # fmt: skip


ANY_HOUR = PricingParams(partner_hours=(0, 24))


def one(
    snapshot: Snapshot, requirement_bits: int = 0, params: PricingParams | None = None
) -> tuple[PriceTable, dict[str, int]]:
    """Price the single pair; its lines by code (empty when impossible)."""
    table = price(snapshot, all_eligible(snapshot, np.array([requirement_bits])), params)
    lines = {}
    if table.reason[0, 0] == 0:
        lines = {x.code: x.cents for x in breakdown(snapshot, table, 0, 0)}
    return table, lines


def card(snapshot: Snapshot, **changes: object) -> Snapshot:
    return with_changes(snapshot, "rates", **changes)


def carrier(snapshot: Snapshot, **changes: object) -> Snapshot:
    return with_changes(snapshot, "carriers", **changes)


def local(snapshot: Snapshot, hours: float) -> int:
    return snapshot.local_midnight_ts + round(hours * HOUR)


def km_of(table: PriceTable) -> float:
    return float(table.distance_m[0, 0]) / 1000.0


def bands(ups: list[float], rates: list[int]) -> dict[str, np.ndarray]:
    return {
        "band_offsets": np.array([0, len(ups)]),
        "band_up_to_km": np.array(ups, dtype=np.float64),
        "band_per_km_cents": np.array(rates, dtype=np.int64),
    }


def tiers(ups: list[float], cents: list[int]) -> dict[str, np.ndarray]:
    return {
        "tier_offsets": np.array([0, len(ups)]),
        "tier_up_to_kg": np.array(ups, dtype=np.float64),
        "tier_cents": np.array(cents, dtype=np.int64),
    }


def peaks(*entries: tuple[int, int, int, float]) -> dict[str, np.ndarray]:
    """Entries (weekday bits, from hour, to hour, multiplier)."""
    return {
        "peak_offsets": np.array([0, len(entries)]),
        "peak_weekday_bits": np.array([e[0] for e in entries], dtype=np.int64),
        "peak_from_hour": np.array([e[1] for e in entries], dtype=np.int64),
        "peak_to_hour": np.array([e[2] for e in entries], dtype=np.int64),
        "peak_multiplier": np.array([e[3] for e in entries], dtype=np.float64),
    }


# ---------------------------------------------------------------------------------------------
# Against the reference


@pytest.mark.parametrize(
    ("seed", "kwargs"),
    [
        (1, {}),
        (2, {"p_slots": 0.9, "slots_per_carrier": 3}),
        (3, {"van_types": 2, "n_vans": 9}),
        (4, {"own_fleet": False, "p_deadline": 0.0}),
        (5, {"p_deadline": 1.0, "n_zones": 1}),
        (6, {"spread_deg": 1.5, "n_carriers": 9}),
        (7, {"van_types": 1, "n_vans": 5, "p_slots": 0.7}),
    ],
)
def test_matrices_equal_reference(seed: int, kwargs: dict[str, object]) -> None:
    """Every matrix equals the plain-Python reference, pair for pair."""
    snapshot = random_snapshot(seed, 60, **kwargs)  # type: ignore[arg-type]
    eligibility = random_eligibility(snapshot, seed)
    table = price(snapshot, eligibility)
    reference = naive_price(snapshot, eligibility)
    for name in MATRICES:
        np.testing.assert_array_equal(getattr(table, name), reference[name], err_msg=name)


def test_random_snapshots_exercise_every_outcome() -> None:
    """The random factory reaches every reason pricing can give, so the comparison means it."""
    seen: set[int] = set()
    for seed in range(12):
        snapshot = random_snapshot(seed, 50, p_slots=0.6)
        seen |= set(price(snapshot, random_eligibility(snapshot, seed)).reason.ravel().tolist())
    pricing_reasons = {
        Reason.OK, Reason.WINDOW_UNREACHABLE, Reason.PAST_CUTOFF, Reason.NO_RATE_CARD,
        Reason.NO_SLOT, Reason.CAPACITY_EXHAUSTED, Reason.OVER_WEIGHT_LIMIT,
        Reason.NO_VEHICLE_FITS,
    }  # fmt: skip
    assert {int(r) for r in pricing_reasons} <= seen


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_orders=st.integers(1, 12), n_carriers=st.integers(1, 6))
def test_breakdown_sums_to_price_and_matches_reference(
    seed: int, n_orders: int, n_carriers: int
) -> None:
    """For every possible pair the lines sum exactly to the price and equal the reference's."""
    snapshot = random_snapshot(seed, n_orders, n_carriers, van_types=seed % 3)
    eligibility = random_eligibility(snapshot, seed)
    table = price(snapshot, eligibility)
    params = PricingParams()
    for i, c in np.argwhere(table.possible):
        lines = breakdown(snapshot, table, int(i), int(c))
        assert sum(x.cents for x in lines) == table.price_cents[i, c]
        ref = naive_pair(snapshot, eligibility, int(i), int(c), params)
        assert {x.code: x.cents for x in lines if x.cents} == ref.lines
        assert all(x.description for x in lines)


def test_shuffled_orders_give_permuted_rows() -> None:
    """Rows depend only on their order: shuffling orders permutes the matrices."""
    snapshot = random_snapshot(11, 40)
    eligibility = random_eligibility(snapshot, 11)
    perm = np.random.default_rng(0).permutation(40)
    shuffled, shuffled_elig = shuffle_orders(snapshot, eligibility, perm)
    a, b = price(snapshot, eligibility), price(shuffled, shuffled_elig)
    for name in MATRICES:
        np.testing.assert_array_equal(getattr(a, name)[perm], getattr(b, name), err_msg=name)


# ---------------------------------------------------------------------------------------------
# Rate card rules, one at a time


def test_base_only_card_and_kept_window() -> None:
    """A plain card charges its base; the ETA waits for the window, which is the promise."""
    s = one_pair_snapshot()
    table, lines = one(s)
    assert lines == {"BASE": 500}
    assert table.eta_ts[0, 0] == local(s, 14)
    assert (table.promise_start_ts[0, 0], table.promise_end_ts[0, 0]) == (
        local(s, 14),
        local(s, 16),
    )
    assert 9_990 < table.distance_m[0, 0] < 10_010
    assert table.co2e_g[0, 0] == pytest.approx(100.0 * km_of(table))


def test_distance_bands_charge_km_inside_each_band() -> None:
    """Each band charges the km inside it; an unbounded last band takes the rest."""
    s = card(one_pair_snapshot(north_km=12.0), **bands([2.0, 5.0, np.inf], [100, 50, 10]))
    table, lines = one(s)
    km = km_of(table)
    assert lines["DISTANCE"] == int(np.floor(100 * 2 + 50 * 3 + 10 * (km - 5) + 0.5))


def test_distance_beyond_last_bounded_band_uses_its_rate() -> None:
    """Km past the last bounded band are charged at that band's rate."""
    s = card(one_pair_snapshot(north_km=12.0), **bands([2.0, 5.0], [100, 50]))
    table, lines = one(s)
    assert lines["DISTANCE"] == int(np.floor(100 * 2 + 50 * (km_of(table) - 2) + 0.5))


def test_short_trip_stays_in_first_band() -> None:
    """A trip shorter than the first band is charged at the first rate only."""
    s = card(one_pair_snapshot(north_km=1.0), **bands([2.0, np.inf], [100, 10]))
    table, lines = one(s)
    assert lines["DISTANCE"] == int(np.floor(100 * km_of(table) + 0.5))


@pytest.mark.parametrize(
    ("weight", "volume", "divisor", "expected"),
    [
        (2.0, 30.0, 5000.0, 600),  # volumetric 6 kg -> (5, 10]
        (2.0, 30.0, 0.0, 300),  # weight only: 2 kg -> (1, 5]
        (2.0, 25.0, 5000.0, 300),  # volumetric exactly 5 kg: bounds are inclusive
        (0.5, 1.0, 4000.0, 100),
        (11.0, 1.0, 5000.0, 900),  # unbounded last tier
    ],
)
def test_weight_tier_of_chargeable_weight(
    weight: float, volume: float, divisor: float, expected: int
) -> None:
    """The flat charge of the tier holding max(actual, volumetric) weight."""
    s = one_pair_snapshot(weight_kg=weight, volume_l=volume)
    s = card(s, dim_divisor=np.array([divisor]), **tiers([1, 5, 10, np.inf], [100, 300, 600, 900]))
    _, lines = one(s)
    assert lines["WEIGHT"] == expected


def test_weight_over_last_bounded_tier_is_over_weight_limit() -> None:
    """A card without a tier for the parcel has no price for it."""
    s = card(one_pair_snapshot(weight_kg=12.0), **tiers([1, 5, 10], [100, 300, 600]))
    table, _ = one(s)
    assert table.reason[0, 0] == Reason.OVER_WEIGHT_LIMIT
    assert table.price_cents[0, 0] == -1


@pytest.mark.parametrize(("zone", "expected"), [(1, 250), (0, None), (-1, None)])
def test_zone_surcharge_of_the_order_zone(zone: int, expected: int | None) -> None:
    """The surcharge of the order's zone; none for other zones or no zone."""
    s = card(one_pair_snapshot(zone_idx=zone), zone_surcharge_cents=np.array([[0, 250]]))
    _, lines = one(s)
    assert lines.get("ZONE") == expected


@pytest.mark.parametrize(("window", "premium"), [((14, 16), 300), ((38, 40), None)])
def test_same_day_premium_when_promise_ends_today(
    window: tuple[float, float], premium: int | None
) -> None:
    """The same-day premium applies to promises ending today, not tomorrow."""
    s = card(one_pair_snapshot(windows_local_h=(window,)), same_day_premium_cents=np.array([300]))
    _, lines = one(s)
    assert lines.get("SAME_DAY") == premium


@pytest.mark.parametrize(
    ("kwargs", "premium"),
    [
        ({"windows_local_h": ((14, 16),)}, 150),
        ({"windows_local_h": ((14, 44),)}, None),  # 30 h window
        ({"deadline_local_h": 20.0}, None),  # a deadline is not a window
    ],
)
def test_window_premium_for_windows_shorter_than_a_day(
    kwargs: dict[str, object], premium: int | None
) -> None:
    """Only a promised window under 24 h pays the window premium."""
    s = card(one_pair_snapshot(**kwargs), window_premium_cents=np.array([150]))  # type: ignore[arg-type]
    _, lines = one(s)
    assert lines.get("WINDOW") == premium


FRIDAY, SATURDAY = bit(5), bit(6)


@pytest.mark.parametrize(
    ("window", "entries", "expected"),
    [
        ((14, 16), [(FRIDAY, 13, 15, 1.25)], 125),  # Friday 14:00 local
        ((14, 16), [(SATURDAY, 13, 15, 1.25)], None),
        ((14, 16), [(0, 15, 18, 1.25)], None),  # every day, wrong hours
        ((14, 16), [(0, 14, 15, 1.5), (0, 0, 24, 1.1)], 250),  # first match wins
        ((25, 27), [(SATURDAY, 22, 6, 1.2)], 100),  # overnight, Saturday 01:00
        ((14, 16), [(FRIDAY, 13, 15, 0.9)], -50),  # a discount
    ],
)
def test_peak_multiplier_by_local_weekday_and_hour(
    window: tuple[float, float], entries: list[tuple[int, int, int, float]], expected: int | None
) -> None:
    """The first peak entry matching the ETA's local weekday and hour scales the subtotal."""
    s = card(one_pair_snapshot(windows_local_h=(window,)), **peaks(*entries))
    _, lines = one(s, params=ANY_HOUR)  # the overnight case delivers at 01:00
    assert lines.get("PEAK") == expected


def test_fuel_on_subtotal_after_peak_rounds_half_up() -> None:
    """Fuel is a percentage of base + peak, rounded half up (62.5 -> 63)."""
    s = card(one_pair_snapshot(), fuel_pct=np.array([10.0]), **peaks((0, 0, 24, 1.25)))
    _, lines = one(s)
    assert lines == {"BASE": 500, "PEAK": 125, "FUEL": 63}


def test_minimum_charge_tops_up() -> None:
    """A subtotal under the minimum charge is topped up to it."""
    s = card(one_pair_snapshot(), min_charge_cents=np.array([900]))
    table, lines = one(s)
    assert lines == {"BASE": 500, "MINIMUM": 400}
    assert table.price_cents[0, 0] == 900


def test_addons_once_per_capability_after_minimum() -> None:
    """Age verification and ID check share one add-on; add-ons come on top of the minimum."""
    addon = np.zeros((1, 9), dtype=np.int64)
    addon[0, 1] = 100  # COLD_CHAIN
    addon[0, 2] = 200  # AGE_VERIFICATION
    s = card(one_pair_snapshot(), addon_cents=addon, min_charge_cents=np.array([900]))
    req = bit(Requirement.AGE_VERIFICATION) | bit(Requirement.ID_CHECK)
    req |= bit(Requirement.COLD_CHAIN)
    table, lines = one(s, req)
    assert lines == {
        "BASE": 500, "MINIMUM": 400, "ADDON_COLD_CHAIN": 100, "ADDON_AGE_VERIFICATION": 200,
    }  # fmt: skip
    assert table.price_cents[0, 0] == 1200


# ---------------------------------------------------------------------------------------------
# Time: cut-off, windows, handover, slots, promise


def test_past_cutoff_for_a_promise_ending_today() -> None:
    """After the carrier's cut-off an order due today cannot go with it."""
    s = one_pair_snapshot(now_local_h=18.0, windows_local_h=((19, 21),))
    s = carrier(s, same_day_cutoff_s=np.array([17 * HOUR]))
    table, _ = one(s)
    assert table.reason[0, 0] == Reason.PAST_CUTOFF


def test_no_same_day_service_means_tomorrow() -> None:
    """Without same-day service a two-day promise is delivered from tomorrow's midnight on."""
    s = one_pair_snapshot(windows_local_h=((14, 16), (34, 36)))
    s = carrier(s, same_day_cutoff_s=np.array([-1]))
    table, _ = one(s)
    assert table.reason[0, 0] == 0
    assert table.eta_ts[0, 0] == local(s, 34)


def test_deadline_after_cutoff_starts_at_midnight() -> None:
    """A deadline order past the cut-off arrives at tomorrow's midnight at the earliest, and a
    partner without slots only from the start of its delivery hours (08:00 by default)."""
    s = one_pair_snapshot(now_local_h=20.0, deadline_local_h=40.0)
    s = carrier(s, same_day_cutoff_s=np.array([17 * HOUR]))
    table, _ = one(s, params=ANY_HOUR)
    assert table.eta_ts[0, 0] == local(s, 24)
    table, _ = one(s)
    assert table.eta_ts[0, 0] == local(s, 32)


def test_window_unreachable() -> None:
    """A window that closes before the earliest arrival cannot be kept."""
    s = one_pair_snapshot(windows_local_h=((10.0, 10.25),))
    table, _ = one(s)
    assert table.reason[0, 0] == Reason.WINDOW_UNREACHABLE


def test_first_reachable_of_several_windows() -> None:
    """The ETA goes to the first window still open at the earliest arrival."""
    s = one_pair_snapshot(windows_local_h=((10.0, 10.25), (12.0, 13.0), (15.0, 16.0)))
    table, _ = one(s)
    assert table.eta_ts[0, 0] == local(s, 12)


def test_lead_time_and_travel_set_the_earliest_arrival() -> None:
    """Earliest = now + lead time + ceil(distance / speed), inside a deadline."""
    s = one_pair_snapshot(deadline_local_h=20.0)
    s = carrier(s, lead_time_s=np.array([3 * HOUR]))
    table, _ = one(s)
    travel = int(np.ceil(table.distance_m[0, 0] * 3600.0 / 30_000.0))
    assert table.eta_ts[0, 0] == s.now_ts + 3 * HOUR + travel


def test_deadline_is_inclusive() -> None:
    """Arriving exactly at the deadline keeps it; one second later does not."""
    base = one_pair_snapshot(deadline_local_h=20.0)
    travel = int(price(base, all_eligible(base)).eta_ts[0, 0]) - base.now_ts
    for extra, ok in ((0, True), (1, False)):
        deadline = base.now_ts + travel - extra
        s = with_changes(
            base, "orders", deadline_ts=np.array([deadline]), promise_end_ts=np.array([deadline])
        )
        table, _ = one(s)
        assert bool(table.reason[0, 0] == 0) is ok


def test_handover_waits_for_site_opening() -> None:
    """Goods leave the site when it opens; a site closed for good makes the order unreachable."""
    base = one_pair_snapshot(deadline_local_h=20.0)
    hours = {
        "open_offsets": np.array([0, 1]),
        "open_start_ts": np.array([local(base, 11)]),
        "open_end_ts": np.array([local(base, 19)]),
    }
    s = with_changes(base, "sites", **hours)
    table, _ = one(s)
    travel = int(np.ceil(table.distance_m[0, 0] * 3600.0 / 30_000.0))
    assert table.eta_ts[0, 0] == local(s, 11) + travel
    closed = with_changes(
        base, "sites", open_offsets=np.array([0, 1]), open_start_ts=np.array([local(base, 6)]),
        open_end_ts=np.array([local(base, 9)]),
    )  # fmt: skip
    assert one(closed)[0].reason[0, 0] == Reason.WINDOW_UNREACHABLE


def with_slots(s: Snapshot, slots: list[tuple[int, float, float, int, float]]) -> Snapshot:
    """Slots (zone, from hour, to hour, remaining orders, remaining kg) for the carrier."""
    s = carrier(s, has_slots=np.array([True]))
    return with_changes(
        s,
        "slots",
        ids=tuple(f"K{k}" for k in range(len(slots))),
        carrier_idx=np.zeros(len(slots), dtype=np.int64),
        zone_idx=np.array([x[0] for x in slots], dtype=np.int64),
        start_ts=np.array([local(s, x[1]) for x in slots], dtype=np.int64),
        end_ts=np.array([local(s, x[2]) for x in slots], dtype=np.int64),
        remaining_orders=np.array([x[3] for x in slots], dtype=np.int64),
        remaining_weight_kg=np.array([x[4] for x in slots], dtype=np.float64),
    )


def test_earliest_slot_with_room_inside_the_window() -> None:
    """The pair uses the earliest slot of its zone overlapping the window, ETA inside both."""
    s = one_pair_snapshot(windows_local_h=((14, 18),))
    s = with_slots(s, [(0, 16, 20, 5, 100.0), (0, 15, 16, 5, 100.0), (1, 14, 15, 5, 100.0)])
    table, _ = one(s)
    assert table.slot_idx[0, 0] == 1
    assert table.eta_ts[0, 0] == local(s, 15)


def test_full_slots_are_skipped() -> None:
    """A slot without room for the order (orders or kg) is passed over for the next one."""
    s = one_pair_snapshot(windows_local_h=((14, 18),), weight_kg=20.0)
    s = with_slots(s, [(0, 14, 15, 0, 100.0), (0, 15, 16, 3, 10.0), (0, 16, 17, 1, 20.0)])
    table, _ = one(s)
    assert table.slot_idx[0, 0] == 2
    assert table.eta_ts[0, 0] == local(s, 16)


@pytest.mark.parametrize(
    ("slots", "reason"),
    [
        ([(1, 14, 18, 5, 100.0)], Reason.NO_SLOT),  # other zone
        ([(0, 19, 21, 5, 100.0)], Reason.NO_SLOT),  # after the window
        ([], Reason.NO_SLOT),
        ([(0, 14, 18, 0, 100.0)], Reason.CAPACITY_EXHAUSTED),
    ],
)
def test_no_slot_and_capacity_exhausted(
    slots: list[tuple[int, float, float, int, float]], reason: Reason
) -> None:
    """A slotted carrier without a fitting slot: NO_SLOT, or CAPACITY_EXHAUSTED if only full."""
    s = with_slots(one_pair_snapshot(windows_local_h=((14, 18),)), slots)
    table, _ = one(s)
    assert table.reason[0, 0] == reason
    assert table.slot_idx[0, 0] == -1


def test_unreliable_carrier_promises_around_its_eta() -> None:
    """When ETA + buffer overruns the window, the promise is ETA +- buffer, clipped."""
    s = one_pair_snapshot(windows_local_h=((14, 16), (18, 20)))
    s = carrier(s, reliability=np.array([0.5]))  # buffer 1800 + 0.5 * 14400 = 9000 s
    table, _ = one(s)
    assert table.eta_ts[0, 0] == local(s, 14)
    assert table.promise_start_ts[0, 0] == local(s, 14)
    assert table.promise_end_ts[0, 0] == local(s, 16.5)


def test_deadline_kept_promises_now_to_deadline() -> None:
    """A reliable carrier keeps a deadline: the promise is [now, deadline]."""
    s = one_pair_snapshot(deadline_local_h=20.0)
    table, _ = one(s)
    assert table.promise_start_ts[0, 0] == s.now_ts
    assert table.promise_end_ts[0, 0] == local(s, 20)


# ---------------------------------------------------------------------------------------------
# Own fleet, missing prices, eligibility


def own_fleet(**kwargs: object) -> Snapshot:
    return one_pair_snapshot(kind=CarrierKind.OWN_FLEET, **kwargs)  # type: ignore[arg-type]


def test_own_fleet_estimate_lines() -> None:
    """Own fleet: ROUTE_STOP (time and fixed cost share) + ROUTE_KM (share of the drive)."""
    s = own_fleet()
    table, lines = one(s)
    # 3000 c/h x (300 s + 2 km at 30 km/h) / 3600 + 4000 / 40 stops; 40 c/km x 2 x 0.25 x km.
    assert lines["ROUTE_STOP"] == 550
    assert lines["ROUTE_KM"] == int(np.floor(20.0 * km_of(table) + 0.5))
    assert table.eta_ts[0, 0] == local(s, 14)


def test_own_fleet_eta_from_shift_start() -> None:
    """A van whose shift starts later leaves then."""
    s = with_changes(
        own_fleet(deadline_local_h=20.0),
        "fleet",
        shift_start_ts=np.array([local(one_pair_snapshot(), 12)]),
    )
    table, _ = one(s)
    travel = int(np.ceil(table.distance_m[0, 0] * 3600.0 / 30_000.0))
    assert table.eta_ts[0, 0] == local(s, 12) + travel


@pytest.mark.parametrize(
    ("changes", "req", "reason"),
    [
        ({}, bit(Requirement.COLD_CHAIN), Reason.NO_VEHICLE_FITS),  # no cold-chain van
        ({"capacity_kg": np.array([1.0])}, 0, Reason.NO_VEHICLE_FITS),
        ({"shift_end_ts": "13h"}, 0, Reason.WINDOW_UNREACHABLE),  # shift ends before window
        ({"skill_bits": np.array([2], dtype=np.uint64)}, bit(Requirement.COLD_CHAIN), 0),
    ],
)
def test_own_fleet_van_must_fit(changes: dict[str, object], req: int, reason: int) -> None:
    """Skills, room and shift decide whether any van can take the order."""
    s = own_fleet()
    if changes.get("shift_end_ts") == "13h":
        changes = {"shift_end_ts": np.array([local(s, 13)])}
    s = with_changes(s, "fleet", **changes)
    table, _ = one(s, req)
    assert table.reason[0, 0] == reason


def test_own_fleet_without_vans() -> None:
    """An own-fleet carrier with no vans has no vehicle that fits."""
    s = own_fleet()
    s = with_changes(
        s, "fleet", **{
            f.name: getattr(s.fleet, f.name)[:0] for f in dataclasses.fields(s.fleet)
            if isinstance(getattr(s.fleet, f.name), np.ndarray)
        }, ids=(),
    )  # fmt: skip
    assert one(s)[0].reason[0, 0] == Reason.NO_VEHICLE_FITS


@pytest.mark.parametrize(
    "changes",
    [{"rate_card_idx": np.array([-1])}],
)
def test_partner_without_card_has_no_rate_card(changes: dict[str, object]) -> None:
    """A partner without a rate card has no price."""
    table, _ = one(carrier(one_pair_snapshot(), **changes))
    assert table.reason[0, 0] == Reason.NO_RATE_CARD


def test_card_in_another_currency_is_not_used() -> None:
    """No currency conversion: a card in USD cannot price an EUR request."""
    table, _ = one(card(one_pair_snapshot(), currency=("USD",)))
    assert table.reason[0, 0] == Reason.NO_RATE_CARD


def test_excluded_pairs_keep_eligibility_reason() -> None:
    """An ineligible pair keeps its eligibility reason and gets no price or ETA."""
    s = random_snapshot(3, 20)
    e = random_eligibility(s, 3, p_excluded=0.5)
    table = price(s, e)
    excluded = e.reason != 0
    np.testing.assert_array_equal(table.reason[excluded], e.reason[excluded])
    for name in ("price_cents", "eta_ts", "promise_start_ts", "promise_end_ts", "slot_idx"):
        assert (getattr(table, name)[excluded] == -1).all()


# ---------------------------------------------------------------------------------------------
# Interface


def test_outputs_are_read_only() -> None:
    """No later stage can change the price table."""
    s = random_snapshot(1, 5)
    table = price(s, all_eligible(s))
    for name in MATRICES:
        with pytest.raises(ValueError, match="read-only"):
            getattr(table, name)[0, 0] = 1


def test_mismatched_eligibility_is_rejected() -> None:
    """Eligibility of another snapshot is refused with a hint."""
    s = random_snapshot(1, 5)
    with pytest.raises(ValueError, match=r"eligibility\.reason"):
        price(s, all_eligible(random_snapshot(1, 6)))


def test_breakdown_of_impossible_pair_raises() -> None:
    """An impossible pair has no breakdown."""
    s = carrier(one_pair_snapshot(), rate_card_idx=np.array([-1]))
    table = price(s, all_eligible(s))
    with pytest.raises(ValueError, match="possible pair"):
        breakdown(s, table, 0, 0)
    with pytest.raises(IndexError):
        breakdown(s, table, 1, 0)


def test_kernel_inputs_are_checked() -> None:
    """The kernel wrapper refuses wrong dtypes and shapes before compiling anything."""
    s = random_snapshot(1, 5)
    inputs = build_inputs(s, all_eligible(s))
    with pytest.raises(TypeError, match="o_lat"):
        dataclasses.replace(inputs, o_lat=inputs.o_lat.astype(np.float32))
    with pytest.raises(ValueError, match="elig_reason"):
        dataclasses.replace(inputs, elig_reason=inputs.elig_reason[:2])
    out = kernel.empty_matrices(4, 5)
    with pytest.raises(ValueError, match="empty_matrices"):
        kernel.price_pairs(inputs, out)


def test_reused_output_buffers_give_the_same_answer() -> None:
    """price_pairs(out=...) fills the given matrices with the same numbers."""
    s = random_snapshot(2, 30)
    inputs = build_inputs(s, random_eligibility(s, 2))
    fresh = kernel.price_pairs(inputs)
    out = kernel.empty_matrices(30, s.carriers.count)
    assert kernel.price_pairs(inputs, out) is out
    for f in dataclasses.fields(fresh):
        np.testing.assert_array_equal(getattr(out, f.name), getattr(fresh, f.name))


def test_params_check_themselves() -> None:
    """Bad estimates are refused when the params are built."""
    with pytest.raises(ValueError, match="default_speed_kmh"):
        PricingParams(default_speed_kmh=0.0)
    with pytest.raises(ValueError, match="own_stem_share"):
        PricingParams(own_stem_share=2.0)


def test_params_change_the_estimates() -> None:
    """A larger promise buffer widens the promise; the reference follows the same params."""
    s = one_pair_snapshot(windows_local_h=((14, 16), (18, 20)))
    params = PricingParams(promise_buffer_base_s=3 * HOUR)
    table = price(s, all_eligible(s), params)
    ref = naive_price(s, all_eligible(s), params)
    assert table.promise_end_ts[0, 0] == local(s, 17) == ref["promise_end_ts"][0, 0]


def test_slot_starting_at_window_end_does_not_fit() -> None:
    """Windows and slots are half-open: a slot opening as the window closes is no slot."""
    s = with_slots(one_pair_snapshot(windows_local_h=((14, 16),)), [(0, 16, 18, 5, 100.0)])
    assert one(s)[0].reason[0, 0] == Reason.NO_SLOT


def test_buffer_reaching_the_window_end_is_not_kept() -> None:
    """ETA + buffer exactly at the (exclusive) window end does not keep the window."""
    s = one_pair_snapshot(windows_local_h=((14, 16),))
    s = carrier(s, lead_time_s=np.array([5 * HOUR]))  # earliest ~15:20
    table, _ = one(s)
    eta = int(table.eta_ts[0, 0])
    buffer_s = local(s, 16) - eta
    params = PricingParams(promise_buffer_base_s=buffer_s)
    table = price(s, all_eligible(s), params)
    assert table.promise_start_ts[0, 0] == eta - buffer_s
    assert table.promise_end_ts[0, 0] == local(s, 16)
    relaxed = price(s, all_eligible(s), PricingParams(promise_buffer_base_s=buffer_s - 1))
    assert relaxed.promise_start_ts[0, 0] == local(s, 14)


def test_warm_up_prices_a_tiny_table() -> None:
    """warm_up compiles the kernel without a snapshot (for the health check)."""
    kernel.warm_up()


# ---------------------------------------------------------------------------------------------
# Travel matrix and honest ETAs


def with_matrix(snapshot: Snapshot, seed: int, share: float = 0.7) -> Snapshot:
    """The snapshot plus a road matrix over every site and a `share` of the orders."""
    rng = np.random.default_rng(seed)
    n = snapshot.orders.count
    in_matrix = np.flatnonzero(rng.random(n) < share)
    ids = (*snapshot.sites.ids, *(snapshot.orders.ids[i] for i in in_matrix))
    size = len(ids)
    order_row = np.full(n, -1, dtype=np.int64)
    order_row[in_matrix] = np.arange(len(snapshot.sites.ids), size)
    matrix = TravelMatrix(
        location_ids=ids,
        distances_m=rng.integers(0, 40_000, size=(size, size)),
        durations_s=np.zeros((0, 0), dtype=np.int64),
        site_row=np.arange(len(snapshot.sites.ids), dtype=np.int64),
        order_row=order_row,
    )
    return dataclasses.replace(snapshot, matrix=matrix)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matrix_distance_replaces_haversine(seed: int) -> None:
    """With a road matrix, orders in it are priced on the matrix distance (origin site ->
    order) and the others on haversine x circuity; kernel and reference agree pair for pair."""
    plain = random_snapshot(seed, 50, p_slots=0.5)
    snapshot = with_matrix(plain, seed)
    eligibility = random_eligibility(snapshot, seed)
    table = price(snapshot, eligibility)
    reference = naive_price(snapshot, eligibility)
    for name in MATRICES:
        np.testing.assert_array_equal(getattr(table, name), reference[name], err_msg=name)
    m = snapshot.matrix
    assert m is not None
    known = m.order_row >= 0
    site_rows = m.site_row[snapshot.orders.origin_site_idx]
    expected = m.distances_m[site_rows[known], m.order_row[known]]
    np.testing.assert_array_equal(table.distance_m[known, 0], expected)
    without = price(plain, eligibility)
    np.testing.assert_array_equal(table.distance_m[~known], without.distance_m[~known])


def _assert_honest(snapshot: Snapshot, table: PriceTable, params: PricingParams) -> None:
    o, cr, sl, fl = snapshot.orders, snapshot.carriers, snapshot.slots, snapshot.fleet
    h_from, h_to = (h * HOUR for h in params.partner_hours)
    for i, c in np.argwhere(table.reason == 0):
        eta = int(table.eta_ts[i, c])
        start, end = int(table.promise_start_ts[i, c]), int(table.promise_end_ts[i, c])
        deadline = o.deadline_ts[i] >= 0
        assert start <= eta, (i, c)
        assert eta <= end if deadline else eta < end, (i, c)
        assert int(o.promise_start_ts[i]) <= eta <= int(o.promise_end_ts[i])
        k = int(table.slot_idx[i, c])
        if cr.kind[c] == CarrierKind.OWN_FLEET:
            vans = fl.carrier_idx == c
            assert np.any((fl.shift_start_ts[vans] <= eta) & (eta <= fl.shift_end_ts[vans]))
        elif cr.has_slots[c]:
            assert sl.start_ts[k] <= eta < sl.end_ts[k]
        else:
            assert h_from <= _seconds_of_day(snapshot, eta) < h_to, (i, c)


def _seconds_of_day(snapshot: Snapshot, ts: int) -> int:
    """Local time of day of `ts` (zoneinfo, daylight saving included)."""
    at = local_time(ZoneInfo(snapshot.timezone), ts)
    return at.hour * HOUR + at.minute * 60 + at.second


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    hours=st.sampled_from([(8, 20), (0, 24), (7, 9), (18, 23)]),
    p_deadline=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_every_eta_lies_in_its_promise_and_the_carriers_hours(
    seed: int, hours: tuple[int, int], p_deadline: float
) -> None:
    """Every possible pair's ETA is inside its promise window and inside the carrier's
    delivery period: the partner's hours, its slot, or a van's shift."""
    snapshot = random_snapshot(seed, 30, 6, p_deadline=p_deadline, van_types=seed % 3)
    params = PricingParams(partner_hours=hours)
    table = price(snapshot, random_eligibility(snapshot, seed), params)
    _assert_honest(snapshot, table, params)


def test_sample_day_national_delivers_in_daytime() -> None:
    """The bundled sample: paket-national (20 h lead time) delivers tomorrow from 08:00 local,
    not at 04:00, and every candidate of the day is honest."""
    from pathlib import Path

    from clients.client import load_request
    from service.convert import to_snapshot
    from solver.checks import BuiltinPolicy

    request = load_request(Path(__file__).resolve().parents[1] / "samples" / "sample_day.json")
    snapshot = to_snapshot(request)
    table = price(snapshot, BuiltinPolicy().evaluate(snapshot))
    _assert_honest(snapshot, table, PricingParams())
    national = snapshot.carriers.ids.index("paket-national")
    etas = table.eta_ts[table.reason[:, national] == 0, national]
    assert len(etas) > 50
    local_h = [_seconds_of_day(snapshot, int(eta)) // HOUR for eta in etas]
    assert min(local_h) >= 8 and max(local_h) < 20


# ---------------------------------------------------------------------------------------------
# Allowed delivery hours of regulated goods (Eligibility.delivery_from_s / delivery_to_s)

HOUR_CHOICES = ((0, 24), (8, 22), (8, 20), (20, 24), (0, 6), (10, 11), (21, 22))


def with_hours(eligibility: Eligibility, seed: int) -> Eligibility:
    """The eligibility with random allowed hours per order (a third unrestricted)."""
    rng = np.random.default_rng(seed + 77)
    n = len(eligibility.service_level)
    picks = rng.integers(0, len(HOUR_CHOICES), n)
    hours = np.array(HOUR_CHOICES, dtype=np.int64)[picks] * HOUR
    return dataclasses.replace(
        eligibility,
        delivery_from_s=hours[:, 0],
        delivery_to_s=hours[:, 1],
        hours_source=np.where(picks > 0, 0, -1),
        hours_sources=("test:hours",),
    )


def _assert_in_allowed_hours(snapshot: Snapshot, table: PriceTable, el: Eligibility) -> None:
    zone = ZoneInfo(snapshot.timezone)
    for i, c in np.argwhere(table.reason == 0):
        h_from, h_to = int(el.delivery_from_s[i]), int(el.delivery_to_s[i])
        if (h_from, h_to) == (0, 86_400):
            continue
        eta = int(table.eta_ts[i, c])
        day = local_time(zone, eta).date()
        allowed_from, allowed_to = at_local(zone, day, h_from), at_local(zone, day, h_to)
        assert allowed_from <= eta < allowed_to, (i, c)
        start, end = int(table.promise_start_ts[i, c]), int(table.promise_end_ts[i, c])
        assert allowed_from <= start <= eta <= end <= allowed_to, (i, c)


@pytest.mark.parametrize(
    ("seed", "kwargs"),
    [
        (21, {}),
        (22, {"p_slots": 0.9, "slots_per_carrier": 4}),
        (23, {"van_types": 2, "n_vans": 9}),
        (24, {"p_deadline": 1.0}),
        (25, {"p_deadline": 0.0, "own_fleet": False}),
    ],
)
def test_allowed_hours_equal_reference_and_hold(seed: int, kwargs: dict[str, object]) -> None:
    """With allowed delivery hours per order the kernel still equals the reference pair for
    pair, and every possible pair's ETA and promise lie inside the hours of the ETA's day."""
    snapshot = random_snapshot(seed, 60, 6, **kwargs)  # type: ignore[arg-type]
    eligibility = with_hours(random_eligibility(snapshot, seed), seed)
    for params in (PricingParams(), ANY_HOUR):
        table = price(snapshot, eligibility, params)
        reference = naive_price(snapshot, eligibility, params)
        for name in MATRICES:
            np.testing.assert_array_equal(getattr(table, name), reference[name], err_msg=name)
        _assert_in_allowed_hours(snapshot, table, eligibility)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), p_deadline=st.sampled_from([0.0, 0.5, 1.0]))
def test_allowed_hours_breakdowns_and_honesty(seed: int, p_deadline: float) -> None:
    """Allowed hours: breakdowns still sum to prices and equal the reference; ETAs and promises
    stay inside the order's hours and the carrier's delivery period."""
    snapshot = random_snapshot(seed, 12, 5, p_deadline=p_deadline, van_types=seed % 3)
    eligibility = with_hours(random_eligibility(snapshot, seed), seed)
    params = PricingParams()
    table = price(snapshot, eligibility, params)
    _assert_in_allowed_hours(snapshot, table, eligibility)
    _assert_honest(snapshot, table, params)
    for i, c in np.argwhere(table.possible):
        lines = breakdown(snapshot, table, int(i), int(c))
        assert sum(x.cents for x in lines) == table.price_cents[i, c]
        ref = naive_pair(snapshot, eligibility, int(i), int(c), params)
        assert {x.code: x.cents for x in lines if x.cents} == ref.lines


def test_allowed_hours_make_pairs_unreachable_or_later() -> None:
    """Restricting hours never makes a pair earlier; pairs that lose every reachable moment
    are WINDOW_UNREACHABLE (or, with slots, find no slot inside the hours); the random days
    reach both outcomes."""
    later = unreachable = 0
    for seed in range(6):
        snapshot = random_snapshot(seed, 50, 6)
        free = random_eligibility(snapshot, seed)
        hours = with_hours(free, seed)
        a, b = price(snapshot, free), price(snapshot, hours)
        both = (a.reason == 0) & (b.reason == 0)
        assert (b.eta_ts[both] >= a.eta_ts[both]).all()
        later += int((b.eta_ts[both] > a.eta_ts[both]).sum())
        lost = (a.reason == 0) & (b.reason != 0)
        slotted = np.broadcast_to(snapshot.carriers.has_slots[None, :], lost.shape)
        placement = (Reason.NO_SLOT, Reason.CAPACITY_EXHAUSTED)  # no slot inside the hours
        assert (b.reason[lost & ~slotted] == Reason.WINDOW_UNREACHABLE).all()
        assert np.isin(b.reason[lost & slotted], (Reason.WINDOW_UNREACHABLE, *placement)).all()
        unreachable += int((b.reason[lost] == Reason.WINDOW_UNREACHABLE).sum())
        assert ((a.reason != 0) <= (b.reason != 0)).all()
    assert later > 0 and unreachable > 0


def test_alcohol_hours_move_an_early_eta_and_clip_the_promise() -> None:
    """A partner reaching the door at 06:30 local delivers alcohol at 08:00 instead, and a
    deadline promise running to tomorrow is cut to 08:00-22:00 of the delivery day."""
    s = one_pair_snapshot(now_local_h=5.0, deadline_local_h=40.0)
    s = carrier(s, lead_time_s=np.array([5400]))
    el = all_eligible(s)
    params = ANY_HOUR
    free = price(s, el, params)
    assert int(free.eta_ts[0, 0]) < local(s, 8)
    hours = dataclasses.replace(
        el, delivery_from_s=np.array([8 * HOUR]), delivery_to_s=np.array([22 * HOUR])
    )
    table = price(s, hours, params)
    assert int(table.reason[0, 0]) == 0
    assert int(table.eta_ts[0, 0]) == local(s, 8)
    assert local(s, 8) <= int(table.promise_start_ts[0, 0])
    assert int(table.promise_end_ts[0, 0]) <= local(s, 22)
    late = dataclasses.replace(
        el, delivery_from_s=np.array([0]), delivery_to_s=np.array([4 * HOUR])
    )
    s_today = one_pair_snapshot(now_local_h=5.0, deadline_local_h=20.0)
    assert int(price(s_today, late, params).reason[0, 0]) == Reason.WINDOW_UNREACHABLE


# ---------------------------------------------------------------------------------------------
# Batched breakdowns (what the response uses) against the per-pair kernel run


def _per_pair_lines(
    snapshot: Snapshot, table: PriceTable, i: int, c: int
) -> list[tuple[str, str, int]]:
    """The breakdown as computed pair by pair: one kernel row per pair, then every line."""
    r = kernel.pair_components(table.inputs, i, c)
    own = table.inputs.ci[c, kernel.CI_MODE] == kernel.MODE_OWN_FLEET
    always = {"ROUTE_STOP", "ROUTE_KM"} if own else {"BASE"}
    return [
        (code, pricing._describe(snapshot, table.inputs, i, c, code, r.distance_m, r.eta_ts), v)
        for code, v in zip(pricing.COMPONENT_CODES, r.components.tolist(), strict=True)
        if v != 0 or code in always
    ]


def _assert_batched_equals_per_pair(snapshot: Snapshot, table: PriceTable, seed: int) -> None:
    pairs = np.argwhere(table.possible)
    pairs = pairs[np.random.default_rng(seed).permutation(len(pairs))]
    pairs = np.vstack([pairs, pairs[:7]])  # any order, repeats allowed
    batch = breakdowns(snapshot, table, pairs[:, 0], pairs[:, 1])
    assert len(batch.line_offsets) == len(pairs) + 1
    for p, (i, c) in enumerate(pairs.tolist()):
        lines = [(x.code, x.description, x.cents) for x in batch.lines(p)]
        assert lines == _per_pair_lines(snapshot, table, i, c), (i, c)
        assert sum(x[2] for x in lines) == table.price_cents[i, c] == batch.price_cents[p]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_batched_breakdowns_equal_per_pair(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """One batched call gives every pair exactly the lines (codes, sentences, cents) of its
    own per-pair kernel run, across kernel blocks, in any order and with repeats."""
    monkeypatch.setattr(kernel, "BATCH_ROWS", 1 + seed * 7)
    snapshot = random_snapshot(seed, 70, 6, van_types=seed % 3, p_slots=0.5)
    eligibility = with_hours(random_eligibility(snapshot, seed), seed)
    _assert_batched_equals_per_pair(snapshot, price(snapshot, eligibility), seed)


def test_batched_breakdowns_equal_per_pair_on_the_sample_day() -> None:
    """The bundled sample (real cards: peaks, zones, add-ons, vans): batched = per pair."""
    from pathlib import Path

    from clients.client import load_request
    from service.convert import to_snapshot
    from solver.checks import BuiltinPolicy

    request = load_request(Path(__file__).resolve().parents[1] / "samples" / "sample_day.json")
    snapshot = to_snapshot(request)
    table = price(snapshot, BuiltinPolicy().evaluate(snapshot))
    _assert_batched_equals_per_pair(snapshot, table, 5)


def test_batched_breakdowns_edges() -> None:
    """No pairs gives no lines; an impossible pair or a bad index is refused."""
    snapshot = random_snapshot(3, 20)
    table = price(snapshot, random_eligibility(snapshot, 3))
    empty = breakdowns(snapshot, table, np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert empty.line_offsets.tolist() == [0] and not empty.codes
    i, c = np.argwhere(~table.possible)[0]
    with pytest.raises(ValueError, match="Expected a possible pair"):
        breakdowns(snapshot, table, np.array([i]), np.array([c]))
    with pytest.raises(IndexError):
        breakdowns(snapshot, table, np.array([20]), np.array([0]))


def test_response_prices_equal_per_pair_breakdowns() -> None:
    """Decide on a seeded day (explain on): every decision's and candidate's price in the
    response carries exactly the per-pair kernel breakdown of its pair (routed own-fleet
    stops excepted: they carry their ROUTE line)."""
    from samples.generate import generate_day
    from service import response
    from service.convert import to_snapshot
    from solver.checks import BuiltinPolicy
    from solver.decide import decide

    request = generate_day(seed=5, orders=150, vehicles=3)
    request.options.explain = True
    snapshot = to_snapshot(request)
    outcome = decide(snapshot, BuiltinPolicy())
    answer = response.build(outcome)
    carrier_of = {cid: c for c, cid in enumerate(snapshot.carriers.ids)}
    order_of = {oid: i for i, oid in enumerate(snapshot.orders.ids)}
    checked = 0
    for decision in answer.decisions:
        i = order_of[decision.order_id]
        for item in (decision, *decision.candidates):
            if [x.code for x in item.price.lines] == ["ROUTE"]:
                continue
            c = carrier_of[item.carrier_id]
            lines = [(x.code, x.description, x.amount.cents) for x in item.price.lines]
            assert lines == _per_pair_lines(snapshot, outcome.prices, i, c)
            assert item.price.total.cents == outcome.prices.price_cents[i, c]
            checked += 1
    assert checked > 300


def test_a_deadline_is_not_a_booked_window(sample_request: object) -> None:
    """The window premium is for a delivery window the customer booked: a same-day deadline
    ("by 16:30") does not pay it, though the proto conversion lists the deadline as a window
    for the router; the same order with a window of the same span does pay it. The plain
    reference agrees on both."""
    from lastmile.v1 import orchestrator_pb2 as pb
    from service.convert import to_snapshot
    from solver.checks import BuiltinPolicy

    assert isinstance(sample_request, pb.DecideRequest)
    premium: dict[str, int] = {}
    for how in ("deadline", "window"):
        request = pb.DecideRequest()
        request.CopyFrom(sample_request)
        promise = request.orders[2].promise
        promise.Clear()
        end = request.now.seconds + 10 * 3600
        if how == "deadline":
            promise.deadline.seconds = end
        else:
            window = promise.windows.add()
            window.start.seconds, window.end.seconds = request.now.seconds, end + 1
        snapshot = to_snapshot(request)
        eligibility = BuiltinPolicy().evaluate(snapshot)
        inputs = pricing.build_inputs(snapshot, eligibility)
        c = snapshot.carriers.ids.index("spree-regional")
        pair = kernel.pair_components(inputs, 2, c)
        assert pair.reason == 0
        premium[how] = int(pair.components[kernel.WINDOW])
        plain = naive_pair(snapshot, eligibility, 2, c, PricingParams())
        assert (plain.price_cents, (plain.lines or {}).get("WINDOW", 0)) == (
            pair.price_cents,
            premium[how],
        )
    assert premium == {"deadline": 0, "window": 150}
