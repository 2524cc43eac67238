import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lastmile.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssignmentPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGNMENT_POLICY_UNSPECIFIED: _ClassVar[AssignmentPolicy]
    ASSIGNMENT_POLICY_GREEDY: _ClassVar[AssignmentPolicy]
    ASSIGNMENT_POLICY_OPTIMAL: _ClassVar[AssignmentPolicy]

class Baseline(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BASELINE_UNSPECIFIED: _ClassVar[Baseline]
    BASELINE_GREEDY: _ClassVar[Baseline]
    BASELINE_SINGLE_NATIONAL: _ClassVar[Baseline]

class ServiceLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_LEVEL_UNSPECIFIED: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_SAME_DAY: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_SCHEDULED_WINDOW: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_NEXT_DAY: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_STANDARD: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_GREEN: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_BULKY: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_REGULATED: _ClassVar[ServiceLevel]
    SERVICE_LEVEL_REPLENISHMENT: _ClassVar[ServiceLevel]

class Requirement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUIREMENT_UNSPECIFIED: _ClassVar[Requirement]
    REQUIREMENT_AGE_VERIFICATION: _ClassVar[Requirement]
    REQUIREMENT_ID_CHECK: _ClassVar[Requirement]
    REQUIREMENT_COLD_CHAIN: _ClassVar[Requirement]
    REQUIREMENT_TWO_PERSON: _ClassVar[Requirement]
    REQUIREMENT_SIGNATURE_POD: _ClassVar[Requirement]
    REQUIREMENT_PHOTO_POD: _ClassVar[Requirement]
    REQUIREMENT_HAZMAT_CERT: _ClassVar[Requirement]

class ReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_CODE_UNSPECIFIED: _ClassVar[ReasonCode]
    REASON_CODE_NO_ELIGIBLE_CARRIER: _ClassVar[ReasonCode]
    REASON_CODE_CAPACITY_EXHAUSTED: _ClassVar[ReasonCode]
    REASON_CODE_WINDOW_UNREACHABLE: _ClassVar[ReasonCode]
    REASON_CODE_ZONE_NOT_SERVED: _ClassVar[ReasonCode]
    REASON_CODE_OVER_WEIGHT_LIMIT: _ClassVar[ReasonCode]
    REASON_CODE_OVER_VOLUME_LIMIT: _ClassVar[ReasonCode]
    REASON_CODE_OVER_SIZE_LIMIT: _ClassVar[ReasonCode]
    REASON_CODE_MISSING_CAPABILITY: _ClassVar[ReasonCode]
    REASON_CODE_PAST_CUTOFF: _ClassVar[ReasonCode]
    REASON_CODE_CARRIER_KIND_EXCLUDED: _ClassVar[ReasonCode]
    REASON_CODE_NOT_LOW_EMISSION: _ClassVar[ReasonCode]
    REASON_CODE_EXCLUDED_BY_RULE: _ClassVar[ReasonCode]
    REASON_CODE_NO_VEHICLE_FITS: _ClassVar[ReasonCode]
    REASON_CODE_NO_RATE_CARD: _ClassVar[ReasonCode]
    REASON_CODE_NO_SLOT: _ClassVar[ReasonCode]

class SolverStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOLVER_STATUS_UNSPECIFIED: _ClassVar[SolverStatus]
    SOLVER_STATUS_OPTIMAL: _ClassVar[SolverStatus]
    SOLVER_STATUS_FEASIBLE: _ClassVar[SolverStatus]
    SOLVER_STATUS_HEURISTIC: _ClassVar[SolverStatus]
    SOLVER_STATUS_NO_SOLUTION: _ClassVar[SolverStatus]
ASSIGNMENT_POLICY_UNSPECIFIED: AssignmentPolicy
ASSIGNMENT_POLICY_GREEDY: AssignmentPolicy
ASSIGNMENT_POLICY_OPTIMAL: AssignmentPolicy
BASELINE_UNSPECIFIED: Baseline
BASELINE_GREEDY: Baseline
BASELINE_SINGLE_NATIONAL: Baseline
SERVICE_LEVEL_UNSPECIFIED: ServiceLevel
SERVICE_LEVEL_SAME_DAY: ServiceLevel
SERVICE_LEVEL_SCHEDULED_WINDOW: ServiceLevel
SERVICE_LEVEL_NEXT_DAY: ServiceLevel
SERVICE_LEVEL_STANDARD: ServiceLevel
SERVICE_LEVEL_GREEN: ServiceLevel
SERVICE_LEVEL_BULKY: ServiceLevel
SERVICE_LEVEL_REGULATED: ServiceLevel
SERVICE_LEVEL_REPLENISHMENT: ServiceLevel
REQUIREMENT_UNSPECIFIED: Requirement
REQUIREMENT_AGE_VERIFICATION: Requirement
REQUIREMENT_ID_CHECK: Requirement
REQUIREMENT_COLD_CHAIN: Requirement
REQUIREMENT_TWO_PERSON: Requirement
REQUIREMENT_SIGNATURE_POD: Requirement
REQUIREMENT_PHOTO_POD: Requirement
REQUIREMENT_HAZMAT_CERT: Requirement
REASON_CODE_UNSPECIFIED: ReasonCode
REASON_CODE_NO_ELIGIBLE_CARRIER: ReasonCode
REASON_CODE_CAPACITY_EXHAUSTED: ReasonCode
REASON_CODE_WINDOW_UNREACHABLE: ReasonCode
REASON_CODE_ZONE_NOT_SERVED: ReasonCode
REASON_CODE_OVER_WEIGHT_LIMIT: ReasonCode
REASON_CODE_OVER_VOLUME_LIMIT: ReasonCode
REASON_CODE_OVER_SIZE_LIMIT: ReasonCode
REASON_CODE_MISSING_CAPABILITY: ReasonCode
REASON_CODE_PAST_CUTOFF: ReasonCode
REASON_CODE_CARRIER_KIND_EXCLUDED: ReasonCode
REASON_CODE_NOT_LOW_EMISSION: ReasonCode
REASON_CODE_EXCLUDED_BY_RULE: ReasonCode
REASON_CODE_NO_VEHICLE_FITS: ReasonCode
REASON_CODE_NO_RATE_CARD: ReasonCode
REASON_CODE_NO_SLOT: ReasonCode
SOLVER_STATUS_UNSPECIFIED: SolverStatus
SOLVER_STATUS_OPTIMAL: SolverStatus
SOLVER_STATUS_FEASIBLE: SolverStatus
SOLVER_STATUS_HEURISTIC: SolverStatus
SOLVER_STATUS_NO_SOLUTION: SolverStatus

class ObjectiveWeights(_message.Message):
    __slots__ = ("cost", "lateness", "emissions")
    COST_FIELD_NUMBER: _ClassVar[int]
    LATENESS_FIELD_NUMBER: _ClassVar[int]
    EMISSIONS_FIELD_NUMBER: _ClassVar[int]
    cost: float
    lateness: float
    emissions: float
    def __init__(self, cost: _Optional[float] = ..., lateness: _Optional[float] = ..., emissions: _Optional[float] = ...) -> None: ...

class DecisionOptions(_message.Message):
    __slots__ = ("weights", "time_budget", "explain", "savings_baseline", "policy", "circuity_factor", "currency", "seed")
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    TIME_BUDGET_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    SAVINGS_BASELINE_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    CIRCUITY_FACTOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    weights: ObjectiveWeights
    time_budget: _duration_pb2.Duration
    explain: bool
    savings_baseline: Baseline
    policy: AssignmentPolicy
    circuity_factor: float
    currency: str
    seed: int
    def __init__(self, weights: _Optional[_Union[ObjectiveWeights, _Mapping]] = ..., time_budget: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., explain: _Optional[bool] = ..., savings_baseline: _Optional[_Union[Baseline, str]] = ..., policy: _Optional[_Union[AssignmentPolicy, str]] = ..., circuity_factor: _Optional[float] = ..., currency: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class DecideRequest(_message.Message):
    __slots__ = ("request_id", "now", "timezone", "sites", "orders", "carriers", "capacity", "vehicles", "rate_cards", "options", "matrix")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_FIELD_NUMBER: _ClassVar[int]
    RATE_CARDS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MATRIX_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    now: _timestamp_pb2.Timestamp
    timezone: str
    sites: _containers.RepeatedCompositeFieldContainer[_types_pb2.Site]
    orders: _containers.RepeatedCompositeFieldContainer[_types_pb2.Order]
    carriers: _containers.RepeatedCompositeFieldContainer[_types_pb2.Carrier]
    capacity: _containers.RepeatedCompositeFieldContainer[_types_pb2.CapacitySlot]
    vehicles: _containers.RepeatedCompositeFieldContainer[_types_pb2.Vehicle]
    rate_cards: _containers.RepeatedCompositeFieldContainer[_types_pb2.RateCard]
    options: DecisionOptions
    matrix: _types_pb2.TravelMatrix
    def __init__(self, request_id: _Optional[str] = ..., now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[str] = ..., sites: _Optional[_Iterable[_Union[_types_pb2.Site, _Mapping]]] = ..., orders: _Optional[_Iterable[_Union[_types_pb2.Order, _Mapping]]] = ..., carriers: _Optional[_Iterable[_Union[_types_pb2.Carrier, _Mapping]]] = ..., capacity: _Optional[_Iterable[_Union[_types_pb2.CapacitySlot, _Mapping]]] = ..., vehicles: _Optional[_Iterable[_Union[_types_pb2.Vehicle, _Mapping]]] = ..., rate_cards: _Optional[_Iterable[_Union[_types_pb2.RateCard, _Mapping]]] = ..., options: _Optional[_Union[DecisionOptions, _Mapping]] = ..., matrix: _Optional[_Union[_types_pb2.TravelMatrix, _Mapping]] = ...) -> None: ...

class PriceLine(_message.Message):
    __slots__ = ("code", "description", "amount")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    amount: _types_pb2.Money
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ..., amount: _Optional[_Union[_types_pb2.Money, _Mapping]] = ...) -> None: ...

class Price(_message.Message):
    __slots__ = ("total", "lines")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    total: _types_pb2.Money
    lines: _containers.RepeatedCompositeFieldContainer[PriceLine]
    def __init__(self, total: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[PriceLine, _Mapping]]] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ("stage", "source", "message")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    stage: str
    source: str
    message: str
    def __init__(self, stage: _Optional[str] = ..., source: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Exclusion(_message.Message):
    __slots__ = ("carrier_id", "reason", "message", "source")
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    carrier_id: str
    reason: ReasonCode
    message: str
    source: str
    def __init__(self, carrier_id: _Optional[str] = ..., reason: _Optional[_Union[ReasonCode, str]] = ..., message: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("carrier_id", "rank", "score", "price", "eta", "promise", "co2e_g", "chosen", "versus_chosen", "slot_id")
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    VERSUS_CHOSEN_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    carrier_id: str
    rank: int
    score: float
    price: Price
    eta: _timestamp_pb2.Timestamp
    promise: _types_pb2.TimeWindow
    co2e_g: float
    chosen: bool
    versus_chosen: str
    slot_id: str
    def __init__(self, carrier_id: _Optional[str] = ..., rank: _Optional[int] = ..., score: _Optional[float] = ..., price: _Optional[_Union[Price, _Mapping]] = ..., eta: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., promise: _Optional[_Union[_types_pb2.TimeWindow, _Mapping]] = ..., co2e_g: _Optional[float] = ..., chosen: _Optional[bool] = ..., versus_chosen: _Optional[str] = ..., slot_id: _Optional[str] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("order_id", "service_level", "requirements", "carrier_id", "vehicle_id", "price", "promise", "eta", "co2e_g", "slot_id", "candidates", "exclusions", "explanations")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PROMISE_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIONS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATIONS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    service_level: ServiceLevel
    requirements: _containers.RepeatedScalarFieldContainer[Requirement]
    carrier_id: str
    vehicle_id: str
    price: Price
    promise: _types_pb2.TimeWindow
    eta: _timestamp_pb2.Timestamp
    co2e_g: float
    slot_id: str
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    exclusions: _containers.RepeatedCompositeFieldContainer[Exclusion]
    explanations: _containers.RepeatedCompositeFieldContainer[Explanation]
    def __init__(self, order_id: _Optional[str] = ..., service_level: _Optional[_Union[ServiceLevel, str]] = ..., requirements: _Optional[_Iterable[_Union[Requirement, str]]] = ..., carrier_id: _Optional[str] = ..., vehicle_id: _Optional[str] = ..., price: _Optional[_Union[Price, _Mapping]] = ..., promise: _Optional[_Union[_types_pb2.TimeWindow, _Mapping]] = ..., eta: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., co2e_g: _Optional[float] = ..., slot_id: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., exclusions: _Optional[_Iterable[_Union[Exclusion, _Mapping]]] = ..., explanations: _Optional[_Iterable[_Union[Explanation, _Mapping]]] = ...) -> None: ...

class Unassigned(_message.Message):
    __slots__ = ("order_id", "reasons", "message", "service_level", "requirements", "exclusions", "full_slot_ids")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIONS_FIELD_NUMBER: _ClassVar[int]
    FULL_SLOT_IDS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    reasons: _containers.RepeatedScalarFieldContainer[ReasonCode]
    message: str
    service_level: ServiceLevel
    requirements: _containers.RepeatedScalarFieldContainer[Requirement]
    exclusions: _containers.RepeatedCompositeFieldContainer[Exclusion]
    full_slot_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_id: _Optional[str] = ..., reasons: _Optional[_Iterable[_Union[ReasonCode, str]]] = ..., message: _Optional[str] = ..., service_level: _Optional[_Union[ServiceLevel, str]] = ..., requirements: _Optional[_Iterable[_Union[Requirement, str]]] = ..., exclusions: _Optional[_Iterable[_Union[Exclusion, _Mapping]]] = ..., full_slot_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RouteStop(_message.Message):
    __slots__ = ("order_id", "arrival", "departure", "load_kg", "sequence")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_FIELD_NUMBER: _ClassVar[int]
    LOAD_KG_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    arrival: _timestamp_pb2.Timestamp
    departure: _timestamp_pb2.Timestamp
    load_kg: float
    sequence: int
    def __init__(self, order_id: _Optional[str] = ..., arrival: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., departure: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., load_kg: _Optional[float] = ..., sequence: _Optional[int] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("vehicle_id", "stops", "start", "end", "distance_km", "duration", "cost")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    stops: _containers.RepeatedCompositeFieldContainer[RouteStop]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    distance_km: float
    duration: _duration_pb2.Duration
    cost: _types_pb2.Money
    def __init__(self, vehicle_id: _Optional[str] = ..., stops: _Optional[_Iterable[_Union[RouteStop, _Mapping]]] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., distance_km: _Optional[float] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ...) -> None: ...

class CarrierTotal(_message.Message):
    __slots__ = ("carrier_id", "orders", "cost", "co2e_g")
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    carrier_id: str
    orders: int
    cost: _types_pb2.Money
    co2e_g: float
    def __init__(self, carrier_id: _Optional[str] = ..., orders: _Optional[int] = ..., cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., co2e_g: _Optional[float] = ...) -> None: ...

class BaselineComparison(_message.Message):
    __slots__ = ("baseline", "cost", "assigned", "savings", "savings_pct", "co2e_g", "carrier_id", "common_orders", "common_cost", "baseline_common_cost", "common_savings", "common_savings_pct")
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    SAVINGS_FIELD_NUMBER: _ClassVar[int]
    SAVINGS_PCT_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ID_FIELD_NUMBER: _ClassVar[int]
    COMMON_ORDERS_FIELD_NUMBER: _ClassVar[int]
    COMMON_COST_FIELD_NUMBER: _ClassVar[int]
    BASELINE_COMMON_COST_FIELD_NUMBER: _ClassVar[int]
    COMMON_SAVINGS_FIELD_NUMBER: _ClassVar[int]
    COMMON_SAVINGS_PCT_FIELD_NUMBER: _ClassVar[int]
    baseline: Baseline
    cost: _types_pb2.Money
    assigned: int
    savings: _types_pb2.Money
    savings_pct: float
    co2e_g: float
    carrier_id: str
    common_orders: int
    common_cost: _types_pb2.Money
    baseline_common_cost: _types_pb2.Money
    common_savings: _types_pb2.Money
    common_savings_pct: float
    def __init__(self, baseline: _Optional[_Union[Baseline, str]] = ..., cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., assigned: _Optional[int] = ..., savings: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., savings_pct: _Optional[float] = ..., co2e_g: _Optional[float] = ..., carrier_id: _Optional[str] = ..., common_orders: _Optional[int] = ..., common_cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., baseline_common_cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., common_savings: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., common_savings_pct: _Optional[float] = ...) -> None: ...

class Summary(_message.Message):
    __slots__ = ("total_cost", "assigned", "unassigned", "carriers", "baseline", "baseline_cost", "savings", "savings_pct", "baseline_assigned", "co2e_g", "stage_ms", "rules_version", "solver_status", "policy", "objective", "baselines", "objective_bound", "explanations_omitted")
    class StageMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_COST_FIELD_NUMBER: _ClassVar[int]
    SAVINGS_FIELD_NUMBER: _ClassVar[int]
    SAVINGS_PCT_FIELD_NUMBER: _ClassVar[int]
    BASELINE_ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    CO2E_G_FIELD_NUMBER: _ClassVar[int]
    STAGE_MS_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOLVER_STATUS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    BASELINES_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_BOUND_FIELD_NUMBER: _ClassVar[int]
    EXPLANATIONS_OMITTED_FIELD_NUMBER: _ClassVar[int]
    total_cost: _types_pb2.Money
    assigned: int
    unassigned: int
    carriers: _containers.RepeatedCompositeFieldContainer[CarrierTotal]
    baseline: Baseline
    baseline_cost: _types_pb2.Money
    savings: _types_pb2.Money
    savings_pct: float
    baseline_assigned: int
    co2e_g: float
    stage_ms: _containers.ScalarMap[str, float]
    rules_version: str
    solver_status: SolverStatus
    policy: AssignmentPolicy
    objective: float
    baselines: _containers.RepeatedCompositeFieldContainer[BaselineComparison]
    objective_bound: float
    explanations_omitted: bool
    def __init__(self, total_cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., assigned: _Optional[int] = ..., unassigned: _Optional[int] = ..., carriers: _Optional[_Iterable[_Union[CarrierTotal, _Mapping]]] = ..., baseline: _Optional[_Union[Baseline, str]] = ..., baseline_cost: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., savings: _Optional[_Union[_types_pb2.Money, _Mapping]] = ..., savings_pct: _Optional[float] = ..., baseline_assigned: _Optional[int] = ..., co2e_g: _Optional[float] = ..., stage_ms: _Optional[_Mapping[str, float]] = ..., rules_version: _Optional[str] = ..., solver_status: _Optional[_Union[SolverStatus, str]] = ..., policy: _Optional[_Union[AssignmentPolicy, str]] = ..., objective: _Optional[float] = ..., baselines: _Optional[_Iterable[_Union[BaselineComparison, _Mapping]]] = ..., objective_bound: _Optional[float] = ..., explanations_omitted: _Optional[bool] = ...) -> None: ...

class DecideResponse(_message.Message):
    __slots__ = ("request_id", "decisions", "unassigned", "routes", "summary", "elapsed")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    decisions: _containers.RepeatedCompositeFieldContainer[Decision]
    unassigned: _containers.RepeatedCompositeFieldContainer[Unassigned]
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    summary: Summary
    elapsed: _duration_pb2.Duration
    def __init__(self, request_id: _Optional[str] = ..., decisions: _Optional[_Iterable[_Union[Decision, _Mapping]]] = ..., unassigned: _Optional[_Iterable[_Union[Unassigned, _Mapping]]] = ..., routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., summary: _Optional[_Union[Summary, _Mapping]] = ..., elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RuleFile(_message.Message):
    __slots__ = ("name", "content")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    content: str
    def __init__(self, name: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class ValidateRulesRequest(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[RuleFile]
    def __init__(self, files: _Optional[_Iterable[_Union[RuleFile, _Mapping]]] = ...) -> None: ...

class RuleIssue(_message.Message):
    __slots__ = ("file", "line", "where", "message")
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    file: str
    line: int
    where: str
    message: str
    def __init__(self, file: _Optional[str] = ..., line: _Optional[int] = ..., where: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class RuleTestResult(_message.Message):
    __slots__ = ("name", "file", "line", "passed", "messages")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    name: str
    file: str
    line: int
    passed: bool
    messages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., file: _Optional[str] = ..., line: _Optional[int] = ..., passed: _Optional[bool] = ..., messages: _Optional[_Iterable[str]] = ...) -> None: ...

class ValidateRulesResponse(_message.Message):
    __slots__ = ("valid", "version", "issues", "tests", "tables", "rows", "serving_version", "reload_issues")
    VALID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ISSUES_FIELD_NUMBER: _ClassVar[int]
    TESTS_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SERVING_VERSION_FIELD_NUMBER: _ClassVar[int]
    RELOAD_ISSUES_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    version: str
    issues: _containers.RepeatedCompositeFieldContainer[RuleIssue]
    tests: _containers.RepeatedCompositeFieldContainer[RuleTestResult]
    tables: int
    rows: int
    serving_version: str
    reload_issues: _containers.RepeatedCompositeFieldContainer[RuleIssue]
    def __init__(self, valid: _Optional[bool] = ..., version: _Optional[str] = ..., issues: _Optional[_Iterable[_Union[RuleIssue, _Mapping]]] = ..., tests: _Optional[_Iterable[_Union[RuleTestResult, _Mapping]]] = ..., tables: _Optional[int] = ..., rows: _Optional[int] = ..., serving_version: _Optional[str] = ..., reload_issues: _Optional[_Iterable[_Union[RuleIssue, _Mapping]]] = ...) -> None: ...
