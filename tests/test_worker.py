"""The worker's answer under a message size limit: explanations kept when they fit, dropped
without a wasted build when a sample of the orders shows they cannot."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pytest

from service import response, worker
from service.convert import to_snapshot
from solver.checks import BuiltinPolicy
from solver.decide import Outcome, decide

if TYPE_CHECKING:
    from lastmile.v1 import orchestrator_pb2 as pb


@pytest.fixture(scope="module")
def outcome(sample_request: pb.DecideRequest) -> Outcome:
    """The sample day decided in process, explanations asked for."""
    request = type(sample_request)()
    request.CopyFrom(sample_request)
    request.options.time_budget.FromSeconds(1)
    request.options.explain = True
    return decide(to_snapshot(request), BuiltinPolicy())


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every `response.build` the worker makes: True for a whole answer, False for a sample."""
    calls: list[bool] = []
    real = response.build

    def counted(outcome: Outcome, sample: np.ndarray | None = None) -> pb.DecideResponse:
        calls.append(sample is None)
        return real(outcome, sample)

    monkeypatch.setattr(worker.response, "build", counted)
    return calls


def _sizes(outcome: Outcome) -> tuple[int, int]:
    explained = response.build(outcome).ByteSize()
    options = replace(outcome.snapshot.options, explain=False)
    lean = response.build(
        replace(outcome, snapshot=replace(outcome.snapshot, options=options))
    ).ByteSize()
    return explained, lean


def test_answer_that_cannot_fit_with_explanations_is_built_once(
    outcome: Outcome, builds: list[bool]
) -> None:
    """Under a limit between the lean and the explained size, the sample says so and the
    answer is built once, without explanations (before: built with them, then again)."""
    explained, lean = _sizes(outcome)
    builds.clear()
    limit = (explained + lean) // 2
    answer, data = worker._serialize(outcome, limit, lambda a: None)
    assert builds.count(True) == 1
    assert answer.summary.explanations_omitted
    assert len(data) == answer.ByteSize() <= limit
    assert not any(d.explanations for d in answer.decisions)


def test_answer_that_fits_keeps_its_explanations(outcome: Outcome, builds: list[bool]) -> None:
    """Just above the explained size (well inside the sample's margin) the explanations stay:
    sampling never drops what fits."""
    explained, _ = _sizes(outcome)
    builds.clear()
    answer, data = worker._serialize(
        outcome, explained + worker._FRAMING_BYTES + 1_000, lambda a: None
    )
    assert builds.count(True) == 1
    assert not answer.summary.explanations_omitted
    assert all(d.explanations for d in answer.decisions)
    assert len(data) == explained


def test_small_answers_are_not_sampled(outcome: Outcome, builds: list[bool]) -> None:
    """No limit, or room for 4 kB per order: one build, no sample."""
    for limit in (None, 64 * 1024 * 1024):
        builds.clear()
        answer, _ = worker._serialize(outcome, limit, lambda a: None)
        assert builds == [True]
        assert not answer.summary.explanations_omitted


def test_sample_projects_the_answer_size(outcome: Outcome) -> None:
    """The sample's projection is within 3 % of the whole answer's size on the sample day."""
    n = outcome.snapshot.orders.count
    fixed = response.build(outcome, sample=np.zeros(0, dtype=np.int64)).ByteSize()
    sample = np.unique(np.linspace(0, n - 1, 100).astype(np.int64))
    per_order = (response.build(outcome, sample=sample).ByteSize() - fixed) / sample.size
    explained, _ = _sizes(outcome)
    assert abs(fixed + per_order * n - explained) <= 0.03 * explained
