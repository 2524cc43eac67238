"""The solver's enums stay equal, by name and number, to the lastmile.v1 proto enums."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lastmile.v1 import orchestrator_pb2, types_pb2
from solver import domain

if TYPE_CHECKING:
    from enum import IntEnum


@pytest.mark.parametrize(
    ("ours", "theirs", "prefix"),
    [
        (domain.CarrierKind, types_pb2.CarrierKind, "CARRIER_KIND_"),
        (domain.Capability, types_pb2.Capability, "CAPABILITY_"),
        (domain.ServiceLevel, orchestrator_pb2.ServiceLevel, "SERVICE_LEVEL_"),
        (domain.Requirement, orchestrator_pb2.Requirement, "REQUIREMENT_"),
        (domain.Policy, orchestrator_pb2.AssignmentPolicy, "ASSIGNMENT_POLICY_"),
        (domain.Baseline, orchestrator_pb2.Baseline, "BASELINE_"),
        (domain.SolverStatus, orchestrator_pb2.SolverStatus, "SOLVER_STATUS_"),
    ],
)
def test_enum_matches_proto(ours: type[IntEnum], theirs: object, prefix: str) -> None:
    """Every proto value but UNSPECIFIED has a domain twin with the same number."""
    proto = {
        name.removeprefix(prefix): number
        for name, number in theirs.items()  # type: ignore[attr-defined]
        if number != 0
    }
    assert {member.name: int(member) for member in ours} == proto


def test_reason_matches_proto() -> None:
    """Reason codes: 0 is OK in the solver and UNSPECIFIED on the wire; the rest are equal."""
    proto = {
        name.removeprefix("REASON_CODE_"): number
        for name, number in orchestrator_pb2.ReasonCode.items()
        if number != 0
    }
    assert {m.name: int(m) for m in domain.Reason if m != domain.Reason.OK} == proto


def test_capabilities_for_requirements() -> None:
    """ID checks are met by age verification; cold chain by cold chain."""
    bits = domain.bit(domain.Requirement.ID_CHECK) | domain.bit(domain.Requirement.COLD_CHAIN)
    assert domain.capabilities_for(bits) == (
        domain.bit(domain.Capability.AGE_VERIFICATION) | domain.bit(domain.Capability.COLD_CHAIN)
    )
