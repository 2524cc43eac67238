"""The validated form of a rule set: conditions, effects, rows, tables, schema, test cases.

Only `rules.validate` builds these; the compiler, the oracle and the test runner read them.
Operands are normalised (enum names to values, numbers to float/int), so no stage re-parses text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation problem, printed as `file:line: table/rule: message`."""

    file: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{loc}: {self.where}: {self.message}" if self.where else f"{loc}: {self.message}"


@dataclass(frozen=True, slots=True)
class Cmp:
    """`field op value`. For `contains` the value is one set element; for in/not_in a tuple."""

    field: str
    op: str
    value: Any
    line: int


@dataclass(frozen=True, slots=True)
class Combo:
    """all / any / none over conditions."""

    kind: str
    items: tuple[Condition, ...]
    line: int


Condition = Cmp | Combo


@dataclass(frozen=True, slots=True)
class Effect:
    """One `then` entry. Values: int for enums, tuple[int, ...] for requirement lists,
    int minutes, (from_h, to_h) for delivery hours, True for allow."""

    name: str
    value: Any
    line: int


@dataclass(frozen=True, slots=True)
class Row:
    """One decision-table row. `when` None is a catch-all."""

    id: str
    decision: str
    table: str
    file: str
    line: int
    when: Condition | None
    effects: tuple[Effect, ...]
    message: str
    index: int  # position within its table

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line} {self.id}"

    def effect(self, name: str) -> Effect | None:
        for e in self.effects:
            if e.name == name:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    decision: str
    hit_policy: str
    file: str
    line: int
    rows: tuple[Row, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """A declared `order.attributes` key: its type and, for text, the allowed values."""

    key: str
    type: str
    values: tuple[str, ...]
    doc: str
    line: int


@dataclass(frozen=True, slots=True)
class Schema:
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, AttributeSpec] = field(default_factory=dict)
    timezone: str = "UTC"
    file: str = ""


@dataclass(frozen=True, slots=True)
class CarrierCase:
    """A carrier of a test case, in the units of `rules.build.CarrierSpec`."""

    id: str
    kind: int
    capabilities: tuple[int, ...]
    zones: tuple[str, ...] | None
    max_weight_kg: float
    max_volume_l: float
    max_length_cm: float
    max_parcels: int
    same_day_cutoff_minutes: int  # -1 = none
    lead_time_minutes: float
    emissions_g_per_km: float
    reliability: float
    has_slots: bool


@dataclass(frozen=True, slots=True)
class OrderCase:
    """The order of a test case; times are minutes relative to the case's local midnight."""

    tags: tuple[str, ...]
    weight_kg: float
    volume_l: float
    max_length_cm: float
    parcel_count: int
    zone: str
    postal_code: str
    green: bool
    contactless: bool
    signature_wanted: bool
    declared_value_cents: int
    origin_site: str
    deadline_min: int  # -1 when windows are given
    windows_min: tuple[tuple[int, int], ...]
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TestCase:
    """Given an order (and a carrier), expect these outcomes. `expect` keys are optional."""

    __test__ = False  # not a pytest class

    name: str
    file: str
    line: int
    now_local: str  # "YYYY-MM-DD HH:MM"
    order: OrderCase
    carrier: CarrierCase | None
    expect: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule set: one table per decision, the schema and the files' test cases."""

    version: str
    files: tuple[str, ...]
    tables: Mapping[str, Table]
    schema: Schema
    tests: tuple[TestCase, ...]

    def rows(self) -> tuple[Row, ...]:
        return tuple(r for t in self.tables.values() for r in t.rows)


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of one rule-file test case."""

    __test__ = False

    name: str
    file: str
    line: int
    passed: bool
    messages: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}: test '{self.name}'"
        if self.passed:
            return f"PASS {head}"
        return "FAIL " + head + "".join(f"\n    {m}" for m in self.messages)


@dataclass(frozen=True, slots=True)
class Report:
    """What check / test / validate found. `ok` when nothing is wrong and every test passed."""

    version: str
    files: tuple[str, ...]
    issues: tuple[Issue, ...]
    tests: tuple[TestResult, ...] = ()
    tables: int = 0
    rows: int = 0
    tested: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues and all(t.passed for t in self.tests)

    @property
    def failed_tests(self) -> tuple[TestResult, ...]:
        return tuple(t for t in self.tests if not t.passed)

    def problems(self) -> tuple[Issue, ...]:
        """Every problem as an Issue: the issues, then one per message of each failed test
        (where = `test '<name>'`)."""
        failed = (
            Issue(t.file, t.line, f"test '{t.name}'", m)
            for t in self.failed_tests
            for m in (t.messages or ("failed",))
        )
        return (*self.issues, *failed)

    def lines(self) -> list[str]:
        """Every problem as one printable line (issues, then failed tests)."""
        return [str(p) for p in self.problems()]
