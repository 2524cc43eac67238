"""A small pure-Python interpreter of the same rule files: the test oracle for the engine path.

It shares nothing with the compiled path but the validated RuleSet: fields are derived per order
from the Snapshot with scalar Python (no snapping, no deduplication, no numpy broadcasting),
conditions are interpreted with the documented semantics (a comparison on a missing field is
false; `none` is true when no item holds) and hit policies are applied row by row. Hypothesis
tests require identical outcomes from both. Slow by design; never used to serve requests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rules.features import parse_attribute
from rules.vocabulary import ATTRIBUTE_PREFIX, ELIGIBILITY, REQUIREMENTS, SERVICE_LEVEL
from solver.domain import CAPABILITY_FOR_REQUIREMENT, Capability, Requirement, bit

if TYPE_CHECKING:
    from rules.engine import RuleOutcome
    from rules.model import Condition, RuleSet, Table
    from solver.snapshot import Snapshot

MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class OracleOrder:
    """What the oracle decided for one order."""

    service_level: int
    service_level_rule: str | None
    requirement_bits: int
    max_ride_minutes: int  # -1 = none
    delivery_hours: tuple[int, int] | None
    requirement_rules: tuple[str, ...]
    reasons: tuple[int, ...]  # per carrier, 0 = eligible
    excluded_by: tuple[str | None, ...]  # per carrier: rule id


def holds(cond: Condition | None, values: dict[str, Any]) -> bool:
    """Interpret a condition over one fact's values (documented semantics)."""
    if cond is None:
        return True
    from rules.model import Cmp

    if not isinstance(cond, Cmp):
        results = (holds(c, values) for c in cond.items)
        if cond.kind == "all":
            return all(results)
        if cond.kind == "any":
            return any(results)
        return not any(results)
    v = values.get(cond.field, MISSING)
    if cond.op == "exists":
        return (v is not MISSING) == bool(cond.value)
    if v is MISSING:
        return False
    x = cond.value
    op = cond.op
    if op == "eq":
        return bool(v == x)
    if op == "ne":
        return bool(v != x)
    if op == "lt":
        return bool(v < x)
    if op == "lte":
        return bool(v <= x)
    if op == "gt":
        return bool(v > x)
    if op == "gte":
        return bool(v >= x)
    if op == "in":
        return v in x
    if op == "not_in":
        return v not in x
    if op == "contains":
        return x in v
    raise ValueError(op)


def order_values(snapshot: Snapshot, i: int, ruleset: RuleSet) -> dict[str, Any]:
    """Every order-level field of order i, from the snapshot, as plain Python values."""
    s = snapshot
    o = s.orders
    tag_bits = int(o.tag_bits[i])
    end = int(o.promise_end_ts[i])
    start = int(o.promise_start_ts[i])
    zone_info = ZoneInfo(s.timezone)
    now = datetime.fromtimestamp(s.now_ts, zone_info)
    local_s = now.hour * 3600 + now.minute * 60 + now.second
    last_day = datetime.fromtimestamp(end - 1, zone_info).date()
    site = int(o.origin_site_idx[i])
    zone = int(o.zone_idx[i])
    values: dict[str, Any] = {
        "order.tags": frozenset(t for b, t in enumerate(s.tag_names) if tag_bits >> b & 1),
        "order.green": bool(o.green[i]),
        "order.contactless": bool(o.contactless[i]),
        "order.signature_wanted": bool(o.signature_wanted[i]),
        "order.declared_value_cents": int(o.declared_value_cents[i]),
        "order.origin_site": s.sites.ids[site] if site >= 0 else MISSING,
        "order.promise_kind": "deadline" if int(o.deadline_ts[i]) >= 0 else "windows",
        "order.promise_days_ahead": (last_day - now.date()).days,
        "order.promise_window_minutes": (end - start) / 60,
        "order.minutes_to_promise_end": (end - s.now_ts) / 60,
        "order.window_count": int(o.window_offsets[i + 1] - o.window_offsets[i]),
        "parcels.weight_kg": float(o.weight_kg[i]),
        "parcels.volume_l": float(o.volume_l[i]),
        "parcels.max_length_cm": float(o.max_length_cm[i]),
        "parcels.count": int(o.parcel_count[i]),
        "destination.zone": s.zone_ids[zone] if zone >= 0 else MISSING,
        "destination.postal_code": o.postal_codes[i] or MISSING,
        "now.local_minutes": local_s // 60,
        "now.local_hour": local_s // 3600,
        "now.weekday": now.isoweekday(),
    }
    attrs = o.attributes[i]
    for key, spec in ruleset.schema.attributes.items():
        text = attrs.get(key)
        value: Any = MISSING
        if text is not None:
            try:
                value = parse_attribute(text, spec.type)
            except ValueError:
                value = MISSING
        values[ATTRIBUTE_PREFIX + key] = value
    return values


def carrier_values(snapshot: Snapshot, c: int) -> dict[str, Any]:
    """The carrier.* fields of carrier c."""
    k = snapshot.carriers
    cutoff = int(k.same_day_cutoff_s[c])
    now = datetime.fromtimestamp(snapshot.now_ts, ZoneInfo(snapshot.timezone))
    local_s = now.hour * 3600 + now.minute * 60 + now.second
    max_w = float(k.max_weight_kg[c])
    caps = int(k.capability_bits[c])
    return {
        "carrier.id": k.ids[c],
        "carrier.kind": int(k.kind[c]),
        "carrier.capabilities": frozenset(int(m) for m in Capability if caps & bit(m)),
        "carrier.emissions_g_per_km": float(k.emissions_g_per_km[c]),
        "carrier.reliability": float(k.reliability[c]),
        "carrier.max_weight_kg": max_w if math.isfinite(max_w) else MISSING,
        "carrier.has_same_day": cutoff >= 0,
        "carrier.same_day_cutoff_minutes": cutoff // 60 if cutoff >= 0 else MISSING,
        "carrier.past_same_day_cutoff": cutoff < 0 or local_s > cutoff,
        "carrier.lead_time_minutes": int(k.lead_time_s[c]) / 60,
        "carrier.has_slots": bool(k.has_slots[c]),
    }


def pair_values(snapshot: Snapshot, i: int, c: int, requirement_bits: int) -> dict[str, Any]:
    """The pair.* fields of order i and carrier c."""
    o = snapshot.orders
    k = snapshot.carriers
    zone = int(o.zone_idx[i])
    served = zone < 0 or bool(k.serves_all_zones[c]) or bool(k.serves_zone[c, zone])
    needed = 0
    for req, cap in CAPABILITY_FOR_REQUIREMENT.items():
        if requirement_bits & bit(req):
            needed |= bit(cap)
    missing_bits = needed & ~int(k.capability_bits[c])
    end = int(o.promise_end_ts[i])
    return {
        "pair.zone_served": served,
        "pair.over_weight_limit": float(o.weight_kg[i]) > float(k.max_weight_kg[c]),
        "pair.over_volume_limit": float(o.volume_l[i]) > float(k.max_volume_l[c]),
        "pair.over_size_limit": float(o.max_length_cm[i]) > float(k.max_length_cm[c]),
        "pair.over_parcel_limit": int(o.parcel_count[i]) > int(k.max_parcels[c]),
        "pair.missing_capabilities": frozenset(int(m) for m in Capability if missing_bits & bit(m)),
        "pair.capabilities_met": missing_bits == 0,
        "pair.lead_time_fits": (end - snapshot.now_ts) / 60 >= int(k.lead_time_s[c]) / 60,
    }


def _matching(table: Table, values: dict[str, Any]) -> list[int]:
    return [r for r, row in enumerate(table.rows) if holds(row.when, values)]


def evaluate(ruleset: RuleSet, snapshot: Snapshot) -> list[OracleOrder]:
    """Decide every order the slow, obvious way.

    Parameters
    ----------
    ruleset
        The validated rules.
    snapshot
        The request.

    Returns
    -------
    list[OracleOrder]
        One per order.
    """
    sl_table = ruleset.tables[SERVICE_LEVEL]
    req_table = ruleset.tables[REQUIREMENTS]
    el_table = ruleset.tables[ELIGIBILITY]
    carriers = [carrier_values(snapshot, c) for c in range(snapshot.carriers.count)]
    out: list[OracleOrder] = []
    for i in range(snapshot.orders.count):
        values = order_values(snapshot, i, ruleset)
        hits = _matching(sl_table, values)
        level, level_rule = 0, None
        if hits:
            pick = hits[0] if sl_table.hit_policy == "first" else hits[-1]
            row = sl_table.rows[pick]
            effect = row.effect("set_service_level")
            level = int(effect.value) if effect is not None else 0
            level_rule = row.id
        values["order.service_level"] = level
        hits = _matching(req_table, values)
        if req_table.hit_policy == "first":
            hits = hits[:1]
        req, ride, hours = 0, -1, None
        rule_ids: list[str] = []
        for r in hits:
            row = req_table.rows[r]
            rule_ids.append(row.id)
            for e in row.effects:
                if e.name == "add_requirement":
                    for v in e.value:
                        req |= bit(v)
                elif e.name == "remove_requirement":
                    for v in e.value:
                        req &= ~bit(v)
                elif e.name == "set_max_ride_minutes":
                    ride = int(e.value)
                elif e.name == "set_delivery_hours":
                    hours = (int(e.value[0]), int(e.value[1]))
        values["order.requirements"] = frozenset(int(m) for m in Requirement if req & bit(m))
        values["order.max_ride_minutes"] = ride if ride >= 0 else MISSING
        reasons: list[int] = []
        by: list[str | None] = []
        for c, cvals in enumerate(carriers):
            fact = {**values, **cvals, **pair_values(snapshot, i, c, req)}
            reason, rule = 0, None
            for row in el_table.rows:
                if not holds(row.when, fact):
                    continue
                effect = row.effect("exclude")
                if effect is not None:
                    reason, rule = int(effect.value), row.id
                    break
                if el_table.hit_policy == "first":  # an allow row stops a first-hit table
                    break
            reasons.append(reason)
            by.append(rule)
        out.append(
            OracleOrder(
                level, level_rule, req, ride, hours, tuple(rule_ids), tuple(reasons), tuple(by)
            )
        )
    return out


def differences(outcome: RuleOutcome, expected: list[OracleOrder], ruleset: RuleSet) -> list[str]:
    """Human-readable differences between the engine's outcome and the oracle's.

    Parameters
    ----------
    outcome
        From CompiledRules.evaluate.
    expected
        From evaluate.
    ruleset
        To name rules in messages.

    Returns
    -------
    list[str]
        Empty when both agree on every order and pair (including which rule decided).
    """
    by_order = differences_by_order(outcome, expected, ruleset)
    return [f"order {i}{m}" for i in sorted(by_order) for m in by_order[i]]


def differences_by_order(
    outcome: RuleOutcome, expected: list[OracleOrder], ruleset: RuleSet
) -> dict[int, list[str]]:
    """The differences of `differences`, keyed by order index."""
    el = outcome.eligibility
    rows_by_source = {r.source: r.id for t in ruleset.tables.values() for r in t.rows}
    out: dict[int, list[str]] = {}
    for i, exp in enumerate(expected):
        found: list[str] = []
        got_level = int(el.service_level[i])
        if got_level != exp.service_level:
            found.append(f": service level {got_level} != {exp.service_level}")
        if int(el.requirement_bits[i]) != exp.requirement_bits:
            found.append(f": requirements {int(el.requirement_bits[i])} != {exp.requirement_bits}")
        ride = int(el.max_ride_s[i])
        if ride != (exp.max_ride_minutes * 60 if exp.max_ride_minutes >= 0 else -1):
            found.append(f": max ride {ride}s != {exp.max_ride_minutes} min")
        hours = (
            (int(outcome.delivery_from_s[i]) // 3600, int(outcome.delivery_to_s[i]) // 3600)
            if int(outcome.delivery_from_s[i]) >= 0
            else None
        )
        if hours != exp.delivery_hours:
            found.append(f": delivery hours {hours} != {exp.delivery_hours}")
        note_rules = [rows_by_source.get(n.source) for n in el.notes[i]]
        want = ([exp.service_level_rule] if exp.service_level_rule else []) + list(
            exp.requirement_rules
        )
        if note_rules != want:
            found.append(f": notes from {note_rules} != {want}")
        for c, (reason, rule) in enumerate(zip(exp.reasons, exp.excluded_by, strict=True)):
            got = int(el.reason[i, c])
            src = int(el.source[i, c])
            got_rule = rows_by_source.get(el.sources[src]) if src >= 0 else None
            if got != reason or got_rule != rule:
                found.append(f" carrier {c}: reason {got} by {got_rule} != {reason} by {rule}")
        if found:
            out[i] = found
    return out
