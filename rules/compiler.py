"""Compile validated tables into one durable-rules ruleset definition (data only, no actions).

Layout of the definition:
- every row becomes rule `r%04d` (its position in the rule set, fixed width so activations can be
  decoded by offset) with `pri` = that position, matching facts
  `{"$and": [{"k": <group>}, <condition>]}`; hit policies are applied in our code, not the
  engine's. An author's catch-all row (no `when`) is not compiled: it matches every fact by
  definition, and the hit-policy code treats it as matched;
- rule `zzzzz` is the lowest-priority catch-all (`$ex k`), so every fact starts at least one
  action and `delete_state` never meets a session without one (shared/notes/durable-rules.md);
- `in` compiles to `$or` of equalities and `not_in` to `$and` of `$neq` (no `$in` in the engine);
- `none` pushes the negation down; on an optional field the negation is `$or: [$nex, negated]`,
  because the engine (like our documented semantics) makes any comparison on a missing field
  false;
- set fields become one property per element used, present (as 1) only when the element is in
  the set: `order.tags contains alcohol` -> `$ex p3` (smaller facts, faster asserts); booleans
  are 0/1, enums their numbers.
Facts are grouped (`k` = 1, 2, ...): the service-level table (with the requirements table when it
does not read `order.service_level`), then requirements if separate, then eligibility (one fact
per order class x carrier).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rules.model import Cmp, Combo, Condition, Issue, Row, Table
from rules.vocabulary import (
    ATTRIBUTE_PREFIX,
    ELIGIBILITY,
    FIELDS,
    FLOAT,
    INT,
    REQUIREMENTS,
    SERVICE_LEVEL,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

CATCH_ALL = "zzzzz"  # same width as rule names, see rule_name
CATCH_ALL_PRI = 1_000_000
MAX_ROWS = 9999  # rule names are r0000..r9999: fixed width, parsed by offset in rules.engine
MAX_COMBINATORS = 15  # MAX_SEQUENCE_EXPRESSIONS 32 in rete.h: each $and/$or takes two slots
MAX_PROPERTIES = 240  # MAX_OBJECT_PROPERTIES 255, minus id, sid, k and headroom
_NEG = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DOLLAR = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@dataclass(frozen=True, slots=True)
class Prop:
    """One fact property: a field, or one element of a set field (then a 0/1 flag)."""

    name: str
    field: str
    element: Any = None


@dataclass(frozen=True, slots=True)
class Group:
    """Facts asserted together: the decisions they serve and the properties they carry."""

    k: int
    decisions: tuple[str, ...]
    props: tuple[Prop, ...]
    thresholds: Mapping[str, tuple[float, ...]]  # numeric field -> constants rules compare with

    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.field for p in self.props))


@dataclass(frozen=True, slots=True)
class Plan:
    """The compiled rule set: groups, the rows by rule number, and the engine definition."""

    groups: tuple[Group, ...]
    rows: tuple[Row, ...]  # rule r<i> is rows[i]
    definition_json: str

    def group_of(self, decision: str) -> Group:
        for g in self.groups:
            if decision in g.decisions:
                return g
        raise KeyError(decision)

    def definition(self) -> dict[str, Any]:
        """A fresh copy: the engine's Ruleset mutates definitions it is given."""
        out: dict[str, Any] = json.loads(self.definition_json)
        return out


def walk(cond: Condition | None) -> Iterator[Cmp]:
    """Every comparison in a condition."""
    if cond is None:
        return
    if isinstance(cond, Cmp):
        yield cond
    else:
        for item in cond.items:
            yield from walk(item)


def field_type(name: str, attributes: Mapping[str, str]) -> str:
    if name.startswith(ATTRIBUTE_PREFIX):
        return attributes[name[len(ATTRIBUTE_PREFIX) :]]
    return FIELDS[name].type


def is_optional(name: str) -> bool:
    return name.startswith(ATTRIBUTE_PREFIX) or FIELDS[name].optional


def plan(tables: Mapping[str, Table], attributes: Mapping[str, str]) -> Plan:
    """Group the tables, name the fact properties and build the engine definition.

    Parameters
    ----------
    tables
        The validated tables by decision (all three present).
    attributes
        Declared attribute key -> type, to type `order.attributes.*` fields.

    Returns
    -------
    Plan
    """
    sl, req, el = tables[SERVICE_LEVEL], tables[REQUIREMENTS], tables[ELIGIBILITY]
    req_reads_sl = any(c.field == "order.service_level" for r in req.rows for c in walk(r.when))
    layout = (
        [(SERVICE_LEVEL,), (REQUIREMENTS,), (ELIGIBILITY,)]
        if req_reads_sl
        else [(SERVICE_LEVEL, REQUIREMENTS), (ELIGIBILITY,)]
    )
    rows = tuple(r for t in (sl, req, el) for r in t.rows)
    counter = 0
    groups: list[Group] = []
    props_by_key: dict[tuple[int, str, Any], Prop] = {}
    for k, decisions in enumerate(layout, start=1):
        props: dict[tuple[str, Any], Prop] = {}
        thresholds: dict[str, set[float]] = {}
        for row in rows:
            if row.decision not in decisions:
                continue
            for c in walk(row.when):
                element = c.value if c.op == "contains" else None
                key = (c.field, element)
                if key not in props:
                    props[key] = Prop(f"p{counter}", c.field, element)
                    counter += 1
                if field_type(c.field, attributes) in (INT, FLOAT) and c.op != "exists":
                    values = c.value if isinstance(c.value, tuple) else (c.value,)
                    thresholds.setdefault(c.field, set()).update(float(v) for v in values)
        for (fld, element), prop in props.items():
            props_by_key[(k, fld, element)] = prop
        groups.append(
            Group(
                k,
                decisions,
                tuple(props.values()),
                {f: tuple(sorted(v)) for f, v in thresholds.items()},
            )
        )
    definition: dict[str, Any] = {}
    for i, row in enumerate(rows):
        group = next(g for g in groups if row.decision in g.decisions)

        def name_of(fld: str, element: Any, _k: int = group.k) -> str:
            return props_by_key[(_k, fld, element)].name

        if row.when is None:
            # An author's catch-all matches every fact by definition: the hit policies treat it
            # as matched, so the engine need not return one more activation per fact for it.
            continue
        tests: list[Any] = [{"k": group.k}]
        compiled = _expr(row.when, name_of, attributes)
        if "$and" in compiled and len(compiled) == 1:
            tests.extend(compiled["$and"])
        else:
            tests.append(compiled)
        definition[rule_name(i)] = {"pri": i, "all": [{"m": {"$and": tests}}]}
    definition[CATCH_ALL] = {"pri": CATCH_ALL_PRI, "all": [{"m": {"$ex": {"k": 1}}}]}
    return Plan(tuple(groups), rows, json.dumps(definition, ensure_ascii=False))


def rule_name(i: int) -> str:
    """Engine rule name of row i: fixed width, so activations can be parsed by offset."""
    return f"r{i:04d}"


def fact_value(value: Any) -> Any:
    """How a Python value is written in a fact or a rule (bool as 0/1)."""
    if isinstance(value, bool):
        return int(value)
    return value


def _expr(cond: Condition, prop: Any, attributes: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(cond, Combo):
        if cond.kind == "none":
            negs = [_neg(c, prop, attributes) for c in cond.items]
            return negs[0] if len(negs) == 1 else {"$and": negs}
        items = [_expr(c, prop, attributes) for c in cond.items]
        if len(items) == 1:
            return items[0]
        return {"$and" if cond.kind == "all" else "$or": items}
    return _cmp(cond.field, cond.op, cond.value, prop)


def _cmp(fld: str, op: str, value: Any, prop: Any) -> dict[str, Any]:
    if op == "contains":  # element flags are present only when the element is in the set
        return {"$ex": {prop(fld, value): 1}}
    p = prop(fld, None)
    if op == "exists":
        return {"$ex" if value else "$nex": {p: 1}}
    if op == "eq":
        return {p: fact_value(value)}
    if op in _DOLLAR:
        return {_DOLLAR[op]: {p: fact_value(value)}}
    if op == "in":
        eqs = [{p: fact_value(v)} for v in value]
        return eqs[0] if len(eqs) == 1 else {"$or": eqs}
    if op == "not_in":
        nes = [{"$neq": {p: fact_value(v)}} for v in value]
        return nes[0] if len(nes) == 1 else {"$and": nes}
    raise ValueError(f"unknown operator {op}")


def _neg(cond: Condition, prop: Any, attributes: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(cond, Combo):
        if cond.kind == "none":
            return _expr(Combo("any", cond.items, cond.line), prop, attributes)
        negs = [_neg(c, prop, attributes) for c in cond.items]
        if len(negs) == 1:
            return negs[0]
        return {"$or" if cond.kind == "all" else "$and": negs}
    fld, op, value = cond.field, cond.op, cond.value
    if op == "contains":
        return {"$nex": {prop(fld, value): 1}}
    if op == "exists":
        return _cmp(fld, op, not value, prop)
    if op in _NEG:
        negated = _cmp(fld, _NEG[op], value, prop)
    elif op == "in":
        negated = _cmp(fld, "not_in", value, prop)
    else:  # not_in
        negated = _cmp(fld, "in", value, prop)
    if is_optional(fld):
        return {"$or": [{"$nex": {prop(fld, None): 1}}, negated]}
    return negated


def _count(expr: Any) -> int:
    if isinstance(expr, dict):
        return sum((k in ("$and", "$or")) + _count(v) for k, v in expr.items())
    if isinstance(expr, list):
        return sum(_count(v) for v in expr)
    return 0


def limits(tables: Mapping[str, Table], attributes: Mapping[str, str]) -> list[Issue]:
    """Rows the engine would reject: too many nested groups, too many fact properties.

    Parameters
    ----------
    tables
        The validated tables by decision.
    attributes
        Declared attribute key -> type.

    Returns
    -------
    list[Issue]
        One issue per row or group over a limit of durable-rules' C engine.
    """
    compiled = plan(tables, attributes)
    definition = compiled.definition()
    issues: list[Issue] = []
    if len(compiled.rows) > MAX_ROWS:
        first = next(iter(tables.values()))
        issues.append(Issue(first.file, 0, "", f"more than {MAX_ROWS} rows in all tables"))
        return issues
    for i, row in enumerate(compiled.rows):
        if rule_name(i) not in definition:
            continue
        n = _count(definition[rule_name(i)])
        if n > MAX_COMBINATORS:
            issues.append(
                Issue(
                    row.file,
                    row.line,
                    f"{row.table}/{row.id}",
                    f"condition too deeply combined for the engine: {n} all/any/none/in "
                    f"groups after compilation, at most {MAX_COMBINATORS}; split the row",
                )
            )
    for group in compiled.groups:
        if len(group.props) > MAX_PROPERTIES:
            table = tables[group.decisions[0]]
            issues.append(
                Issue(
                    table.file,
                    table.line,
                    table.name,
                    f"{len(group.props)} distinct fields and tags read, at most {MAX_PROPERTIES}",
                )
            )
    return issues
