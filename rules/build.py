"""Build small `Snapshot`s without protobuf: for rule-file test cases, tests and the benchmark.

The gRPC layer builds real snapshots from requests; rule-file tests and benchmarks need the same
structure from a few Python values, so this module fills the parts rules do not read (sites,
slots, fleet, rate cards) with empty arrays.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

from solver.domain import Baseline, Capability, CarrierKind, Policy, bit
from solver.snapshot import (
    Carriers,
    Fleet,
    Options,
    Orders,
    RateCards,
    Sites,
    Slots,
    Snapshot,
)

I64 = np.int64
F64 = np.float64
NO_PARCEL_LIMIT = 1 << 31


@dataclass(frozen=True, slots=True)
class CarrierSpec:
    """One carrier in plain Python units (seconds, kg, cm); `zones` None = every zone."""

    id: str
    kind: CarrierKind
    capabilities: tuple[int, ...] = ()
    zones: tuple[str, ...] | None = None  # None = every zone
    max_weight_kg: float = math.inf
    max_volume_l: float = math.inf
    max_length_cm: float = math.inf
    max_parcels: int = NO_PARCEL_LIMIT
    same_day_cutoff_s: int = -1
    lead_time_s: int = 0
    emissions_g_per_km: float = 0.0
    reliability: float = 0.95
    has_slots: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class OrderColumns:
    """Orders as arrays, in the units of `solver.snapshot.Orders`."""

    ids: tuple[str, ...]
    weight_kg: np.ndarray
    volume_l: np.ndarray
    max_length_cm: np.ndarray
    parcel_count: np.ndarray
    tag_bits: np.ndarray
    zone_idx: np.ndarray
    deadline_ts: np.ndarray
    window_offsets: np.ndarray
    window_start_ts: np.ndarray
    window_end_ts: np.ndarray
    green: np.ndarray
    contactless: np.ndarray
    signature_wanted: np.ndarray
    declared_value_cents: np.ndarray
    origin_site_idx: np.ndarray
    postal_codes: tuple[str, ...] = ()
    attributes: tuple[Mapping[str, str], ...] = field(default_factory=tuple)


def local_clock(now_ts: int, timezone: str) -> tuple[int, int]:
    """(utc_offset_s, local_midnight_ts) of `now_ts` in `timezone`."""
    zone = ZoneInfo(timezone)
    local = dt.datetime.fromtimestamp(now_ts, tz=zone)
    offset = local.utcoffset()
    offset_s = int(offset.total_seconds()) if offset is not None else 0
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return offset_s, int(midnight.timestamp())


def local_ts(text: str, timezone: str) -> int:
    """Epoch seconds of a local 'YYYY-MM-DD HH:MM' in `timezone`."""
    parsed = dt.datetime.strptime(text.replace("T", " "), "%Y-%m-%d %H:%M")
    return int(parsed.replace(tzinfo=ZoneInfo(timezone)).timestamp())


def _empty_i64(n: int = 0) -> np.ndarray:
    return np.zeros(n, dtype=I64)


def make_snapshot(
    orders: OrderColumns,
    carriers: Sequence[CarrierSpec],
    *,
    now_ts: int,
    timezone: str = "Europe/Berlin",
    tag_names: Sequence[str] = (),
    zone_ids: Sequence[str] = (),
    site_ids: Sequence[str] = ("depot",),
    request_id: str = "rules-build",
) -> Snapshot:
    """A Snapshot with these orders and carriers and no slots, vans or rate cards.

    Parameters
    ----------
    orders
        Order columns; `zone_idx` indexes `zone_ids`, `tag_bits` bit i is `tag_names[i]`.
    carriers
        Carrier specs; their zones must be in `zone_ids`.
    now_ts
        The request's clock, UTC epoch seconds.
    timezone
        IANA zone for local times.
    tag_names, zone_ids, site_ids
        The request's vocabularies.
    request_id
        Copied into the snapshot.

    Returns
    -------
    Snapshot

    Raises
    ------
    ValueError
        When a carrier names a zone missing from `zone_ids` or array lengths differ.
    """
    n = len(orders.ids)
    zone_pos = {z: i for i, z in enumerate(zone_ids)}
    has_deadline = orders.deadline_ts >= 0
    counts = np.diff(orders.window_offsets)
    if len(counts) != n:
        raise ValueError("Expected window_offsets of length n + 1")
    first = orders.window_offsets[:-1]
    last = orders.window_offsets[1:] - 1
    safe_first = np.where(counts > 0, first, 0)
    safe_last = np.where(counts > 0, last, 0)
    starts = orders.window_start_ts if len(orders.window_start_ts) else np.zeros(1, dtype=I64)
    ends = orders.window_end_ts if len(orders.window_end_ts) else np.zeros(1, dtype=I64)
    promise_start = np.where(has_deadline, now_ts, starts[safe_first]).astype(I64)
    promise_end = np.where(has_deadline, orders.deadline_ts, ends[safe_last]).astype(I64)
    postal = orders.postal_codes or ("",) * n
    attributes = orders.attributes or ({},) * n
    snap_orders = Orders(
        ids=tuple(orders.ids),
        origin_site_idx=orders.origin_site_idx.astype(I64),
        lat=np.full(n, 52.52, dtype=F64),
        lon=np.full(n, 13.405, dtype=F64),
        zone_idx=orders.zone_idx.astype(I64),
        postal_codes=tuple(postal),
        weight_kg=orders.weight_kg.astype(F64),
        volume_l=orders.volume_l.astype(F64),
        max_length_cm=orders.max_length_cm.astype(F64),
        parcel_count=orders.parcel_count.astype(I64),
        tag_bits=orders.tag_bits.astype(np.uint64),
        deadline_ts=orders.deadline_ts.astype(I64),
        window_offsets=orders.window_offsets.astype(I64),
        window_start_ts=orders.window_start_ts.astype(I64),
        window_end_ts=orders.window_end_ts.astype(I64),
        promise_start_ts=promise_start,
        promise_end_ts=promise_end,
        green=orders.green.astype(bool),
        contactless=orders.contactless.astype(bool),
        signature_wanted=orders.signature_wanted.astype(bool),
        declared_value_cents=orders.declared_value_cents.astype(I64),
        created_ts=np.full(n, -1, dtype=I64),
        attributes=tuple(attributes),
    )
    c = len(carriers)
    serves = np.zeros((c, len(zone_ids)), dtype=bool)
    for ci, spec in enumerate(carriers):
        for z in spec.zones or ():
            if z not in zone_pos:
                raise ValueError(f"Expected carrier {spec.id} zone {z!r} in zone_ids")
            serves[ci, zone_pos[z]] = True
    snap_carriers = Carriers(
        ids=tuple(s.id for s in carriers),
        names=tuple(s.name or s.id for s in carriers),
        kind=np.array([int(s.kind) for s in carriers], dtype=I64),
        capability_bits=np.array(
            [sum(bit(cap) for cap in set(s.capabilities)) for s in carriers], dtype=np.uint64
        ),
        serves_zone=serves,
        serves_all_zones=np.array([s.zones is None for s in carriers], dtype=bool),
        max_weight_kg=np.array([s.max_weight_kg for s in carriers], dtype=F64),
        max_volume_l=np.array([s.max_volume_l for s in carriers], dtype=F64),
        max_length_cm=np.array([s.max_length_cm for s in carriers], dtype=F64),
        max_parcels=np.array([s.max_parcels for s in carriers], dtype=I64),
        same_day_cutoff_s=np.array([s.same_day_cutoff_s for s in carriers], dtype=I64),
        lead_time_s=np.array([s.lead_time_s for s in carriers], dtype=I64),
        rate_card_idx=np.full(c, -1, dtype=I64),
        emissions_g_per_km=np.array([s.emissions_g_per_km for s in carriers], dtype=F64),
        reliability=np.array([s.reliability for s in carriers], dtype=F64),
        speed_kmh=np.full(c, 25.0, dtype=F64),
        has_slots=np.array([s.has_slots for s in carriers], dtype=bool),
    )
    s = len(site_ids)
    sites = Sites(
        ids=tuple(site_ids),
        lat=np.full(s, 52.52),
        lon=np.full(s, 13.405),
        open_offsets=_empty_i64(s + 1),
        open_start_ts=_empty_i64(),
        open_end_ts=_empty_i64(),
    )
    slots = Slots(
        (), _empty_i64(), _empty_i64(), _empty_i64(), _empty_i64(), _empty_i64(), np.zeros(0)
    )
    e_i64, e_f64 = _empty_i64(), np.zeros(0)
    fleet = Fleet(
        ids=(),
        carrier_idx=e_i64,
        start_site_idx=e_i64,
        end_site_idx=e_i64,
        shift_start_ts=e_i64,
        shift_end_ts=e_i64,
        capacity_kg=e_f64,
        capacity_l=e_f64,
        capacity_stops=e_i64,
        skill_bits=np.zeros(0, dtype=np.uint64),
        cost_per_km_cents=e_i64,
        cost_per_hour_cents=e_i64,
        fixed_cost_cents=e_i64,
        break_start_ts=e_i64,
        break_end_ts=e_i64,
        break_s=e_i64,
        max_duration_s=e_i64,
        speed_kmh=e_f64,
    )
    n_zones = len(zone_ids)
    rates = RateCards(
        (),
        (),
        _empty_i64(),
        _empty_i64(1),
        np.zeros(0),
        _empty_i64(),
        _empty_i64(1),
        np.zeros(0),
        _empty_i64(),
        np.zeros(0),
        np.zeros((0, n_zones), dtype=I64),
        _empty_i64(),
        _empty_i64(),
        _empty_i64(1),
        _empty_i64(),
        _empty_i64(),
        _empty_i64(),
        np.zeros(0),
        np.zeros(0),
        _empty_i64(),
        np.zeros((0, 9), dtype=I64),
    )
    options = Options(
        cost_weight=1.0,
        lateness_cents_per_min=0.0,
        emissions_cents_per_kg=0.0,
        time_budget_s=2.0,
        explain=True,
        baseline=int(Baseline.GREEDY),
        policy=int(Policy.GREEDY),
        circuity=1.3,
        currency="EUR",
        seed=0,
    )
    return Snapshot(
        request_id=request_id,
        now_ts=int(now_ts),
        timezone=timezone,
        tag_names=tuple(tag_names),
        zone_ids=tuple(zone_ids),
        sites=sites,
        orders=snap_orders,
        carriers=snap_carriers,
        slots=slots,
        fleet=fleet,
        rates=rates,
        options=options,
    )


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One order in plain Python units; times are epoch seconds."""

    id: str
    tags: tuple[str, ...] = ()
    weight_kg: float = 1.0
    volume_l: float = 5.0
    max_length_cm: float = 30.0
    parcel_count: int = 1
    zone: str = ""
    postal_code: str = ""
    green: bool = False
    contactless: bool = False
    signature_wanted: bool = False
    declared_value_cents: int = 0
    origin_site: str = ""
    deadline_ts: int = -1
    windows: tuple[tuple[int, int], ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)


def order_columns(
    specs: Sequence[OrderSpec],
    tag_names: Sequence[str],
    zone_ids: Sequence[str],
    site_ids: Sequence[str],
) -> OrderColumns:
    """Columns from order specs (for tests; the benchmark builds columns directly).

    Raises
    ------
    ValueError
        When an order uses a tag, zone or site missing from the vocabularies, or has neither
        a deadline nor windows.
    """
    tag_pos = {t: i for i, t in enumerate(tag_names)}
    zone_pos = {z: i for i, z in enumerate(zone_ids)}
    site_pos = {s: i for i, s in enumerate(site_ids)}
    offsets = [0]
    starts: list[int] = []
    ends: list[int] = []
    tag_bits: list[int] = []
    for spec in specs:
        if spec.deadline_ts < 0 and not spec.windows:
            raise ValueError(f"Expected a deadline or windows for order {spec.id}")
        bits = 0
        for tag in spec.tags:
            if tag not in tag_pos:
                raise ValueError(f"Expected tag {tag!r} in tag_names")
            bits |= 1 << tag_pos[tag]
        tag_bits.append(bits)
        for s, e in spec.windows:
            starts.append(s)
            ends.append(e)
        offsets.append(len(starts))
    return OrderColumns(
        ids=tuple(s.id for s in specs),
        weight_kg=np.array([s.weight_kg for s in specs], dtype=F64),
        volume_l=np.array([s.volume_l for s in specs], dtype=F64),
        max_length_cm=np.array([s.max_length_cm for s in specs], dtype=F64),
        parcel_count=np.array([s.parcel_count for s in specs], dtype=I64),
        tag_bits=np.array(tag_bits, dtype=np.uint64),
        zone_idx=np.array([zone_pos[s.zone] if s.zone else -1 for s in specs], dtype=I64),
        deadline_ts=np.array([s.deadline_ts if not s.windows else -1 for s in specs], dtype=I64),
        window_offsets=np.array(offsets, dtype=I64),
        window_start_ts=np.array(starts, dtype=I64),
        window_end_ts=np.array(ends, dtype=I64),
        green=np.array([s.green for s in specs], dtype=bool),
        contactless=np.array([s.contactless for s in specs], dtype=bool),
        signature_wanted=np.array([s.signature_wanted for s in specs], dtype=bool),
        declared_value_cents=np.array([s.declared_value_cents for s in specs], dtype=I64),
        origin_site_idx=np.array(
            [site_pos[s.origin_site] if s.origin_site else -1 for s in specs], dtype=I64
        ),
        postal_codes=tuple(s.postal_code for s in specs),
        attributes=tuple(dict(s.attributes) for s in specs),
    )


def snapshot_of(
    orders: Sequence[OrderSpec],
    carriers: Sequence[CarrierSpec],
    *,
    now_ts: int,
    timezone: str = "Europe/Berlin",
    tag_names: Sequence[str] | None = None,
) -> Snapshot:
    """A Snapshot from order and carrier specs; vocabularies are collected from them."""
    tags = list(tag_names or ())
    zones: list[str] = []
    sites: list[str] = ["depot"]
    for o in orders:
        tags.extend(t for t in o.tags if t not in tags)
        if o.zone and o.zone not in zones:
            zones.append(o.zone)
        if o.origin_site and o.origin_site not in sites:
            sites.append(o.origin_site)
    for c in carriers:
        zones.extend(z for z in c.zones or () if z not in zones)
    columns = order_columns(orders, tags, zones, sites)
    return make_snapshot(
        columns,
        carriers,
        now_ts=now_ts,
        timezone=timezone,
        tag_names=tags,
        zone_ids=zones,
        site_ids=sites,
    )


BERLIN_ZONES = (
    "mitte",
    "friedrichshain-kreuzberg",
    "pankow",
    "charlottenburg-wilmersdorf",
    "spandau",
    "steglitz-zehlendorf",
    "tempelhof-schoeneberg",
    "neukoelln",
    "treptow-koepenick",
    "marzahn-hellersdorf",
    "lichtenberg",
    "reinickendorf",
)
_INNER = ("mitte", "friedrichshain-kreuzberg", "pankow", "neukoelln", "tempelhof-schoeneberg")


def berlin_carriers(*, extra: bool = False) -> list[CarrierSpec]:
    """The six carriers of the Berlin sample day (samples/sample_day.json, same limits and
    zones); `extra` adds a second national carrier and an EV courier (eight in all)."""
    c = Capability
    out = [
        CarrierSpec(
            "own-fleet",
            CarrierKind.OWN_FLEET,
            (
                c.COLD_CHAIN,
                c.AGE_VERIFICATION,
                c.TWO_PERSON,
                c.BULKY,
                c.PHOTO_POD,
                c.SIGNATURE_POD,
                c.EV,
            ),
            max_weight_kg=400,
            max_volume_l=4000,
            max_length_cm=240,
            max_parcels=20,
            same_day_cutoff_s=14 * 3600,
            lead_time_s=1800,
            emissions_g_per_km=160,
        ),
        CarrierSpec(
            "spree-regional",
            CarrierKind.REGIONAL,
            (c.AGE_VERIFICATION, c.TWO_PERSON, c.BULKY, c.HAZMAT, c.PHOTO_POD, c.SIGNATURE_POD),
            zones=BERLIN_ZONES,
            max_weight_kg=150,
            max_volume_l=2500,
            max_length_cm=240,
            max_parcels=12,
            same_day_cutoff_s=11 * 3600,
            lead_time_s=10800,
            emissions_g_per_km=230,
        ),
        CarrierSpec(
            "kiez-kurier",
            CarrierKind.LOCAL_COURIER,
            (c.EV, c.PHOTO_POD, c.SIGNATURE_POD, c.AGE_VERIFICATION),
            zones=_INNER,
            max_weight_kg=20,
            max_volume_l=90,
            max_length_cm=80,
            max_parcels=3,
            same_day_cutoff_s=15 * 3600,
            lead_time_s=3600,
            emissions_g_per_km=20,
        ),
        CarrierSpec(
            "city-express",
            CarrierKind.LOCAL_COURIER,
            (c.COLD_CHAIN, c.AGE_VERIFICATION, c.PHOTO_POD, c.SIGNATURE_POD),
            zones=tuple(z for z in BERLIN_ZONES if z not in ("spandau", "marzahn-hellersdorf")),
            max_weight_kg=60,
            max_volume_l=400,
            max_length_cm=150,
            max_parcels=8,
            same_day_cutoff_s=14 * 3600,
            lead_time_s=5400,
            emissions_g_per_km=190,
        ),
        CarrierSpec(
            "gigdrop",
            CarrierKind.GIG,
            (c.PHOTO_POD,),
            zones=(*_INNER, "charlottenburg-wilmersdorf", "lichtenberg", "steglitz-zehlendorf"),
            max_weight_kg=15,
            max_volume_l=60,
            max_length_cm=70,
            max_parcels=3,
            same_day_cutoff_s=18 * 3600,
            lead_time_s=2700,
            emissions_g_per_km=120,
        ),
        CarrierSpec(
            "paket-national",
            CarrierKind.NATIONAL,
            (c.SIGNATURE_POD, c.PHOTO_POD, c.AGE_VERIFICATION, c.HAZMAT),
            max_weight_kg=150,
            max_volume_l=1000,
            max_length_cm=120,
            max_parcels=10,
            lead_time_s=72000,
            emissions_g_per_km=160,
        ),
    ]
    if extra:
        out += [
            CarrierSpec(
                "blitz-national",
                CarrierKind.NATIONAL,
                (c.SIGNATURE_POD, c.PHOTO_POD),
                max_weight_kg=31.5,
                max_volume_l=300,
                max_length_cm=175,
                max_parcels=5,
                lead_time_s=86400,
                emissions_g_per_km=140,
            ),
            CarrierSpec(
                "oeko-van",
                CarrierKind.LOCAL_COURIER,
                (c.EV, c.COLD_CHAIN, c.PHOTO_POD),
                zones=BERLIN_ZONES[:8],
                max_weight_kg=80,
                max_volume_l=600,
                max_length_cm=160,
                max_parcels=6,
                same_day_cutoff_s=13 * 3600,
                lead_time_s=5400,
                emissions_g_per_km=0,
            ),
        ]
    return out
