"""Proto in, columnar snapshot out: one pass over a validated DecideRequest.

Runs after `service.validate`, so references resolve and numbers are in range; this module only
reshapes. Nothing past here sees a protobuf message.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from rules.rates import Peak, RateCard
from solver.domain import Baseline, Policy, bit
from solver.snapshot import (
    NO_LIMIT,
    Carriers,
    Fleet,
    Options,
    Orders,
    RateCards,
    Sites,
    Slots,
    Snapshot,
    TravelMatrix,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from google.protobuf.duration_pb2 import Duration
    from google.protobuf.timestamp_pb2 import Timestamp

    from lastmile.v1 import orchestrator_pb2, types_pb2


DEFAULT_SPEED_KMH = 25.0
DEFAULT_CIRCUITY = 1.3
DEFAULT_BUDGET_S = 10.0
CAPABILITY_SLOTS = 9  # Capability values 1..8 plus the unused 0
NO_PARCEL_LIMIT = 1 << 40


def _ts(value: Timestamp) -> int:
    return int(value.seconds)


def _dur(value: Duration) -> int:
    return int(value.seconds)


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=out[1:])
    return out


def _bits(values: Sequence[int]) -> int:
    out = 0
    for value in values:
        out |= bit(value)
    return out


def _limit(value: float) -> float:
    return float(value) if value > 0 else NO_LIMIT


def rate_card(card: types_pb2.RateCard) -> RateCard:
    """A request's rate card in the form rate files load into (`rules.rates.RateCard`)."""
    return RateCard(
        id=card.id,
        currency=card.currency,
        base_cents=card.base_cents,
        distance_bands=tuple((_limit(b.up_to_km), b.per_km_cents) for b in card.distance_bands),
        weight_tiers=tuple((_limit(t.up_to_kg), t.cents) for t in card.weight_tiers),
        dim_divisor=card.dim_divisor,
        zone_surcharges=tuple((s.zone_id, s.cents) for s in card.zone_surcharges),
        same_day_premium_cents=card.same_day_premium_cents,
        window_premium_cents=card.window_premium_cents,
        peaks=tuple(
            Peak(tuple(p.weekdays), p.from_hour, p.to_hour, p.multiplier) for p in card.peaks
        ),
        fuel_surcharge_pct=card.fuel_surcharge_pct,
        min_charge_cents=card.min_charge_cents,
        addons=tuple((a.capability, a.cents) for a in card.addons),
        source="request",
    )


def merged_rate_cards(
    request: orchestrator_pb2.DecideRequest, defaults: Sequence[RateCard] = ()
) -> tuple[RateCard, ...]:
    """The request's cards, then the default (file) cards whose id the request does not use:
    a request card replaces the file card of the same id for this request."""
    own = tuple(rate_card(card) for card in request.rate_cards)
    ids = {card.id for card in own}
    return own + tuple(card for card in defaults if card.id not in ids)


def to_snapshot(
    request: orchestrator_pb2.DecideRequest, default_rate_cards: Sequence[RateCard] = ()
) -> Snapshot:
    """Build the snapshot of a validated request.

    Sites, orders, carriers, capacity slots and vehicles are taken in id order (ids are
    unique), so the answer does not depend on the order the request lists them in: an OMS
    reading its orders without ORDER BY gets the same decision every time.

    Parameters
    ----------
    request : DecideRequest
        Already checked by `service.validate.validate_decide`.
    default_rate_cards : sequence of rules.rates.RateCard
        The service's cards (rate files); the request's own cards win by id.
    """
    by_id = attrgetter("id")
    sites = sorted(request.sites, key=by_id)
    orders = sorted(request.orders, key=by_id)
    carriers = sorted(request.carriers, key=by_id)
    capacity = sorted(request.capacity, key=by_id)
    vehicles = sorted(request.vehicles, key=by_id)
    now_ts = _ts(request.now)

    zone_ids = _zone_vocabulary(request)
    zone_index = {zone: i for i, zone in enumerate(zone_ids)}
    site_index = {site.id: i for i, site in enumerate(sites)}
    carrier_index = {carrier.id: i for i, carrier in enumerate(carriers)}
    cards = merged_rate_cards(request, default_rate_cards)
    rate_index = {card.id: i for i, card in enumerate(cards)}
    tag_names = tuple(sorted({tag for order in orders for tag in order.tags}))
    tag_index = {tag: i for i, tag in enumerate(tag_names)}

    options = _options(request.options)
    return Snapshot(
        request_id=request.request_id,
        now_ts=now_ts,
        timezone=request.timezone or "UTC",
        tag_names=tag_names,
        zone_ids=zone_ids,
        sites=_sites(sites),
        orders=_orders(orders, now_ts, site_index, zone_index, tag_index),
        carriers=_carriers(carriers, capacity, zone_index, rate_index),
        slots=_slots(capacity, carrier_index, zone_index),
        fleet=_fleet(vehicles, carrier_index, site_index),
        rates=_rates(cards, zone_index),
        options=options,
        matrix=_matrix(request.matrix, site_index, orders) if request.HasField("matrix") else None,
    )


def _zone_vocabulary(request: orchestrator_pb2.DecideRequest) -> tuple[str, ...]:
    zones: set[str] = set()
    for carrier in request.carriers:
        zones.update(carrier.zone_ids)
    zones.update(slot.zone_id for slot in request.capacity)
    zones.update(order.destination.zone_id for order in request.orders if order.destination.zone_id)
    for card in request.rate_cards:
        zones.update(s.zone_id for s in card.zone_surcharges)
    return tuple(sorted(zones))


def _sites(sites: Sequence[types_pb2.Site]) -> Sites:
    starts: list[int] = []
    ends: list[int] = []
    for site in sites:
        starts.extend(_ts(w.start) for w in site.opening_hours)
        ends.extend(_ts(w.end) for w in site.opening_hours)
    return Sites(
        ids=tuple(site.id for site in sites),
        lat=np.array([s.location.lat for s in sites], dtype=np.float64),
        lon=np.array([s.location.lon for s in sites], dtype=np.float64),
        open_offsets=_offsets([len(s.opening_hours) for s in sites]),
        open_start_ts=np.array(starts, dtype=np.int64),
        open_end_ts=np.array(ends, dtype=np.int64),
    )


def _orders(
    orders: Sequence[types_pb2.Order],
    now_ts: int,
    site_index: dict[str, int],
    zone_index: dict[str, int],
    tag_index: dict[str, int],
) -> Orders:
    n = len(orders)
    origin = np.empty(n, dtype=np.int64)
    lat = np.empty(n, dtype=np.float64)
    lon = np.empty(n, dtype=np.float64)
    zone = np.empty(n, dtype=np.int64)
    weight = np.empty(n, dtype=np.float64)
    volume = np.empty(n, dtype=np.float64)
    length = np.empty(n, dtype=np.float64)
    parcels = np.empty(n, dtype=np.int64)
    tags = np.zeros(n, dtype=np.uint64)
    deadline = np.full(n, -1, dtype=np.int64)
    promise_start = np.empty(n, dtype=np.int64)
    promise_end = np.empty(n, dtype=np.int64)
    green = np.empty(n, dtype=np.bool_)
    contactless = np.empty(n, dtype=np.bool_)
    signature = np.empty(n, dtype=np.bool_)
    value = np.empty(n, dtype=np.int64)
    created = np.full(n, -1, dtype=np.int64)
    window_counts: list[int] = []
    window_starts: list[int] = []
    window_ends: list[int] = []

    for i, order in enumerate(orders):
        origin[i] = site_index[order.origin_site_id]
        lat[i] = order.destination.location.lat
        lon[i] = order.destination.location.lon
        zone[i] = zone_index.get(order.destination.zone_id, -1)
        total_kg = total_l = longest = 0.0
        count = 0
        for parcel in order.parcels:
            k = parcel.count or 1
            dims = parcel.dimensions_cm
            litres = parcel.volume_l or dims.length_cm * dims.width_cm * dims.height_cm / 1000.0
            total_kg += parcel.weight_kg * k
            total_l += litres * k
            longest = max(longest, dims.length_cm, dims.width_cm, dims.height_cm)
            count += k
        weight[i], volume[i], length[i], parcels[i] = total_kg, total_l, longest, count
        mask = 0
        for tag in order.tags:
            mask |= 1 << tag_index[tag]
        tags[i] = mask
        promise = order.promise
        if promise.windows:
            window_counts.append(len(promise.windows))
            window_starts.extend(_ts(w.start) for w in promise.windows)
            window_ends.extend(_ts(w.end) for w in promise.windows)
            promise_start[i] = _ts(promise.windows[0].start)
            promise_end[i] = _ts(promise.windows[-1].end)
        else:
            deadline[i] = _ts(promise.deadline)
            window_counts.append(0)
            promise_start[i] = now_ts
            promise_end[i] = deadline[i]
        prefs = order.preferences
        green[i], contactless[i], signature[i] = (
            prefs.green,
            prefs.contactless,
            prefs.signature_wanted,
        )
        value[i] = order.declared_value.cents
        if order.HasField("created_at"):
            created[i] = _ts(order.created_at)

    return Orders(
        ids=tuple(order.id for order in orders),
        origin_site_idx=origin,
        lat=lat,
        lon=lon,
        zone_idx=zone,
        postal_codes=tuple(order.destination.postal_code for order in orders),
        weight_kg=weight,
        volume_l=volume,
        max_length_cm=length,
        parcel_count=parcels,
        tag_bits=tags,
        deadline_ts=deadline,
        window_offsets=_offsets(window_counts),
        window_start_ts=np.array(window_starts, dtype=np.int64),
        window_end_ts=np.array(window_ends, dtype=np.int64),
        promise_start_ts=promise_start,
        promise_end_ts=promise_end,
        green=green,
        contactless=contactless,
        signature_wanted=signature,
        declared_value_cents=value,
        created_ts=created,
        attributes=tuple(dict(order.attributes) for order in orders),
    )


def _carriers(
    carriers: Sequence[types_pb2.Carrier],
    capacity: Sequence[types_pb2.CapacitySlot],
    zone_index: dict[str, int],
    rate_index: dict[str, int],
) -> Carriers:
    n = len(carriers)
    serves = np.zeros((n, len(zone_index)), dtype=np.bool_)
    with_slots = {slot.carrier_id for slot in capacity}
    for c, carrier in enumerate(carriers):
        for zone in carrier.zone_ids:
            serves[c, zone_index[zone]] = True
    return Carriers(
        ids=tuple(c.id for c in carriers),
        names=tuple(c.name or c.id for c in carriers),
        kind=np.array([c.kind for c in carriers], dtype=np.int64),
        capability_bits=np.array([_bits(c.capabilities) for c in carriers], dtype=np.uint64),
        serves_zone=serves,
        serves_all_zones=np.array([not c.zone_ids for c in carriers], dtype=np.bool_),
        max_weight_kg=np.array([_limit(c.limits.max_weight_kg) for c in carriers]),
        max_volume_l=np.array([_limit(c.limits.max_volume_l) for c in carriers]),
        max_length_cm=np.array([_limit(c.limits.max_length_cm) for c in carriers]),
        max_parcels=np.array(
            [c.limits.max_parcels or NO_PARCEL_LIMIT for c in carriers], dtype=np.int64
        ),
        same_day_cutoff_s=np.array(
            [_dur(c.same_day_cutoff) if _dur(c.same_day_cutoff) > 0 else -1 for c in carriers],
            dtype=np.int64,
        ),
        lead_time_s=np.array([_dur(c.lead_time) for c in carriers], dtype=np.int64),
        rate_card_idx=np.array(
            [rate_index.get(c.rate_card_id, -1) if c.rate_card_id else -1 for c in carriers],
            dtype=np.int64,
        ),
        emissions_g_per_km=np.array([c.emissions_g_per_km for c in carriers], dtype=np.float64),
        reliability=np.array([c.reliability for c in carriers], dtype=np.float64),
        speed_kmh=np.array([c.speed_kmh or DEFAULT_SPEED_KMH for c in carriers]),
        has_slots=np.array([c.id in with_slots for c in carriers], dtype=np.bool_),
    )


def _slots(
    slots: Sequence[types_pb2.CapacitySlot],
    carrier_index: dict[str, int],
    zone_index: dict[str, int],
) -> Slots:
    return Slots(
        ids=tuple(s.id or f"{s.carrier_id}/{s.zone_id}/{_ts(s.window.start)}" for s in slots),
        carrier_idx=np.array([carrier_index[s.carrier_id] for s in slots], dtype=np.int64),
        zone_idx=np.array([zone_index[s.zone_id] for s in slots], dtype=np.int64),
        start_ts=np.array([_ts(s.window.start) for s in slots], dtype=np.int64),
        end_ts=np.array([_ts(s.window.end) for s in slots], dtype=np.int64),
        remaining_orders=np.array([s.remaining_orders for s in slots], dtype=np.int64),
        remaining_weight_kg=np.array([s.remaining_weight_kg for s in slots], dtype=np.float64),
    )


def _fleet(
    vehicles: Sequence[types_pb2.Vehicle],
    carrier_index: dict[str, int],
    site_index: dict[str, int],
) -> Fleet:
    def shift_s(v: types_pb2.Vehicle) -> int:
        return _ts(v.shift.end) - _ts(v.shift.start)

    has_break = [v.HasField("driver_break") and _dur(v.driver_break.duration) > 0 for v in vehicles]
    return Fleet(
        ids=tuple(v.id for v in vehicles),
        carrier_idx=np.array([carrier_index[v.carrier_id] for v in vehicles], dtype=np.int64),
        start_site_idx=np.array([site_index[v.depot_site_id] for v in vehicles], dtype=np.int64),
        end_site_idx=np.array(
            [site_index[v.end_site_id or v.depot_site_id] for v in vehicles], dtype=np.int64
        ),
        shift_start_ts=np.array([_ts(v.shift.start) for v in vehicles], dtype=np.int64),
        shift_end_ts=np.array([_ts(v.shift.end) for v in vehicles], dtype=np.int64),
        capacity_kg=np.array([v.capacity.weight_kg for v in vehicles], dtype=np.float64),
        capacity_l=np.array([v.capacity.volume_l for v in vehicles], dtype=np.float64),
        capacity_stops=np.array([v.capacity.stops for v in vehicles], dtype=np.int64),
        skill_bits=np.array([_bits(v.skills) for v in vehicles], dtype=np.uint64),
        cost_per_km_cents=np.array([v.cost_per_km_cents for v in vehicles], dtype=np.int64),
        cost_per_hour_cents=np.array([v.cost_per_hour_cents for v in vehicles], dtype=np.int64),
        fixed_cost_cents=np.array([v.fixed_cost_cents for v in vehicles], dtype=np.int64),
        break_start_ts=np.array(
            [
                _ts(v.driver_break.window.start) if b else -1
                for v, b in zip(vehicles, has_break, strict=True)
            ],
            dtype=np.int64,
        ),
        break_end_ts=np.array(
            [
                _ts(v.driver_break.window.end) if b else -1
                for v, b in zip(vehicles, has_break, strict=True)
            ],
            dtype=np.int64,
        ),
        break_s=np.array(
            [
                _dur(v.driver_break.duration) if b else 0
                for v, b in zip(vehicles, has_break, strict=True)
            ],
            dtype=np.int64,
        ),
        max_duration_s=np.array(
            [_dur(v.max_route_duration) or shift_s(v) for v in vehicles], dtype=np.int64
        ),
        speed_kmh=np.array([v.speed_kmh or DEFAULT_SPEED_KMH for v in vehicles]),
    )


def _rates(cards: Sequence[RateCard], zone_index: dict[str, int]) -> RateCards:
    """Cards as columns; surcharges of zones the request never names are dropped."""
    surcharge = np.zeros((len(cards), len(zone_index)), dtype=np.int64)
    addons = np.zeros((len(cards), CAPABILITY_SLOTS), dtype=np.int64)
    for r, card in enumerate(cards):
        for zone_id, cents in card.zone_surcharges:
            if zone_id in zone_index:
                surcharge[r, zone_index[zone_id]] = cents
        for capability, cents in card.addons:
            addons[r, capability] = cents
    bands = [b for card in cards for b in card.distance_bands]
    tiers = [t for card in cards for t in card.weight_tiers]
    peaks = [p for card in cards for p in card.peaks]
    return RateCards(
        ids=tuple(card.id for card in cards),
        currency=tuple(card.currency for card in cards),
        base_cents=np.array([card.base_cents for card in cards], dtype=np.int64),
        band_offsets=_offsets([len(card.distance_bands) for card in cards]),
        band_up_to_km=np.array([up for up, _ in bands], dtype=np.float64),
        band_per_km_cents=np.array([cents for _, cents in bands], dtype=np.int64),
        tier_offsets=_offsets([len(card.weight_tiers) for card in cards]),
        tier_up_to_kg=np.array([up for up, _ in tiers], dtype=np.float64),
        tier_cents=np.array([cents for _, cents in tiers], dtype=np.int64),
        dim_divisor=np.array([card.dim_divisor for card in cards], dtype=np.float64),
        zone_surcharge_cents=surcharge,
        same_day_premium_cents=np.array(
            [card.same_day_premium_cents for card in cards], dtype=np.int64
        ),
        window_premium_cents=np.array(
            [card.window_premium_cents for card in cards], dtype=np.int64
        ),
        peak_offsets=_offsets([len(card.peaks) for card in cards]),
        peak_weekday_bits=np.array([_bits(p.weekdays) for p in peaks], dtype=np.int64),
        peak_from_hour=np.array([p.from_hour for p in peaks], dtype=np.int64),
        peak_to_hour=np.array([p.to_hour for p in peaks], dtype=np.int64),
        peak_multiplier=np.array([p.multiplier for p in peaks], dtype=np.float64),
        fuel_pct=np.array([card.fuel_surcharge_pct for card in cards], dtype=np.float64),
        min_charge_cents=np.array([card.min_charge_cents for card in cards], dtype=np.int64),
        addon_cents=addons,
    )


def _matrix(
    matrix: types_pb2.TravelMatrix,
    site_index: dict[str, int],
    orders: Sequence[types_pb2.Order],
) -> TravelMatrix:
    ids = tuple(matrix.location_ids)
    n = len(ids)
    row = {ident: k for k, ident in enumerate(ids)}
    durations = np.array(matrix.durations_s, dtype=np.int64)
    return TravelMatrix(
        location_ids=ids,
        distances_m=np.array(matrix.distances_m, dtype=np.int64).reshape(n, n),
        durations_s=durations.reshape(n, n) if len(durations) else np.zeros((0, 0), np.int64),
        site_row=np.array([row.get(site, -1) for site in site_index], dtype=np.int64),
        order_row=np.array([row.get(order.id, -1) for order in orders], dtype=np.int64),
    )


def _options(options: orchestrator_pb2.DecisionOptions) -> Options:
    budget = options.time_budget.seconds + options.time_budget.nanos / 1e9
    return Options(
        cost_weight=options.weights.cost or 1.0,
        lateness_cents_per_min=options.weights.lateness,
        emissions_cents_per_kg=options.weights.emissions,
        time_budget_s=budget if budget > 0 else DEFAULT_BUDGET_S,
        explain=options.explain,
        baseline=options.savings_baseline or Baseline.GREEDY,
        policy=options.policy or Policy.OPTIMAL,
        circuity=options.circuity_factor or DEFAULT_CIRCUITY,
        currency=options.currency or "EUR",
        seed=options.seed,
    )
