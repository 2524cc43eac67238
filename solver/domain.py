"""The delivery vocabulary shared by every stage, independent of protobuf.

Values equal the numbers of the lastmile.v1 enums, so the gRPC layer converts by value and
solver code never imports generated code. `tests/test_domain.py` keeps the two in step.
"""

from __future__ import annotations

from enum import IntEnum


class CarrierKind(IntEnum):
    OWN_FLEET = 1
    REGIONAL = 2
    LOCAL_COURIER = 3
    GIG = 4
    NATIONAL = 5


class Capability(IntEnum):
    COLD_CHAIN = 1
    AGE_VERIFICATION = 2
    TWO_PERSON = 3
    BULKY = 4
    HAZMAT = 5
    PHOTO_POD = 6
    SIGNATURE_POD = 7
    EV = 8


class ServiceLevel(IntEnum):
    SAME_DAY = 1
    SCHEDULED_WINDOW = 2
    NEXT_DAY = 3
    STANDARD = 4
    GREEN = 5
    BULKY = 6
    REGULATED = 7
    REPLENISHMENT = 8


class Requirement(IntEnum):
    AGE_VERIFICATION = 1
    ID_CHECK = 2
    COLD_CHAIN = 3
    TWO_PERSON = 4
    SIGNATURE_POD = 5
    PHOTO_POD = 6
    HAZMAT_CERT = 7


class Reason(IntEnum):
    """Why an order x carrier pair is impossible, or why an order is unassigned (0 = possible)."""

    OK = 0
    NO_ELIGIBLE_CARRIER = 1
    CAPACITY_EXHAUSTED = 2
    WINDOW_UNREACHABLE = 3
    ZONE_NOT_SERVED = 4
    OVER_WEIGHT_LIMIT = 5
    OVER_VOLUME_LIMIT = 6
    OVER_SIZE_LIMIT = 7
    MISSING_CAPABILITY = 8
    PAST_CUTOFF = 9
    CARRIER_KIND_EXCLUDED = 10
    NOT_LOW_EMISSION = 11
    EXCLUDED_BY_RULE = 12
    NO_VEHICLE_FITS = 13
    NO_RATE_CARD = 14
    NO_SLOT = 15


class Policy(IntEnum):
    GREEDY = 1
    OPTIMAL = 2


class Baseline(IntEnum):
    GREEDY = 1
    SINGLE_NATIONAL = 2


class SolverStatus(IntEnum):
    OPTIMAL = 1
    FEASIBLE = 2
    HEURISTIC = 3
    NO_SOLUTION = 4


# The capability a carrier needs to meet each requirement. ID_CHECK is met by age verification.
CAPABILITY_FOR_REQUIREMENT: dict[Requirement, Capability] = {
    Requirement.AGE_VERIFICATION: Capability.AGE_VERIFICATION,
    Requirement.ID_CHECK: Capability.AGE_VERIFICATION,
    Requirement.COLD_CHAIN: Capability.COLD_CHAIN,
    Requirement.TWO_PERSON: Capability.TWO_PERSON,
    Requirement.SIGNATURE_POD: Capability.SIGNATURE_POD,
    Requirement.PHOTO_POD: Capability.PHOTO_POD,
    Requirement.HAZMAT_CERT: Capability.HAZMAT,
}


def bit(value: int) -> int:
    """The bitset bit of an enum value (bit 0 is never used: it is UNSPECIFIED)."""
    return 1 << int(value)


def capabilities_for(requirement_bits: int) -> int:
    """Capability bitset a carrier must hold to meet a requirement bitset."""
    out = 0
    for requirement, capability in CAPABILITY_FOR_REQUIREMENT.items():
        if requirement_bits & bit(requirement):
            out |= bit(capability)
    return out
