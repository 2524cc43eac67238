import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SiteKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SITE_KIND_UNSPECIFIED: _ClassVar[SiteKind]
    SITE_KIND_DEPOT: _ClassVar[SiteKind]
    SITE_KIND_STORE: _ClassVar[SiteKind]
    SITE_KIND_HUB: _ClassVar[SiteKind]

class CarrierKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARRIER_KIND_UNSPECIFIED: _ClassVar[CarrierKind]
    CARRIER_KIND_OWN_FLEET: _ClassVar[CarrierKind]
    CARRIER_KIND_REGIONAL: _ClassVar[CarrierKind]
    CARRIER_KIND_LOCAL_COURIER: _ClassVar[CarrierKind]
    CARRIER_KIND_GIG: _ClassVar[CarrierKind]
    CARRIER_KIND_NATIONAL: _ClassVar[CarrierKind]

class Capability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPABILITY_UNSPECIFIED: _ClassVar[Capability]
    CAPABILITY_COLD_CHAIN: _ClassVar[Capability]
    CAPABILITY_AGE_VERIFICATION: _ClassVar[Capability]
    CAPABILITY_TWO_PERSON: _ClassVar[Capability]
    CAPABILITY_BULKY: _ClassVar[Capability]
    CAPABILITY_HAZMAT: _ClassVar[Capability]
    CAPABILITY_PHOTO_POD: _ClassVar[Capability]
    CAPABILITY_SIGNATURE_POD: _ClassVar[Capability]
    CAPABILITY_EV: _ClassVar[Capability]
SITE_KIND_UNSPECIFIED: SiteKind
SITE_KIND_DEPOT: SiteKind
SITE_KIND_STORE: SiteKind
SITE_KIND_HUB: SiteKind
CARRIER_KIND_UNSPECIFIED: CarrierKind
CARRIER_KIND_OWN_FLEET: CarrierKind
CARRIER_KIND_REGIONAL: CarrierKind
CARRIER_KIND_LOCAL_COURIER: CarrierKind
CARRIER_KIND_GIG: CarrierKind
CARRIER_KIND_NATIONAL: CarrierKind
CAPABILITY_UNSPECIFIED: Capability
CAPABILITY_COLD_CHAIN: Capability
CAPABILITY_AGE_VERIFICATION: Capability
CAPABILITY_TWO_PERSON: Capability
CAPABILITY_BULKY: Capability
CAPABILITY_HAZMAT: Capability
CAPABILITY_PHOTO_POD: Capability
CAPABILITY_SIGNATURE_POD: Capability
CAPABILITY_EV: Capability

class LatLng(_message.Message):
    __slots__ = ("lat", "lon")
    LAT_FIELD_NUMBER: _ClassVar[int]
    LON_FIELD_NUMBER: _ClassVar[int]
    lat: float
    lon: float
    def __init__(self, lat: _Optional[float] = ..., lon: _Optional[float] = ...) -> None: ...

class TimeWindow(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Money(_message.Message):
    __slots__ = ("cents", "currency")
    CENTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    cents: int
    currency: str
    def __init__(self, cents: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class Site(_message.Message):
    __slots__ = ("id", "name", "kind", "location", "opening_hours")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    kind: SiteKind
    location: LatLng
    opening_hours: _containers.RepeatedCompositeFieldContainer[TimeWindow]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[SiteKind, str]] = ..., location: _Optional[_Union[LatLng, _Mapping]] = ..., opening_hours: _Optional[_Iterable[_Union[TimeWindow, _Mapping]]] = ...) -> None: ...

class Destination(_message.Message):
    __slots__ = ("location", "zone_id", "postal_code")
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ZONE_ID_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    location: LatLng
    zone_id: str
    postal_code: str
    def __init__(self, location: _Optional[_Union[LatLng, _Mapping]] = ..., zone_id: _Optional[str] = ..., postal_code: _Optional[str] = ...) -> None: ...

class DimensionsCm(_message.Message):
    __slots__ = ("length_cm", "width_cm", "height_cm")
    LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    WIDTH_CM_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_CM_FIELD_NUMBER: _ClassVar[int]
    length_cm: float
    width_cm: float
    height_cm: float
    def __init__(self, length_cm: _Optional[float] = ..., width_cm: _Optional[float] = ..., height_cm: _Optional[float] = ...) -> None: ...

class Parcel(_message.Message):
    __slots__ = ("weight_kg", "volume_l", "dimensions_cm", "count")
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_CM_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    weight_kg: float
    volume_l: float
    dimensions_cm: DimensionsCm
    count: int
    def __init__(self, weight_kg: _Optional[float] = ..., volume_l: _Optional[float] = ..., dimensions_cm: _Optional[_Union[DimensionsCm, _Mapping]] = ..., count: _Optional[int] = ...) -> None: ...

class Promise(_message.Message):
    __slots__ = ("deadline", "windows")
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    deadline: _timestamp_pb2.Timestamp
    windows: _containers.RepeatedCompositeFieldContainer[TimeWindow]
    def __init__(self, deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., windows: _Optional[_Iterable[_Union[TimeWindow, _Mapping]]] = ...) -> None: ...

class CustomerPreferences(_message.Message):
    __slots__ = ("green", "contactless", "signature_wanted")
    GREEN_FIELD_NUMBER: _ClassVar[int]
    CONTACTLESS_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_WANTED_FIELD_NUMBER: _ClassVar[int]
    green: bool
    contactless: bool
    signature_wanted: bool
    def __init__(self, green: _Optional[bool] = ..., contactless: _Optional[bool] = ..., signature_wanted: _Optional[bool] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "origin_site_id", "destination", "parcels", "tags", "promise", "preferences", "declared_value", "created_at", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PARCELS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    DECLARED_VALUE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    id: str
    origin_site_id: str
    destination: Destination
    parcels: _containers.RepeatedCompositeFieldContainer[Parcel]
    tags: _containers.RepeatedScalarFieldContainer[str]
    promise: Promise
    preferences: CustomerPreferences
    declared_value: Money
    created_at: _timestamp_pb2.Timestamp
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., origin_site_id: _Optional[str] = ..., destination: _Optional[_Union[Destination, _Mapping]] = ..., parcels: _Optional[_Iterable[_Union[Parcel, _Mapping]]] = ..., tags: _Optional[_Iterable[str]] = ..., promise: _Optional[_Union[Promise, _Mapping]] = ..., preferences: _Optional[_Union[CustomerPreferences, _Mapping]] = ..., declared_value: _Optional[_Union[Money, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CarrierLimits(_message.Message):
    __slots__ = ("max_weight_kg", "max_volume_l", "max_length_cm", "max_parcels")
    MAX_WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    MAX_VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    MAX_PARCELS_FIELD_NUMBER: _ClassVar[int]
    max_weight_kg: float
    max_volume_l: float
    max_length_cm: float
    max_parcels: int
    def __init__(self, max_weight_kg: _Optional[float] = ..., max_volume_l: _Optional[float] = ..., max_length_cm: _Optional[float] = ..., max_parcels: _Optional[int] = ...) -> None: ...

class Carrier(_message.Message):
    __slots__ = ("id", "name", "kind", "capabilities", "zone_ids", "limits", "same_day_cutoff", "lead_time", "rate_card_id", "emissions_g_per_km", "reliability", "speed_kmh")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    ZONE_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    SAME_DAY_CUTOFF_FIELD_NUMBER: _ClassVar[int]
    LEAD_TIME_FIELD_NUMBER: _ClassVar[int]
    RATE_CARD_ID_FIELD_NUMBER: _ClassVar[int]
    EMISSIONS_G_PER_KM_FIELD_NUMBER: _ClassVar[int]
    RELIABILITY_FIELD_NUMBER: _ClassVar[int]
    SPEED_KMH_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    kind: CarrierKind
    capabilities: _containers.RepeatedScalarFieldContainer[Capability]
    zone_ids: _containers.RepeatedScalarFieldContainer[str]
    limits: CarrierLimits
    same_day_cutoff: _duration_pb2.Duration
    lead_time: _duration_pb2.Duration
    rate_card_id: str
    emissions_g_per_km: float
    reliability: float
    speed_kmh: float
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[CarrierKind, str]] = ..., capabilities: _Optional[_Iterable[_Union[Capability, str]]] = ..., zone_ids: _Optional[_Iterable[str]] = ..., limits: _Optional[_Union[CarrierLimits, _Mapping]] = ..., same_day_cutoff: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., lead_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rate_card_id: _Optional[str] = ..., emissions_g_per_km: _Optional[float] = ..., reliability: _Optional[float] = ..., speed_kmh: _Optional[float] = ...) -> None: ...

class CapacitySlot(_message.Message):
    __slots__ = ("id", "carrier_id", "zone_id", "window", "remaining_orders", "remaining_weight_kg")
    ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    ZONE_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    REMAINING_ORDERS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    id: str
    carrier_id: str
    zone_id: str
    window: TimeWindow
    remaining_orders: int
    remaining_weight_kg: float
    def __init__(self, id: _Optional[str] = ..., carrier_id: _Optional[str] = ..., zone_id: _Optional[str] = ..., window: _Optional[_Union[TimeWindow, _Mapping]] = ..., remaining_orders: _Optional[int] = ..., remaining_weight_kg: _Optional[float] = ...) -> None: ...

class VehicleCapacity(_message.Message):
    __slots__ = ("weight_kg", "volume_l", "stops")
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    weight_kg: float
    volume_l: float
    stops: int
    def __init__(self, weight_kg: _Optional[float] = ..., volume_l: _Optional[float] = ..., stops: _Optional[int] = ...) -> None: ...

class DriverBreak(_message.Message):
    __slots__ = ("window", "duration")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    window: TimeWindow
    duration: _duration_pb2.Duration
    def __init__(self, window: _Optional[_Union[TimeWindow, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Vehicle(_message.Message):
    __slots__ = ("id", "carrier_id", "depot_site_id", "end_site_id", "shift", "capacity", "skills", "cost_per_km_cents", "cost_per_hour_cents", "fixed_cost_cents", "driver_break", "max_route_duration", "speed_kmh")
    ID_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    DEPOT_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    END_SITE_ID_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    COST_PER_KM_CENTS_FIELD_NUMBER: _ClassVar[int]
    COST_PER_HOUR_CENTS_FIELD_NUMBER: _ClassVar[int]
    FIXED_COST_CENTS_FIELD_NUMBER: _ClassVar[int]
    DRIVER_BREAK_FIELD_NUMBER: _ClassVar[int]
    MAX_ROUTE_DURATION_FIELD_NUMBER: _ClassVar[int]
    SPEED_KMH_FIELD_NUMBER: _ClassVar[int]
    id: str
    carrier_id: str
    depot_site_id: str
    end_site_id: str
    shift: TimeWindow
    capacity: VehicleCapacity
    skills: _containers.RepeatedScalarFieldContainer[Capability]
    cost_per_km_cents: int
    cost_per_hour_cents: int
    fixed_cost_cents: int
    driver_break: DriverBreak
    max_route_duration: _duration_pb2.Duration
    speed_kmh: float
    def __init__(self, id: _Optional[str] = ..., carrier_id: _Optional[str] = ..., depot_site_id: _Optional[str] = ..., end_site_id: _Optional[str] = ..., shift: _Optional[_Union[TimeWindow, _Mapping]] = ..., capacity: _Optional[_Union[VehicleCapacity, _Mapping]] = ..., skills: _Optional[_Iterable[_Union[Capability, str]]] = ..., cost_per_km_cents: _Optional[int] = ..., cost_per_hour_cents: _Optional[int] = ..., fixed_cost_cents: _Optional[int] = ..., driver_break: _Optional[_Union[DriverBreak, _Mapping]] = ..., max_route_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., speed_kmh: _Optional[float] = ...) -> None: ...

class DistanceBand(_message.Message):
    __slots__ = ("up_to_km", "per_km_cents")
    UP_TO_KM_FIELD_NUMBER: _ClassVar[int]
    PER_KM_CENTS_FIELD_NUMBER: _ClassVar[int]
    up_to_km: float
    per_km_cents: int
    def __init__(self, up_to_km: _Optional[float] = ..., per_km_cents: _Optional[int] = ...) -> None: ...

class WeightTier(_message.Message):
    __slots__ = ("up_to_kg", "cents")
    UP_TO_KG_FIELD_NUMBER: _ClassVar[int]
    CENTS_FIELD_NUMBER: _ClassVar[int]
    up_to_kg: float
    cents: int
    def __init__(self, up_to_kg: _Optional[float] = ..., cents: _Optional[int] = ...) -> None: ...

class ZoneSurcharge(_message.Message):
    __slots__ = ("zone_id", "cents")
    ZONE_ID_FIELD_NUMBER: _ClassVar[int]
    CENTS_FIELD_NUMBER: _ClassVar[int]
    zone_id: str
    cents: int
    def __init__(self, zone_id: _Optional[str] = ..., cents: _Optional[int] = ...) -> None: ...

class PeakMultiplier(_message.Message):
    __slots__ = ("weekdays", "from_hour", "to_hour", "multiplier")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    FROM_HOUR_FIELD_NUMBER: _ClassVar[int]
    TO_HOUR_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    from_hour: int
    to_hour: int
    multiplier: float
    def __init__(self, weekdays: _Optional[_Iterable[int]] = ..., from_hour: _Optional[int] = ..., to_hour: _Optional[int] = ..., multiplier: _Optional[float] = ...) -> None: ...

class RequirementAddon(_message.Message):
    __slots__ = ("capability", "cents")
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    CENTS_FIELD_NUMBER: _ClassVar[int]
    capability: Capability
    cents: int
    def __init__(self, capability: _Optional[_Union[Capability, str]] = ..., cents: _Optional[int] = ...) -> None: ...

class RateCard(_message.Message):
    __slots__ = ("id", "currency", "base_cents", "distance_bands", "weight_tiers", "dim_divisor", "zone_surcharges", "same_day_premium_cents", "window_premium_cents", "peaks", "fuel_surcharge_pct", "min_charge_cents", "addons")
    ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BASE_CENTS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_BANDS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_TIERS_FIELD_NUMBER: _ClassVar[int]
    DIM_DIVISOR_FIELD_NUMBER: _ClassVar[int]
    ZONE_SURCHARGES_FIELD_NUMBER: _ClassVar[int]
    SAME_DAY_PREMIUM_CENTS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_PREMIUM_CENTS_FIELD_NUMBER: _ClassVar[int]
    PEAKS_FIELD_NUMBER: _ClassVar[int]
    FUEL_SURCHARGE_PCT_FIELD_NUMBER: _ClassVar[int]
    MIN_CHARGE_CENTS_FIELD_NUMBER: _ClassVar[int]
    ADDONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    currency: str
    base_cents: int
    distance_bands: _containers.RepeatedCompositeFieldContainer[DistanceBand]
    weight_tiers: _containers.RepeatedCompositeFieldContainer[WeightTier]
    dim_divisor: float
    zone_surcharges: _containers.RepeatedCompositeFieldContainer[ZoneSurcharge]
    same_day_premium_cents: int
    window_premium_cents: int
    peaks: _containers.RepeatedCompositeFieldContainer[PeakMultiplier]
    fuel_surcharge_pct: float
    min_charge_cents: int
    addons: _containers.RepeatedCompositeFieldContainer[RequirementAddon]
    def __init__(self, id: _Optional[str] = ..., currency: _Optional[str] = ..., base_cents: _Optional[int] = ..., distance_bands: _Optional[_Iterable[_Union[DistanceBand, _Mapping]]] = ..., weight_tiers: _Optional[_Iterable[_Union[WeightTier, _Mapping]]] = ..., dim_divisor: _Optional[float] = ..., zone_surcharges: _Optional[_Iterable[_Union[ZoneSurcharge, _Mapping]]] = ..., same_day_premium_cents: _Optional[int] = ..., window_premium_cents: _Optional[int] = ..., peaks: _Optional[_Iterable[_Union[PeakMultiplier, _Mapping]]] = ..., fuel_surcharge_pct: _Optional[float] = ..., min_charge_cents: _Optional[int] = ..., addons: _Optional[_Iterable[_Union[RequirementAddon, _Mapping]]] = ...) -> None: ...

class TravelMatrix(_message.Message):
    __slots__ = ("location_ids", "distances_m", "durations_s")
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    DISTANCES_M_FIELD_NUMBER: _ClassVar[int]
    DURATIONS_S_FIELD_NUMBER: _ClassVar[int]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    distances_m: _containers.RepeatedScalarFieldContainer[int]
    durations_s: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, location_ids: _Optional[_Iterable[str]] = ..., distances_m: _Optional[_Iterable[int]] = ..., durations_s: _Optional[_Iterable[int]] = ...) -> None: ...
