"""The fixed vocabulary of rule files: decisions, fields, operators, effects and hit policies.

Everything a rule file may say is listed here, so the validator can reject the rest with a
"did you mean" and the README tables are generated from one place (`vocabulary_markdown`).
Field values are derived from the `Snapshot` in `rules.features` (columnar) and
`rules.oracle` (per order, the test oracle); both follow the definitions in `doc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from solver.domain import Capability, CarrierKind, Reason, Requirement, ServiceLevel

SERVICE_LEVEL: Final = "service_level"
REQUIREMENTS: Final = "requirements"
ELIGIBILITY: Final = "eligibility"
DECISIONS: Final = (SERVICE_LEVEL, REQUIREMENTS, ELIGIBILITY)

HIT_POLICIES: Final = {
    "first": "the first matching row (in file order) decides; later rows are not applied",
    "collect": "every matching row applies, in file order; a later `set_*` overrides an "
    "earlier one; in an eligibility table the first matching exclusion is reported",
}

ORDER_STAGES: Final = frozenset(DECISIONS)
AFTER_SERVICE_LEVEL: Final = frozenset({REQUIREMENTS, ELIGIBILITY})
ONLY_ELIGIBILITY: Final = frozenset({ELIGIBILITY})

# Field types. Sets are tested with `contains`; enums are written by name.
BOOL: Final = "bool"
INT: Final = "int"
FLOAT: Final = "float"
STR: Final = "str"
ENUM: Final = "enum"
SET: Final = "set"

NAMES_SERVICE_LEVEL: Final = tuple(m.name for m in ServiceLevel)
NAMES_REQUIREMENT: Final = tuple(m.name for m in Requirement)
NAMES_CAPABILITY: Final = tuple(m.name for m in Capability)
NAMES_CARRIER_KIND: Final = tuple(m.name for m in CarrierKind)
NAMES_REASON: Final = tuple(m.name for m in Reason if m not in (Reason.OK,))


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field rules can read: its type, where it is available and what it means."""

    name: str
    type: str
    doc: str
    stages: frozenset[str] = ORDER_STAGES
    optional: bool = False  # may be missing; comparisons on a missing field are false
    choices: tuple[str, ...] = ()  # enum names, set elements or allowed strings
    enum: str = ""  # ServiceLevel, Requirement, Capability, CarrierKind; "" for tags / text

    @property
    def namespace(self) -> str:
        return self.name.split(".", 1)[0]


def _f(
    name: str,
    type_: str,
    doc: str,
    stages: frozenset[str] = ORDER_STAGES,
    *,
    optional: bool = False,
    choices: tuple[str, ...] = (),
    enum: str = "",
) -> FieldSpec:
    return FieldSpec(name, type_, doc, stages, optional, choices, enum)


FIELDS: Final[dict[str, FieldSpec]] = {
    f.name: f
    for f in (
        _f("order.tags", SET, "handling tags of the order (declared in schema.tags)"),
        _f("order.green", BOOL, "customer asked for low-emission delivery"),
        _f("order.contactless", BOOL, "customer asked to leave at the door with photo proof"),
        _f("order.signature_wanted", BOOL, "customer wants to sign"),
        _f("order.declared_value_cents", INT, "declared goods value, integer cents"),
        _f("order.origin_site", STR, "id of the site the order leaves from", optional=True),
        _f(
            "order.promise_kind",
            STR,
            "`deadline` or `windows`: how the customer promise was given",
            choices=("deadline", "windows"),
        ),
        _f(
            "order.promise_days_ahead",
            INT,
            "local calendar day of the promise end: 0 = today, 1 = tomorrow, ...",
        ),
        _f(
            "order.promise_window_minutes",
            FLOAT,
            "width of the acceptable delivery interval (promise end - start), minutes",
        ),
        _f("order.minutes_to_promise_end", FLOAT, "from now to the promise end, minutes"),
        _f("order.window_count", INT, "number of promised delivery windows (0 for a deadline)"),
        _f(
            "order.service_level",
            ENUM,
            "service level decided by the service_level table",
            AFTER_SERVICE_LEVEL,
            choices=NAMES_SERVICE_LEVEL,
            enum="ServiceLevel",
        ),
        _f(
            "order.requirements",
            SET,
            "requirements decided by the requirements table",
            ONLY_ELIGIBILITY,
            choices=NAMES_REQUIREMENT,
            enum="Requirement",
        ),
        _f(
            "order.max_ride_minutes",
            INT,
            "cold-chain limit on time in vehicle set by the requirements table",
            ONLY_ELIGIBILITY,
            optional=True,
        ),
        _f("parcels.weight_kg", FLOAT, "total actual weight of all parcels, kg"),
        _f("parcels.volume_l", FLOAT, "total volume of all parcels, litres"),
        _f("parcels.max_length_cm", FLOAT, "longest side of any parcel, cm"),
        _f("parcels.count", INT, "number of parcels"),
        _f("destination.zone", STR, "delivery zone id", optional=True),
        _f("destination.postal_code", STR, "destination postal code", optional=True),
        _f("now.local_hour", INT, "hour of the request's clock in the operation's time zone"),
        _f("now.local_minutes", INT, "minutes since local midnight of the request's clock"),
        _f("now.weekday", INT, "ISO weekday of the request's local date, 1 = Monday .. 7"),
        _f("carrier.id", STR, "carrier id as sent in the request", ONLY_ELIGIBILITY),
        _f(
            "carrier.kind",
            ENUM,
            "kind of carrier",
            ONLY_ELIGIBILITY,
            choices=NAMES_CARRIER_KIND,
            enum="CarrierKind",
        ),
        _f(
            "carrier.capabilities",
            SET,
            "what the carrier can do",
            ONLY_ELIGIBILITY,
            choices=NAMES_CAPABILITY,
            enum="Capability",
        ),
        _f("carrier.emissions_g_per_km", FLOAT, "g CO2e per km", ONLY_ELIGIBILITY),
        _f("carrier.reliability", FLOAT, "historical on-time rate, 0..1", ONLY_ELIGIBILITY),
        _f(
            "carrier.max_weight_kg",
            FLOAT,
            "per-order weight limit (missing = no limit)",
            ONLY_ELIGIBILITY,
            optional=True,
        ),
        _f("carrier.has_same_day", BOOL, "carrier offers same-day delivery", ONLY_ELIGIBILITY),
        _f(
            "carrier.same_day_cutoff_minutes",
            INT,
            "same-day cut-off, minutes after local midnight (missing = no same day)",
            ONLY_ELIGIBILITY,
            optional=True,
        ),
        _f(
            "carrier.past_same_day_cutoff",
            BOOL,
            "true when the carrier has no same day or now is after its cut-off",
            ONLY_ELIGIBILITY,
        ),
        _f("carrier.lead_time_minutes", FLOAT, "handover to earliest delivery", ONLY_ELIGIBILITY),
        _f("carrier.has_slots", BOOL, "capacity-limited by slots", ONLY_ELIGIBILITY),
        _f(
            "pair.zone_served",
            BOOL,
            "carrier serves the order's zone (true when the order has no zone)",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.over_weight_limit",
            BOOL,
            "parcels.weight_kg > the carrier's max weight",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.over_volume_limit",
            BOOL,
            "parcels.volume_l > the carrier's max volume",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.over_size_limit",
            BOOL,
            "parcels.max_length_cm > the carrier's max length",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.over_parcel_limit",
            BOOL,
            "parcels.count > the carrier's max parcels per order",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.missing_capabilities",
            SET,
            "capabilities the order's requirements need that the carrier lacks",
            ONLY_ELIGIBILITY,
            choices=NAMES_CAPABILITY,
            enum="Capability",
        ),
        _f(
            "pair.capabilities_met",
            BOOL,
            "the carrier has every capability the order's requirements need",
            ONLY_ELIGIBILITY,
        ),
        _f(
            "pair.lead_time_fits",
            BOOL,
            "now + the carrier's lead time <= the promise end",
            ONLY_ELIGIBILITY,
        ),
    )
}

ATTRIBUTE_PREFIX: Final = "order.attributes."
ATTRIBUTE_TYPES: Final = (STR, INT, FLOAT, BOOL)

OPERATORS: Final[dict[str, str]] = {
    "eq": "equal to",
    "ne": "not equal to (false when the field is missing)",
    "lt": "less than",
    "lte": "less than or equal to",
    "gt": "greater than",
    "gte": "greater than or equal to",
    "in": "equal to one of a list",
    "not_in": "equal to none of a list (false when the field is missing)",
    "contains": "a set field contains this element",
    "exists": "`true`: the field is present; `false`: it is missing",
}
COMBINATORS: Final[dict[str, str]] = {
    "all": "every listed condition holds",
    "any": "at least one listed condition holds",
    "none": "no listed condition holds (true on missing fields)",
}
OPS_BY_TYPE: Final[dict[str, tuple[str, ...]]] = {
    BOOL: ("eq", "ne", "exists"),
    INT: ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists"),
    FLOAT: ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "exists"),
    STR: ("eq", "ne", "in", "not_in", "exists"),
    ENUM: ("eq", "ne", "in", "not_in", "exists"),
    SET: ("contains",),
}


@dataclass(frozen=True, slots=True)
class EffectSpec:
    name: str
    decisions: frozenset[str]
    value: str
    doc: str


EFFECTS: Final[dict[str, EffectSpec]] = {
    e.name: e
    for e in (
        EffectSpec(
            "set_service_level",
            frozenset({SERVICE_LEVEL}),
            "ServiceLevel name",
            "the order's service level",
        ),
        EffectSpec(
            "add_requirement",
            frozenset({REQUIREMENTS}),
            "Requirement name or list",
            "add handling requirements",
        ),
        EffectSpec(
            "remove_requirement",
            frozenset({REQUIREMENTS}),
            "Requirement name or list",
            "drop requirements added by earlier rows",
        ),
        EffectSpec(
            "set_max_ride_minutes",
            frozenset({REQUIREMENTS}),
            "integer > 0",
            "maximum time in vehicle (cold chain)",
        ),
        EffectSpec(
            "set_delivery_hours",
            frozenset({REQUIREMENTS}),
            "{from: h, to: h}, 0 <= from < to <= 24",
            "local hours in which delivery is allowed (regulated goods)",
        ),
        EffectSpec(
            "exclude",
            frozenset({ELIGIBILITY}),
            "Reason name; the row's `message` is required",
            "the carrier may not take the order",
        ),
        EffectSpec(
            "allow",
            frozenset({ELIGIBILITY}),
            "true (first-hit tables only)",
            "the carrier may take the order; stops a first-hit table",
        ),
    )
}

# Strings that look like code are refused even though nothing is ever evaluated: an author who
# writes them expects execution, and must be told it will not happen.
CODE_PATTERNS: Final = (
    r"__\w+__",
    r"\blambda\b[^:]{0,40}:",
    r"\b(?:eval|exec|compile|getattr|setattr|globals|locals|open|__import__)\s*\(",
    r"\bimport\s+(?:os|sys|subprocess|builtins|shutil|socket)\b",
    r"\bos\.(?:system|popen|remove)\b",
    r"\bsubprocess\.",
    r"!!python",
)


def vocabulary_markdown() -> str:
    """The vocabulary tables of rules/README.md (a test keeps the README in step)."""
    where = {
        ORDER_STAGES: "all",
        AFTER_SERVICE_LEVEL: "requirements, eligibility",
        ONLY_ELIGIBILITY: "eligibility",
    }
    lines = [
        "| field | type | tables | may be missing | meaning |",
        "|---|---|---|---|---|",
    ]
    for spec in FIELDS.values():
        kind = spec.type
        if spec.enum:
            kind = f"{spec.type} of {spec.enum}" if spec.type == SET else spec.enum
        elif spec.type == SET:
            kind = "set of tags"
        elif spec.choices:
            kind = "str: " + " / ".join(spec.choices)
        lines.append(
            f"| `{spec.name}` | {kind} | {where[spec.stages]} | "
            f"{'yes' if spec.optional else ''} | {spec.doc} |"
        )
    lines.append(
        "| `order.attributes.<key>` | as declared in `schema.attributes` | all | yes | "
        "a request attribute, parsed to its declared type |"
    )
    lines += ["", "| operator | field types | meaning |", "|---|---|---|"]
    for op, doc in OPERATORS.items():
        types = ", ".join(t for t, ops in OPS_BY_TYPE.items() if op in ops)
        lines.append(f"| `{op}` | {types} | {doc} |")
    lines += ["", "| combinator | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {doc} |" for name, doc in COMBINATORS.items()]
    lines += ["", "| effect | tables | value | meaning |", "|---|---|---|---|"]
    for e in EFFECTS.values():
        tables = ", ".join(d for d in DECISIONS if d in e.decisions)
        lines.append(f"| `{e.name}` | {tables} | {e.value} | {e.doc} |")
    lines += ["", "| hit policy | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {doc} |" for name, doc in HIT_POLICIES.items()]
    return "\n".join(lines) + "\n"
