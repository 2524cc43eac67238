"""Validation of a ``DecideRequest`` before any work is done.

`validate_decide` walks the request once, collects every violation it finds and raises one
`InputError` carrying all of them; the gRPC layer maps that to ``INVALID_ARGUMENT`` with a
``google.rpc.BadRequest`` built by `to_bad_request`.

Field paths follow the proto: 0-based indices, snake_case names as in the ``.proto`` files, map
entries as ``attributes["key"]``. The path names the deepest field that is wrong by itself:

* a scalar that is out of range: the scalar (``orders[3].destination.location.lat``);
* ``google.protobuf.Timestamp`` and ``Duration`` are values (as in their JSON mapping), so a bad
  ``nanos`` is reported on the timestamp itself (``now``, ``orders[0].created_at``);
* a window: a missing or malformed end on ``.start`` / ``.end``; an end that is not after its
  start on ``.end``; windows of one list that are unsorted or overlap on the later window
  (``orders[1].promise.windows[1]``);
* a duplicate id on the id of the later item (``orders[1].id``); the description names the index
  of the first use;
* a missing location (unset or exactly 0, 0) on the location (``sites[0].location``);
* a list that is empty, or longer than its limit, on the list (``orders``,
  ``orders[2].parcels``); per-item checks of a list over its limit are skipped, and so are
  references into it;
* a promise with both or neither of deadline and windows on ``orders[i].promise``;
* a request-wide limit (distinct tags) on the first tag that exceeds it.

Times count in whole seconds, as in the snapshot (``*_ts``): ``nanos`` must be in range but takes
no part in comparisons, so a window must end at least one second after it starts. A timestamp
whose ``seconds`` is 0 counts as unset.
"""

from __future__ import annotations

import json
import math
import re
import zoneinfo
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from google.rpc import error_details_pb2  # type: ignore[import-untyped, unused-ignore]

from lastmile.v1 import orchestrator_pb2, types_pb2  # type: ignore[import-not-found, unused-ignore]

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from google.protobuf.duration_pb2 import Duration

    _Add = Callable[[str, str], None]

__all__ = [
    "FieldViolation",
    "InputError",
    "Limits",
    "to_bad_request",
    "validate_decide",
]

# ---------------------------------------------------------------------------------------------
# Bounds of the API contract (types.proto, orchestrator.proto). Not tunable: callers rely on them.

_NS: Final = 1_000_000_000
_MAX_TS_S: Final = 253_402_300_799  # 9999-12-31T23:59:59Z, the last valid Timestamp
_MAX_DURATION_S: Final = 315_576_000_000  # the Duration range, +-10,000 years
_DAY_S: Final = 86_400
_MAX_LEAD_TIME_S: Final = 14 * _DAY_S
_MAX_TIME_BUDGET_S: Final = 300
_MAX_ROUTE_DURATION_S: Final = 14 * _DAY_S
_MAX_ID_LEN: Final = 256
_MAX_REQUEST_ID_LEN: Final = 256
_MAX_TIMEZONE_LEN: Final = 64
_MAX_ATTRIBUTE_VALUE_LEN: Final = 256
_MAX_CENTS: Final = 1_000_000_000  # exclusive; 10 million in major units
_MAX_PARCEL_KG: Final = 2_000.0
_MAX_PARCEL_L: Final = 20_000.0
_MAX_SIDE_CM: Final = 1_000.0
_MAX_PARCEL_COUNT: Final = 10_000
_MAX_SPEED_KMH: Final = 200.0
_MAX_EMISSIONS_G_PER_KM: Final = 5_000.0
_MAX_OBJECTIVE_WEIGHT: Final = 1e6  # bounded so weight x cents cannot overflow
_MAX_DIM_DIVISOR: Final = 1e6
_MAX_PEAK_MULTIPLIER: Final = 10.0
_MAX_CIRCUITY: Final = 5.0
_MAX_MATRIX_M: Final = 100_000_000  # 100,000 km: any road trip
_MAX_MATRIX_S: Final = 14 * 86_400
_MATRIX_SHOWN: Final = 10  # bad matrix entries listed per matrix list
_DEFAULT_CURRENCY: Final = "EUR"
_MAX_TAG_BITS: Final = 64  # order tags become one uint64 bitset in the snapshot
_ID_SHOWN: Final = 64  # longest id quoted in a description

_TAG_RE: Final = re.compile(r"[a-z0-9_-]{1,32}")
_ATTRIBUTE_KEY_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")

_OWN_FLEET: Final = int(types_pb2.CARRIER_KIND_OWN_FLEET)
_SITE_KINDS: Final = frozenset(int(v) for v in types_pb2.SiteKind.values())
_CARRIER_KINDS: Final = frozenset(int(v) for v in types_pb2.CarrierKind.values()) - {0}
_CAPABILITIES: Final = frozenset(int(v) for v in types_pb2.Capability.values()) - {0}
_POLICIES: Final = frozenset(int(v) for v in orchestrator_pb2.AssignmentPolicy.values())
_BASELINES: Final = frozenset(int(v) for v in orchestrator_pb2.Baseline.values())


# ---------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One problem with one field of a request.

    Attributes
    ----------
    field : str
        Proto path of the field, 0-based, e.g. ``"orders[3].destination.location.lat"``. Empty
        for the summary that closes a capped list.
    description : str
        A sentence naming the item and the problem, e.g.
        ``"order ORD-000003: lat 91.2 is out of range [-90, 90]"``.
    """

    field: str
    description: str


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of one request; every limit must be > 0.

    Attributes
    ----------
    max_orders, max_carriers, max_vehicles, max_slots, max_sites : int
        Longest accepted ``orders``, ``carriers`` (also ``rate_cards``), ``vehicles``,
        ``capacity`` and ``sites`` lists.
    max_tags : int
        Distinct order tags in one request; at most 64 (they become a uint64 bitset).
    max_parcels_per_order, max_windows_per_order : int
        Longest ``parcels`` and ``promise.windows`` of one order.
    max_violations : int
        Violations listed in one `InputError`; the rest are counted in a final summary.

    Raises
    ------
    ValueError
        If a limit is not > 0, or `max_tags` is over 64.
    """

    max_orders: int = 50_000
    max_carriers: int = 64
    max_vehicles: int = 2_000
    max_slots: int = 100_000
    max_sites: int = 1_000
    max_tags: int = 64
    max_parcels_per_order: int = 500
    max_windows_per_order: int = 8
    max_violations: int = 200

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Expected {f.name} > 0")
        if self.max_tags > _MAX_TAG_BITS:
            raise ValueError(f"Expected max_tags <= {_MAX_TAG_BITS}")


class InputError(Exception):
    """Raised with every violation of a request; the gRPC layer maps it to INVALID_ARGUMENT.

    Parameters
    ----------
    violations : Iterable[FieldViolation]
        At least one violation.

    Attributes
    ----------
    violations : tuple[FieldViolation, ...]
        The violations in the order found (now, timezone, options, sites, rate cards,
        carriers, capacity, vehicles, orders), possibly closed by a summary.

    Raises
    ------
    ValueError
        If `violations` is empty.
    """

    violations: tuple[FieldViolation, ...]

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        found = tuple(violations)
        if not found:
            raise ValueError("Expected at least one violation")
        first = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        super().__init__(f"invalid request: {first.field}: {first.description}{more}")
        self.violations = found


def to_bad_request(violations: Iterable[FieldViolation]) -> error_details_pb2.BadRequest:
    """Convert violations into a ``google.rpc.BadRequest`` detail.

    Parameters
    ----------
    violations : Iterable[FieldViolation]
        Typically `InputError.violations`.

    Returns
    -------
    google.rpc.error_details_pb2.BadRequest
        One ``field_violations`` entry per violation, in the same order.

    Raises
    ------
    TypeError
        If an item is not a `FieldViolation`-like object with str ``field`` and
        ``description``.
    """
    bad = error_details_pb2.BadRequest()
    add = bad.field_violations.add
    for v in violations:
        add(field=v.field, description=v.description)
    return bad


#: Serialized size the error details may take. They travel base64-encoded in the trailing
#: metadata, which gRPC clients cap (8 KiB soft, 16 KiB hard by default): past it a caller sees
#: RESOURCE_EXHAUSTED instead of the INVALID_ARGUMENT it should get.
MAX_DETAIL_BYTES: Final = 4096
_MORE = re.compile(r"^\.\.\.and ([\d,]+) more violations")


def more_violations(count: int, listed: int) -> FieldViolation:
    """The entry that closes a capped list of violations."""
    return FieldViolation(
        "", f"...and {count:,} more violations (only the first {listed:,} are listed)"
    )


def _split(violations: Iterable[FieldViolation]) -> tuple[list[FieldViolation], int]:
    """(the violations listed, how many more a closing entry counts)."""
    counted = 0
    listed: list[FieldViolation] = []
    for v in violations:
        match = None if v.field else _MORE.match(v.description)
        if match:
            counted += int(match.group(1).replace(",", ""))
        else:
            listed.append(v)
    return listed, counted


def count_violations(violations: Iterable[FieldViolation]) -> int:
    """How many violations there are, those a closing entry only counts included."""
    listed, counted = _split(violations)
    return len(listed) + counted


def fit_violations(
    violations: Iterable[FieldViolation], max_bytes: int = MAX_DETAIL_BYTES
) -> tuple[FieldViolation, ...]:
    """The first violations whose ``BadRequest`` stays within ``max_bytes``, closed by one
    entry counting all the others (those cut here and those an earlier cap counted).

    Parameters
    ----------
    violations : Iterable[FieldViolation]
        As raised, possibly closed by a summary entry.
    max_bytes : int
        Size budget of the serialized ``BadRequest``, the closing entry included.

    Returns
    -------
    tuple[FieldViolation, ...]
    """
    listed, counted = _split(violations)
    bad = error_details_pb2.BadRequest()
    room = max_bytes - len(more_violations(10**9, 10**9).description) - 16  # its framing
    kept = 0
    for v in listed:
        bad.field_violations.add(field=v.field, description=v.description)
        if bad.ByteSize() > room:
            break
        kept += 1
    rest = len(listed) - kept + counted
    if not rest:
        return tuple(listed)
    return (*listed[:kept], more_violations(rest, kept))


def validate_decide(
    request: orchestrator_pb2.DecideRequest,
    limits: Limits,
    default_rate_card_ids: Iterable[str] = (),
) -> None:
    """Check a ``DecideRequest`` against the API contract before any work.

    Every check runs, and every violation is collected before raising once. Lists longer than
    their limit are reported on the list and their items are not checked.

    Parameters
    ----------
    request : lastmile.v1.orchestrator_pb2.DecideRequest
        The request as received.
    limits : Limits
        Size limits and the cap on listed violations.
    default_rate_card_ids : Iterable[str]
        Ids of the service's rate cards (rate files) a carrier may name besides the request's.

    Raises
    ------
    InputError
        With every violation found (at most ``limits.max_violations`` listed, then a summary
        ``"...and N more violations"`` whose field is empty).
    """
    out = _Collector(limits.max_violations)
    add = out.add
    now_s = _check_header(request, add)
    currency = _check_options(request.options, add)
    site_ids = _check_sites(request.sites, limits.max_sites, add)
    rate_card_ids = _check_rate_cards(request.rate_cards, limits.max_carriers, currency, add)
    if rate_card_ids is not None:
        rate_card_ids |= set(default_rate_card_ids)
    carrier_kinds, carrier_zones = _check_carriers(
        request.carriers, limits.max_carriers, rate_card_ids, add
    )
    slot_zones = _check_capacity(request.capacity, limits.max_slots, carrier_kinds, add)
    _check_vehicles(request.vehicles, limits.max_vehicles, carrier_kinds, site_ids, add)
    zones = None if carrier_zones is None or slot_zones is None else carrier_zones | slot_zones
    _check_orders(request.orders, limits, now_s, currency, site_ids, zones, add)
    if request.HasField("matrix"):
        _check_matrix(request, limits, site_ids, add)
    if out.items:
        raise InputError(out.result())


# ---------------------------------------------------------------------------------------------
# Collection and wording


class _Collector:
    """Keeps the first `cap` violations and counts the others."""

    __slots__ = ("cap", "dropped", "items")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.dropped = 0
        self.items: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        if len(self.items) < self.cap:
            self.items.append(FieldViolation(field, description))
        else:
            self.dropped += 1

    def result(self) -> tuple[FieldViolation, ...]:
        if not self.dropped:
            return tuple(self.items)
        return (*self.items, more_violations(self.dropped, self.cap))


def _who(kind: str, ident: str, idx: int) -> str:
    """Name an item for a description: ``order ORD-1``, or ``order at index 3`` without id."""
    if not ident:
        return f"{kind} at index {idx}"
    if len(ident) > _ID_SHOWN or not ident.isprintable():
        return f"{kind} {_quote(ident)}"
    return f"{kind} {ident}"


def _quote(text: str) -> str:
    """Quote a caller string for a description, shortened and with escapes visible."""
    if len(text) > _ID_SHOWN:
        text = text[: _ID_SHOWN - 3] + "..."
    return json.dumps(text)


def _num(bound: float) -> str:
    """Format a range bound: 90 rather than 90.0."""
    return f"{bound:g}" if bound != int(bound) or abs(bound) >= 1e16 else f"{int(bound):,}"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _within(add: _Add, field: str, noun: str, count: int, limit: int) -> bool:
    if count > limit:
        add(field, f"{count:,} {noun} exceed the limit of {limit:,}")
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Value checks shared by all items. Each reports and returns whether the value is usable.


def _check_range(
    add: _Add,
    path: str,
    who: str,
    name: str,
    value: float,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> bool:
    """Report `value` unless it is finite and inside the interval."""
    if not math.isfinite(value):
        add(path, f"{who}: {name} {value} is not a finite number")
        return False
    if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
        interval = f"{'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
        add(path, f"{who}: {name} {value} is out of range {interval}")
        return False
    return True


def _check_finite_non_negative(add: _Add, path: str, who: str, name: str, value: float) -> bool:
    if not math.isfinite(value):
        add(path, f"{who}: {name} {value} is not a finite number")
        return False
    if value < 0.0:
        add(path, f"{who}: {name} {value} is negative")
        return False
    return True


def _check_cents(add: _Add, path: str, who: str, name: str, value: int) -> None:
    if not 0 <= value < _MAX_CENTS:
        add(path, f"{who}: {name} {value:,} is out of range [0, {_MAX_CENTS:,})")


def _check_enum(
    add: _Add,
    path: str,
    who: str,
    name: str,
    value: int,
    known: frozenset[int],
    enum_name: str,
) -> None:
    """Report an unknown number, or UNSPECIFIED when `known` does not contain 0."""
    if value in known:
        return
    if value == 0:
        add(path, f"{who}: {name} must be set; {enum_name} UNSPECIFIED (0) is not allowed")
    else:
        add(path, f"{who}: {name} {value} is not a known {enum_name} value")


def _check_location(add: _Add, path: str, who: str, lat: float, lon: float) -> None:
    if lat == 0.0 and lon == 0.0:
        add(path, f"{who}: missing location (unset or exactly 0, 0)")
        return
    _check_range(add, f"{path}.lat", who, "latitude", lat, -90.0, 90.0)
    _check_range(add, f"{path}.lon", who, "longitude", lon, -180.0, 180.0)


def _check_id(
    add: _Add, path: str, kind: str, ident: str, idx: int, first: dict[str, int], plural: str
) -> None:
    """Report a missing, overlong or duplicate id; record the first use of each id."""
    if not ident:
        add(f"{path}.id", f"{kind} at index {idx}: missing id")
        return
    if len(ident) > _MAX_ID_LEN:
        add(
            f"{path}.id",
            f"{_who(kind, ident, idx)}: id is {len(ident):,} characters long; "
            f"at most {_MAX_ID_LEN} are allowed",
        )
    j = first.setdefault(ident, idx)
    if j != idx:
        add(f"{path}.id", f"{_who(kind, ident, idx)}: duplicate id, first used by {plural}[{j}]")


def _check_timestamp(
    add: _Add, path: str, who: str, name: str, seconds: int, nanos: int, *, required: bool
) -> int | None:
    """Return whole seconds, or None if unset (reported when required) or malformed."""
    if seconds == 0:
        if required:
            add(path, f"{who}: missing {name}")
        return None
    if not 0 < seconds <= _MAX_TS_S:
        add(
            path,
            f"{who}: {name} seconds {seconds:,} is out of range "
            "(1970-01-01T00:00:01Z to 9999-12-31T23:59:59Z)",
        )
        return None
    if not 0 <= nanos < _NS:
        add(path, f"{who}: {name} nanos {nanos:,} is out of range [0, 999,999,999]")
        return None
    return seconds


def _check_window(
    add: _Add, path: str, who: str, name: str, window: types_pb2.TimeWindow
) -> tuple[int, int] | None:
    """Return (start_s, end_s) of a window that has both ends and ends after it starts."""
    start, end = window.start, window.end
    start_s = _check_timestamp(
        add, f"{path}.start", who, f"{name} start", start.seconds, start.nanos, required=True
    )
    end_s = _check_timestamp(
        add, f"{path}.end", who, f"{name} end", end.seconds, end.nanos, required=True
    )
    if start_s is None or end_s is None:
        return None
    if end_s <= start_s:
        add(
            f"{path}.end",
            f"{who}: {name} end {_iso(end_s)} is not after its start {_iso(start_s)} "
            "(times count in whole seconds)",
        )
        return None
    return start_s, end_s


def _window_ok(window: types_pb2.TimeWindow) -> bool:
    """Whether `_check_window` would accept the window, without wording anything."""
    start = window.start
    end = window.end
    start_s: int = start.seconds
    end_s: int = end.seconds
    return 0 < start_s < end_s <= _MAX_TS_S and 0 <= start.nanos < _NS and 0 <= end.nanos < _NS


def _check_duration(
    add: _Add,
    path: str,
    who: str,
    name: str,
    duration: Duration,
    hi_s: float,
    *,
    hi_open: bool,
) -> float | None:
    """Return a well-formed duration in [0, hi_s] (or [0, hi_s)) in seconds, else report."""
    seconds: int = duration.seconds
    nanos: int = duration.nanos
    if (
        not -_MAX_DURATION_S <= seconds <= _MAX_DURATION_S
        or not -_NS < nanos < _NS
        or (seconds > 0 and nanos < 0)
        or (seconds < 0 and nanos > 0)
    ):
        add(path, f"{who}: {name} ({seconds} s, {nanos} ns) is not a valid duration")
        return None
    value = seconds + nanos / _NS
    if value < 0.0:
        add(path, f"{who}: {name} {value:g} s is negative")
        return None
    if value > hi_s or (hi_open and value == hi_s):
        interval = f"[0, {_num(hi_s)} s{')' if hi_open else ']'}"
        add(path, f"{who}: {name} {value:g} s is out of range {interval}")
        return None
    return value


# ---------------------------------------------------------------------------------------------
# Request header and options


def _check_header(request: orchestrator_pb2.DecideRequest, add: _Add) -> int | None:
    """Check now, timezone and request_id; return now in seconds when usable."""
    who = "request"
    if len(request.request_id) > _MAX_REQUEST_ID_LEN:
        add(
            "request_id",
            f"{who}: request_id is {len(request.request_id):,} characters long; "
            f"at most {_MAX_REQUEST_ID_LEN} are allowed",
        )
    now = request.now
    now_s = _check_timestamp(add, "now", who, "now", now.seconds, now.nanos, required=True)
    timezone: str = request.timezone
    if timezone and not _is_time_zone(timezone):
        add("timezone", f"{who}: timezone {_quote(timezone)} is not a known IANA time zone")
    return now_s


def _is_time_zone(name: str) -> bool:
    if len(name) > _MAX_TIMEZONE_LEN:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _check_options(options: orchestrator_pb2.DecisionOptions, add: _Add) -> str | None:
    """Check the options; return the request's currency, or None when it is malformed."""
    who = "options"
    weights = options.weights
    for name in ("cost", "lateness", "emissions"):
        _check_range(
            add,
            f"options.weights.{name}",
            who,
            f"weight {name}",
            getattr(weights, name),
            0.0,
            _MAX_OBJECTIVE_WEIGHT,
        )
    _check_duration(
        add,
        "options.time_budget",
        who,
        "time_budget",
        options.time_budget,
        _MAX_TIME_BUDGET_S,
        hi_open=False,
    )
    _check_enum(
        add,
        "options.savings_baseline",
        who,
        "savings_baseline",
        options.savings_baseline,
        _BASELINES,
        "Baseline",
    )
    _check_enum(add, "options.policy", who, "policy", options.policy, _POLICIES, "AssignmentPolicy")
    circuity: float = options.circuity_factor
    if circuity != 0.0:
        _check_range(
            add, "options.circuity_factor", who, "circuity_factor", circuity, 1.0, _MAX_CIRCUITY
        )
    currency: str = options.currency
    if not currency:
        return _DEFAULT_CURRENCY
    if _CURRENCY_RE.fullmatch(currency) is None:
        add(
            "options.currency",
            f"{who}: currency {_quote(currency)} is not 3 upper-case letters (ISO 4217)",
        )
        return None
    return currency


# ---------------------------------------------------------------------------------------------
# Sites, rate cards, carriers, capacity slots, vehicles


def _check_sites(sites: Sequence[types_pb2.Site], limit: int, add: _Add) -> set[str] | None:
    """Check the sites; return their ids, or None when the list is over its limit."""
    if not _within(add, "sites", "sites", len(sites), limit):
        return None
    first: dict[str, int] = {}
    for i, site in enumerate(sites):
        path = f"sites[{i}]"
        ident: str = site.id
        _check_id(add, path, "site", ident, i, first, "sites")
        who = _who("site", ident, i)
        location = site.location
        _check_location(add, f"{path}.location", who, location.lat, location.lon)
        kind: int = site.kind
        if kind not in _SITE_KINDS:
            _check_enum(add, f"{path}.kind", who, "kind", kind, _SITE_KINDS, "SiteKind")
        for k, window in enumerate(site.opening_hours):
            _check_window(add, f"{path}.opening_hours[{k}]", who, "opening hours", window)
    return set(first)


def _check_bounds(
    add: _Add,
    path: str,
    who: str,
    items: Sequence[types_pb2.DistanceBand] | Sequence[types_pb2.WeightTier],
    list_name: str,
    noun: str,
    bound_name: str,
    cents_name: str,
) -> None:
    """Bands and tiers: upper bounds strictly increasing, only the last may be 0 (unbounded)."""
    last = len(items) - 1
    prev: float | None = None
    prev_k = -1
    for k, item in enumerate(items):
        item_path = f"{path}.{list_name}[{k}]"
        _check_cents(
            add,
            f"{item_path}.{cents_name}",
            who,
            f"{noun} {k} {cents_name}",
            getattr(item, cents_name),
        )
        bound: float = getattr(item, bound_name)
        name = f"{noun} {k} {bound_name}"
        if not _check_finite_non_negative(add, f"{item_path}.{bound_name}", who, name, bound):
            continue
        if bound == 0.0:
            if k != last:
                add(
                    f"{item_path}.{bound_name}",
                    f"{who}: {name} is 0 (unbounded), which only the last {noun} may be",
                )
            continue
        if prev is not None and bound <= prev:
            add(
                f"{item_path}.{bound_name}",
                f"{who}: {name} {bound} is not above {noun} {prev_k}'s {prev}; "
                "upper bounds must strictly increase",
            )
        prev, prev_k = bound, k


def _check_rate_cards(
    cards: Sequence[types_pb2.RateCard], limit: int, currency: str | None, add: _Add
) -> set[str] | None:
    """Check the rate cards; return their ids, or None when the list is over its limit."""
    if not _within(add, "rate_cards", "rate cards", len(cards), limit):
        return None
    first: dict[str, int] = {}
    for i, card in enumerate(cards):
        path = f"rate_cards[{i}]"
        ident: str = card.id
        _check_id(add, path, "rate card", ident, i, first, "rate_cards")
        who = _who("rate card", ident, i)
        card_currency: str = card.currency
        if currency is not None and card_currency != currency:
            add(
                f"{path}.currency",
                f"{who}: currency {_quote(card_currency)} differs from the request's "
                f"currency {currency}",
            )
        for name in (
            "base_cents",
            "same_day_premium_cents",
            "window_premium_cents",
            "min_charge_cents",
        ):
            _check_cents(add, f"{path}.{name}", who, name, getattr(card, name))
        _check_bounds(
            add,
            path,
            who,
            card.distance_bands,
            "distance_bands",
            "distance band",
            "up_to_km",
            "per_km_cents",
        )
        _check_bounds(
            add, path, who, card.weight_tiers, "weight_tiers", "weight tier", "up_to_kg", "cents"
        )
        divisor: float = card.dim_divisor
        if divisor != 0.0:
            _check_range(
                add, f"{path}.dim_divisor", who, "dim_divisor", divisor, 1.0, _MAX_DIM_DIVISOR
            )
        for k, surcharge in enumerate(card.zone_surcharges):
            if not surcharge.zone_id:
                add(
                    f"{path}.zone_surcharges[{k}].zone_id",
                    f"{who}: zone surcharge {k} has no zone_id",
                )
            _check_cents(
                add,
                f"{path}.zone_surcharges[{k}].cents",
                who,
                f"zone surcharge {k} cents",
                surcharge.cents,
            )
        for k, peak in enumerate(card.peaks):
            _check_peak(add, f"{path}.peaks[{k}]", who, f"peak {k}", peak)
        _check_range(
            add,
            f"{path}.fuel_surcharge_pct",
            who,
            "fuel_surcharge_pct",
            card.fuel_surcharge_pct,
            0.0,
            100.0,
        )
        for k, addon in enumerate(card.addons):
            _check_enum(
                add,
                f"{path}.addons[{k}].capability",
                who,
                f"add-on {k} capability",
                addon.capability,
                _CAPABILITIES,
                "Capability",
            )
            _check_cents(add, f"{path}.addons[{k}].cents", who, f"add-on {k} cents", addon.cents)
    return set(first)


def _check_peak(add: _Add, path: str, who: str, name: str, peak: types_pb2.PeakMultiplier) -> None:
    from_hour: int = peak.from_hour
    to_hour: int = peak.to_hour
    if not 0 <= from_hour < 24:
        add(f"{path}.from_hour", f"{who}: {name} from_hour {from_hour} is out of range [0, 24)")
    elif not from_hour < to_hour <= 24:
        add(
            f"{path}.to_hour",
            f"{who}: {name} to_hour {to_hour} is out of range ({from_hour}, 24] "
            "(after from_hour, at most 24)",
        )
    for j, day in enumerate(peak.weekdays):
        if not 1 <= day <= 7:
            add(
                f"{path}.weekdays[{j}]",
                f"{who}: {name} weekday {day} is out of range [1, 7] (ISO, 1 = Monday)",
            )
    _check_range(
        add,
        f"{path}.multiplier",
        who,
        f"{name} multiplier",
        peak.multiplier,
        0.0,
        _MAX_PEAK_MULTIPLIER,
        lo_open=True,
    )


def _check_carriers(
    carriers: Sequence[types_pb2.Carrier],
    limit: int,
    rate_card_ids: set[str] | None,
    add: _Add,
) -> tuple[dict[str, int] | None, set[str] | None]:
    """Check the carriers; return kind by carrier id and the zones they name.

    Both are None when the list is over its limit (references into it are not checked then).
    """
    if not _within(add, "carriers", "carriers", len(carriers), limit):
        return None, None
    first: dict[str, int] = {}
    kinds: dict[str, int] = {}
    zones: set[str] = set()
    for i, carrier in enumerate(carriers):
        path = f"carriers[{i}]"
        ident: str = carrier.id
        _check_id(add, path, "carrier", ident, i, first, "carriers")
        who = _who("carrier", ident, i)
        kind: int = carrier.kind
        _check_enum(add, f"{path}.kind", who, "kind", kind, _CARRIER_KINDS, "CarrierKind")
        if ident:
            kinds.setdefault(ident, kind)
        for k, capability in enumerate(carrier.capabilities):
            _check_enum(
                add,
                f"{path}.capabilities[{k}]",
                who,
                f"capability {k}",
                capability,
                _CAPABILITIES,
                "Capability",
            )
        for k, zone in enumerate(carrier.zone_ids):
            if zone:
                zones.add(zone)
            else:
                add(f"{path}.zone_ids[{k}]", f"{who}: zone id {k} is empty")
        limits = carrier.limits
        for name in ("max_weight_kg", "max_volume_l", "max_length_cm"):
            _check_finite_non_negative(
                add, f"{path}.limits.{name}", who, f"limits.{name}", getattr(limits, name)
            )
        max_parcels: int = limits.max_parcels
        if max_parcels < 0:
            add(
                f"{path}.limits.max_parcels", f"{who}: limits.max_parcels {max_parcels} is negative"
            )
        _check_duration(
            add,
            f"{path}.same_day_cutoff",
            who,
            "same_day_cutoff",
            carrier.same_day_cutoff,
            _DAY_S,
            hi_open=True,
        )
        _check_duration(
            add,
            f"{path}.lead_time",
            who,
            "lead_time",
            carrier.lead_time,
            _MAX_LEAD_TIME_S,
            hi_open=True,
        )
        rate_card_id: str = carrier.rate_card_id
        if kind == _OWN_FLEET:
            if rate_card_id:
                add(
                    f"{path}.rate_card_id",
                    f"{who}: an OWN_FLEET carrier is priced from its vehicles' costs and must "
                    f"not name a rate card (got {_quote(rate_card_id)})",
                )
        elif rate_card_id:
            if rate_card_ids is not None and rate_card_id not in rate_card_ids:
                add(
                    f"{path}.rate_card_id",
                    f"{who}: rate_card_id {_quote(rate_card_id)} names no rate card of the request "
                    "or of the service's rate files",
                )
        elif kind in _CARRIER_KINDS:
            add(f"{path}.rate_card_id", f"{who}: missing rate_card_id (required for partners)")
        _check_range(
            add,
            f"{path}.emissions_g_per_km",
            who,
            "emissions_g_per_km",
            carrier.emissions_g_per_km,
            0.0,
            _MAX_EMISSIONS_G_PER_KM,
        )
        _check_range(add, f"{path}.reliability", who, "reliability", carrier.reliability, 0.0, 1.0)
        _check_range(
            add, f"{path}.speed_kmh", who, "speed_kmh", carrier.speed_kmh, 0.0, _MAX_SPEED_KMH
        )
    return kinds, zones


def _check_capacity(
    slots: Sequence[types_pb2.CapacitySlot],
    limit: int,
    carrier_kinds: dict[str, int] | None,
    add: _Add,
) -> set[str] | None:
    """Check the capacity slots; return their zones, or None when over the limit."""
    if not _within(add, "capacity", "capacity slots", len(slots), limit):
        return None
    first: dict[str, int] = {}
    setdefault = first.setdefault
    zones: set[str] = set()
    for i, slot in enumerate(slots):
        ident: str = slot.id
        if not ident or len(ident) > _MAX_ID_LEN or setdefault(ident, i) != i:
            _check_id(add, f"capacity[{i}]", "slot", ident, i, first, "capacity")
        carrier_id: str = slot.carrier_id
        if carrier_kinds is not None and carrier_id not in carrier_kinds:
            if carrier_id:
                add(
                    f"capacity[{i}].carrier_id",
                    f"{_who('slot', ident, i)}: carrier_id {_quote(carrier_id)} names no "
                    "carrier of the request",
                )
            else:
                add(f"capacity[{i}].carrier_id", f"{_who('slot', ident, i)}: missing carrier_id")
        zone: str = slot.zone_id
        if zone:
            zones.add(zone)
        else:
            add(f"capacity[{i}].zone_id", f"{_who('slot', ident, i)}: missing zone_id")
        window = slot.window
        if not _window_ok(window):
            _check_window(add, f"capacity[{i}].window", _who("slot", ident, i), "window", window)
        remaining: int = slot.remaining_orders
        if remaining < 0:
            add(
                f"capacity[{i}].remaining_orders",
                f"{_who('slot', ident, i)}: remaining_orders {remaining} is negative",
            )
        weight: float = slot.remaining_weight_kg
        if not 0.0 <= weight < math.inf:
            _check_finite_non_negative(
                add,
                f"capacity[{i}].remaining_weight_kg",
                _who("slot", ident, i),
                "remaining_weight_kg",
                weight,
            )
    return zones


def _check_vehicles(
    vehicles: Sequence[types_pb2.Vehicle],
    limit: int,
    carrier_kinds: dict[str, int] | None,
    site_ids: set[str] | None,
    add: _Add,
) -> None:
    if not _within(add, "vehicles", "vehicles", len(vehicles), limit):
        return
    first: dict[str, int] = {}
    for i, vehicle in enumerate(vehicles):
        path = f"vehicles[{i}]"
        ident: str = vehicle.id
        _check_id(add, path, "vehicle", ident, i, first, "vehicles")
        who = _who("vehicle", ident, i)
        carrier_id: str = vehicle.carrier_id
        if not carrier_id:
            add(f"{path}.carrier_id", f"{who}: missing carrier_id")
        elif carrier_kinds is not None:
            kind = carrier_kinds.get(carrier_id)
            if kind is None:
                add(
                    f"{path}.carrier_id",
                    f"{who}: carrier_id {_quote(carrier_id)} names no carrier of the request",
                )
            elif kind != _OWN_FLEET and kind in _CARRIER_KINDS:
                add(
                    f"{path}.carrier_id",
                    f"{who}: carrier {carrier_id} is {types_pb2.CarrierKind.Name(kind)}; "
                    "vehicles belong to an OWN_FLEET carrier",
                )
        if not vehicle.depot_site_id:
            add(f"{path}.depot_site_id", f"{who}: missing depot_site_id (where the van starts)")
        for name in ("depot_site_id", "end_site_id"):
            site_id: str = getattr(vehicle, name)
            if site_id and site_ids is not None and site_id not in site_ids:
                add(
                    f"{path}.{name}",
                    f"{who}: {name} {_quote(site_id)} names no site of the request",
                )
        _check_window(add, f"{path}.shift", who, "shift", vehicle.shift)
        capacity = vehicle.capacity
        for name in ("weight_kg", "volume_l"):
            _check_finite_non_negative(
                add, f"{path}.capacity.{name}", who, f"capacity.{name}", getattr(capacity, name)
            )
        stops: int = capacity.stops
        if stops < 0:
            add(f"{path}.capacity.stops", f"{who}: capacity.stops {stops} is negative")
        for k, skill in enumerate(vehicle.skills):
            _check_enum(
                add, f"{path}.skills[{k}]", who, f"skill {k}", skill, _CAPABILITIES, "Capability"
            )
        for name in ("cost_per_km_cents", "cost_per_hour_cents", "fixed_cost_cents"):
            _check_cents(add, f"{path}.{name}", who, name, getattr(vehicle, name))
        if vehicle.HasField("driver_break"):
            brk = vehicle.driver_break
            span = _check_window(
                add, f"{path}.driver_break.window", who, "driver break window", brk.window
            )
            longest = float(span[1] - span[0] if span is not None else _DAY_S)
            _check_duration(
                add,
                f"{path}.driver_break.duration",
                who,
                "driver break duration",
                brk.duration,
                longest,
                hi_open=False,
            )
        _check_duration(
            add,
            f"{path}.max_route_duration",
            who,
            "max_route_duration",
            vehicle.max_route_duration,
            _MAX_ROUTE_DURATION_S,
            hi_open=False,
        )
        _check_range(
            add, f"{path}.speed_kmh", who, "speed_kmh", vehicle.speed_kmh, 0.0, _MAX_SPEED_KMH
        )


# ---------------------------------------------------------------------------------------------
# Orders: the hot path. One pass; cheap comparisons first, wording only for bad values.


class _Everything:
    """Stands in for the ids of a list over its limit: references into it are not checked."""

    __slots__ = ()

    def __contains__(self, item: object) -> bool:
        return True


_EVERYTHING: Final = _Everything()


def _check_orders(
    orders: Sequence[types_pb2.Order],
    limits: Limits,
    now_s: int | None,
    currency: str | None,
    site_ids: set[str] | None,
    zones: set[str] | None,
    add: _Add,
) -> None:
    """Check the orders in one pass: cheap comparisons first, wording only for bad values."""
    if not _within(add, "orders", "orders", len(orders), limits.max_orders):
        return
    max_parcels = limits.max_parcels_per_order
    max_windows = limits.max_windows_per_order
    sites: set[str] | _Everything = _EVERYTHING if site_ids is None else site_ids
    known_zones: set[str] | _Everything = _EVERYTHING if zones is None else zones
    latest_created_s = _MAX_TS_S if now_s is None else now_s
    tag_book = _TagBook(limits.max_tags)
    good_tags = tag_book.good
    good_keys: set[str] = set()
    first: dict[str, int] = {}
    setdefault = first.setdefault
    inf = math.inf
    for i, order in enumerate(orders):
        ident: str = order.id
        if not ident or len(ident) > _MAX_ID_LEN or setdefault(ident, i) != i:
            _check_id(add, f"orders[{i}]", "order", ident, i, first, "orders")

        origin: str = order.origin_site_id
        if origin not in sites:
            add(
                f"orders[{i}].origin_site_id",
                f"{_who('order', ident, i)}: origin_site_id {_quote(origin)} names no site of "
                "the request"
                if origin
                else f"{_who('order', ident, i)}: missing origin_site_id",
            )

        destination = order.destination
        location = destination.location
        lat: float = location.lat
        lon: float = location.lon
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0.0 and lon == 0.0):
            _check_location(
                add, f"orders[{i}].destination.location", _who("order", ident, i), lat, lon
            )
        zone: str = destination.zone_id
        if zone and zone not in known_zones:
            add(
                f"orders[{i}].destination.zone_id",
                f"{_who('order', ident, i)}: zone_id {_quote(zone)} is not a zone of any "
                "carrier or slot of the request",
            )

        parcels = order.parcels
        n_parcels = len(parcels)
        if 0 < n_parcels <= max_parcels:
            total_kg = 0.0
            for k, parcel in enumerate(parcels):
                weight: float = parcel.weight_kg
                volume: float = parcel.volume_l
                count: int = parcel.count
                dims = parcel.dimensions_cm
                if (
                    0.0 < weight <= _MAX_PARCEL_KG
                    and 0.0 <= volume <= _MAX_PARCEL_L
                    and 0 <= count <= _MAX_PARCEL_COUNT
                    and 0.0 <= dims.length_cm <= _MAX_SIDE_CM
                    and 0.0 <= dims.width_cm <= _MAX_SIDE_CM
                    and 0.0 <= dims.height_cm <= _MAX_SIDE_CM
                ):
                    total_kg += weight * (count or 1)
                else:
                    _check_parcel(
                        add, f"orders[{i}].parcels[{k}]", _who("order", ident, i), k, parcel
                    )
            if not total_kg < inf:
                add(
                    f"orders[{i}].parcels",
                    f"{_who('order', ident, i)}: total weight {total_kg} kg is not finite",
                )
        elif n_parcels == 0:
            add(
                f"orders[{i}].parcels",
                f"{_who('order', ident, i)}: no parcels; at least one is required",
            )
        else:
            add(
                f"orders[{i}].parcels",
                f"{_who('order', ident, i)}: {n_parcels:,} parcels exceed the limit of "
                f"{max_parcels:,}",
            )

        tags = order.tags
        if tags and not good_tags.issuperset(tags):
            tag_book.check(add, i, ident, tags)

        attributes = order.attributes
        if attributes:
            _check_attributes(add, i, ident, attributes, good_keys)

        if order.HasField("declared_value"):
            money = order.declared_value
            cents: int = money.cents
            if not 0 <= cents < _MAX_CENTS:
                _check_cents(
                    add,
                    f"orders[{i}].declared_value.cents",
                    _who("order", ident, i),
                    "declared_value",
                    cents,
                )
            value_currency: str = money.currency
            if value_currency and currency is not None and value_currency != currency:
                add(
                    f"orders[{i}].declared_value.currency",
                    f"{_who('order', ident, i)}: declared_value currency "
                    f"{_quote(value_currency)} differs from the request's currency {currency}",
                )

        created = order.created_at
        created_s: int = created.seconds  # 0 = unset, or left out of comparisons when malformed
        if created_s:
            if not (0 < created_s <= _MAX_TS_S and 0 <= created.nanos < _NS):
                _check_timestamp(
                    add,
                    f"orders[{i}].created_at",
                    _who("order", ident, i),
                    "created_at",
                    created_s,
                    created.nanos,
                    required=False,
                )
                created_s = 0
            elif created_s > latest_created_s:
                add(
                    f"orders[{i}].created_at",
                    f"{_who('order', ident, i)}: created_at {_iso(created_s)} is after now "
                    f"{_iso(latest_created_s)}",
                )

        promise = order.promise
        windows = promise.windows
        n_windows = len(windows)
        deadline = promise.deadline
        deadline_s: int = deadline.seconds
        if deadline_s:
            if n_windows:
                add(
                    f"orders[{i}].promise",
                    f"{_who('order', ident, i)}: promise has both a deadline and windows; "
                    "give one of them",
                )
            if not (0 < deadline_s <= _MAX_TS_S and 0 <= deadline.nanos < _NS):
                _check_timestamp(
                    add,
                    f"orders[{i}].promise.deadline",
                    _who("order", ident, i),
                    "deadline",
                    deadline_s,
                    deadline.nanos,
                    required=False,
                )
            elif deadline_s <= created_s:
                add(
                    f"orders[{i}].promise.deadline",
                    f"{_who('order', ident, i)}: deadline {_iso(deadline_s)} is not after "
                    f"created_at {_iso(created_s)}",
                )
        elif not n_windows:
            add(
                f"orders[{i}].promise",
                f"{_who('order', ident, i)}: promise needs a deadline or at least one window",
            )
        if n_windows > max_windows:
            add(
                f"orders[{i}].promise.windows",
                f"{_who('order', ident, i)}: {n_windows:,} promise windows exceed the limit "
                f"of {max_windows:,}",
            )
        elif n_windows:
            prev_end_s = 0
            prev_k = -1
            for k, window in enumerate(windows):
                start = window.start
                end = window.end
                start_s: int = start.seconds
                end_s: int = end.seconds
                if (
                    0 < start_s < end_s <= _MAX_TS_S
                    and 0 <= start.nanos < _NS
                    and 0 <= end.nanos < _NS
                ):
                    if start_s < prev_end_s:
                        add(
                            f"orders[{i}].promise.windows[{k}]",
                            f"{_who('order', ident, i)}: promise window {k} starts at "
                            f"{_iso(start_s)}, before window {prev_k} ends at "
                            f"{_iso(prev_end_s)}; windows must be sorted and must not overlap",
                        )
                    prev_end_s = end_s
                    prev_k = k
                else:
                    _check_window(
                        add,
                        f"orders[{i}].promise.windows[{k}]",
                        _who("order", ident, i),
                        f"promise window {k}",
                        window,
                    )


def _check_parcel(add: _Add, path: str, who: str, k: int, parcel: types_pb2.Parcel) -> None:
    name = f"parcel {k}"
    _check_range(
        add,
        f"{path}.weight_kg",
        who,
        f"{name} weight_kg",
        parcel.weight_kg,
        0.0,
        _MAX_PARCEL_KG,
        lo_open=True,
    )
    _check_range(
        add, f"{path}.volume_l", who, f"{name} volume_l", parcel.volume_l, 0.0, _MAX_PARCEL_L
    )
    dims = parcel.dimensions_cm
    for side in ("length_cm", "width_cm", "height_cm"):
        _check_range(
            add,
            f"{path}.dimensions_cm.{side}",
            who,
            f"{name} {side}",
            getattr(dims, side),
            0.0,
            _MAX_SIDE_CM,
        )
    count: int = parcel.count
    if not 0 <= count <= _MAX_PARCEL_COUNT:
        add(
            f"{path}.count",
            f"{who}: {name} count {count:,} is out of range [0, {_MAX_PARCEL_COUNT:,}]",
        )


class _TagBook:
    """Distinct valid tags of a request, up to the limit; reports bad and surplus tags."""

    __slots__ = ("good", "limit", "surplus")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.good: set[str] = set()
        self.surplus: set[str] = set()

    def check(self, add: _Add, i: int, ident: str, tags: Iterable[str]) -> None:
        good = self.good
        for k, tag in enumerate(tags):
            if tag in good:
                continue
            if _TAG_RE.fullmatch(tag) is None:
                add(
                    f"orders[{i}].tags[{k}]",
                    f"{_who('order', ident, i)}: tag {_quote(tag)} is not 1 to 32 characters "
                    "of a-z, 0-9, _ and -",
                )
            elif len(good) < self.limit:
                good.add(tag)
            elif tag not in self.surplus:
                self.surplus.add(tag)
                add(
                    f"orders[{i}].tags[{k}]",
                    f"{_who('order', ident, i)}: tag {_quote(tag)} is distinct tag number "
                    f"{self.limit + len(self.surplus)}; at most {self.limit} distinct tags are "
                    "allowed in one request",
                )


def _check_attributes(
    add: _Add, i: int, ident: str, attributes: Mapping[str, str], good_keys: set[str]
) -> None:
    for key, value in attributes.items():
        if key not in good_keys:
            if _ATTRIBUTE_KEY_RE.fullmatch(key) is None:
                add(
                    f"orders[{i}].attributes[{_quote(key)}]",
                    f"{_who('order', ident, i)}: attribute key {_quote(key)} is not 1 to 32 "
                    "characters of a-z, 0-9 and _",
                )
                continue
            good_keys.add(key)
        if len(value) > _MAX_ATTRIBUTE_VALUE_LEN:
            add(
                f"orders[{i}].attributes[{_quote(key)}]",
                f"{_who('order', ident, i)}: attribute {key} value is {len(value):,} characters "
                f"long; at most {_MAX_ATTRIBUTE_VALUE_LEN} are allowed",
            )


# ---------------------------------------------------------------------------------------------
# Travel matrix


def _check_matrix(
    request: orchestrator_pb2.DecideRequest,
    limits: Limits,
    site_ids: set[str] | None,
    add: _Add,
) -> None:
    """`matrix`: known, unique location ids (site or order ids); `distances_m` and (when
    given) `durations_s` with len(location_ids)^2 entries in range. Entries are int64, so
    there is no NaN to catch; negative and absurd values are reported by row and column."""
    matrix = request.matrix
    ids: Sequence[str] = matrix.location_ids
    n = len(ids)
    if not _within(
        add, "matrix.location_ids", "locations", n, limits.max_sites + limits.max_orders
    ):
        return
    if n == 0:
        add("matrix.location_ids", "matrix: location_ids is empty (omit the matrix instead)")
    order_ids = (
        {order.id for order in request.orders} if len(request.orders) <= limits.max_orders else None
    )
    first: dict[str, int] = {}
    for k, ident in enumerate(ids):
        path = f"matrix.location_ids[{k}]"
        if not ident:
            add(path, f"matrix: location id {k} is empty")
            continue
        if first.setdefault(ident, k) != k:
            add(path, f"matrix: location id {_quote(ident)} repeats location_ids[{first[ident]}]")
            continue
        is_site = site_ids is not None and ident in site_ids
        is_order = order_ids is not None and ident in order_ids
        if is_site and is_order:
            add(path, f"matrix: location id {_quote(ident)} is both a site id and an order id")
        elif not is_site and not is_order and site_ids is not None and order_ids is not None:
            add(
                path,
                f"matrix: unknown location id {_quote(ident)}: not a site or order id of the "
                "request",
            )
    for name, noun, hi, required in (
        ("distances_m", "distance", _MAX_MATRIX_M, True),
        ("durations_s", "duration", _MAX_MATRIX_S, False),
    ):
        values: Sequence[int] = getattr(matrix, name)
        if len(values) == 0 and not required:
            continue
        if len(values) != n * n:
            add(
                f"matrix.{name}",
                f"matrix: {name} has {len(values):,} entries, expected {n * n:,} "
                f"(len(location_ids)^2 = {n}^2, row-major)",
            )
            continue
        shown = 0
        for k, value in enumerate(values):
            if 0 <= value <= hi:
                continue
            if shown == _MATRIX_SHOWN:
                add(f"matrix.{name}", f"matrix: more {name} entries are out of range [0, {hi:,}]")
                break
            shown += 1
            row, col = divmod(k, n)
            add(
                f"matrix.{name}[{k}]",
                f"matrix: {noun} from {_quote(ids[row])} to {_quote(ids[col])} is {value:,}, "
                f"out of range [0, {hi:,}]",
            )
