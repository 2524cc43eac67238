"""End to end on odd but plausible days: generated days at clock changes and in other time
zones, with full slots and a few random field edits, through the real worker (bundled rules,
real solvers). Every request gets either a consistent answer or INVALID_ARGUMENT naming the
fields; never an internal error, a hang or an answer that breaks its own promises."""

from __future__ import annotations

import collections
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import descriptor as pb_descriptor
from google.rpc import error_details_pb2, status_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from samples.generate import generate_day
from service.settings import BUNDLED_RULES_DIR
from service.validate import Limits
from service.worker import Worker
from solver.domain import CAPABILITY_FOR_REQUIREMENT, Requirement

if TYPE_CHECKING:
    from collections.abc import Iterator

    from google.protobuf.message import Message

_FD = pb_descriptor.FieldDescriptor

# Instants around the 2026 clock changes in Europe and North America, and plain mornings.
_NOWS = [
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 3, 7, 6, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 6, 0, tzinfo=UTC),
    datetime(2026, 11, 24, 6, 30, tzinfo=UTC),
]
# Half-hour and 45-minute offsets, a 30-minute clock change (Lord Howe), the southern summer.
_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """One in-process worker with the bundled rules and rate cards, warmed."""
    w = Worker(BUNDLED_RULES_DIR, Limits(), rules_poll_s=3600.0)
    w.warm_up()
    yield w
    w.close()


def _fields(message: Message) -> list[tuple[Message, pb_descriptor.FieldDescriptor]]:
    """Scalar fields of a message and of its set sub-messages (one item per repeated list)."""
    found = []
    for field in message.DESCRIPTOR.fields:
        if field.message_type is None:
            found.append((message, field))
        elif not field.message_type.GetOptions().map_entry:
            value = getattr(message, field.name)
            if field.is_repeated:
                found.extend(_fields(value[0]) if len(value) else [])
            elif message.HasField(field.name):
                found.extend(_fields(value))
    return found


def _edit(data: st.DataObject, request: pb.DecideRequest, ids: list[str]) -> str:
    """Set one scalar field of one item (orders, carriers, vans, ...) to a plausible edge value:
    zero, one, a neighbour, a multiple, another id of the request, another enum value."""
    lists = [f for f in request.DESCRIPTOR.fields if f.is_repeated and f.message_type]
    field_list = data.draw(st.sampled_from([f for f in lists if len(getattr(request, f.name))]))
    items = getattr(request, field_list.name)
    item = items[data.draw(st.integers(0, len(items) - 1))]
    holder, field = data.draw(st.sampled_from(_fields(item)))
    old = getattr(holder, field.name)
    if field.is_repeated:
        return f"{field_list.name}.{field.name} kept (repeated)"
    if field.type in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        new: object = data.draw(st.sampled_from([0.0, 0.001, 1.0, old * 0.5, old * 2.0, old + 1]))
    elif field.type == _FD.TYPE_ENUM:
        new = data.draw(st.sampled_from([v.number for v in field.enum_type.values]))
    elif field.type == _FD.TYPE_BOOL:
        new = not old
    elif field.type == _FD.TYPE_STRING:
        new = data.draw(st.sampled_from(["", *ids]))
    else:
        now = request.now.seconds
        pool = [0, 1, old - 1, old + 1, old * 2, now, now + 3_600, now + 86_400]
        lo, hi = (0, 2**32 - 1) if field.type == _FD.TYPE_UINT32 else (-(2**31), 2**31 - 1)
        if field.type == _FD.TYPE_INT64:
            lo, hi = -(2**63), 2**63 - 1
        new = min(max(data.draw(st.sampled_from(pool)), lo), hi)
    setattr(holder, field.name, new)
    return f"{field_list.name}.{holder.DESCRIPTOR.name}.{field.name}={new!r}"


def _assert_consistent(request: pb.DecideRequest, answer: pb.DecideResponse) -> None:
    """What any answer promises about itself and its request."""
    asked = collections.Counter(o.id for o in request.orders)
    answered = collections.Counter(
        [d.order_id for d in answer.decisions] + [u.order_id for u in answer.unassigned]
    )
    assert answered == asked, "every order is answered exactly once"
    assert answer.summary.assigned == len(answer.decisions)
    assert answer.summary.unassigned == len(answer.unassigned)
    room = {s.id: s for s in request.capacity}
    kg = {o.id: sum(p.weight_kg * max(p.count, 1) for p in o.parcels) for o in request.orders}
    taken: collections.Counter[str] = collections.Counter()
    taken_kg: collections.Counter[str] = collections.Counter()
    for d in answer.decisions:
        [chosen] = [c for c in d.candidates if c.chosen]
        assert chosen.carrier_id == d.carrier_id, d.order_id
        assert chosen.price.total.cents == d.price.total.cents, d.order_id
        for c in d.candidates:
            assert sum(line.amount.cents for line in c.price.lines) == c.price.total.cents
            assert c.promise.start.seconds <= c.eta.seconds <= c.promise.end.seconds, (
                f"{d.order_id} via {c.carrier_id}: ETA outside its promise"
            )
            assert c.eta.seconds >= request.now.seconds
        assert [c.rank for c in d.candidates] == list(range(1, len(d.candidates) + 1))
        _assert_allowed(request, d)
        if d.slot_id:
            slot = room[d.slot_id]
            assert slot.carrier_id == d.carrier_id
            assert slot.window.start.seconds <= d.eta.seconds < slot.window.end.seconds
            taken[d.slot_id] += 1
            taken_kg[d.slot_id] += kg[d.order_id]
    for slot_id, count in taken.items():
        slot = room[slot_id]
        assert count <= slot.remaining_orders, f"slot {slot_id} over its orders"
        if slot.remaining_weight_kg > 0:
            assert taken_kg[slot_id] <= slot.remaining_weight_kg + 1e-6, f"slot {slot_id} kg"
    _assert_routes_hold(request, answer)
    _assert_priced_by_the_card(request, answer)
    carriers = collections.Counter(c.id for c in request.carriers)
    for u in answer.unassigned:
        assert u.reasons and u.reasons[0] != 0, f"{u.order_id} unassigned without a reason"
        # Every carrier says why not, once.
        assert collections.Counter(e.carrier_id for e in u.exclusions) == carriers, u
    if request.options.explain:
        for d in answer.decisions:
            named = [c.carrier_id for c in d.candidates] + [e.carrier_id for e in d.exclusions]
            assert collections.Counter(named) == carriers, d.order_id


def _assert_allowed(request: pb.DecideRequest, d: pb.Decision) -> None:
    """The carrier (or van) has what the order requires, serves its zone, and a partner
    delivers inside the customer's promise (vans may be up to 30 minutes late, at a cost)."""
    order = next(o for o in request.orders if o.id == d.order_id)
    carrier = next(c for c in request.carriers if c.id == d.carrier_id)
    van = next((v for v in request.vehicles if v.id == d.vehicle_id), None)
    has = set(van.skills if van is not None else carrier.capabilities)
    for requirement in d.requirements:
        assert int(CAPABILITY_FOR_REQUIREMENT[Requirement(requirement)]) in has, d
    if van is None and carrier.zone_ids:
        assert order.destination.zone_id in carrier.zone_ids, d.order_id
    ends = [w.end.seconds for w in order.promise.windows] or [order.promise.deadline.seconds + 1]
    starts = [w.start.seconds for w in order.promise.windows] or [request.now.seconds]
    # A van may start service up to 30 minutes after a window's (exclusive) end.
    late_s = 1801 if van is not None else 0
    assert any(a <= d.eta.seconds < b + late_s for a, b in zip(starts, ends, strict=True)), (
        f"{d.order_id} via {d.carrier_id}: ETA outside the customer's promise"
    )


def _assert_priced_by_the_card(request: pb.DecideRequest, answer: pb.DecideResponse) -> None:
    """Partner prices read straight off the request's rate cards, independently of the
    snapshot the kernel and its reference share: base fee, fuel on the lines before it, the
    minimum charge, the same-day premium exactly when the promise ends before local midnight,
    the window premium exactly when the ETA is in a booked window shorter than a day; and no
    ETA before now plus the carrier's lead time."""
    zone = ZoneInfo(request.timezone or "UTC")
    today = datetime.fromtimestamp(request.now.seconds, zone).date()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone).timestamp()
    cards = {card.id: card for card in request.rate_cards}
    carriers = {c.id: c for c in request.carriers}
    windows = {o.id: o.promise.windows for o in request.orders}
    for d in answer.decisions:
        for cand in d.candidates:
            carrier = carriers[cand.carrier_id]
            card = cards.get(carrier.rate_card_id)
            if carrier.kind == types_pb2.CARRIER_KIND_OWN_FLEET or card is None:
                continue
            assert cand.eta.seconds >= request.now.seconds + carrier.lead_time.seconds
            lines = {line.code: line.amount.cents for line in cand.price.lines}
            codes = list(lines)
            assert lines.get("BASE", 0) == card.base_cents
            if "FUEL" in lines:
                before = sum(lines[code] for code in codes[: codes.index("FUEL")])
                assert lines["FUEL"] == math.floor(before * card.fuel_surcharge_pct / 100 + 0.5)
            assert cand.price.total.cents >= card.min_charge_cents
            same_day = cand.promise.end.seconds <= midnight
            assert lines.get("SAME_DAY", 0) == (card.same_day_premium_cents if same_day else 0)
            booked = [
                w.end.seconds - w.start.seconds
                for w in windows[d.order_id]
                if w.start.seconds <= cand.eta.seconds < w.end.seconds
            ]
            short = bool(booked) and booked[0] < 86_400
            assert lines.get("WINDOW", 0) == (card.window_premium_cents if short else 0), (
                d.order_id,
                cand.carrier_id,
            )


def _assert_routes_hold(request: pb.DecideRequest, answer: pb.DecideResponse) -> None:
    """Routes carry exactly the van decisions, in time order, inside shift, stops and kg."""
    vans = {v.id: v for v in request.vehicles}
    by_van: dict[str, set[str]] = collections.defaultdict(set)
    eta = {}
    for d in answer.decisions:
        if d.vehicle_id:
            by_van[d.vehicle_id].add(d.order_id)
            eta[d.order_id] = d.eta.seconds
    assert len({r.vehicle_id for r in answer.routes}) == len(answer.routes)
    assert {r.vehicle_id for r in answer.routes if r.stops} == set(by_van)
    for route in answer.routes:
        van = vans[route.vehicle_id]
        assert {s.order_id for s in route.stops} == by_van[route.vehicle_id]
        assert [s.sequence for s in route.stops] == list(range(1, len(route.stops) + 1))
        if van.capacity.stops > 0:
            assert len(route.stops) <= van.capacity.stops
        clock = route.start.seconds
        assert clock >= van.shift.start.seconds
        for stop in route.stops:
            assert clock <= stop.arrival.seconds <= stop.departure.seconds, route.vehicle_id
            assert stop.arrival.seconds == eta[stop.order_id], "a van's ETA is its arrival"
            assert stop.load_kg <= van.capacity.weight_kg + 1e-6
            clock = stop.departure.seconds
        assert clock <= route.end.seconds <= van.shift.end.seconds, route.vehicle_id


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    seed=st.integers(0, 10**6),
    orders=st.sampled_from([1, 7, 25]),
    vans=st.sampled_from([0, 1, 4]),
    now=st.sampled_from(_NOWS),
    zone=st.sampled_from(_ZONES),
    explain=st.booleans(),
    full_slots=st.floats(0.0, 0.6),
    edits=st.integers(0, 2),
    greedy=st.booleans(),
    weights=st.tuples(*[st.sampled_from([0.0, 0.5, 1.0, 50.0, 1e4])] * 3),
)
def test_every_request_gets_a_consistent_answer_or_invalid_argument(
    worker: Worker,
    data: st.DataObject,
    seed: int,
    orders: int,
    vans: int,
    now: datetime,
    zone: str,
    explain: bool,
    full_slots: float,
    edits: int,
    greedy: bool,
    weights: tuple[float, float, float],
) -> None:
    request = generate_day(seed=seed, orders=orders, vehicles=vans, now=now)
    request.timezone = zone
    request.options.explain = explain
    request.options.time_budget.FromMilliseconds(300)
    if greedy:
        request.options.policy = pb.ASSIGNMENT_POLICY_GREEDY
        request.options.savings_baseline = pb.BASELINE_SINGLE_NATIONAL
    w = request.options.weights
    w.cost, w.lateness, w.emissions = weights
    for k, slot in enumerate(request.capacity):
        if k < full_slots * len(request.capacity):
            slot.remaining_orders = k % 2
    ids = sorted({o.id for o in request.orders} | {c.id for c in request.carriers})
    edited = [_edit(data, request, ids) for _ in range(edits)]
    result = worker.decide(request.SerializeToString(), 5.0)
    assert result.code in ("OK", "INVALID_ARGUMENT"), (result.code, result.message, edited)
    if result.code == "INVALID_ARGUMENT":
        status = status_pb2.Status.FromString(result.payload)
        bad = error_details_pb2.BadRequest()
        assert status.details[0].Unpack(bad)
        assert edited, "an unedited generated day is valid"
        assert bad.field_violations
        listed = list(bad.field_violations)
        if not listed[-1].field:  # a long list ends with "...and N more violations"
            assert listed[-1].description.startswith("...and "), listed[-1]
            listed.pop()
        assert all(v.field and v.description for v in listed), (listed, edited)
        return
    answer = pb.DecideResponse.FromString(result.payload)
    _assert_consistent(request, answer)
