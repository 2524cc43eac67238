"""Outcome in, DecideResponse out: the only place that turns solver arrays into protos."""

from __future__ import annotations

import contextlib
import gc
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import numpy as np

from lastmile.v1 import orchestrator_pb2 as pb
from lastmile.v1 import types_pb2
from solver import assign, pricing
from solver.domain import Baseline, CarrierKind, Reason, Requirement, bit
from solver.eligibility import DAY_S

if TYPE_CHECKING:
    from collections.abc import Iterator

    from solver.decide import Comparison, Outcome
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


def build(outcome: Outcome, sample: np.ndarray | None = None) -> pb.DecideResponse:
    """The answer for one outcome: decisions, unassigned, routes and summary.

    Columnar first, protos last: candidates are ranked for all orders at once, every price
    breakdown comes from one batched call, and decisions go to the protobuf constructor as
    dicts (converted in C) instead of message by message. With `sample` (sorted order rows)
    only those orders are answered, routes and summary whole: to size an answer by.
    """
    with _gc_paused():
        snapshot = outcome.snapshot
        chosen = outcome.assignment.carrier_idx
        currency = snapshot.options.currency
        every = np.arange(chosen.shape[0]) if sample is None else sample
        assigned = every[chosen[every] >= 0]
        ranked = _ranked(outcome, assigned)
        rows = assigned.tolist()
        wanted = [
            (i, r if chosen[i] in r else [*r, int(chosen[i])])
            for i, r in zip(rows, ranked, strict=True)
        ]
        pairs = _Pairs(outcome, wanted, currency)
        why = _WhyNot(outcome)
        response = pb.DecideResponse(
            request_id=snapshot.request_id,
            decisions=[
                _decision(outcome, pairs, why, i, r) for i, r in zip(rows, ranked, strict=True)
            ],
            unassigned=[_unassigned(outcome, i, why) for i in every[chosen[every] < 0].tolist()],
        )
        _routes(outcome, response, currency)
        _summary(outcome, response.summary, currency)
    return response


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a response allocates hundreds of thousands of
    short-lived dicts and messages and no cycles, and the collector's repeated scans of them
    cost about a quarter of the build at 10,000 orders. Reference counting still frees
    everything; the collector resumes (if it ran before) on the way out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    """A timestamp as local "Fri 19:30" (the snapshot's clock, daylight saving included)."""
    snapshot = outcome.snapshot
    return f"{datetime.fromtimestamp(int(snapshot.clock.wall(ts)), tz=UTC):%a %H:%M}"


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


def _quote_price(outcome: Outcome, i: int, currency: str) -> pb.Price:
    """One ROUTE line: what a van's route would cost more with the order (`fleet.Quotes`)."""
    plan = outcome.fleet
    assert plan is not None and plan.quotes is not None
    q = plan.quotes
    cents = int(q.cents[i])
    van = outcome.snapshot.fleet.ids[int(q.vehicle_idx[i])]
    description = (
        f"cheapest place on the vans' routes: stop {int(q.stop[i])} of {int(q.stops[i])} on "
        f"{van}'s route (+{int(q.extra_m[i]) / 1000:.1f} km)"
    )
    line = pb.PriceLine(code="ROUTE", description=description, amount=_money(cents, currency))
    return pb.Price(total=_money(cents, currency), lines=[line])


class _Pairs:
    """What decisions say about order x carrier pairs, read once from the outcome as lists:
    prices (every breakdown of the response from one batched `pricing.breakdowns` call, as
    protobuf-ready dicts), ETAs, promises, CO2e and slots; routed own-fleet pairs answer from
    the fleet plan."""

    def __init__(self, outcome: Outcome, wanted: list[tuple[int, list[int]]], currency: str):
        snapshot, prices, plan = outcome.snapshot, outcome.prices, outcome.fleet
        self.outcome = outcome
        self.currency = currency
        n = snapshot.orders.count
        routed = np.full(n, -1, dtype=np.int64)
        if plan is not None:
            routed = np.where(plan.kept, plan.carrier_idx, -1)
            self.marginal = plan.marginal_cents.tolist()
            self.r_eta = plan.eta_ts.tolist()
            self.r_start = plan.promise_start_ts.tolist()
            self.r_end = plan.promise_end_ts.tolist()
            self.r_co2e = [round(float(g), 1) for g in plan.co2e_g.tolist()]
        self.routed: list[int] = routed.tolist()
        quoted = np.full(n, -1, dtype=np.int64)  # the own carrier of a van quote, per order
        if plan is not None and plan.quotes is not None:
            q = plan.quotes
            quoted = np.where(q.quoted & (q.cents >= 0), q.carrier_idx, -1)
            self.q_cents = q.cents.tolist()
            self.q_eta = q.eta_ts.tolist()
            self.q_start = q.promise_start_ts.tolist()
            self.q_end = q.promise_end_ts.tolist()
            self.q_co2e = [round(float(g), 1) for g in q.co2e_g.tolist()]
        self.quoted: list[int] = quoted.tolist()
        self.price_cents: list[list[int]] = prices.price_cents.tolist()
        self.eta: list[list[int]] = prices.eta_ts.tolist()
        self.start: list[list[int]] = prices.promise_start_ts.tolist()
        self.end: list[list[int]] = prices.promise_end_ts.tolist()
        self.co2e: list[list[float]] = prices.co2e_g.tolist()
        self.slot: list[list[int]] = prices.slot_idx.tolist()
        self.scores: list[list[float]] = outcome.scores.tolist()
        el = outcome.eligibility
        self.level: list[int] = el.service_level.tolist()
        bits = el.requirement_bits.tolist()
        by_bits = {b: _requirements(b) for b in set(bits)}
        self.requirements: list[list[pb.Requirement]] = [by_bits[b] for b in bits]
        self._money_text: dict[int, str] = {}
        self._hours_text: dict[int, str] = {}
        rows: list[int] = []
        cols: list[int] = []
        for i, carriers in wanted:
            r = self.routed[i]
            for j in carriers:
                if j != r and j != self.quoted[i]:
                    rows.append(i)
                    cols.append(j)
        self._prices: dict[tuple[int, int], object] = {}
        lines = pricing.breakdowns(
            snapshot, prices, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
        )
        codes, descriptions = lines.codes, lines.descriptions
        cents, offsets = lines.cents.tolist(), lines.line_offsets.tolist()
        totals = lines.price_cents.tolist()
        for p, key in enumerate(zip(rows, cols, strict=True)):
            self._prices[key] = {
                "total": {"cents": totals[p], "currency": currency},
                "lines": [
                    {
                        "code": codes[k],
                        "description": descriptions[k],
                        "amount": {"cents": cents[k], "currency": currency},
                    }
                    for k in range(offsets[p], offsets[p + 1])
                ],
            }

    def price(self, i: int, c: int) -> object:
        """The price of a pair as a `pb.Price` or its dict (both fit a constructor)."""
        if self.routed[i] == c:
            return _route_price(self.outcome, i, self.currency)
        if self.quoted[i] == c:
            return _quote_price(self.outcome, i, self.currency)
        return self._prices[i, c]

    def cents(self, i: int, c: int) -> int:
        if self.routed[i] == c:
            return int(self.marginal[i])
        return int(self.q_cents[i]) if self.quoted[i] == c else self.price_cents[i][c]

    def eta_ts(self, i: int, c: int) -> int:
        if self.routed[i] == c:
            return int(self.r_eta[i])
        return int(self.q_eta[i]) if self.quoted[i] == c else self.eta[i][c]

    def promise(self, i: int, c: int) -> dict[str, dict[str, int]]:
        if self.routed[i] == c:
            start, end = int(self.r_start[i]), int(self.r_end[i])
        elif self.quoted[i] == c:
            start, end = int(self.q_start[i]), int(self.q_end[i])
        else:
            start, end = self.start[i][c], self.end[i][c]
        return {"start": {"seconds": start}, "end": {"seconds": end}}

    def co2e_g(self, i: int, c: int) -> float:
        if self.routed[i] == c:
            return self.r_co2e[i]
        return self.q_co2e[i] if self.quoted[i] == c else self.co2e[i][c]

    def versus(self, i: int, c: int, chosen: int) -> str:
        if c == chosen:
            return ""
        cents = self.cents(i, c) - self.cents(i, chosen)
        seconds = self.eta_ts(i, c) - self.eta_ts(i, chosen)
        money = self._money_text.get(cents)
        if money is None:
            money = self._money_text[cents] = f"{cents / 100:+.2f} {self.currency}"
        hours = self._hours_text.get(seconds)
        if hours is None:
            hours = self._hours_text[seconds] = f"{seconds / 3600.0:+.1f} h"
        return f"{money}, {hours}"


def _ranked(outcome: Outcome, orders: np.ndarray) -> list[list[int]]:
    """Per order: its possible carriers by score, ties by carrier index; without explain the
    best `TOP_CANDIDATES` plus the chosen one."""
    scores = outcome.scores[orders]
    finite = np.isfinite(scores)
    by_score = np.argsort(np.where(finite, scores, np.inf), axis=1, kind="stable").tolist()
    counts = finite.sum(axis=1).tolist()
    chosen = outcome.assignment.carrier_idx[orders].tolist()
    explain = outcome.snapshot.options.explain
    out = []
    for row, count, c in zip(by_score, counts, chosen, strict=True):
        ranked = row[: count if explain else min(count, TOP_CANDIDATES)]
        if not explain and c not in ranked:
            ranked.append(c)
        out.append(ranked)
    return out


class _WhyNot:
    """Exclusions (per order, every carrier that may not or cannot take it) as dicts; equal
    entries are built once."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.rule_reason: list[list[int]] = outcome.eligibility.reason.tolist()
        self.rule_source: list[list[int]] = outcome.eligibility.source.tolist()
        self.price_reason: list[list[int]] = outcome.prices.reason.tolist()
        self.possible = np.isfinite(outcome.scores)  # [N, C]: the pairs the assignment had
        self._cache: dict[tuple[int, int, int, str], dict[str, object]] = {}
        # Own-fleet pairs the final routes cannot take (-1) or did not quote (-2): order -> why.
        self.no_van: dict[int, tuple[int, int]] = {}
        plan = outcome.fleet
        if plan is not None and plan.quotes is not None:
            q = plan.quotes
            for i in np.flatnonzero(q.quoted & (q.cents < 0)).tolist():
                self.no_van[i] = (int(q.carrier_idx[i]), int(q.cents[i]))

    def exclusions(self, i: int) -> list[dict[str, object]]:
        hours: tuple[str, str] | None = None
        out = []
        rows = zip(self.rule_reason[i], self.rule_source[i], self.price_reason[i], strict=True)
        for c, (rule_reason, k, price_reason) in enumerate(rows):
            if rule_reason:
                key = (c, rule_reason, k, "")
            elif price_reason:
                if hours is None:
                    hours = _hours(self.outcome, i) or ("", "")
                key = (c, 0, price_reason, hours[0] and f"{hours[0]} ({hours[1]})")
            else:
                continue
            entry = self._cache.get(key)
            if entry is None:
                entry = self._cache[key] = self._entry(*key)
            out.append(entry)
        if i in self.no_van:
            c, code = self.no_van[i]
            out.append(self._no_van(c, code))
        if self.outcome.assignment.carrier_idx[i] < 0:
            # Carriers that could have taken the order but whose room went to other orders.
            named = {entry["carrier_id"] for entry in out}
            ids = self.outcome.snapshot.carriers.ids
            for c in np.flatnonzero(self.possible[i]).tolist():
                if ids[c] not in named:
                    out.append(self._lost(c, int(self.outcome.prices.slot_idx[i, c])))
        return out

    def _lost(self, c: int, slot: int) -> dict[str, object]:
        key = (c, -2, slot, "capacity")
        entry = self._cache.get(key)
        if entry is None:
            snapshot = self.outcome.snapshot
            room = f"slot {snapshot.slots.ids[slot]}" if slot >= 0 else "room"
            entry = self._cache[key] = {
                "carrier_id": snapshot.carriers.ids[c],
                "reason": int(Reason.CAPACITY_EXHAUSTED),
                "message": f"{snapshot.carriers.names[c]}: its {room} went to other orders",
                "source": "assignment:capacity",
            }
        return entry

    def _no_van(self, c: int, code: int) -> dict[str, object]:
        key = (c, -1, code, "routing")
        entry = self._cache.get(key)
        if entry is None:
            name = self.outcome.snapshot.carriers.names[c]
            why = (
                "no van route has the skills, room and time for it"
                if code == -1
                else "not routed (no van loaded at its site or working in its windows, or "
                "beyond what one routing run takes)"
            )
            entry = self._cache[key] = {
                "carrier_id": self.outcome.snapshot.carriers.ids[c],
                "reason": int(Reason.NO_VEHICLE_FITS),
                "message": f"{name}: {why}",
                "source": "routing:no_place" if code == -1 else "routing:not_quoted",
            }
        return entry

    def _entry(self, c: int, rule_reason: int, k: int, hours: str) -> dict[str, object]:
        el, carriers = self.outcome.eligibility, self.outcome.snapshot.carriers
        if rule_reason:
            return {
                "carrier_id": carriers.ids[c],
                "reason": rule_reason,
                "message": f"{carriers.names[c]}: {el.messages[k]}",
                "source": el.sources[k],
            }
        reason = Reason(k)
        why = _PRICING_MESSAGES.get(reason, reason.name)
        if hours and reason in _HOURS_REASONS:
            why += f" inside the allowed delivery hours {hours}"
        return {
            "carrier_id": carriers.ids[c],
            "reason": int(reason),
            "message": f"{carriers.names[c]}: {why}",
            "source": f"pricing:{reason.name.lower()}",
        }


def _decision(
    outcome: Outcome, pairs: _Pairs, why: _WhyNot, i: int, ranked: list[int]
) -> dict[str, object]:
    """One Decision as a dict for the protobuf constructor (converted in C, no copies)."""
    snapshot, assignment, el = outcome.snapshot, outcome.assignment, outcome.eligibility
    carriers = snapshot.carriers
    c = int(assignment.carrier_idx[i])
    scores = pairs.scores[i]
    slots = pairs.slot[i]
    price = pairs.price(i, c)
    candidates = []
    for rank, j in enumerate(ranked, start=1):
        candidate = {
            "carrier_id": carriers.ids[j],
            "rank": rank,
            "score": scores[j],
            "price": price if j == c else pairs.price(i, j),
            "promise": pairs.promise(i, j),
            "co2e_g": pairs.co2e_g(i, j),
            "chosen": j == c,
            "versus_chosen": pairs.versus(i, j, c),
            "eta": {"seconds": pairs.eta_ts(i, j)},
        }
        if slots[j] >= 0:
            candidate["slot_id"] = snapshot.slots.ids[slots[j]]
        candidates.append(candidate)
    decision: dict[str, object] = {
        "order_id": snapshot.orders.ids[i],
        "service_level": pairs.level[i],
        "requirements": pairs.requirements[i],
        "carrier_id": carriers.ids[c],
        "price": price,
        "promise": pairs.promise(i, c),
        "co2e_g": pairs.co2e_g(i, c),
        "eta": {"seconds": pairs.eta_ts(i, c)},
        "candidates": candidates,
    }
    v = int(assignment.vehicle_idx[i])
    if v >= 0:
        decision["vehicle_id"] = snapshot.fleet.ids[v]
    s = int(assignment.slot_idx[i])
    if s >= 0:
        decision["slot_id"] = snapshot.slots.ids[s]
    if snapshot.options.explain:
        decision["exclusions"] = why.exclusions(i)
        explanations: list[object] = [
            {"stage": note.stage, "source": note.source, "message": note.message}
            for note in el.notes[i]
        ]
        hours_note = _hours_note(outcome, i, c)
        if hours_note is not None:
            explanations.append(hours_note)
        explanations.append(_assignment_note(outcome, pairs, i, c, ranked))
        decision["explanations"] = explanations
    return decision


def _assignment_note(
    outcome: Outcome, pairs: _Pairs, i: int, c: int, ranked: list[int]
) -> dict[str, str]:
    snapshot, assignment = outcome.snapshot, outcome.assignment
    name = snapshot.carriers.names[c]
    best = ranked[0] if ranked else c
    policy = assignment.policy.name.lower()
    if best == c:
        message = f"{name} is the best-scoring candidate"
    else:
        message = (
            f"{name} chosen over {snapshot.carriers.names[best]} "
            f"({pairs.versus(i, best, c)}): capacity or total cost"
        )
    return {"stage": "assignment", "source": f"assign:{policy}", "message": message}


def _full_slots(outcome: Outcome, possible: np.ndarray, i: int) -> tuple[int, ...]:
    """Slots order i could have used: those lost to other orders, and those of eligible carriers
    in its zone that had no room for it already in the request (pricing's CAPACITY_EXHAUSTED)."""
    snapshot, prices = outcome.snapshot, outcome.prices
    lost = assign.full_slots(prices, possible, i)
    ok = (outcome.eligibility.reason[i] == 0) & (prices.reason[i] == Reason.CAPACITY_EXHAUSTED)
    slots = snapshot.slots
    full_before = (
        np.isin(slots.carrier_idx, np.flatnonzero(ok))
        & (slots.zone_idx == snapshot.orders.zone_idx[i])
        & (slots.start_ts < snapshot.orders.promise_end_ts[i])
        & (slots.end_ts > snapshot.orders.promise_start_ts[i])
        & (
            (slots.remaining_orders < 1)
            | (slots.remaining_weight_kg < snapshot.orders.weight_kg[i])
        )
    )
    return tuple(sorted({*lost, *np.flatnonzero(full_before).tolist()}))


def _unassigned(outcome: Outcome, i: int, why: _WhyNot) -> pb.Unassigned:
    snapshot, eligibility = outcome.snapshot, outcome.eligibility
    reasons = assign.unassigned_reasons(eligibility, outcome.prices, outcome.assignment, i)
    main = reasons[0]
    out = pb.Unassigned(
        order_id=snapshot.orders.ids[i],
        reasons=[_reason(r) for r in reasons],
        service_level=_level(eligibility.service_level[i]),
        requirements=_requirements(int(eligibility.requirement_bits[i])),
        exclusions=why.exclusions(i),
    )
    if main == Reason.CAPACITY_EXHAUSTED:
        slots = _full_slots(outcome, why.possible, i)
        out.full_slot_ids.extend(snapshot.slots.ids[s] for s in slots)
        full = [f"{len(slots)} slot{'s' if len(slots) != 1 else ''}"] if slots else []
        own = snapshot.carriers.kind[np.flatnonzero(why.possible[i])] == CarrierKind.OWN_FLEET
        if own.any():
            full.append("the own vans")
        out.message = f"every eligible carrier was full ({' and '.join(full) or 'no room'})"
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
    chosen = outcome.assignment
    total, co2e, per_carrier = _totals(prices, chosen.carrier_idx, outcome.fleet, snapshot)
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
    mine = order_costs(prices, chosen.carrier_idx, outcome.fleet)
    for comparison in outcome.baselines:
        theirs_idx = comparison.assignment.carrier_idx
        cost, grams, _ = _totals(prices, theirs_idx, comparison.fleet, snapshot)
        theirs = order_costs(prices, theirs_idx, comparison.fleet)
        common = (chosen.carrier_idx >= 0) & (theirs_idx >= 0)
        ours_common, theirs_common = int(mine[common].sum()), int(theirs[common].sum())
        summary.baselines.append(
            pb.BaselineComparison(
                baseline=cast("pb.Baseline", int(comparison.baseline)),
                cost=_money(cost, currency),
                assigned=int(comparison.assignment.assigned.sum()),
                savings=_money(cost - total, currency),
                savings_pct=_pct(cost - total, cost),
                co2e_g=grams,
                carrier_id=_national_id(comparison, snapshot),
                common_orders=int(common.sum()),
                common_cost=_money(ours_common, currency),
                baseline_common_cost=_money(theirs_common, currency),
                common_savings=_money(theirs_common - ours_common, currency),
                common_savings_pct=_pct(theirs_common - ours_common, theirs_common),
            )
        )
    requested = summary.baselines[0]
    summary.baseline = requested.baseline
    summary.baseline_cost.CopyFrom(requested.cost)
    summary.baseline_assigned = requested.assigned
    summary.savings.CopyFrom(requested.savings)
    summary.savings_pct = requested.savings_pct
    summary.co2e_g = co2e
    summary.rules_version = outcome.eligibility.version
    summary.solver_status = cast("pb.SolverStatus", int(chosen.status))
    summary.policy = cast("pb.AssignmentPolicy", int(chosen.policy))
    summary.objective = float(chosen.objective)
    if chosen.bound is not None:
        summary.objective_bound = float(chosen.bound)
    for stage, ms in outcome.stage_ms:
        summary.stage_ms[stage] = ms


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 3) if whole else 0.0


def order_costs(
    prices: pricing.PriceTable, carrier_idx: np.ndarray, plan: FleetPlan | None
) -> np.ndarray:
    """What each order costs in an assignment (int64[N] cents, 0 when unassigned): partners
    their price; a route's cost shared out over its stops in proportion to their marginal
    costs (equally when none is positive), to the cent by largest remainder, so the orders of
    a route add up to its cost and all orders to the assignment's total cost."""
    n = carrier_idx.shape[0]
    out = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(carrier_idx >= 0)
    out[rows] = prices.price_cents[rows, carrier_idx[rows]]
    if plan is None:
        return out
    for route in plan.routes:
        orders = np.array([plan.order_of(stop.order_idx) for stop in route.stops], dtype=np.int64)
        if orders.size == 0:
            continue
        weight = np.maximum(plan.marginal_cents[orders], 0).astype(np.float64)
        if weight.sum() <= 0:
            weight = np.ones(orders.size)
        exact = route.cost * weight / weight.sum()
        share = np.floor(exact).astype(np.int64)
        short = int(route.cost - share.sum())
        # The cents floor() left over go to the largest remainders, ties to the earlier stop.
        share[np.argsort(-(exact - share), kind="stable")[:short]] += 1
        out[orders] = share
    return out


def _national_id(comparison: Comparison, snapshot: Snapshot) -> str:
    """The one carrier the single-national baseline ships with; "" for other baselines or
    when it ships nothing."""
    carrier = comparison.assignment.carrier_idx
    if comparison.baseline != Baseline.SINGLE_NATIONAL or not (carrier >= 0).any():
        return ""
    return snapshot.carriers.ids[int(carrier[carrier >= 0][0])]


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
