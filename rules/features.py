"""Vocabulary fields as columns over a Snapshot, snapped and deduplicated into order classes.

Rules run per order class, never per order x carrier pair in Python: every field a group of rows
reads becomes an int64 code column (numbers snapped to the rules' own thresholds, text and enums
to codes, missing = -1), and `np.unique` over the packed codes gives the classes. Snapping keeps
every comparison a rule can make: a value equal to a threshold keeps it, a value strictly between
two thresholds is replaced by their midpoint (below the lowest: lowest - 1, above the highest:
highest + 1). Pair fields compare an order value with a carrier value; they are computed for all
orders x carriers with numpy broadcasting (bool[N, C]) before the engine, and eligibility is then
deduplicated per carrier on (order fields the eligibility table reads, that carrier's pair
flags): far fewer classes than orders, because each carrier only splits orders by its own limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rules.vocabulary import ATTRIBUTE_PREFIX, BOOL, FLOAT, INT, STR
from solver.domain import CAPABILITY_FOR_REQUIREMENT, bit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from rules.model import Schema
    from solver.snapshot import Snapshot

I64 = np.int64
F64 = np.float64
DAY_S = 86_400

# Pair fields that compare an order column with a carrier column: (order field, carrier key,
# true when order value > carrier value, or >= for lead_time_fits).
PAIR_NUMERIC: dict[str, tuple[str, str]] = {
    "pair.over_weight_limit": ("parcels.weight_kg", "max_weight_kg"),
    "pair.over_volume_limit": ("parcels.volume_l", "max_volume_l"),
    "pair.over_size_limit": ("parcels.max_length_cm", "max_length_cm"),
    "pair.over_parcel_limit": ("parcels.count", "max_parcels"),
    "pair.lead_time_fits": ("order.minutes_to_promise_end", "lead_time_minutes"),
}


@dataclass(frozen=True, slots=True)
class Column:
    """One field over N rows. Numeric: float64 values. Categorical: int64 codes whose fact value
    is `labels[code]` (or the code itself when labels is None). `present` False = missing."""

    values: np.ndarray
    present: np.ndarray | None
    numeric: bool
    labels: tuple[Any, ...] | None = None


def _codes(items: Sequence[Any]) -> tuple[np.ndarray, tuple[Any, ...]]:
    """Codes 0..k-1 of each item and the k distinct items, in first-seen order."""
    distinct = tuple(dict.fromkeys(items))
    index = {v: i for i, v in enumerate(distinct)}
    codes = np.fromiter(map(index.__getitem__, items), dtype=I64, count=len(items))
    return codes, distinct


def local_now(snapshot: Snapshot) -> tuple[int, int, int]:
    """(local_minutes, local_hour, iso_weekday) of the snapshot's clock."""
    wall = int(snapshot.clock.wall(snapshot.now_ts))
    local_s, days = wall % DAY_S, wall // DAY_S
    return local_s // 60, local_s // 3600, (days + 3) % 7 + 1


def parse_attribute(text: str, type_: str) -> Any:
    """An attribute string as its declared type; raises ValueError when it does not parse."""
    if type_ == STR:
        return text
    if type_ == BOOL:
        if text in ("true", "false"):
            return text == "true"
        raise ValueError("expected true or false")
    if type_ == INT:
        stripped = text.strip()
        if not stripped.lstrip("+-").isdigit():
            raise ValueError("expected a whole number")
        return int(stripped)
    value = float(text)
    if not np.isfinite(value):
        raise ValueError("expected a finite number")
    return value


class OrderFeatures:
    """Lazily computed order-level columns of one snapshot (N rows)."""

    def __init__(self, snapshot: Snapshot, schema: Schema) -> None:
        self.snapshot = snapshot
        self.schema = schema
        self.n = snapshot.orders.count
        self._cache: dict[tuple[str, Any], Column] = {}
        self._attribute_codes: dict[str, tuple[np.ndarray, dict[str | None, int]]] | None = None

    def column(self, field: str, element: Any = None) -> Column:
        key = (field, element)
        col = self._cache.get(key)
        if col is None:
            col = self._compute(field, element)
            self._cache[key] = col
        return col

    def _compute(self, field: str, element: Any) -> Column:
        s = self.snapshot
        o = s.orders
        n = self.n
        if field == "order.tags":
            tag_bit = np.uint64(s.tag_bit(str(element)))
            return Column(((o.tag_bits & tag_bit) != 0).astype(I64), None, False)
        if field in ("order.green", "order.contactless", "order.signature_wanted"):
            return Column(getattr(o, field.split(".")[1]).astype(I64), None, False)
        if field == "order.declared_value_cents":
            return Column(o.declared_value_cents.astype(F64), None, True)
        if field == "order.origin_site":
            present = o.origin_site_idx >= 0
            return Column(np.where(present, o.origin_site_idx, 0), present, False, s.sites.ids)
        if field == "order.promise_kind":
            return Column((o.deadline_ts < 0).astype(I64), None, False, ("deadline", "windows"))
        if field == "order.promise_days_ahead":
            days = s.clock.local_day(o.promise_end_ts - 1) - s.clock.local_day(s.now_ts)
            return Column(days.astype(F64), None, True)
        if field == "order.promise_window_minutes":
            return Column((o.promise_end_ts - o.promise_start_ts) / 60.0, None, True)
        if field == "order.minutes_to_promise_end":
            return Column((o.promise_end_ts - s.now_ts) / 60.0, None, True)
        if field == "order.window_count":
            return Column(np.diff(o.window_offsets).astype(F64), None, True)
        if field == "parcels.weight_kg":
            return Column(o.weight_kg.astype(F64), None, True)
        if field == "parcels.volume_l":
            return Column(o.volume_l.astype(F64), None, True)
        if field == "parcels.max_length_cm":
            return Column(o.max_length_cm.astype(F64), None, True)
        if field == "parcels.count":
            return Column(o.parcel_count.astype(F64), None, True)
        if field == "destination.zone":
            present = o.zone_idx >= 0
            return Column(np.where(present, o.zone_idx, 0), present, False, s.zone_ids)
        if field == "destination.postal_code":
            codes, labels = _codes(o.postal_codes)
            present = np.fromiter((p != "" for p in o.postal_codes), dtype=bool, count=n)
            return Column(codes, present, False, labels)
        if field.startswith("now."):
            minutes, hour, weekday = local_now(s)
            value = {"now.local_minutes": minutes, "now.local_hour": hour, "now.weekday": weekday}[
                field
            ]
            return Column(np.full(n, float(value)), None, True)
        if field.startswith(ATTRIBUTE_PREFIX):
            return self._attribute(field[len(ATTRIBUTE_PREFIX) :])
        raise KeyError(field)

    def _attribute(self, key: str) -> Column:
        """Parse each distinct attribute text once; unparsable values count as missing (they
        are input errors, reported by check_order_attributes)."""
        type_ = self.schema.attributes[key].type
        texts, distinct = self._attribute_texts(key)
        parsed: list[Any] = []
        for text in distinct:
            value = None
            if text is not None:
                try:
                    value = parse_attribute(text, type_)
                except ValueError:
                    value = None
            parsed.append(value)
        present = np.array([p is not None for p in parsed], dtype=bool)[texts]
        if type_ in (INT, FLOAT):
            numbers = np.array([float(p) if p is not None else 0.0 for p in parsed])
            return Column(numbers[texts], present, True)
        if type_ == BOOL:
            flags = np.array([bool(p) for p in parsed], dtype=I64)
            return Column(flags[texts], present, False)
        return Column(texts, present, False, tuple("" if p is None else p for p in parsed))

    def _attribute_texts(self, key: str) -> tuple[np.ndarray, tuple[str | None, ...]]:
        """Codes of `key`'s text per order (missing = None) and the distinct texts.

        One pass over the orders codes every key at once, visiting only the orders that have
        attributes (most have none), instead of one pass over all orders per key.
        """
        if self._attribute_codes is None:
            found: dict[str, tuple[list[int], list[int], dict[str | None, int]]] = {}
            for i, attrs in enumerate(self.snapshot.orders.attributes):
                if not attrs:
                    continue
                for name, text in attrs.items():
                    entry = found.get(name)
                    if entry is None:
                        entry = found[name] = ([], [], {None: 0})
                    rows, codes, index = entry
                    code = index.get(text)
                    if code is None:
                        code = index[text] = len(index)
                    rows.append(i)
                    codes.append(code)
            table: dict[str, tuple[np.ndarray, dict[str | None, int]]] = {}
            for name, (rows, codes, index) in found.items():
                column = np.zeros(self.n, dtype=I64)
                column[np.array(rows, dtype=I64)] = np.array(codes, dtype=I64)
                table[name] = (column, index)
            self._attribute_codes = table
        coded = self._attribute_codes.get(key)
        if coded is None:
            return np.zeros(self.n, dtype=I64), (None,)
        return coded[0], tuple(coded[1])


def snap_codes(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Bucket codes: 2i+1 when value == thresholds[i], 2i for the open interval below it."""
    k = len(thresholds)
    if k == 0:
        return np.zeros(len(values), dtype=I64)
    i = np.searchsorted(thresholds, values, side="left")
    exact = thresholds[np.minimum(i, k - 1)] == values
    exact &= i < k
    out: np.ndarray = (2 * i + exact).astype(I64)
    return out


def snap_values(codes: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """A representative value per bucket code (see snap_codes)."""
    k = len(thresholds)
    if k == 0:
        return np.zeros(len(codes), dtype=F64)
    i = codes // 2
    exact = (codes % 2) == 1
    padded = np.concatenate(([thresholds[0] - 1.0], thresholds, [thresholds[-1] + 1.0]))
    # open interval below thresholds[i]: between padded[i] (t[i-1]) and padded[i+1] (t[i])
    lower = padded[i]
    upper = padded[np.minimum(i + 1, k + 1)]
    mid = np.where(
        i == 0, thresholds[0] - 1.0, np.where(i == k, thresholds[-1] + 1.0, (lower + upper) / 2.0)
    )
    out: np.ndarray = np.where(exact, thresholds[np.minimum(i, k - 1)], mid)
    return out


@dataclass(frozen=True, slots=True)
class KeyPart:
    """One column of a class key: a Column and, for numbers, the thresholds to snap to."""

    column: Column
    thresholds: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Classes:
    """Rows grouped into classes: `first[k]` is a row of class k, `inverse[i]` the class of i."""

    first: np.ndarray
    inverse: np.ndarray
    codes: list[np.ndarray]  # per key part, the code of each class (-1 = missing)

    @property
    def count(self) -> int:
        return len(self.first)


def key_codes(parts: Sequence[KeyPart]) -> list[np.ndarray]:
    """int64 codes per key part: snapped bucket codes for numbers, value codes otherwise;
    -1 where the field is missing."""
    codes: list[np.ndarray] = []
    for part in parts:
        col = part.column
        if col.numeric and part.thresholds is not None:
            code = snap_codes(col.values, part.thresholds)
        elif col.numeric:  # not snapped: each exact value is its own code
            code = np.unique(col.values, return_inverse=True)[1].reshape(-1).astype(I64)
        else:
            code = col.values.astype(I64)
        if col.present is not None:
            code = np.where(col.present, code, -1)
        codes.append(code)
    return codes


def group_codes(codes: Sequence[np.ndarray], n: int, *, dedup: bool = True) -> Classes:
    """Group n rows by equal codes (np.unique on the codes packed into one int64 when they
    fit in 62 bits, else on the stacked rows)."""
    if not dedup:
        ident = np.arange(n, dtype=I64)
        return Classes(ident, ident, list(codes))
    if not codes:
        return Classes(np.zeros(min(n, 1), dtype=I64), np.zeros(n, dtype=I64), [])
    shifted = [c + 1 for c in codes]
    widths = [max(int(c.max()).bit_length(), 1) if len(c) else 1 for c in shifted]
    if sum(widths) <= 62:
        key = np.zeros(n, dtype=I64)
        shift = 0
        for c, w in zip(shifted, widths, strict=True):
            key |= c << shift
            shift += w
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        matrix = np.stack(shifted, axis=1)
        _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
    first = first.astype(I64)
    inverse = inverse.reshape(-1).astype(I64)
    return Classes(first, inverse, [c[first] for c in codes])


def classes_of(parts: Sequence[KeyPart], n: int, *, dedup: bool = True) -> Classes:
    """Group n rows into classes of equal (snapped) values over `parts`.

    Parameters
    ----------
    parts
        The key columns; numeric columns are snapped when `thresholds` is given.
    n
        Row count.
    dedup
        False: every row is its own class (for measuring what dedup saves).

    Returns
    -------
    Classes
    """
    return group_codes(key_codes(parts), n, dedup=dedup)


def representative(part: KeyPart, class_codes: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The value a class shows the engine: the snapped value for numbers, else the first row's."""
    col = part.column
    if col.numeric and part.thresholds is not None:
        return snap_values(np.maximum(class_codes, 0), part.thresholds)
    out: np.ndarray = col.values[first]
    return out


def needed_capabilities(requirement_bits: np.ndarray) -> np.ndarray:
    """Capability bitset each row's requirement bitset needs (vectorised capabilities_for)."""
    out = np.zeros(len(requirement_bits), dtype=np.uint64)
    bits = requirement_bits.astype(np.uint64)
    for req, cap in CAPABILITY_FOR_REQUIREMENT.items():
        has = (bits & np.uint64(bit(req))) != 0
        out |= np.where(has, np.uint64(bit(cap)), np.uint64(0))
    return out


def carrier_values(snapshot: Snapshot) -> dict[str, Any]:
    """Per-carrier arrays of the carrier.* fields and the carrier sides of pair fields."""
    c = snapshot.carriers
    local_s = int(snapshot.clock.wall(snapshot.now_ts)) % DAY_S
    cutoff = c.same_day_cutoff_s
    return {
        "carrier.id": c.ids,
        "carrier.kind": c.kind.astype(I64),
        "carrier.emissions_g_per_km": c.emissions_g_per_km.astype(F64),
        "carrier.reliability": c.reliability.astype(F64),
        "carrier.max_weight_kg": c.max_weight_kg.astype(F64),
        "carrier.has_same_day": cutoff >= 0,
        "carrier.same_day_cutoff_minutes": np.where(cutoff >= 0, cutoff // 60, -1),
        "carrier.past_same_day_cutoff": (cutoff < 0) | (local_s > cutoff),
        "carrier.lead_time_minutes": c.lead_time_s / 60.0,
        "carrier.has_slots": c.has_slots.astype(bool),
        "max_weight_kg": c.max_weight_kg.astype(F64),
        "max_volume_l": c.max_volume_l.astype(F64),
        "max_length_cm": c.max_length_cm.astype(F64),
        "max_parcels": c.max_parcels.astype(F64),
        "lead_time_minutes": c.lead_time_s / 60.0,
        "capability_bits": c.capability_bits.astype(np.uint64),
    }


def zone_served(snapshot: Snapshot, zone_idx: np.ndarray) -> np.ndarray:
    """bool[K, C]: carrier c serves zone_idx[k] (true for -1: no zone given)."""
    c = snapshot.carriers
    out = np.repeat(c.serves_all_zones[None, :], len(zone_idx), axis=0)
    has = zone_idx >= 0
    if c.serves_zone.shape[1] and has.any():
        out[has] |= c.serves_zone[:, zone_idx[has]].T
    out[~has] = True
    return out


def pair_flags(
    field: str,
    element: Any,
    snapshot: Snapshot,
    order_column: Callable[[str], np.ndarray],
    requirement_bits: np.ndarray | None,
    carriers: Mapping[str, Any],
) -> np.ndarray:
    """bool[N, C] of one pair field, computed columnar from raw order and carrier values.

    Parameters
    ----------
    field, element
        The pair field (and the Capability value for `pair.missing_capabilities`).
    snapshot
        The request.
    order_column
        Raw per-order values of an order field (float64[N]).
    requirement_bits
        Per-order requirement bitsets (needed by the capability fields).
    carriers
        From carrier_values.

    Returns
    -------
    np.ndarray
    """
    if field in PAIR_NUMERIC:
        order_field, carrier_key = PAIR_NUMERIC[field]
        values = order_column(order_field)
        limit = np.asarray(carriers[carrier_key], dtype=F64)
        if field == "pair.lead_time_fits":
            fits: np.ndarray = values[:, None] >= limit[None, :]
            return fits
        over: np.ndarray = values[:, None] > limit[None, :]
        return over
    if field == "pair.zone_served":
        return zone_served(snapshot, snapshot.orders.zone_idx)
    assert requirement_bits is not None
    needed = needed_capabilities(requirement_bits)
    missing = needed[:, None] & ~carriers["capability_bits"][None, :]
    if field == "pair.capabilities_met":
        met: np.ndarray = missing == 0
        return met
    lacks: np.ndarray = (missing & np.uint64(bit(int(element)))) != 0
    return lacks
