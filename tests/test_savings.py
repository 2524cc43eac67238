"""Savings like for like: every order's cost in an assignment (routes shared out over their
stops) adds up to its total, and each baseline is compared on the orders both deliver."""

from __future__ import annotations

import numpy as np
import pytest

from lastmile.v1 import orchestrator_pb2 as pb
from service import response
from service.convert import to_snapshot
from solver.checks import BuiltinPolicy
from solver.decide import Outcome, decide


def _decided(sample_request: pb.DecideRequest, policy: int) -> Outcome:
    request = pb.DecideRequest()
    request.CopyFrom(sample_request)
    request.options.time_budget.FromSeconds(1)
    request.options.policy = policy  # type: ignore[assignment]
    return decide(to_snapshot(request), BuiltinPolicy())


@pytest.fixture(scope="module")
def optimal(sample_request: pb.DecideRequest) -> Outcome:
    return _decided(sample_request, pb.ASSIGNMENT_POLICY_OPTIMAL)


def test_order_costs_add_up_to_each_total(optimal: Outcome) -> None:
    """The answer's and every baseline's per-order costs sum to the total the answer reports,
    each route's stops to the route's cost, and unassigned orders cost nothing."""
    answer = response.build(optimal)
    plans = [(optimal.assignment, optimal.fleet, answer.summary.total_cost.cents)]
    for comparison, reported in zip(optimal.baselines, answer.summary.baselines, strict=True):
        plans.append((comparison.assignment, comparison.fleet, reported.cost.cents))
    assert any(plan is not None and plan.routes for _, plan, _ in plans)
    for assignment, plan, total in plans:
        costs = response.order_costs(optimal.prices, assignment.carrier_idx, plan)
        assert int(costs.sum()) == total
        assert (costs[assignment.carrier_idx < 0] == 0).all()
        for route in plan.routes if plan is not None else ():
            stops = [plan.order_of(stop.order_idx) for stop in route.stops]
            assert int(costs[stops].sum()) == route.cost
            marginal = plan.marginal_cents[stops]
            # Shares follow the marginal costs: a costlier stop never gets a smaller share.
            order = np.argsort(marginal, kind="stable")
            assert (np.diff(costs[stops][order]) >= -1).all()


def test_common_orders_compare_like_for_like(
    optimal: Outcome, sample_request: pb.DecideRequest
) -> None:
    """Each comparison counts the orders both deliver and what each pays for them; the
    national baseline's orders are all among the answer's on the sample day."""
    summary = response.build(optimal).summary
    mine = response.order_costs(optimal.prices, optimal.assignment.carrier_idx, optimal.fleet)
    for comparison, reported in zip(optimal.baselines, summary.baselines, strict=True):
        theirs_idx = comparison.assignment.carrier_idx
        both = (optimal.assignment.carrier_idx >= 0) & (theirs_idx >= 0)
        assert reported.common_orders == int(both.sum()) > 0
        assert reported.common_orders <= min(summary.assigned, reported.assigned)
        assert reported.common_cost.cents == int(mine[both].sum())
        assert reported.common_savings.cents == (
            reported.baseline_common_cost.cents - reported.common_cost.cents
        )
        assert reported.common_savings_pct == pytest.approx(
            100 * reported.common_savings.cents / reported.baseline_common_cost.cents, abs=1e-3
        )
    national = summary.baselines[1]
    assert national.baseline == pb.BASELINE_SINGLE_NATIONAL
    assert national.common_orders == national.assigned
    assert national.baseline_common_cost.cents == national.cost.cents
    # Like for like, the answer pays less than shipping the same orders with the national.
    assert national.common_savings.cents > 0 > national.savings.cents


def test_greedy_answer_against_greedy_baseline_saves_nothing(
    sample_request: pb.DecideRequest,
) -> None:
    """Policy GREEDY answers with the greedy baseline itself: the same orders at the same cost."""
    outcome = _decided(sample_request, pb.ASSIGNMENT_POLICY_GREEDY)
    greedy = response.build(outcome).summary.baselines[0]
    assert greedy.baseline == pb.BASELINE_GREEDY
    assert greedy.common_orders == greedy.assigned
    assert greedy.common_cost == greedy.baseline_common_cost == greedy.cost
    assert greedy.common_savings.cents == 0 == greedy.savings.cents
