"""Tests for samples.generate: a deterministic, realistic, self-consistent sample day."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf import json_format

from lastmile.v1 import orchestrator_pb2, types_pb2
from samples.generate import (
    DEFAULT_NOW,
    PROMISE_SHARES,
    TAG_SHARES,
    ZONE_IDS,
    generate_day,
    main,
    order_mix,
    to_json,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# Berlin's administrative bounding box.
LAT_MIN, LAT_MAX = 52.3383, 52.6755
LON_MIN, LON_MAX = 13.0884, 13.7612


@pytest.fixture(scope="module")
def day() -> orchestrator_pb2.DecideRequest:
    return generate_day(7)


def _windows(request: orchestrator_pb2.DecideRequest) -> list[tuple[str, types_pb2.TimeWindow]]:
    found: list[tuple[str, types_pb2.TimeWindow]] = []
    for i, site in enumerate(request.sites):
        found += [(f"sites[{i}].opening_hours[{k}]", w) for k, w in enumerate(site.opening_hours)]
    for i, order in enumerate(request.orders):
        found += [
            (f"orders[{i}].promise.windows[{k}]", w) for k, w in enumerate(order.promise.windows)
        ]
    found += [(f"capacity[{i}].window", s.window) for i, s in enumerate(request.capacity)]
    for i, vehicle in enumerate(request.vehicles):
        found += [(f"vehicles[{i}].shift", vehicle.shift)]
        found += [(f"vehicles[{i}].driver_break.window", vehicle.driver_break.window)]
    return found


def test_same_seed_gives_identical_bytes() -> None:
    """Regenerating with the same seed must not change a single byte."""
    assert to_json(generate_day(7)) == to_json(generate_day(7))
    assert to_json(generate_day(123, orders=50, vehicles=3)) == to_json(
        generate_day(123, orders=50, vehicles=3)
    )


def test_different_seed_gives_a_different_day() -> None:
    """The seed actually drives the orders and slots."""
    assert to_json(generate_day(7)) != to_json(generate_day(8))


def test_bundled_sample_is_fresh() -> None:
    """samples/sample_day.json is exactly what `make sample` writes, so it is never stale."""
    bundled = (SAMPLES / "sample_day.json").read_text(encoding="utf-8")
    assert bundled == to_json(generate_day(7)), "stale sample: run `make sample`"


def test_cli_writes_the_generated_json(tmp_path: Path) -> None:
    """The command line writes the same bytes as the in-process API."""
    out = tmp_path / "day.json"
    assert main(["--seed", "5", "--out", str(out), "--orders", "40", "--vehicles", "4"]) == 0
    assert out.read_text(encoding="utf-8") == to_json(generate_day(5, orders=40, vehicles=4))


def test_json_round_trips(day: orchestrator_pb2.DecideRequest) -> None:
    """The JSON parses back into an equal DecideRequest (what grpcurl -d @ sends)."""
    text = to_json(day)
    assert '"originSiteId"' in text  # lowerCamelCase, as json_format writes it
    parsed = json_format.Parse(text, orchestrator_pb2.DecideRequest())
    assert parsed == day


def test_counts(day: orchestrator_pb2.DecideRequest) -> None:
    """The default day has 2 sites, 500 orders, 12 vans and 6 carriers."""
    assert len(day.sites) == 2
    assert len(day.orders) == 500
    assert len(day.vehicles) == 12
    assert len(day.carriers) == 6
    assert len(day.rate_cards) == 5
    assert {s.kind for s in day.sites} == {types_pb2.SITE_KIND_DEPOT, types_pb2.SITE_KIND_STORE}
    assert day.request_id == "sample-2026-11-24"
    assert day.timezone == "Europe/Berlin"
    assert day.now.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    assert len({o.id for o in day.orders}) == 500
    assert day.orders[122].id == "ORD-000123"
    assert [v.id for v in day.vehicles[:2]] == ["VAN-01", "VAN-02"]


def test_carriers_match_the_brief(day: orchestrator_pb2.DecideRequest) -> None:
    """Own fleet plus one regional, two local couriers, one gig and one national partner."""
    kinds = Counter(c.kind for c in day.carriers)
    assert kinds == {
        types_pb2.CARRIER_KIND_OWN_FLEET: 1,
        types_pb2.CARRIER_KIND_REGIONAL: 1,
        types_pb2.CARRIER_KIND_LOCAL_COURIER: 2,
        types_pb2.CARRIER_KIND_GIG: 1,
        types_pb2.CARRIER_KIND_NATIONAL: 1,
    }
    by_id = {c.id: c for c in day.carriers}
    assert set(by_id) == {
        "own-fleet",
        "spree-regional",
        "kiez-kurier",
        "city-express",
        "gigdrop",
        "paket-national",
    }
    own = by_id["own-fleet"]
    assert own.rate_card_id == ""
    assert types_pb2.CAPABILITY_EV in own.capabilities
    gig = by_id["gigdrop"]
    assert list(gig.capabilities) == [types_pb2.CAPABILITY_PHOTO_POD]
    assert gig.limits.max_weight_kg == 15.0
    assert gig.reliability == 0.88
    national = by_id["paket-national"]
    assert not national.HasField("same_day_cutoff")
    assert list(national.zone_ids) == []
    assert national.lead_time.ToTimedelta() == timedelta(hours=20)
    assert national.reliability == 0.96
    assert types_pb2.CAPABILITY_SIGNATURE_POD in national.capabilities
    assert not any(s.carrier_id == "paket-national" for s in day.capacity)
    assert by_id["kiez-kurier"].emissions_g_per_km < 50
    assert types_pb2.CAPABILITY_COLD_CHAIN in by_id["city-express"].capabilities


def test_fleet_matches_the_brief(day: orchestrator_pb2.DecideRequest) -> None:
    """12 vans: 2 at the store, 4 EV, 3 cold chain, 2 two-person bulky, two shift patterns."""
    skills = Counter(s for v in day.vehicles for s in v.skills)
    assert skills[types_pb2.CAPABILITY_EV] == 4
    assert skills[types_pb2.CAPABILITY_COLD_CHAIN] == 3
    assert skills[types_pb2.CAPABILITY_TWO_PERSON] == 2
    assert skills[types_pb2.CAPABILITY_BULKY] == 2
    for cap in (types_pb2.CAPABILITY_PHOTO_POD, types_pb2.CAPABILITY_SIGNATURE_POD):
        assert skills[cap] == 12
    assert sum(v.depot_site_id == "store-alexanderplatz" for v in day.vehicles) == 2
    shift_lengths = {v.shift.end.seconds - v.shift.start.seconds for v in day.vehicles}
    assert shift_lengths == {9 * 3600}
    for v in day.vehicles:
        assert 600 <= v.capacity.weight_kg <= 900
        assert 6000 <= v.capacity.volume_l <= 9000
        is_ev = types_pb2.CAPABILITY_EV in v.skills
        assert v.cost_per_km_cents == (18 if is_ev else 32)
        assert v.driver_break.duration.seconds == 1800


def test_references_resolve(day: orchestrator_pb2.DecideRequest) -> None:
    """Every id an entity names exists: sites, carriers, rate cards, zones."""
    site_ids = {s.id for s in day.sites}
    carriers = {c.id: c for c in day.carriers}
    card_ids = {r.id for r in day.rate_cards}
    zones = set(ZONE_IDS)
    for order in day.orders:
        assert order.origin_site_id in site_ids
        assert order.destination.zone_id in zones
    for carrier in day.carriers:
        assert set(carrier.zone_ids) <= zones
        if carrier.kind == types_pb2.CARRIER_KIND_OWN_FLEET:
            assert carrier.rate_card_id == ""
        else:
            assert carrier.rate_card_id in card_ids
    assert {c.rate_card_id for c in day.carriers} - {""} == card_ids
    for card in day.rate_cards:
        assert card.currency == "EUR"
        owner = next(c for c in day.carriers if c.rate_card_id == card.id)
        served = set(owner.zone_ids) or zones
        assert {z.zone_id for z in card.zone_surcharges} <= served
        assert {a.capability for a in card.addons} <= set(owner.capabilities)
    for slot in day.capacity:
        carrier = carriers[slot.carrier_id]
        assert slot.zone_id in (set(carrier.zone_ids) or zones)
        assert slot.id.startswith(f"SLOT-{slot.carrier_id}-{slot.zone_id}-")
    assert len({s.id for s in day.capacity}) == len(day.capacity)
    for vehicle in day.vehicles:
        assert vehicle.depot_site_id in site_ids
        assert carriers[vehicle.carrier_id].kind == types_pb2.CARRIER_KIND_OWN_FLEET


def test_windows_are_well_formed(day: orchestrator_pb2.DecideRequest) -> None:
    """Every window ends after it starts; promises are a deadline or sorted windows, not both."""
    for path, window in _windows(day):
        assert window.end.seconds > window.start.seconds, path
    now_s = day.now.seconds
    for order in day.orders:
        has_deadline = order.promise.HasField("deadline")
        assert has_deadline != bool(order.promise.windows), order.id
        starts = [w.start.seconds for w in order.promise.windows]
        ends = [w.end.seconds for w in order.promise.windows]
        assert all(e <= s for e, s in zip(ends, starts[1:], strict=False)), order.id
        assert all(s > now_s for s in starts), order.id
        assert now_s - 12 * 3600 <= order.created_at.seconds < now_s, order.id
    for vehicle in day.vehicles:
        brk = vehicle.driver_break.window
        assert vehicle.shift.start.seconds <= brk.start.seconds < brk.end.seconds
        assert brk.end.seconds <= vehicle.shift.end.seconds


def test_coordinates_are_in_berlin(day: orchestrator_pb2.DecideRequest) -> None:
    """Sites and destinations all lie inside Berlin's bounding box."""
    points = [s.location for s in day.sites] + [o.destination.location for o in day.orders]
    for p in points:
        assert LAT_MIN <= p.lat <= LAT_MAX
        assert LON_MIN <= p.lon <= LON_MAX


def test_postal_codes_are_consistent_per_zone(day: orchestrator_pb2.DecideRequest) -> None:
    """A postal code belongs to one district, and all are real Berlin codes."""
    zone_of: dict[str, str] = {}
    for order in day.orders:
        code = order.destination.postal_code
        assert re.fullmatch(r"1[0-4]\d{3}", code)
        assert 10115 <= int(code) <= 14199
        assert zone_of.setdefault(code, order.destination.zone_id) == order.destination.zone_id


@pytest.mark.parametrize(("seed", "orders"), [(7, 500), (8, 500), (99, 1234)])
def test_tag_mix_within_tolerances(seed: int, orders: int) -> None:
    """Each tag's share stays within half a point of the brief, for any seed and size."""
    request = generate_day(seed, orders=orders, vehicles=0)
    counts = Counter(tag for o in request.orders for tag in o.tags)
    for tag, share in TAG_SHARES.items():
        assert abs(counts[tag] / orders - share) <= 0.005, tag
    for order in request.orders:
        tags = set(order.tags)
        assert not {"frozen", "chilled"} <= tags
        if "high_value" in tags:
            assert order.preferences.signature_wanted
            assert order.declared_value.cents >= 500_00
        if "furniture" in tags:
            assert order.origin_site_id == "depot-tempelhof"


def test_promise_and_preference_mix(day: orchestrator_pb2.DecideRequest) -> None:
    """Promise kinds, origins and preferences follow the brief's shares."""
    n = len(day.orders)
    mix = order_mix(day)
    same_day = mix["promise: one window today"] + mix["promise: one tight (1 h) evening window"]
    assert same_day == round(n * PROMISE_SHARES["same_day"])
    assert mix["promise: one tight (1 h) evening window"] > 0
    assert mix["promise: two alternative windows"] == round(n * PROMISE_SHARES["two_windows"])
    assert mix["promise: deadline tomorrow"] == round(n * PROMISE_SHARES["next_day"])
    assert mix["promise: deadline in 2-3 days"] == round(n * PROMISE_SHARES["standard"])
    assert mix["origin: store-alexanderplatz"] == round(n * 0.25)
    assert mix["pref: green"] == round(n * 0.12)
    assert mix["pref: contactless"] == round(n * 0.30)
    assert mix["pref: signature_wanted"] == round(n * 0.08)
    assert not any(o.preferences.contactless and o.preferences.signature_wanted for o in day.orders)
    values = [o.declared_value.cents for o in day.orders]
    assert min(values) >= 500 and max(values) <= 2000_00


def test_parcels_are_consistent(day: orchestrator_pb2.DecideRequest) -> None:
    """Volumes match dimensions; small parcels dominate; furniture is long and heavy."""
    small = 0
    for order in day.orders:
        assert order.parcels
        for p in order.parcels:
            d = p.dimensions_cm
            assert p.volume_l == pytest.approx(
                d.length_cm * d.width_cm * d.height_cm / 1000, abs=0.06
            )
            assert 0 < p.weight_kg <= 2000 and p.count >= 1
            if "furniture" in order.tags:
                assert 25 <= p.weight_kg <= 120
                assert 120 <= max(d.length_cm, d.width_cm, d.height_cm) <= 220
            small += 0.2 <= p.weight_kg <= 5
    assert small / sum(len(o.parcels) for o in day.orders) > 0.6


def test_rate_cards_are_complete(day: orchestrator_pb2.DecideRequest) -> None:
    """Every card fills every pricing field (bar same-day where there is no same-day service)."""
    for card in day.rate_cards:
        assert card.base_cents > 0 and card.min_charge_cents > 0
        assert len(card.distance_bands) >= 2 and card.distance_bands[-1].up_to_km == 0
        assert len(card.weight_tiers) >= 3 and card.weight_tiers[-1].up_to_kg == 0
        assert card.dim_divisor == 5000
        assert card.zone_surcharges and card.addons and card.window_premium_cents > 0
        assert card.fuel_surcharge_pct > 0
        assert {(tuple(p.weekdays), p.from_hour, p.to_hour) for p in card.peaks} == {
            ((1, 2, 3, 4, 5), 17, 21),
            ((6,), 10, 18),
        }
        same_day = next(c for c in day.carriers if c.rate_card_id == card.id).same_day_cutoff
        assert (card.same_day_premium_cents > 0) == (same_day.seconds > 0)


def test_some_slots_fill_up(day: orchestrator_pb2.DecideRequest) -> None:
    """In some zone x window, windowed demand exceeds the cheapest partner's remaining slot."""
    demand = Counter(
        (o.destination.zone_id, w.start.seconds) for o in day.orders for w in o.promise.windows
    )
    gig = {
        (s.zone_id, s.window.start.seconds): s.remaining_orders
        for s in day.capacity
        if s.carrier_id == "gigdrop"
    }
    assert sum(demand[key] > left for key, left in gig.items()) >= 5


def test_ten_thousand_order_day() -> None:
    """A 10,000-order day generates in process in well under 2 s."""
    started = time.perf_counter()
    request = generate_day(1, orders=10_000)
    elapsed = time.perf_counter() - started
    assert len(request.orders) == 10_000
    assert request.orders[-1].id == "ORD-010000"
    assert elapsed < 2.0


def test_other_now_keeps_windows_on_its_day() -> None:
    """A caller's `now` moves the whole day, DST included (summer: UTC+2)."""
    now = datetime(2026, 7, 7, 5, 0, tzinfo=UTC)  # 07:00 in Berlin
    request = generate_day(3, orders=20, vehicles=2, now=now)
    assert request.request_id == "sample-2026-07-07"
    shift = request.vehicles[0].shift  # 08:00 local = 06:00 UTC
    assert shift.start.ToDatetime(tzinfo=UTC) == datetime(2026, 7, 7, 6, 0, tzinfo=UTC)
    assert DEFAULT_NOW.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"orders": 0}, "orders >= 1"),
        ({"vehicles": -1}, "vehicles >= 0"),
        ({"now": datetime(2026, 11, 24, 7, 30)}, "timezone-aware"),
        ({"now": datetime(2026, 11, 24, 12, 0, tzinfo=UTC)}, "before 10:00"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, object], message: str) -> None:
    """Bad arguments fail loudly with a hint, never a silently odd day."""
    with pytest.raises(ValueError, match=message):
        generate_day(1, **kwargs)  # type: ignore[arg-type]


def test_readme_counts_match_the_sample() -> None:
    """The README's order-mix table shows the bundled sample's real counts."""
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for label, count in order_mix(generate_day(7)).items():
        assert f"| {label} | {count} |" in readme, label
