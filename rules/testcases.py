"""Run the test cases written inside rule files against a compiled rule set (and the oracle).

Each case becomes a one-order Snapshot (plus its carrier), goes through exactly the path requests
take (features, deduplication, the durable-rules engine, hit policies) and is compared with its
`expect` block. The oracle runs on the same snapshot; any disagreement fails the case too, so a
compiler bug cannot hide behind a passing expectation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules import oracle
from rules.build import CarrierSpec, OrderSpec, local_clock, local_ts, snapshot_of
from rules.model import TestResult
from rules.vocabulary import SERVICE_LEVEL
from solver.domain import CarrierKind, Reason, Requirement, ServiceLevel, bit

if TYPE_CHECKING:
    from rules.engine import CompiledRules, RuleOutcome
    from rules.model import TestCase
    from solver.snapshot import Snapshot


def _order(case: TestCase, name: str, midnight: int) -> OrderSpec:
    o = case.order
    return OrderSpec(
        id=name,
        tags=o.tags,
        weight_kg=o.weight_kg,
        volume_l=o.volume_l,
        max_length_cm=o.max_length_cm,
        parcel_count=o.parcel_count,
        zone=o.zone,
        postal_code=o.postal_code,
        green=o.green,
        contactless=o.contactless,
        signature_wanted=o.signature_wanted,
        declared_value_cents=o.declared_value_cents,
        origin_site=o.origin_site,
        deadline_ts=midnight + o.deadline_min * 60 if o.deadline_min >= 0 else -1,
        windows=tuple((midnight + s * 60, midnight + e * 60) for s, e in o.windows_min),
        attributes=dict(o.attributes),
    )


def _carrier(case: TestCase) -> CarrierSpec | None:
    c = case.carrier
    if c is None:
        return None
    return CarrierSpec(
        id=c.id,
        kind=CarrierKind(c.kind),
        capabilities=c.capabilities,
        zones=c.zones,
        max_weight_kg=c.max_weight_kg,
        max_volume_l=c.max_volume_l,
        max_length_cm=c.max_length_cm,
        max_parcels=c.max_parcels,
        same_day_cutoff_s=c.same_day_cutoff_minutes * 60 if c.same_day_cutoff_minutes >= 0 else -1,
        lead_time_s=round(c.lead_time_minutes * 60),
        emissions_g_per_km=c.emissions_g_per_km,
        reliability=c.reliability,
        has_slots=c.has_slots,
    )


def cases_snapshot(
    cases: list[TestCase], timezone: str, tag_names: tuple[str, ...]
) -> tuple[Snapshot, list[int]]:
    """One snapshot for test cases that share `now`: order i is case i; the carrier of case i
    is column cols[i] (-1 when it has none). Each pair is decided independently, so batching
    cases changes nothing but the number of engine sessions."""
    now_ts = local_ts(cases[0].now_local, timezone)
    _, midnight = local_clock(now_ts, timezone)
    orders = [_order(case, f"case{i}", midnight) for i, case in enumerate(cases)]
    carriers: list[CarrierSpec] = []
    cols: list[int] = []
    for case in cases:
        spec = _carrier(case)
        cols.append(len(carriers) if spec is not None else -1)
        if spec is not None:
            carriers.append(spec)
    snapshot = snapshot_of(orders, carriers, now_ts=now_ts, timezone=timezone, tag_names=tag_names)
    return snapshot, cols


def run_tests(rules: CompiledRules) -> list[TestResult]:
    """Run every test case of the rule set through the engine and the oracle.

    Parameters
    ----------
    rules
        The compiled rule set (its handle is used; the caller holds it).

    Returns
    -------
    list[TestResult]
        One per test case, in file order.
    """
    ruleset = rules.ruleset
    groups: dict[str, list[int]] = {}
    for k, case in enumerate(ruleset.tests):
        groups.setdefault(case.now_local, []).append(k)
    results: dict[int, TestResult] = {}
    for members in groups.values():
        cases = [ruleset.tests[k] for k in members]
        try:
            snapshot, cols = cases_snapshot(cases, ruleset.schema.timezone, ruleset.schema.tags)
            outcome = rules.evaluate(snapshot)
            expected = oracle.evaluate(ruleset, snapshot)
        except Exception as exc:  # a broken case must not stop the others
            for k, case in zip(members, cases, strict=True):
                results[k] = TestResult(
                    case.name, case.file, case.line, False, (f"could not run: {exc}",)
                )
            continue
        disagree = oracle.differences_by_order(outcome, expected, ruleset)
        for i, (k, case) in enumerate(zip(members, cases, strict=True)):
            messages = _check(case, outcome, i, cols[i])
            messages.extend(f"engine and oracle disagree: order{d}" for d in disagree.get(i, []))
            results[k] = TestResult(case.name, case.file, case.line, not messages, tuple(messages))
    return [results[k] for k in range(len(ruleset.tests))]


def _check(case: TestCase, outcome: RuleOutcome, i: int, c: int) -> list[str]:
    """Compare order i (with carrier column c) of the batched outcome with the case's expect."""
    el = outcome.eligibility
    expect = case.expect
    out: list[str] = []
    notes = el.notes[i]
    sl_note = next((n for n in notes if n.stage == SERVICE_LEVEL), None)
    got_level = int(el.service_level[i])
    if "service_level" in expect and got_level != expect["service_level"]:
        by = f" (set by {sl_note.source})" if sl_note else ""
        out.append(
            f"expected service level {ServiceLevel(expect['service_level']).name}, got "
            f"{_level_name(got_level)}{by}"
        )
    if "service_level_by" in expect:
        got_by = sl_note.source.rsplit(" ", 1)[-1] if sl_note else None
        if got_by != expect["service_level_by"]:
            out.append(
                f"expected service level set by '{expect['service_level_by']}', got {got_by!r}"
            )
    if "requirements" in expect:
        bits = int(el.requirement_bits[i])
        got = tuple(sorted(int(r) for r in Requirement if bits & bit(r)))
        if got != expect["requirements"]:
            out.append(
                f"expected requirements [{_req_names(expect['requirements'])}], got "
                f"[{_req_names(got)}]"
            )
    if "max_ride_minutes" in expect:
        ride = int(el.max_ride_s[i])
        got_ride = ride // 60 if ride >= 0 else None
        if got_ride != expect["max_ride_minutes"]:
            out.append(f"expected max_ride_minutes {expect['max_ride_minutes']}, got {got_ride}")
    if "delivery_hours" in expect:
        lo = int(outcome.delivery_from_s[i])
        got_hours = (lo // 3600, int(outcome.delivery_to_s[i]) // 3600) if lo >= 0 else None
        if got_hours != expect["delivery_hours"]:
            out.append(f"expected delivery_hours {expect['delivery_hours']}, got {got_hours}")
    if {"eligible", "reason", "by"} & set(expect):
        reason = int(el.reason[i, c])
        src = int(el.source[i, c])
        source = el.sources[src] if src >= 0 else None
        why = f" ({Reason(reason).name} by {source}: {el.messages[src]})" if src >= 0 else ""
        if "eligible" in expect and (reason == 0) != expect["eligible"]:
            state = "eligible" if reason == 0 else "excluded"
            out.append(f"expected eligible: {str(expect['eligible']).lower()}, got {state}{why}")
        if "reason" in expect and reason != expect["reason"]:
            out.append(
                f"expected reason {Reason(expect['reason']).name}, got {Reason(reason).name}{why}"
            )
        if "by" in expect:
            got_rule = source.rsplit(" ", 1)[-1] if source else None
            if got_rule != expect["by"]:
                out.append(f"expected excluded by '{expect['by']}', got {got_rule!r}")
    return out


def _level_name(value: int) -> str:
    return ServiceLevel(value).name if value else "none"


def _req_names(values: tuple[int, ...]) -> str:
    return ", ".join(Requirement(v).name for v in values)
