"""Evaluate a compiled rule set on a Snapshot with durable-rules' C engine, per order class.

We call `durable_rules_engine` directly (never `Host` / `durable.lang`, whose timer threads and
dispatcher crash and lose results): `create_ruleset` once per rule-set version, then per batch
one session id: `assert_facts`, drain every activation with `start_action_for_state` /
`complete_and_start_action`, `delete_state`. A lowest-priority catch-all rule guarantees every
session has an action before it is deleted. One lock per ruleset handle serialises sessions; at
most one sid is live per handle. Activations come back as `{"r0012": {"m": <fact>}}`; we read
the rule number and the fact id and apply hit policies and effects (data) in our own code.
"""

from __future__ import annotations

import itertools
import json
import operator
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import durable_rules_engine
import numpy as np

from rules import compiler, features
from rules.features import Classes, Column, KeyPart, OrderFeatures, parse_attribute
from rules.model import Combo
from rules.validate import did_you_mean
from rules.vocabulary import ELIGIBILITY, REQUIREMENTS, SERVICE_LEVEL
from solver.domain import Requirement, ServiceLevel, bit
from solver.eligibility import DAY_S, Eligibility, Note

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import TracebackType

    from rules.model import Condition, Row, RuleSet, Table
    from solver.snapshot import Snapshot

I64 = np.int64
FACTS_PER_SID = 1000  # facts per engine session (the size measured in shared/notes)
MAX_FACTS = 10**8  # fact ids are 8 digits
# Every activation starts like this template (digits vary; "zzzzz" for the catch-all).
_HEAD = '{"r0000":{"m":{"id": "00000000"'
_HEAD_WIDTH = len(_HEAD)
_RULE_AT = _HEAD.index("0000")
_ID_AT = _HEAD.index('"00000000"') + 1
_TEMPLATE = np.frombuffer(_HEAD.encode("ascii"), dtype=np.uint8)
_DIGIT = np.zeros(_HEAD_WIDTH, dtype=bool)
_DIGIT[_RULE_AT : _RULE_AT + 4] = True
_DIGIT[_ID_AT : _ID_AT + 8] = True
_NAME = np.zeros(_HEAD_WIDTH, dtype=bool)
_NAME[_RULE_AT - 1 : _RULE_AT + 4] = True
_names = itertools.count(1)


class EngineError(RuntimeError):
    """The C engine answered in a way our usage rules out (a bug here or in the engine)."""


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """Everything the rules decided for a snapshot: the Eligibility plus what it has no field
    for (allowed delivery hours), and counts that show what deduplication did."""

    eligibility: Eligibility
    delivery_from_s: np.ndarray  # int64[N], seconds after local midnight, -1 = any time
    delivery_to_s: np.ndarray  # int64[N], -1 = any time
    order_classes: int  # distinct rule-relevant order tuples (first group)
    pair_facts: int  # eligibility facts: order classes x carriers
    facts: int  # all facts asserted
    activations: int


class Lease:
    """Holds a CompiledRules for one request; the handle is not deleted while a lease is open."""

    def __init__(self, rules: CompiledRules) -> None:
        self.rules = rules
        self._open = False

    def __enter__(self) -> CompiledRules:
        self._open = True
        return self.rules

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._open:
            self._open = False
            self.rules.release()


@dataclass(frozen=True, slots=True)
class _TableInfo:
    """Row-level arrays of one table for vectorised hit policies."""

    table: Table
    start: int  # global index of its first row
    stop: int


class CompiledRules:
    """One validated rule set compiled into one durable-rules ruleset handle.

    Parameters
    ----------
    ruleset
        A validated RuleSet.

    Raises
    ------
    EngineError
        When the engine rejects the definition (validation should have caught it).
    """

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.version = ruleset.version
        self.attribute_types = {k: a.type for k, a in ruleset.schema.attributes.items()}
        self.plan = compiler.plan(ruleset.tables, self.attribute_types)
        self._lock = threading.Lock()  # one live session per handle, engine calls serialised
        self._refs_lock = threading.Lock()
        self._refs = 0
        self._retired = False
        self._deleted = False
        self._sids = itertools.count(1)
        self.broken = False
        self.sessions = 0
        starts: dict[str, int] = {}
        position = 0
        for decision in (SERVICE_LEVEL, REQUIREMENTS, ELIGIBILITY):
            starts[decision] = position
            position += len(ruleset.tables[decision].rows)
        self._info = {
            d: _TableInfo(ruleset.tables[d], starts[d], starts[d] + len(ruleset.tables[d].rows))
            for d in starts
        }
        el_rows = ruleset.tables[ELIGIBILITY].rows
        self.exclusion_rows = tuple(r for r in el_rows if r.effect("exclude") is not None)
        self.sources = tuple(r.source for r in self.exclusion_rows)
        self.messages = tuple(r.message for r in self.exclusion_rows)
        self.hours_sources = tuple(
            r.source
            for r in ruleset.tables[REQUIREMENTS].rows
            if r.effect("set_delivery_hours") is not None
        )
        self._row_notes = tuple(_note(r) for r in self.plan.rows)  # by global row number
        name = f"lastmile-{self.version}-{next(_names)}"
        try:
            self._handle: int = durable_rules_engine.create_ruleset(name, self.plan.definition_json)
        except Exception as exc:  # the engine reports bare error codes
            raise EngineError(f"durable-rules rejected the rule set: {exc}") from exc

    # --- lifetime ------------------------------------------------------------------------------

    def acquire(self) -> Lease:
        """Take a lease for one request (the store calls this under its own lock)."""
        with self._refs_lock:
            if self._deleted:
                raise EngineError("rules handle already deleted")
            self._refs += 1
        return Lease(self)

    def release(self) -> None:
        with self._refs_lock:
            self._refs -= 1
            delete = self._retired and self._refs == 0 and not self._deleted
            if delete:
                self._deleted = True
        if delete:
            self._delete()

    def retire(self) -> None:
        """No new leases will be taken; delete the handle once the last lease is released."""
        with self._refs_lock:
            self._retired = True
            delete = self._refs == 0 and not self._deleted
            if delete:
                self._deleted = True
        if delete:
            self._delete()

    @property
    def deleted(self) -> bool:
        return self._deleted

    @property
    def leases(self) -> int:
        return self._refs

    def _delete(self) -> None:
        with self._lock:
            durable_rules_engine.delete_ruleset(self._handle)

    # --- engine sessions -----------------------------------------------------------------------

    def _run(self, k: int, bodies: list[str], per_sid: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Assert facts in sessions of `per_sid`, drain, delete; (fact ids, rule numbers, acts).

        A fact is `{"id": "%08d", "sid": ..., "k": group}` plus its body (the properties, as JSON
        text built column-wise by `_strings`); fact i has id i. Rules are named `r%04d`, so every
        activation starts with the same 31 characters but for digits: we keep only that prefix
        and decode all of them at once with numpy (checked byte by byte against the template).
        """
        if len(bodies) >= MAX_FACTS:
            raise EngineError(f"{len(bodies)} facts in one evaluation, at most {MAX_FACTS - 1}")
        heads: list[str] = []
        for start in range(0, len(bodies), per_sid):
            sid = f"s{next(self._sids)}"
            payload = (
                "["
                + ",".join(
                    f'{{"id": "{start + i:08d}", "sid": "{sid}", "k": {k}{body}}}'
                    for i, body in enumerate(bodies[start : start + per_sid])
                )
                + "]"
            )
            with self._lock:
                if self._deleted:
                    raise EngineError("rules handle already deleted")
                self._session(sid, payload, heads)
        ids, rules_hit = _decode(heads)
        return ids, rules_hit, len(heads)

    def _session(self, sid: str, payload: str, heads: list[str]) -> None:
        handle = self._handle
        try:
            code, state = durable_rules_engine.assert_facts(handle, payload)
        except Exception as exc:
            self.broken = True
            raise EngineError(f"assert_facts failed: {exc}") from exc
        if code != 0:
            # 1 = not handled: impossible with the catch-all. Never delete such a session: the
            # engine frees uninitialised memory there. Leak it and mark the handle broken.
            self.broken = True
            raise EngineError(f"assert_facts returned code {code}")
        width = _HEAD_WIDTH
        append = heads.append
        complete = durable_rules_engine.complete_and_start_action
        try:
            result = durable_rules_engine.start_action_for_state(handle, state)
            if result is None:
                self.broken = True
                raise EngineError("no action started: the catch-all row did not fire")
            while result is not None:
                message = result[1]
                while message is not None:
                    append(message[:width])
                    message = complete(handle, state)
                result = durable_rules_engine.start_action_for_state(handle, state)
        except EngineError:
            raise
        except Exception as exc:
            self.broken = True
            raise EngineError(f"draining session {sid} failed: {exc}") from exc
        durable_rules_engine.delete_state(handle, sid)
        self.sessions += 1

    # --- evaluation ----------------------------------------------------------------------------

    def evaluate(
        self,
        snapshot: Snapshot,
        *,
        dedup: bool = True,
        snap: bool = True,
        per_order: bool = False,
    ) -> RuleOutcome:
        """Service level, requirements and eligibility for every order and carrier.

        Parameters
        ----------
        snapshot
            The request.
        dedup
            Evaluate each distinct rule-relevant tuple once (default). False: one fact per order.
        snap
            Snap numbers to the rules' thresholds before deduplication (default); False only
            to measure what snapping saves.
        per_order
            One engine session per order (implies no dedup); for measuring only.

        Returns
        -------
        RuleOutcome

        Raises
        ------
        EngineError
            When the engine fails; the handle is then marked broken and the store rebuilds it.
        """
        if per_order:
            dedup = False
        n = snapshot.orders.count
        feats = OrderFeatures(snapshot, self.ruleset.schema)
        outputs: dict[str, np.ndarray] = {}
        stats = {"facts": 0, "activations": 0}

        def column(field: str, element: Any) -> Column:
            if field == "order.service_level":
                return Column(outputs["service_level"], None, False)
            if field == "order.requirements":
                return Column((outputs["requirements"] >> int(element)) & 1, None, False)
            if field == "order.max_ride_minutes":
                ride = outputs["max_ride_minutes"]
                return Column(ride.astype(np.float64), ride >= 0, True)
            return feats.column(field, element)

        sl_row = np.full(n, -1, dtype=I64)
        order_classes = 0
        req_pattern = np.zeros(n, dtype=I64)
        pattern_rows: list[tuple[int, ...]] = [()]
        for group in self.plan.groups:
            if ELIGIBILITY in group.decisions:
                continue
            parts = self._parts(group, column, snap=snap)
            classes = features.classes_of(list(parts.values()), n, dedup=dedup)
            if not order_classes:
                order_classes = classes.count
            bodies = _bodies(self._fact_columns(group, parts, classes), classes.count)
            per_sid = 1 if per_order else FACTS_PER_SID
            ids, rules_hit, acts = self._run(group.k, bodies, per_sid)
            stats["facts"] += len(bodies)
            stats["activations"] += acts
            if SERVICE_LEVEL in group.decisions:
                info = self._info[SERVICE_LEVEL]
                matched = _matrix(ids, rules_hit, classes.count, info)
                level, row = _service_level(matched, info)
                outputs["service_level"] = level[classes.inverse]
                sl_row = np.where(row[classes.inverse] >= 0, row[classes.inverse] + info.start, -1)
            if REQUIREMENTS in group.decisions:
                info = self._info[REQUIREMENTS]
                matched = _matrix(ids, rules_hit, classes.count, info)
                req, ride, h_from, h_to, h_row, effective = _requirements(matched, info)
                inv = classes.inverse
                outputs["requirements"] = req[inv]
                outputs["max_ride_minutes"] = ride[inv]
                outputs["delivery_from"] = h_from[inv]
                outputs["delivery_to"] = h_to[inv]
                outputs["hours_row"] = h_row[inv]
                packed = (
                    np.packbits(effective, axis=1)
                    if effective.shape[1]
                    else np.zeros((classes.count, 1), dtype=np.uint8)
                )
                uniq, pattern = np.unique(packed, axis=0, return_inverse=True)
                pattern = pattern.reshape(-1)
                pattern_rows = []
                for u in range(len(uniq)):
                    rows_u = np.unpackbits(uniq[u])[: effective.shape[1]].nonzero()[0]
                    pattern_rows.append(tuple(int(r) + info.start for r in rows_u))
                req_pattern = pattern[inv].astype(I64)

        reason, source, pair_facts = self._eligibility(
            snapshot, column, outputs, dedup=dedup, snap=snap, per_order=per_order, stats=stats
        )
        notes = self._notes(sl_row, req_pattern, pattern_rows)
        service_level = outputs["service_level"].astype(I64)
        requirement_bits = outputs["requirements"].astype(I64)
        ride = outputs["max_ride_minutes"]
        h_from, h_to = outputs["delivery_from"], outputs["delivery_to"]
        eligibility = Eligibility(
            service_level=service_level,
            requirement_bits=requirement_bits,
            reason=reason,
            source=source,
            sources=self.sources,
            messages=self.messages,
            notes=notes,
            max_ride_s=np.where(ride >= 0, ride * 60, -1).astype(I64),
            version=self.version,
            delivery_from_s=np.where(h_from >= 0, h_from * 3600, 0).astype(I64),
            delivery_to_s=np.where(h_to >= 0, h_to * 3600, DAY_S).astype(I64),
            hours_source=np.where(h_from >= 0, outputs["hours_row"], -1).astype(I64),
            hours_sources=self.hours_sources,
        )
        return RuleOutcome(
            eligibility=eligibility,
            delivery_from_s=np.where(h_from >= 0, h_from * 3600, -1).astype(I64),
            delivery_to_s=np.where(h_to >= 0, h_to * 3600, -1).astype(I64),
            order_classes=order_classes,
            pair_facts=pair_facts,
            facts=stats["facts"],
            activations=stats["activations"],
        )

    def _parts(
        self,
        group: compiler.Group,
        column: Callable[[str, Any], Column],
        *,
        snap: bool = True,
    ) -> dict[tuple[str, Any], KeyPart]:
        """Key parts of the order-side properties of a group (numbers with their thresholds)."""
        parts: dict[tuple[str, Any], KeyPart] = {}
        for prop in group.props:
            if prop.field.startswith(("carrier.", "pair.")):
                continue
            col = column(prop.field, prop.element)
            thresholds = None
            if col.numeric and snap:
                values = group.thresholds.get(prop.field, ())
                thresholds = np.unique(np.array(values, dtype=np.float64))
            parts[(prop.field, prop.element)] = KeyPart(col, thresholds)
        return parts

    def _fact_columns(
        self,
        group: compiler.Group,
        parts: dict[tuple[str, Any], KeyPart],
        classes: Classes,
    ) -> list[list[str]]:
        """Per property, the JSON text `, "pN": value` of each class ("" where missing)."""
        keys = list(parts)
        out: list[list[str]] = []
        for prop in group.props:
            key = (prop.field, prop.element)
            if key not in parts:
                continue
            part = parts[key]
            codes = classes.codes[keys.index(key)] if classes.codes else np.zeros(0, dtype=I64)
            rep = features.representative(part, codes, classes.first)
            present = part.column.present
            mask = present[classes.first] if present is not None else None
            if prop.element is not None:  # a set element: present only when in the set
                mask = rep == 1 if mask is None else mask & (rep == 1)
            out.append(_strings(prop.name, rep, mask, part.column.labels))
        return out

    def _eligibility(
        self,
        snapshot: Snapshot,
        column: Callable[[str, Any], Column],
        outputs: dict[str, np.ndarray],
        *,
        dedup: bool,
        snap: bool,
        per_order: bool,
        stats: dict[str, int],
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Per carrier: classes of orders with equal (eligibility order fields, pair flags)."""
        n = snapshot.orders.count
        n_carriers = snapshot.carriers.count
        group = self.plan.group_of(ELIGIBILITY)
        info = self._info[ELIGIBILITY]
        if n_carriers == 0 or n == 0:
            empty = np.zeros((n, n_carriers), dtype=I64)
            return empty, empty - 1, 0
        carriers = features.carrier_values(snapshot)
        parts = self._parts(group, column, snap=snap)
        part_keys = list(parts)
        base_codes = features.key_codes(list(parts.values()))
        pair_props = [p for p in group.props if p.field.startswith("pair.")]
        requirement_bits = outputs.get("requirements")
        flags = {
            p.name: features.pair_flags(
                p.field,
                p.element,
                snapshot,
                lambda f: column(f, None).values,
                requirement_bits,
                carriers,
            ).astype(I64)
            for p in pair_props
        }
        carrier_props = [p for p in group.props if p.field.startswith("carrier.")]
        carrier_values = [_carrier_prop(p, carriers, n_carriers) for p in carrier_props]
        bodies: list[str] = []
        spans: list[tuple[int, np.ndarray]] = []  # per carrier: first fact id, order -> class
        for c in range(n_carriers):
            known = {
                (p.field, p.element): values[c]
                for p, values in zip(carrier_props, carrier_values, strict=True)
            }
            reads = self._rows_that_can_decide(info.table, known)
            carrier_text = "".join(
                f', "{p.name}": {_json(v[c])}'
                for p, v in zip(carrier_props, carrier_values, strict=True)
                if v[c] is not None
            )
            order_sel = [j for j, key in enumerate(part_keys) if key in reads]
            pair_sel = [p for p in pair_props if (p.field, p.element) in reads]
            codes = [base_codes[j] for j in order_sel] + [flags[p.name][:, c] for p in pair_sel]
            classes = features.group_codes(codes, n, dedup=dedup)
            spans.append((len(bodies), classes.inverse))
            sel_parts = {part_keys[j]: parts[part_keys[j]] for j in order_sel}
            columns = [[carrier_text] * classes.count]
            columns.extend(self._fact_columns(group, sel_parts, classes))
            for p in pair_sel:
                values = flags[p.name][classes.first, c]
                columns.append(
                    _strings(p.name, values, values == 1 if p.element is not None else None, None)
                )
            bodies.extend(_bodies(columns, classes.count))
        if per_order:  # one session per order: its C facts together
            order = np.array([c * n + i for i in range(n) for c in range(n_carriers)])
            ids, rules_hit, acts = self._run(group.k, [bodies[f] for f in order], n_carriers)
            ids = order[ids]
        else:
            ids, rules_hit, acts = self._run(group.k, bodies, FACTS_PER_SID)
        stats["facts"] += len(bodies)
        stats["activations"] += acts
        matched = _matrix(ids, rules_hit, len(bodies), info)
        reason_rows, source_rows = self._exclusions(info)
        if info.table.hit_policy == "first":
            has = matched.any(axis=1)
            first = matched.argmax(axis=1)
        else:
            excl = matched & (reason_rows > 0)[None, :]
            has = excl.any(axis=1)
            first = excl.argmax(axis=1)
        reason_fact = np.where(has, reason_rows[first], 0)
        source_fact = np.where(has & (reason_fact > 0), source_rows[first], -1)
        reason = np.empty((n, n_carriers), dtype=I64)
        source = np.empty((n, n_carriers), dtype=I64)
        for c, (first_id, inverse) in enumerate(spans):
            reason[:, c] = reason_fact[first_id + inverse]
            source[:, c] = source_fact[first_id + inverse]
        return reason, source, len(bodies)

    @staticmethod
    def _rows_that_can_decide(table: Table, known: dict[tuple[str, Any], Any]) -> set[Any]:
        """(field, element) pairs read by the rows that can still decide for one carrier.

        Rows whose carrier conditions are false for this carrier can never match, whatever the
        order; rows after one that is true for every order never decide (first-hit tables, or
        the first exclusion reported by a collect table). Only what the remaining rows read
        has to tell orders apart, so far fewer classes reach the engine.
        """
        reads: set[Any] = set()
        for row in table.rows:
            verdict = _partial(row.when, known)
            if verdict is False:
                continue
            for c in compiler.walk(row.when):
                reads.add((c.field, c.value if c.op == "contains" else None))
            if verdict is True:
                break
        return reads

    def _exclusions(self, info: _TableInfo) -> tuple[np.ndarray, np.ndarray]:
        reason = np.zeros(len(info.table.rows), dtype=I64)
        source = np.full(len(info.table.rows), -1, dtype=I64)
        for r, row in enumerate(info.table.rows):
            effect = row.effect("exclude")
            if effect is not None:
                reason[r] = int(effect.value)
                source[r] = self.exclusion_rows.index(row)
        return reason, source

    def _notes(
        self, sl_row: np.ndarray, req_pattern: np.ndarray, pattern_rows: list[tuple[int, ...]]
    ) -> tuple[tuple[Note, ...], ...]:
        n = len(sl_row)
        if n == 0:
            return ()
        width = max(len(pattern_rows), 1)
        combo = (sl_row + 1) * width + req_pattern
        uniq, inverse = np.unique(combo, return_inverse=True)
        per_combo: list[tuple[Note, ...]] = []
        for value in uniq.tolist():
            sl, pattern = divmod(value, width)
            notes: list[Note] = []
            if sl > 0:
                notes.append(self._row_notes[sl - 1])
            notes.extend(self._row_notes[r] for r in pattern_rows[pattern])
            per_combo.append(tuple(notes))
        return tuple(per_combo[i] for i in inverse.reshape(-1).tolist())

    def check_order_attributes(self, snapshot: Snapshot) -> list[tuple[int, str, str]]:
        """Order attributes against this rule set's schema (see `check_attributes`)."""
        return check_attributes(snapshot, self.ruleset)


def _carrier_prop(prop: compiler.Prop, carriers: dict[str, Any], count: int) -> list[Any]:
    field = prop.field
    if field == "carrier.capabilities":
        bits = carriers["capability_bits"]
        flag = int(bit(int(prop.element)))
        return [1 if int(b) & flag else None for b in bits]  # present only when held
    values = carriers[field]
    out: list[Any] = []
    for c in range(count):
        v = values[c]
        if (field == "carrier.max_weight_kg" and not np.isfinite(v)) or (
            field == "carrier.same_day_cutoff_minutes" and int(v) < 0
        ):
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(int(bool(v)))
        elif isinstance(v, np.integer):
            out.append(int(v))
        elif isinstance(v, np.floating):
            out.append(float(v))
        else:
            out.append(v)
    return out


_MISSING: Any = object()


def _json(value: Any) -> str:
    """A fact value as JSON text (bools as 0/1; floats are always finite here)."""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(int(value))


def _strings(
    name: str, values: np.ndarray, present: np.ndarray | None, labels: tuple[Any, ...] | None
) -> list[str]:
    """`, "name": value` per row (value from labels[code] when labels are given), "" where
    missing. Each distinct present value is formatted once (a missing row's code may have no
    label, e.g. a zone column when no order has a zone)."""
    if present is None:
        uniq, inverse = np.unique(values, return_inverse=True)
    else:
        uniq, inverse = np.unique(values[present], return_inverse=True)
    texts = [
        f', "{name}": {_json(labels[int(u)] if labels is not None else u)}' for u in uniq.tolist()
    ]
    table = np.array([*texts, ""], dtype=object)
    if present is None:
        index = inverse.reshape(-1)
    else:
        index = np.full(len(values), len(texts), dtype=I64)
        index[present] = inverse.reshape(-1)
    out: list[str] = table[index].tolist()
    return out


def _bodies(columns: list[list[str]], count: int) -> list[str]:
    """Join property texts row-wise into fact bodies."""
    if not columns:
        return [""] * count
    return ["".join(parts) for parts in zip(*columns, strict=True)]


def _partial(cond: Condition | None, known: dict[tuple[str, Any], Any]) -> bool | None:
    """Three-valued truth of a condition when only carrier.* fields are known (None = depends
    on the order). Values in `known` are fact encodings (bools 0/1); None = missing."""
    if cond is None:
        return True
    if isinstance(cond, Combo):
        verdicts = [_partial(c, known) for c in cond.items]
        if cond.kind == "all":
            return False if False in verdicts else (True if all(verdicts) else None)
        found = True in verdicts
        undecided = None in verdicts
        if cond.kind == "any":
            return True if found else (None if undecided else False)
        return False if found else (None if undecided else True)  # none
    if not cond.field.startswith("carrier."):
        return None
    element = cond.value if cond.op == "contains" else None
    value = known.get((cond.field, element), _MISSING)
    if cond.op == "contains":
        return bool(value == 1)
    if value is None:
        value = _MISSING
    if cond.op == "exists":
        return (value is not _MISSING) == bool(cond.value)
    if value is _MISSING:
        return False
    operand = cond.value
    if cond.op in ("in", "not_in"):
        inside = value in tuple(compiler.fact_value(v) for v in operand)
        return inside if cond.op == "in" else not inside
    return bool(_COMPARE[cond.op](value, compiler.fact_value(operand)))


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def fact_id(i: int) -> str:
    """Fact ids are fixed-width text so activations can be decoded by offset."""
    return f"{i:08d}"


def _decode(heads: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(fact ids, rule numbers) of the activations of author rows (not the catch-all)."""
    if not heads:
        empty = np.zeros(0, dtype=I64)
        return empty, empty
    try:
        blob = np.frombuffer("".join(heads).encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as exc:
        raise EngineError("unexpected activation format") from exc
    if len(blob) != len(heads) * _HEAD_WIDTH:
        raise EngineError("unexpected activation format (length)")
    rows = blob.reshape(len(heads), _HEAD_WIDTH)
    fixed = ~(_DIGIT | _NAME)
    is_rule = rows[:, _RULE_AT - 1] == ord("r")
    is_catch_all = (rows[:, _RULE_AT - 1 : _RULE_AT + 4] == ord("z")).all(axis=1)
    digits = rows[:, _DIGIT].astype(I64) - ord("0")
    ok = (
        (rows[:, fixed] == _TEMPLATE[fixed]).all()
        and bool((is_rule | is_catch_all).all())
        and bool(((digits[is_rule] >= 0) & (digits[is_rule] <= 9)).all())
    )
    if not ok:
        raise EngineError("unexpected activation format: the engine changed its output")
    rule_digits = rows[is_rule][:, _RULE_AT : _RULE_AT + 4].astype(I64) - ord("0")
    id_digits = rows[is_rule][:, _ID_AT : _ID_AT + 8].astype(I64) - ord("0")
    rules_hit = rule_digits @ (10 ** np.arange(3, -1, -1, dtype=I64))
    ids = id_digits @ (10 ** np.arange(7, -1, -1, dtype=I64))
    return ids, rules_hit


def _matrix(ids: np.ndarray, rules_hit: np.ndarray, n_facts: int, info: _TableInfo) -> np.ndarray:
    """bool[facts, rows of the table]: which rows matched which fact."""
    width = info.stop - info.start
    out = np.zeros((n_facts, width), dtype=bool)
    mine = (rules_hit >= info.start) & (rules_hit < info.stop)
    out[ids[mine], rules_hit[mine] - info.start] = True
    for r, row in enumerate(info.table.rows):
        if row.when is None:  # not compiled: matches every fact by definition
            out[:, r] = True
    return out


def _service_level(matched: np.ndarray, info: _TableInfo) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([_level_of(r) for r in info.table.rows], dtype=I64)
    has = matched.any(axis=1)
    if info.table.hit_policy == "first":
        row = matched.argmax(axis=1)
    else:
        row = matched.shape[1] - 1 - matched[:, ::-1].argmax(axis=1)
    row = np.where(has, row, -1)
    level = np.where(has, values[np.maximum(row, 0)], 0)
    return level.astype(I64), row.astype(I64)


def _level_of(row: Row) -> int:
    effect = row.effect("set_service_level")
    return int(effect.value) if effect is not None else 0


def _requirements(
    matched: np.ndarray, info: _TableInfo
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Requirement bits, ride limit, delivery hours (from, to; -1 = none), the index of the
    row that set the hours among the table's rows with `set_delivery_hours` (-1 = none), and
    the effective matches."""
    n = matched.shape[0]
    if info.table.hit_policy == "first":
        effective = np.zeros_like(matched)
        has = matched.any(axis=1)
        effective[np.arange(n)[has], matched.argmax(axis=1)[has]] = True
    else:
        effective = matched
    req = np.zeros(n, dtype=I64)
    ride = np.full(n, -1, dtype=I64)
    h_from = np.full(n, -1, dtype=I64)
    h_to = np.full(n, -1, dtype=I64)
    h_row = np.full(n, -1, dtype=I64)
    hours_rows = 0
    for r, row in enumerate(info.table.rows):
        mask = effective[:, r]
        sets_hours = row.effect("set_delivery_hours") is not None
        hours_rows += sets_hours
        if not mask.any():
            continue
        if sets_hours:
            h_row[mask] = hours_rows - 1
        for effect in row.effects:
            if effect.name == "add_requirement":
                req[mask] |= sum(bit(v) for v in effect.value)
            elif effect.name == "remove_requirement":
                req[mask] &= ~sum(bit(v) for v in effect.value)
            elif effect.name == "set_max_ride_minutes":
                ride[mask] = int(effect.value)
            elif effect.name == "set_delivery_hours":
                h_from[mask] = int(effect.value[0])
                h_to[mask] = int(effect.value[1])
    return req, ride, h_from, h_to, h_row, effective


def _note(row: Row) -> Note:
    if row.message:
        return Note(row.decision, row.source, row.message)
    parts: list[str] = []
    for e in row.effects:
        if e.name == "set_service_level":
            parts.append(f"service level {ServiceLevel(e.value).name}")
        elif e.name == "add_requirement":
            parts.append("requires " + ", ".join(Requirement(v).name for v in e.value))
        elif e.name == "remove_requirement":
            parts.append("no longer requires " + ", ".join(Requirement(v).name for v in e.value))
        elif e.name == "set_max_ride_minutes":
            parts.append(f"at most {e.value} min in the vehicle")
        elif e.name == "set_delivery_hours":
            parts.append(f"deliver between {e.value[0]:02d}:00 and {e.value[1]:02d}:00 local")
        elif e.name == "allow":
            parts.append("allowed")
    return Note(row.decision, row.source, "; ".join(parts))


def check_attributes(snapshot: Snapshot, ruleset: RuleSet) -> list[tuple[int, str, str]]:
    """Every order attribute must be declared in the schema and parse as its type.

    Parameters
    ----------
    snapshot
        The request.
    ruleset
        The rule set whose schema applies.

    Returns
    -------
    list[tuple[int, str, str]]
        (order_idx, key, message) per bad attribute, for `orders[i].attributes[key]`.
    """
    return check_attribute_maps(snapshot.orders.attributes, ruleset)


def check_attribute_maps(
    attributes: Iterable[Mapping[str, str]], ruleset: RuleSet
) -> list[tuple[int, str, str]]:
    """`check_attributes` over the attribute maps of the orders, in order (e.g. straight from
    the request, before it is converted).

    Parameters
    ----------
    attributes
        One {key: text} mapping per order.
    ruleset
        The rule set whose schema applies.

    Returns
    -------
    list[tuple[int, str, str]]
        (order_idx, key, message) per bad attribute, keys in sorted order within an order.
    """
    declared = ruleset.schema.attributes
    out: list[tuple[int, str, str]] = []
    for i, attrs in enumerate(attributes):
        if not attrs:
            continue
        for key, text in sorted(attrs.items()):
            spec = declared.get(key)
            if spec is None:
                out.append(
                    (
                        i,
                        key,
                        f"unknown attribute '{key}'{did_you_mean(key, declared)}; "
                        f"the rules know: {', '.join(sorted(declared)) or 'none'}",
                    )
                )
                continue
            try:
                value = parse_attribute(text, spec.type)
            except ValueError as exc:
                out.append((i, key, f"attribute '{key}' is {spec.type}: {exc}, got {text!r}"))
                continue
            if spec.values and value not in spec.values:
                out.append(
                    (
                        i,
                        key,
                        f"attribute '{key}' must be one of {', '.join(spec.values)}, got "
                        f"{text!r}{did_you_mean(text, spec.values)}",
                    )
                )
    return out


class RulesSource(Protocol):
    """Anything that hands out leases on the current CompiledRules (the RuleStore)."""

    def current(self) -> Lease: ...


class RulesPolicy:
    """The rule files as a `solver.eligibility.Policy`.

    Parameters
    ----------
    store
        A RuleStore (or anything with `current() -> Lease`).
    """

    def __init__(self, store: RulesSource) -> None:
        self.store = store

    def evaluate(self, snapshot: Snapshot) -> Eligibility:
        """Eligibility for the snapshot from the rules current at call time.

        Raises
        ------
        EngineError
            When the engine fails.
        """
        with self.store.current() as rules:
            return rules.evaluate(snapshot).eligibility

    def evaluate_outcome(self, snapshot: Snapshot) -> RuleOutcome:
        """Like evaluate, with delivery hours and dedup counts."""
        with self.store.current() as rules:
            return rules.evaluate(snapshot)

    def check_order_attributes(self, snapshot: Snapshot) -> list[tuple[int, str, str]]:
        """(order_idx, key, message) for attributes the current schema rejects."""
        with self.store.current() as rules:
            return rules.check_order_attributes(snapshot)


class PinnedPolicy:
    """One CompiledRules as a `solver.eligibility.Policy`: for a request that already holds a
    lease, so its schema check and its evaluation use the same version.

    Parameters
    ----------
    rules
        The compiled rules of an open lease (the caller keeps the lease open).
    """

    def __init__(self, rules: CompiledRules) -> None:
        self.rules = rules

    def evaluate(self, snapshot: Snapshot) -> Eligibility:
        """Eligibility for the snapshot from the pinned rules.

        Raises
        ------
        EngineError
            When the engine fails.
        """
        return self.rules.evaluate(snapshot).eligibility
