"""The compiled rules on small, readable requests: outcomes, explanations, attribute checks."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from rules.api import build, read_dir, test_dir
from rules.build import OrderSpec, berlin_carriers, local_ts, snapshot_of
from rules.engine import RulesPolicy, check_attributes
from rules.store import RuleStore
from solver.domain import Reason, Requirement, ServiceLevel, bit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rules.engine import CompiledRules
    from solver.eligibility import Policy
    from solver.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "rules" / "tables"
NOW = local_ts("2025-06-03 10:00", "Europe/Berlin")
TODAY_20 = NOW + 10 * 3600


@pytest.fixture(scope="module")
def rules() -> Iterator[CompiledRules]:
    """The bundled rules, compiled once."""
    files, _ = read_dir(TABLES)
    compiled, report = build(files, tests=False)
    assert compiled is not None, report.lines()
    yield compiled
    compiled.retire()


def _snapshot(*orders: OrderSpec) -> Snapshot:
    return snapshot_of(list(orders), berlin_carriers(), now_ts=NOW)


def test_every_bundled_table_has_passing_test_cases() -> None:
    """`lastmile rules test rules/tables` passes, with cases in each of the three tables."""
    report = test_dir(TABLES)
    assert report.ok, "\n".join(report.lines())
    per_file = Counter(t.file.rsplit("/", 1)[-1] for t in report.tests)
    assert per_file["service_level.yaml"] >= 10
    assert per_file["requirements.yaml"] >= 10
    assert per_file["eligibility.yaml"] >= 20


def test_wine_to_gigdrop_is_explained(rules: CompiledRules) -> None:
    """Notes name the rows that set the service level and requirements, with file:line."""
    snap = _snapshot(
        OrderSpec(
            "wine",
            tags=("alcohol",),
            zone="mitte",
            deadline_ts=TODAY_20,
            attributes={"min_age": "18"},
        )
    )
    el = rules.evaluate(snap).eligibility
    assert el.version == rules.version
    assert ServiceLevel(int(el.service_level[0])) == ServiceLevel.REGULATED
    bits = int(el.requirement_bits[0])
    assert bits == bit(Requirement.AGE_VERIFICATION) | bit(Requirement.ID_CHECK)
    sources = [n.source for n in el.notes[0]]
    assert sources[0].startswith("rules/tables/service_level.yaml:")
    assert sources[0].endswith(" regulated-goods")
    assert [s.rsplit(" ", 1)[1] for s in sources[1:]] == ["age-check", "adults-only-id"]
    assert el.notes[0][0].stage == "service_level"
    assert el.notes[0][0].message == (
        "Age-restricted, prescription or dangerous goods travel as regulated."
    )
    gig = snap.carriers.ids.index("gigdrop")
    assert Reason(int(el.reason[0, gig])) == Reason.CARRIER_KIND_EXCLUDED
    source = el.sources[int(el.source[0, gig])]
    line = next(
        i
        for i, text in enumerate((TABLES / "eligibility.yaml").read_text().splitlines(), 1)
        if "id: gig-no-age-check" in text
    )
    assert source == f"rules/tables/eligibility.yaml:{line} gig-no-age-check"
    assert el.messages[int(el.source[0, gig])] == (
        "Gig couriers may not hand over age-restricted goods."
    )
    own = snap.carriers.ids.index("own-fleet")
    assert el.reason[0, own] == 0 and el.source[0, own] == -1


def test_outcome_carries_ride_limit_and_delivery_hours(rules: CompiledRules) -> None:
    """Frozen goods get a 45-minute ride limit; alcohol a delivery window 08-22."""
    snap = _snapshot(
        OrderSpec("ice", tags=("frozen",), deadline_ts=TODAY_20),
        OrderSpec("beer", tags=("alcohol",), deadline_ts=TODAY_20),
        OrderSpec("book", deadline_ts=TODAY_20 + 86400),
    )
    out = rules.evaluate(snap)
    assert out.eligibility.max_ride_s.tolist() == [45 * 60, -1, -1]
    assert out.delivery_from_s.tolist() == [-1, 8 * 3600, -1]
    assert out.delivery_to_s.tolist() == [-1, 22 * 3600, -1]
    assert [ServiceLevel(int(v)).name for v in out.eligibility.service_level] == [
        "SAME_DAY",
        "REGULATED",
        "NEXT_DAY",
    ]


def test_identical_orders_are_evaluated_once(rules: CompiledRules) -> None:
    """1,000 copies of two orders are two classes, and per-order evaluation agrees."""
    a = OrderSpec("a", tags=("chilled",), weight_kg=3.0, zone="mitte", deadline_ts=TODAY_20)
    b = OrderSpec("b", weight_kg=3.2, zone="mitte", deadline_ts=TODAY_20 + 86400)
    snap = _snapshot(*([a, b] * 500))
    out = rules.evaluate(snap)
    assert out.order_classes == 2
    assert out.pair_facts <= 2 * snap.carriers.count
    small = _snapshot(a, b)
    per_order = rules.evaluate(small, per_order=True).eligibility
    assert np.array_equal(per_order.reason, out.eligibility.reason[:2])


def test_snapping_merges_values_between_thresholds(rules: CompiledRules) -> None:
    """3 kg and 4 kg orders are one class; 31.5 kg (a threshold) and 31.6 kg are not."""
    orders = [
        OrderSpec(str(w), weight_kg=w, deadline_ts=TODAY_20 + 3 * 86400)
        for w in (3.0, 4.0, 31.5, 31.6)
    ]
    out = rules.evaluate(snapshot_of(orders, [], now_ts=NOW))
    assert out.order_classes == 3
    unsnapped = rules.evaluate(snapshot_of(orders, [], now_ts=NOW), snap=False)
    assert unsnapped.order_classes == 4


def test_empty_requests(rules: CompiledRules) -> None:
    """No orders, or no carriers, give correctly shaped results without engine trouble."""
    none = rules.evaluate(snapshot_of([], berlin_carriers(), now_ts=NOW)).eligibility
    assert none.reason.shape == (0, 6) and none.notes == ()
    alone = rules.evaluate(snapshot_of([OrderSpec("x", deadline_ts=TODAY_20)], [], now_ts=NOW))
    assert alone.eligibility.reason.shape == (1, 0)
    assert int(alone.eligibility.service_level[0]) == ServiceLevel.SAME_DAY


def test_results_are_read_only(rules: CompiledRules) -> None:
    """Eligibility arrays cannot be changed by a later stage."""
    el = rules.evaluate(_snapshot(OrderSpec("x", deadline_ts=TODAY_20))).eligibility
    with pytest.raises(ValueError, match="read-only"):
        el.reason[0, 0] = 3


def test_order_attributes_are_checked_against_the_schema(rules: CompiledRules) -> None:
    """Unknown keys, wrong types and values outside the list are input errors, with paths."""
    snap = _snapshot(
        OrderSpec("ok", deadline_ts=TODAY_20, attributes={"min_age": "18", "channel": "web"}),
        OrderSpec(
            "bad",
            deadline_ts=TODAY_20,
            attributes={
                "minage": "18",
                "min_age": "adult",
                "channel": "webshop",
                "prescription": "yes",
                "max_temperature_c": "-18.5",
            },
        ),
    )
    problems = check_attributes(snap, rules.ruleset)
    by_key = {key: message for i, key, message in problems if i == 1}
    assert all(i == 1 for i, _, _ in problems)
    assert set(by_key) == {"minage", "min_age", "channel", "prescription"}
    assert "did you mean 'min_age'?" in by_key["minage"]
    assert by_key["min_age"].startswith("attribute 'min_age' is int")
    assert "did you mean 'web'?" in by_key["channel"]
    assert "true or false" in by_key["prescription"]


def test_rules_policy_is_a_policy(tmp_path: Path) -> None:
    """RulesPolicy(RuleStore(dir)) implements solver.eligibility.Policy."""
    with RuleStore(TABLES, poll_interval_s=0) as store:
        policy: Policy = RulesPolicy(store)
        snap = _snapshot(OrderSpec("x", tags=("furniture",), weight_kg=80, deadline_ts=TODAY_20))
        el = policy.evaluate(snap)
        assert el.version == store.status().version
        assert el.reason.shape == (1, 6)
        assert RulesPolicy(store).check_order_attributes(snap) == []
        assert store.check_order_attributes(snap) == []
        out = RulesPolicy(store).evaluate_outcome(snap)
        assert math.isclose(out.eligibility.service_level[0], ServiceLevel.BULKY)


def test_retired_handle_lives_until_the_last_lease(rules: CompiledRules) -> None:
    """A retired handle is deleted only when no request holds it any more."""
    files, _ = read_dir(TABLES)
    compiled, _ = build(files, tests=False)
    assert compiled is not None
    lease = compiled.acquire()
    with lease as held:
        compiled.retire()
        assert not compiled.deleted
        held.evaluate(_snapshot(OrderSpec("x", deadline_ts=TODAY_20)))
    assert compiled.deleted
