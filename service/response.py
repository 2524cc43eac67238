"""Outcome in, DecideResponse out: the only place that turns solver arrays into protos."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import numpy as np

from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from solver import assign, pricing
from solver.domain import Reason, Requirement, bit
from solver.eligibility import DAY_S

if TYPE_CHECKING:
    from solver.decide import Outcome
    from solver.fleet import FleetPlan
    from solver.snapshot import Snapshot

TOP_CANDIDATES = 3  # ranked candidates per decision when explain is off

_PRICING_MESSAGES = {
    Reason.WINDOW_UNREACHABLE: "earliest delivery is after the promise",
    Reason.PAST_CUTOFF: "same-day promise after the carrier's cut-off",
    Reason.NO_RATE_CARD: "no rate card to price it",
    Reason.NO_SLOT: "no capacity slot in this zone and window",
    Reason.NO_VEHICLE_FITS: "no van with the skills and shift for it",
}
# Placement failures that an order's allowed delivery hours can cause.
_HOURS_REASONS = frozenset({Reason.WINDOW_UNREACHABLE, Reason.NO_SLOT, Reason.CAPACITY_EXHAUSTED})


def build(outcome: Outcome) -> pb.DecideResponse:
    """The answer for one outcome: decisions, unassigned, routes and summary."""
    snapshot = outcome.snapshot
    assignment = outcome.assignment
    currency = snapshot.options.currency
    response = pb.DecideResponse(request_id=snapshot.request_id)
    for i in range(snapshot.orders.count):
        if assignment.carrier_idx[i] >= 0:
            response.decisions.append(_decision(outcome, i, currency))
        else:
            response.unassigned.append(_unassigned(outcome, i))
    _routes(outcome, response, currency)
    _summary(outcome, response.summary, currency)
    return response


def _clock(seconds: int) -> str:
    """Local seconds of the day as HH:MM (86400 is 24:00)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _hours(outcome: Outcome, i: int) -> tuple[str, str] | None:
    """Order i's allowed delivery hours as ("08:00-22:00", source), None for the whole day."""
    el = outcome.eligibility
    h_from, h_to = int(el.delivery_from_s[i]), int(el.delivery_to_s[i])
    if h_from <= 0 and h_to >= DAY_S:
        return None
    k = int(el.hours_source[i])
    source = el.hours_sources[k] if k >= 0 else "eligibility:delivery_hours"
    return f"{_clock(h_from)}-{_clock(h_to)}", source


def _local(outcome: Outcome, ts: int) -> str:
    """A timestamp as local "Fri 19:30" (the snapshot's UTC offset at now)."""
    snapshot = outcome.snapshot
    return f"{datetime.fromtimestamp(ts + snapshot.utc_offset_s, tz=UTC):%a %H:%M}"


def _hours_note(outcome: Outcome, i: int, c: int) -> pb.Explanation | None:
    """Regulated goods: which rule row set the allowed hours, and that ETA and promise keep
    them."""
    hours = _hours(outcome, i)
    if hours is None:
        return None
    span, source = hours
    promise = _pair_promise(outcome, i, c)
    message = (
        f"delivery allowed {span} local only: ETA {_local(outcome, _pair_eta(outcome, i, c))}, "
        f"promise {_local(outcome, promise.start.seconds)}-"
        f"{_local(outcome, promise.end.seconds)[4:]} local"
    )
    return pb.Explanation(stage="pricing", source=source, message=message)


def _money(cents: int, currency: str) -> types_pb2.Money:
    return types_pb2.Money(cents=int(cents), currency=currency)


def _window(start_ts: int, end_ts: int) -> types_pb2.TimeWindow:
    window = types_pb2.TimeWindow()
    window.start.seconds = int(start_ts)
    window.end.seconds = int(end_ts)
    return window


def _requirements(bits: int) -> list[pb.Requirement]:
    return [cast("pb.Requirement", int(r)) for r in Requirement if bits & bit(r)]


def _reason(value: int) -> pb.ReasonCode:
    return cast("pb.ReasonCode", int(value))


def _level(value: int) -> pb.ServiceLevel:
    return cast("pb.ServiceLevel", int(value))


def _routed(outcome: Outcome, i: int, c: int) -> bool:
    """Whether order i rides on a route of own-fleet carrier c in the chosen plan."""
    plan = outcome.fleet
    return plan is not None and bool(plan.kept[i]) and int(plan.carrier_idx[i]) == c


def _pair_price(outcome: Outcome, i: int, c: int) -> int:
    """Price of a pair: the marginal route cost for a routed order, else the priced one."""
    if _routed(outcome, i, c):
        assert outcome.fleet is not None
        return int(outcome.fleet.marginal_cents[i])
    return int(outcome.prices.price_cents[i, c])


def _pair_eta(outcome: Outcome, i: int, c: int) -> int:
    if _routed(outcome, i, c):
        assert outcome.fleet is not None
        return int(outcome.fleet.eta_ts[i])
    return int(outcome.prices.eta_ts[i, c])


def _pair_promise(outcome: Outcome, i: int, c: int) -> types_pb2.TimeWindow:
    if _routed(outcome, i, c):
        assert outcome.fleet is not None
        plan = outcome.fleet
        return _window(plan.promise_start_ts[i], plan.promise_end_ts[i])
    prices = outcome.prices
    return _window(prices.promise_start_ts[i, c], prices.promise_end_ts[i, c])


def _pair_co2e(outcome: Outcome, i: int, c: int) -> float:
    if _routed(outcome, i, c):
        assert outcome.fleet is not None
        return round(float(outcome.fleet.co2e_g[i]), 1)
    return float(outcome.prices.co2e_g[i, c])


def _route_price(outcome: Outcome, i: int, currency: str) -> pb.Price:
    """One ROUTE line: what the stop adds to its van's route (so it sums to the price)."""
    plan = outcome.fleet
    assert plan is not None
    cents = int(plan.marginal_cents[i])
    k, j = plan.stop_of[i]
    route = plan.routes[k]
    van = outcome.snapshot.fleet.ids[plan.vehicle_of(route)]
    description = (
        f"marginal cost of stop {j + 1} of {len(route.stops)} on {van}'s route "
        f"(route {route.cost / 100:.2f} {currency}, {route.distance_m / 1000:.1f} km, "
        f"{route.duration_s / 3600:.1f} h)"
    )
    line = pb.PriceLine(code="ROUTE", description=description, amount=_money(cents, currency))
    return pb.Price(total=_money(cents, currency), lines=[line])


def _price(snapshot: Snapshot, outcome: Outcome, i: int, c: int, currency: str) -> pb.Price:
    if _routed(outcome, i, c):
        return _route_price(outcome, i, currency)
    lines = pricing.breakdown(snapshot, outcome.prices, i, c)
    return pb.Price(
        total=_money(int(outcome.prices.price_cents[i, c]), currency),
        lines=[
            pb.PriceLine(
                code=line.code, description=line.description, amount=_money(line.cents, currency)
            )
            for line in lines
        ],
    )


def _versus(outcome: Outcome, i: int, c: int, chosen: int, currency: str) -> str:
    if c == chosen:
        return ""
    cents = _pair_price(outcome, i, c) - _pair_price(outcome, i, chosen)
    hours = (_pair_eta(outcome, i, c) - _pair_eta(outcome, i, chosen)) / 3600.0
    return f"{cents / 100:+.2f} {currency}, {hours:+.1f} h"


def _exclusions(outcome: Outcome, i: int) -> list[pb.Exclusion]:
    eligibility, prices, carriers = outcome.eligibility, outcome.prices, outcome.snapshot.carriers
    hours = _hours(outcome, i)
    out = []
    for c in range(carriers.count):
        rule_reason = int(eligibility.reason[i, c])
        if rule_reason:
            k = int(eligibility.source[i, c])
            out.append(
                pb.Exclusion(
                    carrier_id=carriers.ids[c],
                    reason=_reason(rule_reason),
                    message=f"{carriers.names[c]}: {eligibility.messages[k]}",
                    source=eligibility.sources[k],
                )
            )
        elif prices.reason[i, c]:
            reason = Reason(int(prices.reason[i, c]))
            why = _PRICING_MESSAGES.get(reason, reason.name)
            if hours is not None and reason in _HOURS_REASONS:
                why += f" inside the allowed delivery hours {hours[0]} ({hours[1]})"
            out.append(
                pb.Exclusion(
                    carrier_id=carriers.ids[c],
                    reason=_reason(reason),
                    message=f"{carriers.names[c]}: {why}",
                    source=f"pricing:{reason.name.lower()}",
                )
            )
    return out


def _decision(outcome: Outcome, i: int, currency: str) -> pb.Decision:
    snapshot, prices, assignment = outcome.snapshot, outcome.prices, outcome.assignment
    explain = snapshot.options.explain
    c = int(assignment.carrier_idx[i])
    carriers = snapshot.carriers
    decision = pb.Decision(
        order_id=snapshot.orders.ids[i],
        service_level=_level(outcome.eligibility.service_level[i]),
        requirements=_requirements(int(outcome.eligibility.requirement_bits[i])),
        carrier_id=carriers.ids[c],
        price=_price(snapshot, outcome, i, c, currency),
        promise=_pair_promise(outcome, i, c),
        co2e_g=_pair_co2e(outcome, i, c),
    )
    decision.eta.seconds = _pair_eta(outcome, i, c)
    v = int(assignment.vehicle_idx[i])
    if v >= 0:
        decision.vehicle_id = snapshot.fleet.ids[v]
    s = int(assignment.slot_idx[i])
    if s >= 0:
        decision.slot_id = snapshot.slots.ids[s]

    scores = outcome.scores[i]
    possible = np.flatnonzero(np.isfinite(scores))
    ranked = possible[np.lexsort((possible, scores[possible]))]
    if not explain:
        ranked = ranked[:TOP_CANDIDATES]
        if c not in ranked:
            ranked = np.append(ranked, c)
    for rank, j in enumerate(ranked, start=1):
        j = int(j)
        candidate = pb.Candidate(
            carrier_id=carriers.ids[j],
            rank=rank,
            score=float(scores[j]),
            price=_price(snapshot, outcome, i, j, currency),
            promise=_pair_promise(outcome, i, j),
            co2e_g=_pair_co2e(outcome, i, j),
            chosen=j == c,
            versus_chosen=_versus(outcome, i, j, c, currency),
        )
        candidate.eta.seconds = _pair_eta(outcome, i, j)
        if prices.slot_idx[i, j] >= 0:
            candidate.slot_id = snapshot.slots.ids[int(prices.slot_idx[i, j])]
        decision.candidates.append(candidate)
    if explain:
        decision.exclusions.extend(_exclusions(outcome, i))
        decision.explanations.extend(
            pb.Explanation(stage=note.stage, source=note.source, message=note.message)
            for note in outcome.eligibility.notes[i]
        )
        hours_note = _hours_note(outcome, i, c)
        if hours_note is not None:
            decision.explanations.append(hours_note)
        decision.explanations.append(_assignment_note(outcome, i, c, ranked))
    return decision


def _assignment_note(outcome: Outcome, i: int, c: int, ranked: np.ndarray) -> pb.Explanation:
    snapshot, assignment = outcome.snapshot, outcome.assignment
    name = snapshot.carriers.names[c]
    best = int(ranked[0]) if ranked.size else c
    policy = assignment.policy.name.lower()
    if best == c:
        message = f"{name} is the best-scoring candidate"
    else:
        message = (
            f"{name} chosen over {snapshot.carriers.names[best]} "
            f"({_versus(outcome, i, best, c, snapshot.options.currency)}): capacity or total cost"
        )
    return pb.Explanation(stage="assignment", source=f"assign:{policy}", message=message)


def _unassigned(outcome: Outcome, i: int) -> pb.Unassigned:
    snapshot, eligibility = outcome.snapshot, outcome.eligibility
    reasons = assign.unassigned_reasons(eligibility, outcome.prices, outcome.assignment, i)
    main = reasons[0]
    out = pb.Unassigned(
        order_id=snapshot.orders.ids[i],
        reasons=[_reason(r) for r in reasons],
        service_level=_level(eligibility.service_level[i]),
        requirements=_requirements(int(eligibility.requirement_bits[i])),
        exclusions=_exclusions(outcome, i),
    )
    if main == Reason.CAPACITY_EXHAUSTED:
        possible = np.isfinite(outcome.scores)
        slots = assign.full_slots(outcome.prices, possible, i)
        out.full_slot_ids.extend(snapshot.slots.ids[s] for s in slots)
        out.message = f"every eligible carrier was full ({len(slots)} slots)"
    elif main == Reason.NO_ELIGIBLE_CARRIER:
        out.message = "no carrier may take this order"
    else:
        out.message = _PRICING_MESSAGES.get(main, main.name.lower().replace("_", " "))
        hours = _hours(outcome, i)
        if hours is not None and main in _HOURS_REASONS:
            out.message += f" inside the allowed delivery hours {hours[0]} ({hours[1]})"
    return out


def _summary(outcome: Outcome, summary: pb.Summary, currency: str) -> None:
    snapshot, prices = outcome.snapshot, outcome.prices
    chosen, baseline = outcome.assignment, outcome.baseline
    total, co2e, per_carrier = _totals(prices, chosen.carrier_idx, outcome.fleet, snapshot)
    base_total, _, _ = _totals(prices, baseline.carrier_idx, outcome.baseline_fleet, snapshot)
    summary.total_cost.CopyFrom(_money(total, currency))
    summary.assigned = int(chosen.assigned.sum())
    summary.unassigned = snapshot.orders.count - summary.assigned
    for c, (count, cents, grams) in sorted(per_carrier.items()):
        summary.carriers.append(
            pb.CarrierTotal(
                carrier_id=snapshot.carriers.ids[c],
                orders=count,
                cost=_money(cents, currency),
                co2e_g=grams,
            )
        )
    summary.baseline = cast("pb.Baseline", snapshot.options.baseline)
    summary.baseline_cost.CopyFrom(_money(base_total, currency))
    summary.baseline_assigned = int(baseline.assigned.sum())
    summary.savings.CopyFrom(_money(base_total - total, currency))
    summary.savings_pct = round(100.0 * (base_total - total) / base_total, 3) if base_total else 0.0
    summary.co2e_g = co2e
    summary.rules_version = outcome.eligibility.version
    summary.solver_status = cast("pb.SolverStatus", int(chosen.status))
    summary.policy = cast("pb.AssignmentPolicy", int(chosen.policy))
    summary.objective = float(chosen.objective)
    for stage, ms in outcome.stage_ms:
        summary.stage_ms[stage] = ms


def _totals(
    prices: pricing.PriceTable,
    carrier_idx: np.ndarray,
    plan: FleetPlan | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[int, float, dict[int, tuple[int, int, float]]]:
    """Total cents and CO2e, and per carrier (orders, cents, grams).

    Partners count their prices; routed orders count their routes' costs (a route costs what
    it costs, not the sum of its stops' marginal costs) and CO2e, per own-fleet carrier.
    """
    rows = np.flatnonzero(carrier_idx >= 0)
    routed = np.zeros(carrier_idx.shape[0], dtype=bool)
    if plan is not None:
        routed = plan.kept & (carrier_idx == plan.carrier_idx)
    priced = rows[~routed[rows]]
    cols = carrier_idx[priced]
    cents = prices.price_cents[priced, cols]
    grams = prices.co2e_g[priced, cols]
    per_carrier: dict[int, list[float]] = {}
    for c in np.unique(cols).tolist():
        mask = cols == c
        per_carrier[int(c)] = [int(mask.sum()), int(cents[mask].sum()), float(grams[mask].sum())]
    total_cents, total_g = int(cents.sum()), float(grams.sum())
    if plan is not None and snapshot is not None:
        for route in plan.routes:
            van = plan.vehicle_of(route)
            c = int(snapshot.fleet.carrier_idx[van])
            g = route.distance_m / 1000.0 * float(snapshot.carriers.emissions_g_per_km[c])
            entry = per_carrier.setdefault(c, [0, 0, 0.0])
            entry[0] += len(route.stops)
            entry[1] += route.cost
            entry[2] += g
            total_cents += route.cost
            total_g += g
    out = {c: (int(v[0]), int(v[1]), round(float(v[2]), 1)) for c, v in per_carrier.items()}
    return total_cents, round(total_g, 1), out


def _routes(outcome: Outcome, response: pb.DecideResponse, currency: str) -> None:
    """The chosen plan's routes: stops in order, arrival (= service start = the ETA),
    departure, load on board after each stop, distance, duration and cost."""
    plan = outcome.fleet
    if plan is None:
        return
    snapshot = outcome.snapshot
    for route in plan.routes:
        out = pb.Route(
            vehicle_id=snapshot.fleet.ids[plan.vehicle_of(route)],
            distance_km=route.distance_m / 1000.0,
            cost=_money(route.cost, currency),
        )
        out.start.seconds = plan.ts(route.start_s)
        out.end.seconds = plan.ts(route.end_s)
        out.duration.seconds = int(route.duration_s)
        for seq, stop in enumerate(route.stops, start=1):
            rs = pb.RouteStop(
                order_id=snapshot.orders.ids[plan.order_of(stop.order_idx)],
                load_kg=stop.load[0] / 1000.0 if stop.load else 0.0,
                sequence=seq,
            )
            rs.arrival.seconds = plan.ts(stop.start_s)
            rs.departure.seconds = plan.ts(stop.departure_s)
            out.stops.append(rs)
        response.routes.append(out)
