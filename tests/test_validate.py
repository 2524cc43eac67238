"""Request validation: every bad field is reported once, on its proto path, before any work."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import pytest
from google.protobuf import descriptor as pb_descriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.v1 import orchestrator_pb2, types_pb2
from service.validate import (
    FieldViolation,
    InputError,
    Limits,
    _check_window,
    _window_ok,
    count_violations,
    fit_violations,
    more_violations,
    to_bad_request,
    validate_decide,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from google.protobuf.message import Message

    Mutation = Callable[[orchestrator_pb2.DecideRequest], object]

NOW = 1_767_261_600  # 2026-01-01T10:00:00Z
HOUR = 3_600
DAY = 86_400


def minimal_request() -> orchestrator_pb2.DecideRequest:
    """1 site, a partner with its rate card, the own fleet with 1 van, 1 slot and 2 orders."""
    request = orchestrator_pb2.DecideRequest(request_id="req-1", timezone="Europe/Berlin")
    request.now.seconds = NOW
    request.options.currency = "EUR"

    site = request.sites.add(id="S1", name="Tempelhof", kind=types_pb2.SITE_KIND_DEPOT)
    site.location.lat, site.location.lon = 52.47, 13.40

    card = request.rate_cards.add(id="RC1", currency="EUR", base_cents=350, dim_divisor=5000.0)
    card.distance_bands.add(up_to_km=5.0, per_km_cents=60)
    card.distance_bands.add(up_to_km=0.0, per_km_cents=40)
    card.weight_tiers.add(up_to_kg=5.0, cents=0)
    card.weight_tiers.add(up_to_kg=0.0, cents=250)
    card.peaks.add(weekdays=[1, 2, 3, 4, 5], from_hour=17, to_hour=20, multiplier=1.15)
    card.addons.add(capability=types_pb2.CAPABILITY_COLD_CHAIN, cents=150)
    card.zone_surcharges.add(zone_id="Z2", cents=100)
    card.fuel_surcharge_pct = 5.0
    card.min_charge_cents = 400

    partner = request.carriers.add(
        id="P1",
        kind=types_pb2.CARRIER_KIND_REGIONAL,
        capabilities=[types_pb2.CAPABILITY_PHOTO_POD],
        zone_ids=["Z1", "Z2"],
        rate_card_id="RC1",
        emissions_g_per_km=120.0,
        reliability=0.95,
        speed_kmh=25.0,
    )
    partner.limits.max_weight_kg = 31.5
    partner.limits.max_parcels = 5
    partner.same_day_cutoff.seconds = 12 * HOUR
    partner.lead_time.seconds = 2 * HOUR
    request.carriers.add(id="OWN", kind=types_pb2.CARRIER_KIND_OWN_FLEET)

    van = request.vehicles.add(
        id="V1",
        carrier_id="OWN",
        depot_site_id="S1",
        skills=[types_pb2.CAPABILITY_EV],
        cost_per_km_cents=30,
        cost_per_hour_cents=2_500,
        fixed_cost_cents=1_000,
        speed_kmh=25.0,
    )
    van.shift.start.seconds, van.shift.end.seconds = NOW, NOW + 8 * HOUR
    van.capacity.weight_kg, van.capacity.volume_l, van.capacity.stops = 800.0, 3_000.0, 40
    van.driver_break.window.start.seconds = NOW + 3 * HOUR
    van.driver_break.window.end.seconds = NOW + 5 * HOUR
    van.driver_break.duration.seconds = 30 * 60

    slot = request.capacity.add(id="SL1", carrier_id="P1", zone_id="Z1", remaining_orders=50)
    slot.remaining_weight_kg = 400.0
    slot.window.start.seconds, slot.window.end.seconds = NOW + 2 * HOUR, NOW + 6 * HOUR

    first = request.orders.add(id="ORD-1", origin_site_id="S1", tags=["fragile"])
    first.destination.location.lat, first.destination.location.lon = 52.53, 13.41
    first.destination.zone_id = "Z1"
    parcel = first.parcels.add(weight_kg=2.5, volume_l=12.0, count=1)
    parcel.dimensions_cm.length_cm = 40.0
    parcel.dimensions_cm.width_cm = 30.0
    parcel.dimensions_cm.height_cm = 20.0
    first.promise.deadline.seconds = NOW + DAY
    first.created_at.seconds = NOW - HOUR
    first.declared_value.cents, first.declared_value.currency = 4_999, "EUR"
    first.attributes["channel"] = "web"

    second = request.orders.add(id="ORD-2", origin_site_id="S1")
    second.destination.location.lat, second.destination.location.lon = 52.50, 13.39
    second.destination.zone_id = "Z2"
    second.parcels.add(weight_kg=1.2, count=2)
    window = second.promise.windows.add()
    window.start.seconds, window.end.seconds = NOW + 4 * HOUR, NOW + 6 * HOUR
    second.created_at.seconds = NOW - 2 * HOUR
    return request


def violations_of(
    request: orchestrator_pb2.DecideRequest, limits: Limits | None = None
) -> list[FieldViolation]:
    """Every violation of `request`, none if it is valid."""
    try:
        validate_decide(request, limits or Limits())
    except InputError as exc:
        return list(exc.violations)
    return []


def fields_of(request: orchestrator_pb2.DecideRequest, limits: Limits | None = None) -> list[str]:
    return [v.field for v in violations_of(request, limits)]


# ---------------------------------------------------------------------------------------------
# Building mutations for the table

_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")


def _resolve(message: Message, path: str) -> tuple[Message, str]:
    """The message that holds the last field of `path`, and that field's name."""
    *parents, leaf = path.split(".")
    for part in parents:
        match = _STEP.fullmatch(part)
        assert match is not None, part
        message = getattr(message, match[1])
        if match[2] is not None:
            message = message[int(match[2])]
    return message, leaf


def put(path: str, value: object) -> Mutation:
    """Set one scalar field, e.g. put("orders[1].destination.location.lat", 91.2)."""

    def mutate(request: orchestrator_pb2.DecideRequest) -> None:
        holder, leaf = _resolve(request, path)
        setattr(holder, leaf, value)

    return mutate


def clear(path: str) -> Mutation:
    """Clear one field or list, e.g. clear("orders[0].destination.location")."""

    def mutate(request: orchestrator_pb2.DecideRequest) -> None:
        holder, leaf = _resolve(request, path)
        holder.ClearField(leaf)

    return mutate


def append(path: str, value: object) -> Mutation:
    """Append to a repeated scalar field, e.g. append("carriers[0].capabilities", 42)."""

    def mutate(request: orchestrator_pb2.DecideRequest) -> None:
        holder, leaf = _resolve(request, path)
        getattr(holder, leaf).append(value)

    return mutate


def put_attribute(key: str, value: str) -> Mutation:
    """Set orders[0].attributes[key]."""

    def mutate(request: orchestrator_pb2.DecideRequest) -> None:
        request.orders[0].attributes[key] = value

    return mutate


def bad(path: str, value: object) -> Any:
    """A table row: set `path` to `value` and expect one violation on `path` itself."""
    return pytest.param(put(path, value), path, id=f"{path}={value!r}"[:60])


def case(mutate: Mutation, field: str, name: str) -> Any:
    """A table row: apply `mutate` and expect one violation on `field`."""
    return pytest.param(mutate, field, id=name)


def _copy_last(list_name: str) -> Mutation:
    def mutate(request: orchestrator_pb2.DecideRequest) -> None:
        items = getattr(request, list_name)
        last = items[-1]
        items.add().CopyFrom(last)

    return mutate


def _overlapping_window(request: orchestrator_pb2.DecideRequest) -> None:
    window = request.orders[1].promise.windows.add()
    window.start.seconds, window.end.seconds = NOW + 5 * HOUR, NOW + 7 * HOUR


def _unsorted_windows(request: orchestrator_pb2.DecideRequest) -> None:
    window = request.orders[1].promise.windows.add()
    window.start.seconds, window.end.seconds = NOW + HOUR, NOW + 2 * HOUR


def _too_many_windows(request: orchestrator_pb2.DecideRequest) -> None:
    windows = request.orders[1].promise.windows
    del windows[:]
    for k in range(9):
        window = windows.add()
        window.start.seconds, window.end.seconds = NOW + k * HOUR, NOW + (k + 1) * HOUR


def _empty_window(request: orchestrator_pb2.DecideRequest) -> None:
    window = request.orders[1].promise.windows[0]
    window.end.CopyFrom(window.start)


def _sub_second_window(request: orchestrator_pb2.DecideRequest) -> None:
    window = request.orders[1].promise.windows[0]
    window.end.seconds, window.start.nanos, window.end.nanos = window.start.seconds, 1, 900_000_000


def _bad_opening_hours(request: orchestrator_pb2.DecideRequest) -> None:
    window = request.sites[0].opening_hours.add()
    window.start.seconds, window.end.seconds = NOW + HOUR, NOW


def _long_break(request: orchestrator_pb2.DecideRequest) -> None:
    request.vehicles[0].driver_break.duration.seconds = 3 * HOUR


def _both_deadline_and_windows(request: orchestrator_pb2.DecideRequest) -> None:
    request.orders[1].promise.deadline.seconds = NOW + DAY


def _decreasing_bands(request: orchestrator_pb2.DecideRequest) -> None:
    request.rate_cards[0].distance_bands[1].up_to_km = 3.0


MUTATIONS: list[Any] = [
    # coordinates
    bad("orders[1].destination.location.lat", 91.2),
    bad("orders[1].destination.location.lat", math.nan),
    bad("orders[0].destination.location.lon", -math.inf),
    case(
        clear("orders[0].destination.location"), "orders[0].destination.location", "location-unset"
    ),
    bad("sites[0].location.lon", 180.5),
    # parcels
    bad("orders[0].parcels[0].weight_kg", 2.3e305),
    bad("orders[0].parcels[0].weight_kg", math.nan),
    bad("orders[0].parcels[0].weight_kg", 0.0),
    bad("orders[1].parcels[0].weight_kg", -1.0),
    bad("orders[0].parcels[0].volume_l", math.inf),
    bad("orders[0].parcels[0].dimensions_cm.height_cm", 1000.5),
    bad("orders[0].parcels[0].count", -1),
    bad("orders[0].parcels[0].count", 10_001),
    case(clear("orders[1].parcels"), "orders[1].parcels", "no-parcels"),
    # ids
    bad("orders[1].id", "ORD-1"),
    bad("orders[0].id", ""),
    bad("orders[0].id", "x" * 257),
    case(_copy_last("rate_cards"), "rate_cards[1].id", "duplicate-rate-card-id"),
    case(_copy_last("capacity"), "capacity[1].id", "duplicate-slot-id"),
    bad("capacity[0].id", ""),
    bad("vehicles[0].id", ""),
    # references
    bad("orders[0].origin_site_id", "S9"),
    bad("orders[0].origin_site_id", ""),
    bad("orders[0].destination.zone_id", "Z9"),
    bad("carriers[0].rate_card_id", "RC9"),
    bad("carriers[0].rate_card_id", ""),
    bad("carriers[1].rate_card_id", "RC1"),
    bad("vehicles[0].carrier_id", "P1"),
    bad("vehicles[0].carrier_id", "GHOST"),
    bad("vehicles[0].depot_site_id", "S9"),
    bad("vehicles[0].depot_site_id", ""),
    bad("vehicles[0].end_site_id", "S9"),
    bad("capacity[0].carrier_id", "GHOST"),
    bad("capacity[0].zone_id", ""),
    # enums
    bad("carriers[0].kind", 99),
    bad("carriers[0].kind", 0),
    case(append("carriers[0].capabilities", 42), "carriers[0].capabilities[1]", "capability-42"),
    case(
        append("carriers[0].capabilities", 0),
        "carriers[0].capabilities[1]",
        "capability-unspecified",
    ),
    case(append("vehicles[0].skills", 0), "vehicles[0].skills[1]", "skill-unspecified"),
    bad("rate_cards[0].addons[0].capability", 9),
    bad("sites[0].kind", 7),
    bad("options.policy", 7),
    bad("options.savings_baseline", 99),
    # windows and times
    case(clear("now"), "now", "now-unset"),
    case(put("now.nanos", -1), "now", "now-nanos"),
    bad("timezone", "Mars/Olympus_Mons"),
    bad("timezone", "../../etc/passwd"),
    case(_empty_window, "orders[1].promise.windows[0].end", "window-end-equals-start"),
    case(_sub_second_window, "orders[1].promise.windows[0].end", "window-under-1s"),
    case(
        clear("orders[1].promise.windows[0].start"),
        "orders[1].promise.windows[0].start",
        "window-no-start",
    ),
    case(_overlapping_window, "orders[1].promise.windows[1]", "windows-overlap"),
    case(_unsorted_windows, "orders[1].promise.windows[1]", "windows-unsorted"),
    case(_too_many_windows, "orders[1].promise.windows", "windows-over-limit"),
    case(_both_deadline_and_windows, "orders[1].promise", "deadline-and-windows"),
    case(clear("orders[0].promise"), "orders[0].promise", "no-promise"),
    case(
        put("orders[0].promise.deadline.seconds", NOW - 2 * HOUR),
        "orders[0].promise.deadline",
        "deadline-before-created",
    ),
    case(put("orders[0].created_at.seconds", NOW + 1), "orders[0].created_at", "created-after-now"),
    case(put("orders[0].created_at.seconds", -5), "orders[0].created_at", "created-negative"),
    case(_bad_opening_hours, "sites[0].opening_hours[0].end", "opening-hours-reversed"),
    case(clear("capacity[0].window.end"), "capacity[0].window.end", "slot-window-no-end"),
    case(put("vehicles[0].shift.end.seconds", NOW), "vehicles[0].shift.end", "shift-empty"),
    case(clear("vehicles[0].shift.start"), "vehicles[0].shift.start", "shift-no-start"),
    case(_long_break, "vehicles[0].driver_break.duration", "break-longer-than-window"),
    # carriers
    bad("carriers[0].reliability", 1.5),
    bad("carriers[0].speed_kmh", math.nan),
    bad("carriers[0].emissions_g_per_km", 5_001.0),
    case(
        put("carriers[0].same_day_cutoff.seconds", DAY), "carriers[0].same_day_cutoff", "cutoff-24h"
    ),
    case(put("carriers[0].lead_time.seconds", -1), "carriers[0].lead_time", "lead-time-negative"),
    case(put("carriers[0].lead_time.nanos", -5), "carriers[0].lead_time", "lead-time-mixed-signs"),
    bad("carriers[0].limits.max_weight_kg", -1.0),
    bad("carriers[0].limits.max_parcels", -1),
    case(append("carriers[0].zone_ids", ""), "carriers[0].zone_ids[2]", "empty-zone-id"),
    # vehicles
    bad("vehicles[0].capacity.weight_kg", math.inf),
    bad("vehicles[0].capacity.stops", -1),
    bad("vehicles[0].cost_per_km_cents", 10**9),
    bad("vehicles[0].fixed_cost_cents", -1),
    bad("vehicles[0].speed_kmh", 201.0),
    case(
        put("vehicles[0].max_route_duration.seconds", 15 * DAY),
        "vehicles[0].max_route_duration",
        "route-15-days",
    ),
    # rate cards
    bad("rate_cards[0].currency", "USD"),
    bad("rate_cards[0].base_cents", -1),
    case(_decreasing_bands, "rate_cards[0].distance_bands[1].up_to_km", "bands-decreasing"),
    bad("rate_cards[0].weight_tiers[0].up_to_kg", 0.0),
    bad("rate_cards[0].distance_bands[0].per_km_cents", 10**9),
    bad("rate_cards[0].dim_divisor", math.nan),
    bad("rate_cards[0].peaks[0].from_hour", 24),
    bad("rate_cards[0].peaks[0].to_hour", 17),
    case(
        append("rate_cards[0].peaks[0].weekdays", 8),
        "rate_cards[0].peaks[0].weekdays[5]",
        "peak-weekday-8",
    ),
    bad("rate_cards[0].peaks[0].multiplier", 0.0),
    bad("rate_cards[0].fuel_surcharge_pct", 101.0),
    bad("rate_cards[0].zone_surcharges[0].zone_id", ""),
    # slots
    bad("capacity[0].remaining_orders", -1),
    bad("capacity[0].remaining_weight_kg", math.nan),
    # options
    bad("options.weights.cost", -1.0),
    bad("options.weights.lateness", math.inf),
    case(put("options.time_budget.seconds", 301), "options.time_budget", "budget-301s"),
    bad("options.circuity_factor", 0.5),
    bad("options.currency", "eur"),
    # money, tags, attributes
    bad("orders[0].declared_value.cents", -1),
    bad("orders[0].declared_value.currency", "USD"),
    case(append("orders[0].tags", "Fragile"), "orders[0].tags[1]", "tag-upper-case"),
    case(append("orders[0].tags", ""), "orders[0].tags[1]", "tag-empty"),
    case(append("orders[0].tags", "x" * 33), "orders[0].tags[1]", "tag-33-chars"),
    case(put_attribute("Bad-Key", "x"), 'orders[0].attributes["Bad-Key"]', "attribute-key"),
    case(put_attribute("note", "x" * 257), 'orders[0].attributes["note"]', "attribute-long"),
    bad("request_id", "r" * 257),
]


def test_minimal_request_is_valid() -> None:
    """The fixture every mutation starts from passes validation."""
    validate_decide(minimal_request(), Limits())


def test_empty_timezone_and_currency_are_defaults() -> None:
    """An empty timezone means UTC and an empty currency means EUR, both valid."""
    request = minimal_request()
    request.timezone = ""
    request.options.currency = ""
    validate_decide(request, Limits())


@pytest.mark.parametrize(("mutate", "field"), MUTATIONS)
def test_each_bad_field_is_reported_on_its_path(mutate: Mutation, field: str) -> None:
    """One mistake gives exactly one violation, on the proto path of the bad field."""
    request = minimal_request()
    mutate(request)
    violations = violations_of(request)
    assert [v.field for v in violations] == [field], violations
    assert violations[0].description


def test_site_at_null_island_is_missing_location() -> None:
    """A location of exactly (0, 0) is treated as unset and reported on the location."""
    request = minimal_request()
    request.sites[0].location.lat = 0.0
    request.sites[0].location.lon = 0.0
    [violation] = violations_of(request)
    assert violation.field == "sites[0].location"
    assert "missing location" in violation.description


def test_description_names_the_item_and_the_value() -> None:
    """The description says which order and which value, with the allowed range."""
    request = minimal_request()
    request.orders[1].destination.location.lat = 91.2
    [violation] = violations_of(request)
    assert violation.description == "order ORD-2: latitude 91.2 is out of range [-90, 90]"


def test_duplicate_names_the_first_use() -> None:
    """A duplicate id is reported on the later item and points to the first one."""
    request = minimal_request()
    request.orders[1].id = "ORD-1"
    [violation] = violations_of(request)
    assert violation.field == "orders[1].id"
    assert "first used by orders[0]" in violation.description


def test_unknown_enum_number_is_named() -> None:
    """An open-enum number the contract does not know is rejected with its value."""
    request = minimal_request()
    request.carriers[0].kind = 99
    [violation] = violations_of(request)
    assert violation.description == "carrier P1: kind 99 is not a known CarrierKind value"


def test_all_violations_are_reported_at_once() -> None:
    """Three different mistakes give three violations, in one InputError."""
    request = minimal_request()
    request.orders[0].parcels[0].weight_kg = math.nan
    request.vehicles[0].carrier_id = "P1"
    request.options.time_budget.seconds = 1_000
    assert sorted(fields_of(request)) == [
        "options.time_budget",
        "orders[0].parcels[0].weight_kg",
        "vehicles[0].carrier_id",
    ]


def test_one_item_with_several_mistakes_reports_each() -> None:
    """Checks of one order do not stop at its first problem."""
    request = minimal_request()
    order = request.orders[0]
    order.destination.location.lat = 100.0
    order.destination.location.lon = 200.0
    order.parcels[0].weight_kg = -1.0
    order.parcels[0].volume_l = math.inf
    assert fields_of(request) == [
        "orders[0].destination.location.lat",
        "orders[0].destination.location.lon",
        "orders[0].parcels[0].weight_kg",
        "orders[0].parcels[0].volume_l",
    ]


@pytest.mark.parametrize(
    ("limit", "list_name", "noun"),
    [
        ("max_orders", "orders", "orders"),
        ("max_sites", "sites", "sites"),
        ("max_carriers", "carriers", "carriers"),
        ("max_vehicles", "vehicles", "vehicles"),
        ("max_slots", "capacity", "capacity slots"),
    ],
)
def test_list_over_its_limit_is_reported_on_the_list(limit: str, list_name: str, noun: str) -> None:
    """A list longer than its limit gives one violation on the list, not one per item."""
    request = minimal_request()
    items = getattr(request, list_name)
    while len(items) < 3:
        last = items[-1]
        items.add().CopyFrom(last)  # duplicate ids, yet no per-item violation
    [violation] = violations_of(request, Limits(**{limit: 2}))
    assert violation.field == list_name
    assert violation.description == f"3 {noun} exceed the limit of 2"


def test_size_message_uses_thousands_separators() -> None:
    """Large counts read as 1,000,001 rather than 1000001."""
    request = minimal_request()
    [violation] = violations_of(request, Limits(max_orders=1))
    assert violation.description == "2 orders exceed the limit of 1"
    request.orders.add().CopyFrom(request.orders[0])
    bad = Limits(max_orders=1_000)
    for _ in range(1_000):
        request.orders.add().CopyFrom(request.orders[0])
    [violation] = violations_of(request, bad)
    assert violation.description == "1,003 orders exceed the limit of 1,000"


def test_parcels_over_limit_and_distinct_tags_over_limit() -> None:
    """Per-order parcel count and request-wide distinct tags have their own limits."""
    request = minimal_request()
    request.orders[0].parcels.add().CopyFrom(request.orders[0].parcels[0])
    request.orders[1].tags.extend(["chilled", "fragile", "frozen"])
    fields = fields_of(request, Limits(max_parcels_per_order=1, max_tags=2))
    # fragile and chilled fit; frozen is the third distinct tag, reported once.
    assert fields == ["orders[0].parcels", "orders[1].tags[2]"]


def test_violations_are_capped_with_a_summary() -> None:
    """A huge bad request lists the first violations and counts the rest."""
    request = minimal_request()
    template = request.orders[1]
    template.destination.location.lat = 95.0
    for k in range(299):
        extra = request.orders.add()
        extra.CopyFrom(template)
        extra.id = f"ORD-X{k}"
    violations = violations_of(request, Limits(max_violations=200))
    assert len(violations) == 201
    assert all(v.field.endswith(".lat") for v in violations[:200])
    assert violations[-1] == FieldViolation(
        "", "...and 100 more violations (only the first 200 are listed)"
    )


def test_to_bad_request_keeps_order_and_text() -> None:
    """The gRPC detail carries every violation, field and description unchanged."""
    violations = [
        FieldViolation("orders[0].id", "order at index 0: missing id"),
        FieldViolation("now", "x"),
    ]
    bad = to_bad_request(violations)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("orders[0].id", "order at index 0: missing id"),
        ("now", "x"),
    ]


def test_input_error_message_and_empty_list() -> None:
    """InputError summarises its first violation and refuses to be empty."""
    error = InputError([FieldViolation("now", "request: missing now")])
    assert str(error) == "invalid request: now: request: missing now"
    with pytest.raises(ValueError, match="at least one violation"):
        InputError([])


@pytest.mark.parametrize(
    "name", ["max_orders", "max_tags", "max_violations", "max_windows_per_order"]
)
def test_limits_must_be_positive(name: str) -> None:
    """Limits check themselves: every limit is > 0."""
    with pytest.raises(ValueError, match=f"^Expected {name} > 0$"):
        Limits(**{name: 0})


def test_limits_keep_tags_within_a_uint64() -> None:
    """More than 64 distinct tags cannot become a uint64 bitset."""
    with pytest.raises(ValueError, match="Expected max_tags <= 64"):
        Limits(max_tags=65)


def test_fifty_thousand_orders_validate() -> None:
    """A full-size valid request (50,000 orders) passes; timing is left to the benchmark."""
    request = minimal_request()
    template = request.orders[1]
    orders = request.orders
    for k in range(50_000 - len(orders)):
        order = orders.add()
        order.CopyFrom(template)
        order.id = f"ORD-{k:06d}"
    assert len(orders) == 50_000
    validate_decide(request, Limits())


# ---------------------------------------------------------------------------------------------
# Property tests

_TIMES = st.integers(-(2**40), 2**40) | st.sampled_from(
    [0, 1, NOW, NOW + 1, 253_402_300_799, 253_402_300_800]
)
_NANOS = st.integers(-(2**31), 2**31 - 1) | st.sampled_from([0, 1, 999_999_999, 1_000_000_000, -1])


@given(start_s=_TIMES, start_n=_NANOS, end_s=_TIMES, end_n=_NANOS)
def test_window_shortcut_agrees_with_the_worded_check(
    start_s: int, start_n: int, end_s: int, end_n: int
) -> None:
    """The hot-path window test accepts exactly the windows the worded check accepts."""
    window = types_pb2.TimeWindow()
    window.start.seconds, window.start.nanos = start_s, start_n
    window.end.seconds, window.end.nanos = end_s, end_n
    found: list[tuple[str, str]] = []
    span = _check_window(lambda f, d: found.append((f, d)), "w", "order X", "window", window)
    assert _window_ok(window) == (span is not None) == (not found)


def _targets(
    message: Message, depth: int = 0
) -> list[tuple[Message, pb_descriptor.FieldDescriptor]]:
    """Every field reachable from `message`, set or not (sub-messages up to a depth)."""
    found: list[tuple[Message, pb_descriptor.FieldDescriptor]] = []
    for field in message.DESCRIPTOR.fields:
        found.append((message, field))
        if field.message_type is None or depth >= 5 or field.message_type.GetOptions().map_entry:
            continue
        if field.is_repeated:
            for item in getattr(message, field.name):
                found.extend(_targets(item, depth + 1))
        else:
            found.extend(_targets(getattr(message, field.name), depth + 1))
    return found


_FD = pb_descriptor.FieldDescriptor
_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    _FD.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([2.3e305, -0.0, 5e-324, 1e308]),
    _FD.TYPE_FLOAT: st.floats(width=32),
    _FD.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    _FD.TYPE_ENUM: st.integers(-(2**31), 2**31 - 1) | st.integers(-1, 12),
    _FD.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    _FD.TYPE_UINT32: st.integers(0, 2**32 - 1),
    _FD.TYPE_BOOL: st.booleans(),
    _FD.TYPE_STRING: st.text(max_size=40)
    | st.sampled_from(["", "S1", "P1", "OWN", "RC1", "Z1", "ORD-1", "EUR"]),
}


def _mutate(data: st.DataObject, request: orchestrator_pb2.DecideRequest) -> None:
    targets = _targets(request)
    holder, field = targets[data.draw(st.integers(0, len(targets) - 1))]
    value = getattr(holder, field.name)
    repeated = field.is_repeated
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value[data.draw(_SCALARS[_FD.TYPE_STRING])] = data.draw(_SCALARS[_FD.TYPE_STRING])
    elif field.message_type is not None:
        action = data.draw(st.sampled_from(["clear", "add"] if repeated else ["clear"]))
        if action == "clear" or not value:
            holder.ClearField(field.name)
        else:
            value.add().CopyFrom(value[data.draw(st.integers(0, len(value) - 1))])
    elif repeated:
        value.append(data.draw(_SCALARS[field.type]))
    else:
        setattr(holder, field.name, data.draw(_SCALARS[field.type]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 6))
def test_garbage_only_ever_raises_input_error(data: st.DataObject, steps: int) -> None:
    """Random mutations of a valid request either pass or raise InputError, nothing else."""
    request = minimal_request()
    for _ in range(steps):
        _mutate(data, request)
    try:
        validate_decide(request, Limits())
    except InputError as exc:
        assert exc.violations
        assert all(v.description for v in exc.violations)
        assert len(to_bad_request(exc.violations).field_violations) == len(exc.violations)


# ---------------------------------------------------------------------------------------------
# Travel matrix and the service's rate cards


def with_matrix(request: orchestrator_pb2.DecideRequest) -> orchestrator_pb2.DecideRequest:
    """A valid 3 x 3 matrix over the site and both orders."""
    request.matrix.location_ids.extend(["S1", "ORD-1", "ORD-2"])
    request.matrix.distances_m.extend([0, 7_000, 4_000, 7_100, 0, 3_000, 4_100, 3_050, 0])
    request.matrix.durations_s.extend([0, 900, 600, 910, 0, 500, 610, 505, 0])
    return request


def test_valid_matrix_passes() -> None:
    """A square matrix over known site and order ids is valid; durations may be omitted."""
    request = with_matrix(minimal_request())
    validate_decide(request, Limits())
    del request.matrix.durations_s[:]
    validate_decide(request, Limits())


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda m: m.location_ids.__setitem__(2, "ORD-9"), "matrix.location_ids[2]", "unknown"),
        (lambda m: m.location_ids.__setitem__(2, "S1"), "matrix.location_ids[2]", "repeats"),
        (lambda m: m.location_ids.__setitem__(1, ""), "matrix.location_ids[1]", "empty"),
        (lambda m: m.distances_m.pop(), "matrix.distances_m", "has 8 entries, expected 9"),
        (lambda m: m.durations_s.append(1), "matrix.durations_s", "has 10 entries"),
        (
            lambda m: m.distances_m.__setitem__(5, -3),
            "matrix.distances_m[5]",
            'from "ORD-1" to "ORD-2" is -3',
        ),
        (lambda m: m.durations_s.__setitem__(1, 10**9), "matrix.durations_s[1]", "out of range"),
        (lambda m: m.location_ids.__delitem__(slice(None)), "matrix.location_ids", "is empty"),
    ],
)
def test_bad_matrix_is_reported_on_its_path(
    mutate: Callable[[types_pb2.TravelMatrix], object], field: str, words: str
) -> None:
    """Unknown or repeated ids, wrong sizes and negative or absurd entries name matrix paths."""
    request = with_matrix(minimal_request())
    mutate(request.matrix)
    violations = violations_of(request)
    assert field in [v.field for v in violations], violations
    assert any(words in v.description for v in violations if v.field == field), violations


def test_many_bad_matrix_entries_are_capped() -> None:
    """A matrix full of negative entries lists the first ten and then says there are more."""
    request = with_matrix(minimal_request())
    request.matrix.distances_m[:] = [-1] * 9
    found = fields_of(request)
    assert found.count("matrix.distances_m") == 0
    assert len([f for f in found if f.startswith("matrix.distances_m[")]) == 9
    request.matrix.location_ids.extend(["S1b"])
    request.sites.add(id="S1b", kind=types_pb2.SITE_KIND_DEPOT).location.lat = 52.4
    request.sites[1].location.lon = 13.3
    request.matrix.distances_m[:] = [-1] * 16
    del request.matrix.durations_s[:]
    found = fields_of(request)
    assert len([f for f in found if f.startswith("matrix.distances_m[")]) == 10
    assert "matrix.distances_m" in found


def test_carrier_may_name_a_rate_card_of_the_service() -> None:
    """A rate_card_id not in the request is fine when the service's rate files define it."""
    request = minimal_request()
    request.carriers[0].rate_card_id = "rc-from-file"
    assert fields_of(request) == ["carriers[0].rate_card_id"]
    validate_decide(request, Limits(), {"rc-from-file"})


def test_matrix_reaches_the_snapshot_and_prices() -> None:
    """A valid matrix becomes snapshot columns; pricing uses its origin site -> order entry."""
    from service.convert import to_snapshot
    from solver.checks import BuiltinPolicy
    from solver.pricing import price

    snapshot = to_snapshot(with_matrix(minimal_request()))
    assert snapshot.matrix is not None
    assert snapshot.matrix.order_distance_m(snapshot.orders.origin_site_idx).tolist() == [
        7_000,
        4_000,
    ]
    table = price(snapshot, BuiltinPolicy().evaluate(snapshot))
    assert table.distance_m[:, 0].tolist() == [7_000, 4_000]


def test_fit_violations_caps_the_details_by_size() -> None:
    """Lists that fit come back as they are; longer ones keep a prefix within the byte budget
    and one closing entry counting every violation left out, an earlier cap's count included."""
    few = tuple(FieldViolation(f"orders[{i}].id", "missing") for i in range(3))
    assert fit_violations(few) == few
    many = tuple(FieldViolation(f"orders[{i}].id", "x" * 40) for i in range(100))
    capped = (*many, more_violations(50, 100))
    assert count_violations(capped) == 150 and count_violations(few) == 3
    for budget in (600, 2000):
        shown = fit_violations(capped, budget)
        *listed, closing = shown
        assert tuple(listed) == many[: len(listed)] and 0 < len(listed) < 100
        assert to_bad_request(shown).ByteSize() <= budget
        assert closing == more_violations(100 - len(listed) + 50, len(listed))
