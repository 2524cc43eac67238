"""The decision path: snapshot -> eligibility -> prices -> assignment, plus the baseline.

Pure: everything comes from the snapshot, so the same snapshot always gives the same outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from solver import assign, pricing
from solver.domain import Baseline, CarrierKind, Policy

if TYPE_CHECKING:
    from solver.assign import Assignment
    from solver.eligibility import Eligibility
    from solver.eligibility import Policy as EligibilityPolicy
    from solver.pricing import PriceTable
    from solver.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything the answer is built from."""

    snapshot: Snapshot
    eligibility: Eligibility
    prices: PriceTable
    scores: np.ndarray
    assignment: Assignment
    baseline: Assignment
    stage_ms: tuple[tuple[str, float], ...]


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps.append((stage, round((now - self._last) * 1000.0, 3)))
        self._last = now


def decide(snapshot: Snapshot, policy: EligibilityPolicy) -> Outcome:
    """Run every stage on one snapshot."""
    watch = _Stopwatch()
    eligibility = policy.evaluate(snapshot)
    watch.lap("eligibility")
    prices = pricing.price(snapshot, eligibility)
    watch.lap("pricing")
    scores = assign.score(snapshot, prices)
    greedy = assign.greedy(snapshot, eligibility, prices, scores)
    watch.lap("assignment_greedy")
    chosen = greedy
    if snapshot.options.policy == Policy.OPTIMAL:
        chosen = _optimal(snapshot, eligibility, prices, scores, greedy)
        watch.lap("assignment_optimal")
    if snapshot.options.baseline == Baseline.SINGLE_NATIONAL:
        baseline = single_national(snapshot, eligibility, prices, scores)
        watch.lap("baseline")
    else:
        baseline = greedy
    return Outcome(
        snapshot=snapshot,
        eligibility=eligibility,
        prices=prices,
        scores=scores,
        assignment=chosen,
        baseline=baseline,
        stage_ms=tuple(watch.laps),
    )


def _optimal(
    snapshot: Snapshot,
    eligibility: Eligibility,
    prices: PriceTable,
    scores: np.ndarray,
    greedy: Assignment,
) -> Assignment:
    try:
        from solver import optimize
    except ImportError:
        return greedy
    result: Assignment = optimize.optimal(
        snapshot, eligibility, prices, scores, snapshot.options.time_budget_s
    )
    return result


def single_national(
    snapshot: Snapshot, eligibility: Eligibility, prices: PriceTable, scores: np.ndarray
) -> Assignment:
    """Baseline: every order to its cheapest national carrier, as a shipper without us would."""
    national = snapshot.carriers.kind == CarrierKind.NATIONAL
    only_national = np.where(national[None, :], scores, np.inf)
    return assign.greedy(snapshot, eligibility, prices, only_national)
