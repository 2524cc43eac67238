"""A seeded generator of a realistic delivery day in Berlin, as a `lastmile.v1.DecideRequest`.

Why: demos, golden tests and benchmarks need a day that looks like production (real districts,
real postal codes, a plausible order and tag mix, partner contracts with every pricing field,
slots that fill up) without shipping customer data. The same seed always gives byte-identical
JSON, so the bundled `samples/sample_day.json` can be checked against a fresh generation.

Run: ``python -m samples.generate --seed 7 --out samples/sample_day.json [--orders N]
[--vehicles N]``.

The fleet, carriers and rate cards are fixed (they are contracts and assets); the seed drives the
orders and the remaining slot capacity. Ids: places (sites, zones, carriers, rate cards) are
lower-case kebab; generated records are upper-case sequences (``ORD-000123``, ``VAN-01``,
``SLOT-...``).
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from google.protobuf import json_format

from lastmile.v1 import orchestrator_pb2, types_pb2

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DEFAULT_NOW", "TIMEZONE", "generate_day", "main", "order_mix", "to_json"]

TIMEZONE = "Europe/Berlin"
_TZ = ZoneInfo(TIMEZONE)
# A Tuesday in November (CET, UTC+1): 07:30 local is 06:30 UTC.
DEFAULT_NOW = datetime(2026, 11, 24, 7, 30, tzinfo=_TZ)
_CURRENCY = "EUR"
_HOUR_S = 3_600
# The latest local hour `now` may have: today's earliest promised window starts at 10:00.
_LATEST_NOW_HOUR = 10

# ---------------------------------------------------------------------------------------------
# Geography: sites and districts (approximate, real WGS84 coordinates).


@dataclass(frozen=True, slots=True)
class _SiteSpec:
    id: str
    name: str
    kind: types_pb2.SiteKind
    lat: float
    lon: float
    open_hour: int
    close_hour: int


DEPOT_ID = "depot-tempelhof"
STORE_ID = "store-alexanderplatz"
_SITES = (
    # Industrial estate on Ordensmeisterstrasse, Berlin-Tempelhof.
    _SiteSpec(DEPOT_ID, "Depot Tempelhof", types_pb2.SITE_KIND_DEPOT, 52.4617, 13.3862, 5, 22),
    # Back room of a store at Alexanderplatz, Berlin-Mitte.
    _SiteSpec(STORE_ID, "Store Alexanderplatz", types_pb2.SITE_KIND_STORE, 52.5219, 13.4132, 8, 21),
)


@dataclass(frozen=True, slots=True)
class _District:
    zone_id: str
    lat: float
    lon: float
    population_k: int  # thousands of residents: the share of orders
    postal_codes: tuple[str, ...]


_DISTRICTS = (
    _District(
        "mitte", 52.5300, 13.3750, 385,
        ("10115", "10117", "10119", "10178", "10179", "10551", "10553", "10555", "10557",
         "10559", "13347", "13349", "13351", "13353", "13355", "13357", "13359"),
    ),
    _District(
        "friedrichshain-kreuzberg", 52.5030, 13.4350, 290,
        ("10243", "10245", "10247", "10249", "10961", "10963", "10965", "10967", "10969",
         "10997", "10999"),
    ),
    _District(
        "pankow", 52.5680, 13.4150, 410,
        ("10405", "10407", "10409", "10435", "10437", "10439", "13086", "13088", "13089",
         "13125", "13127", "13129", "13156", "13158", "13187", "13189"),
    ),
    _District(
        "charlottenburg-wilmersdorf", 52.5050, 13.2900, 340,
        ("10585", "10587", "10589", "10623", "10625", "10627", "10629", "10707", "10709",
         "10711", "10713", "10715", "10717", "10719", "14050", "14052", "14055", "14057",
         "14059", "14193", "14197", "14199"),
    ),
    _District(
        "spandau", 52.5360, 13.2000, 250,
        ("13581", "13583", "13585", "13587", "13589", "13591", "13593", "13595", "13597",
         "13599", "14089"),
    ),
    _District(
        "steglitz-zehlendorf", 52.4350, 13.2400, 310,
        ("12163", "12165", "12167", "12169", "12203", "12205", "12207", "12209", "12247",
         "12249", "14109", "14129", "14163", "14165", "14167", "14169", "14195"),
    ),
    _District(
        "tempelhof-schoeneberg", 52.4650, 13.3850, 350,
        ("10777", "10779", "10781", "10783", "10823", "10825", "10827", "10829", "12099",
         "12101", "12103", "12105", "12107", "12109", "12277", "12279", "12305", "12307",
         "12309"),
    ),
    _District(
        "neukoelln", 52.4600, 13.4400, 330,
        ("12043", "12045", "12047", "12049", "12051", "12053", "12055", "12057", "12059",
         "12347", "12349", "12351", "12353", "12355", "12357", "12359"),
    ),
    _District(
        "treptow-koepenick", 52.4400, 13.5700, 290,
        ("12435", "12437", "12439", "12459", "12487", "12489", "12524", "12526", "12527",
         "12555", "12557", "12559", "12587", "12589"),
    ),
    _District(
        "marzahn-hellersdorf", 52.5300, 13.5850, 290,
        ("12619", "12621", "12623", "12627", "12629", "12679", "12681", "12683", "12685",
         "12687", "12689"),
    ),
    _District(
        "lichtenberg", 52.5300, 13.5000, 300,
        ("10315", "10317", "10318", "10319", "10365", "10367", "10369", "13051", "13053",
         "13055", "13057", "13059"),
    ),
    _District(
        "reinickendorf", 52.5900, 13.3000, 265,
        ("13403", "13405", "13407", "13409", "13435", "13437", "13439", "13465", "13467",
         "13469", "13503", "13505", "13507", "13509"),
    ),
)  # fmt: skip
ZONE_IDS = tuple(d.zone_id for d in _DISTRICTS)
_SCATTER_KM = 1.5  # standard deviation of a destination around its district centroid
_SCATTER_CLIP_KM = 4.5  # 3 sigma: keeps every point near its district and inside Berlin
_KM_PER_DEG_LAT = 111.32


def _km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, ample for weighting districts by distance."""
    dy = (lat2 - lat1) * _KM_PER_DEG_LAT
    dx = (lon2 - lon1) * _KM_PER_DEG_LAT * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


# The store ships mostly to nearby districts; the depot ships city-wide by population.
_DEPOT_DISTRICT_WEIGHTS = tuple(float(d.population_k) for d in _DISTRICTS)
_STORE_DISTRICT_WEIGHTS = tuple(
    d.population_k / (1.0 + _km_between(_SITES[1].lat, _SITES[1].lon, d.lat, d.lon) / 4.0)
    for d in _DISTRICTS
)

# ---------------------------------------------------------------------------------------------
# Carriers and their contracts. Capabilities, zones and limits are what the contract says.

_Cap = types_pb2.Capability  # short name for the contract tables below
OWN_FLEET_ID = "own-fleet"
_INNER = ("mitte", "friedrichshain-kreuzberg", "pankow", "neukoelln", "tempelhof-schoeneberg")
_GIG_ZONES = (*_INNER, "charlottenburg-wilmersdorf", "lichtenberg", "steglitz-zehlendorf")
_EXPRESS_ZONES = tuple(z for z in ZONE_IDS if z not in ("spandau", "marzahn-hellersdorf"))


@dataclass(frozen=True, slots=True)
class _CarrierSpec:
    id: str
    name: str
    kind: types_pb2.CarrierKind
    capabilities: tuple[types_pb2.Capability, ...]
    zone_ids: tuple[str, ...]  # empty: every zone
    max_weight_kg: float
    max_volume_l: float
    max_length_cm: float
    max_parcels: int
    same_day_cutoff_h: float  # local hour; 0 = no same-day service
    lead_time_s: int
    emissions_g_per_km: float
    reliability: float
    speed_kmh: float
    # Slot windows (local start hours of 2-h windows) today and tomorrow; empty: no slots.
    slot_hours_today: tuple[int, ...] = ()
    slot_hours_tomorrow: tuple[int, ...] = ()
    # Base remaining orders per slot for a 500-order day, and kg per remaining order.
    slot_orders: tuple[int, int] = (0, 0)
    slot_kg_per_order: float = 0.0

    @property
    def rate_card_id(self) -> str:
        """Partners are priced by their own card; the own fleet is priced by its routes."""
        return "" if self.kind == types_pb2.CARRIER_KIND_OWN_FLEET else f"rc-{self.id}"


_CARRIERS = (
    _CarrierSpec(
        OWN_FLEET_ID, "Own fleet (Tempelhof + Alexanderplatz)", types_pb2.CARRIER_KIND_OWN_FLEET,
        (_Cap.CAPABILITY_COLD_CHAIN, _Cap.CAPABILITY_AGE_VERIFICATION, _Cap.CAPABILITY_TWO_PERSON,
         _Cap.CAPABILITY_BULKY, _Cap.CAPABILITY_PHOTO_POD, _Cap.CAPABILITY_SIGNATURE_POD,
         _Cap.CAPABILITY_EV),
        (), 400.0, 4000.0, 240.0, 20, 14.0, 1_800, 160.0, 0.97, 22.0,
    ),
    _CarrierSpec(
        "spree-regional", "Spree Regional Logistik", types_pb2.CARRIER_KIND_REGIONAL,
        (_Cap.CAPABILITY_AGE_VERIFICATION, _Cap.CAPABILITY_TWO_PERSON, _Cap.CAPABILITY_BULKY,
         _Cap.CAPABILITY_HAZMAT, _Cap.CAPABILITY_PHOTO_POD, _Cap.CAPABILITY_SIGNATURE_POD),
        ZONE_IDS, 150.0, 2500.0, 240.0, 12, 11.0, 10_800, 230.0, 0.92, 24.0,
        slot_hours_today=(10, 12, 14, 16, 18), slot_hours_tomorrow=(8, 10, 12, 14, 16, 18),
        slot_orders=(3, 8), slot_kg_per_order=25.0,
    ),
    _CarrierSpec(
        "kiez-kurier", "Kiez-Kurier Lastenrad", types_pb2.CARRIER_KIND_LOCAL_COURIER,
        (_Cap.CAPABILITY_EV, _Cap.CAPABILITY_PHOTO_POD, _Cap.CAPABILITY_SIGNATURE_POD,
         _Cap.CAPABILITY_AGE_VERIFICATION),
        _INNER, 20.0, 90.0, 80.0, 3, 15.0, 3_600, 20.0, 0.94, 16.0,
        slot_hours_today=(10, 12, 14, 16, 18), slot_hours_tomorrow=(8, 10, 12, 14, 16, 18),
        slot_orders=(2, 5), slot_kg_per_order=6.0,
    ),
    _CarrierSpec(
        "city-express", "City Express Kuehlkurier", types_pb2.CARRIER_KIND_LOCAL_COURIER,
        (_Cap.CAPABILITY_COLD_CHAIN, _Cap.CAPABILITY_AGE_VERIFICATION, _Cap.CAPABILITY_PHOTO_POD,
         _Cap.CAPABILITY_SIGNATURE_POD),
        _EXPRESS_ZONES, 60.0, 400.0, 150.0, 8, 14.0, 5_400, 190.0, 0.93, 22.0,
        slot_hours_today=(10, 12, 14, 16, 18, 20), slot_hours_tomorrow=(8, 10, 12, 14, 16, 18),
        slot_orders=(3, 6), slot_kg_per_order=12.0,
    ),
    _CarrierSpec(
        "gigdrop", "GigDrop", types_pb2.CARRIER_KIND_GIG,
        (_Cap.CAPABILITY_PHOTO_POD,),
        _GIG_ZONES, 15.0, 60.0, 70.0, 3, 18.0, 2_700, 120.0, 0.88, 24.0,
        slot_hours_today=(12, 14, 16, 18, 20),
        slot_orders=(2, 5), slot_kg_per_order=5.0,
    ),
    _CarrierSpec(
        "paket-national", "Paket National", types_pb2.CARRIER_KIND_NATIONAL,
        (_Cap.CAPABILITY_SIGNATURE_POD, _Cap.CAPABILITY_PHOTO_POD,
         _Cap.CAPABILITY_AGE_VERIFICATION, _Cap.CAPABILITY_HAZMAT),
        (), 150.0, 1000.0, 120.0, 10, 0.0, 72_000, 160.0, 0.96, 25.0,
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _RateCardSpec:
    carrier_id: str
    base_cents: int
    distance_bands: tuple[tuple[float, int], ...]  # (up_to_km, per_km_cents); last 0 = beyond
    weight_tiers: tuple[tuple[float, int], ...]  # (up_to_kg, cents); last 0 = beyond
    zone_surcharges: tuple[tuple[str, int], ...]
    same_day_premium_cents: int
    window_premium_cents: int
    evening_peak: float  # weekdays 17-21
    saturday_peak: float  # Saturday 10-18
    fuel_surcharge_pct: float
    min_charge_cents: int
    addons: tuple[tuple[types_pb2.Capability, int], ...]


_DIM_DIVISOR = 5000.0  # cm3 per kg, the industry default for road parcels
_RATE_CARDS = (
    _RateCardSpec(
        "spree-regional", 450, ((10.0, 35), (25.0, 45), (0.0, 55)),
        ((5.0, 0), (10.0, 90), (31.5, 220), (70.0, 600), (0.0, 1200)),
        (("spandau", 90), ("marzahn-hellersdorf", 90), ("treptow-koepenick", 90),
         ("reinickendorf", 70), ("steglitz-zehlendorf", 70)),
        250, 150, 1.15, 1.10, 12.0, 750,
        ((_Cap.CAPABILITY_TWO_PERSON, 2500), (_Cap.CAPABILITY_BULKY, 1500),
         (_Cap.CAPABILITY_HAZMAT, 800), (_Cap.CAPABILITY_AGE_VERIFICATION, 180),
         (_Cap.CAPABILITY_SIGNATURE_POD, 80)),
    ),
    _RateCardSpec(
        "kiez-kurier", 450, ((5.0, 45), (10.0, 60), (0.0, 80)),
        ((5.0, 0), (10.0, 150), (0.0, 300)),
        (("pankow", 50), ("tempelhof-schoeneberg", 50)),
        150, 100, 1.15, 1.10, 1.0, 600,
        ((_Cap.CAPABILITY_AGE_VERIFICATION, 150), (_Cap.CAPABILITY_SIGNATURE_POD, 50)),
    ),
    _RateCardSpec(
        "city-express", 420, ((5.0, 40), (15.0, 55), (0.0, 70)),
        ((5.0, 0), (15.0, 120), (30.0, 250), (0.0, 400)),
        (("steglitz-zehlendorf", 80), ("treptow-koepenick", 100), ("lichtenberg", 60),
         ("reinickendorf", 100)),
        200, 120, 1.15, 1.10, 8.5, 700,
        ((_Cap.CAPABILITY_COLD_CHAIN, 250), (_Cap.CAPABILITY_AGE_VERIFICATION, 150),
         (_Cap.CAPABILITY_SIGNATURE_POD, 60)),
    ),
    _RateCardSpec(
        "gigdrop", 250, ((3.0, 25), (8.0, 35), (0.0, 50)),
        ((5.0, 0), (10.0, 80), (0.0, 160)),
        (("steglitz-zehlendorf", 60), ("lichtenberg", 40)),
        50, 80, 1.20, 1.10, 2.0, 390,
        ((_Cap.CAPABILITY_PHOTO_POD, 15),),
    ),
    _RateCardSpec(
        # No same-day service, so no same-day premium; the window premium is the evening slot
        # the customer can pick ("Wunschzeit").
        "paket-national", 420, ((20.0, 8), (0.0, 12)),
        ((2.0, 0), (5.0, 80), (10.0, 180), (31.5, 450), (0.0, 900)),
        (("spandau", 25), ("marzahn-hellersdorf", 25)),
        0, 300, 1.15, 1.10, 9.5, 490,
        ((_Cap.CAPABILITY_AGE_VERIFICATION, 200), (_Cap.CAPABILITY_SIGNATURE_POD, 120),
         (_Cap.CAPABILITY_HAZMAT, 500)),
    ),
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Order mix: shares of all orders. Quotas (exact counts), not coin flips, so every seed and every
# size has the same mix and only who gets what changes.

TAG_SHARES: dict[str, float] = {
    "alcohol": 0.06,
    "tobacco": 0.01,
    "pharma": 0.04,
    "frozen": 0.04,
    "chilled": 0.08,
    "hazmat": 0.01,
    "fragile": 0.08,
    "high_value": 0.04,
    "furniture": 0.03,
    "b2b": 0.05,
}
STORE_SHARE = 0.25
GREEN_SHARE = 0.12
CONTACTLESS_SHARE = 0.30
SIGNATURE_SHARE = 0.08
PROMISE_SHARES: dict[str, float] = {
    "same_day": 0.35,  # one 2-h window today
    "two_windows": 0.15,  # two alternative windows
    "next_day": 0.30,  # deadline tomorrow 20:00
    "standard": 0.20,  # deadline in 2-3 days, 20:00
}
_TIGHT_SHARE = 0.08  # of same-day orders: a 1-h evening window
# Same-day 2-h window starts; the evening is busiest because customers are home.
_SAME_DAY_STARTS = (10, 12, 14, 16, 18, 20)
_SAME_DAY_START_WEIGHTS = (0.12, 0.14, 0.14, 0.18, 0.24, 0.18)
_TIGHT_STARTS = (18, 19, 20, 21)
_NEXT_DAY_STARTS = (8, 10, 12, 14, 16, 18, 20)
_DEADLINE_HOUR = 20
_CREATED_WITHIN_S = 12 * _HOUR_S

# Shipping boxes (cm), the common German packset sizes, and how often each is used.
_BOXES = (
    (22.5, 14.5, 3.5),
    (25.0, 17.5, 10.0),
    (30.0, 20.0, 15.0),
    (37.5, 30.0, 13.5),
    (45.0, 35.0, 20.0),
    (60.0, 40.0, 30.0),
)
_BOX_WEIGHTS = (0.12, 0.25, 0.20, 0.20, 0.15, 0.08)
_INSULATED_BOX = (40.0, 30.0, 30.0)
_WINE_CASE = (35.0, 27.0, 32.0)
_BOTTLE_BOX = (40.0, 12.0, 12.0)
_CARTON = (40.0, 30.0, 30.0)


def _quota(total: int, share: float) -> int:
    """Orders out of `total` that get a feature with this share."""
    return round(total * share)


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """Largest-remainder split of `total` by shares that sum to 1."""
    raw = [total * s for s in shares]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda k: (counts[k] - raw[k], k))
    for k in by_remainder[: total - sum(counts)]:
        counts[k] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Time


class _Clock:
    """Local wall-clock times of the operation day as UTC epoch seconds (DST-safe)."""

    __slots__ = ("_cache", "_day")

    def __init__(self, now: datetime) -> None:
        self._day = now.astimezone(_TZ).date()
        self._cache: dict[tuple[int, int, int], int] = {}

    def ts(self, day_offset: int, hour: int, minute: int = 0) -> int:
        """UTC epoch seconds of local `hour:minute` on the day `day_offset` days after today."""
        key = (day_offset, hour, minute)
        cached = self._cache.get(key)
        if cached is None:
            d = self._day + timedelta(days=day_offset)
            local = datetime(d.year, d.month, d.day, hour, minute, tzinfo=_TZ)
            cached = int(local.timestamp())
            self._cache[key] = cached
        return cached


def _set_window(window: types_pb2.TimeWindow, start_ts: int, end_ts: int) -> None:
    window.start.seconds = start_ts
    window.end.seconds = end_ts


# ---------------------------------------------------------------------------------------------
# Builders


def _add_sites(request: orchestrator_pb2.DecideRequest, clock: _Clock) -> None:
    for spec in _SITES:
        site = request.sites.add(id=spec.id, name=spec.name, kind=spec.kind)
        site.location.lat = spec.lat
        site.location.lon = spec.lon
        _set_window(
            site.opening_hours.add(), clock.ts(0, spec.open_hour), clock.ts(0, spec.close_hour)
        )


def _add_carriers(request: orchestrator_pb2.DecideRequest) -> None:
    for spec in _CARRIERS:
        carrier = request.carriers.add(
            id=spec.id,
            name=spec.name,
            kind=spec.kind,
            capabilities=spec.capabilities,
            zone_ids=spec.zone_ids,
            rate_card_id=spec.rate_card_id,
            emissions_g_per_km=spec.emissions_g_per_km,
            reliability=spec.reliability,
            speed_kmh=spec.speed_kmh,
        )
        carrier.limits.max_weight_kg = spec.max_weight_kg
        carrier.limits.max_volume_l = spec.max_volume_l
        carrier.limits.max_length_cm = spec.max_length_cm
        carrier.limits.max_parcels = spec.max_parcels
        if spec.same_day_cutoff_h > 0:
            carrier.same_day_cutoff.seconds = round(spec.same_day_cutoff_h * _HOUR_S)
        carrier.lead_time.seconds = spec.lead_time_s


def _add_rate_cards(request: orchestrator_pb2.DecideRequest) -> None:
    for spec in _RATE_CARDS:
        card = request.rate_cards.add(
            id=f"rc-{spec.carrier_id}",
            currency=_CURRENCY,
            base_cents=spec.base_cents,
            dim_divisor=_DIM_DIVISOR,
            same_day_premium_cents=spec.same_day_premium_cents,
            window_premium_cents=spec.window_premium_cents,
            fuel_surcharge_pct=spec.fuel_surcharge_pct,
            min_charge_cents=spec.min_charge_cents,
        )
        for up_to_km, per_km_cents in spec.distance_bands:
            card.distance_bands.add(up_to_km=up_to_km, per_km_cents=per_km_cents)
        for up_to_kg, cents in spec.weight_tiers:
            card.weight_tiers.add(up_to_kg=up_to_kg, cents=cents)
        for zone_id, cents in spec.zone_surcharges:
            card.zone_surcharges.add(zone_id=zone_id, cents=cents)
        card.peaks.add(
            weekdays=[1, 2, 3, 4, 5], from_hour=17, to_hour=21, multiplier=spec.evening_peak
        )
        card.peaks.add(weekdays=[6], from_hour=10, to_hour=18, multiplier=spec.saturday_peak)
        for capability, cents in spec.addons:
            card.addons.add(capability=capability, cents=cents)


def _add_slots(
    request: orchestrator_pb2.DecideRequest, clock: _Clock, rng: random.Random, scale: float
) -> None:
    """Remaining partner capacity: small enough that the cheap evening slots fill up."""
    for spec in _CARRIERS:
        low, high = spec.slot_orders
        zones = spec.zone_ids or ZONE_IDS
        days = ((0, "", spec.slot_hours_today), (1, "d1-", spec.slot_hours_tomorrow))
        for zone_id in zones:
            for day_offset, day_tag, hours in days:
                for hour in hours:
                    base = rng.randint(low, high)
                    if day_offset == 0 and hour >= 18:
                        base = max(1, round(base * 0.7))  # evening: mostly booked already
                    elif day_offset == 1:
                        base = round(base * 1.5)  # tomorrow: mostly still open
                    if rng.random() < 0.1:
                        base = 1  # nearly full
                    remaining = max(1, round(base * scale))
                    kg = remaining * spec.slot_kg_per_order * rng.uniform(0.8, 1.2)
                    slot = request.capacity.add(
                        id=f"SLOT-{spec.id}-{zone_id}-{day_tag}{hour:02d}00",
                        carrier_id=spec.id,
                        zone_id=zone_id,
                        remaining_orders=remaining,
                        remaining_weight_kg=round(kg, 1),
                    )
                    _set_window(
                        slot.window, clock.ts(day_offset, hour), clock.ts(day_offset, hour + 2)
                    )


def _add_vehicles(request: orchestrator_pb2.DecideRequest, clock: _Clock, count: int) -> None:
    """The van pattern repeats every 12 vans: 4 EV, 3 cold chain, 2 bulky, 2 at the store."""
    for i in range(count):
        at_store = i % 6 == 5
        late = i % 2 == 1
        ev = i % 3 == 0
        cold = i % 4 == 1
        bulky = i % 6 == 2
        skills = [
            types_pb2.CAPABILITY_PHOTO_POD,
            types_pb2.CAPABILITY_SIGNATURE_POD,
            types_pb2.CAPABILITY_AGE_VERIFICATION,
        ]
        if cold:
            skills.append(types_pb2.CAPABILITY_COLD_CHAIN)
        if bulky:
            skills += [types_pb2.CAPABILITY_TWO_PERSON, types_pb2.CAPABILITY_BULKY]
        if ev:
            skills.append(types_pb2.CAPABILITY_EV)
        # e-vans carry less; the bulky vans are the long-wheelbase ones.
        weight_kg = 600.0 + 25.0 * (i % 5) if ev else 750.0 + 30.0 * (i % 6)
        volume_l = 6000.0 + 250.0 * (i % 5) if ev else 7000.0 + 300.0 * (i % 6)
        if bulky:
            weight_kg, volume_l = 900.0, 9000.0
        vehicle = request.vehicles.add(
            id=f"VAN-{i + 1:02d}",
            carrier_id=OWN_FLEET_ID,
            depot_site_id=STORE_ID if at_store else DEPOT_ID,
            skills=skills,
            cost_per_km_cents=18 if ev else 32,
            # A two-person crew costs two drivers.
            cost_per_hour_cents=5600 if bulky else 2800,
            fixed_cost_cents=4500,
            speed_kmh=22.0,
        )
        vehicle.capacity.weight_kg = weight_kg
        vehicle.capacity.volume_l = volume_l
        vehicle.capacity.stops = 20 if bulky else 30 + (i * 7) % 16
        start_h, end_h = (12, 21) if late else (8, 17)
        _set_window(vehicle.shift, clock.ts(0, start_h), clock.ts(0, end_h))
        brk_from, brk_to = ((15, 30), (18, 0)) if late else ((11, 30), (14, 0))
        _set_window(vehicle.driver_break.window, clock.ts(0, *brk_from), clock.ts(0, *brk_to))
        vehicle.driver_break.duration.seconds = 30 * 60
        vehicle.max_route_duration.seconds = 9 * _HOUR_S


def _add_options(request: orchestrator_pb2.DecideRequest) -> None:
    options = request.options
    options.weights.cost = 1.0
    options.weights.lateness = 50.0  # cents per minute late
    options.weights.emissions = 10.0  # cents per kg CO2e, i.e. 0.01 cents per g
    options.time_budget.seconds = 10  # a cap: routing stops on work in proportion to it
    options.explain = True
    options.savings_baseline = orchestrator_pb2.BASELINE_GREEDY
    options.circuity_factor = 1.3
    options.currency = _CURRENCY
    options.seed = 1


# ---------------------------------------------------------------------------------------------
# Orders

_Parcel = tuple[float, tuple[float, float, float], int]  # (weight_kg, (l, w, h) cm, count)


def _box(rng: random.Random) -> tuple[float, float, float]:
    return rng.choices(_BOXES, _BOX_WEIGHTS)[0]


def _general_parcel(rng: random.Random) -> _Parcel:
    """A small parcel of 0.2-5 kg, heavier for bigger boxes; now and then a heavy one."""
    dims = _box(rng)
    volume_l = dims[0] * dims[1] * dims[2] / 1000.0
    if volume_l > 25.0 and rng.random() < 0.15:
        return (round(rng.uniform(5.0, 20.0), 2), dims, 1)  # small appliance, books
    cap = min(5.0, 0.5 + 0.25 * volume_l)
    return (round(rng.uniform(0.2, cap), 2), dims, 1)


def _parcels(rng: random.Random, tags: set[str]) -> list[_Parcel]:
    """Parcels that match the tags: furniture is bulky, frozen goes in insulated boxes, ..."""
    if "furniture" in tags:
        sides = (
            float(round(rng.uniform(120.0, 220.0))),
            float(round(rng.uniform(40.0, 90.0))),
            float(round(rng.uniform(15.0, 80.0))),
        )
        count = 2 if rng.random() < 0.15 else 1
        return [(round(rng.uniform(25.0, 120.0), 1), sides, count)]
    if "b2b" in tags:
        return [(round(rng.uniform(5.0, 15.0), 1), _CARTON, rng.randint(2, 8))]
    parcels: list[_Parcel] = []
    if "frozen" in tags or "chilled" in tags:
        boxes = 2 if rng.random() < 0.3 else 1
        parcels.append((round(rng.uniform(3.0, 12.0), 1), _INSULATED_BOX, boxes))
    if "alcohol" in tags:
        if rng.random() < 0.6:
            parcels.append((round(rng.uniform(8.0, 10.0), 1), _WINE_CASE, 1))
        else:
            parcels.append((round(rng.uniform(1.4, 2.0), 2), _BOTTLE_BOX, 1))
    if "pharma" in tags or "tobacco" in tags:
        parcels.append((round(rng.uniform(0.2, 1.0), 2), _BOXES[rng.randint(0, 1)], 1))
    if "hazmat" in tags:
        parcels.append((round(rng.uniform(1.0, 5.0), 2), _BOXES[rng.randint(1, 3)], 1))
    if not parcels:
        parcels.append(_general_parcel(rng))
    extra = rng.random()
    if extra < 0.03:
        parcels += [_general_parcel(rng), _general_parcel(rng)]
    elif extra < 0.10:
        parcels.append(_general_parcel(rng))
    elif extra < 0.13:
        weight, dims, _ = parcels[0]
        parcels[0] = (weight, dims, 2)  # two of the same
    return parcels


_CHANNELS = ("web", "app", "web")  # two thirds of consumer orders come from the web shop


def _declared_value_cents(rng: random.Random, tags: set[str]) -> int:
    if "high_value" in tags:
        euros = rng.uniform(500.0, 2000.0)
    elif "furniture" in tags:
        euros = rng.uniform(150.0, 1500.0)
    elif "b2b" in tags:
        euros = rng.uniform(200.0, 1500.0)
    else:
        euros = min(800.0, max(5.0, rng.lognormvariate(math.log(45.0), 0.8)))
    return round(euros * 100)


def _promise(promise: types_pb2.Promise, kind: str, clock: _Clock, rng: random.Random) -> None:
    if kind == "same_day":
        if rng.random() < _TIGHT_SHARE:
            start = rng.choice(_TIGHT_STARTS)
            _set_window(promise.windows.add(), clock.ts(0, start), clock.ts(0, start + 1))
        else:
            start = rng.choices(_SAME_DAY_STARTS, _SAME_DAY_START_WEIGHTS)[0]
            _set_window(promise.windows.add(), clock.ts(0, start), clock.ts(0, start + 2))
    elif kind == "two_windows":
        first = rng.choice(_SAME_DAY_STARTS[:4])
        _set_window(promise.windows.add(), clock.ts(0, first), clock.ts(0, first + 2))
        if rng.random() < 0.5:
            later = rng.choice([h for h in _SAME_DAY_STARTS if h >= first + 4])
            _set_window(promise.windows.add(), clock.ts(0, later), clock.ts(0, later + 2))
        else:
            later = rng.choice(_NEXT_DAY_STARTS)
            _set_window(promise.windows.add(), clock.ts(1, later), clock.ts(1, later + 2))
    elif kind == "next_day":
        promise.deadline.seconds = clock.ts(1, _DEADLINE_HOUR)
    else:
        promise.deadline.seconds = clock.ts(rng.choice((2, 3)), _DEADLINE_HOUR)


def _pick(rng: random.Random, pool: Sequence[int], share: float, total: int) -> set[int]:
    """A quota of `share * total` orders drawn from `pool`."""
    return set(rng.sample(pool, min(len(pool), _quota(total, share))))


def _tag_sets(rng: random.Random, n: int) -> dict[str, set[int]]:
    """Which orders carry which tag; exclusive where goods cannot mix (frozen vs chilled...)."""
    everyone = range(n)
    furniture = _pick(rng, everyone, TAG_SHARES["furniture"], n)
    goods = [i for i in everyone if i not in furniture]
    frozen = _pick(rng, goods, TAG_SHARES["frozen"], n)
    chilled = _pick(rng, [i for i in goods if i not in frozen], TAG_SHARES["chilled"], n)
    alcohol = _pick(rng, goods, TAG_SHARES["alcohol"], n)
    tobacco = _pick(rng, goods, TAG_SHARES["tobacco"], n)
    pharma = _pick(rng, goods, TAG_SHARES["pharma"], n)
    food_or_drug = frozen | chilled | pharma | alcohol
    hazmat = _pick(rng, [i for i in goods if i not in food_or_drug], TAG_SHARES["hazmat"], n)
    b2b = _pick(rng, goods, TAG_SHARES["b2b"], n)
    return {
        "alcohol": alcohol,
        "tobacco": tobacco,
        "pharma": pharma,
        "frozen": frozen,
        "chilled": chilled,
        "hazmat": hazmat,
        "fragile": _pick(rng, everyone, TAG_SHARES["fragile"], n),
        "high_value": _pick(rng, everyone, TAG_SHARES["high_value"], n),
        "furniture": furniture,
        "b2b": b2b,
    }


def _add_orders(
    request: orchestrator_pb2.DecideRequest, clock: _Clock, rng: random.Random, n: int, now_ts: int
) -> None:
    tag_sets = _tag_sets(rng, n)
    # Furniture ships from the depot only; the store ships a quarter of all orders.
    store = _pick(rng, [i for i in range(n) if i not in tag_sets["furniture"]], STORE_SHARE, n)
    signature = set(tag_sets["high_value"])
    others = [i for i in range(n) if i not in signature]
    missing = max(0, min(len(others), _quota(n, SIGNATURE_SHARE) - len(signature)))
    signature |= set(rng.sample(others, missing))
    green = _pick(rng, range(n), GREEN_SHARE, n)
    contactless = _pick(rng, [i for i in range(n) if i not in signature], CONTACTLESS_SHARE, n)
    kind_counts = zip(PROMISE_SHARES, _split(n, list(PROMISE_SHARES.values())), strict=True)
    kinds = [kind for kind, count in kind_counts for _ in range(count)]
    rng.shuffle(kinds)

    for i in range(n):
        tags = {tag for tag, members in tag_sets.items() if i in members}
        at_store = i in store
        weights = _STORE_DISTRICT_WEIGHTS if at_store else _DEPOT_DISTRICT_WEIGHTS
        district = rng.choices(_DISTRICTS, weights)[0]
        order = request.orders.add(
            id=f"ORD-{i + 1:06d}",
            origin_site_id=STORE_ID if at_store else DEPOT_ID,
            tags=[tag for tag in TAG_SHARES if tag in tags],
        )
        # b2b orders restock our stores; the rules read the channel, not the tag.
        order.attributes["channel"] = "replenishment" if "b2b" in tags else _CHANNELS[i % 3]
        dest = order.destination
        dy_km = max(-_SCATTER_CLIP_KM, min(_SCATTER_CLIP_KM, rng.gauss(0.0, _SCATTER_KM)))
        dx_km = max(-_SCATTER_CLIP_KM, min(_SCATTER_CLIP_KM, rng.gauss(0.0, _SCATTER_KM)))
        km_per_deg_lon = _KM_PER_DEG_LAT * math.cos(math.radians(district.lat))
        dest.location.lat = round(district.lat + dy_km / _KM_PER_DEG_LAT, 6)
        dest.location.lon = round(district.lon + dx_km / km_per_deg_lon, 6)
        dest.zone_id = district.zone_id
        dest.postal_code = rng.choice(district.postal_codes)
        for weight_kg, (length, width, height), count in _parcels(rng, tags):
            parcel = order.parcels.add(
                weight_kg=weight_kg,
                volume_l=round(length * width * height / 1000.0, 1),
                count=count,
            )
            parcel.dimensions_cm.length_cm = length
            parcel.dimensions_cm.width_cm = width
            parcel.dimensions_cm.height_cm = height
        _promise(order.promise, kinds[i], clock, rng)
        prefs = order.preferences
        prefs.green = i in green
        prefs.contactless = i in contactless
        prefs.signature_wanted = i in signature
        order.declared_value.cents = _declared_value_cents(rng, tags)
        order.declared_value.currency = _CURRENCY
        order.created_at.seconds = now_ts - rng.randrange(60, _CREATED_WITHIN_S)


# ---------------------------------------------------------------------------------------------
# Public API


def generate_day(
    seed: int, orders: int = 500, vehicles: int = 12, now: datetime | None = None
) -> orchestrator_pb2.DecideRequest:
    """Generate one delivery day in Berlin as a DecideRequest.

    Parameters
    ----------
    seed
        Seeds every random choice; the same arguments give the same request.
    orders
        Number of orders, at least 1.
    vehicles
        Number of own-fleet vans, at least 0.
    now
        The decision clock, timezone-aware, before 10:00 local time. Defaults to
        `DEFAULT_NOW` (2026-11-24 07:30 Europe/Berlin).

    Returns
    -------
    orchestrator_pb2.DecideRequest
        Every id reference resolves within the request.

    Raises
    ------
    ValueError
        If `orders` < 1, `vehicles` < 0, or `now` is naive or not before 10:00 local time.
    """
    if orders < 1:
        raise ValueError(f"Expected orders >= 1, got {orders}")
    if vehicles < 0:
        raise ValueError(f"Expected vehicles >= 0, got {vehicles}")
    if now is None:
        now = DEFAULT_NOW
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("Expected a timezone-aware now, e.g. datetime(..., tzinfo=ZoneInfo(...))")
    if now.astimezone(_TZ).hour >= _LATEST_NOW_HOUR:
        raise ValueError(
            f"Expected now before {_LATEST_NOW_HOUR}:00 {TIMEZONE} so today's windows lie ahead,"
            f" got {now.astimezone(_TZ).isoformat()}"
        )
    rng = random.Random(seed)
    clock = _Clock(now)
    now_ts = math.floor(now.timestamp())

    request = orchestrator_pb2.DecideRequest(
        request_id=f"sample-{now.astimezone(_TZ).date().isoformat()}", timezone=TIMEZONE
    )
    request.now.seconds = now_ts
    _add_sites(request, clock)
    _add_orders(request, clock, rng, orders, now_ts)
    _add_carriers(request)
    _add_slots(request, clock, rng, scale=orders / 500)
    _add_vehicles(request, clock, vehicles)
    _add_rate_cards(request)
    _add_options(request)
    return request


def to_json(request: orchestrator_pb2.DecideRequest) -> str:
    """Protobuf JSON (lowerCamelCase names) with a final newline, as written to disk."""
    return json_format.MessageToJson(request, indent=2) + "\n"


def order_mix(request: orchestrator_pb2.DecideRequest) -> dict[str, int]:
    """Counts that describe a generated day; the README table is built from these."""
    tz = ZoneInfo(request.timezone or "UTC")
    today = datetime.fromtimestamp(request.now.seconds, tz).date()
    mix: dict[str, int] = {
        "orders": len(request.orders),
        f"origin: {DEPOT_ID}": 0,
        f"origin: {STORE_ID}": 0,
    }
    mix.update({f"tag: {tag}": 0 for tag in TAG_SHARES})
    mix.update(
        {
            "promise: one window today": 0,
            "promise: one tight (1 h) evening window": 0,
            "promise: two alternative windows": 0,
            "promise: deadline tomorrow": 0,
            "promise: deadline in 2-3 days": 0,
            "multi-parcel orders (count > 1 or several parcels)": 0,
            "pref: green": 0,
            "pref: contactless": 0,
            "pref: signature_wanted": 0,
        }
    )
    for order in request.orders:
        mix[f"origin: {order.origin_site_id}"] += 1
        for tag in order.tags:
            mix[f"tag: {tag}"] += 1
        windows = order.promise.windows
        if len(windows) > 1:
            mix["promise: two alternative windows"] += 1
        elif len(windows) == 1:
            tight = windows[0].end.seconds - windows[0].start.seconds < 2 * _HOUR_S
            key = "one tight (1 h) evening window" if tight else "one window today"
            mix[f"promise: {key}"] += 1
        else:
            days = (datetime.fromtimestamp(order.promise.deadline.seconds, tz).date() - today).days
            mix["promise: deadline tomorrow" if days == 1 else "promise: deadline in 2-3 days"] += 1
        if len(order.parcels) > 1 or any(p.count > 1 for p in order.parcels):
            mix["multi-parcel orders (count > 1 or several parcels)"] += 1
        mix["pref: green"] += order.preferences.green
        mix["pref: contactless"] += order.preferences.contactless
        mix["pref: signature_wanted"] += order.preferences.signature_wanted
    return mix


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write one generated day as protobuf JSON."""
    parser = argparse.ArgumentParser(prog="python -m samples.generate", description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--vehicles", type=int, default=12)
    args = parser.parse_args(argv)
    try:
        request = generate_day(args.seed, orders=args.orders, vehicles=args.vehicles)
    except ValueError as exc:
        parser.error(str(exc))
    args.out.write_text(to_json(request), encoding="utf-8")
    print(
        f"wrote {args.out}: {len(request.orders)} orders, {len(request.carriers)} carriers,"
        f" {len(request.capacity)} slots, {len(request.vehicles)} vehicles"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
