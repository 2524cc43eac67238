"""The durable-rules path and the pure-Python oracle agree on hypothesis-generated requests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import oracle
from rules.api import build, read_dir
from rules.build import BERLIN_ZONES, CarrierSpec, OrderSpec, local_ts, snapshot_of
from solver.domain import Capability, CarrierKind

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rules.engine import CompiledRules
    from solver.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[1]
TAGS = (
    "alcohol",
    "tobacco",
    "pharma",
    "frozen",
    "chilled",
    "hazmat",
    "fragile",
    "high_value",
    "furniture",
    "b2b",
    "misc",
)
ZONES = (*BERLIN_ZONES[:6], "nowhere")

# A second rule set that uses what the bundled one does not: collect service levels (last wins),
# a first-hit requirements table that reads the service level (a separate engine group), a
# collect eligibility table, in / not_in / ne / exists on optional fields, none, now.* fields.
EXOTIC = {
    "x/schema.yaml": """
schema:
  timezone: Europe/Berlin
  tags: [alcohol, frozen, fragile, b2b]
  attributes:
    tier: {type: str, values: [gold, silver]}
    score: {type: float}
    age: {type: int}
    vip: {type: bool}
""",
    "x/sl.yaml": """
table: sl
decision: service_level
hit_policy: collect
rows:
  - id: base
    then: {set_service_level: STANDARD}
  - id: window
    when: {order.promise_kind: windows, order.window_count: {gte: 1}}
    then: {set_service_level: SCHEDULED_WINDOW}
  - id: today
    when: {order.promise_days_ahead: {in: [0, -1]}}
    then: {set_service_level: SAME_DAY}
  - id: tier
    when: {order.attributes.tier: {in: [gold]}, now.local_hour: {lt: 12}}
    then: {set_service_level: NEXT_DAY}
  - id: big
    when:
      none:
        - parcels.weight_kg: {lte: 20}
        - order.attributes.score: {exists: true}
    then: {set_service_level: BULKY}
  - id: zoned
    when: {destination.zone: {not_in: [mitte, pankow]}, destination.postal_code: {ne: "10115"}}
    then: {set_service_level: GREEN}
""",
    "x/req.yaml": """
table: req
decision: requirements
hit_policy: first
rows:
  - id: same-day-cold
    when: {order.service_level: SAME_DAY, order.tags: frozen}
    then: {add_requirement: [COLD_CHAIN, PHOTO_POD], set_max_ride_minutes: 30}
  - id: adult
    when: {order.service_level: {not_in: [STANDARD, GREEN]}, order.attributes.age: {gte: 18}}
    then: {add_requirement: AGE_VERIFICATION, set_delivery_hours: {from: 9, to: 21}}
  - id: vip
    when: {order.attributes.vip: {ne: false}}
    then: {add_requirement: [SIGNATURE_POD, TWO_PERSON], remove_requirement: TWO_PERSON}
  - id: cheap
    when:
      any:
        - order.declared_value_cents: {lt: 1000}
        - all: [{order.origin_site: depot}, {parcels.count: {gt: 2}}]
        - order.attributes.score: {gt: 0.5}
    then: {add_requirement: [PHOTO_POD, COLD_CHAIN], set_max_ride_minutes: 90}
""",
    "x/el.yaml": """
table: el
decision: eligibility
hit_policy: collect
rows:
  - id: heavy
    when: {pair.over_weight_limit: true, carrier.max_weight_kg: {exists: true}}
    then: {exclude: OVER_WEIGHT_LIMIT}
    message: too heavy
  - id: cold
    when: {pair.missing_capabilities: {contains: COLD_CHAIN}}
    then: {exclude: MISSING_CAPABILITY}
    message: no cold chain
  - id: caps
    when: {pair.capabilities_met: false, carrier.capabilities: {contains: EV}}
    then: {exclude: MISSING_CAPABILITY}
    message: EV carrier without the capabilities
  - id: cutoff
    when: {order.service_level: SAME_DAY, carrier.same_day_cutoff_minutes: {lt: 900}}
    then: {exclude: PAST_CUTOFF}
    message: early cut-off
  - id: no-same-day
    when:
      carrier.same_day_cutoff_minutes: {exists: false}
      order.requirements: {contains: COLD_CHAIN}
    then: {exclude: EXCLUDED_BY_RULE}
    message: no same day, cold goods
  - id: ride
    when: {order.max_ride_minutes: {lte: 30}, carrier.lead_time_minutes: {gt: 30}}
    then: {exclude: WINDOW_UNREACHABLE}
    message: ride too short
  - id: kind
    when:
      carrier.kind: {in: [GIG, NATIONAL]}
      none: [{order.tags: b2b}, {carrier.emissions_g_per_km: {lte: 20}}]
    then: {exclude: CARRIER_KIND_EXCLUDED}
    message: kind
  - id: misc
    when:
      any:
        - pair.zone_served: false
        - pair.lead_time_fits: false
        - pair.over_volume_limit: true
        - pair.over_size_limit: true
        - pair.over_parcel_limit: true
      carrier.reliability: {gte: 0.5}
    then: {exclude: EXCLUDED_BY_RULE}
    message: misc
  - id: by-id
    when:
      carrier.id: {ne: c1}
      now.weekday: {in: [1, 2, 3]}
      carrier.has_same_day: true
      carrier.past_same_day_cutoff: false
      order.attributes.tier: {exists: false}
    then: {exclude: EXCLUDED_BY_RULE}
    message: by id
  - id: slots
    when:
      carrier.has_slots: true
      order.promise_window_minutes: {gt: 60.5}
      order.minutes_to_promise_end: {lte: 600}
    then: {exclude: NO_SLOT}
    message: slots
""",
}


@pytest.fixture(scope="module")
def bundled() -> Iterator[CompiledRules]:
    """The bundled rules, compiled once for the module."""
    files, _ = read_dir(ROOT / "rules" / "tables")
    compiled, report = build(files, tests=False)
    assert compiled is not None, report.lines()
    yield compiled
    compiled.retire()


@pytest.fixture(scope="module")
def exotic() -> Iterator[CompiledRules]:
    """The exotic rule set above, compiled once."""
    compiled, report = build(EXOTIC, tests=False)
    assert compiled is not None, report.lines()
    yield compiled
    compiled.retire()


def _weights() -> st.SearchStrategy[float]:
    exact = st.sampled_from([15.0, 20.0, 31.5, 40.0, 60.0, 150.0, 400.0, 0.5])
    return st.one_of(exact, st.floats(0.1, 600.0).map(lambda x: round(x, 2)))


ATTRIBUTES = {
    "min_age": ["16", "18", "21", "x"],
    "prescription": ["true", "false", "yes"],
    "channel": ["web", "replenishment", "store", "bogus"],
    "max_temperature_c": ["-20", "-15", "-14.9", "4", "warm"],
    "tier": ["gold", "silver", "bronze"],
    "score": ["0.5", "0.7", "-1", "nan?"],
    "age": ["17", "18", "30", "old"],
    "vip": ["true", "false", "maybe"],
}


@st.composite
def requests(draw: st.DrawFn) -> Snapshot:
    """A request of 1-14 orders and 1-4 carriers around the rules' thresholds."""
    now = local_ts("2025-06-02 00:00", "Europe/Berlin") + draw(st.integers(0, 7 * 1440)) * 60
    n = draw(st.integers(1, 14))
    orders = []
    for i in range(n):
        start = now + draw(st.integers(-120, 4 * 1440)) * 60
        if draw(st.booleans()):
            promise: dict[str, Any] = {"deadline_ts": start}
        else:
            widths = draw(
                st.lists(st.sampled_from([60, 61, 120, 240, 241, 600]), min_size=1, max_size=2)
            )
            windows, t = [], start
            for w in widths:
                windows.append((t, t + w * 60))
                t += (w + 60) * 60
            promise = {"windows": tuple(windows)}
        attrs = {k: draw(st.sampled_from(v)) for k, v in ATTRIBUTES.items() if draw(st.booleans())}
        orders.append(
            OrderSpec(
                id=f"o{i}",
                tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))),
                weight_kg=draw(_weights()),
                volume_l=draw(st.sampled_from([5.0, 60.0, 90.0, 300.0, 1000.5])),
                max_length_cm=draw(st.sampled_from([30.0, 70.0, 80.0, 120.0, 120.5, 200.0])),
                parcel_count=draw(st.integers(1, 12)),
                zone=draw(st.sampled_from((*ZONES, ""))),
                postal_code=draw(st.sampled_from(["", "10115", "12043"])),
                green=draw(st.booleans()),
                contactless=draw(st.booleans()),
                signature_wanted=draw(st.booleans()),
                declared_value_cents=draw(st.sampled_from([0, 999, 1000, 49_999, 50_000, 90_000])),
                origin_site=draw(st.sampled_from(["", "depot", "store"])),
                attributes=attrs,
                **promise,
            )
        )
    carriers = []
    ids = draw(
        st.lists(
            st.sampled_from(["c1", "kiez-kurier", "c3", "c4", "c5"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    for cid in ids:
        zones = draw(
            st.one_of(
                st.none(), st.lists(st.sampled_from(ZONES), max_size=4, unique=True).map(tuple)
            )
        )
        carriers.append(
            CarrierSpec(
                id=cid,
                kind=draw(st.sampled_from(list(CarrierKind))),
                capabilities=tuple(draw(st.lists(st.sampled_from(list(Capability)), unique=True))),
                zones=zones,
                max_weight_kg=draw(st.sampled_from([math.inf, 15.0, 20.0, 31.5, 150.0])),
                max_volume_l=draw(st.sampled_from([math.inf, 60.0, 90.0, 1000.0])),
                max_length_cm=draw(st.sampled_from([math.inf, 70.0, 120.0])),
                max_parcels=draw(st.sampled_from([3, 10, 1 << 31])),
                same_day_cutoff_s=draw(st.sampled_from([-1, 11 * 3600, 15 * 3600, 18 * 3600])),
                lead_time_s=draw(st.sampled_from([0, 1800, 2700, 72_000])),
                emissions_g_per_km=draw(st.sampled_from([0.0, 20.0, 21.0, 160.0])),
                reliability=draw(st.sampled_from([0.4, 0.5, 0.9])),
                has_slots=draw(st.booleans()),
            )
        )
    return snapshot_of(orders, carriers, now_ts=now, tag_names=TAGS)


def _assert_agree(rules: CompiledRules, snapshot: Snapshot) -> None:
    outcome = rules.evaluate(snapshot)
    expected = oracle.evaluate(rules.ruleset, snapshot)
    assert oracle.differences(outcome, expected, rules.ruleset) == []
    plain = rules.evaluate(snapshot, dedup=False)
    for name in ("service_level", "requirement_bits", "reason", "source", "max_ride_s"):
        assert np.array_equal(getattr(plain.eligibility, name), getattr(outcome.eligibility, name))
    assert plain.eligibility.notes == outcome.eligibility.notes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=requests())
def test_bundled_rules_match_the_oracle(bundled: CompiledRules, snapshot: Snapshot) -> None:
    """Deduplicated engine, per-order engine and the oracle decide the same, rule for rule."""
    _assert_agree(bundled, snapshot)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=requests())
def test_exotic_rules_match_the_oracle(exotic: CompiledRules, snapshot: Snapshot) -> None:
    """Every operator, missing-field semantics and both hit policies agree with the oracle."""
    _assert_agree(exotic, snapshot)


def test_exotic_rules_use_a_separate_requirements_group(exotic: CompiledRules) -> None:
    """Requirements that read the service level are evaluated after it (three groups)."""
    assert [g.decisions for g in exotic.plan.groups] == [
        ("service_level",),
        ("requirements",),
        ("eligibility",),
    ]


def test_sample_day_matches_the_oracle(bundled: CompiledRules) -> None:
    """The bundled rules on a realistic day: 300 orders, the six Berlin carriers."""
    from bench.rules import synthetic

    snapshot = synthetic(300, 0.5, seed=3)
    outcome = bundled.evaluate(snapshot)
    assert outcome.order_classes < 300
    expected = oracle.evaluate(bundled.ruleset, snapshot)
    assert oracle.differences(outcome, expected, bundled.ruleset) == []


@pytest.mark.parametrize("rules_name", ["bundled", "exotic"])
def test_fields_no_order_has_are_missing_not_a_crash(
    rules_name: str, request: pytest.FixtureRequest
) -> None:
    """Regression (found by hypothesis): when no order has a zone, postal code or origin site,
    their columns have no labels at all; facts must leave them out, not index the labels."""
    rules: CompiledRules = request.getfixturevalue(rules_name)
    now = local_ts("2025-06-03 10:00", "Europe/Berlin")
    orders = [OrderSpec(id=f"o{i}", deadline_ts=now + 3600 * (i + 1)) for i in range(3)]
    carriers = [
        CarrierSpec(id="c1", kind=CarrierKind.GIG),
        CarrierSpec(id="kiez-kurier", kind=CarrierKind.LOCAL_COURIER),
    ]
    _assert_agree(rules, snapshot_of(orders, carriers, now_ts=now, tag_names=TAGS))


def test_window_count_is_zero_for_a_deadline_from_the_proto(
    bundled: CompiledRules, sample_request: Any
) -> None:
    """`order.window_count` is 0 for a deadline, as documented, also when the order comes
    through the proto conversion (which lists a deadline as a window for the router), so a
    rule on it decides in service as in its file's test cases; the oracle agrees."""
    from rules.features import OrderFeatures
    from service.convert import to_snapshot

    snapshot = to_snapshot(sample_request)
    expected = [
        0 if o.HasField("deadline") else len(o.windows)
        for o in (order.promise for order in sample_request.orders)
    ]
    assert 0 in expected and 1 in expected
    column = OrderFeatures(snapshot, bundled.ruleset.schema).column("order.window_count")
    assert column.values.tolist() == expected
    for i in range(snapshot.orders.count):
        values = oracle.order_values(snapshot, i, bundled.ruleset)
        assert values["order.window_count"] == expected[i]


def test_order_fields_read_the_same_from_the_proto_as_in_rule_tests(
    bundled: CompiledRules, sample_request: Any
) -> None:
    """Rule files are tested on snapshots built from plain specs (`rules.build`) and serve on
    snapshots converted from the proto: every order field of the sample day reads the same
    both ways, so a rule decides in service as in its own test cases."""
    from rules.build import CarrierSpec
    from service.convert import to_snapshot

    served = to_snapshot(sample_request)
    o = served.orders
    specs = []
    for order in sample_request.orders:
        i = o.ids.index(order.id)
        promise = order.promise
        specs.append(
            OrderSpec(
                id=order.id,
                tags=tuple(order.tags),
                weight_kg=float(o.weight_kg[i]),
                volume_l=float(o.volume_l[i]),
                max_length_cm=float(o.max_length_cm[i]),
                parcel_count=int(o.parcel_count[i]),
                zone=order.destination.zone_id,
                postal_code=order.destination.postal_code,
                green=order.preferences.green,
                contactless=order.preferences.contactless,
                signature_wanted=order.preferences.signature_wanted,
                declared_value_cents=order.declared_value.cents,
                origin_site=order.origin_site_id,
                deadline_ts=promise.deadline.seconds if promise.HasField("deadline") else -1,
                windows=tuple((w.start.seconds, w.end.seconds) for w in promise.windows),
                attributes=dict(order.attributes),
            )
        )
    carriers = [CarrierSpec(id=c.id, kind=CarrierKind(c.kind)) for c in sample_request.carriers]
    tested = snapshot_of(
        specs, carriers, now_ts=sample_request.now.seconds, timezone=sample_request.timezone
    )
    kinds = {"deadline": 0, "windows": 0}
    for order in sample_request.orders:
        a = oracle.order_values(served, o.ids.index(order.id), bundled.ruleset)
        b = oracle.order_values(tested, tested.orders.ids.index(order.id), bundled.ruleset)
        assert a == b, order.id
        kinds[a["order.promise_kind"]] += 1
    assert min(kinds.values()) > 0
