"""What a policy decides before prices: service level, requirements and who may carry each order.

A policy is anything with `evaluate(snapshot) -> Eligibility`: the built-in checks
(`solver.checks`) or the rule files (`rules.engine`). Every exclusion names its source, so the
answer can say which rule or check excluded a carrier and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from solver.snapshot import readonly

if TYPE_CHECKING:
    from solver.snapshot import Snapshot

DAY_S = 86_400


def _unset() -> np.ndarray:
    """Default of the per-order hour fields: filled in by `Eligibility.__post_init__`."""
    return np.zeros(0, dtype=np.int64)


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

    Allowed delivery hours (regulated goods): local seconds after midnight
    [`delivery_from_s[i]`, `delivery_to_s[i]`), the whole day [0, 86400) unless a rule or check
    restricts them; `hours_source[i]` indexes `hours_sources` (the rule row or check that set
    them), -1 when unrestricted. Omitted, they default to the whole day for every order.
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
    delivery_from_s: np.ndarray = field(default_factory=_unset)  # int64[N], local s of day
    delivery_to_s: np.ndarray = field(default_factory=_unset)  # int64[N], <= 86400
    hours_source: np.ndarray = field(default_factory=_unset)  # int64[N], -1 = whole day
    hours_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.service_level)
        defaults = {"delivery_from_s": 0, "delivery_to_s": DAY_S, "hours_source": -1}
        for name, fill in defaults.items():
            value = np.asarray(getattr(self, name), dtype=np.int64)
            if value.shape == (0,) and n:
                value = np.full(n, fill, dtype=np.int64)
            if value.shape != (n,):
                raise ValueError(f"Expected {name} of shape ({n},), got {value.shape}")
            object.__setattr__(self, name, value)
        for name in (
            "service_level", "requirement_bits", "reason", "source", "max_ride_s",
            "delivery_from_s", "delivery_to_s", "hours_source",
        ):  # fmt: skip
            object.__setattr__(self, name, readonly(getattr(self, name)))
        if self.reason.shape != self.source.shape:
            raise ValueError("Expected reason and source of the same shape")
        if len(self.sources) != len(self.messages):
            raise ValueError("Expected one message per source")
        if n and not (
            (self.delivery_from_s >= 0).all()
            and (self.delivery_to_s <= DAY_S).all()
            and (self.delivery_from_s < self.delivery_to_s).all()
        ):
            raise ValueError("Expected 0 <= delivery_from_s < delivery_to_s <= 86400")
        if (
            n
            and not (
                (self.hours_source >= -1) & (self.hours_source < len(self.hours_sources))
            ).all()
        ):
            raise ValueError("Expected hours_source in [-1, len(hours_sources))")

    @property
    def eligible(self) -> np.ndarray:
        mask: np.ndarray = self.reason == 0
        return mask

    @property
    def restricted_hours(self) -> np.ndarray:
        """bool[N]: orders whose allowed delivery hours are not the whole day."""
        mask: np.ndarray = (self.delivery_from_s > 0) | (self.delivery_to_s < DAY_S)
        return mask


def within_hours(
    windows: list[tuple[int, int]],
    snapshot: Snapshot,
    eligibility: Eligibility,
    order_idx: int,
    origin_ts: int = 0,
) -> list[tuple[int, int]]:
    """An order's windows intersected with its allowed delivery hours, day by day.

    Parameters
    ----------
    windows
        Sorted (start, end) pairs on a clock that reads 0 at `origin_ts` (UTC epoch seconds;
        0 = plain timestamps).
    snapshot
        For the local time (`Snapshot.clock`, daylight saving included).
    eligibility
        Its `delivery_from_s` / `delivery_to_s` give the order's hours.
    order_idx
        The order's row.

    Returns
    -------
    list of (start, end)
        The windows unchanged when the order may be delivered at any time; else one piece per
        local day that a window overlaps, each clipped to [from, to] of that day; pieces that
        shrink to nothing are dropped.
    """
    h_from = int(eligibility.delivery_from_s[order_idx])
    h_to = int(eligibility.delivery_to_s[order_idx])
    if h_from <= 0 and h_to >= DAY_S:
        return list(windows)
    clock = snapshot.clock
    out: list[tuple[int, int]] = []
    for start, end in windows:
        wall = int(clock.wall(start + origin_ts))
        day = wall - wall % DAY_S  # local midnight of the window start, wall time
        while (lo := int(clock.utc(day + h_from)) - origin_ts) <= end:
            a, b = max(start, lo), min(end, int(clock.utc(day + h_to)) - origin_ts)
            if a < b or a == b == start == end:
                out.append((a, b))
            day += DAY_S
    return out


class Policy(Protocol):
    """Decides service levels, requirements and eligibility for a snapshot."""

    def evaluate(self, snapshot: Snapshot) -> Eligibility: ...
