"""Turn rule-file text into a validated `RuleSet`, or into `file:line: table/rule: message` issues.

Everything is checked before durable-rules sees it, because the engine accepts unknown operators
and attributes silently and reports real errors as bare numbers. Every unknown name gets a
"did you mean" from difflib. Validation never raises on bad input and never executes anything.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from typing import TYPE_CHECKING, Any

from rules import compiler
from rules.model import (
    AttributeSpec,
    CarrierCase,
    Cmp,
    Combo,
    Condition,
    Effect,
    Issue,
    OrderCase,
    Row,
    RuleSet,
    Schema,
    Table,
    TestCase,
)
from rules.vocabulary import (
    ATTRIBUTE_PREFIX,
    ATTRIBUTE_TYPES,
    BOOL,
    CODE_PATTERNS,
    COMBINATORS,
    DECISIONS,
    EFFECTS,
    ELIGIBILITY,
    ENUM,
    FIELDS,
    FLOAT,
    HIT_POLICIES,
    INT,
    NAMES_CAPABILITY,
    NAMES_CARRIER_KIND,
    NAMES_REASON,
    NAMES_REQUIREMENT,
    NAMES_SERVICE_LEVEL,
    OPERATORS,
    OPS_BY_TYPE,
    ORDER_STAGES,
    SERVICE_LEVEL,
    SET,
    STR,
    FieldSpec,
)
from rules.yamlio import LineDict, LineList, load_yaml
from solver.domain import Capability, CarrierKind, Reason, Requirement, ServiceLevel

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

ENUMS: dict[str, Any] = {
    "ServiceLevel": ServiceLevel,
    "Requirement": Requirement,
    "Capability": Capability,
    "CarrierKind": CarrierKind,
}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TIME_RE = re.compile(r"^(?:\+(\d{1,2})d\s+)?(\d{1,2}):(\d{2})$")
NOW_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$")
DEFAULT_NOW = "2025-06-03 10:00"
CATCH_ALL_WORD = "always"
TABLE_KEYS = ("table", "decision", "hit_policy", "description", "rows", "tests", "test_carriers")
SCHEMA_KEYS = ("tags", "attributes", "timezone")
ATTRIBUTE_KEYS = ("type", "values", "doc")
ROW_KEYS = ("id", "when", "then", "message", "description")
TEST_KEYS = ("name", "now", "order", "carrier", "expect")
ORDER_KEYS = (
    "tags",
    "weight_kg",
    "volume_l",
    "max_length_cm",
    "parcel_count",
    "zone",
    "postal_code",
    "green",
    "contactless",
    "signature_wanted",
    "declared_value_cents",
    "origin_site",
    "deadline",
    "windows",
    "attributes",
)
CARRIER_KEYS = (
    "id",
    "kind",
    "capabilities",
    "zones",
    "max_weight_kg",
    "max_volume_l",
    "max_length_cm",
    "max_parcels",
    "same_day_cutoff",
    "lead_time_minutes",
    "emissions_g_per_km",
    "reliability",
    "has_slots",
)
EXPECT_KEYS = (
    "service_level",
    "service_level_by",
    "requirements",
    "max_ride_minutes",
    "delivery_hours",
    "eligible",
    "reason",
    "by",
)
NO_PARCEL_LIMIT = 1 << 31
_CODE_RES = [re.compile(p) for p in CODE_PATTERNS]


def did_you_mean(word: str, choices: Any) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def content_version(files: Mapping[str, str]) -> str:
    """sha256 over the (file name, content) pairs sorted by name, first 12 hex: the rules
    version. Only the file name counts, not its directory (`rules/tables/eligibility.yaml` and
    `eligibility.yaml` hash alike), so the same files give the same version wherever they are
    deployed and when sent to ValidateRules."""
    digest = hashlib.sha256()
    for base, name in sorted((name.rsplit("/", 1)[-1], name) for name in files):
        digest.update(base.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


class _Ctx:
    """Collects issues for one file and knows the schema and the decision being read."""

    def __init__(self, file: str, issues: list[Issue], schema: Schema) -> None:
        self.file = file
        self.issues = issues
        self.schema = schema
        self.decision = ""
        self.where = ""
        self.failed = False

    def err(self, line: int, message: str, where: str | None = None) -> None:
        self.failed = True
        self.issues.append(Issue(self.file, line, self.where if where is None else where, message))

    def unknown_keys(self, node: LineDict, allowed: tuple[str, ...], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.err(
                    node.line_of(key),
                    f"unknown {what} key '{key}'{did_you_mean(key, allowed)}; "
                    f"expected one of: {', '.join(allowed)}",
                )


def load_texts(files: Mapping[str, str]) -> tuple[RuleSet | None, list[Issue]]:
    """Validate rule files given as {label: text}.

    Parameters
    ----------
    files
        Rule file contents keyed by the label used in messages (e.g. "tables/eligibility.yaml").

    Returns
    -------
    tuple
        The rule set (None when any issue was found) and every issue, sorted by file and line.
    """
    issues: list[Issue] = []
    docs: dict[str, LineDict] = {}
    for name in sorted(files):
        data, problems = load_yaml(files[name])
        issues.extend(Issue(name, p.line, "", p.message) for p in problems)
        if problems:
            continue
        if data is None:
            issues.append(Issue(name, 1, "", "empty file"))
            continue
        for line, text in _strings(data, 1):
            for rx in _CODE_RES:
                m = rx.search(text)
                if m:
                    issues.append(
                        Issue(
                            name,
                            line,
                            "",
                            f"text looks like code ({m.group(0)!r}): rule files are data and "
                            "nothing in them is executed",
                        )
                    )
                    break
        if not isinstance(data, LineDict):
            issues.append(Issue(name, 1, "", "expected a mapping with `table:` or `schema:`"))
            continue
        docs[name] = data
    if any(i.message.startswith("text looks like code") for i in issues):
        return None, _sorted(issues)

    schema = Schema()
    schema_files = [n for n, d in docs.items() if "schema" in d]
    for extra in schema_files[1:]:
        issues.append(Issue(extra, docs[extra].line_of("schema"), "", "a second schema file"))
    if schema_files:
        schema = _schema(docs[schema_files[0]], _Ctx(schema_files[0], issues, schema))

    tables: dict[str, Table] = {}
    row_ids: dict[str, Row] = {}
    table_names: dict[str, str] = {}
    raw_tests: list[tuple[_Ctx, LineDict, Table]] = []
    for name, doc in docs.items():
        if "schema" in doc:
            continue
        ctx = _Ctx(name, issues, schema)
        if "table" not in doc:
            keys = list(doc)
            ctx.err(
                doc.line,
                "expected `table:` (a decision table) or `schema:`"
                + (did_you_mean(keys[0], ("table", "schema")) if keys else ""),
            )
            continue
        table = _table(doc, ctx)
        if table is None:
            continue
        if table.name in table_names:
            ctx.err(
                table.line, f"duplicate table '{table.name}' (also in {table_names[table.name]})"
            )
        table_names[table.name] = name
        if table.decision in tables:
            other = tables[table.decision]
            ctx.err(
                table.line,
                f"a second {table.decision} table (first: {other.file}:{other.line} "
                f"'{other.name}'); use one table per decision",
                table.name,
            )
            continue
        for row in table.rows:
            first = row_ids.get(row.id)
            if first is not None:
                ctx.err(
                    row.line,
                    f"duplicate rule id '{row.id}' (first at {first.file}:{first.line})",
                    f"{table.name}/{row.id}",
                )
            else:
                row_ids[row.id] = row
        tables[table.decision] = table
        if "tests" in doc:
            raw_tests.append((ctx, doc, table))
    unreadable = any(name not in docs for name in files)
    for decision in DECISIONS:
        if decision not in tables and not unreadable:
            issues.append(
                Issue(
                    "rules",
                    0,
                    "",
                    f"no {decision} table: add a file with `decision: {decision}`",
                )
            )

    tests: list[TestCase] = []
    declared: dict[str, list[str]] = {}  # row ids per decision, also of rows that had errors
    for doc in docs.values():
        rows = doc.get("rows")
        if isinstance(doc.get("decision"), str) and isinstance(rows, LineList):
            ids = [r.get("id") for r in rows if isinstance(r, LineDict)]
            declared.setdefault(doc["decision"], []).extend(i for i in ids if isinstance(i, str))
    for ctx, doc, table in raw_tests:
        tests.extend(_tests(doc, ctx, table, declared))

    if issues:
        return None, _sorted(issues)
    ordered = {d: tables[d] for d in DECISIONS}
    for problem in compiler.limits(ordered, {k: a.type for k, a in schema.attributes.items()}):
        issues.append(problem)
    if issues:
        return None, _sorted(issues)
    return (
        RuleSet(
            version=content_version(files),
            files=tuple(sorted(files)),
            tables=ordered,
            schema=schema,
            tests=tuple(tests),
        ),
        [],
    )


def _sorted(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.file, i.line))


def _strings(node: Any, line: int) -> Iterator[tuple[int, str]]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            kl = node.line_of(key)
            yield kl, key
            yield from _strings(value, kl)
    elif isinstance(node, LineList):
        for item, il in zip(node, node.item_lines, strict=True):
            yield from _strings(item, il)
    elif isinstance(node, str):
        yield line, node


# ---------------------------------------------------------------------------------------------
# schema


def _schema(doc: LineDict, ctx: _Ctx) -> Schema:
    ctx.unknown_keys(doc, ("schema",), "top-level")
    body = doc["schema"]
    ctx.where = "schema"
    if not isinstance(body, LineDict):
        ctx.err(doc.line_of("schema"), "schema must be a mapping of tags, attributes, timezone")
        return Schema(file=ctx.file)
    ctx.unknown_keys(body, SCHEMA_KEYS, "schema")
    tags: list[str] = []
    raw_tags = body.get("tags", LineList())
    if not isinstance(raw_tags, LineList):
        ctx.err(body.line_of("tags"), "tags must be a list of lower-case names")
    else:
        for tag, line in zip(raw_tags, raw_tags.item_lines, strict=True):
            if not isinstance(tag, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", tag):
                ctx.err(line, f"tag {tag!r} must be lower-case text")
            elif tag in tags:
                ctx.err(line, f"duplicate tag '{tag}'")
            else:
                tags.append(tag)
    attributes: dict[str, AttributeSpec] = {}
    raw_attrs = body.get("attributes", LineDict())
    if not isinstance(raw_attrs, LineDict):
        ctx.err(body.line_of("attributes"), "attributes must map a key to {type: ..., doc: ...}")
    else:
        for key, spec in raw_attrs.items():
            line = raw_attrs.line_of(key)
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", key):
                ctx.err(line, f"attribute key '{key}' must be lower_snake_case")
                continue
            if not isinstance(spec, LineDict):
                ctx.err(line, f"attribute '{key}' needs a mapping {{type: ..., doc: ...}}")
                continue
            ctx.unknown_keys(spec, ATTRIBUTE_KEYS, "attribute")
            type_ = spec.get("type")
            if type_ not in ATTRIBUTE_TYPES:
                ctx.err(
                    spec.line_of("type"),
                    f"attribute '{key}': type {type_!r} is not one of "
                    f"{', '.join(ATTRIBUTE_TYPES)}{did_you_mean(str(type_), ATTRIBUTE_TYPES)}",
                )
                continue
            values: tuple[str, ...] = ()
            if "values" in spec:
                raw_values = spec["values"]
                if type_ != STR or not isinstance(raw_values, LineList) or not raw_values:
                    ctx.err(spec.line_of("values"), "values: a non-empty list, for str only")
                elif not all(isinstance(v, str) for v in raw_values):
                    ctx.err(spec.line_of("values"), "values must be text; quote numbers")
                else:
                    values = tuple(raw_values)
            doc_text = spec.get("doc", "")
            attributes[key] = AttributeSpec(key, str(type_), values, str(doc_text), line)
    timezone = body.get("timezone", "UTC")
    if not isinstance(timezone, str):
        ctx.err(body.line_of("timezone"), "timezone must be an IANA name, e.g. Europe/Berlin")
        timezone = "UTC"
    else:
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(timezone)
        except (KeyError, ValueError, OSError):
            ctx.err(body.line_of("timezone"), f"unknown time zone '{timezone}'")
            timezone = "UTC"
    return Schema(tuple(tags), attributes, timezone, ctx.file)


# ---------------------------------------------------------------------------------------------
# tables, rows, conditions, effects


def _table(doc: LineDict, ctx: _Ctx) -> Table | None:
    ctx.unknown_keys(doc, TABLE_KEYS, "table")
    name = doc.get("table")
    if not isinstance(name, str) or not ID_RE.match(name):
        ctx.err(doc.line_of("table"), f"table name {name!r} must be an id like 'service-level'")
        return None
    ctx.where = name
    decision = doc.get("decision")
    if decision not in DECISIONS:
        hint = did_you_mean(str(decision), DECISIONS) if decision is not None else ""
        ctx.err(
            doc.line_of("decision"),
            f"decision {decision!r} is not one of {', '.join(DECISIONS)}{hint}",
        )
        return None
    ctx.decision = str(decision)
    policy = doc.get("hit_policy")
    if not isinstance(policy, str) or policy not in HIT_POLICIES:
        hint = did_you_mean(str(policy), HIT_POLICIES) if policy is not None else ""
        ctx.err(
            doc.line_of("hit_policy"),
            f"bad hit policy {policy!r}{hint}: use one of {', '.join(HIT_POLICIES)}",
        )
        return None
    description = doc.get("description", "")
    raw_rows = doc.get("rows")
    if not isinstance(raw_rows, LineList) or not raw_rows:
        ctx.err(doc.line_of("rows"), "rows must be a non-empty list of rules")
        return None
    rows: list[Row] = []
    for item, line in zip(raw_rows, raw_rows.item_lines, strict=True):
        row = _row(item, line, len(rows), ctx, name, str(policy))
        if row is not None:
            rows.append(row)
    table = Table(
        name, ctx.decision, str(policy), ctx.file, doc.line, tuple(rows), str(description)
    )
    _table_checks(table, ctx)
    return table


def _row(node: Any, line: int, index: int, ctx: _Ctx, table: str, policy: str) -> Row | None:
    if not isinstance(node, LineDict):
        ctx.err(line, "a row must be a mapping with id, when, then", table)
        return None
    row_id = node.get("id")
    if not isinstance(row_id, str) or not ID_RE.match(row_id):
        ctx.err(node.line, f"row id {row_id!r} must be an id like 'same-day-window'", table)
        return None
    ctx.where = f"{table}/{row_id}"
    ctx.failed = False
    ctx.unknown_keys(node, ROW_KEYS, "row")
    when: Condition | None = None
    if "when" in node and node["when"] != CATCH_ALL_WORD:
        parsed = _cond(node["when"], node.line_of("when"), ctx)
        if parsed is None:
            ctx.where = table
            return None
        when = parsed
    effects = _effects(node.get("then"), node.line_of("then"), ctx, policy)
    message = node.get("message", "")
    if not isinstance(message, str):
        ctx.err(node.line_of("message"), "message must be text")
        message = ""
    if any(e.name == "exclude" for e in effects) and not message.strip():
        ctx.err(node.line, "an exclude row needs a `message`: the sentence shown to people")
    failed = ctx.failed
    ctx.where = table
    if failed:
        return None
    return Row(row_id, ctx.decision, table, ctx.file, node.line, when, effects, message, index)


def _cond(node: Any, line: int, ctx: _Ctx) -> Condition | None:
    if isinstance(node, LineList):
        if not node:
            ctx.err(
                line,
                "empty condition list; omit `when` (or write `when: always`) for a catch-all row",
            )
            return None
        items = [_cond(x, il, ctx) for x, il in zip(node, node.item_lines, strict=True)]
        if any(i is None for i in items):
            return None
        conds = tuple(i for i in items if i is not None)
        return conds[0] if len(conds) == 1 else Combo("all", conds, node.line)
    if isinstance(node, LineDict):
        if not node:
            ctx.err(line, "empty condition; omit `when` (or write `when: always`) for a catch-all")
            return None
        parts: list[Condition] = []
        ok = True
        for key, value in node.items():
            kl = node.line_of(key)
            if key in COMBINATORS:
                if not isinstance(value, LineList) or not value:
                    ctx.err(kl, f"'{key}' needs a non-empty list of conditions")
                    ok = False
                    continue
                subs = [_cond(x, il, ctx) for x, il in zip(value, value.item_lines, strict=True)]
                if any(s is None for s in subs):
                    ok = False
                    continue
                parts.append(Combo(key, tuple(s for s in subs if s is not None), kl))
                continue
            spec = _field(key, kl, ctx)
            if spec is None:
                ok = False
                continue
            if isinstance(value, LineDict):
                if not value:
                    ctx.err(kl, f"'{key}' needs an operator, e.g. {{eq: ...}}")
                    ok = False
                for op, operand in value.items():
                    cmp_ = _cmp(spec, op, operand, value.line_of(op), ctx)
                    if cmp_ is None:
                        ok = False
                    else:
                        parts.append(cmp_)
            elif isinstance(value, LineList):
                ctx.err(kl, f"to compare '{key}' with a list write `{key}: {{in: [...]}}`")
                ok = False
            else:
                cmp_ = _cmp(spec, "contains" if spec.type == SET else "eq", value, kl, ctx)
                if cmp_ is None:
                    ok = False
                else:
                    parts.append(cmp_)
        if not ok:
            return None
        return parts[0] if len(parts) == 1 else Combo("all", tuple(parts), node.line)
    ctx.err(
        line,
        f"expected a condition (`field: {{operator: value}}` or all/any/none), got {node!r}",
    )
    return None


def _field(name: str, line: int, ctx: _Ctx) -> FieldSpec | None:
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name[len(ATTRIBUTE_PREFIX) :]
        attr = ctx.schema.attributes.get(key)
        if attr is None:
            declared = list(ctx.schema.attributes)
            ctx.err(
                line,
                f"unknown attribute '{key}'{did_you_mean(key, declared)}: declare it under "
                "schema.attributes (orders are checked against the same schema)",
            )
            return None
        return attribute_field(attr)
    spec = FIELDS.get(name)
    if spec is None:
        if name in OPERATORS:
            ctx.err(line, f"'{name}' is an operator; write `field: {{{name}: value}}`")
            return None
        choices = list(FIELDS) + [ATTRIBUTE_PREFIX + k for k in ctx.schema.attributes]
        ctx.err(line, f"unknown field '{name}'{did_you_mean(name, choices)}")
        return None
    if ctx.decision not in spec.stages:
        where = ", ".join(d for d in DECISIONS if d in spec.stages)
        ctx.err(
            line,
            f"field '{name}' cannot be read in a {ctx.decision} table (available in: {where})",
        )
        return None
    return spec


def attribute_field(attr: AttributeSpec) -> FieldSpec:
    """The FieldSpec of a declared order attribute (always optional)."""
    return FieldSpec(
        ATTRIBUTE_PREFIX + attr.key,
        attr.type,
        attr.doc,
        ORDER_STAGES,
        optional=True,
        choices=attr.values,
    )


def _cmp(spec: FieldSpec, op: str, operand: Any, line: int, ctx: _Ctx) -> Cmp | None:
    if op not in OPERATORS:
        if op in COMBINATORS:
            ctx.err(
                line,
                f"'{op}' combines conditions; put it above the fields, not under '{spec.name}'",
            )
        else:
            ctx.err(line, f"unknown operator '{op}'{did_you_mean(op, OPERATORS)}")
        return None
    allowed = OPS_BY_TYPE[spec.type]
    if op not in allowed:
        ctx.err(
            line,
            f"operator '{op}' does not apply to {spec.type} field '{spec.name}' "
            f"(use {', '.join(allowed)})",
        )
        return None
    if op == "exists":
        if not isinstance(operand, bool):
            ctx.err(line, f"exists takes true or false, got {operand!r}")
            return None
        return Cmp(spec.name, op, operand, line)
    if op in ("in", "not_in"):
        if not isinstance(operand, LineList) or not operand:
            ctx.err(line, f"'{op}' takes a non-empty list, got {operand!r}")
            return None
        values: list[Any] = []
        for item in operand:
            v = _scalar(spec, item, line, ctx)
            if v is _BAD:
                return None
            if v not in values:
                values.append(v)
        return Cmp(spec.name, op, tuple(values), line)
    if op == "contains":
        v = _element(spec, operand, line, ctx)
        return None if v is _BAD else Cmp(spec.name, op, v, line)
    if op in ("lt", "lte", "gt", "gte") and spec.type not in (INT, FLOAT):
        ctx.err(line, f"'{op}' needs a numeric field")
        return None
    v = _scalar(spec, operand, line, ctx)
    return None if v is _BAD else Cmp(spec.name, op, v, line)


_BAD: Any = object()


def _scalar(spec: FieldSpec, value: Any, line: int, ctx: _Ctx) -> Any:
    name = spec.name
    if spec.type == BOOL:
        if not isinstance(value, bool):
            ctx.err(line, f"'{name}' is a bool: compare with true or false, got {value!r}")
            return _BAD
        return value
    if spec.type == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.err(line, f"'{name}' is an integer, got {value!r}")
            return _BAD
        return value
    if spec.type == FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            ctx.err(line, f"'{name}' is a number, got {value!r}")
            return _BAD
        if not math.isfinite(value):
            ctx.err(line, f"'{name}': {value!r} is not a finite number")
            return _BAD
        return float(value)
    if spec.type == STR:
        if not isinstance(value, str):
            ctx.err(line, f"'{name}' is text, got {value!r}: quote it, e.g. '{value}'")
            return _BAD
        if spec.choices and value not in spec.choices:
            ctx.err(
                line,
                f"'{name}' is never {value!r}{did_you_mean(value, spec.choices)}; "
                f"values: {', '.join(spec.choices)}",
            )
            return _BAD
        return value
    if spec.type == ENUM:
        if not isinstance(value, str) or value not in spec.choices:
            ctx.err(
                line,
                f"unknown {spec.enum} {value!r}{did_you_mean(str(value), spec.choices)}",
            )
            return _BAD
        return int(ENUMS[spec.enum][value])
    ctx.err(line, f"'{name}' is a set: use `contains`")
    return _BAD


def _element(spec: FieldSpec, value: Any, line: int, ctx: _Ctx) -> Any:
    if spec.enum:
        if not isinstance(value, str) or value not in spec.choices:
            ctx.err(
                line,
                f"unknown {spec.enum} {value!r}{did_you_mean(str(value), spec.choices)}",
            )
            return _BAD
        return int(ENUMS[spec.enum][value])
    if not isinstance(value, str):
        ctx.err(line, f"'{spec.name}' holds text elements, got {value!r}")
        return _BAD
    if value not in ctx.schema.tags:
        ctx.err(
            line,
            f"unknown tag '{value}'{did_you_mean(value, ctx.schema.tags)}: declare it under "
            "schema.tags",
        )
        return _BAD
    return value


def _enum_list(value: Any, line: int, names: tuple[str, ...], enum: str, ctx: _Ctx) -> Any:
    items = list(value) if isinstance(value, LineList) else [value]
    if not items:
        ctx.err(line, f"expected a {enum} name or a non-empty list")
        return _BAD
    out: list[int] = []
    for item in items:
        if not isinstance(item, str) or item not in names:
            ctx.err(line, f"unknown {enum} {item!r}{did_you_mean(str(item), names)}")
            return _BAD
        v = int(ENUMS[enum][item])
        if v not in out:
            out.append(v)
    return tuple(out)


def _effects(node: Any, line: int, ctx: _Ctx, policy: str) -> tuple[Effect, ...]:
    if not isinstance(node, LineDict) or not node:
        ctx.err(
            line,
            "`then` must map at least one effect to its value, e.g. {set_service_level: STANDARD}",
        )
        return ()
    out: list[Effect] = []
    for name, value in node.items():
        el = node.line_of(name)
        spec = EFFECTS.get(name)
        if spec is None:
            ctx.err(el, f"unknown effect '{name}'{did_you_mean(name, EFFECTS)}")
            continue
        if ctx.decision not in spec.decisions:
            allowed = [e for e, s in EFFECTS.items() if ctx.decision in s.decisions]
            ctx.err(
                el,
                f"effect '{name}' is not allowed in a {ctx.decision} table "
                f"(allowed: {', '.join(allowed)})",
            )
            continue
        v: Any = _BAD
        if name == "set_service_level":
            if isinstance(value, str) and value in NAMES_SERVICE_LEVEL:
                v = int(ServiceLevel[value])
            else:
                ctx.err(
                    el,
                    f"unknown ServiceLevel {value!r}"
                    f"{did_you_mean(str(value), NAMES_SERVICE_LEVEL)}",
                )
        elif name in ("add_requirement", "remove_requirement"):
            v = _enum_list(value, el, NAMES_REQUIREMENT, "Requirement", ctx)
        elif name == "set_max_ride_minutes":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1440:
                ctx.err(el, f"set_max_ride_minutes takes whole minutes in 1..1440, got {value!r}")
            else:
                v = value
        elif name == "set_delivery_hours":
            v = _hours(value, el, ctx)
        elif name == "exclude":
            if isinstance(value, str) and value in NAMES_REASON:
                v = int(Reason[value])
            else:
                ctx.err(
                    el,
                    f"unknown reason {value!r}{did_you_mean(str(value), NAMES_REASON)}; "
                    "write `exclude: REASON` and put the sentence in the row's `message`",
                )
        elif name == "allow":
            if value is not True:
                ctx.err(el, "allow takes `true`")
            elif policy != "first":
                ctx.err(el, "allow only makes sense in a first-hit table")
            else:
                v = True
        if v is not _BAD:
            out.append(Effect(name, v, el))
    names = {e.name for e in out}
    if {"exclude", "allow"} <= names:
        ctx.err(line, "a row cannot both exclude and allow")
    return tuple(out)


def _hours(value: Any, line: int, ctx: _Ctx) -> Any:
    if not isinstance(value, LineDict) or set(value) != {"from", "to"}:
        ctx.err(line, "set_delivery_hours takes {from: hour, to: hour}")
        return _BAD
    lo, hi = value["from"], value["to"]
    if any(isinstance(h, bool) or not isinstance(h, int) for h in (lo, hi)):
        ctx.err(line, "set_delivery_hours: hours are whole numbers")
        return _BAD
    if not 0 <= lo < hi <= 24:
        ctx.err(line, f"set_delivery_hours: expected 0 <= from < to <= 24, got {lo}..{hi}")
        return _BAD
    return (lo, hi)


def _table_checks(table: Table, ctx: _Ctx) -> None:
    ctx.where = table.name
    for row in table.rows:
        where = f"{table.name}/{row.id}"
        if table.decision == SERVICE_LEVEL and row.effect("set_service_level") is None:
            ctx.err(row.line, "a service_level row must set_service_level", where)
        if table.decision == ELIGIBILITY and not (row.effect("exclude") or row.effect("allow")):
            ctx.err(row.line, "an eligibility row must exclude or allow", where)
    if table.decision == SERVICE_LEVEL and not any(r.when is None for r in table.rows):
        ctx.err(
            table.line,
            "no catch-all row: an order matching no row would get no service level; "
            "end the table with a row without `when`",
        )
    if table.hit_policy != "first":
        return
    seen: dict[str, Row] = {}
    catch_all: Row | None = None
    for row in table.rows:
        where = f"{table.name}/{row.id}"
        if catch_all is not None:
            ctx.err(
                row.line,
                f"row can never fire: catch-all row '{catch_all.id}' (line {catch_all.line}) "
                "comes first in this first-hit table",
                where,
            )
            continue
        if row.when is None:
            catch_all = row
            continue
        key = repr(_canonical(row.when))
        earlier = seen.get(key)
        if earlier is not None:
            ctx.err(
                row.line,
                f"row can never fire: row '{earlier.id}' (line {earlier.line}) has the same "
                "condition and comes first in this first-hit table",
                where,
            )
        else:
            seen[key] = row


def _canonical(cond: Condition) -> Any:
    if isinstance(cond, Cmp):
        value = tuple(sorted(map(str, cond.value))) if isinstance(cond.value, tuple) else cond.value
        return ("cmp", cond.field, cond.op, value)
    items = sorted(repr(_canonical(c)) for c in cond.items)
    if cond.kind in ("all", "any") and len(items) == 1:
        return _canonical(cond.items[0])
    return (cond.kind, tuple(items))


# ---------------------------------------------------------------------------------------------
# test cases


def _tests(
    doc: LineDict, ctx: _Ctx, table: Table, declared: Mapping[str, list[str]]
) -> list[TestCase]:
    carriers: dict[str, CarrierCase] = {}
    raw_carriers = doc.get("test_carriers", LineDict())
    ctx.where = f"{table.name}/test_carriers"
    if not isinstance(raw_carriers, LineDict):
        ctx.err(doc.line_of("test_carriers"), "test_carriers maps a name to a carrier")
    else:
        for carrier_name, spec in raw_carriers.items():
            parsed = _carrier_case(spec, raw_carriers.line_of(carrier_name), ctx, carrier_name)
            if parsed is not None:
                carriers[carrier_name] = parsed
    raw = doc["tests"]
    if not isinstance(raw, LineList):
        ctx.err(doc.line_of("tests"), "tests must be a list of test cases")
        return []
    out: list[TestCase] = []
    names: set[str] = set()
    for node, line in zip(raw, raw.item_lines, strict=True):
        ctx.where = f"{table.name}/tests"
        if not isinstance(node, LineDict):
            ctx.err(line, "a test case is a mapping with name, order, expect")
            continue
        name = node.get("name")
        if not isinstance(name, str) or not name.strip():
            ctx.err(node.line, "a test case needs a `name`")
            continue
        ctx.where = f"{table.name}/test '{name}'"
        if name in names:
            ctx.err(node.line, "duplicate test name in this file")
        names.add(name)
        ctx.failed = False
        ctx.unknown_keys(node, TEST_KEYS, "test")
        now = node.get("now", DEFAULT_NOW)
        if not isinstance(now, str) or not NOW_RE.match(now):
            ctx.err(node.line_of("now"), f"now must be 'YYYY-MM-DD HH:MM' local, got {now!r}")
        order = _order_case(node.get("order", LineDict()), node.line_of("order"), ctx)
        carrier: CarrierCase | None = None
        if "carrier" in node:
            value = node["carrier"]
            if isinstance(value, str):
                carrier = carriers.get(value)
                if carrier is None:
                    ctx.err(
                        node.line_of("carrier"),
                        f"unknown test carrier '{value}'{did_you_mean(value, carriers)}",
                    )
            else:
                carrier = _carrier_case(value, node.line_of("carrier"), ctx, "carrier")
        expect = _expect(node.get("expect"), node.line_of("expect"), ctx, carrier, declared)
        if not ctx.failed and order is not None and expect is not None:
            out.append(TestCase(name, ctx.file, node.line, str(now), order, carrier, expect))
    return out


def _local_minutes(value: Any, line: int, ctx: _Ctx, what: str) -> int | None:
    if not isinstance(value, str) or not TIME_RE.match(value.strip()):
        ctx.err(line, f"{what}: expected 'HH:MM' or '+Nd HH:MM' (local), got {value!r}")
        return None
    m = TIME_RE.match(value.strip())
    assert m is not None
    days, hours, minutes = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        ctx.err(line, f"{what}: {value!r} is not a time of day")
        return None
    return days * 1440 + hours * 60 + minutes


def _num(node: LineDict, key: str, default: float, ctx: _Ctx, *, integer: bool = False) -> Any:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        ctx.err(node.line_of(key), f"{key} must be a number, got {value!r}")
        return default
    if integer and not isinstance(value, int):
        ctx.err(node.line_of(key), f"{key} must be a whole number, got {value!r}")
        return default
    if value < 0:
        ctx.err(node.line_of(key), f"{key} must be >= 0, got {value!r}")
        return default
    return value


def _flag(node: LineDict, key: str, ctx: _Ctx) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        ctx.err(node.line_of(key), f"{key} must be true or false, got {value!r}")
        return False
    return value


def _text(node: LineDict, key: str, ctx: _Ctx) -> str:
    value = node.get(key, "")
    if not isinstance(value, str):
        ctx.err(node.line_of(key), f"{key} must be text (quote numbers), got {value!r}")
        return ""
    return value


def _order_case(node: Any, line: int, ctx: _Ctx) -> OrderCase | None:
    if not isinstance(node, LineDict):
        ctx.err(line, "order must be a mapping")
        return None
    ctx.unknown_keys(node, ORDER_KEYS, "order")
    tags = node.get("tags", LineList())
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        ctx.err(node.line_of("tags"), "tags must be a list of names")
        tags = []
    deadline = -1
    windows: list[tuple[int, int]] = []
    if "deadline" in node and "windows" in node:
        ctx.err(node.line, "give a deadline or windows, not both")
    if "windows" in node:
        raw = node["windows"]
        if not isinstance(raw, LineList) or not raw:
            ctx.err(node.line_of("windows"), "windows: a list of [start, end] pairs")
        else:
            for pair, pl in zip(raw, raw.item_lines, strict=True):
                if not isinstance(pair, LineList) or len(pair) != 2:
                    ctx.err(pl, "a window is [start, end], e.g. ['+1d 10:00', '+1d 12:00']")
                    continue
                start = _local_minutes(pair[0], pl, ctx, "window start")
                end = _local_minutes(pair[1], pl, ctx, "window end")
                if start is not None and end is not None:
                    if end <= start:
                        ctx.err(pl, "window end must be after its start")
                    windows.append((start, end))
    else:
        value = _local_minutes(
            node.get("deadline", "+3d 18:00"), node.line_of("deadline"), ctx, "deadline"
        )
        deadline = value if value is not None else 0
    attributes: list[tuple[str, str]] = []
    raw_attrs = node.get("attributes", LineDict())
    if not isinstance(raw_attrs, LineDict):
        ctx.err(node.line_of("attributes"), "attributes must be a mapping")
    else:
        for key, value in raw_attrs.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int | float | str):
                text = str(value)
            else:
                ctx.err(raw_attrs.line_of(key), f"attribute {key}: a scalar value")
                continue
            attributes.append((key, text))
    return OrderCase(
        tags=tuple(tags),
        weight_kg=float(_num(node, "weight_kg", 1.0, ctx)),
        volume_l=float(_num(node, "volume_l", 5.0, ctx)),
        max_length_cm=float(_num(node, "max_length_cm", 30.0, ctx)),
        parcel_count=int(_num(node, "parcel_count", 1, ctx, integer=True)),
        zone=_text(node, "zone", ctx),
        postal_code=_text(node, "postal_code", ctx),
        green=_flag(node, "green", ctx),
        contactless=_flag(node, "contactless", ctx),
        signature_wanted=_flag(node, "signature_wanted", ctx),
        declared_value_cents=int(_num(node, "declared_value_cents", 0, ctx, integer=True)),
        origin_site=_text(node, "origin_site", ctx),
        deadline_min=deadline,
        windows_min=tuple(windows),
        attributes=tuple(attributes),
    )


def _carrier_case(node: Any, line: int, ctx: _Ctx, name: str) -> CarrierCase | None:
    if not isinstance(node, LineDict):
        ctx.err(line, f"carrier '{name}' must be a mapping with at least `kind`")
        return None
    ctx.unknown_keys(node, CARRIER_KEYS, "carrier")
    kind = node.get("kind")
    if kind not in NAMES_CARRIER_KIND:
        ctx.err(
            node.line_of("kind"),
            f"unknown CarrierKind {kind!r}{did_you_mean(str(kind), NAMES_CARRIER_KIND)}",
        )
        return None
    caps = (
        _enum_list(
            node.get("capabilities", LineList()) or LineList(),
            node.line_of("capabilities"),
            NAMES_CAPABILITY,
            "Capability",
            ctx,
        )
        if node.get("capabilities")
        else ()
    )
    if caps is _BAD:
        return None
    zones: tuple[str, ...] | None = None
    if "zones" in node:
        raw = node["zones"]
        if not isinstance(raw, LineList) or not all(isinstance(z, str) for z in raw):
            ctx.err(node.line_of("zones"), "zones: a list of zone ids (omit for every zone)")
        else:
            zones = tuple(raw)
    cutoff = -1
    if node.get("same_day_cutoff") is not None:
        value = _local_minutes(
            node["same_day_cutoff"], node.line_of("same_day_cutoff"), ctx, "same_day_cutoff"
        )
        cutoff = value if value is not None else -1
    inf = math.inf
    return CarrierCase(
        id=str(node.get("id", name)),
        kind=int(CarrierKind[str(kind)]),
        capabilities=tuple(caps),
        zones=zones,
        max_weight_kg=float(_num(node, "max_weight_kg", inf, ctx)),
        max_volume_l=float(_num(node, "max_volume_l", inf, ctx)),
        max_length_cm=float(_num(node, "max_length_cm", inf, ctx)),
        max_parcels=int(_num(node, "max_parcels", NO_PARCEL_LIMIT, ctx, integer=True)),
        same_day_cutoff_minutes=cutoff,
        lead_time_minutes=float(_num(node, "lead_time_minutes", 0, ctx)),
        emissions_g_per_km=float(_num(node, "emissions_g_per_km", 0, ctx)),
        reliability=float(_num(node, "reliability", 0.95, ctx)),
        has_slots=_flag(node, "has_slots", ctx),
    )


def _expect(
    node: Any,
    line: int,
    ctx: _Ctx,
    carrier: CarrierCase | None,
    declared: Mapping[str, list[str]],
) -> dict[str, Any] | None:
    if not isinstance(node, LineDict) or not node:
        ctx.err(line, "expect: a mapping of outcomes, e.g. {service_level: SAME_DAY}")
        return None
    ctx.unknown_keys(node, EXPECT_KEYS, "expect")
    out: dict[str, Any] = {}
    for key, value in node.items():
        kl = node.line_of(key)
        if key == "service_level":
            if value not in NAMES_SERVICE_LEVEL:
                ctx.err(
                    kl,
                    f"unknown ServiceLevel {value!r}"
                    f"{did_you_mean(str(value), NAMES_SERVICE_LEVEL)}",
                )
                continue
            out[key] = int(ServiceLevel[value])
        elif key == "requirements":
            items = value if isinstance(value, LineList) else None
            if items is None:
                ctx.err(kl, "requirements: a list (may be empty) of Requirement names")
                continue
            if not items:
                out[key] = ()
                continue
            v = _enum_list(items, kl, NAMES_REQUIREMENT, "Requirement", ctx)
            if v is not _BAD:
                out[key] = tuple(sorted(v))
        elif key in ("max_ride_minutes",):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                ctx.err(kl, f"{key}: whole minutes or null")
                continue
            out[key] = value
        elif key == "delivery_hours":
            if value is None:
                out[key] = None
            elif (
                isinstance(value, LineList)
                and len(value) == 2
                and all(isinstance(h, int) and not isinstance(h, bool) for h in value)
            ):
                out[key] = (value[0], value[1])
            else:
                ctx.err(kl, "delivery_hours: [from, to] or null")
        elif key == "eligible":
            if not isinstance(value, bool):
                ctx.err(kl, "eligible: true or false")
                continue
            out[key] = value
        elif key == "reason":
            if value not in NAMES_REASON:
                ctx.err(kl, f"unknown reason {value!r}{did_you_mean(str(value), NAMES_REASON)}")
                continue
            out[key] = int(Reason[value])
        elif key in ("by", "service_level_by"):
            decision = ELIGIBILITY if key == "by" else SERVICE_LEVEL
            ids = declared.get(decision, [])
            if value not in ids:
                ctx.err(kl, f"{key}: no {decision} rule '{value}'{did_you_mean(str(value), ids)}")
                continue
            out[key] = value
    if carrier is None and {"eligible", "reason", "by"} & set(out):
        ctx.err(line, "eligible / reason / by need a `carrier`")
        return None
    return out
