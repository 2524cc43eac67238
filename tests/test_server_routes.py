"""End to end: own-fleet routes in the decision, through the real server and client."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import grpc
import pytest

from clients.client import OrchestratorError
from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from samples.generate import generate_day
from solver.domain import capabilities_for
from solver.fleet import FleetParams

if TYPE_CHECKING:
    from clients.client import Client

OWN = types_pb2.CARRIER_KIND_OWN_FLEET
_REQUIREMENT_BITS = {r: 1 << int(r) for r in range(1, 8)}
MAX_LATE_S = FleetParams().max_lateness_s


def _request(base: pb.DecideRequest, budget_s: float, seed: int = 1) -> pb.DecideRequest:
    request = pb.DecideRequest()
    request.CopyFrom(base)
    request.options.time_budget.FromMilliseconds(int(budget_s * 1000))
    request.options.seed = seed
    return request


def _ts(t: object) -> int:
    return int(t.seconds)  # type: ignore[attr-defined]


def check_routes(request: pb.DecideRequest, response: pb.DecideResponse) -> list[str]:
    """Route invariants, from the request alone: capacity, shifts, windows, skills, one stop per
    own-fleet decision and vice versa, ETA = arrival, price = one ROUTE line."""
    errors: list[str] = []
    own_ids = {c.id for c in request.carriers if c.kind == OWN}
    vans = {v.id: v for v in request.vehicles}
    orders = {o.id: o for o in request.orders}
    decisions = {d.order_id: d for d in response.decisions}
    stops: dict[str, tuple[str, pb.RouteStop]] = {}
    seen_vans: set[str] = set()
    for route in response.routes:
        van = vans[route.vehicle_id]
        if route.vehicle_id in seen_vans:
            errors.append(f"{route.vehicle_id}: two routes")
        seen_vans.add(route.vehicle_id)
        if _ts(route.start) < _ts(van.shift.start) or _ts(route.end) > _ts(van.shift.end):
            errors.append(f"{route.vehicle_id}: route outside its shift")
        limit = van.max_route_duration.seconds
        if limit and route.duration.seconds > limit:
            errors.append(f"{route.vehicle_id}: longer than its maximum duration")
        if route.duration.seconds != _ts(route.end) - _ts(route.start):
            errors.append(f"{route.vehicle_id}: duration != end - start")
        if van.capacity.stops and len(route.stops) > van.capacity.stops:
            errors.append(f"{route.vehicle_id}: {len(route.stops)} stops > capacity")
        total_kg = sum(
            sum(p.weight_kg * max(p.count, 1) for p in orders[s.order_id].parcels)
            for s in route.stops
        )
        if total_kg > van.capacity.weight_kg + 1e-6:
            errors.append(f"{route.vehicle_id}: {total_kg:.1f} kg > capacity")
        skills = 0
        for skill in van.skills:
            skills |= 1 << int(skill)
        previous = _ts(route.start)
        for seq, stop in enumerate(route.stops, start=1):
            if stop.sequence != seq:
                errors.append(f"{stop.order_id}: sequence {stop.sequence} != {seq}")
            if stop.order_id in stops:
                errors.append(f"{stop.order_id}: in two stops")
            stops[stop.order_id] = (route.vehicle_id, stop)
            arrival, departure = _ts(stop.arrival), _ts(stop.departure)
            if not previous <= arrival <= departure <= _ts(route.end):
                errors.append(f"{stop.order_id}: times out of order")
            previous = departure
            if stop.load_kg < -1e-9 or stop.load_kg > van.capacity.weight_kg + 1e-6:
                errors.append(f"{stop.order_id}: load {stop.load_kg}")
            order = orders[stop.order_id]
            promise = order.promise
            windows = [(_ts(w.start), _ts(w.end)) for w in promise.windows] or [
                (_ts(request.now), _ts(promise.deadline))
            ]
            last_end = max(e for _, e in windows)
            inside = any(a <= arrival <= e for a, e in windows)
            if not inside and not last_end < arrival <= last_end + MAX_LATE_S:
                errors.append(f"{stop.order_id}: arrival {arrival} outside {windows}")
            decision = decisions.get(stop.order_id)
            if decision is None or decision.carrier_id not in own_ids:
                errors.append(f"{stop.order_id}: on a route but not an own-fleet decision")
                continue
            bits = 0
            for r in decision.requirements:
                bits |= _REQUIREMENT_BITS[int(r)]
            needed = capabilities_for(bits)
            if skills & needed != needed:
                errors.append(f"{stop.order_id}: {route.vehicle_id} lacks skills")
    for d in response.decisions:
        if d.carrier_id not in own_ids:
            continue
        if d.order_id not in stops:
            errors.append(f"{d.order_id}: own-fleet decision without a route stop")
            continue
        vehicle, stop = stops[d.order_id]
        if d.vehicle_id != vehicle:
            errors.append(f"{d.order_id}: vehicle {d.vehicle_id} != route {vehicle}")
        if _ts(d.eta) != _ts(stop.arrival):
            errors.append(f"{d.order_id}: ETA != arrival")
        if not _ts(d.promise.start) <= _ts(d.eta) <= _ts(d.promise.end):
            errors.append(f"{d.order_id}: ETA outside its promise")
        if [line.code for line in d.price.lines] != ["ROUTE"]:
            errors.append(f"{d.order_id}: price lines {[line.code for line in d.price.lines]}")
        own_candidates = [c for c in d.candidates if c.carrier_id == d.carrier_id]
        if not own_candidates or own_candidates[0].price.total.cents != d.price.total.cents:
            errors.append(f"{d.order_id}: own-fleet candidate without the marginal cost")
    keep_or_outsource = response.summary.policy == pb.ASSIGNMENT_POLICY_OPTIMAL
    for d in response.decisions:
        if d.carrier_id in own_ids or not response.routes or not keep_or_outsource:
            continue  # the routed greedy offers the vans only its own picks
        for cand in d.candidates:  # every order here was offered to the vans
            if cand.carrier_id in own_ids and [x.code for x in cand.price.lines] != ["ROUTE"]:
                errors.append(f"{d.order_id}: own-fleet candidate priced before routing")
            elif cand.carrier_id in own_ids and not (
                _ts(cand.promise.start) <= _ts(cand.eta) <= _ts(cand.promise.end)
            ):
                errors.append(f"{d.order_id}: own-fleet candidate ETA outside its promise")
    for d in response.decisions:
        if sum(line.amount.cents for line in d.price.lines) != d.price.total.cents:
            errors.append(f"{d.order_id}: price lines do not sum to the price")
    return errors


def _totals_consistent(response: pb.DecideResponse) -> None:
    own_route_cost = sum(r.cost.cents for r in response.routes)
    summary = response.summary
    assert sum(c.cost.cents for c in summary.carriers) == summary.total_cost.cents
    own_ids = {d.carrier_id for d in response.decisions if d.vehicle_id}
    partner = sum(d.price.total.cents for d in response.decisions if d.carrier_id not in own_ids)
    assert summary.total_cost.cents == partner + own_route_cost
    assert summary.savings.cents == summary.baseline_cost.cents - summary.total_cost.cents
    for baseline in summary.baselines:
        assert baseline.savings.cents == baseline.cost.cents - summary.total_cost.cents


@pytest.mark.slow
def test_sample_day_routes_pass_invariants(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """The sample day keeps orders on vans, and every route and own-fleet decision is valid."""
    request = _request(sample_request, budget_s=12.0)
    response = client.decide(request, timeout_s=60)
    assert response.routes, "expected the vans to keep some orders"
    assert check_routes(request, response) == []
    _totals_consistent(response)
    assert "routing" in response.summary.stage_ms


def test_generated_day_routes_pass_invariants(client: Client) -> None:
    """A small generated day: routes valid, totals = partner prices + route costs."""
    request = _request(generate_day(seed=5, orders=60, vehicles=3), budget_s=4.0)
    response = client.decide(request, timeout_s=30)
    assert response.routes
    assert check_routes(request, response) == []
    _totals_consistent(response)


def test_same_request_same_routes(client: Client) -> None:
    """With a fixed seed the decision, routes included, repeats exactly."""
    request = _request(generate_day(seed=2, orders=40, vehicles=2), budget_s=10.0, seed=3)
    first = client.decide(request, timeout_s=30)
    second = client.decide(request, timeout_s=30)
    for answer in (first, second):
        answer.summary.ClearField("stage_ms")
        answer.ClearField("elapsed")
    assert first.routes
    assert first == second


def test_tight_deadline_never_runs_over(client: Client, sample_request: pb.DecideRequest) -> None:
    """A 2.5 s deadline on the sample day with a 30 s budget: answered OK, and in time.
    (Explanations off: building them is not budgeted work and swings with the machine's load.)"""
    request = _request(sample_request, budget_s=30.0, seed=0)
    request.options.explain = False
    started = time.perf_counter()
    try:
        response = client.decide(request, timeout_s=2.5)
    except OrchestratorError as error:  # pragma: no cover - the failure we guard against
        pytest.fail(f"expected an answer within the deadline, got {error.code}")
    elapsed = time.perf_counter() - started
    assert elapsed < 2.5
    assert check_routes(request, response) == []
    assert response.summary.assigned > 0


def test_deadline_exceeded_is_still_reported(client: Client) -> None:
    """A deadline too short to decide anything is DEADLINE_EXCEEDED, never a late answer."""
    request = _request(generate_day(seed=1, orders=50, vehicles=2), budget_s=5.0)
    with pytest.raises(OrchestratorError) as caught:
        client.decide(request, timeout_s=0.01)
    assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_capacity_exhausted_names_what_was_full(
    client: Client, sample_request: pb.DecideRequest
) -> None:
    """CAPACITY_EXHAUSTED says which capacity ran out: the full slots (listed by id) and/or the
    own vans when a van was a possible carrier; never "0 slots"."""
    response = client.decide(sample_request)
    own_ids = {c.id for c in sample_request.carriers if c.kind == OWN}
    full = [u for u in response.unassigned if u.reasons[0] == pb.REASON_CODE_CAPACITY_EXHAUSTED]
    assert full, "the sample day has orders left out for capacity"
    for item in full:
        slots = len(item.full_slot_ids)
        assert "0 slots" not in item.message, item
        if slots:
            assert f"({slots} slot" in item.message, item
        if not slots:  # then only a van could have taken it, and the message says so
            assert "the own vans" in item.message, item
            assert not any(e.carrier_id in own_ids for e in item.exclusions), item
