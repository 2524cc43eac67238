"""What a policy decides before prices: service level, requirements and who may carry each order.

A policy is anything with `evaluate(snapshot) -> Eligibility`: the built-in checks
(`solver.checks`) or the rule files (`rules.engine`). Every exclusion names its source, so the
answer can say which rule or check excluded a carrier and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from solver.snapshot import readonly

if TYPE_CHECKING:
    import numpy as np

    from solver.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Note:
    """One explanation entry: which rule or check decided what."""

    stage: str  # service_level, requirements, eligibility, ...
    source: str  # "check:zone" or "rules/eligibility.yaml:42 gig-no-age-check"
    message: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Per order: service level and requirements; per order x carrier: eligible or why not.

    `reason[i, c] == 0` means carrier c may take order i. Otherwise it is a `Reason` and
    `source[i, c]` indexes `sources` / `messages` (the rule or check that excluded the pair).
    """

    service_level: np.ndarray  # int64[N], ServiceLevel
    requirement_bits: np.ndarray  # int64[N], bit per Requirement
    reason: np.ndarray  # int64[N, C]
    source: np.ndarray  # int64[N, C], -1 where eligible
    sources: tuple[str, ...]
    messages: tuple[str, ...]
    notes: tuple[tuple[Note, ...], ...]  # per order
    max_ride_s: np.ndarray  # int64[N], cold chain limit on time in vehicle, -1 = none
    version: str  # content hash of the rules, or "builtin-<n>"

    def __post_init__(self) -> None:
        for name in ("service_level", "requirement_bits", "reason", "source", "max_ride_s"):
            object.__setattr__(self, name, readonly(getattr(self, name)))
        if self.reason.shape != self.source.shape:
            raise ValueError("Expected reason and source of the same shape")
        if len(self.sources) != len(self.messages):
            raise ValueError("Expected one message per source")

    @property
    def eligible(self) -> np.ndarray:
        mask: np.ndarray = self.reason == 0
        return mask


class Policy(Protocol):
    """Decides service levels, requirements and eligibility for a snapshot."""

    def evaluate(self, snapshot: Snapshot) -> Eligibility: ...
